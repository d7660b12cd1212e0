#![no_main]
//! `cargo +nightly fuzz run pre_push`: see git_rollback::fuzz::pre_push.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    git_rollback::fuzz::pre_push(data);
});
