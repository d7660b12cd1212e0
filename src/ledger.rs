//! The operation ledger: one JSON object per line, one line per event, in git
//! notes under `refs/notes/rollback`.
//!
//! An event is attached to the commit it concerns (a checkpoint's target, an
//! operation's safety snapshot). Lines are only ever appended, so two clones'
//! notes merge with `git notes merge -s cat_sort_uniq` without losing an event,
//! and `git log --notes=rollback` shows them beside the commits.

use std::collections::BTreeMap;

use gix::bstr::ByteSlice;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::{Context, Result};
use crate::repo::{Head, Repo};

/// The notes ref that holds the ledger.
pub const NOTES_REF: &str = "refs/notes/rollback";

/// How the message of a notes merge written by `sync` begins.
pub const SYNC_MERGE: &str = "git-rollback: sync: merge";

/// What an event records. On disk the kebab-case name (`backup-restore`);
/// a kind this build does not know (written by a newer one) reads as
/// `Unknown`, so old and new ledgers stay readable by both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A checkpoint was made (changes nothing).
    Checkpoint,
    /// `checkpoint --delete`: a checkpoint removed (undoable).
    CheckpointDelete,
    /// `checkpoint --rename`: a checkpoint renamed (undoable).
    CheckpointRename,
    /// A backup was written (changes nothing).
    Backup,
    /// `to`: a full rollback to a checkpoint.
    To,
    /// `files`: some paths restored from a checkpoint.
    Files,
    /// `sprint`: a sprint backed out onto a retry branch.
    Sprint,
    /// `stage`: one stage rolled back at a level.
    Stage,
    /// `map record`: a move made and recorded.
    MapRecord,
    /// `map revert`: recorded moves reversed.
    MapRevert,
    /// `backup restore` in place.
    BackupRestore,
    /// `drill`: a rollback practised in a temporary worktree.
    Drill,
    /// `recover`: good commits of a failed branch picked onto a new one.
    Recover,
    /// `undo` of an earlier operation.
    Undo,
    /// `redo`: the reversal of an undo.
    Redo,
    /// The result line of an operation: duration and checks.
    Result,
    /// A push that overwrote or deleted a remote ref whose old tip is not
    /// here (when it is, a checkpoint records it).
    PrePush,
    /// A kind written by another build of the tool.
    #[serde(other)]
    Unknown,
}

impl Kind {
    /// Every kind this build writes.
    pub const ALL: [Kind; 18] = [
        Kind::Checkpoint,
        Kind::CheckpointDelete,
        Kind::CheckpointRename,
        Kind::PrePush,
        Kind::Backup,
        Kind::To,
        Kind::Files,
        Kind::Sprint,
        Kind::Stage,
        Kind::MapRecord,
        Kind::MapRevert,
        Kind::BackupRestore,
        Kind::Drill,
        Kind::Recover,
        Kind::Undo,
        Kind::Redo,
        Kind::Result,
        Kind::Unknown,
    ];

