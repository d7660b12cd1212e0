//! `git rollback stats`: totals over the operation log.

use git_rollback::stats::{self, Stats};
use git_rollback::{ledger, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Totals over the operation log: rollbacks by kind, cause, severity and
/// person, mean and max recovery time, rollbacks per week, drills. After
/// `git rollback sync` the log holds the team's rollbacks too.
///
/// Recovery time is how long a rollback took from its start until the state
/// was restored (checks not included).
#[derive(Debug, clap::Args)]
pub struct Args {}

impl Report for Stats {
    fn human(&self) -> String {
        let mut out = format!(
            "rollbacks:   {}\nundos:       {}\ncheckpoints: {}\n",
            self.rollbacks, self.undos, self.checkpoints
        );
        match (self.recovery.mean_ms, self.recovery.max_ms) {
            (Some(mean), Some(max)) => out.push_str(&format!(
                "recovery:    mean {mean} ms, max {max} ms ({} rollbacks)\n",
                self.recovery.count
            )),
            _ => out.push_str("recovery:    no durations recorded\n"),
        }
        if self.drills.count > 0 {
            out.push_str(&format!(
                "drills:      {} ({} passed){}\n",
                self.drills.count,
                self.drills.passed,
                match (self.drills.recovery.mean_ms, self.drills.recovery.max_ms) {
                    (Some(mean), Some(max)) => format!(", recovery mean {mean} ms, max {max} ms"),
                    _ => String::new(),
                }
            ));
        }
        for (title, map) in [
            ("by kind", &self.by_kind),
            ("by cause", &self.by_cause),
            ("by severity", &self.by_severity),
            ("by person", &self.by_person),
            ("per week", &self.per_week),
        ] {
            if !map.is_empty() {
                out.push_str(&format!("\n{title}:\n"));
                for (key, count) in map {
                    out.push_str(&format!("  {count:>4}  {key}\n"));
                }
            }
        }
        out
    }
}

pub fn run(_args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    ui.print(&stats::compute(&ledger::read_all(&repo)?))
}
