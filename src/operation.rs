//! The one mechanism behind every command that changes HEAD, the index or the
//! work tree: check preconditions, capture a safety snapshot, plan, record the
//! event (naming the snapshot) and only then write. `undo` is the same
//! mechanism with the recorded snapshot as its target, so it can be undone too.

use gix::bstr::ByteSlice;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target as RefTarget;
use gix::ObjectId;
use serde::Serialize;

use crate::check::{self, Check, CheckResult};
use crate::error::{Context, Error, Hint, Result};
use crate::ledger::{self, Event};
use crate::pathspec::PathSpec;
use crate::repo::{Head, Repo};
use crate::snapshot::{self, Capture, Change as PathChange, Plan, State};

/// Where safety snapshots are kept reachable, one ref per operation.
pub const SNAPSHOT_REFS: &str = "refs/rollback/snapshots/";

/// How HEAD ends up after the operation.
#[derive(Debug, Clone)]
pub enum HeadAfter {
    /// The current branch (or detached HEAD) moves to the target's HEAD.
    MoveCurrent,
    /// HEAD is detached at the target's HEAD; no branch moves.
    Detach,
    /// HEAD is exactly this (used by `undo`).
    Exactly(Head),
    /// HEAD does not move (selective restores).
    Keep,
}

/// What an operation brings about.
#[derive(Debug)]
pub enum Target {
    /// A recorded state: a checkpoint, a safety snapshot, a commit.
    State(State),
    /// The current state, as captured, with these steps applied in order
    /// (none: only the exact writes change anything). HEAD does not move.
    Derived(Vec<Step>),
    /// The current state with a backup's entries placed over the work tree
    /// (nothing is deleted; the index and HEAD stay).
    Archive(Box<crate::backup::Archive>),
}

/// One change to the captured current state.
#[derive(Debug, Clone)]
pub enum Step {
    /// Carry out moves, all or nothing (`map record`).
    Move(Vec<crate::migration::Move>),
    /// Reverse a map, all or nothing; with `force`, what is in the way of a
    /// destination is replaced. `reference` (the state before the moves)
    /// tells the drift: files edited after they were moved.
    Revert {
        map: crate::migration::Map,
        reference: Option<State>,
        force: bool,
    },
    /// Take every path `spec` names from `source` (paths `source` lacks
    /// are removed): a stage's paths. A pattern that names nothing in either
    /// is refused.
    Overlay { source: State, spec: PathSpec },
}

/// The state `steps` make of `current`, and the drift when a map was reverted.
fn derive(repo: &Repo, current: &State, steps: Vec<Step>) -> Result<(State, Option<Vec<String>>)> {
    let mut state = current.clone();
    let mut drift = None;
    for step in steps {
        state = match step {
            Step::Move(moves) => crate::migration::carry_out(repo, &state, &moves)?,
            Step::Revert {
                map,
                reference,
                force,
            } => {
                let (moved, edited) =
                    crate::migration::revert(repo, &state, &map, reference.as_ref(), force)?;
                drift.get_or_insert_with(Vec::new).extend(edited);
                moved
            }
            Step::Overlay { source, spec } => {
                let trees = [current.trees(), source.trees()].concat();
                let unmatched = spec.unmatched(repo, std::iter::empty(), &trees)?;
                if !unmatched.is_empty() {
                    return Err(Error::usage(format!(
                        "stage path '{}' matches no file",
                        unmatched.join("', '")
                    )));
                }
                snapshot::overlay(repo, &state, &source, &spec)?
            }
        };
    }
    Ok((state, drift))
}

/// One operation to carry out.
pub struct Request {
    pub kind: ledger::Kind,
    pub target: Target,
    /// Files to write byte for byte (or delete, with `None`) once the plan
    /// is carried out: ignored files, and files whose exact bytes a snapshot
    /// cannot give back. Their old content is saved under
    /// `$GIT_DIR/rollback/saved/<id>/` (never in git objects, mode kept)
    /// and `undo` puts it back.
    pub write_exact: Vec<ExactWrite>,
    /// The current state, when the caller already captured it (so the work
    /// tree is not read twice); it becomes the safety snapshot.
    pub captured: Option<Capture>,
    pub head_after: HeadAfter,
    /// Capture and restore only these paths (everything when `None`). The
    /// event records them (`details.only`), and `undo` is limited to them.
    pub only: Option<PathSpec>,
    pub checkpoint: Option<String>,
    /// What the operation acts on, as its output names it, when that is not
    /// the checkpoint (a stage's name).
    pub subject: Option<String>,
    pub reason: Option<String>,
    pub severity: Option<String>,
    pub undoes: Option<String>,
    /// Kind-specific data recorded in the event.
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Commands to run once the state is restored (verify, tests).
    pub checks: Vec<Check>,
    /// The steps around it (before, after, notify; verify retries).
    pub steps: crate::steps::Steps,
    pub dry_run: bool,
    /// Paths to mark intent-to-add in the index (an undo giving back
    /// `git add -N`).
    pub intent_to_add: Vec<String>,
    /// Branches to create or remove once HEAD has moved (the branches a
    /// sprint made, removed by its undo and made again by a redo).
    pub ref_edits: Vec<BranchEdit>,
}