    /// The kind named `name` (`backup-restore`), if this build writes it.
    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| *k != Kind::Unknown && k.as_str() == name)
    }

    /// The name on disk and in output (`backup-restore`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Checkpoint => "checkpoint",
            Kind::CheckpointDelete => "checkpoint-delete",
            Kind::CheckpointRename => "checkpoint-rename",
            Kind::Backup => "backup",
            Kind::To => "to",
            Kind::Files => "files",
            Kind::Sprint => "sprint",
            Kind::Stage => "stage",
            Kind::MapRecord => "map-record",
            Kind::MapRevert => "map-revert",
            Kind::BackupRestore => "backup-restore",
            Kind::Drill => "drill",
            Kind::Recover => "recover",
            Kind::Undo => "undo",
            Kind::Redo => "redo",
            Kind::Result => "result",
            Kind::PrePush => "pre-push",
            Kind::Unknown => "unknown",
        }
    }

    /// Whether an operation of this kind is a rollback (counted by `stats`,
    /// described by `report`): it brings back earlier content. A move that
    /// `map record` makes is not.
    pub fn is_rollback(self) -> bool {
        matches!(
            self,
            Kind::To
                | Kind::Files
                | Kind::Sprint
                | Kind::Stage
                | Kind::MapRevert
                | Kind::BackupRestore
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded event. Fields beyond the common ones live in `details`, so
/// later kinds add data without changing this type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// Short unique id (`undo <id>`, `report <id>`).
    pub id: String,
    /// What happened.
    pub kind: Kind,
    /// When, RFC 3339 UTC with microseconds.
    pub at: String,
    /// Who, as `Name <email>`.
    pub by: String,
    /// The commit this event is attached to in the notes.
    pub object: String,
    /// The checkpoint involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// HEAD before and after the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_before: Option<Head>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_after: Option<Head>,
    /// The safety snapshot taken before anything changed (what `undo` restores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The state the operation made current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The event this one undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The linked worktree it happened in (`None`: the main work tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<String>,
    /// Kind-specific data.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    /// A new event with a fresh id, the current time and the committer as author.
    pub fn new(repo: &Repo, kind: Kind, object: ObjectId) -> Result<Event> {
        let at = timestamp(jiff::Timestamp::now());
        Ok(Event {
            id: new_id(&at, kind.as_str(), object),
            kind,
            at,
            by: repo.who()?,
            object: object.to_string(),
            checkpoint: None,
            reason: None,
            severity: None,
            head_before: None,
            head_after: None,
            snapshot: None,
            target: None,
            undoes: None,
            worktree: repo.worktree_id(),
            details: Default::default(),
        })
    }

    /// The details as `T`, the typed form of this kind's details (`None`
    /// when they do not have that shape, e.g. a line from another build).
    pub fn details_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(serde_json::Value::Object(self.details.clone())).ok()
    }

    /// Set the details from their typed form (merged into any already set).
    pub fn set_details(&mut self, details: &impl Serialize) -> Result<()> {
        merge_details(&mut self.details, details)
    }

    /// Whether this event changed HEAD, the index or the work tree (and so can be undone).
    pub fn is_undoable(&self) -> bool {
        self.snapshot.is_some()
    }
}

/// A time as the ledger writes it (RFC 3339 UTC with microseconds), so that
/// such texts sort, and compare, in time order.
pub fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// Merge `details` (a struct serialized as an object) into `map`.
pub fn merge_details(
    map: &mut serde_json::Map<String, serde_json::Value>,
    details: &impl Serialize,
) -> Result<()> {
    if let serde_json::Value::Object(fields) = serde_json::to_value(details)? {
        map.extend(fields);
    }
    Ok(())
}

/// Eight hex digits from a hash of the time, kind, object and process, unique
/// enough for one repository's history and short enough to type.
fn new_id(at: &str, kind: &str, object: ObjectId) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(at.as_bytes());
    hasher.update(kind.as_bytes());
    hasher.update(object.as_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let digest = hasher.finalize();
    crate::archive::hex(&digest[..4])
}

/// Append `event` as one line to the note of its object.
pub fn append(repo: &Repo, event: &Event) -> Result<()> {
    let object = ObjectId::from_hex(event.object.as_bytes()).context("event object id")?;
    let mut notes = repo.git.notes()?.with_refs([NOTES_REF])?;
    let mut text = match notes.get(object)?.into_iter().next() {
        Some(note) => note.blob.data.clone(),
        None => Vec::new(),
    };
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(serde_json::to_string(event)?.as_bytes());
    text.push(b'\n');
    let mut notes = notes.with_commit_message(format!("git-rollback: {} {}", event.kind, event.id));
    notes
        .replace(NOTES_REF, object, text)
        .context("writing the ledger note")?;
    Ok(())
}

/// The events in the note of `object` (one lookup, not a ledger read).
pub fn events_of(repo: &Repo, object: ObjectId) -> Result<Vec<Event>> {
    let mut notes = repo.git.notes()?.with_refs([NOTES_REF])?;
    let Some(note) = notes.get(object)?.into_iter().next() else {
        return Ok(Vec::new());
    };
    Ok(note
        .blob
        .data
        .lines()
        .filter_map(|line| serde_json::from_slice::<Event>(line.trim()).ok())
        .collect())
}

/// Every event in the ledger, newest first. Lines that are not events (someone
/// else's notes) are skipped.
pub fn read_all(repo: &Repo) -> Result<Vec<Event>> {
    let Some(mut reference) = repo.git.try_find_reference(NOTES_REF)? else {
        return Ok(Vec::new());
    };
    let tree = reference.peel_to_commit()?.tree()?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder)?;
    let mut events = Vec::new();
    let mut seen = BTreeMap::new();
    for entry in recorder.records {
        if entry.mode.is_tree() {
            continue;
        }
        let blob = repo.git.find_blob(entry.oid)?;
        for line in blob.data.lines() {
            let line = line.trim();
            if !line.starts_with(b"{") {
                continue;
            }
            if let Ok(event) = serde_json::from_slice::<Event>(line) {
                // The same event can appear twice after a notes merge; keep one.
                seen.entry(event.id.clone()).or_insert(event);
            }
        }
    }
    events.extend(seen.into_values());
    events.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    Ok(events)
}

