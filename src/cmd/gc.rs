//! `git rollback gc`: expire old safety snapshots.

use git_rollback::gc::{self, Collected, KEEP_DAYS_DEFAULT, KEEP_DAYS_KEY, KEEP_DEFAULT};
use git_rollback::Result;

use super::Context;
use crate::ui::{Report, Ui};

/// Expire safety snapshots older than the retention policy
///
/// Every operation keeps a safety snapshot (refs/rollback/snapshots/<id>)
/// and, for some, copies of files under $GIT_DIR/rollback/saved/<id>/. gc
/// removes those of operations older than --keep-days (default: git config
/// rollback.snapshotKeepDays, else 30), except the --keep newest operations
/// in effect and every undo that redo may still reverse. Checkpoints,
/// backups and the operation log are never removed; an expired operation
/// can no longer be undone, and undo says so.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep snapshots of operations younger than N days
    #[arg(long, value_name = "N")]
    pub keep_days: Option<u64>,

    /// Always keep the snapshots of the N newest operations in effect
    #[arg(long, value_name = "N", default_value_t = KEEP_DEFAULT)]
    pub keep: usize,

    /// List what would be expired and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

impl Report for Collected {
    fn human(&self) -> String {
        let verb = if self.dry_run {
            "Would expire"
        } else {
            "Expired"
        };
        let mut out = format!(
            "{verb} {} safety snapshot(s), kept {}\n",
            self.expired.len(),
            self.kept
        );
        for gone in &self.expired {
            out.push_str(&format!("  {}  {}  {}\n", gone.id, gone.at, gone.kind));
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "gc", ui)?;
    let keep_days = match args.keep_days {
        Some(days) => days,
        None => {
            git_rollback::config::git_number(&repo, KEEP_DAYS_KEY)?.unwrap_or(KEEP_DAYS_DEFAULT)
        }
    };
    ui.print(&gc::collect(&repo, keep_days, args.keep, args.dry_run)?)
}
