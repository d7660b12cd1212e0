//! `sync`: share checkpoints and the operation log with a remote, so a team
//! has one baseline, one set of sprint checkpoints and one incident history.
//!
//! One round: the remote's `refs/tags/checkpoint/*` and `refs/notes/rollback`
//! are fetched into private refs under `refs/rollback/sync/` (removed again
//! before `sync` returns); the two logs are merged note by note, line by line
//! (every event of both sides kept, a line both have kept once: the ledger's
//! lines are only ever appended, so a union loses nothing); checkpoints new
//! on either side are copied to the other; then both go back with explicit
//! refspecs. A push refused because the remote moved meanwhile (another
//! clone pushed) starts a fresh round, a bounded number of times.
//!
//! `git ls-remote`, `git fetch` and `git push` do the transfer (gix has no
//! push), so credentials and remote helpers work as they do for git. Where
//! each fetched event and checkpoint came from is kept in
//! `$GIT_DIR/rollback/origins` for `list` and `log`.

use std::collections::{BTreeMap, HashMap, HashSet};

use gix::bstr::ByteSlice;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::Target as RefTarget;
use gix::ObjectId;
use serde::Serialize;

use crate::checkpoint::{self, PREFIX};
use crate::error::{Context, Error, Hint, Result};
use crate::ledger::{self, Event, NOTES_REF};
use crate::repo::Repo;

/// Where the remote's refs are fetched to for the length of one sync.
const SCRATCH: &str = "refs/rollback/sync/";
const SCRATCH_NOTES: &str = "refs/rollback/sync/notes";
const SCRATCH_CHECKPOINTS: &str = "refs/rollback/sync/checkpoint/";
/// The checkpoints to push, pushed with one pattern: git matches each
/// explicit refspec against every ref (3,000 of them took 36 s).
const SCRATCH_PUSH: &str = "refs/rollback/sync/push/";
/// Up to this many differing checkpoints are fetched by name; more, with
/// one pattern.
const FETCH_BY_NAME: usize = 50;
/// How many rounds a sync tries when the remote keeps moving under it.
pub const ATTEMPTS: usize = 5;

/// Which way things travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Both,
    /// Publish ours; take nothing of theirs into this clone.
    PushOnly,
    /// Take theirs; publish nothing.
    FetchOnly,
}

#[derive(Debug)]
pub struct Options {
    /// A remote's name, URL or path (`None`: the current branch's remote, else `origin`).
    pub remote: Option<String>,
    pub direction: Direction,
    /// Push checkpoints whose snapshot holds untracked files too.
    pub include_untracked: bool,
    pub dry_run: bool,
}

/// What a sync did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
pub struct Synced {
    pub remote: String,
    pub dry_run: bool,
    /// Events the remote had and this clone did not.
    pub fetched_events: usize,
    /// Events this clone had and the remote did not.
    pub pushed_events: usize,
    pub fetched_checkpoints: Vec<String>,
    pub pushed_checkpoints: Vec<String>,
    /// Not pushed: their snapshot holds untracked files (`--include-untracked`).
    pub held_back: Vec<String>,
    /// On the remote, deleted or renamed here: not fetched again.
    pub deleted_here: Vec<String>,
    /// Rounds taken (more than one: the remote moved between fetch and push).
    pub attempts: usize,
}

/// Sync with the remote of `options`. The caller holds the operation lock.
pub fn sync(repo: &Repo, options: &Options) -> Result<Synced> {
    let remote = remote_of(repo, options.remote.as_deref())?;
    let mut synced = Synced {
        remote: remote.clone(),
        dry_run: options.dry_run,
        ..Synced::default()
    };
    let result = rounds(repo, options, &remote, &mut synced);
    let cleared = clear_scratch(repo);
    result?;
    cleared?;
    Ok(synced)
}

