//! One ledger event as a line, shared by `log` and `show`.

use git_rollback::ledger::{Event, Kind};
use git_rollback::operation::Finished;

use crate::ui::Report;

impl Report for Event {
    fn human(&self) -> String {
        if let Some(finished) = self
            .details_as::<Finished>()
            .filter(|_| self.kind == Kind::Result)
        {
            let failed = finished.checks.iter().filter(|c| !c.ok).count();
            return format!(
                "{}  {}  result     of {}: restored in {} ms{}\n",
                self.id,
                to_the_second(&self.at),
                finished.operation,
                finished.duration_ms,
                if failed > 0 {
                    format!(", {failed} check(s) FAILED")
                } else {
                    String::new()
                }
            );
        }
        let mut line = format!(
            "{}  {}  {:<10}",
            self.id,
            to_the_second(&self.at),
            self.kind
        );
        if let Some(checkpoint) = &self.checkpoint {
            line.push_str(&format!(" {checkpoint}"));
        }
        if let Some(undoes) = &self.undoes {
            line.push_str(&format!(" (undoes {undoes})"));
        }
        if let Some(severity) = &self.severity {
            line.push_str(&format!(" [{severity}]"));
        }
        if let Some(reason) = &self.reason {
            line.push_str(&format!(" \"{reason}\""));
        }
        line.push_str(&format!("  by {}\n", self.by));
        line
    }
}

/// A ledger time to the second, as people read it (`2026-11-23T11:12:40Z`).
fn to_the_second(at: &str) -> String {
    match at.get(..19) {
        Some(seconds) => format!("{seconds}Z"),
        None => at.to_owned(),
    }
}
