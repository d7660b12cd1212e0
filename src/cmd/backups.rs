//! Output shared by the backup commands and `checkpoint --backup`: a backup
//! as listed, and a backup just created (with the warning about a backup
//! directory inside the work tree).

use git_rollback::archive::Manifest;
use git_rollback::backup::{self, CreateOptions};
use git_rollback::repo::Repo;
use git_rollback::{config, Result};

use crate::ui::{Report, Ui};

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
            "{:<20} {}  {:>11}  {:>12} -> {:>12}{}{}\n",
            self.id,
            self.created.get(..19).unwrap_or(&self.created),
            super::count(self.files, "file"),
            super::human_size(self.bytes),
            super::human_size(self.size),
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

#[derive(serde::Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub summary: Summary,
    pub event: String,
}

impl Report for Created {
    fn human(&self) -> String {
        format!(
            "Created backup {} ({}, {}, archive {}, sha256 {})\nRestore with: git rollback backup restore {}\n",
            self.summary.id,
            super::count(self.summary.files, "file"),
            super::human_size(self.summary.bytes),
            super::human_size(self.summary.size),
            &self.summary.sha256[..12.min(self.summary.sha256.len())],
            self.summary.id
        )
    }
}

/// Create a backup and record it (`backup create`, `checkpoint --backup`).
pub fn create(
    repo: &Repo,
    settings: &config::Settings,
    options: CreateOptions,
    ui: &Ui,
) -> Result<Created> {
    let (manifest, event) = backup::create_recorded(repo, settings, options, &ui.progress())?;
    if let Some(inside) = backup::inside_worktree(repo, &backup::dir(repo, settings)) {
        ui.warn(&format!(
            "the backup directory '{inside}' is inside the work tree: rollbacks and snapshots leave it out, \
             but `git add -A` would not; set [backup] dir (or {}) to a directory outside it, or ignore it",
            config::BACKUP_DIR_KEY
        ));
    }
    Ok(Created {
        summary: Summary::from(&manifest),
        event,
    })
}
