#![no_main]
//! `cargo +nightly fuzz run ledger`: see git_rollback::fuzz::ledger.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = git_rollback::fuzz::ledger(data);
});
