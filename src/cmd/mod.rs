//! The command line: global options, one module per subcommand, and the one
//! exhaustive `match` that runs them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use git_rollback::repo::Repo;
use git_rollback::Hint;
use git_rollback::Result;

use crate::ui::Ui;

mod backup;
mod backups;
mod checkpoint;
mod diff;
mod drill;
mod events;
mod files;
mod gc;
mod guard;
pub mod hints;
mod hook;
mod list;
mod log;
mod man;
mod map;
mod outcome;
mod ready;
mod recover;
mod redo;
mod report;
mod show;
mod sprint;
mod stage;
mod stats;
mod sync;
mod to;
mod undo;

/// Checkpoints, rollbacks and undo for git repositories.
///
/// Every command that changes HEAD, the index or the work tree first saves
/// what it replaces (tracked, staged and untracked files) as a safety
/// snapshot, so `git rollback undo` can bring it back. All state lives in the
/// repository: checkpoints are annotated tags under refs/tags/checkpoint/,
/// the operation log is git notes under refs/notes/rollback, and snapshots
/// are commits in git's stash format.
#[derive(Debug, Parser)]
#[command(
    name = "git-rollback",
    bin_name = "git rollback",
    version,
    max_term_width = 100
)]
pub struct Cli {
    /// Run as if started in PATH (like `git -C`); may be given more than once
    #[arg(short = 'C', value_name = "PATH", global = true)]
    pub directory: Vec<PathBuf>,

    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Print nothing but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Checkpoint(checkpoint::Args),
    List(list::Args),
    Show(show::Args),
    Check(ready::Args),
    Drill(drill::Args),
    Diff(diff::Args),
    To(to::Args),
    Files(files::Args),
    Sprint(sprint::Args),
    Undo(undo::Args),
    Gc(gc::Args),
    Guard(guard::Args),
    Hook(hook::Args),
    Sync(sync::Args),
    Redo(redo::Args),
    Recover(recover::Args),
    Log(log::Args),
    Backup(backup::Args),
    Map(map::Args),
    Stage(stage::Args),
    Report(report::Args),
    Stats(stats::Args),
    #[command(hide = true, name = "generate-man")]
    GenerateMan(man::Args),
    /// Print a completion script for a shell
    #[command(name = "completions")]
    Completions(man::CompletionArgs),
    #[command(name = "install-man")]
    InstallMan(man::InstallArgs),
}

/// What every command gets besides its own arguments.
pub struct Context {
    /// The directory the command runs in (after `-C`).
    pub cwd: PathBuf,
    /// The repository's objects directory and `gc.auto`, once it is opened:
    /// after the command, git's own maintenance runs when loose objects piled up.
    maintenance: std::cell::OnceCell<(PathBuf, Option<i64>)>,
}

impl Context {
    /// Take the repository's operation lock for `what`; when it was left by
    /// a killed operation, say which, and how to see and reverse what it did.
    pub fn lock(&self, repo: &Repo, what: &str, ui: &Ui) -> Result<git_rollback::lock::Lock> {
        let lock = git_rollback::lock::Lock::acquire(repo, what)?;
        if let Some(interrupted) = &lock.took_over {
            ui.warn(&format!(
                "an interrupted `{interrupted}` left the operation lock (its process is gone); took it over"
            ));
        }
        for removed in &lock.removed {
            ui.warn(&format!(
                "removed '{}', left by the interrupted operation",
                removed.display()
            ));
        }
        // Only a warning: a ledger that cannot be read must not stop the
        // command (log and undo name what is wrong with it).
        if let Ok(Some(event)) = git_rollback::operation::find_interrupted(repo) {
            let what = match &event.checkpoint {
                Some(checkpoint) => format!("{} {checkpoint}", event.kind),
                None => event.kind.to_string(),
            };
            ui.warn(&format!(
                "operation {} ({what}) did not finish: `git rollback undo` reverses it \
                 (`git rollback log {}` shows what it recorded)",
                event.id, event.id
            ));
        }
        Ok(lock)
    }

    /// Open the repository containing `cwd`, then, like git, work from the
    /// top of its work tree (the process changes directory here, never in
    /// the library; paths from the command line are resolved against `cwd`).
    pub fn repo(&self) -> Result<Repo> {
        let repo = Repo::discover(&self.cwd)?;
        let _ = self.maintenance.set((
            repo.common_dir().join("objects"),
            repo.git.config_snapshot().integer("gc.auto"),
        ));
        crate::ui::set_color_ui(
            repo.git
                .config_snapshot()
                .string("color.ui")
                .map(|v| v.to_string()),
        );
        if Repo::may_work_from_the_top() && std::env::set_current_dir(repo.workdir()).is_ok() {
            return Ok(Repo::discover(std::path::Path::new(".")).unwrap_or(repo));
        }
        Ok(repo)
    }
}

/// Run the parsed command line.
pub fn run(cli: Cli, ui: &Ui) -> Result<()> {
    let mut cwd = std::env::current_dir().map_err(|err| {
        git_rollback::Error::usage(format!("cannot read the current directory: {err}")).hint(
            Hint::Worded("it was probably deleted: cd to the repository again".into()),
        )
    })?;
    for dir in &cli.directory {
        cwd = cwd.join(dir);
    }
    if !cwd.is_dir() {
        return Err(git_rollback::Error::usage(format!(
            "cannot change to '{}': no such directory",
            cwd.display()
        )));
    }
    let context = Context {
        cwd,
        maintenance: Default::default(),
    };
    let result = run_command(cli.command, &context, ui);
    if let (Ok(()), Some((objects, gc_auto))) = (&result, context.maintenance.get()) {
        if git_rollback::repo::loose_objects_pile_up(objects, *gc_auto) {
            start_maintenance(objects);
        }
    }
    result
}

