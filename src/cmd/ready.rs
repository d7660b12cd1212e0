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

/// An [`Item`] as printed: its hint worded.
#[derive(serde::Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    item: &'a Item,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

impl Report for Line<'_> {
    fn human(&self) -> String {
        let item = self.item;
        let mut line = format!("{:<4}  {:<11} {}\n", item.state, item.name, item.detail);
        if let (Some(hint), false) = (&self.hint, item.state == "ok") {
            line.push_str(&format!("      {:<11} hint: {hint}\n", ""));
        }
        line
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let items = check_ready::run(&repo, &settings, args.quick)?;
    let lines: Vec<Line> = items
        .iter()
        .map(|item| Line {
            item,
            hint: item.hint.as_ref().map(super::hints::words),
        })
        .collect();
    ui.print(&lines)?;
    let failed = items.iter().filter(|i| i.state == "fail").count();
    if failed > 0 {
        return Err(Error::refused(format!("{failed} check(s) failed")));
    }
    Ok(())
}
