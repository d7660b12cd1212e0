//! `git rollback log`: the operation history from the ledger, newest first.

use git_rollback::ledger::Kind;
use git_rollback::ledger::{self, Event};
use git_rollback::operation::{self, Finished};
use git_rollback::Hint;
use git_rollback::{Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Show the operation history, newest first.
///
/// Every checkpoint, rollback and undo is recorded as a JSON line in the git
/// notes under refs/notes/rollback. Use an operation's id with
/// `git rollback undo <id>`. An event fetched by `git rollback sync` says
/// from which remote.
///
/// Examples:
///   git rollback log -n 20
///   git rollback log --kind to --since 2026-11-01
///   git rollback log 5184db9f      (one event in full)
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Show this event in full (an id or a unique prefix of one)
    pub operation: Option<String>,

    /// Show at most N events
    #[arg(short = 'n', long, value_name = "N")]
    pub max_count: Option<usize>,

    /// Only events of this kind (to, files, undo, redo, checkpoint, …)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,

    /// Only events at or after this time (RFC 3339, or a date: 2026-11-01)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
}

/// One event in full: every recorded field, as pretty JSON (also with --json).
struct Full<'a>(&'a Event);

impl serde::Serialize for Full<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(out)
    }
}

impl Report for Full<'_> {
    fn human(&self) -> String {
        serde_json::to_string_pretty(self.0).unwrap_or_default() + "\n"
    }
}

/// `--since`: an RFC 3339 time or a date (midnight UTC), as the ledger's text.
fn since(value: &str) -> Result<String> {
    let at = value
        .parse::<jiff::Timestamp>()
        .or_else(|_| {
            value
                .parse::<jiff::civil::Date>()
                .map(|d| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()))
                .and_then(|t| t)
        })
        .map_err(|_| {
            Error::usage(format!("--since '{value}' is not a time")).hint(Hint::Worded(
                "give a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00Z)".into(),
            ))
        })?;
    Ok(ledger::timestamp(at))
}

/// An event as `log` shows it: an operation with its result (the result
/// line folded in), and, for an operation this worktree has undone (and
/// not redone), the undo that reverted it.
#[derive(serde::Serialize)]
struct Logged<'a> {
    #[serde(flatten)]
    event: &'a Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    undone_by: Option<&'a str>,
    /// The remote `sync` fetched it from (absent: recorded in this clone).
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Finished>,
}

impl Report for Logged<'_> {
    fn human(&self) -> String {
        let mut line = self.event.human().trim_end().to_owned();
        match &self.result {
            Some(finished) => {
                let failed = finished.checks.iter().filter(|c| !c.ok).count();
                line.push_str(&format!("  ({} ms", finished.duration_ms));
                if failed > 0 {
                    line.push_str(&format!(", {failed} check(s) FAILED"));
                }
                line.push(')');
            }
            None if self.event.is_undoable() => line.push_str("  (did not finish)"),
            None => {}
        }
        if let Some(undo) = self.undone_by {
            line.push_str(&format!("  (undone by {undo})"));
        }
        if let Some(remote) = self.origin {
            line.push_str(&format!("  (from {remote})"));
        }
        line + "\n"
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    if let Some(id) = &args.operation {
        let events = ledger::read_all(&repo)?;
        let event = ledger::find(&events, id).ok_or_else(|| {
            Error::usage(format!("operation '{id}' not found")).hint(Hint::LogListsIds)
        })?;
        return ui.print(&Full(event));
    }
    let since = args.since.as_deref().map(since).transpose()?;
    let kind = match &args.kind {
        None => None,
        Some(name) => Some(Kind::named(name).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL
                .iter()
                .filter(|k| **k != Kind::Unknown)
                .map(|k| k.as_str())
                .collect();
            Error::usage(format!("--kind '{name}' is not a kind of event"))
                .hint(Hint::Worded(format!("kinds: {}", names.join(", "))))
        })?),
    };
    // Read only as far back as is shown: until N events pass the filters,
    // or the first one before --since. Whether an event is undone depends
    // only on later events (its undos and redos), all of them read by then.
    // A result line is shown with its operation (alone only with --kind result).
    let wanted = |e: &Event| {
        (e.kind != Kind::Result || kind == Some(Kind::Result))
            && kind.is_none_or(|k| e.kind == k)
            && since.as_deref().is_none_or(|s| e.at.as_str() >= s)
    };
    let mut passed = 0;
    let events = match (args.max_count, &since) {
        (None, None) => ledger::read_all(&repo)?,
        (max, _) => ledger::read_newest(&repo, |e| {
            passed += usize::from(wanted(e));
            max.is_some_and(|n| passed >= n) || since.as_deref().is_some_and(|s| e.at.as_str() < s)
        })?,
    };
    // Undone or not is judged on the history read, before any filter.
    let history = operation::history(&repo, &events)?;
    let in_effect: std::collections::HashSet<&str> =
        history.done.iter().map(|e| e.id.as_str()).collect();
    let undone_by = |event: &Event| -> Option<&str> {
        if matches!(event.kind, Kind::Undo | Kind::Redo)
            || in_effect.contains(event.id.as_str())
            || !event.is_undoable()
        {
            return None;
        }
        // Events are newest first: the latest undo of it.
        events
            .iter()
            .find(|e| e.kind == Kind::Undo && e.undoes.as_deref() == Some(event.id.as_str()))
            .map(|undo| undo.id.as_str())
    };
    let results: std::collections::HashMap<String, Finished> = events
        .iter()
        .filter(|e| e.kind == Kind::Result)
        .filter_map(|e| e.details_as::<Finished>())
        .map(|finished| (finished.operation.clone(), finished))
        .collect();
    let origins = git_rollback::sync::Origins::load(&repo);
    let shown: Vec<Logged> = events
        .iter()
        .filter(|e| wanted(e))
        .take(args.max_count.unwrap_or(usize::MAX))
        .map(|event| Logged {
            event,
            undone_by: undone_by(event),
            origin: origins.of_event(&event.id),
            result: results.get(event.id.as_str()).cloned(),
        })
        .collect();
    let core_pager = repo
        .git
        .config_snapshot()
        .string("core.pager")
        .map(|p| p.to_string());
    ui.print_paged(
        &shown,
        if args.kind.is_some() || args.since.is_some() {
            "No operations match."
        } else {
            "No operations recorded yet."
        },
        core_pager,
    )
}