/// A ref set from one value to another after HEAD moves, only if it still
/// has the first (compare-and-swap): a branch someone moved since is kept.
/// `None` is "absent". Recorded in the event (`details.ref_edits`), so its
/// undo makes the reverse edits.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct BranchEdit {
    pub name: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl BranchEdit {
    fn reversed(&self) -> BranchEdit {
        BranchEdit {
            name: self.name.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct RefEdits {
    #[serde(default)]
    ref_edits: Vec<BranchEdit>,
}

/// Carry out `edits`; the names of those made, and of those kept because the
/// ref no longer had the expected value.
fn apply_ref_edits(
    repo: &Repo,
    edits: &[BranchEdit],
    message: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    use gix::refs::transaction::RefEdit as Edit;
    let (mut done, mut kept) = (Vec::new(), Vec::new());
    for edit in edits {
        let current = repo
            .git
            .try_find_reference(edit.name.as_str())?
            .and_then(|r| r.target().try_id().map(|id| id.to_string()));
        if current == edit.to {
            continue;
        }
        if current != edit.from {
            kept.push(edit.name.clone());
            continue;
        }
        let name: gix::refs::FullName = edit.name.as_str().try_into()?;
        let expected = match &edit.from {
            Some(oid) => PreviousValue::MustExistAndMatch(RefTarget::Object(
                ObjectId::from_hex(oid.as_bytes()).context("ref edit")?,
            )),
            None => PreviousValue::MustNotExist,
        };
        let change = match &edit.to {
            Some(oid) => Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: message.into(),
                },
                expected,
                new: RefTarget::Object(ObjectId::from_hex(oid.as_bytes()).context("ref edit")?),
            },
            None => Change::Delete {
                expected,
                log: RefLog::AndReference,
            },
        };
        repo.git
            .edit_reference(Edit {
                change,
                name,
                deref: false,
            })
            .context(format!("updating {}", edit.name))?;
        done.push(edit.name.clone());
    }
    Ok((done, kept))
}

impl Request {
    /// Set the kind's own details of the event from their typed form.
    pub fn set_details(&mut self, details: &impl Serialize) -> Result<()> {
        ledger::merge_details(&mut self.details, details)
    }

    /// An operation that brings `target` about; HEAD ends as `head_after`
    /// says for a recorded state, and does not move for a derived one.
    pub fn new(kind: ledger::Kind, target: Target, head_after: HeadAfter) -> Request {
        Request {
            kind,
            target,
            write_exact: Vec::new(),
            captured: None,
            head_after,
            only: None,
            checkpoint: None,
            subject: None,
            reason: None,
            severity: None,
            undoes: None,
            details: Default::default(),
            checks: Vec::new(),
            steps: Default::default(),
            dry_run: false,
            ref_edits: Vec::new(),
            intent_to_add: Vec::new(),
        }
    }
}

/// One path of the plan, as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct PathPlan {
    pub path: String,
    /// `restore`, `delete` or `keep`.
    pub worktree: &'static str,
    /// `update`, `remove` or `keep`.
    pub index: &'static str,
}

/// What an operation did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The event id (`None` for a dry run).
    pub id: Option<String>,
    pub kind: ledger::Kind,
    pub dry_run: bool,
    pub checkpoint: Option<String>,
    /// What the operation acted on, when that is not the checkpoint.
    pub subject: Option<String>,
    pub undoes: Option<String>,
    pub head_before: Head,
    pub head_after: Head,
    /// The safety snapshot (`None` for a dry run): `git stash show --include-untracked <it>`.
    pub snapshot: Option<String>,
    pub restored: usize,
    pub deleted: usize,
    pub plan: Vec<PathPlan>,
    /// The backup whose entries were restored.
    pub backup: Option<String>,
    /// When a map was reverted: the files edited after they were moved
    /// (moved back with their edits).
    pub drift: Option<Vec<String>>,
    /// Submodules whose recorded commit (gitlink) the operation changed:
    /// their work trees are left alone, so they now differ until updated.
    pub submodules: Vec<String>,
    /// How long the operation took, checks excluded.
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
    /// The steps around it, in the order they ran.
    pub steps: Vec<crate::steps::StepResult>,
    /// From the start to the end of verification (after steps included).
    pub recovery_ms: Option<u64>,
    /// Branches made or removed after HEAD moved (see [`BranchEdit`]).
    pub refs_edited: Vec<String>,
    /// Branches left as they are because they moved since.
    pub refs_kept: Vec<String>,
}

pub fn describe_plan(plan: &Plan) -> Vec<PathPlan> {
    plan.paths()
        .into_iter()
        .map(|(path, worktree, index)| PathPlan {
            path: path.to_str_lossy().into_owned(),
            worktree: match worktree {
                Some(PathChange::Write(_)) => "restore",
                Some(PathChange::Delete) => "delete",
                None => "keep",
            },
            index: match index {
                Some(PathChange::Write(_)) => "update",
                Some(PathChange::Delete) => "remove",
                None => "keep",
            },
        })
        .collect()
}

/// Carry out `request` (see the module documentation for the order of
/// steps): [`prepare`], then, unless it is a dry run, [`commit`].
pub fn run(repo: &Repo, request: Request) -> Result<Outcome> {
    let prepared = prepare(repo, request)?;
    if prepared.request.dry_run {
        return Ok(prepared.outcome);
    }
    commit(repo, prepared)
}

/// An operation captured, planned and checked against the work tree, with
/// nothing written: [`Prepared::outcome`] is its plan (what a dry run
/// prints); [`commit`] carries it out.
pub struct Prepared {
    request: Request,
    capture: Capture,
    plan: snapshot::Plan,
    target_commit: ObjectId,
    archive: Option<Box<crate::backup::Archive>>,
    selection: Option<crate::backup::Selection>,
    head_before: Head,
    head_after: Head,
    branch_expected: Option<ObjectId>,
    outcome: Outcome,
    restored: usize,
    deleted: usize,
    start: std::time::Instant,
    signals: crate::interrupt::Operation,
}

impl Prepared {
    /// What the operation will do: its per-path plan, HEAD before and after.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// The backup entries an operation restores, as writes.
fn archive_writes(archive: &Option<Box<crate::backup::Archive>>) -> Result<snapshot::Writes<'_>> {
    Ok(match archive {
        Some(archive) => Box::new(
            archive
                .entries()?
                .map(|entry| entry.map(|e| (e.path, snapshot::Content::Sha256(e.sha256)))),
        ),
        None => Box::new(std::iter::empty()),
    })
}

