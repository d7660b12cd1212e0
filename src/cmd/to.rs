//! `git rollback to`: full rollback to a checkpoint.

use git_rollback::ledger::Kind;
use git_rollback::operation::{self, HeadAfter, Request, Target};
use git_rollback::Result;
use git_rollback::{checkpoint, config};

use super::Context;
use crate::ui::Ui;

/// Roll HEAD, the index and the work tree back to a checkpoint
///
/// First saves everything it will replace (staged, unstaged and untracked
/// files) as a safety snapshot; then the current branch moves to the
/// checkpoint's commit and the index and work tree become exactly what they
/// were at checkpoint time: staged changes staged again, unstaged changes
/// unstaged, its untracked files present, files it did not have removed.
/// Ignored files are left alone. Undo with `git rollback undo`.
///
/// Examples:
///   git rollback to sprint-3 --dry-run
///   git rollback to stable --reason "error rate 7%" --severity critical
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The checkpoint to roll back to
    pub checkpoint: String,

    #[command(flatten)]
    pub incident: super::Incident,

    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Detach HEAD at the checkpoint's commit instead of moving the current branch
    #[arg(long)]
    pub detach: bool,

    /// Do not run the `verify` command afterwards
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "to", ui)?;
    let checkpoint = checkpoint::resolve(&repo, &args.checkpoint)?;
    let settings = config::load(&repo)?;
    if let (Some(current), Some(made_on), false) = (
        repo.head()?.branch,
        checkpoint::made_on(&repo, &checkpoint)?,
        args.detach,
    ) {
        if current != made_on {
            let short = |b: &str| b.strip_prefix("refs/heads/").unwrap_or(b).to_owned();
            ui.warn(&format!(
                "checkpoint '{}' was made on branch '{}'; this moves '{}' to it \
                 (use --detach to look without moving a branch; `git rollback undo` reverses)",
                checkpoint.id,
                short(&made_on),
                short(&current)
            ));
        }
    }
    let head_after = if args.detach {
        HeadAfter::Detach
    } else {
        HeadAfter::MoveCurrent
    };
    let mut request = Request::new(
        Kind::To,
        Target::State(checkpoint.state(&repo)?),
        head_after,
    );
    request.checkpoint = Some(checkpoint.id.clone());
    (request.reason, request.severity) = args.incident.into_parts();
    request.checks = super::verify_checks(settings.verify.as_deref(), args.no_verify);
    request.dry_run = args.dry_run;
    request.steps = args.steps.pick(&settings.steps);
    let outcome = operation::run(&repo, request)?;
    ui.print(&outcome)?;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
}
