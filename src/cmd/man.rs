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
    if args.shell == clap_complete::Shell::Bash {
        script.extend_from_slice(git_bash_completion(&command).as_bytes());
    }
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

/// `git rollback <TAB>` through git's own bash completion (which calls
/// `_git_<subcommand>`): subcommands, each one's options, and checkpoint
/// names where a checkpoint is expected.
fn git_bash_completion(command: &clap::Command) -> String {
    let visible = || command.get_subcommands().filter(|c| !c.is_hide_set());
    let names: Vec<&str> = visible().map(|c| c.get_name()).collect();
    let mut options = String::new();
    for sub in visible() {
        let longs: Vec<String> = sub
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        options.push_str(&format!(
            "\t{}) __gitcomp \"{}\" ;;\n",
            sub.get_name(),
            longs.join(" ")
        ));
    }
    format!(
        r#"
# `git rollback <TAB>`: git's bash completion calls _git_rollback.
_git_rollback ()
{{
	local subcommands="{subcommands}"
	local subcommand="$(__git_find_on_cmdline "$subcommands")"
	if [ -z "$subcommand" ]; then
		__gitcomp "$subcommands"
		return
	fi
	case "$cur" in
	--*)
		case "$subcommand" in
{options}		esac
		return
		;;
	esac
	local checkpoints="$(__git for-each-ref --format='%(refname:strip=3)' refs/tags/checkpoint/ 2>/dev/null)"
	case "$subcommand,$prev" in
	files,--from|*,--checkpoint|report,*|to,*|show,*|diff,*|checkpoint,*)
		__gitcomp_nl "$checkpoints"
		;;
	esac
}}
"#,
        subcommands = names.join(" "),
    )
}
