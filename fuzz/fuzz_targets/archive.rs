#![no_main]
//! `cargo +nightly fuzz run archive`: see git_rollback::fuzz::archive.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::archive(data);
});
