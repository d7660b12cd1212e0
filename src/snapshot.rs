//! Capture and restore of the whole state a rollback can replace: HEAD, the
//! index and the work tree, untracked files included.
//!
//! A captured state is a commit in git's stash format, so `git stash show
//! --include-untracked` and `git stash apply` understand it: `W` holds the work
//! tree's tracked files, its first parent `H` is HEAD, its second parent `I`
//! holds the index, and an optional third parent `U` holds the untracked files.
//! A clean state is just HEAD.
//!
//! Capture never writes HEAD, the index or a file, and reads only what the
//! index's stat data says changed. Restore computes the difference between the
//! current state and the target as tree diffs, so its cost follows the change,
//! not the size of the repository.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::tree::EntryKind;
use gix::ObjectId;

use crate::error::{Context, Error, Hint, Result};
use crate::index_tree;
use crate::repo::Repo;

/// A state that can be restored: a plain commit, or a stash-format snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The commit that names this state (`W` for a snapshot, `H` for a plain commit).
    pub commit: ObjectId,
    /// What HEAD points at in this state.
    pub head: ObjectId,
    /// The tree of the index.
    pub index_tree: ObjectId,
    /// The tree of the tracked files in the work tree.
    pub worktree_tree: ObjectId,
    /// The tree of the untracked files, if any.
    pub untracked_tree: Option<ObjectId>,
}

impl State {
    /// The trees of this state: work tree, index and untracked files.
    pub fn trees(&self) -> Vec<ObjectId> {
        [
            Some(self.worktree_tree),
            Some(self.index_tree),
            self.untracked_tree,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The work tree with its untracked files, as one tree (what a sprint's
    /// backup branch holds, and what rename detection compares).
    pub fn whole_tree(&self, repo: &Repo) -> Result<ObjectId> {
        let mut editor = repo.edit_tree(self.worktree_tree)?;
        for (path, blob) in tree_blobs(repo, self.untracked_tree)? {
            editor.upsert(path, blob.kind, blob.id)?;
        }
        editor.write()
    }

    /// Whether this state holds uncommitted work (is a stash-format snapshot).
    pub fn is_snapshot(&self) -> bool {
        self.commit != self.head
    }

    /// Read the state a commit stands for: a stash-format commit is a snapshot,
    /// any other commit is a clean state at that commit.
    pub fn of_commit(repo: &Repo, id: ObjectId) -> Result<State> {
        let commit = repo
            .git
            .find_commit(id)
            .context(format!("reading commit {id}"))?;
        let tree = commit.tree_id()?.detach();
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let message = commit.message_raw_sloppy().to_owned();
        let plain = State {
            commit: id,
            head: id,
            index_tree: tree,
            worktree_tree: tree,
            untracked_tree: None,
        };
        if !(2..=3).contains(&parents.len())
            || !(message.starts_with(b"WIP on ") || message.starts_with(b"On "))
        {
            return Ok(plain);
        }
        let index = repo.git.find_commit(parents[1])?;
        let index_parents: Vec<ObjectId> = index.parent_ids().map(|p| p.detach()).collect();
        if index_parents != [parents[0]] || !index.message_raw_sloppy().starts_with(b"index on ") {
            return Ok(plain);
        }
        let untracked_tree = match parents.get(2) {
            Some(&u) => {
                let untracked = repo.git.find_commit(u)?;
                if untracked.parent_ids().next().is_some()
                    || !untracked
                        .message_raw_sloppy()
                        .starts_with(b"untracked files on ")
                {
                    return Ok(plain);
                }
                Some(untracked.tree_id()?.detach())
            }
            None => None,
        };
        Ok(State {
            commit: id,
            head: parents[0],
            index_tree: index.tree_id()?.detach(),
            worktree_tree: tree,
            untracked_tree,
        })
    }
}

/// What a commit's header alone tells of the state it stands for, as
/// listings show it: a snapshot (stash-format: 2 or 3 parents and a stash
/// message) or a plain commit. [`State::of_commit`] checks further.
pub struct Shape {
    /// HEAD in that state.
    pub head: ObjectId,
    pub dirty: bool,
    pub untracked: bool,
}

impl Shape {
    pub fn of(commit: &gix::Commit<'_>) -> Result<Shape> {
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let message = commit.message_raw_sloppy();
        let dirty = (2..=3).contains(&parents.len())
            && (message.starts_with(b"WIP on ") || message.starts_with(b"On "));
        Ok(Shape {
            head: if dirty { parents[0] } else { commit.id },
            dirty,
            untracked: dirty && parents.len() == 3,
        })
    }
}

/// What a capture found besides the state itself.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub staged: usize,
    pub unstaged: usize,
    pub untracked: usize,
}

/// What a file looked like when it was read, to tell just before a write
/// whether it changed since (size, modification time, inode, mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    mtime: (i64, i64),
    inode: u64,
    mode: u32,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            inode: meta.ino(),
            mode: meta.mode(),
        }
    }
}

/// The result of [`capture`].
#[derive(Debug, Clone)]
pub struct Capture {
    pub state: State,
    pub counts: Counts,
    /// Files whose bytes the snapshot's blobs do not give back exactly (a
    /// lossy clean filter, a line-ending conversion): the operation keeps a
    /// copy of their bytes in the saved-files area, so `undo` is exact.
    pub inexact: Vec<BString>,
    /// How each changed file looked when it was read (`None`: absent),
    /// for [`changed_since`]; other paths are as the index's stat data says.
    pub stamps: HashMap<BString, Option<Stamp>>,
    /// Index entries marked intent-to-add (`git add -N`): no tree can hold
    /// the mark, so the operation records them and its undo marks them again.
    pub intent_to_add: Vec<BString>,
}

impl Capture {
    pub fn is_dirty(&self) -> bool {
        self.state.is_snapshot()
    }
}

/// A work-tree file stored as a blob.
struct Hashed {
    id: ObjectId,
    kind: EntryKind,
    /// Whether checking the blob out gives back the bytes on disk.
    exact: bool,
    stamp: Stamp,
}

/// Files larger than this are stored by streaming them through the clean
/// filter, without the round-trip check (which holds a file in memory).
const ROUND_TRIP_LIMIT: u64 = 256 << 20;

/// Store the work-tree file at `path` as git would (`git add`: the clean
/// side of its filters) and tell whether checking it out again gives back
/// the same bytes. `None` when there is nothing to store.
fn hash_file(
    repo: &Repo,
    pipeline: &mut gix::filter::Pipeline<'_>,
    index: &gix::index::State,
    path: &BStr,
) -> Result<Option<Hashed>> {
    use gix::filter::plumbing::driver::apply::{Delay, MaybeDelayed};
    use gix::filter::plumbing::pipeline::convert::{ToGitOutcome, ToWorktreeOutcome};
    use std::io::Read;
    let relative = gix::path::from_bstr(path)?;
    let full = repo.workdir().join(&relative);
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(crate::error::io(err, format!("reading '{path}'"))),
    };
    let stamp = Stamp::of(&meta);
    if !meta.is_file() || meta.len() > ROUND_TRIP_LIMIT {
        return Ok(pipeline
            .worktree_file_to_object(path, index)?
            .map(|(id, kind, _)| Hashed {
                id,
                kind,
                exact: true,
                stamp,
            }));
    }
    let bytes =
        std::fs::read(&full).map_err(|e| crate::error::io(e, format!("reading '{path}'")))?;
    // Exact only when the clean side is the bytes themselves and checking it
    // out gives them back: the same bytes whether or not the writer applies
    // the checkout conversions.
    let mut exact = true;
    let clean: std::borrow::Cow<'_, [u8]> =
        match pipeline.convert_to_git(&bytes[..], &relative, index)? {
            ToGitOutcome::Unchanged(_) => bytes.as_slice().into(),
            ToGitOutcome::Buffer(buf) => buf.to_vec().into(),
            ToGitOutcome::Process(mut read) => {
                let mut out = Vec::new();
                read.read_to_end(&mut out)?;
                out.into()
            }
        };
    exact &= *clean == *bytes;
    let id = repo.git.write_blob(&*clean)?.detach();
    let options = gix::filter::plumbing::pipeline::convert::to_worktree::Options {
        can_delay: Delay::Forbid,
        ..Default::default()
    };
    exact &= match pipeline.convert_to_worktree(&clean, path, options)? {
        ToWorktreeOutcome::Unchanged(out) | ToWorktreeOutcome::Buffer(out) => {
            out == bytes.as_slice()
        }
        ToWorktreeOutcome::Process(MaybeDelayed::Immediate(mut read)) => {
            let mut out = Vec::new();
            read.read_to_end(&mut out)?;
            out == bytes
        }
        ToWorktreeOutcome::Process(MaybeDelayed::Delayed(_)) => false,
    };
    let kind = if gix::fs::is_executable(&meta) {
        EntryKind::BlobExecutable
    } else {
        EntryKind::Blob
    };
    Ok(Some(Hashed {
        id,
        kind,
        exact,
        stamp,
    }))
}

/// Untracked paths that the `.gitignore` files of `tree` ignore, where
/// those differ from the index's (the rules in force after an operation
/// that brings `tree`): such a file is treated as ignored, so it never
/// enters an object and is never deleted.
fn ignored_by_tree(
    repo: &Repo,
    index_tree: ObjectId,
    tree: ObjectId,
    untracked: &[BString],
) -> Result<std::collections::HashSet<BString>> {
    let mut out = std::collections::HashSet::new();
    if untracked.is_empty() || tree == index_tree {
        return Ok(out);
    }
    let mut changes = BTreeMap::new();
    tree_changes(repo, index_tree, tree, &mut changes)?;
    let rules_differ = changes
        .keys()
        .any(|path| path.rsplit_str("/").next() == Some(b".gitignore".as_slice()));
    if !rules_differ {
        return Ok(out);
    }
    let index = repo.git.index_from_tree(&tree)?;
    let mut excludes = repo.git.excludes(
        &index,
        None,
        gix::worktree::stack::state::ignore::Source::IdMapping,
    )?;
    for path in untracked {
        if excludes
            .at_entry(path.as_bstr(), Some(gix::index::entry::Mode::FILE))?
            .is_excluded()
        {
            out.insert(path.clone());
        }
    }
    Ok(out)
}

