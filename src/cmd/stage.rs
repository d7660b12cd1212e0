//! `git rollback stage`: roll back one named stage (a phase, story or
//! feature from `.rollback.toml`) at one of three levels.

use git_rollback::stage::{self, Listed, Options};
use git_rollback::{config, Result};

use super::Context;
use crate::ui::{Report, Ui};

use super::Level;

/// Roll back one stage from .rollback.toml, or list the stages
///
/// A stage ([[stage]] in .rollback.toml) is a phase, story or feature:
///   --level toggle  writes its toggles into env_file (keys replaced in place,
///                   missing keys appended, every other line kept)
///   --level code    restores its paths from its checkpoint and reverts its
///                   migration map, as one operation (the default)
///   --level full    restores its backup
/// Then its verify command (else the top-level one) runs: failure exits 1.
/// Every level is undone with `git rollback undo`. Without NAME, lists the
/// stages and what each level would do.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The stage's name
    pub name: Option<String>,

    /// How far to roll back
    #[arg(long, value_enum, default_value = "code")]
    pub level: Level,

    /// Print what would change and change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub incident: super::Incident,

    /// Do not run the verify command afterwards
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub steps: super::StepsArg,
}

impl Report for Listed {
    fn human(&self) -> String {
        format!(
            "{}\n  toggle: {}\n  code:   {}\n  full:   {}\n",
            self.id, self.toggle, self.code, self.full
        )
    }
}

pub fn run(args: Args, context: &Context, ui: &Ui) -> Result<()> {
    let repo = context.repo()?;
    let settings = config::load(&repo)?;
    let Some(name) = &args.name else {
        return ui.print_list(
            &stage::list(&settings),
            "No stages: add [[stage]] tables to .rollback.toml (see git rollback stage --help)",
        );
    };
    let found = stage::find(&settings, name)?;
    let _lock = context.lock(&repo, "stage", ui)?;
    let verify = found.verify.as_deref().or(settings.verify.as_deref());
    let (reason, severity) = args.incident.into_parts();
    let level = args.level.into_library();
    let toggled = matches!(level, stage::Level::Toggle).then(|| {
        found
            .toggles
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
    });
    let outcome = stage::roll_back(
        &repo,
        &settings,
        found,
        level,
        Options {
            dry_run: args.dry_run,
            reason,
            severity,
            checks: super::verify_checks(verify, args.no_verify),
            steps: args.steps.pick(&settings.stage_steps(found)),
            progress: Box::new(ui.progress()),
            kind: git_rollback::ledger::Kind::Stage,
        },
    )?;
    ui.print(&Staged {
        outcome: &outcome,
        toggled,
        env_file: stage::env_file(&settings),
    })?;
    super::checks_verdict(&outcome.checks, outcome.id.as_deref())
}

/// A stage's outcome; at the toggle level, with the keys it wrote.
#[derive(serde::Serialize)]
struct Staged<'a> {
    #[serde(flatten)]
    outcome: &'a git_rollback::operation::Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    toggled: Option<Vec<String>>,
    #[serde(skip)]
    env_file: String,
}

impl Report for Staged<'_> {
    fn human(&self) -> String {
        let mut out = self.outcome.human();
        if let Some(toggled) = &self.toggled {
            let line = format!(
                "{} in {}: {}\n",
                if self.outcome.dry_run {
                    "Would set"
                } else {
                    "Set"
                },
                self.env_file,
                if toggled.is_empty() {
                    "(no toggles)".to_owned()
                } else {
                    toggled.join(", ")
                }
            );
            // After the outcome's first line (what was done), before the rest.
            let first = out.find('\n').map_or(out.len(), |i| i + 1);
            out.insert_str(first, &line);
        }
        out
    }
}
