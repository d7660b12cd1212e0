//! Settings, resolved once: command-line flag > `git -c` > git config
//! `rollback.*` > `.rollback.toml` at the work tree root > default.
//!
//! `.rollback.toml` is versioned with the code (stages, test mapping, verify
//! command, branch patterns); `git config rollback.*` is personal. Every git
//! config key is a constant here with its default beside it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Hint, Result};
use crate::repo::Repo;

/// The project config file, at the work tree root.
pub const FILE: &str = ".rollback.toml";

/// `rollback.verify`: command run after every rollback.
pub const VERIFY_KEY: &str = "rollback.verify";
/// `rollback.baseline`: default source checkpoint of `files` (default: the newest checkpoint).
pub const BASELINE_KEY: &str = "rollback.baseline";
/// `rollback.retryBranch`: `sprint` retry branch pattern.
pub const RETRY_BRANCH_KEY: &str = "rollback.retryBranch";
pub const RETRY_BRANCH_DEFAULT: &str = "refactor/sprint-{n}-retry";
/// `rollback.backupBranch`: `sprint` backup branch pattern.
pub const BACKUP_BRANCH_KEY: &str = "rollback.backupBranch";
pub const BACKUP_BRANCH_DEFAULT: &str = "backup/sprint-{n}-{timestamp}";
/// `rollback.testCommand`: the command `files` runs after a restore.
pub const TEST_COMMAND_KEY: &str = "rollback.testCommand";
/// `rollback.backupDir`: where backups are written (relative to the work tree root).
pub const BACKUP_DIR_KEY: &str = "rollback.backupDir";
/// `rollback.backupIncludeIgnored`: whether backups hold ignored files.
pub const BACKUP_INCLUDE_IGNORED_KEY: &str = "rollback.backupIncludeIgnored";
/// `rollback.backupKeep`: how many backups `backup prune` keeps.
pub const BACKUP_KEEP_KEY: &str = "rollback.backupKeep";
pub const BACKUP_KEEP_DEFAULT: u32 = 10;
/// `rollback.before`, `rollback.after`, `rollback.notify`: the steps around
/// a rollback (crate::steps).
pub const BEFORE_KEY: &str = "rollback.before";
pub const AFTER_KEY: &str = "rollback.after";
pub const NOTIFY_KEY: &str = "rollback.notify";
/// `rollback.verifyRetries`: further tries of a failing verify command (default 0).
pub const VERIFY_RETRIES_KEY: &str = "rollback.verifyRetries";
/// `rollback.verifyInterval`: the wait between them (`5s`, `500ms`; default 1s).
pub const VERIFY_INTERVAL_KEY: &str = "rollback.verifyInterval";
pub const VERIFY_INTERVAL_DEFAULT: std::time::Duration = std::time::Duration::from_secs(1);

