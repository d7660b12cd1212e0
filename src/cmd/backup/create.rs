//! `git rollback backup create`: a tar.gz of the work tree with its sha256
//! manifest, recorded in the ledger; also used by `checkpoint --backup`.

use git_rollback::backup::{self, CreateOptions};
use git_rollback::{checkpoint, config, Result};

use crate::cmd::Context;
use crate::ui::{Report, Ui};

/// Write a backup of the work tree.
///
/// Tracked and untracked files (and ignored ones with --include-ignored or
/// [backup] include_ignored), never .git. Written to a temporary file and
/// renamed into place when complete; recorded in the operation log.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A note stored in the manifest
    #[arg(short, long)]
    pub message: Option<String>,

    /// Include ignored files (.env, build output); they never enter git objects
    #[arg(long)]
    pub include_ignored: bool,

    /// Tie the backup to this checkpoint (prune keeps it while the checkpoint exists)
    #[arg(long, value_name = "NAME")]
    pub checkpoint: Option<String>,

    /// Count what would be archived and check the space; write nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
}

#[derive(serde::Serialize)]
pub struct Planned {
    dry_run: bool,
    files: u64,
    bytes: u64,
    dir: String,
    free: Option<u64>,
}

impl Report for Planned {
    fn human(&self) -> String {
        format!(
            "Would back up {} entries ({} bytes) to {}{}\n(dry run: nothing written)\n",
            self.files,
            self.bytes,
            self.dir,
            self.free
                .map(|f| format!(" ({f} bytes free)"))
                .unwrap_or_default()
        )
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "backup create", ui)?;
    let settings = config::load(&repo)?;
    let include_ignored = args.include_ignored || settings.backup_include_ignored;
    if args.dry_run {
        let dir = backup::dir(&repo, &settings);
        let (files, bytes) = backup::estimate(&repo, include_ignored)?;
        let free = backup::free_space(&dir);
        backup::ensure_space(&dir, backup::needed(files, bytes))?;
        return ui.print(&Planned {
            dry_run: true,
            files,
            bytes,
            dir: dir.display().to_string(),
            free,
        });
    }
    let checkpoint = match &args.checkpoint {
        Some(name) => Some(checkpoint::resolve(&repo, name)?.id),
        None => None,
    };
    let created = crate::cmd::backups::create(
        &repo,
        &settings,
        CreateOptions {
            message: args.message,
            include_ignored,
            checkpoint,
        },
        ui,
    )?;
    ui.print(&created)
}
