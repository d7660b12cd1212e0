//! `git rollback files`: restore only some paths from a checkpoint.

use std::path::PathBuf;

use git_rollback::check::Check;
use git_rollback::checkpoint;
use git_rollback::config;
use git_rollback::ledger::Kind;
use git_rollback::operation::{self, HeadAfter, Request, Target};
use git_rollback::pathspec::PathSpec;
use git_rollback::Hint;
use git_rollback::{Error, Result};

use super::Context;
use crate::ui::Ui;

/// Restore some files from a checkpoint, in the work tree and the index
///
/// Each PATH (a file, a directory or a quoted glob, relative to the current
/// directory) becomes what it was at the checkpoint; a path the checkpoint
/// does not have is removed. Nothing else is touched and HEAD does not move.
/// What is replaced is saved first: `git rollback undo` brings it back.
///
/// Then, unless --no-test, the test command from .rollback.toml
/// ([files] test, with {tests}, {stems} and {files} expanded from [files]
/// test_map) runs; a failing test exits 1 and the restore stays.
///
/// Examples:
///   git rollback files src/a.rs src/b.rs
///   git rollback files 'src/**/*.rs' --from sprint-3 --dry-run
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Files, directories or globs to restore
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// The checkpoint to restore from (default: rollback.baseline, else the newest checkpoint)
    #[arg(long, value_name = "CHECKPOINT")]
    pub from: Option<String>,

    /// Print the per-path plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Do not run the mapped tests or the verify command
    #[arg(long)]
    pub no_test: bool,

    #[command(flatten)]
    pub incident: super::Incident,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "files", ui)?;
    let settings = config::load(&repo)?;
    let source = match args.from.as_deref().or(settings.baseline.as_deref()) {
        Some(name) => checkpoint::resolve(&repo, name)?,
        None => checkpoint::list(&repo)?.into_iter().next().ok_or_else(|| {
            Error::usage("there is no checkpoint to restore from").hint(Hint::Worded(
                "create one with `git rollback checkpoint`, or name one with --from".into(),
            ))
        })?,
    };
    let paths = args
        .paths
        .iter()
        .map(|p| repo.relative_path(&context.cwd, p))
        .collect::<Result<Vec<_>>>()?;
    let state = source.state(&repo)?;
    let spec = PathSpec::new(paths.clone()).literal_where_present(&repo, &state.trees())?;
    let mut request = Request::new(Kind::Files, Target::State(state), HeadAfter::Keep);
    request.only = Some(spec);
    request.checkpoint = Some(source.id.clone());
    (request.reason, request.severity) = args.incident.into_parts();
    request.details.insert("pathspec".into(), paths.into());
    request.dry_run = args.dry_run;
    request.steps = args.steps.pick(&settings.steps);
    request.checks = super::verify_checks(settings.verify.as_deref(), args.no_test);
    if let (Some(command), false) = (&settings.test_command, args.no_test) {
        request.checks.push(Check {
            test_map: settings.test_map.clone(),
            ..Check::new("test", command)
        });
    }
    let outcome = operation::run(&repo, request)?;
    ui.print(&outcome)?;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
}
