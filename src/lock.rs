//! One operation at a time per repository: a lock file under the common git
//! dir, shared by all worktrees. A second operation waits a little, then fails
//! naming the holder. The lock file is a gix tempfile, so it is removed on
//! Ctrl-C as well as on normal exit.
//!
//! The lock records who holds it: pid, host, boot id and the process's start
//! time. A lock whose holder is provably dead (same host and boot, and no
//! process with that pid and start time) is what a killed operation left: it
//! is taken over, and the caller is told which operation was interrupted.

use std::io::Write;
use std::time::Duration;

use crate::error::{Error, Hint, Result};
use crate::repo::Repo;

/// `git config rollback.lockTimeout`: how long to wait for the lock, in milliseconds.
pub const LOCK_TIMEOUT_KEY: &str = "rollback.lockTimeout";
pub const LOCK_TIMEOUT_DEFAULT_MS: u64 = 3000;

/// Held while an operation runs; released on drop.
pub struct Lock {
    _file: gix::lock::File,
    /// When the lock was taken over from a dead holder: what it was running.
    pub took_over: Option<String>,
    /// git's own lock files the dead holder left, removed at takeover.
    pub removed: Vec<std::path::PathBuf>,
}

/// Who holds the lock, as its file says.
#[derive(Debug, PartialEq)]
struct Holder {
    pid: i32,
    what: String,
    host: Option<String>,
    boot: Option<String>,
    start: Option<u64>,
    /// When it took the lock (microseconds since the epoch): git lock
    /// files no older than this that it could have held are its own.
    since: Option<u64>,
    /// The git dir it ran in (its worktree's: `index.lock`, `HEAD.lock`).
    git_dir: Option<std::path::PathBuf>,
}

impl Holder {
    fn me(what: &str, git_dir: &std::path::Path) -> Holder {
        let pid = std::process::id() as i32;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .ok();
        Holder {
            pid,
            what: what.to_owned(),
            host: host(),
            boot: boot_id(),
            start: start_time(pid),
            since: now,
            git_dir: Some(std::fs::canonicalize(git_dir).unwrap_or_else(|_| git_dir.to_owned())),
        }
    }

    fn to_text(&self) -> String {
        let mut text = format!("pid {} running `{}`\n", self.pid, self.what);
        for (key, value) in [
            ("host", self.host.clone()),
            ("boot", self.boot.clone()),
            ("start", self.start.map(|s| s.to_string())),
            ("since", self.since.map(|s| s.to_string())),
            (
                "gitdir",
                self.git_dir
                    .as_ref()
                    .map(|d| d.to_string_lossy().into_owned()),
            ),
        ] {
            if let Some(value) = value {
                text.push_str(&format!("{key} {value}\n"));
            }
        }
        text
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut lines = text.lines();
        let first = lines.next()?;
        let rest = first.strip_prefix("pid ")?;
        let (pid, what) = rest.split_once(" running ")?;
        let mut holder = Holder {
            pid: pid.parse().ok()?,
            what: what.trim_matches('`').to_owned(),
            host: None,
            boot: None,
            start: None,
            since: None,
            git_dir: None,
        };
        for line in lines {
            match line.split_once(' ') {
                Some(("host", v)) => holder.host = Some(v.to_owned()),
                Some(("boot", v)) => holder.boot = Some(v.to_owned()),
                Some(("start", v)) => holder.start = v.parse().ok(),
                Some(("since", v)) => holder.since = v.parse().ok(),
                Some(("gitdir", v)) => holder.git_dir = Some(v.into()),
                _ => {}
            }
        }
        Some(holder)
    }

    /// Dead for certain: it ran on this host since this boot, and no process
    /// with its pid and start time exists. A lock without that record (an
    /// older build, another host) is never assumed dead.
    fn is_provably_dead(&self) -> bool {
        let (Some(host), Some(boot), Some(start)) = (&self.host, &self.boot, self.start) else {
            return false;
        };
        if Some(host) != crate::lock::host().as_ref() || Some(boot) != boot_id().as_ref() {
            return false;
        }
        !process_exists(self.pid) || start_time(self.pid) != Some(start)
    }
}

