//! `git rollback backup verify`: recompute every hash of one or all backups;
//! exit 3 when any is damaged.

use git_rollback::Hint;
use git_rollback::{backup, config, Error, Result};

use crate::cmd::Context;
use crate::ui::{Report, Ui};

/// Check backups: the archive's sha256 and every file's sha256.
///
/// Exits 3 if any backup is damaged, naming the damaged entry.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Backups to check (default: all)
    pub ids: Vec<String>,
}

#[derive(serde::Serialize)]
pub struct Verified {
    id: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Report for Verified {
    fn human(&self) -> String {
        match &self.error {
            None => format!("ok       {}\n", self.id),
            Some(error) => format!("DAMAGED  {}: {error}\n", self.id),
        }
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let dir = backup::dir(&repo, &settings);
    let ids: Vec<String> = if args.ids.is_empty() {
        backup::list(&dir)?.into_iter().map(|m| m.id).collect()
    } else {
        args.ids
    };
    let mut results = Vec::new();
    for id in &ids {
        let outcome = backup::find(&dir, id)
            .and_then(|manifest| backup::verify(&dir, &manifest, &ui.progress()));
        if let Err(err) = &outcome {
            if err.kind == git_rollback::Kind::Usage {
                return Err(Error::usage(err.message.clone()).hint(Hint::ListBackups));
            }
        }
        results.push(Verified {
            id: id.clone(),
            ok: outcome.is_ok(),
            error: outcome.err().map(|e| e.message),
        });
    }
    ui.print(&results)?;
    match results.iter().find(|r| !r.ok) {
        Some(damaged) => Err(
            Error::refused(damaged.error.clone().unwrap_or_default()).hint(Hint::Worded(
                "do not restore a damaged backup; take a new one with `git rollback backup create`"
                    .into(),
            )),
        ),
        None => Ok(()),
    }
}
