#![no_main]
//! `cargo +nightly fuzz run manifest`: see git_rollback::fuzz::manifest.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::manifest(data);
});
