//! The health-check guard of the runbooks that roll back on their own: run
//! a check every interval for at most a window; after N consecutive
//! failures, roll back (to a checkpoint or a stage) as one operation with
//! reason `guard: <cmd> failed N times` and severity critical, with its
//! steps and verify; then stop.
//!
//! Bounded in time (the window) and in count (one rollback at most). The
//! operation lock is taken only for the rollback, not for the watch. A
//! Ctrl-C during the wait stops at once (nothing is in progress); during the
//! rollback it is deferred like in any operation.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::Check;
use crate::config::Settings;
use crate::error::{Error, Hint, Result};
use crate::ledger::Kind;
use crate::operation::{self, HeadAfter, Outcome, Request, Target};
use crate::repo::Repo;
use crate::steps::{StepResult, Steps};

/// What the guard rolls back to.
#[derive(Debug, Clone)]
pub enum Rollback {
    Checkpoint(String),
    Stage(String, crate::stage::Level),
}

pub struct Options {
    /// The health check (`sh -c` at the work tree root; exit 0 is healthy).
    pub check: String,
    pub interval: Duration,
    /// Consecutive failures that trigger the rollback.
    pub failures: u32,
    /// How long to watch.
    pub window: Duration,
    pub rollback: Rollback,
    pub dry_run: bool,
    /// Run after the rollback (verify).
    pub checks: Vec<Check>,
    pub steps: Steps,
}

/// How the watch ended.
#[derive(Debug, Serialize)]
pub struct Guarded {
    /// The checkpoint, or `stage NAME`.
    pub target: String,
    /// Health checks run.
    pub checks_run: u32,
    /// Failures among them (consecutive or not).
    pub failures: u32,
    /// The rollback (or, with --dry-run, its plan), when failures reached the limit.
    pub rollback: Option<Outcome>,
}

/// The default target: the newest checkpoint named `stable*`, else the
/// baseline.
pub fn default_target(repo: &Repo, settings: &Settings) -> Result<String> {
    let stable = crate::checkpoint::list(repo)?
        .into_iter()
        .find(|c| c.name().starts_with("stable"));
    match (stable, &settings.baseline) {
        (Some(checkpoint), _) => Ok(checkpoint.id),
        (None, Some(baseline)) => Ok(baseline.clone()),
        (None, None) => Err(Error::usage(
            "no checkpoint to fall back to: none is named stable*, and rollback.baseline is not set",
        )
        .hint(Hint::GuardTarget)),
    }
}

/// Watch; `each` hears of every health check (its result and the
/// consecutive failures so far); `lock` takes the operation lock for the
/// rollback.
pub fn guard<L>(
    repo: &Repo,
    settings: &Settings,
    options: Options,
    each: &mut dyn FnMut(u32, &StepResult, u32),
    lock: impl FnOnce() -> Result<L>,
) -> Result<Guarded> {
    if options.failures == 0 {
        return Err(Error::usage("--failures must be at least 1"));
    }
    // Everything the rollback needs is checked before the watch starts.
    let target = match &options.rollback {
        Rollback::Checkpoint(name) => crate::checkpoint::resolve(repo, name)?.id,
        Rollback::Stage(name, _) => format!("stage {}", crate::stage::find(settings, name)?.name),
    };
    crate::check::ensure_runnable(repo, &Check::new("health check", &options.check))?;
    for check in &options.checks {
        crate::check::ensure_runnable(repo, check)?;
    }
    let start = Instant::now();
    let mut guarded = Guarded {
        target,
        checks_run: 0,
        failures: 0,
        rollback: None,
    };
    let mut consecutive = 0;
    loop {
        let result = crate::steps::run(repo, "health check", &options.check, None)?;
        guarded.checks_run += 1;
        if result.ok {
            consecutive = 0;
        } else {
            consecutive += 1;
            guarded.failures += 1;
        }
        each(guarded.checks_run, &result, consecutive);
        if consecutive >= options.failures {
            let _lock = lock()?;
            guarded.rollback = Some(roll_back(repo, settings, &options, consecutive)?);
            return Ok(guarded);
        }
        if start.elapsed() + options.interval > options.window {
            return Ok(guarded);
        }
        std::thread::sleep(options.interval);
    }
}

fn roll_back(repo: &Repo, settings: &Settings, options: &Options, failed: u32) -> Result<Outcome> {
    let reason = format!("guard: {} failed {failed} times", options.check);
    let severity = Some("critical".to_owned());
    match &options.rollback {
        Rollback::Checkpoint(name) => {
            let checkpoint = crate::checkpoint::resolve(repo, name)?;
            let mut request = Request::new(
                Kind::To,
                Target::State(checkpoint.state(repo)?),
                HeadAfter::MoveCurrent,
            );
            request.checkpoint = Some(checkpoint.id.clone());
            request.reason = Some(reason);
            request.severity = severity;
            request.checks = options.checks.clone();
            request.steps = options.steps.clone();
            request.dry_run = options.dry_run;
            operation::run(repo, request)
        }
        Rollback::Stage(name, level) => crate::stage::roll_back(
            repo,
            settings,
            crate::stage::find(settings, name)?,
            *level,
            crate::stage::Options {
                dry_run: options.dry_run,
                reason: Some(reason),
                severity,
                checks: options.checks.clone(),
                steps: options.steps.clone(),
                progress: Box::new(crate::archive::NoProgress),
                kind: Kind::Stage,
            },
        ),
    }
}
