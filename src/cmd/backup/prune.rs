//! `git rollback backup prune`: delete all but the newest backups, keeping
//! those tied to a checkpoint that still exists.

use git_rollback::{backup, config, Result};

use crate::cmd::backups::Summary;
use crate::cmd::Context;
use crate::ui::{Report, Ui};

/// Delete old backups, keeping the newest N.
///
/// A backup taken with a checkpoint (`checkpoint --backup`) is kept while that
/// checkpoint exists, unless --force.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many to keep (default: [backup] keep, else 10)
    #[arg(long, value_name = "N")]
    pub keep: Option<u32>,

    /// Print what would be deleted and delete nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Delete backups tied to checkpoints too
    #[arg(short, long)]
    pub force: bool,
}

#[derive(serde::Serialize)]
pub struct Pruned {
    dry_run: bool,
    deleted: Vec<Summary>,
    kept_for_checkpoints: Vec<Summary>,
}

impl Report for Pruned {
    fn human(&self) -> String {
        let verb = if self.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        let mut out = String::new();
        for s in &self.deleted {
            out.push_str(&format!("{verb} {}\n", s.id));
        }
        for s in &self.kept_for_checkpoints {
            out.push_str(&format!(
                "kept {} (checkpoint {}; --force deletes it)\n",
                s.id,
                s.checkpoint.as_deref().unwrap_or_default()
            ));
        }
        if out.is_empty() {
            out.push_str("nothing to prune\n");
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "backup prune", ui)?;
    let settings = config::load(&repo)?;
    let dir = backup::dir(&repo, &settings);
    let all = backup::list(&dir)?;
    let keep = args.keep.unwrap_or(settings.backup_keep) as usize;
    let (delete, protected) = backup::prune_candidates(&repo, &all, keep, args.force)?;
    if !args.dry_run {
        for manifest in &delete {
            backup::delete(&dir, &manifest.id)?;
        }
    }
    ui.print(&Pruned {
        dry_run: args.dry_run,
        deleted: delete.iter().map(Summary::from).collect(),
        kept_for_checkpoints: protected.iter().map(Summary::from).collect(),
    })
}
