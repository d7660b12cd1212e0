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
    std::io::Write::write_all(&mut std::io::stdout().lock(), &out)?;
    Ok(())
}

/// Print a shell completion script on stdout.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell (bash, zsh, fish, elvish, powershell)
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionArgs) -> Result<()> {
    let mut command = super::Cli::command().bin_name("git-rollback");
    clap_complete::generate(
        args.shell,
        &mut command,
        "git-rollback",
        &mut std::io::stdout(),
    );
    Ok(())
}
