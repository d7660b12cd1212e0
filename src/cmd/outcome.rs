//! The human rendering of an operation's outcome, shared by every command
//! that changes the work tree (`to`, `undo`, `files`, `sprint`).

use git_rollback::ledger::Kind;
use git_rollback::operation::Outcome;

use super::short;
use crate::ui::Report;

impl Report for Outcome {
    fn human(&self) -> String {
        let mut out = summary(self);
        if !self.submodules.is_empty() {
            out.push_str(&format!(
                "Submodules now at another recorded commit (their work trees were left alone): {}\nUpdate them with: git submodule update --init -- {}\n",
                self.submodules.join(", "),
                self.submodules.join(" ")
            ));
        }
        if let Some(drift) = self.drift.as_ref().filter(|d| !d.is_empty()) {
            out.push_str("Edited after the move (moved back with the edits):\n");
            for path in drift {
                out.push_str(&format!("  drift    {path}\n"));
            }
        }
        out
    }
}

/// What was (or would be) done, the checks and how to undo it.
fn summary(outcome: &Outcome) -> String {
    let subject = match outcome
        .subject
        .as_deref()
        .or(outcome.checkpoint.as_deref())
        .or(outcome.undoes.as_deref())
        .or(outcome.backup.as_deref())
    {
        Some(name) => format!(" {name}"),
        None => String::new(),
    };
    let (would, did) = match outcome.kind {
        Kind::To => ("roll back to", "Rolled back to"),
        Kind::Undo => ("undo", "Undid"),
        Kind::Redo => ("redo", "Redid"),
        Kind::Files => ("restore paths from", "Restored paths from"),
        Kind::Sprint => ("back out the sprint to", "Backed out the sprint to"),
        Kind::MapRecord => ("record a move", "Recorded a move"),
        Kind::MapRevert => ("revert the map", "Reverted the map"),
        Kind::Stage => ("roll back stage", "Rolled back stage"),
        Kind::BackupRestore => ("restore backup", "Restored backup"),
        Kind::CheckpointDelete => ("delete checkpoint", "Deleted checkpoint"),
        Kind::CheckpointRename => ("rename checkpoint", "Renamed checkpoint"),
        Kind::Drill => ("drill a rollback to", "Drilled a rollback to"),
        other @ (Kind::Checkpoint
        | Kind::Backup
        | Kind::Result
        | Kind::PrePush
        | Kind::Recover
        | Kind::Unknown) => (other.as_str(), other.as_str()),
    };
    let mut out = String::new();
    if outcome.dry_run {
        out.push_str(&format!(
            "Would {would}{subject}: {} to restore, {} to delete, HEAD {} {} -> {}\n",
            outcome.restored,
            outcome.deleted,
            outcome.head_before.describe(),
            short(&outcome.head_before.oid),
            short(&outcome.head_after.oid)
        ));
        if !outcome.plan.is_empty() {
            out.push_str(&format!("  {:<8} {:<7} {}\n", "WORKTREE", "INDEX", "PATH"));
        }
        for path in &outcome.plan {
            out.push_str(&format!(
                "  {:<8} {:<7} {}\n",
                path.worktree, path.index, path.path
            ));
        }
        out.push_str("(dry run: nothing changed)\n");
        return out;
    }
    out.push_str(&format!(
        "{did}{subject} ({} restored, {} deleted); HEAD {} {} -> {}\n",
        outcome.restored,
        outcome.deleted,
        outcome.head_after.describe(),
        short(&outcome.head_before.oid),
        short(&outcome.head_after.oid)
    ));
    let name = |r: &String| r.strip_prefix("refs/heads/").unwrap_or(r).to_owned();
    if !outcome.refs_edited.is_empty() {
        let names: Vec<String> = outcome.refs_edited.iter().map(name).collect();
        out.push_str(&format!("Branches made or removed: {}\n", names.join(", ")));
    }
    if !outcome.refs_kept.is_empty() {
        let names: Vec<String> = outcome.refs_kept.iter().map(name).collect();
        out.push_str(&format!("Kept (moved since): {}\n", names.join(", ")));
    }
    out.push_str(&checks_and_steps(&outcome.checks, &outcome.steps));
    if let (Some(ms), false) = (
        outcome.recovery_ms,
        outcome.steps.is_empty() && outcome.checks.is_empty(),
    ) {
        out.push_str(&format!("Recovered and verified in {ms} ms\n"));
    }
    if let (Some(id), Some(snapshot)) = (&outcome.id, &outcome.snapshot) {
        out.push_str(&format!(
            "The previous state is saved as {}; undo with: git rollback undo {id}\n",
            short(snapshot)
        ));
        match outcome.kind {
            Kind::Undo => out.push_str(
                "Walk further back with `git rollback undo`, or re-apply it with `git rollback redo`\n",
            ),
            Kind::Redo => out.push_str("Undo it again with `git rollback undo`\n"),
            _ => {}
        }
    }
    out
}

/// One line per check and per step: how each went.
pub fn checks_and_steps(
    checks: &[git_rollback::check::CheckResult],
    steps: &[git_rollback::steps::StepResult],
) -> String {
    let verdict = |ok: bool, status: Option<i32>, passed: &str| {
        if ok {
            passed.to_owned()
        } else {
            format!("FAILED (exit {})", status.unwrap_or(-1))
        }
    };
    let mut out = String::new();
    for check in checks {
        let how = if check.skipped {
            "skipped (no test files mapped)".to_owned()
        } else {
            verdict(check.ok, check.status, "passed")
        };
        out.push_str(&format!("{} `{}`: {how}\n", check.name, check.command));
    }
    for step in steps {
        out.push_str(&format!(
            "{} step `{}`: {} ({} ms)\n",
            step.name,
            step.command,
            verdict(step.ok, step.status, "ok"),
            step.duration_ms
        ));
    }
    out
}