fn rounds(repo: &Repo, options: &Options, remote: &str, synced: &mut Synced) -> Result<()> {
    for attempt in 1..=ATTEMPTS {
        synced.attempts = attempt;
        clear_scratch(repo)?;
        let ours = repo
            .git
            .try_find_reference(NOTES_REF)?
            .and_then(|r| r.target().try_id().map(|id| id.to_owned()));
        let our_raw: HashMap<String, ObjectId> =
            checkpoint::raw_ids_read(repo)?.into_iter().collect();
        let fetched = fetch(repo, remote, ours, &our_raw)?;
        let theirs = fetched.notes;
        crate::trace::phase("sync-fetched");
        let mut tags = plan_checkpoints(repo, &fetched, &our_raw, options.include_untracked)?;
        crate::trace::phase("sync: checkpoints planned");
        if !tags.diverged.is_empty() {
            return Err(diverged(remote, &tags.diverged));
        }
        let merged = merge_notes(repo, remote, ours, theirs, !options.dry_run)?;
        crate::trace::phase("sync: logs merged");
        match options.direction {
            Direction::PushOnly => tags.import.clear(),
            Direction::FetchOnly => {
                tags.push.clear();
                tags.held_back.clear();
            }
            Direction::Both => {}
        }
        synced.pushed_events = merged.pushed;
        synced.held_back = tags.held_back.clone();
        synced.deleted_here = tags.deleted_here.clone();
        if options.direction != Direction::PushOnly {
            synced.fetched_events += merged.fetched.len();
            synced
                .fetched_checkpoints
                .extend(tags.import.iter().map(|(name, _)| name.clone()));
        }
        if options.dry_run {
            synced.pushed_checkpoints = tags.push;
            return Ok(());
        }
        if options.direction != Direction::PushOnly {
            take_theirs(repo, remote, ours, &merged, &tags.import)?;
        }
        if options.direction == Direction::FetchOnly {
            return Ok(());
        }
        let mut specs = Vec::new();
        if let Some(commit) = merged.commit.filter(|c| Some(*c) != theirs) {
            specs.push(format!("{commit}:{NOTES_REF}"));
        }
        if !tags.push.is_empty() {
            let edits = tags
                .push
                .iter()
                .map(|name| {
                    ref_edit(
                        &format!("{SCRATCH_PUSH}{name}"),
                        our_raw[name],
                        PreviousValue::Any,
                        "git-rollback: sync",
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            repo.git
                .edit_references(edits)
                .context("naming the checkpoints to push")?;
            specs.push(format!("{SCRATCH_PUSH}*:{PREFIX}*"));
        }
        if specs.is_empty() {
            return Ok(());
        }
        crate::trace::phase("sync: taken in");
        let (pushed, accepted) = push(repo, remote, &specs)?;
        crate::trace::phase("sync: pushed");
        // A round the remote refused in part may have taken some checkpoints.
        synced.pushed_checkpoints.extend(
            accepted
                .iter()
                .filter_map(|r| r.strip_prefix(PREFIX))
                .map(str::to_owned),
        );
        if pushed == Pushed::Done {
            return Ok(());
        }
        // The remote moved since the fetch: what was taken stays taken;
        // the next round fetches, merges and pushes again.
    }
    Err(Error::failed(format!(
        "the remote '{remote}' kept changing: gave up after {ATTEMPTS} attempts"
    ))
    .hint(Hint::SyncAgain))
}

/// The remote to use: a configured remote's name, or a URL or path as git
/// takes them.
fn remote_of(repo: &Repo, name: Option<&str>) -> Result<String> {
    let name = match name {
        Some(name) => name.to_owned(),
        None => {
            let config = repo.git.config_snapshot();
            let branch = repo.head().ok().and_then(|h| h.branch);
            branch
                .and_then(|b| {
                    let short = b.strip_prefix("refs/heads/").unwrap_or(&b).to_owned();
                    config
                        .string(format!("branch.{short}.remote").as_str())
                        .map(|v| v.to_string())
                })
                .unwrap_or_else(|| "origin".to_owned())
        }
    };
    let known = repo
        .git
        .remote_names()
        .iter()
        .any(|n| n.as_bytes() == name.as_bytes());
    let url_or_path = name.contains(['/', ':']) || std::path::Path::new(&name).is_dir();
    if name.starts_with('-') || !(known || url_or_path) {
        return Err(
            Error::usage(format!("'{name}' is not a remote of this repository"))
                .hint(Hint::ListRemotes),
        );
    }
    Ok(name)
}

/// git's own words for a failure: the `fatal:`/`error:` lines of its stderr.
fn git_says(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    lines.join("; ")
}

/// What the remote has: its log commit and checkpoints (name → the ref's
/// raw target), with the objects of those this clone lacks fetched (into
/// the scratch refs). `git ls-remote` says what it has; only what differs
/// from `ours` and `our_raw` is fetched.
fn fetch(
    repo: &Repo,
    remote: &str,
    ours: Option<ObjectId>,
    our_raw: &HashMap<String, ObjectId>,
) -> Result<Remote> {
    let listed = repo.git_cli([
        "ls-remote",
        "--refs",
        remote,
        NOTES_REF,
        "refs/tags/checkpoint/*",
    ])?;
    if !listed.status.success() {
        return Err(Error::failed(format!(
            "cannot read the remote '{remote}': {}",
            git_says(&listed.stderr)
        ))
        .hint(Hint::CheckRemote));
    }
    let mut notes = None;
    let mut checkpoints = BTreeMap::new();
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        let Some((id, name)) = line.split_once('\t') else {
            continue;
        };
        let Ok(id) = ObjectId::from_hex(id.as_bytes()) else {
            continue;
        };
        if name == NOTES_REF {
            notes = Some(id);
        } else if let Some(name) = name.strip_prefix(PREFIX) {
            checkpoints.insert(name.to_owned(), id);
        }
    }
    let mut specs = Vec::new();
    if notes.is_some() && notes != ours {
        specs.push(format!("+{NOTES_REF}:{SCRATCH_NOTES}"));
    }
    let differing: Vec<&String> = checkpoints
        .iter()
        .filter(|(name, id)| our_raw.get(*name) != Some(*id))
        .map(|(name, _)| name)
        .collect();
    // A checkpoint this clone deleted is one whose tag object it has:
    // remember which of theirs were here before the fetch brings them.
    let known: HashSet<ObjectId> = differing
        .iter()
        .map(|name| checkpoints[*name])
        .filter(|id| repo.git.find_header(*id).is_ok())
        .collect();
    if differing.len() > FETCH_BY_NAME {
        specs.push(format!("+{PREFIX}*:{SCRATCH_CHECKPOINTS}*"));
    } else {
        specs.extend(
            differing
                .iter()
                .map(|name| format!("+{PREFIX}{name}:{SCRATCH_CHECKPOINTS}{name}")),
        );
    }
    if specs.is_empty() {
        return Ok(Remote {
            notes,
            checkpoints,
            known,
        });
    }
    // Only the log and HEAD tell the remote what we have: offering every
    // ref (thousands of checkpoints and safety snapshots) made a fetch of
    // one checkpoint take seconds.
    let mut args = vec![
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--no-auto-gc",
        "--no-recurse-submodules",
        "--refmap=",
    ];
    if repo.head().and_then(|h| h.oid()).is_ok() {
        args.push("--negotiation-tip=HEAD");
    }
    if ours.is_some() {
        args.push("--negotiation-tip=refs/notes/rollback");
    }
    args.push(remote);
    args.extend(specs.iter().map(String::as_str));
    let fetched = repo.git_cli(&args)?;
    if !fetched.status.success() {
        return Err(Error::failed(format!(
            "fetching from '{remote}' failed: {}",
            git_says(&fetched.stderr)
        )));
    }
    // What was fetched is what the remote has now (it may have moved
    // since it was listed).
    let (fetched_notes, fetched_checkpoints) = read_scratch(repo)?;
    checkpoints.extend(fetched_checkpoints);
    Ok(Remote {
        notes: fetched_notes.or(notes),
        checkpoints,
        known,
    })
}

/// What the remote has, as [`fetch`] found it.
struct Remote {
    notes: Option<ObjectId>,
    /// Name → the ref's raw target.
    checkpoints: BTreeMap<String, ObjectId>,
    /// Those of its checkpoint objects (differing from ours) that this
    /// clone had before the fetch.
    known: HashSet<ObjectId>,
}

/// The fetched log commit and checkpoints (name → the ref's raw target).
fn read_scratch(repo: &Repo) -> Result<(Option<ObjectId>, BTreeMap<String, ObjectId>)> {
    let notes = repo
        .git
        .try_find_reference(SCRATCH_NOTES)?
        .and_then(|r| r.target().try_id().map(|id| id.to_owned()));
    let mut checkpoints = BTreeMap::new();
    let platform = repo.git.references()?;
    for reference in platform.prefixed(SCRATCH_CHECKPOINTS)? {
        let reference = reference.map_err(|e| Error::failed(e.to_string()))?;
        let name = reference.name().as_bstr().to_str_lossy();
        if let (Some(name), Some(id)) = (
            name.strip_prefix(SCRATCH_CHECKPOINTS),
            reference.target().try_id(),
        ) {
            checkpoints.insert(name.to_owned(), id.to_owned());
        }
    }
    Ok((notes, checkpoints))
}

/// Remove the scratch refs (left by a sync that was killed, too).
fn clear_scratch(repo: &Repo) -> Result<()> {
    let platform = repo.git.references()?;
    let mut edits = Vec::new();
    for reference in platform.prefixed(SCRATCH)? {
        let reference = reference.map_err(|e| Error::failed(e.to_string()))?;
        edits.push(RefEdit {
            change: Change::Delete {
                expected: PreviousValue::Any,
                log: RefLog::AndReference,
            },
            name: reference.name().to_owned(),
            deref: false,
        });
    }
    if !edits.is_empty() {
        repo.git
            .edit_references(edits)
            .context("removing the refs fetched for sync")?;
    }
    Ok(())
}

/// What to do with each side's checkpoints.
#[derive(Debug, Default)]
struct CheckpointPlan {
    /// Theirs, new here: (name, the ref's raw target).
    import: Vec<(String, ObjectId)>,
    push: Vec<String>,
    held_back: Vec<String>,
    deleted_here: Vec<String>,
    /// Same name, different commits: (name, ours, theirs).
    diverged: Vec<(String, String, String)>,
}

fn plan_checkpoints(
    repo: &Repo,
    remote: &Remote,
    our_raw: &HashMap<String, ObjectId>,
    include_untracked: bool,
) -> Result<CheckpointPlan> {
    let theirs = &remote.checkpoints;
    // The same tag object on both sides: nothing to read or do.
    let differing: Vec<(&String, &ObjectId)> = theirs
        .iter()
        .filter(|(name, raw)| our_raw.get(*name) != Some(*raw))
        .collect();
    let ours = checkpoint::list(repo)?;
    let by_name: HashMap<&str, &checkpoint::Checkpoint> =
        ours.iter().map(|c| (c.name(), c)).collect();
    // Tags this clone deleted or renamed away: the remote's copy of the
    // very same tag is not fetched back.
    // Only a tag object this clone had can be one it deleted.
    let maybe_gone = differing
        .iter()
        .any(|(name, raw)| !our_raw.contains_key(*name) && remote.known.contains(*raw));
    let gone: HashSet<(String, String)> = if !maybe_gone {
        HashSet::new()
    } else {
        ledger::read_all(repo)?
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    ledger::Kind::CheckpointDelete | ledger::Kind::CheckpointRename
                )
            })
            .flat_map(crate::operation::ref_edits_of)
            .filter(|edit| edit.to.is_none())
            .filter_map(|edit| Some((edit.name, edit.from?)))
            .collect()
    };
    let mut plan = CheckpointPlan::default();
    for &(name, raw) in &differing {
        let remote = checkpoint::read_raw(repo, name, *raw)
            .map_err(|err| err.context(format!("the remote's checkpoint '{name}'")))?;
        match by_name.get(name.as_str()) {
            Some(local) if local.target == remote.target => {}
            Some(local) => {
                plan.diverged
                    .push((name.clone(), local.target.clone(), remote.target.clone()))
            }
            None if gone.contains(&(format!("{PREFIX}{name}"), raw.to_string())) => {
                plan.deleted_here.push(name.clone())
            }
            None => plan.import.push((name.clone(), *raw)),
        }
    }
    for local in &ours {
        if theirs.contains_key(local.name()) {
            continue;
        }
        if local.untracked && !include_untracked {
            plan.held_back.push(local.id.clone());
        } else {
            plan.push.push(local.id.clone());
        }
    }
    Ok(plan)
}

