//! Recovery of the good commits of a failed branch (a sprint's
//! `backup/sprint-N-*`): list the commits it has beyond a checkpoint, then
//! make `recovery/<time>` at that checkpoint and cherry-pick the chosen ones
//! onto it, oldest first. git does the picking; on a conflict it stops with
//! git's normal cherry-pick state, which `git cherry-pick --continue` or
//! `--abort` ends.
//!
//! Only a clean work tree is switched (tracked files without changes): the
//! branch left keeps its commits, so nothing is lost and nothing needs a
//! snapshot.

use serde::Serialize;

use crate::error::{Error, Hint, Result};
use crate::ledger::{self, Event};
use crate::repo::Repo;

pub struct Options {
    /// The branch (or any commit) to recover from.
    pub branch: String,
    /// The checkpoint to build on (`None`: the baseline).
    pub onto: Option<String>,
    /// The commits to take (`None`: all, oldest first).
    pub pick: Vec<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Commit {
    pub id: String,
    pub subject: String,
}

/// Where a pick stopped.
#[derive(Debug, Serialize)]
pub struct Conflict {
    pub commit: Commit,
    pub paths: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Recovered {
    /// `recovery/<time>` (to be made, with --dry-run).
    pub branch: String,
    pub from: String,
    /// The checkpoint built on.
    pub onto: String,
    /// The commits on `from` not in `onto`, oldest first.
    pub commits: Vec<Commit>,
    /// Those picked (all that went in, when a conflict stopped it).
    pub picked: Vec<Commit>,
    pub conflict: Option<Conflict>,
    pub dry_run: bool,
    /// The recorded event (`None`: a dry run).
    pub event: Option<String>,
}

fn git(repo: &Repo, args: &[&str]) -> Result<std::process::Output> {
    repo.git_cli(args)
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

/// The full id of the commit `rev`, or `None`.
fn commit_of(repo: &Repo, rev: &str) -> Result<Option<String>> {
    if rev.starts_with('-') {
        return Ok(None);
    }
    let out = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    Ok(out.status.success().then(|| stdout(&out)))
}

pub fn recover(
    repo: &Repo,
    settings: &crate::config::Settings,
    options: Options,
) -> Result<Recovered> {
    let from = commit_of(repo, &options.branch)?.ok_or_else(|| {
        Error::usage(format!("'{}' is not a branch or a commit", options.branch))
            .hint(Hint::ListBackupBranches)
    })?;
    let onto_name = options
        .onto
        .clone()
        .or_else(|| settings.baseline.clone())
        .ok_or_else(|| {
            Error::usage("no checkpoint to build on: give --onto CHECKPOINT")
                .hint(Hint::SetBaseline)
        })?;
    let onto = crate::checkpoint::resolve(repo, &onto_name)?;
    // A dirty checkpoint's commit is a snapshot: build on the commit it was taken at.
    let base = onto.head.clone();
    let listed = git(
        repo,
        &[
            "log",
            "--reverse",
            "--no-merges",
            "--format=%H%x09%s",
            &format!("{base}..{from}"),
        ],
    )?;
    if !listed.status.success() {
        return Err(Error::failed(format!(
            "cannot list the commits of '{}': {}",
            options.branch,
            String::from_utf8_lossy(&listed.stderr).trim()
        )));
    }
    let commits: Vec<Commit> = stdout(&listed)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, subject)| Commit {
            id: id.to_owned(),
            subject: subject.to_owned(),
        })
        .collect();
    let picked: Vec<Commit> = if options.pick.is_empty() {
        commits.clone()
    } else {
        let mut wanted = Vec::new();
        for rev in &options.pick {
            let id = commit_of(repo, rev)?.filter(|id| commits.iter().any(|c| &c.id == id));
            match id {
                Some(id) => wanted.push(id),
                None => {
                    return Err(Error::usage(format!(
                        "'{rev}' is not one of the commits of '{}' after checkpoint '{}'",
                        options.branch, onto.id
                    ))
                    .hint(Hint::RecoverDryRun {
                        branch: options.branch.clone(),
                        onto: onto.id.clone(),
                    }))
                }
            }
        }
        commits
            .iter()
            .filter(|c| wanted.contains(&c.id))
            .cloned()
            .collect()
    };
    if picked.is_empty() {
        return Err(Error::usage(format!(
            "'{}' has no commit after checkpoint '{}'",
            options.branch, onto.id
        )));
    }
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let mut branch = format!("recovery/{stamp}");
    let mut n = 1;
    while commit_of(repo, &format!("refs/heads/{branch}"))?.is_some() {
        n += 1;
        branch = format!("recovery/{stamp}-{n}");
    }
    let mut recovered = Recovered {
        branch: branch.clone(),
        from: options.branch.clone(),
        onto: onto.id.clone(),
        commits,
        picked: Vec::new(),
        conflict: None,
        dry_run: options.dry_run,
        event: None,
    };
    if options.dry_run {
        recovered.picked = picked;
        return Ok(recovered);
    }
    repo.ensure_no_operation_in_progress()?;
    let dirty = git(repo, &["status", "--porcelain", "--untracked-files=no"])?;
    if !stdout(&dirty).is_empty() {
        return Err(Error::refused(
            "the work tree has uncommitted changes; recover switches to a new branch",
        )
        .hint(Hint::CommitOrCheckpointFirst));
    }
    let switched = git(repo, &["switch", "--quiet", "-c", &branch, &base])?;
    if !switched.status.success() {
        return Err(Error::failed(format!(
            "cannot make {branch}: {}",
            String::from_utf8_lossy(&switched.stderr).trim()
        )));
    }
    let mut args = vec!["cherry-pick", "--allow-empty"];
    args.extend(picked.iter().map(|c| c.id.as_str()));
    let picking = git(repo, &args)?;
    // The commits now on the branch (all of them, or those before a conflict).
    let on_branch = stdout(&git(repo, &["rev-list", &format!("{base}..HEAD")])?);
    let count = on_branch.lines().count();
    recovered.picked = picked.iter().take(count).cloned().collect();
    if !picking.status.success() {
        let stopped = std::fs::read_to_string(repo.git_dir().join("CHERRY_PICK_HEAD"))
            .map(|s| s.trim().to_owned())
            .ok();
        let Some(stopped) = stopped else {
            return Err(Error::failed(format!(
                "git cherry-pick failed: {}",
                String::from_utf8_lossy(&picking.stderr).trim()
            )));
        };
        let paths = stdout(&git(repo, &["diff", "--name-only", "--diff-filter=U"])?)
            .lines()
            .map(str::to_owned)
            .collect();
        let commit = picked
            .iter()
            .find(|c| c.id == stopped)
            .cloned()
            .unwrap_or(Commit {
                id: stopped,
                subject: String::new(),
            });
        recovered.conflict = Some(Conflict { commit, paths });
    }
    let head = repo.head()?;
    let mut event = Event::new(repo, ledger::Kind::Recover, head.oid()?)?;
    event.checkpoint = Some(onto.id.clone());
    event.head_after = Some(head);
    event.details.insert("branch".into(), branch.into());
    event
        .details
        .insert("from".into(), options.branch.clone().into());
    event.details.insert(
        "picked".into(),
        recovered
            .picked
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
            .into(),
    );
    if let Some(conflict) = &recovered.conflict {
        event
            .details
            .insert("conflict".into(), conflict.commit.id.clone().into());
    }
    ledger::append(repo, &event)?;
    recovered.event = Some(event.id);
    Ok(recovered)
}
