//! `git rollback check`: the pre-rollback checklist.

use git_rollback::check_ready::{self, Item};
use git_rollback::{config, Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Check that a rollback would have what it needs
///
/// One line per item, ok / warn / fail with a hint: checkpoints resolve to
/// commits, the baseline (rollback.baseline) exists, every backup verifies
/// (--quick: archive size and manifest only), the pre-push hook is
/// installed when rollback.prePush is set, the disk has room for a backup,
/// no git operation (merge, rebase, …) is in progress, and each stage of
/// .rollback.toml has the checkpoint, map and backup its levels need.
/// Exit 0 when nothing fails, 3 otherwise. Changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check backups by size and manifest only, without reading them
    #[arg(long)]
    pub quick: bool,
}

impl Report for Item {
    fn human(&self) -> String {
        let mut line = format!("{:<4}  {:<11} {}\n", self.state, self.name, self.detail);
        if let (Some(hint), false) = (&self.hint, self.state == "ok") {
            line.push_str(&format!("      {:<11} hint: {hint}\n", ""));
        }
        line
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let items = check_ready::run(&repo, &settings, args.quick)?;
    ui.print(&items)?;
    let failed = items.iter().filter(|i| i.state == "fail").count();
    if failed > 0 {
        return Err(Error::refused(format!("{failed} check(s) failed")));
    }
    Ok(())
}
