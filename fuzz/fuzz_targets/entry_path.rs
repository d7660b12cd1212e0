#![no_main]
//! `cargo +nightly fuzz run entry_path`: see git_rollback::fuzz::entry_path.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::entry_path(data);
});