/// The events newest first, read back through the ledger's own history one
/// commit at a time, up to and including the first event for which `enough`
/// says so (or all of them): `log -n 20` reads 20 notes commits, not every
/// note. Each commit this tool writes adds one event and names it in its
/// message; a `sync` merge adds the other side's events, which are handed
/// on in time order among the walked ones. A history with other commits (a
/// `git notes merge`, a hand-written note) is read whole from there, with
/// the same result.
pub fn read_newest(repo: &Repo, mut enough: impl FnMut(&Event) -> bool) -> Result<Vec<Event>> {
    let (mut events, done) = walk_newest(repo, &mut enough)?;
    if !done {
        // The rest in bulk, going on from the last event the walk read.
        let seen: std::collections::HashSet<String> = events.iter().map(|e| e.id.clone()).collect();
        for event in read_all(repo)? {
            if seen.contains(&event.id) {
                continue;
            }
            let stop = enough(&event);
            events.push(event);
            if stop {
                break;
            }
        }
    }
    Ok(events)
}

/// The blobs of `new` that `old` does not have at the same path, each with
/// the blob `old` has there (if any): a notes commit changes one note, so
/// this reads the two fanout paths down to it (cheaper than a general tree
/// diff, which sets up attribute and filter state for every call).
fn changed_blobs(
    repo: &Repo,
    old: Option<ObjectId>,
    new: ObjectId,
    out: &mut Vec<(Option<ObjectId>, ObjectId)>,
) -> Result<()> {
    if old == Some(new) {
        return Ok(());
    }
    let git = &repo.git;
    let before: BTreeMap<Vec<u8>, (ObjectId, bool)> = match old {
        Some(old) => git
            .find_tree(old)?
            .decode()?
            .entries
            .iter()
            .map(|e| (e.filename.to_vec(), (e.oid.to_owned(), e.mode.is_tree())))
            .collect(),
        None => BTreeMap::new(),
    };
    let tree = git.find_tree(new)?;
    let entries: Vec<(Vec<u8>, ObjectId, bool)> = tree
        .decode()?
        .entries
        .iter()
        .map(|e| (e.filename.to_vec(), e.oid.to_owned(), e.mode.is_tree()))
        .collect();
    for (name, id, is_tree) in entries {
        let previous = before.get(&name);
        if previous.is_some_and(|(old_id, _)| *old_id == id) {
            continue;
        }
        if is_tree {
            let old_subtree = previous
                .filter(|(_, was_tree)| *was_tree)
                .map(|(id, _)| *id);
            changed_blobs(repo, old_subtree, id, out)?;
        } else {
            out.push((
                previous
                    .filter(|(_, was_tree)| !*was_tree)
                    .map(|(id, _)| *id),
                id,
            ));
        }
    }
    Ok(())
}

/// How many events [`read_newest`] reads commit by commit before it reads
/// the rest in bulk.
const WALK_LIMIT: usize = 500;