/// Capture the current state, plan the change to the target and check it
/// against the work tree (paths named, repositories and ignored files in
/// the way); write nothing.
pub fn prepare(repo: &Repo, mut request: Request) -> Result<Prepared> {
    let start = std::time::Instant::now();
    let signals = crate::interrupt::Operation::start();
    repo.ensure_no_operation_in_progress()?;
    for check in &request.checks {
        check::ensure_runnable(repo, check)?;
    }
    for (name, command) in request.steps.commands() {
        check::ensure_runnable(repo, &Check::new(name, command))?;
    }
    let head_before = repo.head()?;
    let capture = match request.captured.take() {
        Some(capture) => capture,
        None => snapshot::capture(
            repo,
            Some(&format!("git-rollback: before {}", request.kind)),
            match &request.target {
                Target::State(state) => Some(state.worktree_tree),
                Target::Derived(_) | Target::Archive(_) => None,
            },
            request.only.as_ref(),
        )?,
    };
    let derived = matches!(request.target, Target::Derived(_));
    let (target, drift, archive) =
        match std::mem::replace(&mut request.target, Target::Derived(Vec::new())) {
            Target::State(state) => (state, None, None),
            Target::Derived(steps) => {
                request.head_after = HeadAfter::Keep;
                let (state, drift) = derive(repo, &capture.state, steps)?;
                (state, drift, None)
            }
            Target::Archive(archive) => {
                request.head_after = HeadAfter::Keep;
                (capture.state.clone(), None, Some(archive))
            }
        };
    let head_after = match &request.head_after {
        HeadAfter::MoveCurrent => Head {
            branch: head_before.branch.clone(),
            oid: target.head.to_string(),
        },
        HeadAfter::Detach => Head {
            branch: None,
            oid: target.head.to_string(),
        },
        HeadAfter::Exactly(head) => head.clone(),
        HeadAfter::Keep => head_before.clone(),
    };
    // The value the moved branch must still have when we move it (compare-and-swap).
    let branch_expected = match &head_after.branch {
        Some(branch) if head_before.branch.as_ref() == Some(branch) => Some(head_before.oid()?),
        Some(branch) => repo
            .git
            .try_find_reference(branch.as_str())?
            .and_then(|r| r.target().try_id().map(|id| id.to_owned())),
        None => None,
    };

    let mut plan = snapshot::plan(repo, &capture.state, &target, request.only.as_ref())?;
    plan.intent_to_add = request
        .intent_to_add
        .iter()
        .map(|p| p.as_str().into())
        .collect();
    if let Some(only) = &request.only {
        plan.retain(|path| only.matches(path));
    }
    // Paths the user named must name something (an undo's are its operation's).
    // (A backup's own check names paths it does not hold; a derived
    // state's paths come from configuration, not from the user.)
    if let (Some(only), None, None, false) = (&request.only, &request.undoes, &archive, derived) {
        let planned = plan
            .worktree
            .keys()
            .chain(plan.index.keys())
            .map(|p| p.as_bstr());
        let trees = [capture.state.trees(), target.trees()].concat();
        let unmatched = only.unmatched(repo, planned, &trees)?;
        if !unmatched.is_empty() {
            return Err(Error::usage(format!(
                "pathspec '{}' did not match any file",
                unmatched.join("', '")
            ))
            .hint(Hint::PathsRelative));
        }
    }
    // A backup's entries: checked against the work tree (nothing escapes
    // it, passes through a symlink or replaces a directory).
    let selection = archive
        .as_ref()
        .map(|archive| archive.check(repo.workdir()))
        .transpose()?;
    crate::trace::phase("plan");
    let blocked = snapshot::in_the_way(
        repo,
        &capture.state,
        snapshot::plan_writes(&plan).chain(archive_writes(&archive)?),
    )?;
    crate::trace::phase("checked: in the way");
    if !blocked.repositories.is_empty() {
        return Err(Error::refused(format!(
            "a repository is in the way: {}",
            list(&blocked.repositories)
        ))
        .hint(Hint::RepositoryInTheWay));
    }
    if !blocked.ignored.is_empty() {
        return Err(Error::refused(format!(
            "ignored files would be overwritten: {}",
            list(&blocked.ignored)
        ))
        .hint(Hint::IgnoredInTheWay));
    }
    let restored = plan
        .worktree
        .values()
        .filter(|c| matches!(c, PathChange::Write(_)))
        .count()
        + selection.as_ref().map_or(0, |s| s.count);
    let deleted = plan
        .worktree
        .values()
        .filter(|c| **c == PathChange::Delete)
        .count();
    let mut outcome = Outcome {
        id: None,
        kind: request.kind,
        dry_run: request.dry_run,
        checkpoint: request.checkpoint.clone(),
        subject: request.subject.clone(),
        undoes: request.undoes.clone(),
        head_before: head_before.clone(),
        head_after: head_after.clone(),
        snapshot: None,
        restored,
        deleted,
        plan: describe_plan(&plan),
        backup: archive.as_ref().map(|a| a.manifest.id.clone()),
        steps: Vec::new(),
        recovery_ms: None,
        drift,
        submodules: plan
            .index
            .iter()
            .filter(|(_, change)| {
                matches!(change, PathChange::Write(blob) if blob.kind == gix::objs::tree::EntryKind::Commit)
            })
            .map(|(path, _)| path.to_str_lossy().into_owned())
            .collect(),
        duration_ms: 0,
        checks: Vec::new(),
        refs_edited: Vec::new(),
        refs_kept: Vec::new(),
    };
    for write in &request.write_exact {
        write.check(repo)?;
        outcome.plan.push(PathPlan {
            path: write.path.clone(),
            worktree: if write.content.is_some() {
                "restore"
            } else {
                "delete"
            },
            index: "keep",
        });
    }
    for write in archive_writes(&archive)? {
        outcome.plan.push(PathPlan {
            path: write?.0.to_str_lossy().into_owned(),
            worktree: "restore",
            index: "keep",
        });
    }
    Ok(Prepared {
        request,
        capture,
        plan,
        target_commit: target.commit,
        archive,
        selection,
        head_before,
        head_after,
        branch_expected,
        outcome,
        restored,
        deleted,
        start,
        signals,
    })
}