/// Capture HEAD, the index and the work tree (tracked, staged and untracked,
/// not ignored files) as a stash-format commit, or return HEAD when clean.
/// `message` replaces the default `WIP on <branch>: …` subject (as `On <branch>: <message>`).
///
/// `rules_after`: the tree the operation will bring, when known. An
/// untracked file its `.gitignore` files ignore is treated as ignored (a
/// file ignored before or after the operation never enters an object). The
/// backup directory, when inside the work tree, is always ignored.
/// Entries marked skip-worktree or assume-unchanged are compared by
/// content, not stat data, so local edits to them are captured too.
///
/// `only`: capture just these paths (as `git stash push -- <pathspec>`
/// does): the walk is limited to them and the snapshot's work-tree and
/// untracked trees differ from the index only there. Restoring such a
/// snapshot must be limited to the same paths.
pub fn capture(
    repo: &Repo,
    message: Option<&str>,
    rules_after: Option<ObjectId>,
    only: Option<&crate::pathspec::PathSpec>,
) -> Result<Capture> {
    let git = &repo.git;
    crate::trace::phase("capture: start");
    let head_commit = match git.head()?.id() {
        Some(id) => git.find_commit(id)?,
        None => {
            return Err(
                Error::usage("HEAD has no commit yet (unborn branch)").hint(Hint::FirstCommit)
            )
        }
    };
    let head_id = head_commit.id;
    let head_tree = head_commit.tree_id()?.detach();
    let (mut pipeline, index) = git.filter_pipeline(None)?;
    crate::trace::phase("capture: index read");

    let mut modified: Vec<BString> = Vec::new();
    let mut removed: Vec<BString> = Vec::new();
    let mut untracked: Vec<BString> = Vec::new();
    let mut conflicts: Vec<BString> = Vec::new();
    let mut restamped: Vec<BString> = Vec::new();

    // Limited to some paths, status looks at their index entries only: gix
    // matches each entry against every pattern, which costs more than the
    // stat calls (200 paths in a 28,000-file index: 5.6 million matches).
    // Tracked files the walk meets that are left out of this index are
    // reported untracked, and dropped below as not named.
    // Built from the named entries alone (copying the whole index first
    // cost more than the matching it saves); the index's own timestamp is
    // kept, so racily clean entries are still compared by content.
    let status_index = match only {
        Some(spec) if !spec.is_everything() && !spec.is_nothing() => {
            let mut state = gix::index::State::new(index.object_hash());
            state.set_timestamp(index.timestamp());
            let mut push = |entry: &gix::index::Entry| {
                let path = entry.path(&index);
                state.dangerously_push_entry(entry.stat, entry.id, entry.flags, entry.mode, path);
            };
            match spec.plain_paths() {
                // Plain paths are looked up (a file's entries, a directory's
                // range), not matched against every entry.
                Some(paths) => {
                    let mut positions = Vec::new();
                    for path in paths {
                        let mut below = path.clone();
                        below.push(b'/');
                        for range in [
                            index.entry_range(path.as_bstr()),
                            index.prefixed_entries_range(below.as_bstr()),
                        ]
                        .into_iter()
                        .flatten()
                        {
                            positions.extend(range);
                        }
                    }
                    positions.sort_unstable();
                    positions.dedup();
                    for position in positions {
                        push(&index.entries()[position]);
                    }
                }
                None => {
                    for entry in index.entries() {
                        if spec.matches(entry.path(&index)) {
                            push(entry);
                        }
                    }
                }
            }
            gix::worktree::IndexPersistedOrInMemory::InMemory(gix::index::File::from_state(
                state,
                index.path().to_owned(),
            ))
        }
        _ => index.clone(),
    };
    // When every named path is a tracked file (or symlink) that is no
    // directory on disk, nothing untracked can be named: status needs no
    // directory walk (reading the directories of 200 named files was most
    // of its time).
    let only_tracked_files = only
        .and_then(|spec| spec.plain_paths())
        .is_some_and(|paths| {
            paths.iter().all(|path| {
                index
                    .entry_by_path_and_stage(path.as_bstr(), gix::index::entry::Stage::Unconflicted)
                    .is_some_and(|entry| entry.mode != gix::index::entry::Mode::COMMIT)
                    && gix::path::from_bstr(path.as_bstr()).is_ok_and(|relative| {
                        !std::fs::symlink_metadata(repo.workdir().join(relative))
                            .is_ok_and(|meta| meta.is_dir())
                    })
            })
        });
    let status = git
        .status(gix::progress::Discard)?
        .index(status_index)
        .untracked_files(if only_tracked_files {
            gix::status::UntrackedFiles::None
        } else {
            gix::status::UntrackedFiles::Files
        })
        .index_worktree_rewrites(None)
        .index_worktree_submodules(gix::status::Submodule::Given {
            ignore: gix::submodule::config::Ignore::All,
            check_dirty: false,
        });
    let walk = only
        .and_then(|spec| spec.walk_patterns())
        .unwrap_or_default();
    let named = |path: &BStr| only.is_none_or(|spec| spec.matches(path));
    let intent_to_add: Vec<BString> = index
        .entries()
        .iter()
        .filter(|e| e.flags.contains(gix::index::entry::Flags::INTENT_TO_ADD))
        .map(|e| e.path(&index).to_owned())
        .filter(|p| named(p.as_bstr()))
        .collect();
    // Naming no path, there is nothing to look at (an operation on refs).
    let items = match only.is_some_and(|spec| spec.is_nothing()) {
        true => None,
        false => Some(status.into_index_worktree_iter(walk)?),
    };
    for item in items.into_iter().flatten() {
        use gix::status::index_worktree::Item;
        use gix::status::plumbing::index_as_worktree::{Change, EntryStatus};
        match item? {
            Item::Modification {
                rela_path, status, ..
            } => match status {
                EntryStatus::Conflict { .. } => conflicts.push(rela_path),
                EntryStatus::Change(Change::Removed) => removed.push(rela_path),
                EntryStatus::Change(Change::Modification { .. } | Change::Type { .. }) => {
                    modified.push(rela_path)
                }
                EntryStatus::IntentToAdd => modified.push(rela_path),
                // Same content, other stat data: the file as it is now is the reference.
                EntryStatus::NeedsUpdate(_) => restamped.push(rela_path),
                EntryStatus::Change(Change::SubmoduleModification(_)) => {}
            },
            Item::DirectoryContents { entry, .. } => {
                if entry.status == gix::dir::entry::Status::Untracked
                    && matches!(
                        entry.disk_kind,
                        Some(gix::dir::entry::Kind::File | gix::dir::entry::Kind::Symlink)
                    )
                {
                    untracked.push(entry.rela_path);
                }
            }
            Item::Rewrite { .. } => unreachable!("rewrite tracking is disabled"),
        }
    }
    for list in [&mut modified, &mut removed, &mut untracked, &mut restamped] {
        list.retain(|path| named(path.as_bstr()));
    }
    crate::trace::phase("capture: status");
    if !conflicts.is_empty() {
        conflicts.sort();
        conflicts.dedup();
        return Err(Error::refused(format!(
            "the index has unmerged paths: {}",
            conflicts
                .iter()
                .map(|p| p.to_str_lossy())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint(Hint::ResolveConflicts));
    }

    // Status trusts the flags of skip-worktree and assume-unchanged entries;
    // a file on disk under such an entry is compared by content.
    let mut hashed: HashMap<BString, Hashed> = HashMap::new();
    for entry in index.entries() {
        use gix::index::entry::Flags;
        if !entry
            .flags
            .intersects(Flags::SKIP_WORKTREE | Flags::ASSUME_VALID)
            || entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry.mode == gix::index::entry::Mode::COMMIT
        {
            continue;
        }
        let path = entry.path(&index);
        if !named(path) {
            continue;
        }
        if let Some(file) = hash_file(repo, &mut pipeline, &index, path)? {
            if file.id != entry.id || index_mode(file.kind) != entry.mode {
                modified.push(path.to_owned());
                hashed.insert(path.to_owned(), file);
            }
        }
    }

    // Untracked files that the rules after the operation ignore, and the
    // backup directory, stay out of every object.
    let backup_dirs = crate::backup::dirs_in_worktree(repo);
    if !backup_dirs.is_empty() {
        untracked.retain(|path| {
            !backup_dirs
                .iter()
                .any(|dir| crate::pathspec::is_under(path.as_bstr(), dir))
        });
    }

    // A file under a required driver that has no clean command: git refuses
    // to add it, and so does the snapshot.
    refuse_missing_drivers(repo, &index, modified.iter().chain(&untracked), "clean")?;

    // I: the index's own tree, reusing its cache tree.
    let (index_tree, _) = index_tree::write(git, &index)?;
    if let Some(tree) = rules_after {
        let ignored = ignored_by_tree(repo, index_tree, tree, &untracked)?;
        untracked.retain(|path| !ignored.contains(path));
    }
    let mut staged = BTreeMap::new();
    tree_changes(repo, head_tree, index_tree, &mut staged)?;
    let mut inexact = Vec::new();
    let mut stamps: HashMap<BString, Option<Stamp>> =
        removed.iter().map(|path| (path.clone(), None)).collect();
    for path in restamped {
        let meta =
            std::fs::symlink_metadata(repo.workdir().join(gix::path::from_bstr(path.as_bstr())?));
        stamps.insert(path, meta.ok().as_ref().map(Stamp::of));
    }
    let mut store = |path: &BString, editor: &mut crate::repo::TreeEdit<'_>| -> Result<()> {
        let file = match hashed.remove(path) {
            Some(file) => Some(file),
            None => hash_file(repo, &mut pipeline, &index, path.as_bstr())?,
        };
        match file {
            Some(file) => {
                if !file.exact {
                    inexact.push(path.clone());
                }
                stamps.insert(path.clone(), Some(file.stamp));
                editor.upsert(path, file.kind, file.id)?;
            }
            None => {
                stamps.insert(path.clone(), None);
                editor.remove(path)?;
            }
        }
        Ok(())
    };
    // W: the index tree with the work tree's changes to tracked files.
    let worktree_tree = if modified.is_empty() && removed.is_empty() {
        index_tree
    } else {
        let mut editor = repo.edit_tree(index_tree)?;
        for path in &removed {
            editor.remove(path)?;
        }
        for path in &modified {
            store(path, &mut editor)?;
        }
        editor.write()?
    };
    // U: the untracked files alone.
    let untracked_tree = if untracked.is_empty() {
        None
    } else {
        let mut editor = repo.edit_tree(ObjectId::empty_tree(git.object_hash()))?;
        for path in &untracked {
            store(path, &mut editor)?;
        }
        let tree = editor.write()?;
        (tree != ObjectId::empty_tree(git.object_hash())).then_some(tree)
    };

    crate::trace::phase("capture: trees");
    let counts = Counts {
        staged: staged.len(),
        unstaged: modified.len() + removed.len(),
        untracked: untracked.len(),
    };
    if index_tree == head_tree && worktree_tree == index_tree && untracked_tree.is_none() {
        return Ok(Capture {
            state: State {
                commit: head_id,
                head: head_id,
                index_tree,
                worktree_tree,
                untracked_tree,
            },
            intent_to_add: intent_to_add.clone(),
            counts,
            inexact,
            stamps,
        });
    }

    let branch = match git.head_name()? {
        Some(name) => name.shorten().to_str_lossy().into_owned(),
        None => "(no branch)".to_owned(),
    };
    let subject = crate::repo::subject(&head_commit);
    let short = head_id.to_hex_with_len(7).to_string();
    let on = format!("{branch}: {short} {subject}");
    let index_commit = git
        .new_commit(format!("index on {on}\n"), index_tree, [head_id])?
        .id;
    let mut parents = vec![head_id, index_commit];
    if let Some(tree) = untracked_tree {
        parents.push(
            git.new_commit(format!("untracked files on {on}\n"), tree, None::<ObjectId>)?
                .id,
        );
    }
    let subject = match message {
        Some(message) => format!("On {branch}: {message}\n"),
        None => format!("WIP on {on}\n"),
    };
    let commit = git.new_commit(subject, worktree_tree, parents)?.id;
    Ok(Capture {
        state: State {
            commit,
            head: head_id,
            index_tree,
            worktree_tree,
            untracked_tree,
        },
        intent_to_add,
        counts,
        inexact,
        stamps,
    })
}

/// A blob (or symlink, or submodule) to put at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob {
    pub id: ObjectId,
    pub kind: EntryKind,
}

