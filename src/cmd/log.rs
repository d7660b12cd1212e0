//! `git rollback log`: the operation history from the ledger, newest first.

use git_rollback::ledger::Kind;
use git_rollback::ledger::{self, Event};
use git_rollback::operation::{self, Finished};
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

/// An event as `log` shows it: with, for an operation this worktree has
/// undone (and not redone), the undo that reverted it.
#[derive(serde::Serialize)]
struct Logged<'a> {
    #[serde(flatten)]
    event: &'a Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    undone_by: Option<&'a str>,
}

impl Report for Logged<'_> {
    fn human(&self) -> String {
        let line = self.event.human();
        match self.undone_by {
            Some(undo) => format!("{}  (undone by {undo})\n", line.trim_end()),
            None => line,
        }
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let events = ledger::read_all(&repo)?;
    let history = operation::history(&repo, &events)?;
    let in_effect: std::collections::HashSet<&str> =
        history.done.iter().map(|e| e.id.as_str()).collect();
    // The undo that reverted each operation no longer in effect.
    let undone_by = |event: &Event| -> Option<&str> {
        if in_effect.contains(event.id.as_str()) || !event.is_undoable() {
            return None;
        }
        // Events are newest first: the latest undo of it.
        events
            .iter()
            .find(|e| e.kind == Kind::Undo && e.undoes.as_deref() == Some(event.id.as_str()))
            .map(|undo| undo.id.as_str())
    };
    let shown: Vec<Logged> = events
        .iter()
        .take(args.max_count.unwrap_or(usize::MAX))
        .map(|event| Logged {
            event,
            undone_by: if matches!(event.kind, Kind::Undo | Kind::Redo) {
                None
            } else {
                undone_by(event)
            },
        })
        .collect();
    ui.print(&shown)
}
