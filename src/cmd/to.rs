//! `git rollback to`: full rollback to a checkpoint.

use git_rollback::checkpoint;
use git_rollback::lock::Lock;
use git_rollback::operation::{self, HeadAfter, Outcome, Request};
use git_rollback::Result;

use super::{short, Context, Severity};
use crate::ui::{Report, Ui};

/// Roll HEAD, the index and the work tree back to a checkpoint.
///
/// First saves everything it will replace (staged, unstaged and untracked
/// files) as a safety snapshot; then the current branch moves to the
/// checkpoint's commit and the index and work tree become exactly what they
/// were at checkpoint time: staged changes staged again, unstaged changes
/// unstaged, its untracked files present, files it did not have removed.
/// Ignored files are left alone. Undo with `git rollback undo`.
///
/// Examples:
///   git rollback to sprint-3 --dry-run
///   git rollback to stable --reason "error rate 7%" --severity critical
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The checkpoint to roll back to
    pub checkpoint: String,

    /// Why (recorded in the operation log and incident reports)
    #[arg(long)]
    pub reason: Option<String>,

    /// How severe the incident is
    #[arg(long, value_enum)]
    pub severity: Option<Severity>,

    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Detach HEAD at the checkpoint's commit instead of moving the current branch
    #[arg(long)]
    pub detach: bool,
}

impl Report for Outcome {
    fn human(&self) -> String {
        let subject = self
            .checkpoint
            .as_deref()
            .or(self.undoes.as_deref())
            .unwrap_or_default();
        let (would, did) = match self.kind.as_str() {
            "to" => ("roll back to", "Rolled back to"),
            "undo" => ("undo", "Undid"),
            other => (other, other),
        };
        let mut out = String::new();
        if self.dry_run {
            out.push_str(&format!(
                "Would {would} {subject}: {} to restore, {} to delete, HEAD {} {} -> {}\n",
                self.restored,
                self.deleted,
                self.head_before.describe(),
                short(&self.head_before.oid),
                short(&self.head_after.oid)
            ));
            for path in &self.plan {
                out.push_str(&format!(
                    "  {:<8} {:<7} {}\n",
                    path.worktree, path.index, path.path
                ));
            }
            out.push_str("(dry run: nothing changed)\n");
            return out;
        }
        out.push_str(&format!(
            "{did} {subject} ({} restored, {} deleted); HEAD {} {} -> {}\n",
            self.restored,
            self.deleted,
            self.head_after.describe(),
            short(&self.head_before.oid),
            short(&self.head_after.oid)
        ));
        if let (Some(id), Some(snapshot)) = (&self.id, &self.snapshot) {
            out.push_str(&format!(
                "The previous state is saved as {}; undo with: git rollback undo {id}\n",
                short(snapshot)
            ));
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = Lock::acquire(&repo, "to")?;
    let checkpoint = checkpoint::resolve(&repo, &args.checkpoint)?;
    let outcome = operation::run(
        &repo,
        Request {
            kind: "to".into(),
            target: checkpoint.state(&repo)?,
            head_after: if args.detach {
                HeadAfter::Detach
            } else {
                HeadAfter::MoveCurrent
            },
            checkpoint: Some(checkpoint.id.clone()),
            reason: args.reason,
            severity: args.severity.map(|s| s.as_str().to_owned()),
            undoes: None,
            dry_run: args.dry_run,
        },
    )?;
    ui.print(&outcome)
}