/// `.rollback.toml` as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    pub verify: Option<String>,
    pub env_file: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub notify: Option<String>,
    pub verify_retries: Option<u32>,
    pub verify_interval: Option<String>,
    #[serde(default)]
    pub sprint: SprintSection,
    #[serde(default)]
    pub files: FilesSection,
    #[serde(default)]
    pub backup: BackupSection,
    #[serde(default)]
    pub stage: Vec<Stage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SprintSection {
    pub retry_branch: Option<String>,
    pub backup_branch: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSection {
    pub test: Option<String>,
    #[serde(default)]
    pub test_map: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSection {
    pub dir: Option<String>,
    pub include_ignored: Option<bool>,
    pub keep: Option<u32>,
}

/// A phase, story or feature that can be rolled back on its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    pub checkpoint: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub toggles: BTreeMap<String, String>,
    pub verify: Option<String>,
    pub map: Option<String>,
    pub backup: Option<String>,
    /// This stage's steps, in place of the top-level ones.
    pub before: Option<String>,
    pub after: Option<String>,
    pub notify: Option<String>,
    pub verify_retries: Option<u32>,
    pub verify_interval: Option<String>,
}

/// Settings every command reads, resolved with their precedence.
#[derive(Debug)]
pub struct Settings {
    pub verify: Option<String>,
    pub baseline: Option<String>,
    pub retry_branch: String,
    pub backup_branch: String,
    pub test_command: Option<String>,
    pub test_map: Vec<String>,
    /// Empty or `None`: `$GIT_DIR/rollback/backups`.
    pub backup_dir: Option<String>,
    pub backup_include_ignored: bool,
    pub backup_keep: u32,
    /// The steps around a rollback (a stage may set its own).
    pub steps: crate::steps::Steps,
    pub project: ProjectFile,
}

impl Settings {
    /// The steps of a rollback of `stage`: its own where it sets them, else
    /// the top-level ones.
    pub fn stage_steps(&self, stage: &Stage) -> crate::steps::Steps {
        let top = &self.steps;
        crate::steps::Steps {
            before: stage.before.clone().or_else(|| top.before.clone()),
            after: stage.after.clone().or_else(|| top.after.clone()),
            notify: stage.notify.clone().or_else(|| top.notify.clone()),
            verify_retries: stage.verify_retries.unwrap_or(top.verify_retries),
            verify_interval: stage
                .verify_interval
                .as_deref()
                .and_then(crate::steps::parse_duration)
                .unwrap_or(top.verify_interval),
        }
    }
}

/// Parse `.rollback.toml` text; errors name the file, the line and the key.
pub fn parse(text: &str) -> Result<ProjectFile> {
    let project: ProjectFile = parse_toml(text)?;
    if let Some(env_file) = &project.env_file {
        // The tool writes this file, and `undo` restores only what is in the work tree.
        let inside = env_file.trim_start_matches("./");
        crate::archive::check_entry_path(inside).map_err(|_| {
            Error::usage(format!(
                "{FILE}: env_file = '{env_file}' is not a file inside the work tree"
            ))
            .hint(Hint::EnvFileInside)
        })?;
    }
    validate(&project)?;
    Ok(project)
}

/// Everything in the file is checked when it is read, whatever part the
/// command uses: a mistake in a stage fails `to` too, before any change.
fn validate(project: &ProjectFile) -> Result<()> {
    let bad = |what: String, hint: Hint| Err(Error::usage(format!("{FILE}: {what}")).hint(hint));
    let inside = |path: &str| {
        let path = path.trim_start_matches("./").trim_end_matches('/');
        path.is_empty() || crate::archive::check_entry_path(path).is_ok()
    };
    let mut names = std::collections::BTreeSet::new();
    for stage in &project.stage {
        if stage.name.trim().is_empty() {
            return bad("a [[stage]] has an empty name".into(), Hint::StageName);
        }
        if !names.insert(stage.name.as_str()) {
            return bad(
                format!("two stages are named '{}'", stage.name),
                Hint::UniqueStageNames,
            );
        }
        if let Some(path) = stage.paths.iter().find(|p| !inside(p)) {
            return bad(
                format!(
                    "stage '{}': path '{path}' is not inside the work tree",
                    stage.name
                ),
                Hint::StagePathInside,
            );
        }
        if let Some(map) = stage.map.as_deref().filter(|m| !inside(m)) {
            return bad(
                format!(
                    "stage '{}': map '{map}' is not a file inside the work tree",
                    stage.name
                ),
                Hint::MapPathInside,
            );
        }
        let is_name = |key: &str| {
            key.chars()
                .next()
                .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
                && key.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        };
        if let Some(key) = stage.toggles.keys().find(|k| !is_name(k)) {
            return bad(
                format!(
                    "stage '{}': toggle '{key}' is not a variable name",
                    stage.name
                ),
                Hint::ToggleName,
            );
        }
    }
    for (key, pattern) in [
        ("retry_branch", &project.sprint.retry_branch),
        ("backup_branch", &project.sprint.backup_branch),
    ] {
        if let Some(pattern) = pattern {
            let name = format!(
                "refs/heads/{}",
                pattern
                    .replace("{n}", "1")
                    .replace("{timestamp}", "20260101-000000")
            );
            if gix::refs::FullName::try_from(name.as_str()).is_err() || !pattern.contains("{n}") {
                return bad(
                    format!(
                        "[sprint] {key} = '{pattern}' does not make a branch name for each sprint"
                    ),
                    Hint::SprintBranchPattern,
                );
            }
        }
    }
    let intervals = std::iter::once(("".to_owned(), &project.verify_interval)).chain(
        project
            .stage
            .iter()
            .map(|s| (format!("stage '{}': ", s.name), &s.verify_interval)),
    );
    for (whose, interval) in intervals {
        if let Some(text) = interval {
            if crate::steps::parse_duration(text).is_none() {
                return bad(
                    format!("{whose}verify_interval = '{text}' is not a duration"),
                    Hint::DurationForm,
                );
            }
        }
    }
    if project.backup.keep == Some(0) {
        return bad(
            "[backup] keep = 0 would prune every backup".into(),
            Hint::KeepAtLeastOne,
        );
    }
    Ok(())
}

fn parse_toml(text: &str) -> Result<ProjectFile> {
    toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|span| {
                text.as_bytes()[..span.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            })
            .map(|n| format!(" line {n}:"))
            .unwrap_or_default();
        Error::usage(format!("{FILE}:{line} {}", err.message().trim())).hint(Hint::ConfigKeys)
    })
}

