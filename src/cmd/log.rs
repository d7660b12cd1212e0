//! `git rollback log`: the operation history from the ledger, newest first.

use git_rollback::ledger::Kind;
use git_rollback::ledger::{self, Event};
use git_rollback::operation::Finished;
use git_rollback::Result;

use super::Context;
use crate::ui::{Report, Ui};

/// Show the operation history, newest first.
///
/// Every checkpoint, rollback and undo is recorded as a JSON line in the git
/// notes under refs/notes/rollback. Use an operation's id with
/// `git rollback undo <id>`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show at most N operations
    #[arg(short = 'n', long, value_name = "N")]
    pub max_count: Option<usize>,
}

impl Report for Event {
    fn human(&self) -> String {
        if let Some(finished) = self
            .details_as::<Finished>()
            .filter(|_| self.kind == Kind::Result)
        {
            let failed = finished.checks.iter().filter(|c| !c.ok).count();
            return format!(
                "{}  {}  result     of {}: restored in {} ms{}\n",
                self.id,
                self.at,
                finished.operation,
                finished.duration_ms,
                if failed > 0 {
                    format!(", {failed} check(s) FAILED")
                } else {
                    String::new()
                }
            );
        }
        let mut line = format!("{}  {}  {:<10}", self.id, self.at, self.kind);
        if let Some(checkpoint) = &self.checkpoint {
            line.push_str(&format!(" {checkpoint}"));
        }
        if let Some(undoes) = &self.undoes {
            line.push_str(&format!(" (undoes {undoes})"));
        }
        if let Some(severity) = &self.severity {
            line.push_str(&format!(" [{severity}]"));
        }
        if let Some(reason) = &self.reason {
            line.push_str(&format!(" \"{reason}\""));
        }
        line.push_str(&format!("  by {}\n", self.by));
        line
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let mut events = ledger::read_all(&repo)?;
    if let Some(n) = args.max_count {
        events.truncate(n);
    }
    ui.print(&events)
}
