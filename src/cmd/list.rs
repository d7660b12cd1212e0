//! `git rollback list`: the checkpoints, newest first.

use git_rollback::checkpoint::{self, Checkpoint};
use git_rollback::Result;

use super::{short, Context};
use crate::ui::{Report, Ui};

/// List checkpoints, newest first.
///
/// Shows each checkpoint's name, time, author, whether it holds uncommitted
/// work (dirty) or is a plain commit (clean), and its message; one fetched
/// by `git rollback sync` says from which remote.
#[derive(Debug, clap::Args)]
pub struct Args {}

impl Report for Checkpoint {
    fn human(&self) -> String {
        let first_line = self.message.lines().next().unwrap_or_default();
        let from = match &self.origin {
            Some(remote) => format!("  (from {remote})"),
            None => String::new(),
        };
        format!(
            "{:<24} {}  {}  {:<5}  {}  {}{from}\n",
            self.id,
            self.at,
            short(&self.target),
            if self.dirty { "dirty" } else { "clean" },
            self.by,
            first_line
        )
    }
}

pub fn run(_args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let (mut checkpoints, unreadable) = checkpoint::list_and_unreadable(&repo)?;
    let origins = git_rollback::sync::Origins::load(&repo);
    for checkpoint in &mut checkpoints {
        checkpoint.origin = origins
            .of_checkpoint(checkpoint.name(), &checkpoint.target)
            .map(str::to_owned);
    }
    for err in &unreadable {
        ui.warn(&format!("skipped: {}", err.message));
    }
    ui.print_list(
        &checkpoints,
        "No checkpoints yet; make one with: git rollback checkpoint",
    )
}
