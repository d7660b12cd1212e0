//! Backing a failed sprint out (`sprint N`), and what it records and saves
//! first: the commits made since the sprint's start checkpoint, the files
//! changed with line counts, and one ordinary commit holding all
//! uncommitted work (staged, unstaged and untracked files) for the backup
//! branch.

use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use gix::refs::transaction::PreviousValue;

use crate::check::{self, Check};
use crate::checkpoint;
use crate::config::Settings;
use crate::error::{Error, Hint, Result};
use crate::ledger::Kind;
use crate::operation::{self, HeadAfter, Outcome, Request, Target};
use crate::repo::{Head, Repo};
use crate::snapshot::{self, Capture, State};

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
    let tree = state.whole_tree(repo)?;
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

/// A branch name from a pattern, checked against git's ref rules.
fn branch(pattern: &str, sprint: u32, timestamp: &str) -> Result<String> {
    let name = format!(
        "refs/heads/{}",
        pattern
            .replace("{n}", &sprint.to_string())
            .replace("{timestamp}", timestamp)
    );
    gix::refs::FullName::try_from(name.as_str()).map_err(|err| {
        Error::usage(format!(
            "branch pattern '{pattern}' gives an invalid name '{name}': {err}"
        ))
    })?;
    Ok(name)
}

fn exists(repo: &Repo, name: &str) -> Result<bool> {
    Ok(repo.git.try_find_reference(name)?.is_some())
}

/// What a sprint back-out records about the failed sprint (its event's
/// details, read by `report`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub sprint: u32,
    /// The branch the sprint was on (`None` when detached).
    pub branch: Option<String>,
    pub backup_branch: String,
    pub backup_commit: String,
    pub retry_branch: String,
    pub commits: Vec<CommitSummary>,
    pub files: Vec<FileChange>,
    /// The verify command's result before the rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<check::CheckResult>,
}

/// What a sprint back-out is asked to do besides the sprint's number.
pub struct Options {
    pub dry_run: bool,
    pub reason: Option<String>,
    pub severity: Option<String>,
    /// The verify command: its result goes into the failure report.
    pub verify: Option<Check>,
    /// The steps around the back-out.
    pub steps: crate::steps::Steps,
}

/// What [`back_out`] did (or, with `dry_run`, would do).
#[derive(Debug, Serialize)]
pub struct BackedOut {
    #[serde(flatten)]
    pub outcome: Outcome,
    pub backup_branch: String,
    pub retry_branch: String,
    pub commits: usize,
    pub files: usize,
}

/// Back out sprint `n`: record the failure report, save all work on the
/// backup branch (before anything runs), then return to the sprint's start
/// checkpoint on a new retry branch, as one operation.
pub fn back_out(repo: &Repo, settings: &Settings, n: u32, options: Options) -> Result<BackedOut> {
    let start = checkpoint::find(repo, &format!("sprint-{n}"))?.ok_or_else(|| {
        Error::usage(format!("sprint {n} has no start checkpoint 'sprint-{n}'"))
            .hint(Hint::SprintCheckpoint { n })
    })?;
    let start_head = start.state(repo)?.head;
    let head = repo.head()?;
    let timestamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    // Two sprints backed out within a second (a retry after an interrupted
    // one) get `-2`, `-3`, … as git users number such branches.
    let unused = |base: String| -> Result<String> {
        let mut name = base.clone();
        let mut number = 1;
        while exists(repo, &name)? {
            number += 1;
            name = format!("{base}-{number}");
        }
        Ok(name)
    };
    let backup = unused(branch(&settings.backup_branch, n, &timestamp)?)?;
    let retry = unused(branch(&settings.retry_branch, n, &timestamp)?)?;

    // Everything is saved on the backup branch before anything runs.
    if let (Some(command), false) = (&options.verify, options.dry_run) {
        check::ensure_runnable(repo, command)?;
    }
    let capture = snapshot::capture(
        repo,
        Some(&format!("sprint {n} backup")),
        Some(State::of_commit(repo, start_head)?.worktree_tree),
        None,
    )?;
    let commits = commits_since(repo, start_head, head.oid()?)?;
    let start_tree = repo.git.find_commit(start_head)?.tree_id()?.detach();
    let work = backup_commit(
        repo,
        &capture,
        &format!("sprint {n} backup: uncommitted work (staged, unstaged and untracked files)\n"),
    )?;
    let work_tree = repo.git.find_commit(work)?.tree_id()?.detach();
    let files = changed_files(repo, start_tree, work_tree)?;

    if !options.dry_run {
        repo.git.reference(
            backup.as_str(),
            work,
            PreviousValue::MustNotExist,
            format!("git-rollback: sprint {n} backup"),
        )?;
    }
    // The failure report: the tests run once the work is saved; what they
    // leave in the work tree is captured again by the rollback itself.
    let test = match (&options.verify, options.dry_run) {
        (Some(command), false) => Some(check::run(
            repo,
            &Check::new("test", &command.command),
            &[],
        )?),
        _ => None,
    };
    let mut request = Request::new(
        Kind::Sprint,
        Target::State(State::of_commit(repo, start_head)?),
        HeadAfter::Exactly(Head {
            branch: Some(retry.clone()),
            oid: start_head.to_string(),
        }),
    );
    request.checkpoint = Some(start.id.clone());
    request.captured = test.is_none().then_some(capture);
    request.reason = options.reason;
    request.severity = options.severity;
    request.checks = options.verify.into_iter().collect();
    request.steps = options.steps;
    request.dry_run = options.dry_run;
    let failure = Failure {
        sprint: n,
        branch: head.branch.clone(),
        backup_branch: backup.clone(),
        backup_commit: work.to_string(),
        retry_branch: retry.clone(),
        commits,
        files,
        test,
    };
    request.set_details(&failure)?;
    Ok(BackedOut {
        outcome: operation::run(repo, request)?,
        backup_branch: backup,
        retry_branch: retry,
        commits: failure.commits.len(),
        files: failure.files.len(),
    })
}