/// Carry out a prepared operation: the last checks (filters, files changed
/// since the capture, objects readable, git's locks), the `before` step,
/// then record the event with its safety snapshot, write, move HEAD, and
/// finish (after step, checks, notify, result line).
pub fn commit(repo: &Repo, prepared: Prepared) -> Result<Outcome> {
    let Prepared {
        request,
        capture,
        plan,
        target_commit,
        archive,
        selection,
        head_before,
        head_after,
        branch_expected,
        mut outcome,
        restored,
        deleted,
        start,
        signals,
    } = prepared;
    snapshot::check_required_filters(repo, &plan)?;

    // Stop the services (or whatever the runbook does first): once the
    // rollback is planned and checked, before anything changes.
    if let Some(command) = &request.steps.before {
        let before = crate::steps::run(repo, "before", command, None)?;
        if !before.ok {
            return Err(Error::failed(format!(
                "the before step `{command}` failed (exit {}); nothing was changed",
                before.status.unwrap_or(-1)
            ))
            .hint(Hint::FixStepOrNoSteps));
        }
        outcome.steps.push(before);
    }
    // An edit saved since the capture read the work tree is in no snapshot:
    // refuse rather than write over it.
    crate::trace::phase("checked: filters");
    let changed = snapshot::changed_since(
        repo,
        &capture,
        plan.worktree
            .keys()
            .map(|path| Ok(path.clone()))
            .chain(archive_writes(&archive)?.map(|write| write.map(|(path, _)| path))),
    )?;
    if !changed.is_empty() {
        return Err(Error::refused(format!(
            "files changed while the operation was being prepared: {}",
            list(&changed)
        ))
        .hint(Hint::WaitForWriters));
    }

    crate::trace::phase("checked: changed since");
    // Every object the plan writes must be readable before the first write:
    // a damaged one is refused now, not after half the files are written.
    for (path, change) in plan.worktree.iter().chain(plan.index.iter()) {
        let snapshot::Change::Write(blob) = change else {
            continue;
        };
        if blob.kind == gix::objs::tree::EntryKind::Commit {
            continue;
        }
        if let Err(err) = repo.git.find_header(blob.id) {
            return Err(Error::refused(format!(
                "object {} of '{}' cannot be read: {err}",
                blob.id,
                path.to_str_lossy()
            ))
            .hint(Hint::RepositoryDamaged));
        }
    }
    crate::trace::phase("checked: objects");
    // A backup is verified whole, while extracted beside the work tree,
    // before anything is written to it.
    let staging = match (&archive, &selection) {
        (Some(archive), Some(selection)) => {
            Some(archive.extract(repo, repo.workdir(), selection)?)
        }
        _ => None,
    };

    // git's own locks: the index is held from here to its write; a locked
    // ref that this operation moves refuses now, before any write.
    let index_lock = snapshot::IndexLock::acquire(repo)?;
    if head_before != head_after {
        ensure_unlocked(
            repo,
            [
                Some("HEAD"),
                head_before.branch.as_deref(),
                head_after.branch.as_deref(),
            ],
        )?;
    }

    // Record first: if anything below fails, the event names the snapshot that undoes it.
    let paths: Vec<String> = outcome.plan.iter().map(|p| p.path.clone()).collect();
    let mut applied = Applied {
        // The snapshot holds only these paths: its undo is limited to them.
        only: request
            .only
            .as_ref()
            // Naming everything (`files .`), the snapshot is whole, and so is its undo.
            .filter(|only| !only.is_everything())
            .map(|only| only.to_patterns().iter().map(|p| p.to_string()).collect()),
        restored,
        deleted,
        ..Default::default()
    };
    let mut event = Event {
        head_before: Some(head_before.clone()),
        head_after: Some(head_after.clone()),
        target: Some(target_commit.to_string()),
        details: request.details.clone(),
        ..Event::new(repo, request.kind, capture.state.commit)?
    };
    if !request.ref_edits.is_empty() {
        event.set_details(&RefEdits {
            ref_edits: request.ref_edits.clone(),
        })?;
    }
    // Ignored files about to be written, and files the snapshot cannot give
    // back byte for byte, are copied to the saved-files area.
    let inexact: Vec<String> = capture
        .inexact
        .iter()
        .map(|p| p.to_str_lossy().into_owned())
        .filter(|p| !request.write_exact.iter().any(|w| &w.path == p))
        .collect();
    if !request.write_exact.is_empty() || !inexact.is_empty() {
        let saved = save_files(
            repo,
            &event.id,
            request
                .write_exact
                .iter()
                .map(|w| w.path.as_str())
                .chain(inexact.iter().map(String::as_str)),
        )?;
        applied.saved = Some(saved);
    }
    signals.writing();
    let event = record(repo, &request, &capture, event, applied, &paths)?;

    let undo_hint = |err: Error| {
        err.hint(Hint::UndoRestores {
            id: event.id.clone(),
        })
    };
    snapshot::apply(repo, &plan, index_lock).map_err(undo_hint)?;
    if let (Some(archive), Some(staging)) = (&archive, &staging) {
        archive
            .place(staging.path(), repo.workdir())
            .map_err(undo_hint)?;
    }
    let message = match &request.checkpoint {
        Some(name) => format!("rollback: {} {name}", request.kind),
        None => format!("rollback: {} {}", request.kind, event.id),
    };
    move_head(repo, &head_before, &head_after, branch_expected, &message)?;
    crate::trace::phase("head moved");
    let (edited, kept) = apply_ref_edits(repo, &request.ref_edits, &message)?;
    outcome.refs_edited = edited;
    outcome.refs_kept = kept;
    for write in &request.write_exact {
        write.apply(repo)?;
    }

    outcome.duration_ms = start.elapsed().as_millis() as u64;
    if let Some(command) = &request.steps.after {
        outcome
            .steps
            .push(crate::steps::run(repo, "after", command, None)?);
    }
    let finished = finish(
        repo,
        &request.checks,
        &request.steps,
        &event,
        &paths,
        Finished {
            operation: event.id.clone(),
            duration_ms: outcome.duration_ms,
            checks: Vec::new(),
            steps: std::mem::take(&mut outcome.steps),
            recovery_ms: None,
        },
        start,
    )?;
    outcome.checks = finished.checks;
    outcome.steps = finished.steps;
    outcome.recovery_ms = finished.recovery_ms;
    signals.finish(&event.id)?;
    outcome.id = Some(event.id);
    outcome.snapshot = Some(capture.state.commit.to_string());
    Ok(outcome)
}

/// A file written byte for byte, outside the plan (see [`Request::write_exact`]).
#[derive(Debug, Clone)]
pub struct ExactWrite {
    /// Relative to the work tree root.
    pub path: String,
    /// The bytes and permission bits to write; `None` deletes the file.
    pub content: Option<(Vec<u8>, u32)>,
}

impl ExactWrite {
    /// Refuse a path outside the work tree, a directory, or a path through
    /// a symlink (which would write somewhere else).
    fn check(&self, repo: &Repo) -> Result<()> {
        crate::archive::check_entry_path(&self.path)?;
        if repo
            .workdir()
            .join(&self.path)
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir())
        {
            return Err(Error::usage(format!(
                "'{}' is a directory, not a file",
                self.path
            )));
        }
        for through in std::path::Path::new(&self.path).ancestors() {
            let on_disk = repo.workdir().join(through);
            if through.as_os_str().is_empty()
                || !on_disk.symlink_metadata().is_ok_and(|m| m.is_symlink())
            {
                continue;
            }
            return Err(Error::refused(format!(
                "'{}' is a symlink: refusing to write '{}' through it",
                through.display(),
                self.path
            )));
        }
        Ok(())
    }

    fn apply(&self, repo: &Repo) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let full = repo.workdir().join(&self.path);
        match &self.content {
            Some((bytes, mode)) => {
                std::fs::write(&full, bytes)
                    .map_err(|e| crate::error::io(e, format!("writing '{}'", self.path)))?;
                std::fs::set_permissions(&full, std::fs::Permissions::from_mode(*mode)).map_err(
                    |e| crate::error::io(e, format!("setting the mode of '{}'", self.path)),
                )
            }
            None => match std::fs::remove_file(&full) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    Err(crate::error::io(err, format!("removing '{}'", self.path)))
                }
                _ => Ok(()),
            },
        }
    }
}

