//! `git rollback backup …`: tarball backups of the work tree with sha256
//! manifests, kept under `$GIT_DIR/rollback/backups/` (or `[backup] dir`).

use git_rollback::archive::Manifest;
use git_rollback::Result;

use super::Context;
use crate::ui::{Report, Ui};

pub mod create;
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

/// A backup as listed: the manifest without its entries.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    pub id: String,
    pub created: String,
    pub files: usize,
    pub bytes: u64,
    pub size: u64,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<&Manifest> for Summary {
    fn from(m: &Manifest) -> Self {
        Summary {
            id: m.id.clone(),
            created: m.created.clone(),
            files: m.files,
            bytes: m.bytes,
            size: m.archive.size,
            sha256: m.archive.sha256.clone(),
            checkpoint: m.checkpoint.clone(),
            message: m.message.clone(),
        }
    }
}

impl Report for Summary {
    fn human(&self) -> String {
        format!(
            "{:<20} {}  {:>7} files  {:>12} bytes -> {:>12}{}{}\n",
            self.id,
            self.created.get(..19).unwrap_or(&self.created),
            self.files,
            self.bytes,
            self.size,
            self.checkpoint
                .as_ref()
                .map(|c| format!("  checkpoint {c}"))
                .unwrap_or_default(),
            self.message
                .as_ref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default(),
        )
    }
}
