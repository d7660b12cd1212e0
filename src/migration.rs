//! Migration maps: the moves of a restructure (`source` → `destination`, a
//! file or a whole directory), recorded as they are made, derived by rename
//! detection, or read from a file (TOML `[[migration]]` or the runbooks' JSON
//! `{"migrations": [...]}`), and reverted all-or-nothing.
//!
//! Moves are applied to a captured [`State`] as tree edits (work tree, index
//! and untracked files alike), so a revert is an ordinary operation: planned,
//! snapshotted, undoable, and exact about modes.

use std::collections::{BTreeMap, BTreeSet};

use gix::bstr::{BString, ByteSlice};
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Hint, Result};
use crate::ledger::{Event, Kind};
use crate::repo::Repo;
use crate::snapshot::{self, Blob, State};

/// One move.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub source: String,
    pub destination: String,
}

/// A migration map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Map {
    #[serde(rename = "migration", default)]
    pub moves: Vec<Move>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMap {
    migrations: Vec<Move>,
}

fn clean(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned()
}

impl Map {
    /// Parse a map file: TOML, or JSON when it starts with `{`. Errors name
    /// the file and the line.
    pub fn parse(name: &str, text: &str) -> Result<Map> {
        let line_of = |offset: usize| {
            text.as_bytes()[..offset.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        };
        let map = if text.trim_start().starts_with('{') {
            let json: JsonMap = serde_json::from_str(text)
                .map_err(|e| Error::usage(format!("{name}: line {}: {e}", e.line())))?;
            Map {
                moves: json.migrations,
            }
        } else {
            toml::from_str::<Map>(text).map_err(|e| {
                let line = e
                    .span()
                    .map(|s| format!(" line {}:", line_of(s.start)))
                    .unwrap_or_default();
                Error::usage(format!("{name}:{line} {}", e.message().trim()))
            })?
        };
        let moves = map
            .moves
            .into_iter()
            .map(|m| Move {
                source: clean(&m.source),
                destination: clean(&m.destination),
            })
            .collect::<Vec<_>>();
        for m in &moves {
            for path in [&m.source, &m.destination] {
                crate::archive::check_entry_path(path).map_err(|_| {
                    Error::usage(format!(
                        "{name}: '{path}' must be a relative path inside the repository"
                    ))
                })?;
            }
        }
        Ok(Map { moves })
    }

    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::failed(e.to_string()))
    }

    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(&serde_json::json!({ "migrations": self.moves }))? + "\n")
    }

    /// The moves that undo this map.
    pub fn reversed(&self) -> Vec<Move> {
        self.moves
            .iter()
            .map(|m| Move {
                source: m.destination.clone(),
                destination: m.source.clone(),
            })
            .collect()
    }
}

/// Every blob at or under `path` in `tree`, with its path below `path`
/// (empty for `path` itself being a file).
fn entries_at(repo: &Repo, tree: Option<ObjectId>, path: &str) -> Result<Vec<(String, Blob)>> {
    let Some(tree) = tree else {
        return Ok(Vec::new());
    };
    let root = repo.git.find_tree(tree)?;
    let Some(entry) = root.lookup_entry_by_path(path)? else {
        return Ok(Vec::new());
    };
    let mode = entry.mode();
    if !mode.is_tree() {
        return Ok(vec![(
            String::new(),
            Blob {
                id: entry.object_id(),
                kind: mode.kind(),
            },
        )]);
    }
    Ok(snapshot::tree_blobs(repo, Some(entry.object_id()))?
        .into_iter()
        .map(|(p, b)| (p.to_str_lossy().into_owned(), b))
        .collect())
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        base.to_owned()
    } else if base.is_empty() {
        rest.to_owned()
    } else {
        format!("{base}/{rest}")
    }
}

