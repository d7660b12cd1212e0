//! `GIT_ROLLBACK_TRACE=1` prints how long each phase of an operation took to
//! stderr, like git's `GIT_TRACE_PERFORMANCE`. Off, it costs one env lookup.
//!
//! The phases are also the kill points of the interruption tests:
//! `GIT_ROLLBACK_TEST_KILL_AT=<phase>[#N]` makes the process kill itself
//! with SIGKILL (as a crash or `kill -9` would) the Nth time (default: the
//! first) it reaches that phase; with `GIT_ROLLBACK_TEST_SIGNAL=INT` it
//! sends itself SIGINT (Ctrl-C) there instead.
//!
//! `GIT_ROLLBACK_TEST_RUN_AT=<phase>` with `GIT_ROLLBACK_TEST_RUN=<shell
//! command>` runs that command (without these two variables) the first time
//! the phase is reached: what another process does at that moment (another
//! clone pushing while `sync` is between its fetch and its push).

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("GIT_ROLLBACK_TRACE").map(|_| Instant::now()))
}

/// The kill point of `GIT_ROLLBACK_TEST_KILL_AT`: a phase and how many
/// times it is passed before the kill.
fn kill_at() -> Option<&'static (String, std::sync::atomic::AtomicUsize)> {
    static AT: OnceLock<Option<(String, std::sync::atomic::AtomicUsize)>> = OnceLock::new();
    AT.get_or_init(|| {
        let spec = std::env::var("GIT_ROLLBACK_TEST_KILL_AT").ok()?;
        let (phase, nth) = match spec.rsplit_once('#') {
            Some((phase, nth)) => (phase.to_owned(), nth.parse().ok()?),
            None => (spec, 1usize),
        };
        Some((phase, std::sync::atomic::AtomicUsize::new(nth)))
    })
    .as_ref()
}

/// Note that `phase` just finished.
pub fn phase(phase: &str) {
    if let Some((at, left)) = kill_at() {
        if at == phase && left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            let signal = match std::env::var("GIT_ROLLBACK_TEST_SIGNAL").as_deref() {
                Ok("INT") => libc::SIGINT,
                _ => libc::SIGKILL,
            };
            // SAFETY: sends a signal to this process; nothing is shared.
            unsafe { libc::kill(libc::getpid(), signal) };
        }
    }
    if std::env::var_os("GIT_ROLLBACK_TEST_RUN_AT").is_some_and(|at| at == phase) {
        static RAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if let (false, Some(command)) = (
            RAN.swap(true, std::sync::atomic::Ordering::SeqCst),
            std::env::var_os("GIT_ROLLBACK_TEST_RUN"),
        ) {
            let _ = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .env_remove("GIT_ROLLBACK_TEST_RUN_AT")
                .env_remove("GIT_ROLLBACK_TEST_RUN")
                .status();
        }
    }
    if let Some(start) = start() {
        // Never a panic on a closed stderr: an operation must not stop halfway.
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!(
                "trace: {:>8.3} ms  {phase}\n",
                start.elapsed().as_secs_f64() * 1000.0
            ),
        );
    }
}
