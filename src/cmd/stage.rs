//! `git rollback stage`: roll back one named stage (a phase, story or
//! feature from `.rollback.toml`) at one of three levels.

use git_rollback::backup::{self, Archive};
use git_rollback::config::{self, Stage};
use git_rollback::ledger::Kind;
use git_rollback::lock::Lock;
use git_rollback::operation::{self, ExactWrite, HeadAfter, Request, Step, Target};
use git_rollback::pathspec::PathSpec;

use git_rollback::{checkpoint, Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// How far a stage rollback goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// Write the stage's feature flags into the env file
    Toggle,
    /// Restore the stage's paths from its checkpoint and revert its migration map
    Code,
    /// Restore the stage's backup
    Full,
}

/// Roll back one stage from .rollback.toml, or list the stages
///
/// A stage ([[stage]] in .rollback.toml) is a phase, story or feature:
///   --level toggle  writes its toggles into env_file (keys replaced in place,
///                   missing keys appended, every other line kept)
///   --level code    restores its paths from its checkpoint and reverts its
///                   migration map, as one operation (the default)
///   --level full    restores its backup
/// Then its verify command (else the top-level one) runs: failure exits 1.
/// Every level is undone with `git rollback undo`. Without NAME, lists the
/// stages and what each level would do.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The stage's name
    pub name: Option<String>,

    /// How far to roll back
    #[arg(long, value_enum, default_value = "code")]
    pub level: Level,

    /// Print what would change and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub incident: super::Incident,

    /// Do not run the verify command afterwards
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(serde::Serialize)]
struct Listed {
    id: String,
    toggle: String,
    code: String,
    full: String,
}

impl Report for Listed {
    fn human(&self) -> String {
        format!(
            "{}\n  toggle: {}\n  code:   {}\n  full:   {}\n",
            self.id, self.toggle, self.code, self.full
        )
    }
}

fn describe(stage: &Stage, env_file: &str) -> Listed {
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

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let env_file = settings
        .project
        .env_file
        .clone()
        .unwrap_or_else(|| ".env".to_owned());
    let stages = &settings.project.stage;
    let Some(name) = &args.name else {
        return ui.print(
            &stages
                .iter()
                .map(|s| describe(s, &env_file))
                .collect::<Vec<_>>(),
        );
    };
    let stage = stages.iter().find(|s| &s.name == name).ok_or_else(|| {
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        Error::usage(format!("stage '{name}' is not in {}", config::FILE)).hint(
            if names.is_empty() {
                format!("{} has no [[stage]] entries", config::FILE)
            } else {
                format!("stages: {}", names.join(", "))
            },
        )
    })?;
    let _lock = Lock::acquire(&repo, "stage")?;
    let verify = stage.verify.as_deref().or(settings.verify.as_deref());
    let checks = super::verify_checks(verify, args.no_verify);
    let level = format!("{:?}", args.level).to_lowercase();

    if args.level == Level::Full {
        let id = stage.backup.as_deref().ok_or_else(|| {
            Error::usage(format!("stage '{name}' has no backup for --level full"))
                .hint("add backup = \"latest\" (or an id) to the stage")
        })?;
        let dir = backup::dir(&repo, &settings);
        let manifest = backup::find(&dir, id)?;
        let outcome = backup::restore_in_place(
            &repo,
            Archive {
                dir,
                manifest,
                only: None,
                progress: Box::new(ui.progress()),
            },
            args.incident.into_parts(),
            checks,
            args.dry_run,
        )?;
        ui.print(&outcome)?;
        return super::checks_verdict(&outcome.checks, outcome.id.as_deref());
    }

    let mut steps = Vec::new();
    let mut write_exact = Vec::new();
    let mut checkpoint_name = None;
    let mut details = serde_json::Map::new();
    match args.level {
        Level::Toggle => {
            let path = repo.workdir().join(&env_file);
            if path.is_dir() {
                return Err(
                    Error::usage(format!("env file '{env_file}' is a directory"))
                        .hint("set env_file in .rollback.toml to a file"),
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
        }
        Level::Code => {
            let name_of_checkpoint = stage.checkpoint.as_deref().ok_or_else(|| {
                Error::usage(format!("stage '{name}' has no checkpoint for --level code"))
                    .hint("add checkpoint = \"<name>\" to the stage")
            })?;
            let source = checkpoint::resolve(&repo, name_of_checkpoint)?.state(&repo)?;
            checkpoint_name = Some(name_of_checkpoint.to_owned());
            if let Some(file) = &stage.map {
                let text = std::fs::read_to_string(repo.workdir().join(file))
                    .map_err(|e| Error::usage(format!("cannot read map file '{file}': {e}")))?;
                steps.push(Step::Revert {
                    map: git_rollback::migration::Map::parse(file, &text)?,
                    reference: Some(source.clone()),
                    force: false,
                });
            }
            if !stage.paths.is_empty() {
                steps.push(Step::Overlay {
                    source,
                    spec: PathSpec::new(stage.paths.clone()),
                });
            }
        }
        Level::Full => unreachable!("handled above"),
    }
    let mut request = Request::new(Kind::Stage, Target::Derived(steps), HeadAfter::Keep);
    (request.reason, request.severity) = args.incident.into_parts();
    request.dry_run = args.dry_run;
    request.checks = checks;
    request.checkpoint = checkpoint_name;
    request.write_exact = write_exact;
    request.details = details;
    request.details.insert("stage".into(), name.clone().into());
    request.details.insert("level".into(), level.into());
    let outcome = operation::run(&repo, request)?;
    ui.print(&outcome)?;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
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