/// A file saved before an operation wrote it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Saved {
    pub path: String,
    /// Whether it existed (if not, undo deletes it).
    pub existed: bool,
    /// Its permission bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// `$GIT_DIR/rollback/saved/<id>/`: copies of files no snapshot holds.
pub fn saved_dir(repo: &Repo, id: &str) -> Result<std::path::PathBuf> {
    crate::archive::check_id(id)?;
    Ok(repo.rollback_dir().join("saved").join(id))
}

/// Create `dir` and its missing parents readable by the owner only (saved
/// files may be secrets such as `.env`).
fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .context(format!("creating '{}'", dir.display()))
}

/// Copy the current content of `paths` to the saved-files area of
/// operation `id`, each with its permission bits.
fn save_files<'a>(
    repo: &Repo,
    id: &str,
    paths: impl Iterator<Item = &'a str>,
) -> Result<Vec<Saved>> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = saved_dir(repo, id)?;
    let mut out = Vec::new();
    for path in paths {
        let full = repo.workdir().join(path);
        let (existed, mode) = match std::fs::read(&full) {
            Ok(bytes) => {
                let mode = full.metadata()?.permissions().mode() & 0o7777;
                let copy = dir.join(path);
                create_private_dir(copy.parent().unwrap_or(&dir))?;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(mode & 0o777)
                    .open(&copy)
                    .and_then(|mut f| f.write_all(&bytes))
                    .map_err(|e| crate::error::io(e, format!("saving '{path}'")))?;
                (true, Some(mode))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => (false, None),
            Err(err) => return Err(crate::error::io(err, format!("reading '{path}'"))),
        };
        out.push(Saved {
            path: path.to_owned(),
            existed,
            mode,
        });
    }
    Ok(out)
}

/// The files an event saved, as writes that put them back (for `undo`).
pub fn saved_writes(repo: &Repo, event: &Event) -> Result<Vec<ExactWrite>> {
    let Some(saved) = event.details_as::<Applied>().and_then(|a| a.saved) else {
        return Ok(Vec::new());
    };
    let dir = saved_dir(repo, &event.id)?;
    saved
        .into_iter()
        .map(|s| {
            crate::archive::check_entry_path(&s.path)?;
            let content = if s.existed {
                let bytes = std::fs::read(dir.join(&s.path))
                    .context(format!("reading the saved copy of '{}'", s.path))?;
                Some((bytes, s.mode.unwrap_or(0o644)))
            } else {
                None
            };
            Ok(ExactWrite {
                path: s.path,
                content,
            })
        })
        .collect()
}

/// Refuse when git holds the lock of one of these refs (`HEAD` is this
/// worktree's, branches are shared), as a running `git commit` does.
fn ensure_unlocked<'a>(
    repo: &Repo,
    names: impl IntoIterator<Item = Option<&'a str>>,
) -> Result<()> {
    for name in names.into_iter().flatten() {
        let base = if name == "HEAD" {
            repo.git_dir()
        } else {
            repo.common_dir()
        };
        let lock = base.join(format!("{name}.lock"));
        if lock.exists() {
            return Err(
                Error::refused(format!("'{name}' is locked: '{}' exists", lock.display()))
                    .hint(Hint::RefLocked { path: lock }),
            );
        }
    }
    Ok(())
}

/// Paths joined for a message.
fn list(paths: &[gix::bstr::BString]) -> String {
    paths
        .iter()
        .map(|p| p.to_str_lossy())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The details every operation records beside its kind's own.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
pub struct Applied {
    /// The paths the operation was limited to (its snapshot holds only
    /// these, so its undo is limited to them too), as git pathspecs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
    #[serde(default)]
    pub restored: usize,
    #[serde(default)]
    pub deleted: usize,
    /// Files copied to the saved-files area before they were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<Vec<Saved>>,
    /// What the safety snapshot found.
    #[serde(default)]
    pub counts: crate::snapshot::Counts,
    /// Up to 1,000 of the paths it changed.
    #[serde(default)]
    pub paths: Vec<String>,
    /// How many paths it changed, when more than are listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths_total: Option<usize>,
    /// Index entries that were intent-to-add (`git add -N`) before it: its
    /// undo marks them again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intent_to_add: Vec<String>,
}

/// Before the first write: keep the safety snapshot reachable under
/// `refs/rollback/snapshots/<id>` and append the operation's event, naming
/// the snapshot and up to 1,000 of the paths it changes.
pub fn record(
    repo: &Repo,
    request: &Request,
    capture: &Capture,
    mut event: Event,
    mut applied: Applied,
    paths: &[String],
) -> Result<Event> {
    crate::trace::phase("ignored files checked");
    event.checkpoint = request.checkpoint.clone();
    event.reason = request.reason.clone();
    event.severity = request.severity.clone();
    event.undoes = request.undoes.clone();
    event.snapshot = Some(capture.state.commit.to_string());
    const MAX_PATHS: usize = 1000;
    applied.counts = capture.counts.clone();
    applied.intent_to_add = capture
        .intent_to_add
        .iter()
        .map(|p| p.to_str_lossy().into_owned())
        .collect();
    applied.paths = paths.iter().take(MAX_PATHS).cloned().collect();
    applied.paths_total = (paths.len() > MAX_PATHS).then_some(paths.len());
    event.set_details(&applied)?;
    repo.git
        .reference(
            format!("{SNAPSHOT_REFS}{}", event.id),
            capture.state.commit,
            PreviousValue::MustNotExist,
            format!("git-rollback: safety snapshot before {}", request.kind),
        )
        .context("recording the safety snapshot")?;
    crate::trace::phase("snapshot ref written");
    ledger::append(repo, &event)?;
    durable(repo)?;
    crate::trace::phase("recorded");
    Ok(event)
}

/// Make what was written so far survive a power loss when git is told to
/// (`core.fsync` naming `reference`, `loose-object`, `objects`, `committed`
/// or `all`; `core.fsyncObjectFiles`): the safety snapshot, its ref and the
/// event before the work tree is touched, the result after. gix does not
/// fsync, so one `syncfs` of the git dir's file system flushes its objects
/// and refs at once. Unset, git's default fsyncs neither loose objects nor
/// refs, and neither does this.
fn durable(repo: &Repo) -> Result<()> {
    let config = repo.git.config_snapshot();
    let components = config
        .string("core.fsync")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let wanted = components.split(',').map(str::trim).any(|c| {
        matches!(
            c,
            "reference" | "loose-object" | "objects" | "committed" | "all"
        )
    }) || config.boolean("core.fsyncObjectFiles") == Some(true);
    if !wanted {
        return Ok(());
    }
    let dir = std::fs::File::open(repo.common_dir())
        .map_err(|e| crate::error::io(e, "opening the git dir to sync it"))?;
    // SAFETY: syncfs on an open descriptor we own.
    if unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&dir)) } != 0 {
        return Err(crate::error::io(
            std::io::Error::last_os_error(),
            "syncing the git dir's file system",
        ));
    }
    crate::trace::phase("synced (core.fsync)");
    Ok(())
}

