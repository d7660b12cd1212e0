//! `GIT_ROLLBACK_TRACE=1` prints how long each phase of an operation took to
//! stderr, like git's `GIT_TRACE_PERFORMANCE`. Off, it costs one env lookup.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("GIT_ROLLBACK_TRACE").map(|_| Instant::now()))
}

/// Note that `phase` just finished.
pub fn phase(phase: &str) {
    if let Some(start) = start() {
        eprintln!(
            "trace: {:>8.3} ms  {phase}",
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}
