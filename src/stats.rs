//! Totals over the ledger: rollbacks by kind, cause and severity, recovery
//! time (how long each rollback took to restore the state), and rollbacks
//! per ISO week. Replaces the runbooks' metrics scripts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ledger::{Event, Kind};

/// Events that are rollbacks (undo is counted apart): a rollback kind that
/// changed something (a file, the index or HEAD), not a no-op.
pub fn is_rollback(event: &Event) -> bool {
    if !event.is_undoable() || !event.kind.is_rollback() {
        return false;
    }
    let applied = event
        .details_as::<crate::operation::Applied>()
        .unwrap_or_default();
    let moved = event.head_before != event.head_after;
    moved || applied.restored > 0 || applied.deleted > 0 || !applied.paths.is_empty()
}

#[derive(Debug, Default, Serialize)]
pub struct Recovery {
    /// Rollbacks whose duration was recorded.
    pub count: usize,
    pub mean_ms: Option<u64>,
    pub max_ms: Option<u64>,
}

/// Drills: rollbacks practised in a temporary worktree (not counted as
/// rollbacks).
#[derive(Debug, Default, Serialize)]
pub struct Drills {
    pub count: usize,
    /// Those whose checks and steps all passed.
    pub passed: usize,
    /// Recovery time (rollback start to end of verification) of the drills.
    pub recovery: Recovery,
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub rollbacks: usize,
    pub drills: Drills,
    pub undos: usize,
    pub checkpoints: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_cause: BTreeMap<String, usize>,
    pub by_severity: BTreeMap<String, usize>,
    /// Who rolled back (`Name <email>`): the team's, once `sync` brought
    /// their log.
    pub by_person: BTreeMap<String, usize>,
    pub recovery: Recovery,
    /// ISO week (`2026-W47`) → rollbacks.
    pub per_week: BTreeMap<String, usize>,
}

fn iso_week(at: &str) -> Option<String> {
    let timestamp: jiff::Timestamp = at.parse().ok()?;
    let week = timestamp
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .iso_week_date();
    Some(format!("{}-W{:02}", week.year(), week.week()))
}

pub fn compute(events: &[Event]) -> Stats {
    let mut stats = Stats::default();
    let durations: BTreeMap<String, u64> = events
        .iter()
        .filter(|e| e.kind == Kind::Result)
        .filter_map(|e| e.details_as::<crate::operation::Finished>())
        .map(|finished| (finished.operation, finished.duration_ms))
        .collect();
    let results: BTreeMap<String, crate::operation::Finished> = events
        .iter()
        .filter(|e| e.kind == Kind::Result)
        .filter_map(|e| e.details_as::<crate::operation::Finished>())
        .map(|finished| (finished.operation.clone(), finished))
        .collect();
    let mut recorded = Vec::new();
    let mut drilled = Vec::new();
    for event in events {
        match event.kind {
            Kind::Checkpoint => stats.checkpoints += 1,
            Kind::Drill => {
                stats.drills.count += 1;
                if let Some(result) = results.get(event.id.as_str()) {
                    if result.checks.iter().all(|c| c.ok) && result.steps.iter().all(|s| s.ok) {
                        stats.drills.passed += 1;
                    }
                    drilled.push(result.recovery_ms.unwrap_or(result.duration_ms));
                }
            }
            Kind::Undo => stats.undos += 1,
            _ if is_rollback(event) => {
                stats.rollbacks += 1;
                *stats.by_kind.entry(event.kind.to_string()).or_default() += 1;
                let cause = event
                    .reason
                    .clone()
                    .unwrap_or_else(|| "(no reason given)".to_owned());
                *stats.by_cause.entry(cause).or_default() += 1;
                let severity = event
                    .severity
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned());
                *stats.by_severity.entry(severity).or_default() += 1;
                *stats.by_person.entry(event.by.clone()).or_default() += 1;
                if let Some(week) = iso_week(&event.at) {
                    *stats.per_week.entry(week).or_default() += 1;
                }
                if let Some(ms) = durations.get(event.id.as_str()) {
                    recorded.push(*ms);
                }
            }
            _ => {}
        }
    }
    stats.recovery = Recovery::of(&recorded);
    stats.drills.recovery = Recovery::of(&drilled);
    stats
}

impl Recovery {
    fn of(durations: &[u64]) -> Recovery {
        Recovery {
            count: durations.len(),
            mean_ms: (!durations.is_empty())
                .then(|| durations.iter().sum::<u64>() / durations.len() as u64),
            max_ms: durations.iter().max().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::iso_week;

    #[test]
    fn iso_weeks() {
        assert_eq!(
            iso_week("2026-11-22T07:30:58.087122Z").as_deref(),
            Some("2026-W47")
        );
        assert_eq!(
            iso_week("2027-01-01T00:00:00Z").as_deref(),
            Some("2026-W53")
        );
    }
}
