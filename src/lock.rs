//! One operation at a time per repository: a lock file under the common git
//! dir, shared by all worktrees. A second operation waits a little, then fails
//! naming the holder. The lock file is a gix tempfile, so it is removed on
//! Ctrl-C as well as on normal exit.

use std::io::Write;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::repo::Repo;

/// `git config rollback.lockTimeout`: how long to wait for the lock, in milliseconds.
pub const LOCK_TIMEOUT_KEY: &str = "rollback.lockTimeout";
pub const LOCK_TIMEOUT_DEFAULT_MS: u64 = 3000;

/// Held while an operation runs; released on drop.
pub struct Lock {
    _file: gix::lock::File,
}

impl Lock {
    /// Take the repository lock for `what` (the command line, shown to a waiting operation).
    pub fn acquire(repo: &Repo, what: &str) -> Result<Lock> {
        let dir = repo.common_dir().join("rollback");
        let resource = dir.join("operation");
        let timeout = repo
            .git
            .config_snapshot()
            .integer(LOCK_TIMEOUT_KEY)
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(LOCK_TIMEOUT_DEFAULT_MS);
        let mode = if timeout == 0 {
            gix::lock::acquire::Fail::Immediately
        } else {
            gix::lock::acquire::Fail::AfterDurationWithBackoff(Duration::from_millis(timeout))
        };
        match gix::lock::File::acquire_to_update_resource(
            &resource,
            mode,
            Some(repo.common_dir()),
            0,
        ) {
            Ok(mut file) => {
                let holder = format!("pid {} running `{what}`\n", std::process::id());
                file.with_mut(|f| f.write_all(holder.as_bytes()))?;
                Ok(Lock { _file: file })
            }
            Err(_) => {
                let path = dir.join("operation.lock");
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process"
                } else {
                    holder
                };
                let error = Error::refused(format!(
                    "another git-rollback operation holds the lock: {holder}"
                ));
                Err(match holder_pid(holder).filter(|pid| !process_exists(*pid)) {
                    Some(pid) => error.hint(format!(
                        "process {pid} is not running (killed?): check `git rollback log`, then remove '{}'",
                        path.display()
                    )),
                    None => error.hint(format!(
                        "wait for it to finish; if no such process is running, remove '{}'",
                        path.display()
                    )),
                })
            }
        }
    }
}

/// The pid in a holder line `pid N running …`.
fn holder_pid(holder: &str) -> Option<i32> {
    holder
        .strip_prefix("pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Whether a process with this pid exists on this machine.
fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