/// The details of a `result` event: how an operation ended.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Finished {
    /// The operation's event id.
    pub operation: String,
    /// How long restoring the state took, checks excluded.
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
    /// The steps around the rollback (before, after, notify).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<crate::steps::StepResult>,
    /// From the start to the end of verification: the recovery time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_ms: Option<u64>,
}

impl Finished {
    /// How the operation `event` ended, from its `result` event among `events`.
    pub fn of(events: &[Event], event: &Event) -> Option<Finished> {
        events
            .iter()
            .filter(|e| e.kind == ledger::Kind::Result)
            .filter_map(|e| e.details_as::<Finished>())
            .find(|finished| finished.operation == event.id)
    }
}

/// After the state is restored: run the checks (a failing verify tried
/// again as the steps say), notify, and append the result line (how long
/// recovery took, how the checks and steps went).
pub fn finish(
    repo: &Repo,
    checks: &[Check],
    steps: &crate::steps::Steps,
    event: &Event,
    paths: &[String],
    mut finished: Finished,
    start: std::time::Instant,
) -> Result<Finished> {
    for check in checks {
        let mut result = check::run(repo, check, paths)?;
        let mut tries = 0;
        while !result.ok && check.name == "verify" && tries < steps.verify_retries {
            tries += 1;
            std::thread::sleep(steps.verify_interval);
            result = check::run(repo, check, paths)?;
        }
        finished.checks.push(result);
    }
    finished.recovery_ms = Some(start.elapsed().as_millis() as u64);
    if let Some(command) = &steps.notify {
        // What happened, for the chat message: the event and its result.
        let mut json = serde_json::to_value(event)?;
        json["result"] = serde_json::to_value(&finished)?;
        let notified =
            crate::steps::run(repo, "notify", command, Some(json.to_string().as_bytes()))?;
        finished.steps.push(notified);
    }
    let object = ObjectId::from_hex(event.object.as_bytes()).context("event object id")?;
    let mut result = Event::new(repo, ledger::Kind::Result, object)?;
    result.set_details(&finished)?;
    ledger::append(repo, &result)?;
    durable(repo)?;
    crate::trace::phase("result recorded");
    Ok(finished)
}

/// Move HEAD (and the branch it ends up on) with compare-and-swap on the
/// values read before the operation started.
fn move_head(
    repo: &Repo,
    before: &Head,
    after: &Head,
    branch_expected: Option<gix::ObjectId>,
    message: &str,
) -> Result<()> {
    if before == after {
        return Ok(());
    }
    let log = LogChange {
        mode: RefLog::AndReference,
        force_create_reflog: false,
        message: message.into(),
    };
    let head_expected = PreviousValue::MustExistAndMatch(match &before.branch {
        Some(branch) => RefTarget::Symbolic(branch.as_str().try_into()?),
        None => RefTarget::Object(before.oid()?),
    });
    let mut edits = Vec::new();
    match &after.branch {
        Some(branch) => {
            let name: gix::refs::FullName = branch.as_str().try_into()?;
            let stays = before.branch.as_ref() == Some(branch);
            edits.push(RefEdit {
                change: Change::Update {
                    log: log.clone(),
                    expected: match branch_expected {
                        Some(id) => PreviousValue::MustExistAndMatch(RefTarget::Object(id)),
                        None => PreviousValue::MustNotExist,
                    },
                    new: RefTarget::Object(after.oid()?),
                },
                // Through HEAD when it stays on the branch: HEAD's reflog gets
                // the entry too, as with `git reset`.
                name: if stays {
                    "HEAD".try_into()?
                } else {
                    name.clone()
                },
                deref: stays,
            });
            if !stays {
                edits.push(RefEdit {
                    change: Change::Update {
                        log,
                        expected: head_expected,
                        new: RefTarget::Symbolic(name),
                    },
                    name: "HEAD".try_into()?,
                    deref: false,
                });
            }
        }
        None => edits.push(RefEdit {
            change: Change::Update {
                log,
                expected: head_expected,
                new: RefTarget::Object(after.oid()?),
            },
            name: "HEAD".try_into()?,
            deref: false,
        }),
    }
    repo.git.edit_references(edits).context("moving HEAD")?;
    Ok(())
}

