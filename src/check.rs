//! Commands run after a rollback: the `verify` command and the tests mapped
//! from restored files. They run with `sh -c` at the work tree root; their
//! output goes to stderr so `--json` output stays one document. A command
//! whose program does not exist is refused before anything is changed.

use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Hint, Result};
use crate::repo::Repo;

/// A command to run after the operation.
///
/// The command may name what the operation restored: `{files}` expands to
/// the restored paths, `{tests}` to the test files `test_map` maps them to
/// (those that exist), `{stems}` to those test files' stems. A command that
/// needs tests when none are mapped is skipped.
#[derive(Debug, Clone)]
pub struct Check {
    /// `verify` or `test`.
    pub name: String,
    pub command: String,
    /// Patterns from a source file to its tests: `{stem}`, `{name}`, `{dir}` expand.
    pub test_map: Vec<String>,
}

fn shell_quote(word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

impl Check {
    pub fn new(name: &str, command: &str) -> Check {
        Check {
            name: name.to_owned(),
            command: command.to_owned(),
            test_map: Vec::new(),
        }
    }

    /// The command with `{files}`, `{tests}` and `{stems}` expanded for the
    /// restored `paths`; `None` when it needs tests and none were mapped.
    pub fn expand(&self, repo: &Repo, paths: &[String]) -> Option<String> {
        let mut tests: Vec<String> = Vec::new();
        for path in paths {
            let path = std::path::Path::new(path);
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dir = path
                .parent()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            for pattern in &self.test_map {
                let candidate = pattern
                    .replace("{stem}", &stem)
                    .replace("{name}", &name)
                    .replace("{dir}", &dir);
                if repo.workdir().join(&candidate).is_file() && !tests.contains(&candidate) {
                    tests.push(candidate);
                }
            }
        }
        let needs_tests = self.command.contains("{tests}") || self.command.contains("{stems}");
        if needs_tests && tests.is_empty() {
            return None;
        }
        let join = |words: &mut dyn Iterator<Item = String>| {
            words.map(|w| shell_quote(&w)).collect::<Vec<_>>().join(" ")
        };
        let stems = tests.iter().map(|t| {
            std::path::Path::new(t)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Some(
            self.command
                .replace("{files}", &join(&mut paths.iter().cloned()))
                .replace("{tests}", &join(&mut tests.iter().cloned()))
                .replace("{stems}", &join(&mut stems.into_iter())),
        )
    }
}

/// How a check went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckResult {
    pub name: String,
    pub command: String,
    /// The exit code (`None` when killed by a signal).
    pub status: Option<i32>,
    pub ok: bool,
    pub duration_ms: u64,
    /// Not run: the command needs test files and none were mapped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

const SHELL_BUILTINS: &[&str] = &[
    "true", "false", "test", "[", "echo", "exit", "cd", ":", "printf", "set", "export", "if",
    "for", "while", "!",
];

/// Refuse a simple command whose program cannot be found, before anything
/// is written.
pub fn ensure_runnable(repo: &Repo, check: &Check) -> Result<()> {
    // A script (a list, a pipe, a substitution, a redirection) is the
    // shell's to judge: its first word need not be a program.
    if check
        .command
        .contains([';', '|', '&', '$', '`', '(', ')', '<', '>', '\n'])
    {
        return Ok(());
    }
    let program = check
        .command
        .split_whitespace()
        .find(|word| !word.contains('=') || word.starts_with('='))
        .unwrap_or_default();
    let found = if program.is_empty() || SHELL_BUILTINS.contains(&program) {
        !program.is_empty()
    } else if program.contains('/') {
        repo.workdir().join(program).is_file()
    } else {
        std::env::var_os("PATH")
            .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
            .unwrap_or(false)
    };
    if found {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{} command '{}' cannot run: '{program}' was not found",
            check.name, check.command
        ))
        .hint(Hint::FixTestCommand))
    }
}

/// Run one check at the work tree root, for the restored `paths`.
pub fn run(repo: &Repo, check: &Check, paths: &[String]) -> Result<CheckResult> {
    let start = Instant::now();
    let Some(command) = check.expand(repo, paths) else {
        return Ok(CheckResult {
            name: check.name.clone(),
            command: check.command.clone(),
            status: None,
            ok: true,
            duration_ms: 0,
            skipped: true,
        });
    };
    let stderr = std::io::stderr();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(repo.workdir())
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::os::fd::AsFd::as_fd(&stderr).try_clone_to_owned()?,
        ))
        .status()
        .map_err(|err| {
            Error::failed(format!(
                "cannot run {} command '{}': {err}",
                check.name, check.command
            ))
        })?;
    Ok(CheckResult {
        name: check.name.clone(),
        command,
        status: status.code(),
        ok: status.success(),
        duration_ms: start.elapsed().as_millis() as u64,
        skipped: false,
    })
}