/// What happens to one path in the work tree or the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Write(Blob),
    Delete,
}

/// The per-path difference between the current state and a target state.
#[derive(Debug, Default)]
pub struct Plan {
    /// Work-tree changes by path.
    pub worktree: BTreeMap<BString, Change>,
    /// Index changes by path.
    pub index: BTreeMap<BString, Change>,
    /// Paths to mark intent-to-add once the index is written (an undo
    /// giving back `git add -N`).
    pub intent_to_add: Vec<BString>,
}

impl Plan {
    /// Every path the plan touches, in order, with its work-tree and index change.
    pub fn paths(&self) -> Vec<(&BStr, Option<Change>, Option<Change>)> {
        let mut all: BTreeMap<&BStr, (Option<Change>, Option<Change>)> = BTreeMap::new();
        for (path, change) in &self.worktree {
            all.entry(path.as_bstr()).or_default().0 = Some(*change);
        }
        for (path, change) in &self.index {
            all.entry(path.as_bstr()).or_default().1 = Some(*change);
        }
        all.into_iter().map(|(path, (w, i))| (path, w, i)).collect()
    }

    /// Keep only the paths `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&BStr) -> bool) {
        self.worktree.retain(|path, _| keep(path.as_bstr()));
        self.index.retain(|path, _| keep(path.as_bstr()));
    }
}

/// The changed blobs between two trees, trees themselves left out.
fn tree_changes(
    repo: &Repo,
    from: ObjectId,
    to: ObjectId,
    out: &mut BTreeMap<BString, Change>,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let git = &repo.git;
    let old = git.find_tree(from)?;
    let new = git.find_tree(to)?;
    let changes = git.diff_tree_to_tree(
        &old,
        &new,
        gix::diff::Options::default().with_rewrites(None),
    )?;
    for change in changes {
        use gix::object::tree::diff::ChangeDetached as C;
        match change {
            C::Addition {
                location,
                entry_mode,
                id,
                ..
            }
            | C::Modification {
                location,
                entry_mode,
                id,
                ..
            } => {
                if entry_mode.is_tree() {
                    continue;
                }
                out.insert(
                    location,
                    Change::Write(Blob {
                        id,
                        kind: entry_mode.kind(),
                    }),
                );
            }
            C::Deletion {
                location,
                entry_mode,
                ..
            } => {
                if entry_mode.is_tree() {
                    continue;
                }
                out.insert(location, Change::Delete);
            }
            C::Rewrite { .. } => unreachable!("rewrites are disabled"),
        }
    }
    Ok(())
}

/// Every blob of a tree with its path (used for the small untracked trees).
pub fn tree_blobs(repo: &Repo, tree: Option<ObjectId>) -> Result<BTreeMap<BString, Blob>> {
    let mut out = BTreeMap::new();
    let Some(tree) = tree else { return Ok(out) };
    let mut recorder = gix::traverse::tree::Recorder::default();
    repo.git
        .find_tree(tree)?
        .traverse()
        .breadthfirst(&mut recorder)?;
    for entry in recorder.records {
        if !entry.mode.is_tree() {
            out.insert(
                entry.filepath,
                Blob {
                    id: entry.oid,
                    kind: entry.mode.kind(),
                },
            );
        }
    }
    Ok(out)
}

/// [`tree_changes`] limited to the paths `only` names: for plain paths, the
/// entries at those paths are compared (and the subtrees below them
/// diffed), so the cost follows the paths, not everything that differs
/// between the two trees (a checkpoint 400 commits back differs in
/// thousands of files). Other specs diff whole trees; the caller keeps
/// what they match.
fn tree_changes_limited(
    repo: &Repo,
    from: ObjectId,
    to: ObjectId,
    only: Option<&crate::pathspec::PathSpec>,
    out: &mut BTreeMap<BString, Change>,
) -> Result<()> {
    let Some(paths) = only.and_then(|spec| spec.plain_paths()) else {
        return tree_changes(repo, from, to, out);
    };
    if from == to {
        return Ok(());
    }
    // Both trees are walked down each path together, and a path ends where
    // its subtrees are the same object; each tree is decoded once, into a
    // map by name (a path's lookups do not rescan a tree's entries).
    type Entries = HashMap<BString, (EntryKind, ObjectId)>;
    let mut trees: HashMap<ObjectId, Entries> = HashMap::new();
    let hash = repo.git.object_hash();
    let mut entry_at = |tree: ObjectId, name: &[u8]| -> Result<Option<(EntryKind, ObjectId)>> {
        let entries = match trees.entry(tree) {
            std::collections::hash_map::Entry::Occupied(found) => found.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let data = repo.tree_data(tree)?;
                let mut entries = Entries::new();
                for entry in gix::objs::TreeRefIter::from_bytes(&data, hash) {
                    let entry = entry?;
                    entries.insert(
                        entry.filename.to_owned(),
                        (entry.mode.kind(), entry.oid.to_owned()),
                    );
                }
                slot.insert(entries)
            }
        };
        Ok(entries.get(name.as_bstr()).copied())
    };
    // The entries at `path` on both sides, `None` when they are the same.
    type Sides = [Option<(EntryKind, ObjectId)>; 2];
    let mut at_path = |path: &BStr| -> Result<Option<Sides>> {
        let mut sides = [Some((EntryKind::Tree, from)), Some((EntryKind::Tree, to))];
        for name in path.split(|b| *b == b'/') {
            if sides[0] == sides[1] {
                return Ok(None);
            }
            for side in &mut sides {
                *side = match *side {
                    Some((EntryKind::Tree, tree)) => entry_at(tree, name)?,
                    _ => None,
                };
            }
        }
        Ok((sides[0] != sides[1]).then_some(sides))
    };
    let below = |path: &BStr, location: &BStr| {
        let mut full = path.to_owned();
        full.push(b'/');
        full.extend_from_slice(location);
        full
    };
    for path in paths {
        let path = path.as_bstr();
        let Some([old, new]) = at_path(path)? else {
            continue;
        };
        if let (Some((EntryKind::Tree, old)), Some((EntryKind::Tree, new))) = (old, new) {
            let mut inside = BTreeMap::new();
            tree_changes(repo, old, new, &mut inside)?;
            for (location, change) in inside {
                out.insert(below(path, location.as_bstr()), change);
            }
            continue;
        }
        match old {
            Some((EntryKind::Tree, tree)) => {
                for location in tree_blobs(repo, Some(tree))?.into_keys() {
                    out.insert(below(path, location.as_bstr()), Change::Delete);
                }
            }
            Some(_) => {
                out.insert(path.to_owned(), Change::Delete);
            }
            None => {}
        }
        match new {
            Some((EntryKind::Tree, tree)) => {
                for (location, blob) in tree_blobs(repo, Some(tree))? {
                    out.insert(below(path, location.as_bstr()), Change::Write(blob));
                }
            }
            Some((kind, id)) => {
                out.insert(path.to_owned(), Change::Write(Blob { id, kind }));
            }
            None => {}
        }
    }
    Ok(())
}