/// Why `event` cannot be undone here, if it cannot: it was made in another
/// clone (its safety snapshot ref is not ours, as with a fetched ledger) or
/// another worktree, or it names a state that cannot be restored (HEAD on
/// something other than a branch, a missing commit, a time in the future).
pub fn not_undoable_here(repo: &Repo, event: &Event) -> Result<Option<String>> {
    let Some(snapshot) = &event.snapshot else {
        return Ok(Some("it changed no files".into()));
    };
    if event.worktree != repo.worktree_id() {
        return Ok(Some(format!(
            "it was made in {}",
            match &event.worktree {
                Some(id) => format!("the linked worktree '{id}'"),
                None => "the main work tree".into(),
            }
        )));
    }
    let ours = crate::archive::check_id(&event.id).is_ok()
        && repo
            .git
            .try_find_reference(format!("{SNAPSHOT_REFS}{}", event.id).as_str())?
            .and_then(|r| r.target().try_id().map(|id| id.to_string()))
            .is_some_and(|id| &id == snapshot);
    if !ours {
        if let Some(on) = crate::gc::expired_on(repo, &event.id) {
            return Ok(Some(format!(
                "its safety snapshot was expired by `git rollback gc` on {on}"
            )));
        }
        return Ok(Some(
            "it was not made in this clone (no safety snapshot of it here)".into(),
        ));
    }
    let head = match &event.head_before {
        Some(head) => head,
        None => return Ok(Some("it did not record HEAD".into())),
    };
    if head
        .branch
        .as_deref()
        .is_some_and(|b| !b.starts_with("refs/heads/") || gix::refs::FullName::try_from(b).is_err())
    {
        return Ok(Some(format!(
            "HEAD was recorded on '{}', which is not a branch",
            head.branch.as_deref().unwrap_or_default()
        )));
    }
    for (what, id) in [("HEAD", head.oid.as_str()), ("snapshot", snapshot.as_str())] {
        let is_commit = ObjectId::from_hex(id.as_bytes())
            .ok()
            .and_then(|id| repo.git.try_find_object(id).ok().flatten())
            .is_some_and(|object| object.kind == gix::object::Kind::Commit);
        if !is_commit {
            return Ok(Some(format!(
                "its {what} '{id}' is not a commit in this repository"
            )));
        }
    }
    let now = jiff::Timestamp::now();
    let sane = event
        .at
        .parse::<jiff::Timestamp>()
        .is_ok_and(|at| at <= now + jiff::SignedDuration::from_mins(10));
    if !sane {
        return Ok(Some(format!("its time '{}' is in the future", event.at)));
    }
    Ok(None)
}

/// Where this worktree stands in its history of operations: what `undo`
/// walks back through and what `redo` re-applies, from the one ledger.
#[derive(Debug, Default)]
pub struct History<'a> {
    /// Operations in effect, oldest first: `undo` reverts the last.
    pub done: Vec<&'a Event>,
    /// Undo events whose effect `redo` can reverse, oldest first: `redo`
    /// takes the last. Any new operation empties it.
    pub redo: Vec<&'a Event>,
}

/// Replay the ledger (newest first, as [`ledger::read_all`] gives it) for
/// this clone and worktree: operations push onto `done` and empty `redo`;
/// an undo takes its operation off `done` and pushes onto `redo` (an undo of
/// an undo counts as a redo); a redo does the reverse.
pub fn history<'a>(repo: &Repo, events: &'a [Event]) -> Result<History<'a>> {
    let by_id: std::collections::HashMap<&str, &Event> =
        events.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut history = History::default();
    for event in events.iter().rev() {
        if !event.is_undoable() || not_undoable_here(repo, event)?.is_some() {
            continue;
        }
        let target = event
            .undoes
            .as_deref()
            .and_then(|id| by_id.get(id).copied());
        let redo_of = match (event.kind, target) {
            (ledger::Kind::Redo, Some(undo)) => Some(undo),
            (ledger::Kind::Undo, Some(undo)) if undo.kind == ledger::Kind::Undo => Some(undo),
            _ => None,
        };
        // The operations an undo reverted: its target, or with `undo --to`
        // that one and every later one then in effect.
        let reverted = |undo: &'a Event| -> Vec<&'a Event> {
            match undo.details_as::<UndoneAtOnce>() {
                Some(at_once) => at_once
                    .through
                    .iter()
                    .filter_map(|id| by_id.get(id.as_str()).copied())
                    .collect(),
                None => undo
                    .undoes
                    .as_deref()
                    .and_then(|id| by_id.get(id).copied())
                    .into_iter()
                    .collect(),
            }
        };
        if let Some(undo) = redo_of {
            history.redo.retain(|e| e.id != undo.id);
            history.done.extend(reverted(undo));
        } else if event.kind == ledger::Kind::Undo {
            let gone = reverted(event);
            history.done.retain(|e| !gone.iter().any(|g| g.id == e.id));
            history.redo.push(event);
        } else {
            history.done.push(event);
            history.redo.clear();
        }
    }
    Ok(history)
}

/// The details of an `undo --to`: every operation it reverted at once,
/// oldest first (a redo re-applies them all).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct UndoneAtOnce {
    pub through: Vec<String>,
}

/// The request that reverts `operation` and every later operation still in
/// effect, as one undo (`undo --to`): back to the state before `operation`.
pub fn reverse_through(repo: &Repo, events: &[Event], operation: &Event) -> Result<Request> {
    let history = history(repo, events)?;
    let start = history
        .done
        .iter()
        .position(|e| e.id == operation.id)
        .ok_or_else(|| {
            Error::usage(format!(
                "operation '{}' is not in effect here (undone already, or not made in this worktree)",
                operation.id
            ))
            .hint(Hint::LogMarksUndone)
        })?;
    let through = &history.done[start..];
    // A path-limited snapshot holds only its paths: it cannot stand for
    // the whole state before a run of operations.
    if let Some(limited) = through
        .iter()
        .find(|e| e.details_as::<Applied>().is_some_and(|a| a.only.is_some()))
    {
        return Err(Error::usage(format!(
            "operation '{}' saved only the paths it restored, so the state before it cannot be restored at once",
            limited.id
        ))
        .hint(Hint::UndoOneAtATime));
    }
    let mut request = reverse(repo, operation, ledger::Kind::Undo)?;
    // HEAD goes back to where it was before the first of them, even if that
    // one did not move it (a later one may have), and every branch edit of
    // the run is undone, newest first.
    if let Some(head) = &operation.head_before {
        request.head_after = HeadAfter::Exactly(head.clone());
    }
    request.ref_edits = through.iter().rev().flat_map(|e| undo_edits(e)).collect();
    // Files saved by the operations: the oldest copy of each is the state
    // before them all.
    let mut writes: Vec<ExactWrite> = Vec::new();
    for event in through {
        for write in saved_writes(repo, event)? {
            if !writes.iter().any(|w| w.path == write.path) {
                writes.push(write);
            }
        }
    }
    request.write_exact = writes;
    request.subject = Some(format!(
        "{} and the {} operation(s) after it",
        describe(operation),
        through.len() - 1
    ));
    request.set_details(&UndoneAtOnce {
        through: through.iter().map(|e| e.id.clone()).collect(),
    })?;
    Ok(request)
}