fn diverged(remote: &str, names: &[(String, String, String)]) -> Error {
    let list: Vec<String> = names
        .iter()
        .map(|(name, ours, theirs)| {
            format!(
                "{name} (here {}, on '{remote}' {})",
                &ours[..ours.len().min(7)],
                &theirs[..theirs.len().min(7)]
            )
        })
        .collect();
    let first = &names[0].0;
    Error::refused(format!(
        "{} on both sides with different commits: {}; nothing was changed",
        if names.len() == 1 {
            "a checkpoint name is"
        } else {
            "checkpoint names are"
        },
        list.join(", ")
    ))
    .hint(Hint::RenameOursThenSync {
        name: first.to_string(),
    })
}

/// What the merged log has for one annotated object.
enum NoteEdit {
    /// Their note, which this clone lacked.
    Theirs(ObjectId),
    /// The lines of both notes.
    Union(Vec<u8>),
}

/// The merged log.
#[derive(Debug)]
struct Merged {
    /// The log commit both sides end with (`None`: neither has a log).
    commit: Option<ObjectId>,
    /// Events of theirs new here (their ids).
    fetched: Vec<String>,
    /// How many events of ours are new there.
    pushed: usize,
}

/// Merge the two logs: when one contains the other, the newer commit;
/// else a merge commit whose notes hold every line of both. With `write`
/// false nothing is written (a dry run) and `commit` is ours.
fn merge_notes(
    repo: &Repo,
    remote: &str,
    ours: Option<ObjectId>,
    theirs: Option<ObjectId>,
    write: bool,
) -> Result<Merged> {
    let their_notes = match theirs {
        Some(commit) => notes_of(repo, commit)?.map_err(|what| {
            Error::refused(format!(
                "the remote '{remote}' has a {NOTES_REF} that is not a notes tree ({what}); nothing was changed"
            ))
            .hint(Hint::ForeignNotes)
        })?,
        None => BTreeMap::new(),
    };
    let our_notes = match ours {
        Some(commit) => notes_of(repo, commit)?.map_err(|what| {
            Error::refused(format!("{NOTES_REF} here is not a notes tree ({what})"))
        })?,
        None => BTreeMap::new(),
    };
    let mut fetched = Vec::new();
    let mut pushed = 0;
    let mut edits = Vec::new();
    for (object, mine) in &our_notes {
        if !their_notes.contains_key(object) {
            pushed += event_ids(&repo.git.find_blob(*mine)?.data).len();
        }
    }
    for (object, their_blob) in &their_notes {
        match our_notes.get(object) {
            Some(mine) if mine == their_blob => {}
            None => {
                fetched.extend(event_ids(&repo.git.find_blob(*their_blob)?.data));
                edits.push((*object, NoteEdit::Theirs(*their_blob)));
            }
            Some(mine) => {
                let our_text = repo.git.find_blob(*mine)?.data.clone();
                let their_text = repo.git.find_blob(*their_blob)?.data.clone();
                let (union, new_here, new_there) = union_of_lines(&our_text, &their_text);
                fetched.extend(event_ids(&new_here));
                pushed += event_ids(&new_there).len();
                if !new_here.is_empty() {
                    edits.push((*object, NoteEdit::Union(union)));
                }
            }
        }
    }
    let (Some(ours), Some(theirs)) = (ours, theirs) else {
        return Ok(Merged {
            commit: ours.or(theirs),
            fetched,
            pushed,
        });
    };
    let base = repo
        .git
        .merge_base(ours, theirs)
        .ok()
        .flatten()
        .map(|id| id.detach());
    if ours == theirs || base == Some(theirs) {
        // Theirs is in ours already.
        return Ok(Merged {
            commit: Some(ours),
            fetched: Vec::new(),
            pushed,
        });
    }
    if base == Some(ours) {
        // Ours is in theirs: a fast-forward.
        return Ok(Merged {
            commit: Some(theirs),
            fetched,
            pushed: 0,
        });
    }
    if !write {
        return Ok(Merged {
            commit: Some(ours),
            fetched,
            pushed,
        });
    }
    let tree = repo.git.find_commit(ours)?.tree_id()?.detach();
    let mut state = gix::note::plumbing::State::new(tree, &repo.git)
        .map_err(|e| Error::failed(format!("reading the log's notes: {e}")))?;
    for (object, edit) in edits {
        let blob = match edit {
            NoteEdit::Theirs(blob) => blob,
            NoteEdit::Union(text) => repo.git.write_blob(&text)?.detach(),
        };
        state
            .edit(object, Some(blob), &repo.git)
            .map_err(|e| Error::failed(format!("merging the log's notes: {e}")))?;
    }
    let tree = state
        .write(&repo.git)
        .map_err(|e| Error::failed(format!("writing the merged log: {e}")))?;
    let commit = repo
        .git
        .new_commit(
            format!("{} the operation log of {remote}\n", ledger::SYNC_MERGE),
            tree,
            [ours, theirs],
        )
        .context("writing the merged log")?
        .id;
    Ok(Merged {
        commit: Some(commit),
        fetched,
        pushed,
    })
}