impl Lock {
    /// Take the repository lock for `what` (the command line, shown to a waiting operation).
    pub fn acquire(repo: &Repo, what: &str) -> Result<Lock> {
        let dir = repo.rollback_dir();
        let resource = dir.join("operation");
        let path = dir.join("operation.lock");
        let timeout =
            crate::config::git_number(repo, LOCK_TIMEOUT_KEY)?.unwrap_or(LOCK_TIMEOUT_DEFAULT_MS);
        let take = |mode| {
            gix::lock::File::acquire_to_update_resource(
                &resource,
                mode,
                Some(repo.common_dir().to_owned()),
                0,
            )
        };
        // A lock left by a killed operation is taken over at once.
        let stale = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| Holder::parse(&text))
            .filter(Holder::is_provably_dead);
        let mut took_over = None;
        let mut removed = Vec::new();
        if let Some(holder) = stale {
            // git's lock files it left go first: if one cannot be proven
            // its own, the dead holder's lock stays and the user is told.
            removed = remove_git_locks(repo, &holder)?;
            if std::fs::remove_file(&path).is_ok() {
                took_over = Some(holder.what);
            }
        }
        let mode = if timeout == 0 {
            gix::lock::acquire::Fail::Immediately
        } else {
            gix::lock::acquire::Fail::AfterDurationWithBackoff(Duration::from_millis(timeout))
        };
        match take(mode) {
            Ok(mut file) => {
                let holder = Holder::me(what, repo.git_dir()).to_text();
                file.with_mut(|f| f.write_all(holder.as_bytes()))?;
                Ok(Lock {
                    _file: file,
                    took_over,
                    removed,
                })
            }
            Err(_) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = text.lines().next().unwrap_or_default().trim();
                let holder = if holder.is_empty() {
                    "another process"
                } else {
                    holder
                };
                let error = Error::refused(format!(
                    "another git-rollback operation holds the lock: {holder}"
                ));
                Err(
                    match Holder::parse(&text).filter(|h| !process_exists(h.pid)) {
                        Some(h) => error.hint(Hint::LockOfAnotherHost {
                            pid: h.pid,
                            path: path.clone(),
                        }),
                        None => error.hint(Hint::LockHeld { path: path.clone() }),
                    },
                )
            }
        }
    }
}

/// The lock files of git's kind that an operation may hold: the index and
/// HEAD of its worktree, and under the common dir the refs it moves (a
/// branch, the ledger's notes, its snapshot refs, checkpoint tags) and
/// `packed-refs`.
fn git_locks(common: &std::path::Path, git_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for candidate in [
        git_dir.join("index.lock"),
        git_dir.join("HEAD.lock"),
        common.join("HEAD.lock"),
        common.join("packed-refs.lock"),
    ] {
        if candidate.symlink_metadata().is_ok() && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    for dir in [
        "refs/heads",
        "refs/notes",
        "refs/rollback",
        "refs/tags/checkpoint",
    ] {
        for entry in walkdir::WalkDir::new(common.join(dir))
            .into_iter()
            .filter_map(|e| e.ok())
        {
            if entry.file_type().is_file() && entry.file_name().to_string_lossy().ends_with(".lock")
            {
                found.push(entry.into_path());
            }
        }
    }
    found
}

/// Remove the git lock files a dead holder left: those it could have held
/// and that are no older than its lock. Any other one (older: not its own)
/// is refused by name, with the command to remove it, and nothing is removed.
fn remove_git_locks(repo: &Repo, holder: &Holder) -> Result<Vec<std::path::PathBuf>> {
    let git_dir = holder
        .git_dir
        .clone()
        .unwrap_or_else(|| repo.git_dir().to_owned());
    let locks = git_locks(repo.common_dir(), &git_dir);
    let since = holder.since.unwrap_or(u64::MAX);
    let mtime = |path: &std::path::Path| {
        path.symlink_metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as u64)
    };
    // File times may be coarser than the recorded time: a second's slack.
    let (own, other): (Vec<_>, Vec<_>) = locks
        .into_iter()
        .partition(|lock| mtime(lock).is_some_and(|t| t.saturating_add(1_000_000) >= since));
    if !other.is_empty() {
        let names: Vec<String> = other.iter().map(|p| format!("'{}'", p.display())).collect();
        return Err(Error::refused(format!(
            "an interrupted `{}` left the operation lock, and git lock files older than it exist: {}",
            holder.what,
            names.join(", ")
        ))
        .hint(Hint::RemoveOldGitLocks { names }));
    }
    for lock in &own {
        std::fs::remove_file(lock)
            .map_err(|e| crate::error::io(e, format!("removing '{}'", lock.display())))?;
    }
    Ok(own)
}

/// This host's name.
fn host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// This boot's id: changes at every boot, so a pid from before a reboot is
/// never mistaken for a live one.
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
}

/// When the process `pid` started (clock ticks since boot): with the pid,
/// it names one process, whatever reuses the pid later.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a process with this pid exists on this machine.
fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::Holder;

    #[test]
    fn a_holder_reads_back_and_only_a_recorded_dead_one_is_dead() {
        let me = Holder::me("to base", std::path::Path::new("/repo/.git"));
        let read = Holder::parse(&me.to_text()).unwrap();
        assert_eq!(read, me);
        assert!(!read.is_provably_dead(), "this process is alive");
        let gone = Holder {
            pid: i32::MAX - 7,
            ..Holder::parse(&me.to_text()).unwrap()
        };
        assert!(gone.is_provably_dead());
        let reused = Holder {
            start: me.start.map(|s| s + 1),
            ..Holder::parse(&me.to_text()).unwrap()
        };
        assert!(reused.is_provably_dead(), "same pid, another process");
        let legacy = Holder::parse("pid 4242 running `to`\n").unwrap();
        assert!(
            !legacy.is_provably_dead(),
            "nothing recorded: never assumed dead"
        );
        let elsewhere = Holder {
            host: Some("another-host".into()),
            ..gone
        };
        assert!(!elsewhere.is_provably_dead());
    }
}
