//! `git rollback sync`: share checkpoints and the operation log with a remote.

use git_rollback::sync::{self, Direction, Options, Synced};
use git_rollback::Result;

use super::{count, Context};
use crate::ui::{Report, Ui};

/// Share checkpoints and the operation log with a remote
///
/// Fetches the remote's checkpoints (refs/tags/checkpoint/*) and operation
/// log (refs/notes/rollback), merges the two logs so that every event of
/// both sides is kept, takes in the checkpoints this clone lacks, and pushes
/// both back with explicit refspecs (the user's pre-push hooks do not run
/// for it: only these refs move). Where each fetched checkpoint and event
/// came from shows in `list` and `log`.
///
/// A checkpoint whose snapshot holds untracked files is not pushed unless
/// --include-untracked: those files may be meant to stay on this machine.
/// A checkpoint name both sides have for different commits stops the sync
/// before anything changes (exit 3); rename one and sync again. When
/// another clone pushes between our fetch and our push, the sync starts
/// over (up to 5 times); no event is lost either way. A checkpoint deleted
/// or renamed here is not fetched back.
///
/// REMOTE defaults to the current branch's remote, else origin; a URL or a
/// path works too. git does the transfer, so credentials and remote helpers
/// work as they do for `git fetch` and `git push`.
///
/// Examples:
///   git rollback sync
///   git rollback sync upstream --dry-run
///   git rollback sync --fetch-only
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The remote (a name, URL or path)
    pub remote: Option<String>,

    /// Only publish ours; take nothing of the remote's into this clone
    #[arg(long, conflicts_with = "fetch_only")]
    pub push_only: bool,

    /// Only take the remote's; publish nothing
    #[arg(long)]
    pub fetch_only: bool,

    /// Push checkpoints whose snapshot holds untracked files too
    #[arg(long)]
    pub include_untracked: bool,

    /// Say what would travel and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

/// Up to ten names, then how many more.
fn some_of(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(", … {} more", names.len() - SHOWN));
    }
    text
}

impl Report for Synced {
    fn human(&self) -> String {
        let (from, to) = if self.dry_run {
            ("Would fetch from", "Would push to")
        } else {
            ("Fetched from", "Pushed to")
        };
        let mut out = String::new();
        let mut line = |verb: &str, events: usize, checkpoints: &[String]| {
            if events == 0 && checkpoints.is_empty() {
                return;
            }
            let mut text = format!("{verb} {}: {}", self.remote, count(events, "event"));
            if !checkpoints.is_empty() {
                text.push_str(&format!(
                    ", {} ({})",
                    count(checkpoints.len(), "checkpoint"),
                    some_of(checkpoints)
                ));
            }
            out.push_str(&text);
            out.push('\n');
        };
        line(from, self.fetched_events, &self.fetched_checkpoints);
        line(to, self.pushed_events, &self.pushed_checkpoints);
        if out.is_empty() {
            out = format!("Already in sync with {}\n", self.remote);
        }
        if !self.held_back.is_empty() {
            out.push_str(&format!(
                "Held back (their snapshot holds untracked files; --include-untracked pushes them): {}\n",
                some_of(&self.held_back)
            ));
        }
        if !self.deleted_here.is_empty() {
            out.push_str(&format!(
                "Not fetched (deleted or renamed here): {}\n",
                some_of(&self.deleted_here)
            ));
        }
        if self.attempts > 1 {
            out.push_str(&format!(
                "(the remote moved during the sync; took {} rounds)\n",
                self.attempts
            ));
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "sync", ui)?;
    let options = Options {
        remote: args.remote,
        direction: match (args.push_only, args.fetch_only) {
            (true, _) => Direction::PushOnly,
            (_, true) => Direction::FetchOnly,
            _ => Direction::Both,
        },
        include_untracked: args.include_untracked,
        dry_run: args.dry_run,
    };
    ui.print(&sync::sync(&repo, &options)?)
}