/// Apply `moves` at once (each reads the tree as it was) to one tree.
fn move_in_tree(repo: &Repo, tree: Option<ObjectId>, moves: &[Move]) -> Result<Option<ObjectId>> {
    let Some(id) = tree else { return Ok(None) };
    let mut found = Vec::new();
    for m in moves {
        for (rest, blob) in entries_at(repo, tree, &m.source)? {
            found.push((m, rest, blob));
        }
    }
    if found.is_empty() {
        return Ok(tree);
    }
    let mut editor = repo.edit_tree(id)?;
    for m in moves {
        editor.remove(&m.source)?;
    }
    for (m, rest, blob) in found {
        editor.upsert(join(&m.destination, &rest), blob.kind, blob.id)?;
    }
    Ok(Some(editor.write()?))
}

/// `state` with `moves` applied to its index, work tree and untracked files.
pub fn apply(repo: &Repo, state: &State, moves: &[Move]) -> Result<State> {
    Ok(State {
        commit: state.commit,
        head: state.head,
        index_tree: move_in_tree(repo, Some(state.index_tree), moves)?.unwrap_or(state.index_tree),
        worktree_tree: move_in_tree(repo, Some(state.worktree_tree), moves)?
            .unwrap_or(state.worktree_tree),
        untracked_tree: move_in_tree(repo, state.untracked_tree, moves)?,
    })
}

/// What is at `path` in the work tree of `state` (tracked or untracked).
fn on_disk(repo: &Repo, state: &State, path: &str) -> Result<Vec<(String, Blob)>> {
    let mut all = entries_at(repo, Some(state.worktree_tree), path)?;
    all.extend(entries_at(repo, state.untracked_tree, path)?);
    Ok(all)
}

/// One reason a set of moves cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Conflict {
    /// The same source appears in two moves.
    MovedTwice { source: String },
    /// Two moves have the same destination.
    SameDestination {
        first: String,
        second: String,
        destination: String,
    },
    /// One destination lies inside another.
    Nested { inner: String, outer: String },
    /// Nothing is at the source.
    Missing { source: String, destination: String },
    /// A different file is already at (or under) the destination.
    Occupied { path: String },
    /// A file stands where one of the destination's directories must go.
    NeedsDirectory { file: String, destination: String },
}

impl Conflict {
    /// Whether `--force` may go over it: the file in the way is in the
    /// operation's safety snapshot, so replacing it loses nothing.
    pub fn is_forcible(&self) -> bool {
        matches!(
            self,
            Conflict::Occupied { .. } | Conflict::NeedsDirectory { .. }
        )
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::MovedTwice { source } => write!(f, "'{source}' is moved twice"),
            Conflict::SameDestination {
                first,
                second,
                destination,
            } => write!(f, "'{first}' and '{second}' both move to '{destination}'"),
            Conflict::Nested { inner, outer } => write!(
                f,
                "'{inner}' would be inside '{outer}', which is also a destination"
            ),
            Conflict::Missing {
                source,
                destination,
            } => write!(
                f,
                "'{source}' is missing (nothing to move to '{destination}')"
            ),
            Conflict::Occupied { path } => write!(f, "'{path}' is occupied by a different file"),
            Conflict::NeedsDirectory { file, destination } => {
                write!(
                    f,
                    "'{file}' is a file where '{destination}' needs a directory"
                )
            }
        }
    }
}