/// Read `.rollback.toml` (absent: all defaults) and git config into settings.
pub fn load(repo: &Repo) -> Result<Settings> {
    let path = repo.workdir().join(FILE);
    let project = read_project_file(&path)?;
    let config = repo.git.config_snapshot();
    let git = |key: &str| config.string(key).map(|v| v.to_string());
    Ok(Settings {
        verify: git(VERIFY_KEY).or_else(|| project.verify.clone()),
        baseline: git(BASELINE_KEY),
        retry_branch: git(RETRY_BRANCH_KEY)
            .or_else(|| project.sprint.retry_branch.clone())
            .unwrap_or_else(|| RETRY_BRANCH_DEFAULT.to_owned()),
        backup_branch: git(BACKUP_BRANCH_KEY)
            .or_else(|| project.sprint.backup_branch.clone())
            .unwrap_or_else(|| BACKUP_BRANCH_DEFAULT.to_owned()),
        test_command: git(TEST_COMMAND_KEY).or_else(|| project.files.test.clone()),
        test_map: project.files.test_map.clone(),
        backup_dir: git(BACKUP_DIR_KEY).or_else(|| project.backup.dir.clone()),
        backup_include_ignored: git_boolean(repo, BACKUP_INCLUDE_IGNORED_KEY)?
            .or(project.backup.include_ignored)
            .unwrap_or(false),
        backup_keep: git_number(repo, BACKUP_KEEP_KEY)?
            .or(project.backup.keep.map(u64::from))
            .unwrap_or(u64::from(BACKUP_KEEP_DEFAULT)) as u32,
        steps: crate::steps::Steps {
            before: git(BEFORE_KEY).or_else(|| project.before.clone()),
            after: git(AFTER_KEY).or_else(|| project.after.clone()),
            notify: git(NOTIFY_KEY).or_else(|| project.notify.clone()),
            verify_retries: match git_number(repo, VERIFY_RETRIES_KEY)? {
                Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
                None => project.verify_retries.unwrap_or(0),
            },
            verify_interval: match git(VERIFY_INTERVAL_KEY) {
                Some(text) => crate::steps::parse_duration(&text).ok_or_else(|| {
                    Error::usage(format!(
                        "git config {VERIFY_INTERVAL_KEY}: '{text}' is not a duration"
                    ))
                    .hint(Hint::SetDuration {
                        key: VERIFY_INTERVAL_KEY.into(),
                    })
                })?,
                None => project
                    .verify_interval
                    .as_deref()
                    .and_then(crate::steps::parse_duration)
                    .unwrap_or(VERIFY_INTERVAL_DEFAULT),
            },
        },
        project,
    })
}

/// A boolean `git config` value, or an error naming the key (a bad value is
/// never silently ignored).
pub fn git_boolean(repo: &Repo, key: &str) -> Result<Option<bool>> {
    repo.git.config_snapshot().try_boolean(key).map_err(|err| {
        Error::usage(format!("git config {key}: {err}")).hint(Hint::SetBoolean { key: key.into() })
    })
}

/// A non-negative whole-number `git config` value (at most u32::MAX), or an
/// error naming the key.
pub fn git_number(repo: &Repo, key: &str) -> Result<Option<u64>> {
    let bad = |what: String| {
        Error::usage(format!("git config {key}: {what}")).hint(Hint::SetNumber { key: key.into() })
    };
    match repo.git.config_snapshot().try_integer(key) {
        Ok(None) => Ok(None),
        Ok(Some(n)) => u32::try_from(n)
            .map(|n| Some(u64::from(n)))
            .map_err(|_| bad(format!("{n} is not a whole number from 0 to {}", u32::MAX))),
        Err(err) => Err(bad(err.to_string())),
    }
}

fn read_project_file(path: &Path) -> Result<ProjectFile> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(ProjectFile::default()),
        Err(err) => Err(Error::usage(format!("cannot read {FILE}: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = parse("verify = \"true\"\n\n[files]\ntests = \"x\"\n").unwrap_err();
        assert!(
            err.message.contains(".rollback.toml: line 4:"),
            "{}",
            err.message
        );
        assert!(err.message.contains("tests"), "{}", err.message);
    }

    #[test]
    fn wrong_type_names_line() {
        let err = parse("[backup]\nkeep = \"ten\"\n").unwrap_err();
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn full_schema_parses() {
        let file = parse(
            r#"
verify = "./doctor.sh"
env_file = ".env"
[sprint]
retry_branch = "retry/{n}"
backup_branch = "backup/{n}-{timestamp}"
[files]
test = "cargo test --test {stems}"
test_map = ["tests/{stem}.rs"]
[backup]
dir = ""
include_ignored = false
keep = 10
[[stage]]
name = "GAP-001"
checkpoint = "stable"
paths = ["lib/**"]
toggles = { FLAG = "false" }
verify = "true"
map = "m.toml"
backup = "latest"
"#,
        )
        .unwrap();
        assert_eq!(file.stage[0].toggles["FLAG"], "false");
        assert_eq!(file.backup.keep, Some(10));
    }
}
