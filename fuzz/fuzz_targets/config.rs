#![no_main]
//! `cargo +nightly fuzz run config`: see git_rollback::fuzz::config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::config(data);
});
