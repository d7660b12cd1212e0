//! `git rollback backup list`: the complete backups, newest first (a
//! damaged manifest is listed as DAMAGED, not hidden).

use git_rollback::{backup, config, Result};

use crate::cmd::backups::Summary;
use crate::cmd::Context;
use crate::ui::Ui;

/// List backups, newest first.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let all = backup::list(&backup::dir(&repo, &settings))?;
    ui.print_list(
        &all.iter().map(Summary::from).collect::<Vec<_>>(),
        "No backups yet; make one with: git rollback backup create",
    )
}
