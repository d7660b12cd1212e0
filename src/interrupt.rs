//! Ctrl-C (SIGINT, and SIGTERM/SIGHUP/SIGQUIT) during an operation.
//!
//! Outside an operation's writes, a signal stops the process at once, as
//! git's does: gix removes its lock and temporary files, and the process
//! dies of the signal (exit 130 for Ctrl-C in a shell). Before an operation
//! has recorded anything, it also says that it wrote nothing. Once it
//! has recorded its event, a first signal is deferred: the operation
//! finishes (its writes take milliseconds to seconds), then exits 130
//! saying so and how to undo it. A second signal stops it at once, and the
//! next `git rollback undo` reverses it.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::error::{Error, Kind};

const IDLE: u8 = 0;
const PREPARING: u8 = 1;
const WRITING: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(IDLE);

/// Install the handler (once, at start).
pub fn init() {
    // SAFETY: `on_signal` only reads an atomic and calls async-signal-safe
    // functions (write, gix's signal-safe tempfile cleanup, signal, raise).
    let _ = unsafe { gix::interrupt::init_handler(1, on_signal) };
}

fn on_signal() {
    let state = STATE.load(Ordering::SeqCst);
    if state == WRITING {
        return;
    }
    if state == PREPARING {
        let message = b"git-rollback: interrupted before the operation wrote anything\n";
        // SAFETY: write(2) is async-signal-safe.
        unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
    }
    gix::tempfile::registry::cleanup_tempfiles_signal_safe();
    // SAFETY: signal and raise are async-signal-safe; the default action
    // ends the process once this handler returns.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::raise(libc::SIGINT);
    }
}

/// Held while an operation runs: a signal stops it at once (nothing
/// changed) until [`Operation::writing`], and is deferred after.
pub struct Operation(());

impl Operation {
    pub fn start() -> Operation {
        STATE.store(PREPARING, Ordering::SeqCst);
        Operation(())
    }

    /// From here a signal is deferred to [`Operation::finish`].
    pub fn writing(&self) {
        STATE.store(WRITING, Ordering::SeqCst);
    }

    /// The operation `id` finished: when a signal came while it wrote,
    /// the error that says so (exit 130).
    pub fn finish(self, id: &str) -> Result<(), Error> {
        STATE.store(IDLE, Ordering::SeqCst);
        if gix::interrupt::is_triggered() {
            return Err(Error {
                kind: Kind::Interrupted,
                message: format!(
                    "interrupted: operation {id} had started writing, so it finished first"
                ),
                hints: vec![crate::error::Hint::UndoReverses { id: id.to_owned() }],
            });
        }
        Ok(())
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        STATE.store(IDLE, Ordering::SeqCst);
    }
}
