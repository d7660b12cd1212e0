//! What `sprint N` records and saves before it backs a sprint out: the
//! commits made since the sprint's start checkpoint, the files changed with
//! line counts, and one ordinary commit holding all uncommitted work
//! (staged, unstaged and untracked files) for the backup branch.

use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::repo::Repo;
use crate::snapshot::{self, Capture};

/// A commit made during the sprint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommitSummary {
    pub oid: String,
    pub subject: String,
}

/// A file changed during the sprint, with its line counts (none for binary files).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileChange {
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub status: String,
    pub insertions: u32,
    pub deletions: u32,
}

/// The commits from `start` (excluded) to `head`, newest first.
pub fn commits_since(repo: &Repo, start: ObjectId, head: ObjectId) -> Result<Vec<CommitSummary>> {
    let mut out = Vec::new();
    for info in repo.git.rev_walk([head]).with_hidden([start]).all()? {
        let info = info?;
        let commit = repo.git.find_commit(info.id)?;
        let subject = crate::repo::subject(&commit);
        out.push(CommitSummary {
            oid: info.id.to_string(),
            subject,
        });
    }
    Ok(out)
}

/// One commit on top of HEAD whose tree is the whole work tree: tracked files
/// as they are on disk plus the untracked files. HEAD itself when clean.
pub fn backup_commit(repo: &Repo, capture: &Capture, message: &str) -> Result<ObjectId> {
    let state = &capture.state;
    if !state.is_snapshot() {
        return Ok(state.head);
    }
    let mut editor = repo.git.edit_tree(state.worktree_tree)?;
    for (path, blob) in snapshot::tree_blobs(repo, state.untracked_tree)? {
        editor.upsert(path.as_bstr(), blob.kind, blob.id)?;
    }
    let tree = editor.write()?.detach();
    Ok(repo.git.new_commit(message, tree, [state.head])?.id)
}

/// The files that differ between two trees, with line counts.
pub fn changed_files(repo: &Repo, from: ObjectId, to: ObjectId) -> Result<Vec<FileChange>> {
    let git = &repo.git;
    let old = git.find_tree(from)?;
    let new = git.find_tree(to)?;
    let mut out = Vec::new();
    let blob = |id: ObjectId| -> Result<Vec<u8>> { Ok(git.find_blob(id)?.data.clone()) };
    for change in git.diff_tree_to_tree(
        &old,
        &new,
        gix::diff::Options::default().with_rewrites(None),
    )? {
        use gix::object::tree::diff::ChangeDetached as C;
        let (path, status, before, after) = match change {
            C::Addition {
                location,
                entry_mode,
                id,
                ..
            } if !entry_mode.is_tree() => (location, "added", None, Some((id, entry_mode.kind()))),
            C::Deletion {
                location,
                entry_mode,
                id,
                ..
            } if !entry_mode.is_tree() => {
                (location, "deleted", Some((id, entry_mode.kind())), None)
            }
            C::Modification {
                location,
                previous_entry_mode,
                previous_id,
                entry_mode,
                id,
            } if !entry_mode.is_tree() => (
                location,
                "modified",
                Some((previous_id, previous_entry_mode.kind())),
                Some((id, entry_mode.kind())),
            ),
            _ => continue,
        };
        let text = |side: Option<(ObjectId, EntryKind)>| -> Result<Option<String>> {
            match side {
                None => Ok(Some(String::new())),
                Some((id, EntryKind::Blob | EntryKind::BlobExecutable)) => {
                    let data = blob(id)?;
                    Ok((!data.contains(&0)).then(|| data.to_str_lossy().into_owned()))
                }
                Some(_) => Ok(None),
            }
        };
        let (insertions, deletions) = match (text(before)?, text(after)?) {
            (Some(a), Some(b)) => {
                let input = gix::diff::blob::InternedInput::new(a.as_str(), b.as_str());
                let diff =
                    gix::diff::blob::Diff::compute(gix::diff::blob::Algorithm::Histogram, &input);
                (diff.count_additions(), diff.count_removals())
            }
            _ => (0, 0),
        };
        out.push(FileChange {
            path: path.to_str_lossy().into_owned(),
            status: status.to_owned(),
            insertions,
            deletions,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
