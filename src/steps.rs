//! The steps around a rollback, as runbooks have them: `before` (stop the
//! services) runs once the rollback is planned and checked, before anything
//! changes, and a failure stops it there; `after` (reinstall, rebuild,
//! restart) runs once the state is restored; the verify command may be tried
//! again (`verify_retries`, `verify_interval`: a health endpoint that needs a
//! few seconds); `notify` gets the operation's event and result as JSON on
//! stdin (a webhook call) and its failure is recorded, never fatal.
//!
//! Each runs with `sh -c` at the work tree root; its output goes to stderr
//! as it comes (so `--json` stays one document) and its last lines are kept
//! in the result event.

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::Repo;

/// How many of a step's last output lines the result event keeps.
const TAIL: usize = 10;

/// The steps of one rollback (empty: none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Steps {
    pub before: Option<String>,
    pub after: Option<String>,
    pub notify: Option<String>,
    /// Further tries of a failing verify command.
    pub verify_retries: u32,
    /// The wait between tries.
    pub verify_interval: Duration,
}

impl Steps {
    /// The commands set, by step name.
    pub fn commands(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("before", &self.before),
            ("after", &self.after),
            ("notify", &self.notify),
        ]
        .into_iter()
        .filter_map(|(name, command)| command.as_deref().map(|c| (name, c)))
    }
}

/// How a step went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepResult {
    /// `before`, `after` or `notify`.
    pub name: String,
    pub command: String,
    /// The exit code (`None`: killed by a signal).
    pub status: Option<i32>,
    pub ok: bool,
    pub duration_ms: u64,
    /// Its last lines of output (stdout and stderr).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
}

/// Run the step `name` with `command` at the work tree root, `stdin` on its
/// standard input; its output is copied to stderr as it comes.
pub fn run(repo: &Repo, name: &str, command: &str, stdin: Option<&[u8]>) -> Result<StepResult> {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(repo.workdir())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| Error::failed(format!("cannot run the {name} step '{command}': {err}")))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A step that does not read its input is not an error.
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let mut tail = std::collections::VecDeque::new();
    if let Some(out) = child.stdout.take() {
        let mut err = std::io::stderr();
        for line in std::io::BufReader::new(out).split(b'\n') {
            let Ok(line) = line else { break };
            let _ = err.write_all(&line);
            let _ = err.write_all(b"\n");
            if tail.len() == TAIL {
                tail.pop_front();
            }
            tail.push_back(String::from_utf8_lossy(&line).into_owned());
        }
    }
    let status = child.wait()?;
    Ok(StepResult {
        name: name.to_owned(),
        command: command.to_owned(),
        status: status.code(),
        ok: status.success(),
        duration_ms: start.elapsed().as_millis() as u64,
        output: tail.into(),
    })
}

/// A duration as the config writes it: `500ms`, `5s`, `2m`, `1h`, or a
/// number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let millis = match unit.trim() {
        "ms" => number,
        "" | "s" => number.checked_mul(1000)?,
        "m" => number.checked_mul(60_000)?,
        "h" => number.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations_read_as_runbooks_write_them() {
        let d = super::parse_duration;
        assert_eq!(d("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(d("5s"), Some(Duration::from_secs(5)));
        assert_eq!(d("30"), Some(Duration::from_secs(30)));
        assert_eq!(d("2m"), Some(Duration::from_secs(120)));
        assert_eq!(d("1h"), Some(Duration::from_secs(3600)));
        for bad in ["", "s", "5 parsecs", "-1s", "1.5s"] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }
}
