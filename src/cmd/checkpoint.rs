//! `git rollback checkpoint`: tag the current state so it can be rolled back to.

use git_rollback::checkpoint::{self, CreateOptions, Created};
use git_rollback::Result;

use super::{short, Context};
use crate::ui::{Report, Ui};

/// Save the current state as a checkpoint
///
/// Creates the annotated tag refs/tags/checkpoint/NAME. With a clean work tree
/// it points at HEAD; otherwise at a snapshot in git's stash format holding the
/// staged changes, the unstaged changes and the untracked files (ignored files
/// are never included). HEAD, the index and the work tree are not touched.
///
/// Examples:
///   git rollback checkpoint                      # named after the UTC time
///   git rollback checkpoint before-refactor -m "all tests green"
///   git rollback checkpoint --sprint 3           # named sprint-3
///   git rollback checkpoint --delete old-name     # undo brings it back
///   git rollback checkpoint old --rename new     # undo renames it back
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The checkpoint's name (default: the UTC time as YYYYMMDD-HHMMSS)
    pub name: Option<String>,

    /// The tag message
    #[arg(short, long)]
    pub message: Option<String>,

    /// Name it sprint-N and record it as sprint N's start (instead of NAME)
    #[arg(long, value_name = "N", conflicts_with = "name")]
    pub sprint: Option<u32>,

    /// Record the stage (phase, story or feature) this checkpoint belongs to
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,

    /// Move an existing checkpoint of the same name here
    #[arg(short, long)]
    pub force: bool,

    /// Also take a tarball backup of the work tree, tied to this checkpoint
    #[arg(long)]
    pub backup: bool,

    /// Print what would be saved; create no tag, record nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Delete the checkpoint NAME (recorded; `git rollback undo` brings it back)
    #[arg(short = 'd', long, requires = "name", conflicts_with_all = ["sprint", "message", "force", "backup", "stage", "rename"])]
    pub delete: bool,

    /// Rename the checkpoint NAME to NEW (recorded; undoable)
    #[arg(long, value_name = "NEW", requires = "name", conflicts_with_all = ["sprint", "message", "force", "backup", "stage"])]
    pub rename: Option<String>,
}

#[derive(serde::Serialize)]
struct WithBackup {
    #[serde(flatten)]
    created: Created,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<super::backups::Created>,
}

impl Report for WithBackup {
    fn human(&self) -> String {
        let mut out = self.created.human();
        if let Some(backup) = &self.backup {
            out.push_str(&backup.human());
        }
        out
    }
}

impl Report for Created {
    fn human(&self) -> String {
        let c = &self.checkpoint;
        let state = if c.dirty {
            format!(
                "snapshot of uncommitted work: {} staged, {} unstaged, {} untracked",
                self.counts.staged, self.counts.unstaged, self.counts.untracked
            )
        } else {
            "clean".to_owned()
        };
        if self.dry_run {
            return format!(
                "Would create checkpoint '{}' at {} ({state})\n(dry run: nothing changed)\n",
                c.id,
                short(&c.target)
            );
        }
        format!(
            "Created checkpoint '{}' at {} ({state})\nRoll back to it with: git rollback to {}\n",
            c.id,
            short(&c.target),
            c.id
        )
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "checkpoint", ui)?;
    if args.delete || args.rename.is_some() {
        let name = args.name.as_deref().unwrap_or_default();
        let outcome =
            checkpoint::delete_or_rename(&repo, name, args.rename.as_deref(), args.dry_run)?;
        return ui.print(&outcome);
    }
    // Read the settings first: a broken .rollback.toml must stop us before the tag is made.
    let settings = if args.backup {
        Some(git_rollback::config::load(&repo)?)
    } else {
        None
    };
    let mut details = serde_json::Map::new();
    if let Some(sprint) = args.sprint {
        details.insert("sprint".into(), sprint.into());
    }
    if let Some(stage) = &args.stage {
        details.insert("stage".into(), stage.clone().into());
    }
    let created = checkpoint::create(
        &repo,
        CreateOptions {
            name: args.name.or(args.sprint.map(|n| format!("sprint-{n}"))),
            message: args.message,
            force: args.force,
            dry_run: args.dry_run,
            details,
            at: None,
        },
    )?;
    if created.checkpoint.untracked && !created.dry_run {
        ui.warn(&format!(
            "checkpoint '{}' holds untracked files (in its snapshot's third parent); \
             `git push --tags` would publish them; `git rollback sync` shares checkpoints and keeps this one home",
            created.checkpoint.id
        ));
    }
    let backup = if let (Some(settings), false) = (&settings, args.dry_run) {
        let options = git_rollback::backup::CreateOptions {
            message: Some(format!("checkpoint {}", created.checkpoint.id)),
            include_ignored: settings.backup_include_ignored,
            checkpoint: Some(created.checkpoint.id.clone()),
        };
        Some(super::backups::create(&repo, settings, options, ui)?)
    } else {
        None
    };
    ui.print(&WithBackup { created, backup })
}
