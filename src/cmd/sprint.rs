//! `git rollback sprint N`: back out a failed sprint and start it again.

use git_rollback::sprint::{self, BackedOut, Options};
use git_rollback::{config, Result};

use super::Context;
use crate::ui::Ui;

/// Back out sprint N: save all its work, return to its start, retry on a new branch
///
/// The sprint's start is the checkpoint sprint-N (`git rollback checkpoint
/// --sprint N`). In order:
///   1. a failure report is recorded: the commits since the start, the files
///      changed with line counts, the verify command's result, the branch and
///      the reason;
///   2. all work (commits, staged, unstaged and untracked files) is saved on
///      backup/sprint-N-<timestamp>; the current branch does not move;
///   3. a new branch refactor/sprint-N-retry (numbered if it exists) is
///      checked out at the sprint's start with a clean work tree.
///
/// Branch names come from [sprint] in .rollback.toml or rollback.retryBranch /
/// rollback.backupBranch. `git rollback undo` returns to the original branch
/// with every file as it was.
///
/// Example:
///   git rollback sprint 3 --reason "tests failing" --severity high
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The sprint number
    pub sprint: u32,

    #[command(flatten)]
    pub incident: super::Incident,

    /// Print what would happen and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Do not run the verify command
    #[arg(long)]
    pub no_test: bool,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "sprint", ui)?;
    let settings = config::load(&repo)?;
    let (reason, severity) = args.incident.into_parts();
    let backed_out = sprint::back_out(
        &repo,
        &settings,
        args.sprint,
        Options {
            dry_run: args.dry_run,
            reason,
            severity,
            verify: super::verify_checks(settings.verify.as_deref(), args.no_test)
                .into_iter()
                .next(),
            steps: args.steps.pick(&settings.steps),
        },
    )?;
    ui.print(&backed_out)?;
    let outcome = &backed_out.outcome;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
}

impl crate::ui::Report for BackedOut {
    fn human(&self) -> String {
        fn short(name: &str) -> &str {
            name.strip_prefix("refs/heads/").unwrap_or(name)
        }
        let verb = if self.outcome.dry_run {
            "Would save"
        } else {
            "Saved"
        };
        format!(
            "{}{verb} the sprint's work ({} commit(s), {} file(s) changed, uncommitted and untracked files included) on {}\n{} {}\n",
            crate::ui::Report::human(&self.outcome),
            self.commits,
            self.files,
            short(&self.backup_branch),
            if self.outcome.dry_run { "Would retry on" } else { "Retry on" },
            short(&self.retry_branch),
        )
    }
}
