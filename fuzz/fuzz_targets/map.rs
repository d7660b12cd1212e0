#![no_main]
//! `cargo +nightly fuzz run map`: see git_rollback::fuzz::map.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::map(data);
});
