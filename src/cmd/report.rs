//! `git rollback report`: a Markdown incident report from the ledger.

use std::fmt::Write as _;
use std::path::PathBuf;

use git_rollback::ledger::Kind;
use git_rollback::ledger::{self, Event};
use git_rollback::operation::{Applied, Finished};
use git_rollback::sprint::Failure;
use git_rollback::stats::is_rollback;
use git_rollback::Hint;
use git_rollback::{Error, Result};

use super::{short, Context};
use crate::ui::{Report, Ui};

/// Write a Markdown incident report for a rollback.
///
/// OP is an operation id from `git rollback log`, or a checkpoint name (the
/// newest rollback to it). The report has the timeline, reason, severity,
/// files, tests, branches and how to undo. Printed on stdout unless -o.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Operation id or checkpoint name
    #[arg(value_name = "OP|CHECKPOINT")]
    pub operation: String,

    /// Write the report to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct Written {
    id: String,
    markdown: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

impl Report for Written {
    fn human(&self) -> String {
        match &self.file {
            Some(file) => format!("Wrote the report on {} to {file}\n", self.id),
            None => self.markdown.clone(),
        }
    }
}

fn markdown(event: &Event, events: &[Event]) -> String {
    let mut md = String::new();
    let target = event.checkpoint.as_deref().unwrap_or("(no checkpoint)");
    let _ = writeln!(md, "# Rollback report: {} {target}\n", event.kind);
    let result = Finished::of(events, event);
    let undone_by: Vec<&Event> = events
        .iter()
        .filter(|e| e.undoes.as_deref() == Some(&event.id))
        .collect();
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Operation | `{}` ({}) |", event.id, event.kind);
    let _ = writeln!(md, "| When | {} |", event.at);
    let _ = writeln!(md, "| By | {} |", event.by);
    let _ = writeln!(
        md,
        "| Reason | {} |",
        event.reason.as_deref().unwrap_or("_not given_")
    );
    let _ = writeln!(
        md,
        "| Severity | {} |",
        event.severity.as_deref().unwrap_or("_not given_")
    );
    let _ = writeln!(md, "| Checkpoint | {target} |");
    if let (Some(before), Some(after)) = (&event.head_before, &event.head_after) {
        let _ = writeln!(
            md,
            "| HEAD | {} `{}` → {} `{}` |",
            before.describe(),
            short(&before.oid),
            after.describe(),
            short(&after.oid)
        );
    }
    if let Some(snapshot) = &event.snapshot {
        let _ = writeln!(md, "| Safety snapshot | `{snapshot}` |");
    }
    if let Some(result) = &result {
        let _ = writeln!(md, "| Recovery time | {} ms |", result.duration_ms);
    }

    let _ = writeln!(md, "\n## Timeline\n");
    let mut timeline: Vec<&Event> = events
        .iter()
        .filter(|e| {
            e.id == event.id
                || (e.kind == Kind::Checkpoint
                    && e.checkpoint == event.checkpoint
                    && e.at <= event.at)
                || e.details_as::<Finished>()
                    .is_some_and(|f| f.operation == event.id)
                || e.undoes.as_deref() == Some(&event.id)
        })
        .collect();
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    for e in timeline {
        let what = match e.kind {
            Kind::Checkpoint => format!(
                "checkpoint `{}` created",
                e.checkpoint.as_deref().unwrap_or_default()
            ),
            Kind::Result => format!(
                "state restored in {} ms",
                e.details_as::<Finished>()
                    .map(|f| f.duration_ms.to_string())
                    .unwrap_or_default()
            ),
            Kind::Undo => format!("undone by `{}`", e.id),
            kind => format!("`{kind}` started (`{}`)", e.id),
        };
        let _ = writeln!(md, "- {} — {what} by {}", e.at, e.by);
    }

    let sprint = event
        .details_as::<Failure>()
        .filter(|_| event.kind == Kind::Sprint);
    let applied = event.details_as::<Applied>().unwrap_or_default();
    if let Some(sprint) = &sprint {
        let _ = writeln!(md, "\n## Commits backed out ({})\n", sprint.commits.len());
        if sprint.commits.is_empty() {
            let _ = writeln!(md, "None: only uncommitted work.");
        }
        for commit in &sprint.commits {
            let _ = writeln!(md, "- `{}` {}", short(&commit.oid), commit.subject);
        }
    }
    let _ = writeln!(md, "\n## Files\n");
    if let Some(sprint) = &sprint {
        let _ = writeln!(md, "| file | change | + | - |\n|---|---|---|---|");
        for file in &sprint.files {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                file.path, file.status, file.insertions, file.deletions
            );
        }
    } else if !applied.paths.is_empty() {
        for path in &applied.paths {
            let _ = writeln!(md, "- {path}");
        }
        if let Some(total) = applied.paths_total {
            let _ = writeln!(md, "- … {total} paths in all");
        }
    } else {
        let _ = writeln!(md, "No file changed.");
    }

    let _ = writeln!(md, "\n## Tests\n");
    let mut any_test = false;
    if let Some(test) = sprint.as_ref().and_then(|s| s.test.as_ref()) {
        any_test = true;
        let _ = writeln!(
            md,
            "- before the rollback: `{}` exited {}",
            test.command,
            test.status.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    for check in result.iter().flat_map(|r| &r.checks) {
        any_test = true;
        let verdict = if check.skipped {
            "skipped (no test files mapped)".to_owned()
        } else if check.ok {
            "passed".to_owned()
        } else {
            format!(
                "failed (exit {})",
                check.status.map(|s| s.to_string()).unwrap_or_default()
            )
        };
        let _ = writeln!(
            md,
            "- after the rollback, {} `{}`: {verdict}",
            check.name, check.command
        );
    }
    if !any_test {
        let _ = writeln!(md, "No test ran.");
    }

    let steps: Vec<_> = result.iter().flat_map(|r| &r.steps).collect();
    if !steps.is_empty() {
        let _ = writeln!(md, "\n## Steps\n");
        let _ = writeln!(md, "| step | command | exit | ms | last output |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for step in steps {
            let _ = writeln!(
                md,
                "| {} | `{}` | {} | {} | {} |",
                step.name,
                step.command.replace('|', "\\|"),
                step.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "signal".into()),
                step.duration_ms,
                step.output
                    .last()
                    .map(|l| l.replace('|', "\\|"))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(ms) = result.as_ref().and_then(|r| r.recovery_ms) {
        let _ = writeln!(md, "\nRecovered and verified in {ms} ms.");
    }

    let _ = writeln!(md, "\n## Branches\n");
    if let Some(before) = &event.head_before {
        let _ = writeln!(
            md,
            "- before: {} at `{}`",
            before.describe(),
            short(&before.oid)
        );
    }
    if let Some(sprint) = &sprint {
        for (label, name) in [
            ("work saved on", &sprint.backup_branch),
            ("retry on", &sprint.retry_branch),
        ] {
            let _ = writeln!(
                md,
                "- {label}: {}",
                name.strip_prefix("refs/heads/").unwrap_or(name)
            );
        }
    }
    if let Some(after) = &event.head_after {
        let _ = writeln!(
            md,
            "- after: {} at `{}`",
            after.describe(),
            short(&after.oid)
        );
    }

    let _ = writeln!(md, "\n## How to undo\n");
    if undone_by.is_empty() {
        let _ = writeln!(md, "```sh\ngit rollback undo {}\n```", event.id);
    } else {
        let ids: Vec<String> = undone_by.iter().map(|e| format!("`{}`", e.id)).collect();
        let _ = writeln!(md, "Already undone by {}.", ids.join(", "));
    }
    md
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let events = ledger::read_all(&repo)?;
    let event = ledger::find(&events, &args.operation)
        .filter(|e| e.is_undoable())
        .or_else(|| events.iter().find(|e| is_rollback(e) && e.checkpoint.as_deref() == Some(args.operation.as_str())))
        .ok_or_else(|| {
            Error::usage(format!("no rollback '{}' in the operation log", args.operation))
                .hint(Hint::Worded("name an operation id from `git rollback log`, or a checkpoint that was rolled back to".into()))
        })?;
    let markdown = markdown(event, &events);
    let file = match &args.output {
        Some(path) => {
            let path = context.cwd.join(path);
            std::fs::write(&path, &markdown)
                .map_err(|err| Error::usage(format!("cannot write '{}': {err}", path.display())))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    ui.print(&Written {
        id: event.id.clone(),
        markdown,
        file,
    })
}
