//! `git rollback`: parse, run, print, exit with the error's code.

mod cmd;
mod ui;

use clap::Parser;

fn main() {
    // Ctrl-C removes our lock and temporary files, then exits as git does;
    // an operation that has started writing finishes first.
    git_rollback::interrupt::init();
    git_rollback::trace::phase("start");
    let cli = cmd::Cli::parse();
    let ui = ui::Ui::new(cli.json, cli.quiet);
    let code = match cmd::run(cli, &ui) {
        Ok(()) => 0,
        Err(err) => {
            ui.error(&err);
            err.kind.exit_code()
        }
    };
    std::process::exit(code);
}
