//! `git rollback show`: one checkpoint's metadata and what it holds vs HEAD.

use git_rollback::checkpoint::{self, Checkpoint};
use git_rollback::ledger::{self, Event};
use git_rollback::operation::{describe_plan, PathPlan};
use git_rollback::snapshot::{self, State};
use git_rollback::Result;

use super::{short, Context};
use crate::ui::{Report, Ui};

/// Show a checkpoint: its metadata, its events, and how it differs from HEAD.
///
/// The path list is what `git rollback to CHECKPOINT` would change starting
/// from a clean HEAD: files restored (added, modified or untracked at the
/// checkpoint) and files deleted.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The checkpoint's name
    pub checkpoint: String,
}

#[derive(Debug, serde::Serialize)]
pub struct Shown {
    #[serde(flatten)]
    checkpoint: Checkpoint,
    events: Vec<Event>,
    changes_from_head: Vec<PathPlan>,
}

impl Report for Shown {
    fn human(&self) -> String {
        let c = &self.checkpoint;
        let mut out = format!(
            "checkpoint {}\nref:     {}\ntarget:  {}{}\nhead:    {}\ndate:    {}\nby:      {}\n\n    {}\n",
            c.id,
            c.reference,
            c.target,
            if c.dirty {
                if c.untracked {
                    " (snapshot with staged, unstaged and untracked files)"
                } else {
                    " (snapshot with staged and unstaged changes)"
                }
            } else {
                " (clean)"
            },
            c.head,
            c.at,
            c.by,
            c.message.replace('\n', "\n    ")
        );
        for event in &self.events {
            let details = serde_json::to_string(&event.details).unwrap_or_default();
            out.push_str(&format!(
                "\n{} {} {} {}",
                event.id, event.kind, event.at, details
            ));
        }
        if !self.events.is_empty() {
            out.push('\n');
        }
        if self.changes_from_head.is_empty() {
            out.push_str("\nSame content as HEAD.\n");
        } else {
            out.push_str(&format!(
                "\nDiffers from HEAD ({}) in {} paths:\n",
                short(&c.head),
                self.changes_from_head.len()
            ));
            for path in &self.changes_from_head {
                out.push_str(&format!("  {:<8} {}\n", path.worktree, path.path));
            }
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let checkpoint = checkpoint::resolve(&repo, &args.checkpoint)?;
    let head = State::of_commit(&repo, repo.head()?.oid()?)?;
    let plan = snapshot::plan(&repo, &head, &checkpoint.state(&repo)?)?;
    let events = ledger::read_all(&repo)?
        .into_iter()
        .filter(|e| e.checkpoint.as_deref() == Some(checkpoint.name()))
        .collect();
    ui.print(&Shown {
        changes_from_head: describe_plan(&plan),
        checkpoint,
        events,
    })
}
