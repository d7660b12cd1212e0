//! `git rollback generate-man` (hidden): print the man page generated from
//! the clap definitions, so `man/git-rollback.1` never drifts from `--help`.

use clap::CommandFactory;
use git_rollback::Result;

/// Print the man page (roff) on stdout.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    let out = page()?;
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &out) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

/// Install the manual where `man` finds it (so `git rollback --help` shows it)
///
/// Writes git-rollback.1 into DIR, by default share/man/man1 beside the
/// directory of this program (~/.cargo/share/man/man1 for
/// ~/.cargo/bin/git-rollback): man-db looks there for every directory on
/// PATH, and git turns `git rollback --help` into `man git-rollback`.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct InstallArgs {
    /// Where to write git-rollback.1 (default: <program dir>/../share/man/man1)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

pub fn install(args: InstallArgs, ui: &crate::ui::Ui) -> Result<()> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => {
            let exe = std::env::current_exe()?;
            let bin = exe.parent().unwrap_or(std::path::Path::new("."));
            bin.parent().unwrap_or(bin).join("share/man/man1")
        }
    };
    let path = dir.join("git-rollback.1");
    let text = page()?;
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| git_rollback::error::io(e, format!("writing '{}'", path.display())))?;
    ui.print(&Installed {
        path: path.display().to_string(),
    })
}

#[derive(serde::Serialize)]
struct Installed {
    path: String,
}

impl crate::ui::Report for Installed {
    fn human(&self) -> String {
        format!(
            "Installed the manual as {}\n(`git rollback --help` and `man git-rollback` show it)\n",
            self.path
        )
    }
}

/// The man page, roff.
fn page() -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let top = super::Cli::command();
    let page = clap_mangen::Man::new(top.clone());
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    out.extend_from_slice(synopsis(&top, "git rollback").as_bytes());
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    // The subcommands are sections of this page (there are no
    // git-rollback-<command> pages to refer to).
    out.extend_from_slice(b".SH SUBCOMMANDS\n");
    let visible = || top.get_subcommands().filter(|s| !s.is_hide_set());
    for sub in visible() {
        out.extend_from_slice(
            format!(
                ".TP\n\\fBgit rollback {}\\fR\n{} (see GIT ROLLBACK {})\n",
                sub.get_name(),
                roff(&sub.get_about().map(|a| a.to_string()).unwrap_or_default()),
                sub.get_name().to_uppercase()
            )
            .as_bytes(),
        );
    }
    for sub in visible() {
        let name = format!("git rollback {}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone().bin_name(&name));
        out.extend_from_slice(
            format!(".SH \"GIT ROLLBACK {}\"\n", sub.get_name().to_uppercase()).as_bytes(),
        );
        out.extend_from_slice(synopsis(sub, &name).as_bytes());
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
    }
    page.render_version_section(&mut out)?;
    Ok(out)
}

/// Text for roff: backslashes and dashes escaped.
fn roff(text: &str) -> String {
    text.replace('\\', "\\\\").replace('-', "\\-")
}

/// A synopsis with each option's value (`[-C PATH]`, `[--reason REASON]`),
/// which clap_mangen's leaves out.
fn synopsis(command: &clap::Command, name: &str) -> String {
    let mut line = format!(".SH SYNOPSIS\n\\fB{}\\fR", roff(name));
    for arg in command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        if matches!(arg.get_long(), Some("help" | "version")) {
            continue;
        }
        let flag = match (arg.get_short(), arg.get_long()) {
            (Some(short), Some(long)) => format!("\\fB\\-{short}\\fR|\\fB\\-\\-{}\\fR", roff(long)),
            (Some(short), None) => format!("\\fB\\-{short}\\fR"),
            (None, Some(long)) => format!("\\fB\\-\\-{}\\fR", roff(long)),
            (None, None) => continue,
        };
        let takes = arg.get_action().takes_values();
        let value = match (takes, arg.get_value_names()) {
            (true, Some(names)) => format!(" \\fI{}\\fR", roff(&names.join(" "))),
            (true, None) => format!(" \\fI{}\\fR", roff(&arg.get_id().as_str().to_uppercase())),
            _ => String::new(),
        };
        if arg.is_required_set() {
            line.push_str(&format!(" {flag}{value}"));
        } else {
            line.push_str(&format!(" [{flag}{value}]"));
        }
    }
    for arg in command.get_positionals().filter(|a| !a.is_hide_set()) {
        let value = arg
            .get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let many = matches!(arg.get_action(), clap::ArgAction::Append);
        let text = format!("\\fI{}\\fR{}", roff(&value), if many { "..." } else { "" });
        if arg.is_last_set() {
            line.push_str(&format!(" [\\-\\- {text}]"));
        } else if arg.is_required_set() {
            line.push_str(&format!(" {text}"));
        } else {
            line.push_str(&format!(" [{text}]"));
        }
    }
    if command.has_subcommands() {
        line.push_str(" \\fICOMMAND\\fR");
    }
    line + "\n"
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
