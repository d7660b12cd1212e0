//! `git rollback show`: one checkpoint's metadata and what it holds vs HEAD.

use git_rollback::checkpoint::{self, Checkpoint};
use git_rollback::ledger::{self, Event};
use git_rollback::operation::{describe_plan, PathPlan};
use git_rollback::snapshot::{self, State};
use git_rollback::Result;

use super::{count, short, Context};
use crate::ui::{Report, Ui};

/// Show a checkpoint: its metadata, its events, and how it differs from HEAD and from the work tree.
///
/// The first path list is what `git rollback to CHECKPOINT` would change
/// starting from a clean HEAD; the second what it would change now, from
/// the work tree and index as they are (`to CHECKPOINT --dry-run`).
/// `git rollback diff CHECKPOINT` shows the changes line by line.
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
    changes_from_worktree: Vec<PathPlan>,
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
        if !self.events.is_empty() {
            out.push('\n');
        }
        for event in &self.events {
            out.push_str(&event.human());
        }
        if self.changes_from_head.is_empty() {
            out.push_str("\nSame content as HEAD.\n");
        } else {
            out.push_str(&format!(
                "\nDiffers from HEAD ({}) in {}:\n",
                short(&c.head),
                count(self.changes_from_head.len(), "path")
            ));
            for path in &self.changes_from_head {
                out.push_str(&format!("  {:<8} {}\n", path.worktree, path.path));
            }
        }
        if self.changes_from_worktree.is_empty() {
            out.push_str("\nThe work tree and index are as at the checkpoint.\n");
        } else {
            out.push_str(&format!(
                "\nDiffers from the work tree and index in {}:\n  {:<8} {:<7} PATH\n",
                count(self.changes_from_worktree.len(), "path"),
                "WORKTREE",
                "INDEX"
            ));
            for path in &self.changes_from_worktree {
                out.push_str(&format!(
                    "  {:<8} {:<7} {}\n",
                    path.worktree, path.index, path.path
                ));
            }
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let checkpoint = checkpoint::resolve(&repo, &args.checkpoint)?;
    let head = State::of_commit(&repo, repo.head()?.oid()?)?;
    let state = checkpoint.state(&repo)?;
    let plan = snapshot::plan(&repo, &head, &state, None)?;
    // The work tree as it is now (the capture writes objects only, as
    // `git stash create` does, and changes nothing).
    let now = snapshot::capture(&repo, None, Some(state.worktree_tree), None)?;
    let from_worktree = snapshot::plan(&repo, &now.state, &state, None)?;
    let events = ledger::read_all(&repo)?
        .into_iter()
        .filter(|e| e.checkpoint.as_deref() == Some(checkpoint.name()))
        .collect();
    ui.print(&Shown {
        changes_from_head: describe_plan(&plan),
        changes_from_worktree: describe_plan(&from_worktree),
        checkpoint,
        events,
    })
}
