//! The one renderer: a command's report goes to stdout as human text or, with
//! `--json`, as one JSON document. Errors go to stderr git-style. A closed
//! pipe (`git rollback log | head`) ends the program quietly with success.

use std::io::Write;

use git_rollback::Error;
use serde::Serialize;

/// What a command returns: data that serializes to JSON and reads as text.
pub trait Report: Serialize {
    /// The human rendering, every line ending in `\n`.
    fn human(&self) -> String;
}

impl<T: Report> Report for Vec<T> {
    fn human(&self) -> String {
        self.iter().map(Report::human).collect()
    }
}

/// A sentence printed as it is (with `--json`, as a string).
#[derive(Serialize)]
struct Said<'a>(&'a str);

impl Report for Said<'_> {
    fn human(&self) -> String {
        format!("{}\n", self.0)
    }
}

pub struct Ui {
    json: bool,
    quiet: bool,
}

impl Ui {
    pub fn new(json: bool, quiet: bool) -> Ui {
        Ui { json, quiet }
    }

    /// Print a command's result.
    pub fn print(&self, report: &impl Report) -> git_rollback::Result<()> {
        let text = if self.json {
            let mut text = serde_json::to_string_pretty(report)?;
            text.push('\n');
            text
        } else if self.quiet {
            return Ok(());
        } else {
            report.human()
        };
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            other => Ok(other?),
        }
    }

    /// Print a long list through git's pager when stdout is a terminal
    /// (`GIT_PAGER`, `core.pager`, `PAGER`, else `less` with `LESS=FRX`,
    /// as git does); `--json`, `-q` and pipes print directly.
    pub fn print_paged<T: Report>(
        &self,
        items: &Vec<T>,
        empty: &str,
        core_pager: Option<String>,
    ) -> git_rollback::Result<()> {
        use std::io::IsTerminal;
        if self.json || self.quiet || items.is_empty() || !std::io::stdout().is_terminal() {
            return self.print_list(items, empty);
        }
        let pager = std::env::var("GIT_PAGER")
            .ok()
            .or(core_pager)
            .or_else(|| std::env::var("PAGER").ok())
            .unwrap_or_else(|| "less".to_owned());
        if pager.is_empty() || pager == "cat" {
            return self.print_list(items, empty);
        }
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(&pager)
            .stdin(std::process::Stdio::piped());
        if std::env::var_os("LESS").is_none() {
            command.env("LESS", "FRX");
        }
        if std::env::var_os("LV").is_none() {
            command.env("LV", "-c");
        }
        let Ok(mut child) = command.spawn() else {
            return self.print_list(items, empty);
        };
        if let Some(mut stdin) = child.stdin.take() {
            // The reader may quit early (q in less): not an error.
            let _ = stdin.write_all(items.human().as_bytes());
        }
        let _ = child.wait();
        Ok(())
    }

    /// Whether output is JSON (`--json`).
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Print a list; an empty one says so in words (`--json` prints `[]`).
    pub fn print_list<T: Report>(&self, items: &Vec<T>, empty: &str) -> git_rollback::Result<()> {
        if items.is_empty() && !self.json {
            return self.print(&Said(empty));
        }
        self.print(items)
    }

    /// A progress display for long operations: a bar on a terminal, nothing
    /// with `--json`, `-q` or when stderr is not a terminal.
    pub fn progress(&self) -> Bar {
        use std::io::IsTerminal;
        if self.json || self.quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(Some(BarState {
            bar,
            what: std::sync::Mutex::new(String::new()),
            files: Default::default(),
            total: Default::default(),
        }))
    }

    /// Print a warning to stderr (`warning: …`, as git does), unless `--quiet`.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}{message}",
                colored("warning: ", YELLOW)
            );
        }
    }

    /// Print an error and its hints to stderr.
    pub fn error(&self, err: &Error) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}{}", colored("error: ", RED), err.message);
        for hint in &err.hints {
            let _ = writeln!(
                stderr,
                "{}",
                colored(&format!("hint: {}", crate::cmd::hints::words(hint)), YELLOW)
            );
        }
    }
}

/// A progress bar (or nothing) for the archive operations: bytes with rate
/// and time left, files counted in the message.
pub struct Bar(Option<BarState>);

pub struct BarState {
    bar: indicatif::ProgressBar,
    what: std::sync::Mutex<String>,
    files: std::sync::atomic::AtomicU64,
    total: std::sync::atomic::AtomicU64,
}

impl git_rollback::archive::Progress for Bar {
    fn start(&self, what: &str, files: u64, bytes: u64) {
        if let Some(state) = &self.0 {
            use std::sync::atomic::Ordering::Relaxed;
            state.files.store(0, Relaxed);
            state.total.store(files, Relaxed);
            if let Ok(mut w) = state.what.lock() {
                *w = what.to_owned();
            }
            state.bar.set_length(bytes);
            state.bar.set_position(0);
            state.bar.set_message(format!("{what} 0/{files} files"));
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(state) = &self.0 {
            use std::sync::atomic::Ordering::Relaxed;
            let done = state.files.fetch_add(1, Relaxed) + 1;
            if done % 256 == 0 || done == state.total.load(Relaxed) {
                let what = state.what.lock().map(|w| w.clone()).unwrap_or_default();
                state
                    .bar
                    .set_message(format!("{what} {done}/{} files", state.total.load(Relaxed)));
            }
            state.bar.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(state) = &self.0 {
            state.bar.finish_and_clear();
        }
    }
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";

/// The repository's `color.ui`, once it is opened.
static COLOR_UI: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Remember `color.ui` (`always`/`true`, `never`/`false`, `auto`: the default).
pub fn set_color_ui(value: Option<String>) {
    let _ = COLOR_UI.set(value);
}

/// Whether stderr gets colors, as git decides: `color.ui` (auto: only on a
/// terminal), and never with `NO_COLOR` or `TERM=dumb` unless `always`.
fn colors() -> bool {
    use std::io::IsTerminal;
    let setting = COLOR_UI
        .get()
        .cloned()
        .flatten()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match setting.as_str() {
        "always" => true,
        "never" | "false" | "no" | "off" | "0" => false,
        _ => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// `text` in `color` when stderr gets colors (git's colors for errors, warnings and hints).
fn colored(text: &str, color: &str) -> String {
    if colors() {
        format!("{color}{text}\x1b[m")
    } else {
        text.to_owned()
    }
}
