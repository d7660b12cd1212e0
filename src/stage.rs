//! Stages: a phase, story or feature of `.rollback.toml` (`[[stage]]`)
//! rolled back on its own, at one of three levels: `toggle` writes its
//! feature flags into the env file, `code` restores its paths from its
//! checkpoint and reverts its migration map, `full` restores its backup.
//! Every level is one operation (see [`crate::operation`]), so `undo`
//! reverses it.

use serde::Serialize;

use crate::archive::Progress;
use crate::check::Check;
use crate::config::{self, Settings, Stage};
use crate::error::{Error, Hint, Result};
use crate::ledger::Kind;
use crate::operation::{self, ExactWrite, HeadAfter, Outcome, Request, Step, Target};
use crate::pathspec::PathSpec;
use crate::repo::Repo;

/// How far a stage rollback goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Toggle,
    Code,
    Full,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Toggle => "toggle",
            Level::Code => "code",
            Level::Full => "full",
        }
    }
}

/// A stage and what each of its levels would do.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub id: String,
    pub toggle: String,
    pub code: String,
    pub full: String,
}

/// Where toggles are written (`env_file`, default `.env`).
pub fn env_file(settings: &Settings) -> String {
    settings
        .project
        .env_file
        .clone()
        .unwrap_or_else(|| ".env".to_owned())
}

/// Every stage of `.rollback.toml` and what its levels would do.
pub fn list(settings: &Settings) -> Vec<Listed> {
    let env_file = env_file(settings);
    settings
        .project
        .stage
        .iter()
        .map(|stage| describe(stage, &env_file))
        .collect()
}

/// The stage called `name`, or an error that lists the stages.
pub fn find<'a>(settings: &'a Settings, name: &str) -> Result<&'a Stage> {
    let stages = &settings.project.stage;
    stages.iter().find(|s| s.name == name).ok_or_else(|| {
        let names = stages.iter().map(|s| s.name.clone()).collect();
        Error::usage(format!("stage '{name}' is not in {}", config::FILE))
            .hint(Hint::StageNames { names })
    })
}

pub fn describe(stage: &Stage, env_file: &str) -> Listed {
    let toggles: Vec<String> = stage
        .toggles
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    Listed {
        id: stage.name.clone(),
        toggle: if toggles.is_empty() {
            "(no toggles)".to_owned()
        } else {
            format!("write {} to {env_file}", toggles.join(" "))
        },
        code: match &stage.checkpoint {
            Some(checkpoint) => format!(
                "restore {} from checkpoint {checkpoint}{}",
                if stage.paths.is_empty() {
                    "(no paths)".to_owned()
                } else {
                    stage.paths.join(" ")
                },
                stage
                    .map
                    .as_ref()
                    .map(|m| format!("; revert map {m}"))
                    .unwrap_or_default()
            ),
            None => "(no checkpoint)".to_owned(),
        },
        full: match &stage.backup {
            Some(backup) => format!("restore backup {backup}"),
            None => "(no backup)".to_owned(),
        },
    }
}

/// The env file with `toggles` applied: each key's line replaced in place
/// (`KEY=…` or `export KEY=…`), missing keys appended, everything else kept.
pub fn apply_toggles(text: &str, toggles: &std::collections::BTreeMap<String, String>) -> String {
    let mut done = std::collections::BTreeSet::new();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let trimmed = body.trim_start();
        let (export, rest) = match trimmed.strip_prefix("export ") {
            Some(rest) => ("export ", rest.trim_start()),
            None => ("", trimmed),
        };
        let key = rest.split('=').next().unwrap_or_default().trim();
        match toggles
            .get(key)
            .filter(|_| rest.contains('=') && !trimmed.starts_with('#'))
        {
            Some(value) => {
                let indent = &body[..body.len() - trimmed.len()];
                out.push_str(&format!("{indent}{export}{key}={value}{ending}"));
                done.insert(key.to_owned());
            }
            None => out.push_str(line),
        }
    }
    for (key, value) in toggles {
        if !done.contains(key) {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{key}={value}\n"));
        }
    }
    out
}

/// What a stage rollback is asked to do besides its level.
pub struct Options {
    pub dry_run: bool,
    pub reason: Option<String>,
    pub severity: Option<String>,
    /// Run afterwards (the stage's verify, else the top-level one).
    pub checks: Vec<Check>,
    /// The steps around it (the stage's, else the top-level ones).
    pub steps: crate::steps::Steps,
    /// Progress of a backup restore (`full`).
    pub progress: Box<dyn Progress>,
    /// `Kind::Stage`, or `Kind::Drill` for a drill of the stage.
    pub kind: Kind,
}