/// Everything that stops `moves` from being carried out on `state`: a
/// missing source, a destination taken by different content, a file where a
/// directory must go, two moves colliding. Empty when the moves can run.
pub fn conflicts(repo: &Repo, state: &State, moves: &[Move]) -> Result<Vec<Conflict>> {
    let mut out = Vec::new();
    let mut sources = BTreeSet::new();
    let mut destinations: BTreeMap<&str, &Move> = BTreeMap::new();
    for m in moves {
        if !sources.insert(m.source.as_str()) {
            out.push(Conflict::MovedTwice {
                source: m.source.clone(),
            });
        }
        if let Some(other) = destinations.insert(m.destination.as_str(), m) {
            out.push(Conflict::SameDestination {
                first: other.source.clone(),
                second: m.source.clone(),
                destination: m.destination.clone(),
            });
        }
    }
    let targets: Vec<&str> = destinations.keys().copied().collect();
    for (i, a) in targets.iter().enumerate() {
        for b in &targets[i + 1..] {
            if b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'/') {
                out.push(Conflict::Nested {
                    inner: b.to_string(),
                    outer: a.to_string(),
                });
            }
        }
    }
    for m in moves {
        let from = on_disk(repo, state, &m.source)?;
        if from.is_empty() {
            out.push(Conflict::Missing {
                source: m.source.clone(),
                destination: m.destination.clone(),
            });
            continue;
        }
        let moving_out = |path: &str| {
            moves
                .iter()
                .any(|o| path == o.source || path.starts_with(&format!("{}/", o.source)))
        };
        for (rest, blob) in on_disk(repo, state, &m.destination)? {
            let taken = join(&m.destination, &rest);
            let same = from.iter().any(|(r, b)| *r == rest && b == &blob);
            if !same && !moving_out(&taken) {
                out.push(Conflict::Occupied { path: taken });
            }
        }
        // A file where one of the destination's directories must go.
        let mut prefix = String::new();
        for component in m
            .destination
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            prefix = join(&prefix, component);
            let found = on_disk(repo, state, &prefix)?;
            if found.len() == 1 && found[0].0.is_empty() && !moving_out(&prefix) {
                out.push(Conflict::NeedsDirectory {
                    file: prefix.clone(),
                    destination: m.destination.clone(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The refusal for `conflicts`, each on its own line; `forcible`: whether
/// the command takes `--force` to go over the conflicts that allow it.
fn conflict_error(what: &str, conflicts: &[Conflict], forcible: bool) -> Error {
    let forcible = forcible && conflicts.iter().any(Conflict::is_forcible);
    Error::refused(format!(
        "{what}: {} conflict{}:\n  {}",
        conflicts.len(),
        if conflicts.len() == 1 { "" } else { "s" },
        conflicts
            .iter()
            .map(Conflict::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    ))
    .hint(Hint::ResolveMoveConflicts { forcible })
}

/// Carry out `moves` on `current`, all or nothing.
pub fn carry_out(repo: &Repo, current: &State, moves: &[Move]) -> Result<State> {
    let conflicts = conflicts(repo, current, moves)?;
    if !conflicts.is_empty() {
        return Err(conflict_error("cannot move", &conflicts, false));
    }
    apply(repo, current, moves)
}

/// Reverse `map` on `current`, all or nothing; with `force`, files in the
/// way of a destination are replaced (they are in the safety snapshot).
/// Also returns the drift: files edited after they were moved, compared
/// with `reference` (the state before the moves), when known.
pub fn revert(
    repo: &Repo,
    current: &State,
    map: &Map,
    reference: Option<&State>,
    force: bool,
) -> Result<(State, Vec<String>)> {
    let reversed = map.reversed();
    let conflicts: Vec<Conflict> = conflicts(repo, current, &reversed)?
        .into_iter()
        .filter(|c| !(force && c.is_forcible()))
        .collect();
    if !conflicts.is_empty() {
        return Err(conflict_error(
            "the map cannot be reverted",
            &conflicts,
            true,
        ));
    }
    let drift = match reference {
        Some(reference) => drift(repo, current, reference, map)?,
        None => Vec::new(),
    };
    Ok((apply(repo, current, &reversed)?, drift))
}

/// Files edited after they were moved: the content at each move's
/// destination now differs from the source's content in `reference`.
pub fn drift(repo: &Repo, current: &State, reference: &State, map: &Map) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in &map.moves {
        let before: BTreeMap<String, Blob> =
            on_disk(repo, reference, &m.source)?.into_iter().collect();
        for (rest, blob) in on_disk(repo, current, &m.destination)? {
            if before.get(&rest).is_some_and(|b| b.id != blob.id) {
                out.push(join(&m.destination, &rest));
            }
        }
    }
    Ok(out)
}

/// The moves between two states' work trees found by rename detection,
/// with directories collapsed where a whole directory moved.
pub fn derive(repo: &Repo, from: &State, to: &State) -> Result<Map> {
    let old_tree = from.whole_tree(repo)?;
    let new_tree = to.whole_tree(repo)?;
    let old = repo.git.find_tree(old_tree)?;
    let new = repo.git.find_tree(new_tree)?;
    let options = gix::diff::Options::default().with_rewrites(Some(gix::diff::Rewrites::default()));
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for change in repo.git.diff_tree_to_tree(&old, &new, options)? {
        if let gix::object::tree::diff::ChangeDetached::Rewrite {
            source_location,
            location,
            entry_mode,
            copy: false,
            ..
        } = change
        {
            if !entry_mode.is_tree() {
                renames.insert(
                    source_location.to_str_lossy().into_owned(),
                    location.to_str_lossy().into_owned(),
                );
            }
        }
    }
    let old_files: BTreeSet<BString> = snapshot::tree_blobs(repo, Some(old_tree))?
        .into_keys()
        .collect();
    let new_files: BTreeSet<BString> = snapshot::tree_blobs(repo, Some(new_tree))?
        .into_keys()
        .collect();
    // Collapse: the highest directory pair (A → B) such that every file under
    // A was renamed to the same place under B, and A is gone.
    let mut moves = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for (source, destination) in &renames {
        if covered.contains(source) {
            continue;
        }
        let s: Vec<&str> = source.split('/').collect();
        let d: Vec<&str> = destination.split('/').collect();
        let mut best = (source.clone(), destination.clone());
        let mut shared = 0;
        while shared + 1 < s.len()
            && shared + 1 < d.len()
            && s[s.len() - 1 - shared] == d[d.len() - 1 - shared]
        {
            shared += 1;
            let a = s[..s.len() - shared].join("/");
            let b = d[..d.len() - shared].join("/");
            let a_prefix = format!("{a}/");
            let under_a: Vec<&BString> = old_files
                .iter()
                .filter(|f| f.starts_with(a_prefix.as_bytes()))
                .collect();
            let whole = !under_a.is_empty()
                && under_a.iter().all(|f| {
                    let f = f.to_str_lossy();
                    renames.get(f.as_ref()).is_some_and(|to| *to == format!("{b}/{}", &f[a_prefix.len()..]))
                })
                && !new_files.iter().any(|f| f.starts_with(a_prefix.as_bytes()))
                // …and everything now under B came from A.
                && new_files.iter().filter(|f| f.starts_with(format!("{b}/").as_bytes())).all(|f| {
                    let f = f.to_str_lossy();
                    renames.iter().any(|(from, to)| *to == *f && from.starts_with(&a_prefix))
                });
            if whole {
                best = (a, b);
            } else {
                break;
            }
        }
        let prefix = format!("{}/", best.0);
        for file in renames.keys() {
            if *file == best.0 || file.starts_with(&prefix) {
                covered.insert(file.clone());
            }
        }
        moves.push(Move {
            source: best.0,
            destination: best.1,
        });
    }
    Ok(Map { moves })
}

/// The details of a `map-revert` event: which map, and its moves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reverted {
    /// `recorded`, `derived from <checkpoint>`, or the map file's name.
    pub map: String,
    pub moves: Vec<Move>,
}

/// The details of a `map-record` event: the move made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub source: String,
    pub destination: String,
}

/// How a `map-revert` event names the recorded map.
pub const RECORDED: &str = "recorded";

/// The moves recorded with `map record` since the recorded map was last
/// reverted, among the operations `in_effect` (an undone record or revert
/// does not count), and the event of the first of them (its safety snapshot
/// is the state before the moves).
pub fn recorded<'a>(
    events: &'a [Event],
    in_effect: &std::collections::HashSet<&str>,
) -> (Map, Option<&'a Event>) {
    let mut moves = Vec::new();
    let mut first = None;
    for event in events.iter().filter(|e| in_effect.contains(e.id.as_str())) {
        let reverted_recorded = event.kind == Kind::MapRevert
            && event
                .details_as::<Reverted>()
                .is_some_and(|r| r.map == RECORDED);
        if reverted_recorded {
            break;
        }
        if let Some(step) = event
            .details_as::<Recorded>()
            .filter(|_| event.kind == Kind::MapRecord)
        {
            moves.push(Move {
                source: step.source,
                destination: step.destination,
            });
            first = Some(event);
        }
    }
    moves.reverse();
    (Map { moves }, first)
}
