//! `git rollback diff`: how the work tree differs from a checkpoint.

use git_rollback::checkpoint;
use git_rollback::{Error, Result};

use super::Context;
use crate::ui::{Report, Ui};

/// Show how the work tree differs from a checkpoint
///
/// Runs `git diff` between the checkpoint's state (its commit, or for a
/// dirty checkpoint the work tree its snapshot recorded) and the files in
/// the work tree, so git's pager, colors and diff options apply. Tracked
/// files only: files the checkpoint held untracked are listed by
/// `git rollback show`. Nothing is changed.
///
/// Examples:
///   git rollback diff base
///   git rollback diff base --stat -- src/
///   git rollback diff base --json      (the changed paths and their status)
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The checkpoint to compare with
    pub checkpoint: String,

    /// Only a summary of the changes per file (`git diff --stat`)
    #[arg(long, conflicts_with = "name_status")]
    pub stat: bool,

    /// Only the changed paths and how (`git diff --name-status`)
    #[arg(long)]
    pub name_status: bool,

    /// Limit to these paths (relative to the current directory)
    #[arg(last = true)]
    pub paths: Vec<String>,
}

/// One changed path, for --json.
#[derive(serde::Serialize)]
struct Changed {
    /// git's status letter: A, M, D, T.
    status: String,
    path: String,
}

impl Report for Changed {
    fn human(&self) -> String {
        format!("{}\t{}\n", self.status, self.path)
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let checkpoint = checkpoint::resolve(&repo, &args.checkpoint)?;
    let tree = checkpoint.state(&repo)?.worktree_tree.to_string();
    // gix has no patch printer; git's own diff (pager, color, options) is
    // what a user of this command expects.
    let mut git = std::process::Command::new("git");
    git.arg("-C").arg(&context.cwd).arg("diff");
    if ui.is_json() {
        git.args(["--name-status", "-z", "--no-renames"]);
    } else if args.stat {
        git.arg("--stat");
    } else if args.name_status {
        git.arg("--name-status");
    }
    git.arg(&tree).arg("--").args(&args.paths);
    if ui.is_json() {
        let out = git
            .output()
            .map_err(|e| Error::failed(format!("running git diff: {e}")))?;
        if !out.status.success() {
            return Err(Error::failed(format!(
                "git diff failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let fields: Vec<&[u8]> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|f| !f.is_empty())
            .collect();
        let changed: Vec<Changed> = fields
            .chunks(2)
            .filter(|pair| pair.len() == 2)
            .map(|pair| Changed {
                status: String::from_utf8_lossy(pair[0]).into_owned(),
                path: String::from_utf8_lossy(pair[1]).into_owned(),
            })
            .collect();
        return ui.print(&changed);
    }
    let status = git
        .status()
        .map_err(|e| Error::failed(format!("running git diff: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        _ => Err(Error::failed("git diff failed")),
    }
}
