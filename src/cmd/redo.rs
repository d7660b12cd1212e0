//! `git rollback redo`: re-apply what the last `undo` reverted.

use git_rollback::ledger::{self, Kind};
use git_rollback::operation;
use git_rollback::Result;

use super::Context;
use crate::ui::Ui;

/// Re-apply what the last undo reverted
///
/// After one or more `git rollback undo`, each `redo` re-applies the most
/// recently undone operation, in reverse order of the undos. A new operation
/// that changes the work tree, the index or HEAD ends the chain: there is
/// then nothing to redo. Like every operation, redo saves the current state
/// first, so `git rollback undo` reverses it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "redo", ui)?;
    let events = ledger::read_all(&repo)?;
    let undo = operation::redo_target(&repo, &events)?;
    let mut request = operation::reverse(&repo, undo, Kind::Redo)?;
    // What is re-applied is the operation the undo reverted.
    if let Some(operation) = undo
        .undoes
        .as_deref()
        .and_then(|id| ledger::find(&events, id))
    {
        request.subject = Some(operation::describe(operation));
    }
    request.dry_run = args.dry_run;
    ui.print(&operation::run(&repo, request)?)
}
