//! `git rollback drill`: practise a rollback in a temporary worktree.

use git_rollback::drill::{self, Drilled, Options};
use git_rollback::Hint;
use git_rollback::{config, Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Practise a rollback in a temporary worktree, timed and recorded
///
/// Adds a linked worktree detached at HEAD (in the system's temporary
/// directory), extracts the checkpoint's backup there when it has one,
/// performs the rollback to CHECKPOINT (default: rollback.baseline, else the
/// newest checkpoint) or of a stage at a level, runs the steps of
/// .rollback.toml and the verify command there, and records it in the log
/// as a `drill` with its recovery time (start of the rollback to the end of
/// verification) and how each check and step went. The worktree is then
/// removed and unregistered (--keep leaves it for a look). Your work tree,
/// index, HEAD and branches are not touched; `stats` and `report` show
/// drills beside real rollbacks. Exits 1 when a check or step fails.
///
/// Examples:
///   git rollback drill stable --verify 'make test'
///   git rollback drill --stage api --level code
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The checkpoint to drill a rollback to
    #[arg(conflicts_with = "stage")]
    pub checkpoint: Option<String>,

    /// Drill the rollback of this stage of .rollback.toml instead
    #[arg(long, value_name = "NAME", requires = "level")]
    pub stage: Option<String>,

    /// The stage's level
    #[arg(long, value_enum, requires = "stage")]
    pub level: Option<super::Level>,

    /// The verify command (default: the stage's, else rollback.verify)
    #[arg(long, value_name = "CMD")]
    pub verify: Option<String>,

    /// Leave the worktree in place (and say how to remove it)
    #[arg(long)]
    pub keep: bool,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

impl Report for Drilled {
    fn human(&self) -> String {
        let what = match (&self.stage, &self.checkpoint) {
            (Some(stage), _) => format!("stage {stage}"),
            (None, Some(checkpoint)) => checkpoint.clone(),
            (None, None) => String::new(),
        };
        let mut out = format!(
            "Drill {}: rolled back to {what} in a temporary worktree ({} restored, {} deleted){}\n",
            self.id,
            self.restored,
            self.deleted,
            match &self.backup {
                Some(id) => format!(", backup {id} extracted first"),
                None => String::new(),
            }
        );
        out.push_str(&super::outcome::checks_and_steps(&self.checks, &self.steps));
        if let Some(ms) = self.recovery_ms {
            out.push_str(&format!("Recovery time: {ms} ms\n"));
        }
        match &self.worktree {
            Some(path) => out.push_str(&format!(
                "Kept the worktree at {path}; remove it with: git worktree remove --force {path}\n"
            )),
            None => out.push_str("The worktree is removed; your work tree was not touched\n"),
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "drill", ui)?;
    let settings = config::load(&repo)?;
    let stage = match (&args.stage, args.level) {
        (Some(name), Some(level)) => Some((name.clone(), level.into_library())),
        _ => None,
    };
    let (verify, steps) = match &stage {
        Some((name, _)) => {
            let found = git_rollback::stage::find(&settings, name)?;
            (
                args.verify
                    .clone()
                    .or_else(|| found.verify.clone())
                    .or_else(|| settings.verify.clone()),
                settings.stage_steps(found),
            )
        }
        None => (
            args.verify.clone().or_else(|| settings.verify.clone()),
            settings.steps.clone(),
        ),
    };
    let drilled = drill::drill(
        &repo,
        &settings,
        Options {
            checkpoint: args.checkpoint,
            stage,
            checks: super::verify_checks(verify.as_deref(), false),
            steps: args.steps.pick(&steps),
            keep: args.keep,
        },
    )?;
    ui.print(&drilled)?;
    if drilled.ok {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "drill {}: a check or step failed (recorded)",
            drilled.id
        ))
        .hint(Hint::Worded(
            "your work tree was not touched; `git rollback report ID` shows the drill".into(),
        )))
    }
}
