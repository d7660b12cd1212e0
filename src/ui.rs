//! The one renderer: a command's report goes to stdout as human text or, with
//! `--json`, as one JSON document. Errors go to stderr git-style. A closed
//! pipe (`git rollback log | head`) ends the program quietly with success.

use std::io::Write;

use git_rollback::Error;
use serde::Serialize;

/// What a command returns: data that serializes to JSON and reads as text.
pub trait Report: Serialize {
    /// The human rendering, every line ending in `\n`.
    fn human(&self) -> String;
}

impl<T: Report> Report for Vec<T> {
    fn human(&self) -> String {
        self.iter().map(Report::human).collect()
    }
}

pub struct Ui {
    json: bool,
    quiet: bool,
}

impl Ui {
    pub fn new(json: bool, quiet: bool) -> Ui {
        Ui { json, quiet }
    }

    /// Print a command's result.
    pub fn print(&self, report: &impl Report) -> git_rollback::Result<()> {
        let text = if self.json {
            let mut text = serde_json::to_string_pretty(report)?;
            text.push('\n');
            text
        } else if self.quiet {
            return Ok(());
        } else {
            report.human()
        };
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => Ok(other?),
        }
    }

    /// Print an error and its hints to stderr.
    pub fn error(&self, err: &Error) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {}", err.message);
        for hint in &err.hints {
            let _ = writeln!(stderr, "hint: {hint}");
        }
    }
}
