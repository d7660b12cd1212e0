//! `git rollback map …`: migration maps — record moves as they are made,
//! derive them by rename detection, show them, revert them all-or-nothing.

use std::path::PathBuf;

use git_rollback::maps::{self, Which};
use git_rollback::migration::{self, Map, Move};
use git_rollback::repo::Repo;
use git_rollback::snapshot::{self, State};
use git_rollback::Hint;
use git_rollback::{checkpoint, Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Migration maps: the moves of a restructure, and their reversal.
///
/// A map is a list of moves (a file or a whole directory). It is recorded
/// move by move (`map record`, stored in the operation log), derived by
/// rename detection between a checkpoint and now (`map derive`), or read
/// from a file: TOML (`[[migration]] source = "…" destination = "…"`) or
/// JSON (`{"migrations": [{"source": "…", "destination": "…"}]}`).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Record(RecordArgs),
    Derive(DeriveArgs),
    Show(SourceArgs),
    Revert(RevertArgs),
}

/// Move a file or directory (like `git mv`) and record the move in the current map.
///
/// Tracked files move in the index too; untracked files move in the work
/// tree. Undo with `git rollback undo`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// What to move
    pub source: PathBuf,
    /// Where to
    pub destination: PathBuf,
    /// Print the plan and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

/// Find the moves between a checkpoint and a revision (default: the work tree).
///
/// Rename detection as git does it; a directory that moved whole is one move.
/// Prints TOML, or JSON with --json.
#[derive(Debug, clap::Args)]
pub struct DeriveArgs {
    /// The checkpoint before the restructure (default: the newest)
    #[arg(long, value_name = "CHECKPOINT")]
    pub from: Option<String>,
    /// The revision after it (default: the work tree, untracked files included)
    #[arg(long, value_name = "REV")]
    pub to: Option<String>,
    /// Write the map to FILE
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Which map: a file, one derived from a checkpoint, or the recorded one.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// A map file (TOML or JSON); default: the moves recorded with `map record`
    pub file: Option<PathBuf>,
    /// Derive the map from this checkpoint to the work tree
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "file")]
    pub from: Option<String>,
}

/// Reverse every move of a map (destination back to source), all or nothing.
///
/// Every precondition is checked before the first move: each destination
/// exists, no source is occupied by a different file, no two moves collide.
/// Any conflict: exit 3, every conflict listed, nothing moved. Files edited
/// after their move (drift) are listed and moved back with their edits.
/// Modes are kept, emptied directories removed, the index updated for
/// tracked files. Undo with `git rollback undo` (re-applies the moves).
#[derive(Debug, clap::Args)]
pub struct RevertArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the plan and the drift, change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Move back even where a source path is occupied (the occupant is in the safety snapshot)
    #[arg(short, long)]
    pub force: bool,
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    match args.command {
        Command::Record(args) => record(args, context, ui),
        Command::Derive(args) => derive(args, context, ui),
        Command::Show(args) => show(args, context, ui),
        Command::Revert(args) => revert(args, context, ui),
    }
}

/// A map as printed.
#[derive(serde::Serialize)]
struct Shown {
    migrations: Vec<Move>,
    #[serde(skip)]
    toml: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

impl Report for Shown {
    fn human(&self) -> String {
        match &self.file {
            Some(file) => format!("Wrote {} moves to {file}\n", self.migrations.len()),
            None if self.migrations.is_empty() => "(no moves)\n".to_owned(),
            None => self.toml.clone(),
        }
    }
}

fn shown(map: Map, file: Option<String>) -> Result<Shown> {
    Ok(Shown {
        toml: map.to_toml()?,
        migrations: map.moves,
        file,
    })
}

/// The map the arguments name: a file (relative to the current directory),
/// one derived from a checkpoint, or the recorded one.
fn which(context: &Context, args: &SourceArgs) -> Result<Which> {
    Ok(match (&args.file, &args.from) {
        (Some(file), _) => Which::File {
            name: file.display().to_string(),
            text: std::fs::read_to_string(context.cwd.join(file)).map_err(|e| {
                Error::usage(format!("cannot read map file '{}': {e}", file.display()))
            })?,
        },
        (None, Some(name)) => Which::DerivedFrom(name.clone()),
        (None, None) => Which::Recorded,
    })
}

/// The state of the work tree now (for derive and show without a revision).
fn current(repo: &Repo) -> Result<State> {
    Ok(snapshot::capture(repo, Some("git-rollback: map"), None, None)?.state)
}

fn from_checkpoint(repo: &Repo, name: Option<&str>) -> Result<checkpoint::Checkpoint> {
    match name {
        Some(name) => checkpoint::resolve(repo, name),
        None => checkpoint::list(repo)?.into_iter().next().ok_or_else(|| {
            Error::usage("there is no checkpoint to derive from")
                .hint(Hint::Worded("name one with --from".into()))
        }),
    }
}

fn derive(args: DeriveArgs, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let from = from_checkpoint(&repo, args.from.as_deref())?.state(&repo)?;
    let to = match &args.to {
        Some(rev) => {
            let id = repo
                .git
                .rev_parse_single(rev.as_str())
                .map_err(|_| Error::usage(format!("revision '{rev}' not found")))?
                .object()?
                .peel_to_commit()?
                .id;
            State::of_commit(&repo, id)?
        }
        None => current(&repo)?,
    };
    let map = migration::derive(&repo, &from, &to)?;
    let file = match &args.output {
        Some(path) => {
            let text = if path.extension().is_some_and(|e| e == "json") {
                map.to_json()?
            } else {
                map.to_toml()?
            };
            std::fs::write(context.cwd.join(path), text)
                .map_err(|e| Error::usage(format!("cannot write '{}': {e}", path.display())))?;
            Some(path.display().to_string())
        }
        None => None,
    };
    ui.print(&shown(map, file)?)
}

fn show(args: SourceArgs, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let map = maps::read(&repo, which(context, &args)?)?;
    ui.print(&shown(map, None)?)
}

fn record(args: RecordArgs, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "map record", ui)?;
    let mut destination = repo.relative_path(&context.cwd, &args.destination)?;
    if args.destination.to_string_lossy().ends_with('/') {
        destination.push('/');
    }
    let step = Move {
        source: repo.relative_path(&context.cwd, &args.source)?,
        destination,
    };
    ui.print(&maps::record(&repo, step, args.dry_run)?)
}

fn revert(args: RevertArgs, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "map revert", ui)?;
    let which = which(context, &args.source)?;
    ui.print(&maps::revert(&repo, which, args.force, args.dry_run)?)
}