/// Like `git commit` does: git's own maintenance, detached, when the loose
/// objects this tool (and others) wrote piled up past `gc.auto`.
fn start_maintenance(objects: &std::path::Path) {
    let git_dir = objects.parent().unwrap_or(objects);
    let _ = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["maintenance", "run", "--auto", "--quiet"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

fn run_command(command: Command, context: &Context, ui: &Ui) -> Result<()> {
    match command {
        Command::Checkpoint(args) => checkpoint::run(args, context, ui),
        Command::List(args) => list::run(args, context, ui),
        Command::Show(args) => show::run(args, context, ui),
        Command::Check(args) => ready::run(args, context, ui),
        Command::Drill(args) => drill::run(args, context, ui),
        Command::Diff(args) => diff::run(args, context, ui),
        Command::To(args) => to::run(args, context, ui),
        Command::Files(args) => files::run(args, context, ui),
        Command::Sprint(args) => sprint::run(args, context, ui),
        Command::Undo(args) => undo::run(args, context, ui),
        Command::Gc(args) => gc::run(args, context, ui),
        Command::Guard(args) => guard::run(args, context, ui),
        Command::Hook(args) => hook::run(args, context, ui),
        Command::Sync(args) => sync::run(args, context, ui),
        Command::Redo(args) => redo::run(args, context, ui),
        Command::Recover(args) => recover::run(args, context, ui),
        Command::Log(args) => log::run(args, context, ui),
        Command::Backup(args) => backup::run(args, context, ui),
        Command::Map(args) => map::run(args, context, ui),
        Command::Stage(args) => stage::run(args, context, ui),
        Command::Report(args) => report::run(args, context, ui),
        Command::Stats(args) => stats::run(args, context, ui),
        Command::GenerateMan(args) => man::run(args),
        Command::Completions(args) => man::completions(args),
        Command::InstallMan(args) => man::install(args, ui),
    }
}

/// Why a rollback happens, recorded in its event for `report` and `stats`.
#[derive(Debug, Clone, clap::Args)]
pub struct Incident {
    /// Why (recorded in the operation log, incident reports and stats)
    #[arg(long)]
    pub reason: Option<String>,

    /// How severe the incident is
    #[arg(long, value_enum)]
    pub severity: Option<Severity>,
}

impl Incident {
    /// The reason and severity as the event records them.
    pub fn into_parts(self) -> (Option<String>, Option<String>) {
        (self.reason, self.severity.map(|s| s.as_str().to_owned()))
    }
}

/// `--no-steps`, for every rollback that runs the steps of `.rollback.toml`.
#[derive(Debug, Clone, clap::Args)]
pub struct StepsArg {
    /// Do not run the before, after and notify steps (.rollback.toml, rollback.*)
    #[arg(long)]
    pub no_steps: bool,
}

impl StepsArg {
    /// `steps`, unless --no-steps.
    pub fn pick(&self, steps: &git_rollback::steps::Steps) -> git_rollback::steps::Steps {
        if self.no_steps {
            git_rollback::steps::Steps::default()
        } else {
            steps.clone()
        }
    }
}

/// How far a stage rollback goes (`stage`, `drill --stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// Write the stage's feature flags into the env file
    Toggle,
    /// Restore the stage's paths from its checkpoint and revert its migration map
    Code,
    /// Restore the stage's backup
    Full,
}

impl Level {
    pub fn into_library(self) -> git_rollback::stage::Level {
        match self {
            Level::Toggle => git_rollback::stage::Level::Toggle,
            Level::Code => git_rollback::stage::Level::Code,
            Level::Full => git_rollback::stage::Level::Full,
        }
    }
}

/// How bad the incident behind a rollback is.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The `verify` command as a check, unless disabled.
pub fn verify_checks(command: Option<&str>, disabled: bool) -> Vec<git_rollback::check::Check> {
    match (command, disabled) {
        (Some(command), false) => vec![git_rollback::check::Check::new("verify", command)],
        _ => Vec::new(),
    }
}

/// Exit 1 (after the report is printed) when a check failed; the hint
/// names the operation that `undo` reverses.
pub fn checks_verdict(
    checks: &[git_rollback::check::CheckResult],
    operation: Option<&str>,
) -> Result<()> {
    match checks.iter().find(|c| !c.ok) {
        Some(failed) => Err(git_rollback::Error::failed(format!(
            "{} command `{}` failed (exit {})",
            failed.name,
            failed.command,
            failed.status.unwrap_or(-1)
        ))
        .hint(Hint::Worded(match operation {
            Some(id) => format!("the rollback stays; `git rollback undo {id}` reverses it"),
            None => "the rollback stays".to_owned(),
        }))),
        None => Ok(()),
    }
}

/// The first 7 hex digits of an object id, as git abbreviates.
/// A size as git's `-H` prints it: `142 bytes`, `4.20 KiB`, `213.00 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return count(bytes as usize, "byte");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// `1 path`, `2 paths`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_and_counts_read_as_people_write_them() {
        assert_eq!(super::human_size(1), "1 byte");
        assert_eq!(super::human_size(1023), "1023 bytes");
        assert_eq!(super::human_size(4300), "4.20 KiB");
        assert_eq!(super::human_size(213 * 1024 * 1024), "213.00 MiB");
        assert_eq!(super::human_size(3 << 40), "3.00 TiB");
        assert_eq!(super::count(1, "path"), "1 path");
        assert_eq!(super::count(0, "path"), "0 paths");
    }
}
