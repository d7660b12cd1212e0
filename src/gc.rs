//! Retention: safety snapshots (and the copies in the saved-files area)
//! expire after a while, so they do not pile up without bound. Checkpoints,
//! backups and the ledger's events are never expired here; the snapshots the
//! newest operations need for `undo` and `redo` never are either.
//!
//! Which operations were expired is remembered locally (never in the shared
//! ledger), so that `undo` of one says why it cannot.

use serde::Serialize;

use crate::error::{Context, Result};
use crate::ledger::{self, Event};
use crate::operation::{self, SNAPSHOT_REFS};
use crate::repo::Repo;

/// `git config rollback.snapshotKeepDays`: how many days safety snapshots are kept.
pub const KEEP_DAYS_KEY: &str = "rollback.snapshotKeepDays";
pub const KEEP_DAYS_DEFAULT: u64 = 30;
/// How many of the newest operations in effect keep their snapshots whatever their age.
pub const KEEP_DEFAULT: usize = 10;

/// What [`collect`] expired (or, with `dry_run`, would expire).
#[derive(Debug, Serialize)]
pub struct Collected {
    pub dry_run: bool,
    /// The operations whose safety snapshots expire, oldest first.
    pub expired: Vec<Expired>,
    /// How many safety snapshots are kept.
    pub kept: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Expired {
    pub id: String,
    pub kind: String,
    pub at: String,
}

/// The file listing the operations whose snapshots were expired here.
fn expired_list(repo: &Repo) -> std::path::PathBuf {
    repo.rollback_dir().join("expired")
}

/// When the safety snapshot of operation `id` was expired here, if it was.
pub fn expired_on(repo: &Repo, id: &str) -> Option<String> {
    let text = std::fs::read_to_string(expired_list(repo)).ok()?;
    text.lines().find_map(|line| {
        let (expired, on) = line.split_once(' ')?;
        (expired == id).then(|| on.to_owned())
    })
}

/// Expire the safety snapshots of operations older than `keep_days` days,
/// except the `keep` newest operations in effect and every undo that `redo`
/// may still reverse.
pub fn collect(repo: &Repo, keep_days: u64, keep: usize, dry_run: bool) -> Result<Collected> {
    let events = ledger::read_all(repo)?;
    let history = operation::history(repo, &events)?;
    let mut protected: std::collections::HashSet<&str> = history
        .done
        .iter()
        .rev()
        .take(keep)
        .map(|e| e.id.as_str())
        .collect();
    protected.extend(history.redo.iter().map(|e| e.id.as_str()));
    let cutoff = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * keep_days as i64);
    let by_id: std::collections::HashMap<&str, &Event> =
        events.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut expired = Vec::new();
    let mut kept = 0;
    for reference in repo.git.references()?.prefixed(SNAPSHOT_REFS)? {
        let reference = reference.map_err(|e| crate::Error::failed(e.to_string()))?;
        let name = reference.name().as_bstr().to_string();
        let id = name.trim_start_matches(SNAPSHOT_REFS).to_owned();
        let old = by_id
            .get(id.as_str())
            .and_then(|e| e.at.parse::<jiff::Timestamp>().ok())
            .is_some_and(|at| at < cutoff);
        if old && !protected.contains(id.as_str()) {
            let event = by_id[id.as_str()];
            expired.push(Expired {
                id,
                kind: event.kind.to_string(),
                at: event.at.clone(),
            });
        } else {
            kept += 1;
        }
    }
    expired.sort_by(|a, b| a.at.cmp(&b.at));
    if !dry_run {
        let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
        let mut list = std::fs::read_to_string(expired_list(repo)).unwrap_or_default();
        for gone in &expired {
            let name = format!("{SNAPSHOT_REFS}{}", gone.id);
            if let Some(reference) = repo.git.try_find_reference(name.as_str())? {
                reference.delete().context(format!("deleting {name}"))?;
            }
            let saved = operation::saved_dir(repo, &gone.id)?;
            match std::fs::remove_dir_all(&saved) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    return Err(crate::error::io(
                        err,
                        format!("removing '{}'", saved.display()),
                    ))
                }
                _ => {}
            }
            list.push_str(&format!("{} {today}\n", gone.id));
        }
        if !expired.is_empty() {
            std::fs::write(expired_list(repo), list)
                .map_err(|e| crate::error::io(e, "recording the expired snapshots"))?;
        }
    }
    Ok(Collected {
        dry_run,
        expired,
        kept,
    })
}