/// What must change to turn `current` (just captured, so it matches the disk)
/// into `target`, at the paths `only` names (everything when `None`; the
/// caller still keeps only what `only` matches).
pub fn plan(
    repo: &Repo,
    current: &State,
    target: &State,
    only: Option<&crate::pathspec::PathSpec>,
) -> Result<Plan> {
    let mut plan = Plan::default();
    tree_changes_limited(
        repo,
        current.index_tree,
        target.index_tree,
        only,
        &mut plan.index,
    )?;
    tree_changes_limited(
        repo,
        current.worktree_tree,
        target.worktree_tree,
        only,
        &mut plan.worktree,
    )?;
    if current.untracked_tree != target.untracked_tree {
        let current_untracked = tree_blobs(repo, current.untracked_tree)?;
        let target_untracked = tree_blobs(repo, target.untracked_tree)?;
        for (path, blob) in &target_untracked {
            if current_untracked.get(path) != Some(blob) {
                plan.worktree.insert(path.clone(), Change::Write(*blob));
            } else {
                plan.worktree.remove(path);
            }
        }
        for path in current_untracked.keys() {
            if !target_untracked.contains_key(path) && !plan.worktree.contains_key(path) {
                plan.worktree.insert(path.clone(), Change::Delete);
            }
        }
    }
    // Submodules are only recorded in the index; their work trees are not ours to touch.
    plan.worktree.retain(|_, change| {
        !matches!(
            change,
            Change::Write(Blob {
                kind: EntryKind::Commit,
                ..
            })
        )
    });
    // A skip-worktree entry with no file on disk (outside a sparse
    // checkout's cone) stays off the disk; only its index entry changes.
    let index = repo.git.index_or_empty()?;
    let mut sparse = Vec::new();
    for path in plan.worktree.keys() {
        let skipped = index
            .entry_by_path(path.as_bstr())
            .is_some_and(|e| e.flags.contains(gix::index::entry::Flags::SKIP_WORKTREE));
        if skipped
            && std::fs::symlink_metadata(repo.workdir().join(gix::path::from_bstr(path.as_bstr())?))
                .is_err()
        {
            sparse.push(path.clone());
        }
    }
    for path in sparse {
        plan.worktree.remove(&path);
    }
    Ok(plan)
}

/// What stands in the way of a plan and would be lost if it were carried
/// out: no snapshot holds ignored files or another repository.
#[derive(Debug, Default)]
pub struct InTheWay {
    /// Ignored files the plan would overwrite or remove with a directory.
    pub ignored: Vec<BString>,
    /// Directories holding a repository (a `.git` directory or gitfile: a
    /// submodule, a nested clone) that the plan would replace or write into.
    pub repositories: Vec<BString>,
}

/// Whether `dir` (a directory on disk) is the top of a repository.
fn holds_repository(dir: &Path) -> bool {
    dir.join(".git").symlink_metadata().is_ok()
}

/// What a write puts at a path, to tell an ignored file already holding
/// exactly that content (nothing is lost by writing it again).
#[derive(Debug, Clone)]
pub enum Content {
    /// A blob of the object database.
    Blob(ObjectId),
    /// Bytes with this sha256 (lower-case hex), from a backup.
    Sha256(String),
}

impl Content {
    /// Whether the file (or symlink) at `path` holds exactly this content.
    fn is_on_disk(&self, repo: &Repo, path: &Path) -> bool {
        let bytes = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_symlink() => {
                std::fs::read_link(path).map(|target| target.into_os_string().into_encoded_bytes())
            }
            Ok(_) => std::fs::read(path),
            Err(err) => Err(err),
        };
        let Ok(bytes) = bytes else { return false };
        match self {
            Content::Blob(id) => {
                gix::objs::compute_hash(repo.git.object_hash(), gix::objs::Kind::Blob, &bytes)
                    .is_ok_and(|computed| computed == *id)
            }
            Content::Sha256(hex) => {
                use sha2::Digest;
                crate::archive::hex(&sha2::Sha256::digest(&bytes)) == *hex
            }
        }
    }
}

/// Paths an operation writes and what it writes there, in some order.
pub type Writes<'a> = Box<dyn Iterator<Item = Result<(BString, Content)>> + 'a>;

/// The writes of a plan (blobs), for [`in_the_way`].
pub fn plan_writes(plan: &Plan) -> impl Iterator<Item = Result<(BString, Content)>> + '_ {
    plan.worktree
        .iter()
        .filter_map(|(path, change)| match change {
            Change::Write(blob) => Some(Ok((path.clone(), Content::Blob(blob.id)))),
            Change::Delete => None,
        })
}

/// Look at what is on disk where an operation writes: files that are on
/// disk but neither tracked nor among the untracked files of `current`
/// (ignored files, which no snapshot holds) and hold other content than
/// what would be written, and repositories. One policy for every writer.
pub fn in_the_way(
    repo: &Repo,
    current: &State,
    writes: impl Iterator<Item = Result<(BString, Content)>>,
) -> Result<InTheWay> {
    let current_untracked = tree_blobs(repo, current.untracked_tree)?;
    let index = repo.git.index_or_empty()?;
    let known = |path: &BStr| {
        current_untracked.contains_key(path) || index.entry_index_by_path(path).is_ok()
    };
    let workdir = repo.workdir();
    // Each directory on the way to a written path, checked once: whether
    // it is a directory on disk.
    let mut checked_dirs: HashMap<BString, bool> = HashMap::new();
    let mut out = InTheWay::default();
    for write in writes {
        let (path, content) = write?;
        // A file where one of the path's directories must be created, or a
        // repository the path would be written into.
        let mut parents_are_directories = true;
        for end in path
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .map(|(i, _)| i)
        {
            let parent = path[..end].as_bstr();
            if let Some(is_dir) = checked_dirs.get(parent) {
                parents_are_directories &= *is_dir;
                continue;
            }
            let on_disk = workdir.join(gix::path::from_bstr(parent)?);
            // A directory with tracked files in it is not another repository's top.
            let tracked_inside = || {
                let mut prefix = parent.to_owned();
                prefix.push(b'/');
                index.prefixed_entries_range(prefix.as_bstr()).is_some()
            };
            let meta = std::fs::symlink_metadata(&on_disk);
            match &meta {
                Ok(meta) if meta.is_dir() && !tracked_inside() && holds_repository(&on_disk) => {
                    out.repositories.push(parent.to_owned())
                }
                Ok(meta) if !meta.is_dir() && !known(parent) => out.ignored.push(parent.to_owned()),
                _ => {}
            }
            let is_dir = meta.is_ok_and(|meta| meta.is_dir());
            checked_dirs.insert(parent.to_owned(), is_dir);
            parents_are_directories &= is_dir;
        }
        // Below a symlink (tracked or untracked, so the plan removes it
        // first) is outside the work tree: nothing there is in the way.
        if !parents_are_directories {
            continue;
        }
        let on_disk = workdir.join(gix::path::from_bstr(path.as_bstr())?);
        match std::fs::symlink_metadata(&on_disk) {
            // A directory in the way goes with everything in it: refuse when
            // it holds a repository, or files neither tracked nor untracked.
            Ok(meta) if meta.is_dir() => {
                let mut walk = walkdir::WalkDir::new(&on_disk).into_iter();
                while let Some(entry) = walk.next() {
                    let entry = entry?;
                    let relative = relative_to(workdir, entry.path())?;
                    if entry.file_type().is_dir() {
                        if holds_repository(entry.path()) {
                            out.repositories.push(relative);
                            walk.skip_current_dir();
                        }
                        continue;
                    }
                    if !known(relative.as_bstr()) {
                        out.ignored.push(relative);
                    }
                }
            }
            Ok(_) if !known(path.as_bstr()) && !content.is_on_disk(repo, &on_disk) => {
                out.ignored.push(path)
            }
            _ => {}
        }
    }
    for list in [&mut out.ignored, &mut out.repositories] {
        list.sort();
        list.dedup();
    }
    Ok(out)
}

