//! Drills: the rollback performed for practice in a temporary linked
//! worktree, with its steps and verify command, timed, recorded, and
//! cleaned up; the user's work tree, index, HEAD and branches are never
//! touched.
//!
//! The worktree starts detached at HEAD; when the checkpoint has a backup
//! (ignored files: dependencies, build output) it is extracted there first;
//! then the same operation as `to` (or a stage rollback) runs there, as an
//! operation of kind `drill`, so `log`, `report` and `stats` show it beside
//! real rollbacks without counting it as one. Its safety snapshot goes with
//! the worktree: a drill is not undone, there is nothing to undo.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::check::{Check, CheckResult};
use crate::config::Settings;
use crate::error::{Context, Error, Hint, Result};
use crate::ledger::Kind;
use crate::operation::{self, HeadAfter, Outcome, Request, Target};
use crate::repo::{git_cli_in, Repo};
use crate::steps::{StepResult, Steps};

/// What to drill and how.
pub struct Options {
    /// The checkpoint (`None`: the baseline, else the newest checkpoint).
    pub checkpoint: Option<String>,
    /// A stage and level instead of a checkpoint.
    pub stage: Option<(String, crate::stage::Level)>,
    pub checks: Vec<Check>,
    pub steps: Steps,
    /// Leave the worktree for a look (and say how to remove it).
    pub keep: bool,
}

/// How a drill went.
#[derive(Debug, Serialize)]
pub struct Drilled {
    /// The drill's event id (`git rollback log ID`, `report ID`).
    pub id: String,
    pub checkpoint: Option<String>,
    pub stage: Option<String>,
    /// The backup extracted before the rollback, if the checkpoint has one.
    pub backup: Option<String>,
    /// Where the worktree is, when kept (`None`: removed).
    pub worktree: Option<String>,
    pub restored: usize,
    pub deleted: usize,
    /// From the start of the rollback to the end of verification.
    pub recovery_ms: Option<u64>,
    pub checks: Vec<CheckResult>,
    pub steps: Vec<StepResult>,
    /// Every check and step passed.
    pub ok: bool,
}

/// The directory name prefixes of drill worktrees: removed at the end, or
/// kept (`--keep`) for the user to look at and remove.
const TEMPORARY: &str = "git-rollback-drill-";
const KEPT: &str = "git-rollback-drill-kept-";

/// Remove the worktrees of drills that were killed before they could (the
/// operation lock is held: no other drill runs). Kept ones are the user's
/// to remove; a killed drill's safety snapshot stays until `gc` expires it.
/// Best effort: a drill does not fail because an old one cannot be cleaned.
fn remove_left_behind(repo: &Repo) {
    let Ok(listed) = repo.git_cli(["worktree", "list", "--porcelain"]) else {
        return;
    };
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        let Some(path) = line.strip_prefix("worktree ") else {
            continue;
        };
        let path = Path::new(path);
        let left = path.file_name().is_some_and(|n| n == "worktree")
            && path.parent().and_then(|p| p.file_name()).is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(TEMPORARY) && !n.starts_with(KEPT)
            });
        if !left {
            continue;
        }
        remove_worktree(repo.workdir(), path);
        if let Some(parent) = path.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

/// Remove the linked worktree at `path` of the repository whose main work
/// tree is `main`, and what git still has registered of gone ones.
fn remove_worktree(main: &Path, path: &Path) {
    let remove = ["worktree", "remove", "--force", "--force"].map(std::ffi::OsStr::new);
    let _ = git_cli_in(main, remove.into_iter().chain([path.as_os_str()]));
    let _ = git_cli_in(main, ["worktree", "prune"]);
}

/// A linked worktree for one drill, removed (with its registration) when
/// dropped unless kept.
struct Worktree {
    main: PathBuf,
    path: PathBuf,
    /// Its temporary directory; `None` when the worktree is kept.
    dir: Option<tempfile::TempDir>,
}

