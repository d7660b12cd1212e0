//! The migration-map operations: record a move as it is made, and revert a
//! map read from a file, derived from a checkpoint, or recorded in the
//! ledger. Both are operations (see [`crate::operation`]), so `undo`
//! reverses them.

use crate::error::{Error, Hint, Result};
use crate::ledger::{self, Kind};
use crate::migration::{self, Map, Move};
use crate::operation::{self, HeadAfter, Outcome, Request, Step, Target};
use crate::repo::Repo;
use crate::snapshot;

/// Which map to revert.
pub enum Which {
    /// A map file's text (TOML or JSON) and its name for messages.
    File { name: String, text: String },
    /// The moves between this checkpoint and the work tree now.
    DerivedFrom(String),
    /// The moves recorded with `map record` since the last revert of them.
    Recorded,
}

/// Move a file or directory (like `git mv`) and record the move. As with
/// `git mv`, a destination that is an existing directory (or ends in `/`)
/// receives the source inside it.
pub fn record(repo: &Repo, mut step: Move, dry_run: bool) -> Result<Outcome> {
    let into_directory =
        step.destination.ends_with('/') || repo.workdir().join(&step.destination).is_dir();
    if into_directory {
        let name = step.source.rsplit('/').next().unwrap_or(&step.source);
        let directory = step.destination.trim_end_matches('/');
        step.destination = if directory.is_empty() {
            name.to_owned()
        } else {
            format!("{directory}/{name}")
        };
    }
    let mut request = Request::new(
        Kind::MapRecord,
        Target::Derived(vec![Step::Move(vec![step.clone()])]),
        HeadAfter::Keep,
    );
    request.set_details(&migration::Recorded {
        source: step.source,
        destination: step.destination,
    })?;
    request.dry_run = dry_run;
    operation::run(repo, request)
}

/// The map `which` names, without reverting it.
pub fn read(repo: &Repo, which: Which) -> Result<Map> {
    Ok(resolve(repo, which)?.0)
}

/// The map, the state it was derived from (for drift), the capture it was
/// derived against (reused as the safety snapshot) and its description.
fn resolve(
    repo: &Repo,
    which: Which,
) -> Result<(
    Map,
    Option<snapshot::State>,
    Option<snapshot::Capture>,
    String,
)> {
    Ok(match which {
        Which::File { name, text } => (Map::parse(&name, &text)?, None, None, name),
        Which::DerivedFrom(checkpoint) => {
            let from = crate::checkpoint::resolve(repo, &checkpoint)?.state(repo)?;
            let now = snapshot::capture(repo, Some("git-rollback: before map-revert"), None, None)?;
            let map = migration::derive(repo, &from, &now.state)?;
            (
                map,
                Some(from),
                Some(now),
                format!("derived from {checkpoint}"),
            )
        }
        Which::Recorded => {
            let events = ledger::read_all(repo)?;
            let history = operation::history(repo, &events)?;
            let in_effect = history.done.iter().map(|e| e.id.as_str()).collect();
            let (map, first) = migration::recorded(&events, &in_effect);
            // The state before the first recorded move tells the drift (none
            // to tell when its snapshot is gone, expired by gc).
            let before = first
                .and_then(|e| e.snapshot.as_deref())
                .and_then(|id| gix::ObjectId::from_hex(id.as_bytes()).ok())
                .and_then(|id| snapshot::State::of_commit(repo, id).ok());
            (map, before, None, migration::RECORDED.to_owned())
        }
    })
}

/// Reverse every move of the map, all or nothing; with `force`, what is in
/// the way of a destination is replaced (it is in the safety snapshot).
pub fn revert(repo: &Repo, which: Which, force: bool, dry_run: bool) -> Result<Outcome> {
    let (map, reference, captured, description) = resolve(repo, which)?;
    if map.moves.is_empty() {
        return Err(
            Error::usage(format!("the map ({description}) has no moves")).hint(Hint::ShowMap),
        );
    }
    let mut request = Request::new(
        Kind::MapRevert,
        Target::Derived(vec![Step::Revert {
            map: map.clone(),
            reference,
            force,
        }]),
        HeadAfter::Keep,
    );
    // The state the map was derived from is the one reverted: the work tree is read once.
    request.captured = captured;
    request.set_details(&migration::Reverted {
        map: description,
        moves: map.moves.clone(),
    })?;
    request.dry_run = dry_run;
    operation::run(repo, request)
}
