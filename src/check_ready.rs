//! `check`: the pre-rollback checklist — what a rollback would need is
//! there and sound — as one line per item and an exit code.

use serde::Serialize;

use crate::config::Settings;
use crate::error::{Hint, Result};
use crate::repo::Repo;

/// One item of the checklist.
#[derive(Debug, Serialize)]
pub struct Item {
    pub name: String,
    /// `ok`, `warn` or `fail`.
    pub state: String,
    pub detail: String,
    /// What to do about a warning or failure, worded by the command line.
    #[serde(skip)]
    pub hint: Option<Hint>,
}

fn item(name: &str, state: &str, detail: String, hint: Option<Hint>) -> Item {
    Item {
        name: name.to_owned(),
        state: state.to_owned(),
        detail,
        hint,
    }
}

/// No progress display (the checklist prints its own lines).
struct Quiet;
impl crate::archive::Progress for Quiet {}

/// Run every check; `quick` checks backups by size and manifest only
/// (the manifest's own checksum), not by reading every archive.
pub fn run(repo: &Repo, settings: &Settings, quick: bool) -> Result<Vec<Item>> {
    let mut items = Vec::new();

    // Checkpoints resolve to commits.
    let (checkpoints, unreadable) = crate::checkpoint::list_and_unreadable(repo)?;
    items.push(if unreadable.is_empty() {
        item(
            "checkpoints",
            "ok",
            format!("{} checkpoint(s) resolve to commits", checkpoints.len()),
            None,
        )
    } else {
        let why: Vec<String> = unreadable.iter().map(|e| e.message.clone()).collect();
        item(
            "checkpoints",
            "fail",
            why.join("; "),
            Some(Hint::RemoveBadTags),
        )
    });
    if checkpoints.is_empty() {
        items.push(item(
            "checkpoints",
            "warn",
            "there is no checkpoint to roll back to".into(),
            Some(Hint::MakeCheckpoint),
        ));
    }

    // The baseline, when configured.
    if let Some(baseline) = &settings.baseline {
        items.push(match crate::checkpoint::find(repo, baseline)? {
            Some(_) => item(
                "baseline",
                "ok",
                format!("baseline '{baseline}' exists"),
                None,
            ),
            None => item(
                "baseline",
                "fail",
                format!("baseline '{baseline}' is not a checkpoint"),
                Some(Hint::SetBaselineCheckpoint),
            ),
        });
    }

    // Backups verify.
    let dir = crate::backup::dir(repo, settings);
    for manifest in crate::backup::list(&dir)? {
        let damaged = manifest.version == 0;
        let result = if damaged {
            Err(manifest.message.clone().unwrap_or_default())
        } else if quick {
            let archive = crate::archive::paths(&dir, &manifest.id).0;
            match std::fs::metadata(&archive) {
                Ok(meta) if meta.len() == manifest.archive.size => Ok(()),
                Ok(meta) => Err(format!(
                    "archive is {} bytes, the manifest says {}",
                    meta.len(),
                    manifest.archive.size
                )),
                Err(err) => Err(format!("archive missing: {err}")),
            }
        } else {
            crate::backup::verify(&dir, &manifest, &Quiet).map_err(|e| e.message)
        };
        items.push(match result {
            Ok(()) => item(
                "backup",
                "ok",
                format!(
                    "{} verifies{}",
                    manifest.id,
                    if quick { " (size and manifest)" } else { "" }
                ),
                None,
            ),
            Err(why) => item(
                "backup",
                "fail",
                format!("{}: {why}", manifest.id),
                Some(Hint::VerifyAndPruneBackups),
            ),
        });
    }

    // The pre-push hook, when the team asked for it.
    let pre_push = repo
        .git
        .config_snapshot()
        .string("rollback.prePush")
        .map(|v| v.to_string());
    if pre_push.is_some() {
        let status = crate::hook::status(repo)?;
        items.push(if status.installed {
            item(
                "hook",
                "ok",
                format!("pre-push hook installed in {}", status.path),
                None,
            )
        } else {
            item(
                "hook",
                "fail",
                "rollback.prePush is set but the pre-push hook is not installed".into(),
                Some(Hint::InstallHook),
            )
        });
    }

    // Room for a backup of the current tree.
    let index = repo.git.index_or_empty()?;
    let tree_bytes: u64 = index.entries().iter().map(|e| u64::from(e.stat.size)).sum();
    let space_dir = if dir.exists() {
        dir.clone()
    } else {
        repo.common_dir().to_owned()
    };
    items.push(match crate::backup::free_space(&space_dir) {
        Some(free) if free < tree_bytes => item(
            "disk",
            "warn",
            format!("{free} bytes free, the tracked files take {tree_bytes}"),
            Some(Hint::FreeSpace),
        ),
        Some(free) => item(
            "disk",
            "ok",
            format!("{free} bytes free for backups (tracked files: {tree_bytes})"),
            None,
        ),
        None => item("disk", "warn", "free space unknown".into(), None),
    });

    // The work tree.
    items.push(match repo.ensure_no_operation_in_progress() {
        Ok(()) => item(
            "worktree",
            "ok",
            "no merge, rebase or other git operation in progress".into(),
            None,
        ),
        Err(err) => item("worktree", "fail", err.message, err.hints.first().cloned()),
    });

    // What each stage's levels need.
    for stage in &settings.project.stage {
        let mut missing = Vec::new();
        if let Some(name) = &stage.checkpoint {
            if crate::checkpoint::find(repo, name)?.is_none() {
                missing.push(format!("checkpoint '{name}'"));
            }
        }
        if let Some(map) = &stage.map {
            let text = std::fs::read_to_string(repo.workdir().join(map));
            if text
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    crate::migration::Map::parse(map, &t)
                        .map(|_| ())
                        .map_err(|e| e.message)
                })
                .is_err()
            {
                missing.push(format!("map '{map}'"));
            }
        }
        if let Some(id) = &stage.backup {
            if crate::backup::find(&dir, id).is_err() {
                missing.push(format!("backup '{id}'"));
            }
        }
        items.push(if missing.is_empty() {
            item(
                "stage",
                "ok",
                format!("stage '{}' has what its levels need", stage.name),
                None,
            )
        } else {
            item(
                "stage",
                "fail",
                format!("stage '{}' lacks {}", stage.name, missing.join(", ")),
                Some(Hint::MakeOrFixStageNeeds),
            )
        });
    }
    Ok(items)
}