impl Worktree {
    fn add(repo: &Repo, keep: bool) -> Result<Worktree> {
        remove_left_behind(repo);
        let dir = tempfile::Builder::new()
            .prefix(if keep { KEPT } else { TEMPORARY })
            .tempdir()
            .context("making a directory for the drill")?;
        let path = dir.path().join("worktree");
        let add = ["worktree", "add", "--detach", "--quiet"].map(std::ffi::OsStr::new);
        let added = repo.git_cli(add.into_iter().chain([path.as_os_str()]))?;
        if !added.status.success() {
            return Err(Error::failed(format!(
                "cannot add a worktree for the drill: {}",
                String::from_utf8_lossy(&added.stderr).trim()
            )));
        }
        let (dir, path) = if keep {
            (None, dir.keep().join("worktree"))
        } else {
            (Some(dir), path)
        };
        Ok(Worktree {
            main: repo.workdir().to_owned(),
            path,
            dir,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        if self.dir.is_some() {
            remove_worktree(&self.main, &self.path);
        }
    }
}

/// Run a drill (the caller holds the operation lock).
pub fn drill(repo: &Repo, settings: &Settings, options: Options) -> Result<Drilled> {
    // Resolve everything before the worktree exists: a wrong name costs nothing.
    let stage = match &options.stage {
        Some((name, level)) => Some((crate::stage::find(settings, name)?.clone(), *level)),
        None => None,
    };
    let checkpoint = match (&stage, &options.checkpoint) {
        (Some(_), _) => None,
        (None, Some(name)) => Some(crate::checkpoint::resolve(repo, name)?),
        (None, None) => Some(match &settings.baseline {
            Some(name) => crate::checkpoint::resolve(repo, name)?,
            None => crate::checkpoint::list(repo)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    Error::usage("there is no checkpoint to drill").hint(Hint::MakeOrNameCheckpoint)
                })?,
        }),
    };
    for check in &options.checks {
        crate::check::ensure_runnable(repo, check)?;
    }
    repo.head()?.oid()?;
    let worktree = Worktree::add(repo, options.keep)?;
    let drill_repo = Repo::discover(&worktree.path)?;

    // The checkpoint's backup first (what a real restore would bring back
    // beside the commit: ignored dependencies and build output).
    let backup = match &checkpoint {
        Some(checkpoint) => newest_backup_of(repo, settings, checkpoint.name())?,
        None => None,
    };
    if let Some(manifest) = &backup {
        let archive = crate::backup::Archive {
            dir: crate::backup::dir(repo, settings),
            manifest: manifest.clone(),
            only: None,
            progress: Box::new(crate::archive::NoProgress),
        };
        crate::backup::restore_into(&drill_repo, &archive, &worktree.path, false, true)?;
    }

    let outcome: Outcome = match (&stage, &checkpoint) {
        (Some((stage, level)), _) => crate::stage::roll_back(
            &drill_repo,
            settings,
            stage,
            *level,
            crate::stage::Options {
                dry_run: false,
                reason: Some("drill".into()),
                severity: None,
                checks: options.checks.clone(),
                steps: options.steps.clone(),
                progress: Box::new(crate::archive::NoProgress),
                kind: Kind::Drill,
            },
        )?,
        (None, Some(checkpoint)) => {
            let mut request = Request::new(
                Kind::Drill,
                Target::State(checkpoint.state(&drill_repo)?),
                HeadAfter::Detach,
            );
            request.checkpoint = Some(checkpoint.id.clone());
            request.checks = options.checks.clone();
            request.steps = options.steps.clone();
            if let Some(manifest) = &backup {
                request
                    .details
                    .insert("backup".into(), manifest.id.clone().into());
            }
            operation::run(&drill_repo, request)?
        }
        (None, None) => unreachable!("a drill has a checkpoint or a stage"),
    };
    let id = outcome.id.clone().unwrap_or_default();
    // Its safety snapshot would outlive the worktree it belongs to.
    if !options.keep {
        operation::forget_snapshot(repo, &id)?;
    }
    let ok = outcome.checks.iter().all(|c| c.ok) && outcome.steps.iter().all(|s| s.ok);
    Ok(Drilled {
        id,
        checkpoint: outcome.checkpoint.clone(),
        stage: stage.map(|(s, _)| s.name),
        backup: backup.map(|m| m.id),
        worktree: options.keep.then(|| worktree.path.display().to_string()),
        restored: outcome.restored,
        deleted: outcome.deleted,
        recovery_ms: outcome.recovery_ms,
        checks: outcome.checks,
        steps: outcome.steps,
        ok,
    })
}

/// The newest backup made with the checkpoint `name`.
fn newest_backup_of(
    repo: &Repo,
    settings: &Settings,
    name: &str,
) -> Result<Option<crate::archive::Manifest>> {
    let dir = crate::backup::dir(repo, settings);
    if !dir.is_dir() {
        return Ok(None);
    }
    Ok(crate::backup::list(&dir)?
        .into_iter()
        .filter(|m| m.checkpoint.as_deref() == Some(name))
        .max_by(|a, b| a.created.cmp(&b.created)))
}
