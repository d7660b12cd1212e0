//! `git rollback backup restore`: verify a backup and restore all or some of
//! its paths, in place (an undoable operation) or into another directory.

use std::path::PathBuf;

use git_rollback::backup::{self, Archive, Restored};
use git_rollback::pathspec::PathSpec;
use git_rollback::{config, Result};

use crate::cmd::Context;
use crate::ui::{Report, Ui};

/// Restore a backup, all of it or some paths, in place or into a directory.
///
/// The whole archive is verified (its sha256 and every file's) while it is
/// extracted to a staging directory; only then are files moved into place.
/// Entries that are absolute, contain `..` or pass through a symlink are
/// refused. In place, the files it replaces are saved first, so
/// `git rollback undo` brings them back; nothing is deleted.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup id (`latest` for the newest)
    pub id: String,

    /// Restore only these paths (files, directories or globs, relative to the current directory, like `files`)
    pub paths: Vec<String>,

    /// Extract into DIR instead of the work tree
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,

    /// With --into: replace files already in DIR (not saved anywhere)
    #[arg(long, requires = "into")]
    pub force: bool,

    /// Check everything and print what would be restored; change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub incident: crate::cmd::Incident,

    /// Do not run the verify command afterwards
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub steps: crate::cmd::StepsArg,
}

impl Report for Restored {
    fn human(&self) -> String {
        let verb = if self.dry_run {
            "Would restore"
        } else {
            "Restored"
        };
        let mut out = format!(
            "{verb} {} paths of backup {} into {}\n",
            self.files, self.id, self.target
        );
        if self.dry_run {
            for path in &self.paths {
                out.push_str(&format!("  restore  {path}\n"));
            }
            if self.files > self.paths.len() {
                out.push_str(&format!("  … and {} more\n", self.files - self.paths.len()));
            }
        }
        out
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let _lock = context.lock(&repo, "backup restore", ui)?;
    let settings = config::load(&repo)?;
    let dir = backup::dir(&repo, &settings);
    let manifest = backup::find(&dir, &args.id)?;
    let paths = args
        .paths
        .iter()
        .map(|p| repo.relative_path(&context.cwd, std::path::Path::new(p)))
        .collect::<Result<Vec<_>>>()?;
    let archive = Archive {
        dir,
        manifest,
        only: (!paths.is_empty()).then(|| PathSpec::new(paths)),
        progress: Box::new(ui.progress()),
    };
    if let Some(into) = args.into {
        return ui.print(&backup::restore_into(
            &repo,
            &archive,
            &context.cwd.join(into),
            args.dry_run,
            args.force,
        )?);
    }
    let checks = crate::cmd::verify_checks(settings.verify.as_deref(), args.no_verify);
    let outcome = backup::restore_in_place(
        &repo,
        archive,
        args.incident.into_parts(),
        checks,
        args.steps.pick(&settings.steps),
        args.dry_run,
    )?;
    ui.print(&outcome)?;
    crate::cmd::checks_verdict(&outcome.checks, outcome.id.as_deref())
}