/// [`read_newest`] through the notes commits: the events read, and whether
/// that is all (false at a commit this tool did not write, or far back).
fn walk_newest(repo: &Repo, enough: &mut impl FnMut(&Event) -> bool) -> Result<(Vec<Event>, bool)> {
    let git = &repo.git;
    let Some(mut reference) = git.try_find_reference(NOTES_REF)? else {
        return Ok((Vec::new(), true));
    };
    let mut next = Some(reference.peel_to_commit()?.id);
    let mut events = Vec::new();
    // Events a `sync` merge brought in, oldest first: each is handed on
    // once the walk reaches events older than it, so the order stays
    // newest first across both sides.
    let mut merged: Vec<Event> = Vec::new();
    while let Some(id) = next {
        // Far back, one bulk read of every note is cheaper than a commit
        // and a tree diff per event.
        if events.len() >= WALK_LIMIT {
            return Ok((events, false));
        }
        let commit = git.find_commit(id)?;
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let message = commit.message_raw_sloppy().to_str_lossy().into_owned();
        if parents.len() == 2 && message.starts_with(SYNC_MERGE) {
            let ours = git.find_commit(parents[0])?.tree_id()?.detach();
            let mut changed = Vec::new();
            changed_blobs(repo, Some(ours), commit.tree_id()?.detach(), &mut changed)?;
            for (old, new) in changed {
                let before: std::collections::HashSet<Vec<u8>> = match old {
                    Some(old) => git
                        .find_blob(old)?
                        .data
                        .lines()
                        .map(|l| l.trim().to_vec())
                        .collect(),
                    None => Default::default(),
                };
                let blob = git.find_blob(new)?;
                merged.extend(
                    blob.data
                        .lines()
                        .map(|l| l.trim())
                        .filter(|l| !before.contains(*l))
                        .filter_map(|l| serde_json::from_slice::<Event>(l).ok()),
                );
            }
            merged.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            next = Some(parents[0]);
            continue;
        }
        let Some(event_id) = message
            .trim()
            .strip_prefix("git-rollback: ")
            .and_then(|rest| rest.split(' ').nth(1))
            .map(str::to_owned)
        else {
            return Ok((events, false));
        };
        let parent_tree = match parents.as_slice() {
            [] => None,
            [parent] => Some(git.find_commit(*parent)?.tree_id()?.detach()),
            _ => return Ok((events, false)),
        };
        let mut changed = Vec::new();
        changed_blobs(repo, parent_tree, commit.tree_id()?.detach(), &mut changed)?;
        let needle = format!("\"id\":\"{event_id}\"");
        let mut found = None;
        for (_, id) in changed {
            let blob = git.find_blob(id)?;
            found = blob
                .data
                .lines()
                .rev()
                .filter(|line| line.find(needle.as_bytes()).is_some())
                .find_map(|line| serde_json::from_slice::<Event>(line.trim()).ok())
                .filter(|event| event.id == event_id);
            if found.is_some() {
                break;
            }
        }
        let Some(event) = found else {
            return Ok((events, false));
        };
        while merged.last().is_some_and(|m| m.at > event.at) {
            let newer = merged.pop().expect("checked");
            let stop = enough(&newer);
            events.push(newer);
            if stop {
                return Ok((events, true));
            }
        }
        let stop = enough(&event);
        events.push(event);
        if stop {
            return Ok((events, true));
        }
        next = parents.first().copied();
    }
    while let Some(older) = merged.pop() {
        let stop = enough(&older);
        events.push(older);
        if stop {
            break;
        }
    }
    Ok((events, true))
}

/// Find one event by its id (a unique prefix is enough).
pub fn find<'a>(events: &'a [Event], id: &str) -> Option<&'a Event> {
    let mut matches = events.iter().filter(|e| e.id.starts_with(id));
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::{Event, Kind};

    /// A line as the release before typed kinds wrote it.
    const TO_LINE: &str = r#"{"id":"5184db9f","kind":"to","at":"2026-11-23T11:12:40.646791Z","by":"Ada <ada@example.com>","object":"9296c6377adbe00ed7dabd017ff7bd1561650cca","checkpoint":"c","head_before":{"ref":"refs/heads/main","oid":"728c8748202af42c1324045b82ba92586220bda8"},"head_after":{"ref":"refs/heads/main","oid":"92540cf2dd609c48a91b5d43a405f566f2b1aada"},"snapshot":"9296c6377adbe00ed7dabd017ff7bd1561650cca","target":"92540cf2dd609c48a91b5d43a405f566f2b1aada","details":{"counts":{"staged":0,"unstaged":0,"untracked":1},"deleted":1,"paths":["src/a.rs","src/u.txt"],"restored":1}}"#;

    #[test]
    fn a_line_of_the_previous_release_reads_and_writes_back_unchanged() {
        let event: Event = serde_json::from_str(TO_LINE).unwrap();
        assert_eq!(event.kind, Kind::To);
        assert_eq!(event.worktree, None);
        assert_eq!(serde_json::to_string(&event).unwrap(), TO_LINE);
    }

    #[test]
    fn every_kind_is_found_by_its_name() {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Unknown) {
            assert_eq!(Kind::named(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        assert_eq!(Kind::named("unknown"), None);
        assert_eq!(Kind::named("rehearsal"), None);
    }

    #[test]
    fn kinds_are_their_kebab_case_names_and_unknown_ones_still_read() {
        for kind in [
            Kind::BackupRestore,
            Kind::MapRecord,
            Kind::Result,
            Kind::Drill,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
        }
        let newer = TO_LINE.replace(r#""kind":"to""#, r#""kind":"rehearsal""#);
        let event: Event = serde_json::from_str(&newer).unwrap();
        assert_eq!(event.kind, Kind::Unknown);
        assert!(!event.kind.is_rollback());
    }
}