/// Roll `stage` back at `level`, as one operation.
pub fn roll_back(
    repo: &Repo,
    settings: &Settings,
    stage: &Stage,
    level: Level,
    options: Options,
) -> Result<Outcome> {
    let name = &stage.name;
    let mut write_exact = Vec::new();
    let mut checkpoint_name = None;
    let mut only = None;
    let mut details = serde_json::Map::new();
    let target = match level {
        Level::Toggle => {
            let env_file = env_file(settings);
            let path = repo.workdir().join(&env_file);
            if path.is_dir() {
                return Err(
                    Error::usage(format!("env file '{env_file}' is a directory"))
                        .hint(Hint::EnvFileIsAFile),
                );
            }
            let old = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(err) => {
                    return Err(Error::usage(format!(
                        "cannot read env file '{env_file}': {err}"
                    )))
                }
            };
            let mode = {
                use std::os::unix::fs::PermissionsExt;
                path.metadata()
                    .map_or(0o644, |m| m.permissions().mode() & 0o7777)
            };
            write_exact.push(ExactWrite {
                path: env_file.clone(),
                content: Some((apply_toggles(&old, &stage.toggles).into_bytes(), mode)),
            });
            details.insert("env_file".into(), env_file.into());
            Target::Derived(Vec::new())
        }
        Level::Code => {
            let name_of_checkpoint = stage.checkpoint.as_deref().ok_or_else(|| {
                Error::usage(format!("stage '{name}' has no checkpoint for --level code"))
                    .hint(Hint::StageNeedsCheckpoint)
            })?;
            let source = crate::checkpoint::resolve(repo, name_of_checkpoint)?.state(repo)?;
            checkpoint_name = Some(name_of_checkpoint.to_owned());
            let mut steps = Vec::new();
            // What the level touches: the stage's paths and both ends of its
            // moves. The capture (the safety snapshot, its undo) is limited
            // to them, so it never walks the rest of the work tree.
            let mut touched = stage.paths.clone();
            if let Some(file) = &stage.map {
                let text = std::fs::read_to_string(repo.workdir().join(file))
                    .map_err(|e| Error::usage(format!("cannot read map file '{file}': {e}")))?;
                let map = crate::migration::Map::parse(file, &text)?;
                for step in &map.moves {
                    touched.push(step.source.clone());
                    touched.push(step.destination.clone());
                }
                steps.push(Step::Revert {
                    map,
                    reference: Some(source.clone()),
                    force: false,
                });
            }
            only = Some(PathSpec::new(touched));
            if !stage.paths.is_empty() {
                steps.push(Step::Overlay {
                    source,
                    spec: PathSpec::new(stage.paths.clone()),
                });
            }
            Target::Derived(steps)
        }
        Level::Full => {
            let id = stage.backup.as_deref().ok_or_else(|| {
                Error::usage(format!("stage '{name}' has no backup for --level full"))
                    .hint(Hint::StageNeedsBackup)
            })?;
            let dir = crate::backup::dir(repo, settings);
            let manifest = crate::backup::find(&dir, id)?;
            details.insert("backup".into(), manifest.id.clone().into());
            Target::Archive(Box::new(crate::backup::Archive {
                dir,
                manifest,
                only: None,
                progress: options.progress,
            }))
        }
    };
    let mut request = Request::new(options.kind, target, HeadAfter::Keep);
    request.only = only;
    request.reason = options.reason;
    request.severity = options.severity;
    request.dry_run = options.dry_run;
    request.checks = options.checks;
    request.steps = options.steps;
    request.checkpoint = checkpoint_name;
    request.subject = Some(name.clone());
    request.write_exact = write_exact;
    request.details = details;
    request.details.insert("stage".into(), name.clone().into());
    request
        .details
        .insert("level".into(), level.as_str().into());
    operation::run(repo, request)
}

#[cfg(test)]
mod tests {
    use super::apply_toggles;

    #[test]
    fn toggles_replace_in_place_and_append_the_rest() {
        let toggles = [
            ("A".to_owned(), "false".to_owned()),
            ("NEW".to_owned(), "1".to_owned()),
        ]
        .into();
        let text = "# comment\nexport A=true\nB=2\n  A_LIKE=x\n";
        assert_eq!(
            apply_toggles(text, &toggles),
            "# comment\nexport A=false\nB=2\n  A_LIKE=x\nNEW=1\n"
        );
        assert_eq!(apply_toggles("B=2", &toggles), "B=2\nA=false\nNEW=1\n");
    }
}