/// The notes in the log commit `commit`: annotated object → note blob; or
/// what in it is not part of a notes tree.
fn notes_of(
    repo: &Repo,
    commit: ObjectId,
) -> Result<std::result::Result<BTreeMap<ObjectId, ObjectId>, String>> {
    let object = repo.git.find_object(commit)?;
    if object.kind != gix::objs::Kind::Commit {
        return Ok(Err(format!("it points at a {}", object.kind)));
    }
    let tree = object.into_commit().tree()?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder)?;
    let hex_len = repo.git.object_hash().len_in_hex();
    let mut notes = BTreeMap::new();
    for entry in recorder.records {
        let path = entry.filepath.to_str_lossy();
        let parts: Vec<&str> = path.split('/').collect();
        let hex: String = parts.concat();
        let fanout = parts[..parts.len() - 1].iter().all(|p| p.len() == 2);
        let is_hex = hex.bytes().all(|b| b.is_ascii_hexdigit());
        let fits = if entry.mode.is_tree() {
            fanout && parts.last().is_some_and(|p| p.len() == 2) && hex.len() < hex_len
        } else {
            entry.mode.is_blob() && fanout && hex.len() == hex_len
        };
        if !(fits && is_hex) {
            return Ok(Err(format!("'{path}' is not a note")));
        }
        if !entry.mode.is_tree() {
            notes.insert(ObjectId::from_hex(hex.as_bytes())?, entry.oid);
        }
    }
    Ok(Ok(notes))
}