/// Paths the plan writes or deletes that changed on disk since `capture`
/// read the work tree (an edit saved while the operation was running):
/// writing them would lose that edit, which no snapshot holds.
pub fn changed_since(
    repo: &Repo,
    capture: &Capture,
    paths: impl Iterator<Item = Result<BString>>,
) -> Result<Vec<BString>> {
    use std::os::unix::fs::MetadataExt;
    let index = repo.git.index_or_empty()?;
    let mut pipeline = None;
    let mut excludes = None;
    let mut real_dirs = std::collections::HashSet::new();
    let mut out = Vec::new();
    for path in paths {
        let path = &path?;
        // A path below a symlink is not in the work tree: what the link
        // leads to is not the path's (the plan removes the link first).
        let full = repo.workdir().join(gix::path::from_bstr(path.as_bstr())?);
        let meta = if parents_are_directories(repo.workdir(), path.as_bstr(), &mut real_dirs)? {
            std::fs::symlink_metadata(full).ok()
        } else {
            None
        };
        let unchanged = match capture.stamps.get(path) {
            // Absent when captured and a directory now: a tracked file
            // replaced by a directory, whose files the capture holds (as
            // untracked) and the plan removes. As captured while every file
            // below is (a file added since would be removed with it).
            Some(None) if meta.as_ref().is_some_and(|m| m.is_dir()) => {
                directory_as_captured(repo, capture, path.as_bstr())?
            }
            Some(stamp) => meta.as_ref().map(Stamp::of) == *stamp,
            None => match index.entry_by_path(path.as_bstr()) {
                // Clean at capture time: as the index's stat data says.
                Some(entry) => match &meta {
                    None => entry
                        .flags
                        .contains(gix::index::entry::Flags::SKIP_WORKTREE),
                    Some(_) if entry.stat == gix::index::entry::Stat::default() => true,
                    Some(meta) => {
                        let stat = &entry.stat;
                        let same_stat = stat.size == meta.size() as u32
                            && stat.mtime.secs == meta.mtime() as u32
                            && stat.mtime.nsecs == meta.mtime_nsec() as u32
                            && stat.ino == meta.ino() as u32;
                        // Other stat data (a file put back by rename, a
                        // touch): compare the content, as status did.
                        same_stat || {
                            let pipeline = match &mut pipeline {
                                Some(pipeline) => pipeline,
                                slot @ None => slot.insert(repo.git.filter_pipeline(None)?.0),
                            };
                            pipeline
                                .worktree_file_to_object(path.as_bstr(), &index)?
                                .is_some_and(|(id, kind, _)| {
                                    id == entry.id && index_mode(kind) == entry.mode
                                })
                        }
                    }
                },
                // Neither tracked nor untracked: it was not there, or it is
                // an ignored file that `in_the_way` found to hold what is
                // written anyway.
                None => match &meta {
                    None => true,
                    Some(meta) if meta.is_dir() => true,
                    Some(_) => {
                        let excludes = match &mut excludes {
                            Some(excludes) => excludes,
                            slot @ None => slot.insert(repo.git.excludes(
                                &index,
                                None,
                                gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
                            )?),
                        };
                        excludes
                            .at_entry(path.as_bstr(), Some(gix::index::entry::Mode::FILE))?
                            .is_excluded()
                    }
                },
            },
        };
        if !unchanged {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// `path`, found by walking a directory of the work tree `workdir`, as git
/// names it (relative to the top).
fn relative_to(workdir: &Path, path: &Path) -> Result<BString> {
    let relative = path.strip_prefix(workdir).unwrap_or(path);
    Ok(gix::path::into_bstr(relative)?.into_owned())
}

/// Whether every file below the directory `path` is one the capture read,
/// unchanged since.
fn directory_as_captured(repo: &Repo, capture: &Capture, path: &BStr) -> Result<bool> {
    let root = repo.workdir().join(gix::path::from_bstr(path)?);
    for entry in walkdir::WalkDir::new(&root).min_depth(1) {
        let entry = entry?;
        if entry.file_type().is_dir() {
            continue;
        }
        let below = relative_to(repo.workdir(), entry.path())?;
        let now = Stamp::of(&entry.metadata()?);
        if capture.stamps.get(&below) != Some(&Some(now)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Refuse, before anything is written, a plan that a `required` filter
/// driver cannot convert: git would leave such a checkout half done. Each
/// blob the plan writes goes through the checkout conversions once, in
/// memory; only when some `filter.<driver>.required` is set.
pub fn check_required_filters(repo: &Repo, plan: &Plan) -> Result<()> {
    let written = plan
        .worktree
        .iter()
        .filter(|(_, change)| matches!(change, Change::Write(b) if matches!(b.kind, EntryKind::Blob | EntryKind::BlobExecutable)))
        .map(|(path, _)| path);
    refuse_missing_drivers(repo, &*repo.git.index_or_empty()?, written, "smudge")?;
    let required: Vec<Vec<u8>> = required_drivers(repo, |_| true)
        .into_iter()
        .map(|name| name.to_vec())
        .collect();
    // A required driver (git-lfs installs `filter.lfs.required` globally)
    // matters only where an attributes file names it: the index's and the
    // plan's `.gitattributes` and the repository's own attributes file.
    if required.is_empty() || !attributes_name_a_driver(repo, plan, &required)? {
        return Ok(());
    }
    let (mut pipeline, _) = repo.git.filter_pipeline(None)?;
    let options = gix::filter::plumbing::pipeline::convert::to_worktree::Options {
        can_delay: gix::filter::plumbing::driver::apply::Delay::Forbid,
        ..Default::default()
    };
    for (path, change) in &plan.worktree {
        let Change::Write(blob) = change else {
            continue;
        };
        if !matches!(blob.kind, EntryKind::Blob | EntryKind::BlobExecutable) {
            continue;
        }
        let data = repo.git.find_blob(blob.id)?.detach().data;
        use gix::filter::plumbing::driver::apply::MaybeDelayed;
        use gix::filter::plumbing::pipeline::convert::ToWorktreeOutcome;
        let failed = match pipeline.convert_to_worktree(&data, path.as_bstr(), options) {
            Err(err) => Some(Error::from(err).message),
            Ok(ToWorktreeOutcome::Process(MaybeDelayed::Immediate(mut read))) => {
                std::io::copy(&mut read, &mut std::io::sink())
                    .err()
                    .map(|e| e.to_string())
            }
            Ok(_) => None,
        };
        if let Some(why) = failed {
            return Err(
                Error::refused(format!("the checkout filter of '{path}' fails: {why}"))
                    .hint(Hint::FixFilter),
            );
        }
    }
    Ok(())
}

/// The names of the filter drivers configured `required` that `also` accepts.
fn required_drivers(
    repo: &Repo,
    also: impl Fn(&gix::config::file::SectionRef<'_>) -> bool,
) -> Vec<BString> {
    let config = repo.git.config_snapshot();
    config
        .plumbing()
        .sections_by_name("filter")
        .into_iter()
        .flatten()
        .filter(|section| {
            section.value("required").is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_slice(),
                    b"true" | b"yes" | b"on" | b"1"
                )
            }) && also(section)
        })
        .filter_map(|section| section.header().subsection_name().map(|n| n.to_owned()))
        .collect()
}

/// Refuse when one of `paths` is under a `required` filter driver that has
/// neither a `side` (clean, smudge) nor a `process` command: git refuses
/// such a file, rather than passing its bytes through unfiltered.
fn refuse_missing_drivers<'a>(
    repo: &Repo,
    index: &gix::index::State,
    paths: impl Iterator<Item = &'a BString>,
    side: &str,
) -> Result<()> {
    let missing = required_drivers(repo, |section| {
        section.value(side).is_none() && section.value("process").is_none()
    });
    if missing.is_empty() {
        return Ok(());
    }
    let mut paths = paths.peekable();
    if paths.peek().is_none() {
        return Ok(());
    }
    let mut stack = repo.git.attributes_only(
        index,
        gix::worktree::stack::state::attributes::Source::WorktreeThenIdMapping,
    )?;
    let mut matches = stack.selected_attribute_matches(["filter"]);
    for path in paths {
        stack
            .at_entry(path.as_bstr(), Some(gix::index::entry::Mode::FILE))?
            .matching_attributes(&mut matches);
        let driver = matches
            .iter_selected()
            .find_map(|m| match m.assignment.state {
                gix::attrs::StateRef::Value(value) => Some(value.as_bstr().to_owned()),
                _ => None,
            });
        if let Some(driver) = driver.filter(|d| missing.contains(d)) {
            return Err(Error::refused(format!(
                "'{path}' needs the required filter '{driver}', which has no {side} command"
            ))
            .hint(Hint::ConfigureFilter {
                driver: driver.to_string(),
                side: side.to_string(),
            }));
        }
    }
    Ok(())
}

/// Whether any attributes file in play mentions `filter=<one of drivers>`.
fn attributes_name_a_driver(repo: &Repo, plan: &Plan, drivers: &[Vec<u8>]) -> Result<bool> {
    let written = plan
        .worktree
        .iter()
        .filter_map(|(path, change)| match change {
            Change::Write(blob) => Some((path.as_bstr(), blob.id)),
            Change::Delete => None,
        });
    attributes_files_mention(repo, written, |text| {
        drivers.iter().any(|driver| {
            let mut needle = b"filter=".to_vec();
            needle.extend_from_slice(driver);
            text.find(&needle).is_some()
        })
    })
}

/// Whether any attributes file in play says what `says` looks for: the
/// `.gitattributes` of the index and among the files about to be `written`
/// (path and blob), `$GIT_DIR/info/attributes` and `core.attributesFile`.
/// A text search, so that the attributes are looked up per path only in
/// repositories where they can matter.
fn attributes_files_mention<'a>(
    repo: &Repo,
    written: impl Iterator<Item = (&'a BStr, ObjectId)>,
    says: impl Fn(&[u8]) -> bool,
) -> Result<bool> {
    let is_attributes =
        |path: &BStr| path.rsplit_str("/").next() == Some(b".gitattributes".as_slice());
    let index = repo.git.index_or_empty()?;
    let mut blobs: Vec<ObjectId> = index
        .entries()
        .iter()
        .filter(|entry| is_attributes(entry.path(&index)))
        .map(|entry| entry.id)
        .collect();
    blobs.extend(
        written
            .filter(|(path, _)| is_attributes(path))
            .map(|(_, id)| id),
    );
    for id in blobs {
        if says(&repo.git.find_blob(id)?.data) {
            return Ok(true);
        }
    }
    let mut files = vec![repo.common_dir().join("info").join("attributes")];
    if let Some(path) = repo
        .git
        .config_snapshot()
        .trusted_path("core.attributesFile")?
    {
        files.push(path);
    }
    Ok(files
        .iter()
        .any(|file| std::fs::read(file).is_ok_and(|text| says(&text))))
}

/// Carry out a plan: delete and write work-tree files, then update the index
/// (stat data refreshed for the files written, so git does not re-read them).
/// The index lock, taken before the first write of an operation and held
/// until the index is written through it: a `git commit` running meanwhile
/// fails instead of having its index replaced, and an operation finding
/// the index locked refuses before it changes anything.
pub struct IndexLock(gix::lock::File);

impl IndexLock {
    pub fn acquire(repo: &Repo) -> Result<IndexLock> {
        let path = repo.git.index_path();
        gix::lock::File::acquire_to_update_resource(
            &path,
            gix::lock::acquire::Fail::Immediately,
            None,
            0,
        )
        .map(IndexLock)
        .map_err(|_| {
            Error::refused(format!(
                "the index is locked: '{}.lock' exists",
                path.display()
            ))
            .hint(Hint::IndexLocked {
                path: path.to_owned(),
            })
        })
    }
}

pub fn apply(repo: &Repo, plan: &Plan, lock: IndexLock) -> Result<()> {
    let git = &repo.git;
    let workdir = repo.workdir();

    // Deletions first, so a file can make room for a directory and back.
    for (path, change) in plan.worktree.iter().rev() {
        if *change == Change::Delete {
            remove_file_and_empty_parents(workdir, path.as_bstr())?;
            crate::trace::phase("apply: deleted a file");
        }
    }

    // A file about to be rewritten is unlinked first, as git's checkout
    // does, rather than truncated by the write: ext4 flushes a file
    // truncated to zero when it is closed (`auto_da_alloc`), a disk write
    // per file. Its content is in the safety snapshot either way. Only in
    // real directories (never through a symlink), and where the unlink
    // fails (a read-only directory) the write truncates as before.
    let mut real_dirs = std::collections::HashSet::new();
    for (path, change) in &plan.worktree {
        if matches!(change, Change::Write(_))
            && parents_are_directories(workdir, path.as_bstr(), &mut real_dirs)?
        {
            let full = workdir.join(gix::path::from_bstr(path.as_bstr())?);
            if std::fs::symlink_metadata(&full).is_ok_and(|meta| !meta.is_dir()) {
                let _ = std::fs::remove_file(&full);
                crate::trace::phase("apply: unlinked a file");
            }
        }
    }
    crate::trace::phase("apply: deletions");
    // Writes through gix's checkout: exec bits, symlinks and the checkout
    // conversions (eol, ident, working-tree-encoding, smudge filters), with
    // the attributes git would use: the `.gitattributes` files on disk, so
    // the plan's own `.gitattributes` are written first.
    let (mut attributes, mut written) = (
        gix::index::State::new(git.object_hash()),
        gix::index::State::new(git.object_hash()),
    );
    for (path, change) in &plan.worktree {
        if let Change::Write(blob) = change {
            let state = if path.rsplit_str("/").next() == Some(b".gitattributes".as_slice()) {
                &mut attributes
            } else {
                &mut written
            };
            state.dangerously_push_entry(
                gix::index::entry::Stat::default(),
                blob.id,
                gix::index::entry::Flags::empty(),
                index_mode(blob.kind),
                path.as_bstr(),
            );
        }
    }
    for state in [&mut attributes, &mut written] {
        state.sort_entries();
        if state.entries().is_empty() {
            continue;
        }
        let mut options = git.checkout_options(
            gix::worktree::stack::state::attributes::Source::WorktreeThenIdMapping,
        )?;
        options.destination_is_initially_empty = false;
        options.overwrite_existing = true;
        let outcome = gix::worktree::state::checkout(
            state,
            // gix's own (relative when we work from the top) path: shorter lookups.
            git.workdir().unwrap_or(workdir),
            git.objects.clone().into_arc()?,
            &gix::progress::Discard,
            &gix::progress::Discard,
            // Never stopped half-way: a signal waits for the operation's end.
            &std::sync::atomic::AtomicBool::new(false),
            options,
        )?;
        if let Some(error) = outcome.errors.first() {
            return Err(Error::failed(format!(
                "could not write '{}': {}",
                error.path, error.error
            )));
        }
    }

    expand_ident_as_git_does(repo, &mut written)?;
    encode_utf16_as_git_does(repo, &mut written)?;
    crate::trace::phase("apply: checkout");
    // The index: current entries with the plan's index changes, stat data from the written files.
    // The repository caches the index read by the capture; it is re-read only if it changed on disk.
    let mut index = (*git.index_or_empty()?).clone();
    crate::trace::phase("apply: index read");
    let mut stats: BTreeMap<&BStr, &gix::index::Entry> = BTreeMap::new();
    for state in [&attributes, &written] {
        for entry in state.entries() {
            stats.insert(entry.path(state), entry);
        }
    }
    if plan.index.values().any(|c| *c == Change::Delete) {
        index.remove_entries(|_, path, _| {
            plan.index.get(path).is_some_and(|c| *c == Change::Delete)
        });
    }
    // An intent-to-add entry describes the file as it was: when the plan
    // deletes or rewrites that file, the mark goes (its undo brings it back).
    index.remove_entries(|_, path, entry| {
        entry
            .flags
            .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            && plan.worktree.contains_key(path)
            && !plan.intent_to_add.iter().any(|p| p == path)
    });
    let mut added = Vec::new();
    for (path, change) in &plan.index {
        let Change::Write(blob) = change else {
            continue;
        };
        match index
            .entry_index_by_path_and_stage(path.as_bstr(), gix::index::entry::Stage::Unconflicted)
        {
            Some(position) => {
                let entry = &mut index.entries_mut()[position];
                entry.id = blob.id;
                entry.mode = index_mode(blob.kind);
                entry.stat = gix::index::entry::Stat::default();
                // Intent-to-add ends with real content; skip-worktree (and
                // the extended-flags bit that carries it) is kept.
                use gix::index::entry::Flags;
                entry.flags.remove(Flags::INTENT_TO_ADD);
                if !entry.flags.contains(Flags::SKIP_WORKTREE) {
                    entry.flags.remove(Flags::EXTENDED);
                }
            }
            None => added.push((path, *blob)),
        }
    }
    for (path, blob) in added {
        index.dangerously_push_entry(
            gix::index::entry::Stat::default(),
            blob.id,
            gix::index::entry::Flags::empty(),
            index_mode(blob.kind),
            path.as_bstr(),
        );
    }
    // As `git add -N` makes them: the empty blob, no stat data.
    for path in &plan.intent_to_add {
        let present = index
            .entry_index_by_path_and_stage(path.as_bstr(), gix::index::entry::Stage::Unconflicted)
            .is_some();
        let file = workdir.join(gix::path::from_bstr(path.as_bstr())?);
        let Some(meta) = std::fs::symlink_metadata(&file)
            .ok()
            .filter(|m| m.is_file())
        else {
            continue;
        };
        if !present {
            use gix::index::entry::{Flags, Mode};
            use std::os::unix::fs::PermissionsExt;
            let executable = meta.permissions().mode() & 0o111 != 0;
            index.dangerously_push_entry(
                gix::index::entry::Stat::default(),
                git.object_hash().empty_blob(),
                Flags::INTENT_TO_ADD | Flags::EXTENDED,
                if executable {
                    Mode::FILE_EXECUTABLE
                } else {
                    Mode::FILE
                },
                path.as_bstr(),
            );
        }
    }
    index.sort_entries();
    // Refresh the stat data of every path written to the work tree; where the
    // file does not match its entry (an unstaged change), make git look again.
    for (path, fresh) in &stats {
        let Some(position) =
            index.entry_index_by_path_and_stage(path, gix::index::entry::Stage::Unconflicted)
        else {
            continue;
        };
        let entry = &mut index.entries_mut()[position];
        entry.stat = if fresh.id == entry.id && fresh.mode == entry.mode {
            fresh.stat
        } else {
            gix::index::entry::Stat::default()
        };
    }
    // Keep the cache tree valid (git and our next capture reuse it): only
    // the directories of changed entries are hashed again.
    if let Some(tree) = index.tree_mut() {
        for path in plan.index.keys() {
            index_tree::invalidate(tree, path.as_bstr());
        }
        let (_, fresh) = index_tree::write(git, &index)?;
        if let Some(tree) = index.tree_mut() {
            *tree = fresh;
        }
    }
    crate::trace::phase("apply: index edited");
    index.remove_resolve_undo();
    write_index(&index, lock, skip_hash(repo)).context("writing the index")?;
    crate::trace::phase("apply: index written");
    Ok(())
}

/// Whether every directory leading to `path` is a directory on disk, not a
/// symlink (nor missing); `known` remembers the ones found so.
fn parents_are_directories(
    workdir: &Path,
    path: &BStr,
    known: &mut std::collections::HashSet<BString>,
) -> Result<bool> {
    for (end, _) in path.iter().enumerate().filter(|(_, b)| **b == b'/') {
        let parent = path[..end].as_bstr();
        if known.contains(parent) {
            continue;
        }
        let full = workdir.join(gix::path::from_bstr(parent)?);
        if !std::fs::symlink_metadata(&full).is_ok_and(|meta| meta.is_dir()) {
            return Ok(false);
        }
        known.insert(parent.to_owned());
    }
    Ok(true)
}

/// `index.skipHash` as the user set it (the repository is opened with it
/// forced on for reading, an override this leaves out): git then writes a
/// null checksum, and so do we.
fn skip_hash(repo: &Repo) -> bool {
    repo.git
        .config_snapshot()
        .plumbing()
        .boolean_filter("index.skipHash", |meta| {
            meta.source != gix::config::Source::Api
        })
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Write the index like `gix::index::File::write` does, but serialize it to
/// memory first and hash it in one pass, rather than hashing the many small
/// writes of the entries one by one.
fn write_index(index: &gix::index::File, lock: IndexLock, skip_hash: bool) -> Result<()> {
    use std::io::Write;
    let mut bytes = Vec::with_capacity(index.entries().len() * 96 + 4096);
    // `State::write_to` is generic over the writer (`File::write_to` goes through
    // `dyn Write`, a dynamic call per field of every entry).
    let state: &gix::index::State = index;
    state.write_to(&mut bytes, gix::index::write::Options::default())?;
    // gix writes versions 2 and 3 only; an index that was version 4 (what
    // `feature.manyFiles` and Scalar set up) stays version 4.
    if index.version() == gix::index::Version::V4 {
        bytes = to_version_4(&bytes, index.object_hash().len_in_bytes())?;
    }
    if skip_hash {
        bytes.resize(bytes.len() + index.object_hash().len_in_bytes(), 0);
    } else {
        let mut hasher = gix::hash::hasher(index.object_hash());
        hasher.update(&bytes);
        let digest = hasher.try_finalize()?;
        bytes.extend_from_slice(digest.as_slice());
    }
    let mut lock = lock.0;
    lock.write_all(&bytes)?;
    lock.commit().map_err(|err| err.error)?;
    Ok(())
}

/// gix expands `$Id$` as `$Id: <hex>$`, git as `$Id: <hex> $` (with a space):
/// give the files written with the `ident` attribute git's bytes. (Both
/// read back as `$Id$`, so git sees no change either way.)
fn expand_ident_as_git_does(repo: &Repo, written: &mut gix::index::State) -> Result<()> {
    if written.entries().is_empty() {
        return Ok(());
    }
    let mut stack = None;
    let hex_len = repo.git.object_hash().len_in_hex();
    let state: &gix::index::State = written;
    let stats = rewrite_written(repo, state, |path, mode, full| {
        // Only a file that holds an expansion can need a fix: the attributes
        // are looked up for those alone.
        let bytes = std::fs::read(full)?;
        if bytes.find(b"$Id: ").is_none() {
            return Ok(None);
        }
        let (stack, matches) = match &mut stack {
            Some(found) => found,
            slot @ None => {
                let attributes = repo.git.attributes_only(
                    state,
                    gix::worktree::stack::state::attributes::Source::WorktreeThenIdMapping,
                )?;
                let matches = attributes.selected_attribute_matches(["ident"]);
                slot.insert((attributes, matches))
            }
        };
        stack
            .at_entry(path, Some(mode))?
            .matching_attributes(matches);
        if !matches.iter_selected().any(|m| m.assignment.state.is_set()) {
            return Ok(None);
        }
        let mut fixed = Vec::with_capacity(bytes.len() + 8);
        let mut rest = bytes.as_slice();
        while let Some(at) = rest.find(b"$Id: ") {
            let id_end = at + 5 + hex_len;
            fixed.extend_from_slice(&rest[..at + 5]);
            let expanded = rest
                .get(at + 5..id_end)
                .is_some_and(|id| id.iter().all(u8::is_ascii_hexdigit))
                && rest.get(id_end) == Some(&b'$');
            if expanded {
                fixed.extend_from_slice(&rest[at + 5..id_end]);
                fixed.extend_from_slice(b" $");
                rest = &rest[id_end + 1..];
            } else {
                rest = &rest[at + 5..];
            }
        }
        fixed.extend_from_slice(rest);
        Ok((fixed != bytes).then_some(fixed))
    })?;
    set_stats(written, stats);
    Ok(())
}

/// Give files the checkout just wrote the bytes git would have written:
/// `rewrite` gets each regular file's path, mode and place on disk and
/// returns new bytes where they differ. Returns the new stat data of the
/// files rewritten, by entry position, for [`set_stats`].
fn rewrite_written(
    repo: &Repo,
    written: &gix::index::State,
    mut rewrite: impl FnMut(&BStr, gix::index::entry::Mode, &Path) -> Result<Option<Vec<u8>>>,
) -> Result<Vec<(usize, gix::index::entry::Stat)>> {
    let mut stats = Vec::new();
    for (position, entry) in written.entries().iter().enumerate() {
        if entry.mode != gix::index::entry::Mode::FILE
            && entry.mode != gix::index::entry::Mode::FILE_EXECUTABLE
        {
            continue;
        }
        let path = entry.path(written);
        let full = repo.workdir().join(gix::path::from_bstr(path)?);
        if let Some(bytes) = rewrite(path, entry.mode, &full)? {
            std::fs::write(&full, bytes)?;
            let meta = gix::index::fs::Metadata::from_path_no_follow(&full)?;
            stats.push((position, gix::index::entry::Stat::from_fs(&meta)?));
        }
    }
    Ok(stats)
}

/// The index takes the stat data of the files as they now are.
fn set_stats(written: &mut gix::index::State, stats: Vec<(usize, gix::index::entry::Stat)>) {
    for (position, stat) in stats {
        written.entries_mut()[position].stat = stat;
    }
}

/// gix's checkout cannot write UTF-16 (`encoding_rs`, which it encodes
/// with, writes UTF-8 for it), so a file with `working-tree-encoding=UTF-16`
/// (`UTF-16LE`, `UTF-16BE`, `-BOM` variants) comes out as the UTF-8 that
/// git stores: encode it as git does (plain `UTF-16`: a byte order mark and
/// little-endian, as glibc's iconv writes). Attributes are looked up only
/// when an attributes file names `working-tree-encoding` at all.
fn encode_utf16_as_git_does(repo: &Repo, written: &mut gix::index::State) -> Result<()> {
    let files = written
        .entries()
        .iter()
        .map(|entry| (entry.path(written), entry.id));
    if written.entries().is_empty()
        || !attributes_files_mention(repo, files, |text| {
            text.find(b"working-tree-encoding").is_some()
        })?
    {
        return Ok(());
    }
    let state: &gix::index::State = written;
    let mut stack = repo.git.attributes_only(
        state,
        gix::worktree::stack::state::attributes::Source::WorktreeThenIdMapping,
    )?;
    let mut matches = stack.selected_attribute_matches(["working-tree-encoding"]);
    let stats = rewrite_written(repo, state, |path, mode, full| {
        stack
            .at_entry(path, Some(mode))?
            .matching_attributes(&mut matches);
        let Some(label) = matches
            .iter_selected()
            .find_map(|m| match m.assignment.state {
                gix::attrs::StateRef::Value(value) => {
                    Some(value.as_bstr().to_str_lossy().to_ascii_uppercase())
                }
                _ => None,
            })
        else {
            return Ok(None);
        };
        let (bom, big_endian): (&[u8], bool) = match label.as_str() {
            "UTF-16" | "UTF-16LE-BOM" => (&[0xFF, 0xFE], false),
            "UTF-16LE" => (&[], false),
            "UTF-16BE" => (&[], true),
            "UTF-16BE-BOM" => (&[0xFE, 0xFF], true),
            _ => return Ok(None),
        };
        let bytes = std::fs::read(full)?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Ok(None);
        };
        let mut encoded = Vec::with_capacity(bom.len() + text.len() * 2);
        encoded.extend_from_slice(bom);
        for unit in text.encode_utf16() {
            encoded.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        Ok(Some(encoded))
    })?;
    set_stats(written, stats);
    Ok(())
}

/// Re-encode an index of version 2 or 3 (without its trailing checksum) as
/// version 4: the same entries with their paths prefix-compressed (how many
/// bytes of the previous path to drop, as git's offset varint, then the rest
/// and a NUL, no padding). Extensions are kept, except EOIE, whose offsets
/// would be wrong (git reads the index without it).
fn to_version_4(v2: &[u8], hash_len: usize) -> Result<Vec<u8>> {
    let corrupt = || Error::failed("re-encoding the index as version 4: unexpected layout");
    let read_u32 = |at: usize| -> Result<u32> {
        v2.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(corrupt)
    };
    if v2.get(..4) != Some(b"DIRC".as_slice()) || !matches!(read_u32(4)?, 2 | 3) {
        return Err(corrupt());
    }
    let count = read_u32(8)? as usize;
    let mut out = Vec::with_capacity(v2.len());
    out.extend_from_slice(b"DIRC");
    out.extend_from_slice(&4u32.to_be_bytes());
    out.extend_from_slice(&(count as u32).to_be_bytes());
    let fixed = 40 + hash_len; // stat data and object id
    let mut at = 12;
    let mut previous: &[u8] = &[];
    for _ in 0..count {
        let flags_at = at + fixed;
        let flags = v2
            .get(flags_at..flags_at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(corrupt)?;
        let path_at = flags_at + 2 + if flags & 0x4000 != 0 { 2 } else { 0 };
        let path_len = v2
            .get(path_at..)
            .and_then(|rest| rest.iter().position(|b| *b == 0))
            .ok_or_else(corrupt)?;
        let path = &v2[path_at..path_at + path_len];
        out.extend_from_slice(&v2[at..path_at]);
        let common = previous
            .iter()
            .zip(path)
            .take_while(|(a, b)| a == b)
            .count();
        push_offset_varint(&mut out, (previous.len() - common) as u64);
        out.extend_from_slice(&path[common..]);
        out.push(0);
        previous = path;
        // Version 2/3 entries are padded with NULs to a multiple of 8 bytes.
        let length = path_at + path_len - at;
        at += (length + 8) & !7;
    }
    // Extensions: signature, size, data.
    while at < v2.len() {
        let size = read_u32(at + 4)? as usize;
        let end = at + 8 + size;
        if end > v2.len() {
            return Err(corrupt());
        }
        if &v2[at..at + 4] != b"EOIE" {
            out.extend_from_slice(&v2[at..end]);
        }
        at = end;
    }
    Ok(out)
}

/// git's offset varint (varint.c): seven bits a byte, most significant
/// first, each continuation byte one less than its value.
fn push_offset_varint(out: &mut Vec<u8>, mut value: u64) {
    let mut bytes = [0u8; 10];
    let mut pos = bytes.len() - 1;
    bytes[pos] = (value & 127) as u8;
    loop {
        value >>= 7;
        if value == 0 {
            break;
        }
        value -= 1;
        pos -= 1;
        bytes[pos] = 128 | (value & 127) as u8;
    }
    out.extend_from_slice(&bytes[pos..]);
}

fn index_mode(kind: EntryKind) -> gix::index::entry::Mode {
    match kind {
        EntryKind::BlobExecutable => gix::index::entry::Mode::FILE_EXECUTABLE,
        EntryKind::Link => gix::index::entry::Mode::SYMLINK,
        EntryKind::Commit => gix::index::entry::Mode::COMMIT,
        EntryKind::Tree => gix::index::entry::Mode::DIR,
        EntryKind::Blob => gix::index::entry::Mode::FILE,
    }
}

/// Remove a file (or symlink) and then every parent directory it leaves empty,
/// up to the work tree root. A path that is already gone is fine.
fn remove_file_and_empty_parents(workdir: &Path, path: &BStr) -> Result<()> {
    let relative = gix::path::from_bstr(path)?;
    let full = workdir.join(&relative);
    match std::fs::symlink_metadata(&full) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => std::fs::remove_file(&full)
            .map_err(|e| crate::error::io(e, format!("removing '{}'", full.display())))?,
        Err(_) => return Ok(()),
    }
    let mut dir = full.parent();
    while let Some(d) = dir {
        if d == workdir || !d.starts_with(workdir) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// `base` with every path `spec` names taken from `source` instead: in the
/// index, the work tree and the untracked files (paths `source` lacks are
/// removed). Used to restore a stage's paths on top of other changes.
pub fn overlay(
    repo: &Repo,
    base: &State,
    source: &State,
    spec: &crate::pathspec::PathSpec,
) -> Result<State> {
    let one = |base_tree: Option<ObjectId>,
               source_tree: Option<ObjectId>|
     -> Result<Option<ObjectId>> {
        let base_blobs = tree_blobs(repo, base_tree)?;
        let source_blobs = tree_blobs(repo, source_tree)?;
        let remove: Vec<&BString> = base_blobs
            .keys()
            .filter(|p| spec.matches(p.as_bstr()))
            .collect();
        let add: Vec<(&BString, &Blob)> = source_blobs
            .iter()
            .filter(|(p, _)| spec.matches(p.as_bstr()))
            .collect();
        if remove.is_empty() && add.is_empty() {
            return Ok(base_tree);
        }
        let mut editor = repo
            .edit_tree(base_tree.unwrap_or_else(|| ObjectId::empty_tree(repo.git.object_hash())))?;
        for path in remove {
            editor.remove(path)?;
        }
        for (path, blob) in add {
            editor.upsert(path, blob.kind, blob.id)?;
        }
        let id = editor.write()?;
        Ok(
            (id != ObjectId::empty_tree(repo.git.object_hash()) || base_tree.is_some())
                .then_some(id),
        )
    };
    Ok(State {
        commit: base.commit,
        head: base.head,
        index_tree: one(Some(base.index_tree), Some(source.index_tree))?.unwrap_or(base.index_tree),
        worktree_tree: one(Some(base.worktree_tree), Some(source.worktree_tree))?
            .unwrap_or(base.worktree_tree),
        untracked_tree: one(base.untracked_tree, source.untracked_tree)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh repository (with a work tree) to build objects in.
    fn repo() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        gix::init(dir.path()).unwrap();
        let repo = Repo::discover(dir.path()).unwrap();
        (dir, repo)
    }

    /// A tree of `files` (path, content, kind).
    fn tree(repo: &Repo, files: &[(&str, &str, EntryKind)]) -> ObjectId {
        let mut editor = repo
            .git
            .edit_tree(ObjectId::empty_tree(repo.git.object_hash()))
            .unwrap();
        for (path, content, kind) in files {
            let id = if *kind == EntryKind::Commit {
                ObjectId::from_hex(content.as_bytes()).unwrap()
            } else {
                repo.git.write_blob(content.as_bytes()).unwrap().detach()
            };
            editor.upsert(*path, *kind, id).unwrap();
        }
        editor.write().unwrap().detach()
    }

    fn state(index: ObjectId, worktree: ObjectId, untracked: Option<ObjectId>) -> State {
        let placeholder = ObjectId::empty_tree(gix::hash::Kind::Sha1);
        State {
            commit: placeholder,
            head: placeholder,
            index_tree: index,
            worktree_tree: worktree,
            untracked_tree: untracked,
        }
    }

    fn paths(changes: &BTreeMap<BString, Change>) -> Vec<(String, &'static str)> {
        changes
            .iter()
            .map(|(path, change)| {
                let what = match change {
                    Change::Write(_) => "write",
                    Change::Delete => "delete",
                };
                (path.to_string(), what)
            })
            .collect()
    }

    #[test]
    fn offset_varints_as_git_writes_them() {
        for (value, bytes) in [
            (0u64, vec![0u8]),
            (127, vec![127]),
            (128, vec![128, 0]),
            (255, vec![128, 127]),
            (16511, vec![255, 127]),
            (16512, vec![128, 128, 0]),
        ] {
            let mut out = Vec::new();
            push_offset_varint(&mut out, value);
            assert_eq!(out, bytes, "{value}");
        }
    }

    #[test]
    fn the_plan_is_the_difference_of_each_tree_and_leaves_submodules_alone() {
        let (_dir, repo) = repo();
        let f = EntryKind::Blob;
        let gitlink = "1111111111111111111111111111111111111111";
        let current_index = tree(
            &repo,
            &[
                ("a", "1", f),
                ("b", "1", f),
                ("sub", gitlink, EntryKind::Commit),
            ],
        );
        let current_work = tree(
            &repo,
            &[
                ("a", "2", f),
                ("b", "1", f),
                ("sub", gitlink, EntryKind::Commit),
            ],
        );
        let current_untracked = tree(&repo, &[("u/new", "x", f), ("u/same", "s", f)]);
        let target_index = tree(
            &repo,
            &[
                ("a", "1", f),
                ("c", "3", EntryKind::BlobExecutable),
                (
                    "sub",
                    "2222222222222222222222222222222222222222",
                    EntryKind::Commit,
                ),
            ],
        );
        let target_work = target_index;
        let target_untracked = tree(&repo, &[("u/same", "s", f), ("u/other", "o", f)]);
        let plan = plan(
            &repo,
            &state(current_index, current_work, Some(current_untracked)),
            &state(target_index, target_work, Some(target_untracked)),
            None,
        )
        .unwrap();
        assert_eq!(
            paths(&plan.index),
            [
                ("b".into(), "delete"),
                ("c".into(), "write"),
                ("sub".into(), "write")
            ]
        );
        // The work tree: `a` back to its index content, `b` gone, `c` new,
        // untracked files exchanged, an unchanged untracked file left alone;
        // the submodule's work tree is not ours to write.
        assert_eq!(
            paths(&plan.worktree),
            [
                ("a".into(), "write"),
                ("b".into(), "delete"),
                ("c".into(), "write"),
                ("u/new".into(), "delete"),
                ("u/other".into(), "write")
            ]
        );
        assert!(matches!(
            plan.worktree[&BString::from("c")],
            Change::Write(Blob {
                kind: EntryKind::BlobExecutable,
                ..
            })
        ));
        // Identical states plan nothing.
        let same = state(current_index, current_work, Some(current_untracked));
        let nothing = super::plan(&repo, &same, &same, None).unwrap();
        assert!(nothing.worktree.is_empty() && nothing.index.is_empty());
    }

    /// Limited to plain paths, the plan compares the entries at those paths
    /// (and diffs the subtrees below them): the same as the whole plan kept
    /// to what the paths name, through files becoming directories and back.
    #[test]
    fn a_plan_limited_to_paths_is_the_whole_plan_kept_to_them() {
        let (_dir, repo) = repo();
        let f = EntryKind::Blob;
        let current = tree(
            &repo,
            &[
                ("d/x", "1", f),
                ("d/y", "2", f),
                ("e", "3", f),
                ("g/h/i", "4", f),
                ("g/h/j", "5", f),
                ("k", "6", f),
            ],
        );
        let target = tree(
            &repo,
            &[
                ("d", "7", f),
                ("e/z", "8", f),
                ("g/h/i", "4", f),
                ("g/h/j", "9", EntryKind::BlobExecutable),
                ("k", "6", f),
                ("new/n", "10", f),
            ],
        );
        let (current, target) = (state(current, current, None), state(target, target, None));
        let whole = plan(&repo, &current, &target, None).unwrap();
        for patterns in [
            &["d", "e"][..],
            &["d/x", "g/h", "k"],
            &["g/h/j", "g/h/i", "missing/path"],
            &["new", "e/z", "d/y"],
        ] {
            let spec = crate::pathspec::PathSpec::new(patterns.iter().map(|p| p.to_string()));
            let mut limited = plan(&repo, &current, &target, Some(&spec)).unwrap();
            limited.retain(|path| spec.matches(path));
            let mut expected = plan(&repo, &current, &target, None).unwrap();
            expected.retain(|path| spec.matches(path));
            assert_eq!(
                paths(&limited.index),
                paths(&expected.index),
                "{patterns:?}"
            );
            assert_eq!(
                paths(&limited.worktree),
                paths(&expected.worktree),
                "{patterns:?}"
            );
            assert!(!paths(&expected.worktree).is_empty(), "{patterns:?}");
        }
        assert_eq!(paths(&whole.worktree).len(), 7);
    }
}
