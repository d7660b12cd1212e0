//! `git rollback undo`: reverse an operation from its safety snapshot.

use git_rollback::ledger;
use git_rollback::ledger::Kind;
use git_rollback::operation::{self, Applied, HeadAfter, Request, Target};
use git_rollback::pathspec::PathSpec;
use git_rollback::snapshot::State;
use git_rollback::{Error, Result};

use super::Context;
use crate::ui::Ui;

/// Undo the last operation (or the one named).
///
/// Restores HEAD, the branch, the index and the work tree (untracked files
/// included) to exactly what they were before the operation, from the safety
/// snapshot it saved. An undo is itself an operation: undo it to redo.
///
/// Only operations made in this clone and this worktree can be undone here:
/// events that arrived with another clone's ledger, or that name a HEAD
/// which is not a branch or commits that do not exist, are refused. Files
/// no snapshot holds exactly (ignored files an operation rewrote, files a
/// filter would not give back byte for byte) come back from the copies kept
/// under $GIT_DIR/rollback/saved/.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The operation id from `git rollback log` (default: the last operation of this worktree that changed anything)
    pub operation: Option<String>,

    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "undo", ui)?;
    let events = ledger::read_all(&repo)?;
    let event = operation::undo_target(&repo, &events, args.operation.as_deref())?;
    let snapshot = event.snapshot.as_deref().unwrap_or_default();
    let snapshot = gix::ObjectId::from_hex(snapshot.as_bytes()).map_err(|_| {
        Error::failed(format!(
            "operation '{}' names an invalid snapshot '{snapshot}'",
            event.id
        ))
    })?;
    let head = event
        .head_before
        .clone()
        .ok_or_else(|| Error::failed(format!("operation '{}' did not record HEAD", event.id)))?;
    let mut request = Request::new(
        Kind::Undo,
        Target::State(State::of_commit(&repo, snapshot)?),
        HeadAfter::Exactly(head),
    );
    request.undoes = Some(event.id.clone());
    // An operation limited to some paths saved only those: undo only those.
    request.only = event
        .details_as::<Applied>()
        .and_then(|applied| applied.only)
        .map(PathSpec::new);
    request.write_exact = operation::saved_writes(&repo, event)?;
    request.dry_run = args.dry_run;
    let outcome = operation::run(&repo, request)?;
    ui.print(&outcome)
}
