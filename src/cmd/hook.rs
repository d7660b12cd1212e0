//! `git rollback hook`: the pre-push hook that keeps a remote's old tip as
//! a checkpoint before a force push or a deletion.

use git_rollback::hook::{self, Kept, Status};
use git_rollback::Hint;
use git_rollback::Result;

use super::Context;
use crate::ui::{Report, Ui};

/// Guard pushes: keep a remote branch's old tip before a push overwrites it
///
/// With git 2.54 or later, `install` defines the hook in the repository's
/// config (hook.git-rollback.event = pre-push, hook.git-rollback.command),
/// which git runs beside any other pre-push hook or hook manager (husky,
/// lefthook, pre-commit) without touching their files. With older git (or
/// --hooks-dir) it puts our lines into the pre-push hook of the effective
/// hooks directory (core.hooksPath, else the common git dir's hooks/): a new
/// hook, a marked block in an existing shell hook (which keeps running with
/// the same input), or, with --force, a hook that is not a shell script
/// chained after ours. `uninstall` removes exactly what install added. Then, on a
/// push that overwrites a remote ref with a commit that does not contain
/// its old value (a force push) or deletes it, the old tip becomes the
/// checkpoint pre-push/<remote>/<branch>/<time> (restore it with
/// `git rollback to`); a fast-forward push records nothing.
///
/// Examples:
///   git rollback hook install
///   git rollback hook status
///   git rollback hook uninstall
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install the pre-push hook (installing twice changes nothing)
    Install {
        /// Chain a pre-push hook that is not a shell script after ours
        #[arg(long)]
        force: bool,

        /// Define it in the repository's config (hook.git-rollback.*; git 2.54 or later)
        #[arg(long, conflicts_with = "hooks_dir")]
        config: bool,

        /// Write it into the hooks directory even where git runs configured hooks
        #[arg(long)]
        hooks_dir: bool,
    },
    /// Remove what install added, byte for byte
    Uninstall,
    /// Where the hook is, and whether something else runs on pre-push
    Status,
    /// What the hook runs: reads git's pre-push lines on stdin
    PrePush {
        /// The remote's name (or its URL when it has none)
        remote: String,
        /// The remote's URL
        url: Option<String>,
    },
}

impl Report for Status {
    fn human(&self) -> String {
        let state = match (self.installed, self.how.as_deref()) {
            (false, _) => "not installed".to_owned(),
            (true, Some("created")) => "installed (a hook of its own)".to_owned(),
            (true, Some("chained")) => "installed; the earlier hook runs after it".to_owned(),
            (true, _) => "installed (a marked block in the hook)".to_owned(),
        };
        let config = self.how.as_deref() == Some("config");
        let mut out = if config {
            format!(
                "pre-push hook: installed as hook.git-rollback in {}\n",
                self.path
            )
        } else {
            format!("pre-push hook {}: {state}\n", self.path)
        };
        for other in &self.also_runs {
            out.push_str(&format!("also runs on pre-push: {other}\n"));
        }
        if !self.changed {
            out.push_str("(nothing changed)\n");
        }
        out
    }
}

impl Report for Kept {
    fn human(&self) -> String {
        match &self.checkpoint {
            Some(name) => format!(
                "git-rollback: {} {}: its old tip {} is checkpoint {name} (git rollback to {name})\n",
                if self.what == "delete" { "deleting" } else { "force push to" },
                self.remote_ref,
                super::short(&self.old)
            ),
            None => format!(
                "git-rollback: {} of {}: its old tip {} is not in this clone; recorded as {}\n",
                self.what, self.remote_ref, super::short(&self.old), self.event
            ),
        }
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    match args.command {
        HookCommand::Install {
            force,
            config,
            hooks_dir,
        } => {
            let method = match (config, hooks_dir) {
                (true, _) => hook::Method::Config,
                (_, true) => hook::Method::HooksDir,
                _ => hook::Method::Auto,
            };
            ui.print(&hook::install(&repo, force, method)?)
        }
        HookCommand::Uninstall => ui.print(&hook::uninstall(&repo)?),
        HookCommand::Status => ui.print(&hook::status(&repo)?),
        HookCommand::PrePush { remote, url } => {
            let mut stdin = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut stdin)?;
            let url = url.unwrap_or_else(|| remote.clone());
            // `rollback.prePush = check`: a push goes out only when the
            // checklist passes (backups checked by size and manifest).
            let mode = repo
                .git
                .config_snapshot()
                .string("rollback.prePush")
                .map(|v| v.to_string());
            if mode.as_deref() == Some("check") {
                let settings = git_rollback::config::load(&repo)?;
                let items = git_rollback::check_ready::run(&repo, &settings, true)?;
                let failed: Vec<&git_rollback::check_ready::Item> =
                    items.iter().filter(|i| i.state == "fail").collect();
                if !failed.is_empty() {
                    for item in &failed {
                        eprintln!("git-rollback: {}: {}", item.name, item.detail);
                    }
                    return Err(git_rollback::Error::refused(
                        "push refused: not ready for a rollback (rollback.prePush = check)",
                    )
                    .hint(Hint::Worded("`git rollback check` lists what fails; `git push --no-verify` skips the hook".into())));
                }
            }
            let kept = {
                let _lock = context.lock(&repo, "hook pre-push", ui)?;
                hook::pre_push(&repo, &remote, &url, &stdin)?
            };
            // The hook's messages go to stderr, where git shows them.
            for k in &kept {
                eprint!("{}", k.human());
            }
            if ui.is_json() {
                ui.print(&kept)?;
            }
            Ok(())
        }
    }
}
