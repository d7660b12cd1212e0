//! `git rollback recover`: bring the good commits of a failed branch back.

use git_rollback::recover::{self, Options, Recovered};
use git_rollback::Hint;
use git_rollback::{config, Error, Result};

use super::{short, Context};
use crate::ui::{Report, Ui};

/// Bring the good commits of a failed branch back, onto a new branch
///
/// Lists the commits on BRANCH (e.g. the backup/sprint-N-* branch a sprint
/// saved) that are not in the checkpoint --onto (default:
/// rollback.baseline), then makes recovery/<time> at that checkpoint and
/// cherry-picks the --pick ones onto it (all when none is given), oldest
/// first. On a conflict it stops with git's normal cherry-pick state: resolve
/// and `git cherry-pick --continue`, or `git cherry-pick --abort`. The work
/// tree must have no uncommitted changes to tracked files.
///
/// Examples:
///   git rollback recover backup/sprint-3-20261123-101500 --onto sprint-3 --dry-run
///   git rollback recover backup/sprint-3-20261123-101500 --onto sprint-3 --pick 1a2b3c4 5d6e7f8
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The branch (or commit) to recover commits from
    pub branch: String,

    /// The checkpoint to build on (default: rollback.baseline)
    #[arg(long, value_name = "CHECKPOINT")]
    pub onto: Option<String>,

    /// The commits to take (default: all)
    #[arg(long, value_name = "COMMIT", num_args = 1..)]
    pub pick: Vec<String>,

    /// List the commits and what would be picked; change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

impl Report for Recovered {
    fn human(&self) -> String {
        let mut out = format!(
            "{} commits on {} after checkpoint {}:\n",
            self.commits.len(),
            self.from,
            self.onto
        );
        for commit in &self.commits {
            let mark = if self.picked.iter().any(|c| c.id == commit.id) {
                if self.dry_run {
                    "pick"
                } else {
                    "picked"
                }
            } else if self
                .conflict
                .as_ref()
                .is_some_and(|c| c.commit.id == commit.id)
            {
                "CONFLICT"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {:<8} {} {}\n",
                mark,
                short(&commit.id),
                commit.subject
            ));
        }
        if self.dry_run {
            out.push_str(&format!(
                "Would make {} at {} and pick them\n",
                self.branch, self.onto
            ));
        } else if self.conflict.is_none() {
            out.push_str(&format!(
                "Made {} at {} with {} commit(s); you are on it\n",
                self.branch,
                self.onto,
                self.picked.len()
            ));
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "recover", ui)?;
    let settings = config::load(&repo)?;
    let recovered = recover::recover(
        &repo,
        &settings,
        Options {
            branch: args.branch,
            onto: args.onto,
            pick: args.pick,
            dry_run: args.dry_run,
        },
    )?;
    ui.print(&recovered)?;
    match &recovered.conflict {
        None => Ok(()),
        Some(conflict) => Err(Error::failed(format!(
            "picking {} ({}) onto {} stopped on a conflict in {}",
            short(&conflict.commit.id),
            conflict.commit.subject,
            recovered.branch,
            conflict.paths.join(", ")
        ))
        .hint(Hint::Worded(
            "resolve the files, `git add` them and run `git cherry-pick --continue`".into(),
        ))
        .hint(Hint::Worded(format!(
            "or give up with `git cherry-pick --abort` (you stay on {}; `git switch -` goes back)",
            recovered.branch
        )))),
    }
}