/// Every line of `ours`, then those of `theirs` it lacks; and the lines
/// each side lacked.
fn union_of_lines(ours: &[u8], theirs: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let line_set = |text: &[u8]| -> HashSet<Vec<u8>> {
        text.lines()
            .map(|l| l.trim_end().to_vec())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let (mine, their_lines) = (line_set(ours), line_set(theirs));
    let mut union = ours.to_vec();
    if !union.is_empty() && !union.ends_with(b"\n") {
        union.push(b'\n');
    }
    let (mut new_here, mut new_there) = (Vec::new(), Vec::new());
    let mut added = HashSet::new();
    for line in theirs.lines().map(|l| l.trim_end()) {
        if !line.is_empty() && !mine.contains(line) && added.insert(line.to_vec()) {
            union.extend_from_slice(line);
            union.push(b'\n');
            new_here.extend_from_slice(line);
            new_here.push(b'\n');
        }
    }
    for line in ours.lines().map(|l| l.trim_end()) {
        if !line.is_empty() && !their_lines.contains(line) {
            new_there.extend_from_slice(line);
            new_there.push(b'\n');
        }
    }
    (union, new_here, new_there)
}

/// The ids of the events in a note's text.
fn event_ids(text: &[u8]) -> Vec<String> {
    text.lines()
        .filter_map(|l| serde_json::from_slice::<Event>(l.trim()).ok())
        .map(|e| e.id)
        .collect()
}

/// Take the merged log and their new checkpoints into this clone, and note
/// where they came from.
fn take_theirs(
    repo: &Repo,
    remote: &str,
    ours: Option<ObjectId>,
    merged: &Merged,
    import: &[(String, ObjectId)],
) -> Result<()> {
    let message = format!("git-rollback: sync with {remote}");
    let mut edits = Vec::new();
    if let Some(commit) = merged.commit.filter(|c| Some(*c) != ours) {
        edits.push(ref_edit(
            NOTES_REF,
            commit,
            match ours {
                Some(id) => PreviousValue::MustExistAndMatch(RefTarget::Object(id)),
                None => PreviousValue::MustNotExist,
            },
            &message,
        )?);
    }
    let mut checkpoints = Vec::new();
    for (name, raw) in import {
        edits.push(ref_edit(
            &format!("{PREFIX}{name}"),
            *raw,
            PreviousValue::MustNotExist,
            &message,
        )?);
        checkpoints.push((name.clone(), checkpoint::read_raw(repo, name, *raw)?.target));
    }
    if edits.is_empty() {
        return Ok(());
    }
    repo.git
        .edit_references(edits)
        .context("taking in the remote's checkpoints and log")?;
    Origins::record(repo, remote, &merged.fetched, &checkpoints)
}

fn ref_edit(name: &str, new: ObjectId, expected: PreviousValue, message: &str) -> Result<RefEdit> {
    Ok(RefEdit {
        change: Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: message.into(),
            },
            expected,
            new: RefTarget::Object(new),
        },
        name: name.try_into()?,
        deref: false,
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Pushed {
    Done,
    /// Refused because the remote moved since the fetch: another round.
    RemoteMoved,
}

/// Push `specs`; whether the remote took them all, and the remote refs it
/// updated.
fn push(repo: &Repo, remote: &str, specs: &[String]) -> Result<(Pushed, Vec<String>)> {
    // Our own refs only: the user's pre-push hooks guard their branches,
    // and ours would record this push of the log in the log being pushed.
    let mut args = vec![
        "push",
        "--porcelain",
        "--no-verify",
        "--no-follow-tags",
        remote,
    ];
    args.extend(specs.iter().map(String::as_str));
    let pushed = repo.git_cli(&args)?;
    let stdout = String::from_utf8_lossy(&pushed.stdout);
    // Porcelain lines: `<flag>\t<src>:<dst>\t<summary>`; `!` is refused,
    // `=` was up to date.
    let (mut rejected, mut accepted) = (Vec::new(), Vec::new());
    for line in stdout.lines() {
        let mut fields = line.split('\t');
        let (Some(flag), Some(spec), Some(summary)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let target = spec.rsplit(':').next().unwrap_or(spec);
        match flag {
            "!" => rejected.push((target, summary)),
            " " | "*" | "+" => accepted.push(target.to_owned()),
            _ => {}
        }
    }
    if rejected.is_empty() {
        if pushed.status.success() {
            return Ok((Pushed::Done, accepted));
        }
        return Err(Error::failed(format!(
            "pushing to '{remote}' failed: {}",
            git_says(&pushed.stderr)
        )));
    }
    let moved = |summary: &str| {
        [
            "fetch first",
            "non-fast-forward",
            "already exists",
            "stale info",
        ]
        .iter()
        .any(|why| summary.contains(why))
    };
    if rejected.iter().all(|(_, summary)| moved(summary)) {
        return Ok((Pushed::RemoteMoved, accepted));
    }
    let (target, summary) = rejected
        .iter()
        .find(|(_, summary)| !moved(summary))
        .unwrap_or(&rejected[0]);
    Err(
        Error::failed(format!("the remote '{remote}' refused {target}: {summary}"))
            .hint(Hint::PushRefused),
    )
}

/// Where fetched events and checkpoints came from, kept beside the list
/// cache: `event <id> <remote>` and `checkpoint <name> <commit> <remote>`
/// lines, appended by each sync. Anything not in it was made in this clone.
#[derive(Debug, Default)]
pub struct Origins {
    events: HashMap<String, String>,
    checkpoints: HashMap<(String, String), String>,
}

impl Origins {
    fn path(repo: &Repo) -> std::path::PathBuf {
        repo.rollback_dir().join("origins")
    }

    /// The origins recorded so far (none when the file is missing).
    pub fn load(repo: &Repo) -> Origins {
        let mut origins = Origins::default();
        let Ok(text) = std::fs::read_to_string(Self::path(repo)) else {
            return origins;
        };
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("event", rest)) => {
                    if let Some((id, remote)) = rest.split_once(' ') {
                        origins.events.insert(id.to_owned(), remote.to_owned());
                    }
                }
                Some(("checkpoint", rest)) => {
                    let mut fields = rest.splitn(3, ' ');
                    if let (Some(name), Some(commit), Some(remote)) =
                        (fields.next(), fields.next(), fields.next())
                    {
                        origins
                            .checkpoints
                            .insert((name.to_owned(), commit.to_owned()), remote.to_owned());
                    }
                }
                _ => {}
            }
        }
        origins
    }

    /// The remote an event came from (`None`: made here).
    pub fn of_event(&self, id: &str) -> Option<&str> {
        self.events.get(id).map(String::as_str)
    }

    /// The remote a checkpoint came from (`None`: made here).
    pub fn of_checkpoint(&self, name: &str, target: &str) -> Option<&str> {
        self.checkpoints
            .get(&(name.to_owned(), target.to_owned()))
            .map(String::as_str)
    }

    fn record(
        repo: &Repo,
        remote: &str,
        events: &[String],
        checkpoints: &[(String, String)],
    ) -> Result<()> {
        use std::io::Write;
        let mut text = String::new();
        for id in events {
            text.push_str(&format!("event {id} {remote}\n"));
        }
        for (name, target) in checkpoints {
            text.push_str(&format!("checkpoint {name} {target} {remote}\n"));
        }
        if text.is_empty() {
            return Ok(());
        }
        let path = Self::path(repo);
        std::fs::create_dir_all(repo.rollback_dir())
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
            })
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|err| crate::error::io(err, format!("writing {}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_union_keeps_every_line_once() {
        let (union, new_here, new_there) = super::union_of_lines(
            b"{\"a\":1}\n{\"b\":2}\n",
            b"{\"b\":2}\n{\"c\":3}\n{\"c\":3}\n",
        );
        assert_eq!(union, b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        assert_eq!(new_here, b"{\"c\":3}\n");
        assert_eq!(new_there, b"{\"a\":1}\n");
    }
}
