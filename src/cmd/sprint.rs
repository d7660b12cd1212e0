//! `git rollback sprint N`: back out a failed sprint and start it again.

use git_rollback::check::{self, Check};
use git_rollback::ledger::Kind;
use git_rollback::lock::Lock;
use git_rollback::operation::{self, HeadAfter, Request, Target};
use git_rollback::repo::Head;
use git_rollback::snapshot::{self, State};
use git_rollback::{checkpoint, config, sprint, Error, Result};
use gix::refs::transaction::PreviousValue;

use super::Context;
use crate::ui::Ui;

/// Back out sprint N: save all its work, return to its start, retry on a new branch
///
/// The sprint's start is the checkpoint sprint-N (`git rollback checkpoint
/// --sprint N`). In order:
///   1. a failure report is recorded: the commits since the start, the files
///      changed with line counts, the verify command's result, the branch and
///      the reason;
///   2. all work (commits, staged, unstaged and untracked files) is saved on
///      backup/sprint-N-<timestamp>; the current branch does not move;
///   3. a new branch refactor/sprint-N-retry (numbered if it exists) is
///      checked out at the sprint's start with a clean work tree.
///
/// Branch names come from [sprint] in .rollback.toml or rollback.retryBranch /
/// rollback.backupBranch. `git rollback undo` returns to the original branch
/// with every file as it was.
///
/// Example:
///   git rollback sprint 3 --reason "tests failing" --severity high
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The sprint number
    pub sprint: u32,

    #[command(flatten)]
    pub incident: super::Incident,

    /// Print what would happen and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Do not run the verify command
    #[arg(long)]
    pub no_test: bool,
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

fn exists(repo: &git_rollback::repo::Repo, name: &str) -> Result<bool> {
    Ok(repo.git.try_find_reference(name)?.is_some())
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = Lock::acquire(&repo, "sprint")?;
    let settings = config::load(&repo)?;
    let n = args.sprint;
    let start = checkpoint::find(&repo, &format!("sprint-{n}"))?.ok_or_else(|| {
        Error::usage(format!("sprint {n} has no start checkpoint 'sprint-{n}'")).hint(format!(
            "create it when the sprint starts: git rollback checkpoint --sprint {n}"
        ))
    })?;
    let start_head = start.state(&repo)?.head;
    let head = repo.head()?;
    let timestamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let backup = branch(&settings.backup_branch, n, &timestamp)?;
    if exists(&repo, &backup)? {
        return Err(
            Error::refused(format!("backup branch '{backup}' already exists"))
                .hint("try again in a second"),
        );
    }
    let retry_base = branch(&settings.retry_branch, n, &timestamp)?;
    let mut retry = retry_base.clone();
    let mut number = 1;
    while exists(&repo, &retry)? {
        number += 1;
        retry = format!("{retry_base}-{number}");
    }

    // Everything is saved on the backup branch before anything runs.
    let verify = super::verify_checks(settings.verify.as_deref(), args.no_test);
    if let (Some(command), false) = (verify.first(), args.dry_run) {
        check::ensure_runnable(&repo, command)?;
    }
    let capture = snapshot::capture(
        &repo,
        Some(&format!("sprint {n} backup")),
        Some(State::of_commit(&repo, start_head)?.worktree_tree),
        None,
    )?;
    let commits = sprint::commits_since(&repo, start_head, head.oid()?)?;
    let start_tree = repo.git.find_commit(start_head)?.tree_id()?.detach();
    let work = sprint::backup_commit(
        &repo,
        &capture,
        &format!("sprint {n} backup: uncommitted work (staged, unstaged and untracked files)\n"),
    )?;
    let work_tree = repo.git.find_commit(work)?.tree_id()?.detach();
    let files = sprint::changed_files(&repo, start_tree, work_tree)?;

    if !args.dry_run {
        repo.git.reference(
            backup.as_str(),
            work,
            PreviousValue::MustNotExist,
            format!("git-rollback: sprint {n} backup"),
        )?;
    }
    // The failure report: the tests run once the work is saved; what they
    // leave in the work tree is captured again by the rollback itself.
    let test = match (verify.first(), args.dry_run) {
        (Some(command), false) => Some(check::run(
            &repo,
            &Check::new("test", &command.command),
            &[],
        )?),
        _ => None,
    };
    let mut request = Request::new(
        Kind::Sprint,
        Target::State(State::of_commit(&repo, start_head)?),
        HeadAfter::Exactly(Head {
            branch: Some(retry.clone()),
            oid: start_head.to_string(),
        }),
    );
    request.checkpoint = Some(start.id.clone());
    request.captured = test.is_none().then_some(capture);
    (request.reason, request.severity) = args.incident.into_parts();
    request.checks = verify;
    request.dry_run = args.dry_run;
    let details = &mut request.details;
    details.insert("sprint".into(), n.into());
    details.insert("branch".into(), head.branch.clone().into());
    details.insert("backup_branch".into(), backup.clone().into());
    details.insert("backup_commit".into(), work.to_string().into());
    details.insert("retry_branch".into(), retry.clone().into());
    details.insert("commits".into(), serde_json::to_value(&commits)?);
    details.insert("files".into(), serde_json::to_value(&files)?);
    if let Some(test) = &test {
        details.insert("test".into(), serde_json::to_value(test)?);
    }
    let outcome = operation::run(&repo, request)?;
    ui.print(&SprintOutcome {
        outcome: &outcome,
        backup_branch: &backup,
        retry_branch: &retry,
        commits: commits.len(),
        files: files.len(),
    })?;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
}

#[derive(serde::Serialize)]
struct SprintOutcome<'a> {
    #[serde(flatten)]
    outcome: &'a operation::Outcome,
    backup_branch: &'a str,
    retry_branch: &'a str,
    commits: usize,
    files: usize,
}

impl crate::ui::Report for SprintOutcome<'_> {
    fn human(&self) -> String {
        fn short(name: &str) -> &str {
            name.strip_prefix("refs/heads/").unwrap_or(name)
        }
        let verb = if self.outcome.dry_run {
            "Would save"
        } else {
            "Saved"
        };
        format!(
            "{}{verb} the sprint's work ({} commit(s), {} file(s) changed, uncommitted and untracked files included) on {}\n{} {}\n",
            crate::ui::Report::human(self.outcome),
            self.commits,
            self.files,
            short(self.backup_branch),
            if self.outcome.dry_run { "Would retry on" } else { "Retry on" },
            short(self.retry_branch),
        )
    }
}
