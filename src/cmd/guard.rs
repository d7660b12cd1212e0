//! `git rollback guard`: roll back on its own after repeated failed health checks.

use git_rollback::guard::{self, Guarded, Options, Rollback};
use git_rollback::steps::parse_duration;
use git_rollback::Hint;
use git_rollback::{config, Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Watch a health check; roll back after repeated failures
///
/// Runs CMD (with sh -c, at the work tree root) every --interval for at
/// most --window. After --failures consecutive failures it rolls back, as
/// `to` (or `stage`) would, with reason "guard: CMD failed N times" and
/// severity critical, runs the steps and the verify command, and exits 1.
/// When the window passes without that, it exits 0. The default target is
/// the newest checkpoint named stable*, else rollback.baseline. One
/// rollback at most; Ctrl-C while waiting stops at once, during the
/// rollback it is deferred until the rollback is whole.
///
/// Examples:
///   git rollback guard --check 'curl -fsS http://localhost:8080/health'
///   git rollback guard --check ./health.sh --interval 10s --failures 5 --window 30m --to stable
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The health check (exit 0: healthy)
    #[arg(long, value_name = "CMD")]
    pub check: String,

    /// Time between checks (500ms, 30s, 2m)
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub interval: String,

    /// Consecutive failures that trigger the rollback
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub failures: u32,

    /// How long to watch
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub window: String,

    /// The checkpoint to roll back to (default: newest stable*, else the baseline)
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "stage")]
    pub to: Option<String>,

    /// Roll back this stage of .rollback.toml instead
    #[arg(long, value_name = "NAME", requires = "level")]
    pub stage: Option<String>,

    /// The stage's level
    #[arg(long, value_enum, requires = "stage")]
    pub level: Option<super::Level>,

    /// On the failures, print the rollback's plan instead of doing it
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Do not run the verify command after the rollback
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

impl Report for Guarded {
    fn human(&self) -> String {
        match &self.rollback {
            Some(outcome) => outcome.human(),
            None => format!(
                "Healthy: {} checks, {} failed (never enough in a row); nothing rolled back\n",
                self.checks_run, self.failures
            ),
        }
    }
}

fn duration(flag: &str, text: &str) -> Result<std::time::Duration> {
    parse_duration(text).ok_or_else(|| {
        Error::usage(format!("{flag} '{text}' is not a duration"))
            .hint(Hint::Worded("write it as 500ms, 30s, 2m or 1h".into()))
    })
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let interval = duration("--interval", &args.interval)?;
    let window = duration("--window", &args.window)?;
    let (rollback, verify, steps) = match (&args.stage, args.level) {
        (Some(name), Some(level)) => {
            let found = git_rollback::stage::find(&settings, name)?;
            (
                Rollback::Stage(name.clone(), level.into_library()),
                found.verify.clone().or_else(|| settings.verify.clone()),
                settings.stage_steps(found),
            )
        }
        _ => (
            Rollback::Checkpoint(match &args.to {
                Some(name) => name.clone(),
                None => guard::default_target(&repo, &settings)?,
            }),
            settings.verify.clone(),
            settings.steps.clone(),
        ),
    };
    let failures = args.failures;
    let guarded = guard::guard(
        &repo,
        &settings,
        Options {
            check: args.check.clone(),
            interval,
            failures,
            window,
            rollback,
            dry_run: args.dry_run,
            checks: super::verify_checks(verify.as_deref(), args.no_verify),
            steps: args.steps.pick(&steps),
        },
        &mut |n, result, consecutive| {
            if !result.ok {
                ui.warn(&format!(
                    "guard: check {n} failed (exit {}), {consecutive} of {failures} in a row",
                    result.status.unwrap_or(-1)
                ));
            }
        },
        || context.lock(&repo, "guard", ui),
    )?;
    ui.print(&guarded)?;
    let Some(outcome) = &guarded.rollback else {
        return Ok(());
    };
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())?;
    Err(Error::failed(format!(
        "guard: `{}` failed {failures} times in a row: {} {}",
        args.check,
        if outcome.dry_run {
            "would roll back to"
        } else {
            "rolled back to"
        },
        guarded.target
    ))
    .hint(Hint::Worded(match &outcome.id {
        Some(id) => {
            format!("`git rollback undo {id}` reverses it; `git rollback report {id}` describes it")
        }
        None => "nothing was changed (--dry-run)".to_owned(),
    })))
}