/// The request that reverses `event` (an operation, or an undo for a
/// redo): back to its safety snapshot and the HEAD it found, limited to the
/// paths it was limited to, its saved files put back.
pub fn reverse(repo: &Repo, event: &Event, kind: ledger::Kind) -> Result<Request> {
    let snapshot = event.snapshot.as_deref().unwrap_or_default();
    let snapshot = ObjectId::from_hex(snapshot.as_bytes()).map_err(|_| {
        Error::failed(format!(
            "operation '{}' names an invalid snapshot '{snapshot}'",
            event.id
        ))
    })?;
    let head = event
        .head_before
        .clone()
        .ok_or_else(|| Error::failed(format!("operation '{}' did not record HEAD", event.id)))?;
    // An operation that did not move HEAD is undone without moving it: a
    // commit made since stays where it is.
    let head_after = if event.head_after.as_ref() == Some(&head) {
        HeadAfter::Keep
    } else {
        HeadAfter::Exactly(head)
    };
    let mut request = Request::new(
        kind,
        Target::State(State::of_commit(repo, snapshot)?),
        head_after,
    );
    request.undoes = Some(event.id.clone());
    request.subject = Some(describe(event));
    let applied = event.details_as::<Applied>();
    request.intent_to_add = applied
        .as_ref()
        .map(|a| a.intent_to_add.clone())
        .unwrap_or_default();
    request.only = applied
        .and_then(|applied| applied.only)
        // `files .` of an earlier release recorded `[]` for "everything".
        .filter(|only| !(only.is_empty() && event.kind == ledger::Kind::Files))
        .map(PathSpec::new);
    request.write_exact = saved_writes(repo, event)?;
    request.ref_edits = undo_edits(event);
    Ok(request)
}

/// Remove the safety snapshot of operation `id` and its saved files (a
/// drill's, whose worktree is gone): it can no longer be undone.
pub fn forget_snapshot(repo: &Repo, id: &str) -> Result<()> {
    use gix::refs::transaction::RefEdit as Edit;
    let name = format!("{SNAPSHOT_REFS}{id}");
    if repo.git.try_find_reference(name.as_str())?.is_some() {
        repo.git
            .edit_reference(Edit {
                change: Change::Delete {
                    expected: PreviousValue::Any,
                    log: RefLog::AndReference,
                },
                name: name.as_str().try_into()?,
                deref: false,
            })
            .context(format!("removing {name}"))?;
    }
    let saved = saved_dir(repo, id)?;
    match std::fs::remove_dir_all(&saved) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(crate::error::io(
            err,
            format!("removing '{}'", saved.display()),
        )),
        _ => Ok(()),
    }
}

/// The ref edits `event` made (recorded in its details).
pub fn ref_edits_of(event: &Event) -> Vec<BranchEdit> {
    event.details_as::<RefEdits>().unwrap_or_default().ref_edits
}

/// The branch edits that undo `event`: the branches it made or removed are
/// removed or made again; a sprint (which records them in its own details)
/// made its retry and backup branches.
fn undo_edits(event: &Event) -> Vec<BranchEdit> {
    let mut edits: Vec<BranchEdit> = ref_edits_of(event)
        .iter()
        .map(BranchEdit::reversed)
        .collect();
    if let Some(sprint) = event
        .details_as::<crate::sprint::Failure>()
        .filter(|_| event.kind == ledger::Kind::Sprint)
    {
        let after = event.head_after.as_ref().map(|h| h.oid.clone());
        for (name, value) in [
            (sprint.retry_branch, after),
            (sprint.backup_branch, Some(sprint.backup_commit)),
        ] {
            edits.push(BranchEdit {
                name,
                from: value,
                to: None,
            });
        }
    }
    edits
}

/// An operation as undo and redo name it: `<id> [to base, "reason"]`.
pub fn describe(event: &Event) -> String {
    let mut what = event.kind.to_string();
    if let Some(checkpoint) = &event.checkpoint {
        what.push(' ');
        what.push_str(checkpoint);
    }
    if let Some(reason) = &event.reason {
        what.push_str(&format!(", \"{reason}\""));
    }
    format!("{} [{what}]", event.id)
}

/// The event `undo` reverses: the named one, or the newest operation in
/// effect in this worktree of this clone (repeating `undo` walks back).
pub fn undo_target<'a>(repo: &Repo, events: &'a [Event], id: Option<&str>) -> Result<&'a Event> {
    match id {
        Some(id) => {
            let event = ledger::find(events, id).ok_or_else(|| {
                Error::usage(format!("operation '{id}' not found")).hint(Hint::LogListsIds)
            })?;
            if !event.is_undoable() {
                return Err(Error::usage(format!(
                    "operation '{}' ({}) changed no files, so there is nothing to undo",
                    event.id, event.kind
                )));
            }
            if let Some(why) = not_undoable_here(repo, event)? {
                return Err(Error::refused(format!(
                    "operation '{}' ({}) cannot be undone here: {why}",
                    event.id, event.kind
                )));
            }
            Ok(event)
        }
        // An interrupted operation first, whatever its kind (an interrupted
        // undo is reversed too, not walked past).
        None => match interrupted(repo, events)? {
            Some(event) => Ok(event),
            None => history(repo, events)?
                .done
                .pop()
                .ok_or_else(|| Error::usage("there is no operation to undo").hint(Hint::LogLists)),
        },
    }
}

/// The newest operation of this worktree when it has no result line: it
/// was interrupted (killed, or failed part-way after it was recorded), and
/// its safety snapshot is what reverses it. `events` newest first.
pub fn interrupted<'a>(repo: &Repo, events: &'a [Event]) -> Result<Option<&'a Event>> {
    for event in events {
        if !event.is_undoable() || not_undoable_here(repo, event)?.is_some() {
            continue;
        }
        return Ok(Finished::of(events, event).is_none().then_some(event));
    }
    Ok(None)
}

/// [`interrupted`], reading only the newest events of the ledger.
pub fn find_interrupted(repo: &Repo) -> Result<Option<Event>> {
    let worktree = repo.worktree_id();
    let events = ledger::read_newest(repo, |e| e.is_undoable() && e.worktree == worktree)?;
    Ok(interrupted(repo, &events)?.cloned())
}

/// The undo that `redo` reverses: the last of a run of undos with no new
/// operation since.
pub fn redo_target<'a>(repo: &Repo, events: &'a [Event]) -> Result<&'a Event> {
    history(repo, events)?
        .redo
        .pop()
        .ok_or_else(|| Error::usage("there is nothing to redo").hint(Hint::RedoExplained))
}
