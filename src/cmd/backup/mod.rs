//! `git rollback backup …`: tarball backups of the work tree with sha256
//! manifests, kept under `$GIT_DIR/rollback/backups/` (or `[backup] dir`).

use git_rollback::Result;

use super::Context;
use crate::ui::Ui;

mod create;
mod list;
mod prune;
mod restore;
mod verify;

/// Tarball backups of the work tree, verified before any restore.
///
/// A backup is a standard .tar.gz (plain `tar xzf` extracts it) of the work
/// tree's tracked and untracked files (ignored files only with
/// --include-ignored; never .git), with exec bits, symlinks and empty
/// directories, beside a manifest holding the sha256 of the archive and of
/// every file.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Create(create::Args),
    List(list::Args),
    Verify(verify::Args),
    Restore(restore::Args),
    Prune(prune::Args),
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    match args.command {
        Command::Create(args) => create::run(args, context, ui),
        Command::List(args) => list::run(args, context, ui),
        Command::Verify(args) => verify::run(args, context, ui),
        Command::Restore(args) => restore::run(args, context, ui),
        Command::Prune(args) => prune::run(args, context, ui),
    }
}
