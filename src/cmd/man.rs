//! `git rollback generate-man` (hidden): print the man page generated from
//! the clap definitions, so `man/git-rollback.1` never drifts from `--help`.

use clap::CommandFactory;
use git_rollback::Result;

/// Print the man page (roff) on stdout.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command()).render(&mut out)?;
    for sub in super::Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
    {
        let page = clap_mangen::Man::new(
            sub.clone()
                .bin_name(format!("git rollback {}", sub.get_name())),
        );
        out.extend_from_slice(
            format!(".SH \"GIT ROLLBACK {}\"\n", sub.get_name().to_uppercase()).as_bytes(),
        );
        page.render_synopsis_section(&mut out)?;
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &out) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

/// Print a shell completion script on stdout.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell (bash, zsh, fish, elvish, powershell)
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionArgs) -> Result<()> {
    let mut command = super::Cli::command().bin_name("git-rollback");
    // Into memory first: clap_complete panics on a write error, and a
    // reader that stops early (`| head -1`) closes the pipe.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "git-rollback", &mut script);
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}
