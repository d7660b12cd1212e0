//! The committed man page must match what the clap definitions generate.
//! Regenerate with: cargo run -q -- generate-man > man/git-rollback.1

#[test]
fn man_page_is_up_to_date() {
    let generated = std::process::Command::new(crate::support::BIN)
        .arg("generate-man")
        .output()
        .unwrap();
    assert!(generated.status.success());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-rollback.1");
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated.stdout,
        "man/git-rollback.1 is stale: run `cargo run -q -- generate-man > man/git-rollback.1`"
    );
}

#[test]
fn help_comes_from_the_doc_comments() {
    let out = std::process::Command::new(crate::support::BIN)
        .args(["to", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Roll HEAD, the index and the work tree back to a checkpoint"),
        "{text}"
    );
    assert!(
        text.contains("--dry-run") && text.contains("--reason"),
        "{text}"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(crate::support::BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("git-rollback") && script.contains("checkpoint"),
            "{shell}:\n{script}"
        );
    }
    let out = std::process::Command::new(crate::support::BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `completions bash | head -1`: a reader that stops early is not an error.
#[test]
fn completions_into_a_closed_pipe_exit_quietly() {
    let repo = crate::support::TestRepo::bare_directory();
    let mut child = repo
        .rollback_command(&["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the script is written (a reader that stops
    // at once; had the script fitted in the pipe first, all is fine too).
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `git rollback <TAB>` through git's own bash completion: subcommands,
/// a subcommand's options, and checkpoint names where one is expected.
#[test]
fn git_bash_completion_completes_subcommands_options_and_checkpoint_names() {
    if !std::path::Path::new("/usr/share/bash-completion/completions/git").exists() {
        eprintln!("SKIPPED: git's bash completion is not installed");
        return;
    }
    let repo = crate::support::TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.rollback(&["checkpoint", "before-refactor"]).ok();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/git_completion.sh");
    let out = repo.run_in(
        &repo.path,
        repo.command("bash")
            .arg(script)
            .env("BIN", crate::support::BIN),
        "completion",
    );
    assert_eq!(
        out.stdout(),
        "== subcommands\ncheckpoint \n== names\nbase \nbefore-refactor \n== flags\n--dry-run \n== from\nbase \nbefore-refactor \n"
    );
}

/// The man page names option values in its synopses and refers to no
/// git-rollback-<command> pages (there are none: each command is a section).
#[test]
fn man_page_synopses_name_values_and_refer_to_no_missing_pages() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/git-rollback.1"),
    )
    .unwrap();
    assert!(
        !page.contains("git\\-rollback\\-"),
        "a reference to a missing page"
    );
    assert!(
        page.contains("[\\fB\\-C\\fR \\fIPATH\\fR]"),
        "-C PATH in the synopsis"
    );
    assert!(page.contains("[\\fB\\-\\-reason\\fR \\fIREASON\\fR]"));
    assert!(page.contains(".SH \"GIT ROLLBACK UNDO\""));
}

/// `install-man` puts the page beside the program's directory, where man-db
/// finds it from PATH, so `git rollback --help` (git runs `man
/// git-rollback`) shows it.
#[test]
fn install_man_puts_the_manual_where_man_finds_it() {
    let prefix = tempfile::tempdir().unwrap();
    let bin = prefix.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("git-rollback");
    // Copied by another process: a file this (multithreaded) test process
    // held open for writing could be inherited by a child another test
    // forks meanwhile, and executing it would then fail (ETXTBSY).
    let copied = std::process::Command::new("cp")
        .arg(crate::support::BIN)
        .arg(&exe)
        .status()
        .unwrap();
    assert!(copied.success());
    let installed = std::process::Command::new(&exe)
        .arg("install-man")
        .output()
        .unwrap();
    assert!(installed.status.success(), "{installed:?}");
    let page = prefix.path().join("share/man/man1/git-rollback.1");
    let generated = std::process::Command::new(&exe)
        .arg("generate-man")
        .output()
        .unwrap();
    assert_eq!(std::fs::read(&page).unwrap(), generated.stdout);
    assert!(String::from_utf8_lossy(&installed.stdout).contains(page.to_str().unwrap()));

    let path = format!("{}:/usr/bin:/bin", bin.display());
    let man = |args: &[&str], program: &str| {
        std::process::Command::new(program)
            .args(args)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", prefix.path())
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
    };
    match man(&["-w", "git-rollback"], "man") {
        Ok(found) => {
            assert_eq!(
                String::from_utf8_lossy(&found.stdout).trim(),
                page.to_str().unwrap()
            );
            let help = man(&["rollback", "--help"], "git").unwrap();
            let text = String::from_utf8_lossy(&help.stdout);
            assert!(
                text.contains("git rollback"),
                "{}",
                String::from_utf8_lossy(&help.stderr)
            );
            assert!(text.contains("SUBCOMMANDS"), "{text}");
        }
        Err(_) => eprintln!("SKIPPED the man lookup: no `man` on this machine"),
    }
    // An unwritable place is refused and says where.
    let file = prefix.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let refused = std::process::Command::new(&exe)
        .args(["install-man", "--dir"])
        .arg(file.join("man1"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a-file"));
}
