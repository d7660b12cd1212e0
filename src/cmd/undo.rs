//! `git rollback undo`: reverse an operation from its safety snapshot.

use git_rollback::ledger::{self, Kind};
use git_rollback::operation;
use git_rollback::Result;

use super::Context;
use crate::ui::Ui;

/// Undo the last operation (or exactly the one named)
///
/// Restores HEAD, the branch, the index and the work tree (untracked files
/// included) to exactly what they were before the operation, from the safety
/// snapshot it saved. Repeating `undo` walks further back, one operation
/// each time; `git rollback redo` re-applies what the undos reverted, until
/// a new operation. `undo OP` reverts exactly that operation. An undo is
/// itself an operation, with its own safety snapshot: nothing changed since
/// is lost.
///
/// Only operations made in this clone and this worktree can be undone here:
/// events that arrived with another clone's ledger, or that name a HEAD
/// which is not a branch or commits that do not exist, are refused. Files
/// no snapshot holds exactly (ignored files an operation rewrote, files a
/// filter would not give back byte for byte) come back from the copies kept
/// under $GIT_DIR/rollback/saved/.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Revert exactly this operation (an id from `git rollback log`); default: the newest operation still in effect in this worktree
    pub operation: Option<String>,

    /// Restore the state from before OP: OP and every later operation still
    /// in effect are reverted at once, as one undo (which redo re-applies)
    #[arg(long, value_name = "OP", conflicts_with = "operation")]
    pub to: Option<String>,

    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "undo", ui)?;
    let events = ledger::read_all(&repo)?;
    let mut request = match &args.to {
        Some(id) => {
            let event = operation::undo_target(&repo, &events, Some(id))?;
            operation::reverse_through(&repo, &events, event)?
        }
        None => {
            let event = operation::undo_target(&repo, &events, args.operation.as_deref())?;
            operation::reverse(&repo, event, Kind::Undo)?
        }
    };
    request.dry_run = args.dry_run;
    ui.print(&operation::run(&repo, request)?)
}
