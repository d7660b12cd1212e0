//! The human output of the main commands, pinned: each is compared with its
//! snapshot in `tests/cli/snapshots/`, after what changes from run to run
//! (object and event ids, times, durations) is replaced by placeholders, so
//! a change of wording shows up in review. `UPDATE_SNAPSHOTS=1 cargo test`
//! rewrites the snapshots.

use std::path::Path;

use crate::support::TestRepo;

/// Replace what varies between runs: RFC 3339 times, ISO weeks, durations
/// in milliseconds, and runs of 7 or more hex digits (ids, dates as digits).
fn normalize(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let is_word = |b: u8| b.is_ascii_alphanumeric();
    while i < bytes.len() {
        let at_start = i == 0 || !is_word(bytes[i - 1]);
        // 2026-11-23T11:58:27.755446Z or 2023-11-14T22:14:20Z
        if at_start && bytes.len() - i >= 20 && bytes[i + 4] == b'-' && bytes[i + 10] == b'T' {
            let mut end = i + 19;
            while end < bytes.len() && (bytes[end] == b'.' || bytes[end].is_ascii_digit()) {
                end += 1;
            }
            if end < bytes.len() && bytes[end] == b'Z' {
                out.push_str("<time>");
                i = end + 1;
                continue;
            }
        }
        // 2026-W48
        if at_start && bytes.len() - i >= 8 && bytes[i + 4] == b'-' && bytes[i + 5] == b'W' {
            out.push_str("<week>");
            i += 8;
            continue;
        }
        if at_start {
            let end = (i..bytes.len())
                .find(|&j| !bytes[j].is_ascii_hexdigit())
                .unwrap_or(bytes.len());
            let bounded = end == bytes.len() || !is_word(bytes[end]);
            if end - i >= 7 && bounded {
                out.push_str("<hex>");
                i = end;
                continue;
            }
            let digits = (i..bytes.len())
                .find(|&j| !bytes[j].is_ascii_digit())
                .unwrap_or(bytes.len());
            if digits > i && text[digits..].starts_with(" ms") {
                out.push_str("<n>");
                i = digits;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[track_caller]
fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/snapshots")
        .join(format!("{name}.txt"));
    let actual = normalize(actual);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run UPDATE_SNAPSHOTS=1 cargo test",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "output of {name} changed; if on purpose: UPDATE_SNAPSHOTS=1 cargo test"
    );
}

#[test]
fn normalize_replaces_only_what_varies() {
    assert_eq!(
        normalize("ad64315d 2026-11-23T11:58:27.755446Z in 19 ms, 2026-W48, c24013e main x7\n"),
        "<hex> <time> in <n> ms, <week>, <hex> main x7\n"
    );
}

#[test]
fn human_output_of_the_main_commands() {
    let repo = TestRepo::fixture("dirty");
    let mut all = String::new();
    let mut run = |args: &[&str]| {
        let output = repo.rollback(args).ok().stdout();
        all.push_str(&format!("$ git rollback {}\n{output}", args.join(" ")));
    };
    run(&["checkpoint", "base", "-m", "before the refactor"]);
    run(&["list"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "refactor"]);
    repo.write("src/a.rs", "broken\n");
    run(&["to", "base", "--dry-run"]);
    run(&[
        "to",
        "base",
        "--reason",
        "tests failing",
        "--severity",
        "high",
    ]);
    run(&["undo"]);
    run(&["files", "src/a.rs", "--from", "base", "--no-test"]);
    run(&["log"]);
    run(&["stats"]);
    check("main_commands", &all);
}

/// Empty lists say so in words; with --json they are `[]`.
#[test]
fn empty_lists_say_so() {
    let repo = TestRepo::fixture("basic");
    for (args, words) in [
        (&["list"][..], "No checkpoints yet"),
        (&["log"][..], "No operations recorded yet."),
        (&["log", "--kind", "to"][..], "No operations match."),
        (&["backup", "list"][..], "No backups yet"),
        (&["stage"][..], "No stages"),
    ] {
        let out = repo.rollback(args).ok().stdout();
        assert!(
            out.starts_with(words) && out.lines().count() == 1,
            "{args:?}: {out}"
        );
        let mut json = args.to_vec();
        json.push("--json");
        assert_eq!(
            repo.rollback(&json).ok().json(),
            serde_json::json!([]),
            "{args:?}"
        );
    }
}

/// On a terminal `log` goes through git's pager (GIT_PAGER here); into a
/// pipe it does not.
#[test]
fn log_pages_on_a_terminal_only() {
    if !has_script() {
        return;
    }
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    let piped = repo
        .rollback_env(&[("GIT_PAGER", "sed s/^/PAGED:/")], &["log"])
        .ok();
    assert!(!piped.stdout().contains("PAGED:"), "{}", piped.stdout());
    let command = format!("{} log", crate::support::BIN);
    let out = repo.run_in(
        &repo.path,
        repo.command("script")
            .args(["-qec", &command, "/dev/null"])
            .env("GIT_PAGER", "sed s/^/PAGED:/"),
        "script",
    );
    assert!(out.stdout().contains("PAGED:"), "{}", out.stdout());
    assert!(out.stdout().contains("checkpoint base"), "{}", out.stdout());
}

/// Every operation prints the same JSON keys (absent values as explicit
/// `null`s or empty lists), with `id` for the operation's id.
#[test]
fn operations_print_the_same_json_keys() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    let backup = repo.rollback(&["backup", "create", "--json"]).ok().json();
    repo.write("src/a.rs", "changed\n");
    let keys = |args: &[&str]| -> Vec<String> {
        let mut args = args.to_vec();
        args.push("--json");
        let json = repo.rollback(&args).ok().json();
        assert!(json["id"].is_string(), "{args:?}: {json}");
        let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let to = keys(&["to", "base"]);
    assert_eq!(keys(&["undo"]), to);
    assert_eq!(
        keys(&["files", "src/a.rs", "--from", "base", "--no-test"]),
        to
    );
    assert_eq!(
        keys(&["backup", "restore", backup["id"].as_str().unwrap()]),
        to
    );
    assert_eq!(keys(&["map", "record", "src/b.rs", "src/moved.rs"]), to);
    for key in ["subject", "backup", "drift", "submodules", "undoes"] {
        assert!(to.iter().any(|k| k == key), "{key} missing: {to:?}");
    }
}

/// Errors, warnings and hints are colored as git colors them: on a terminal
/// unless `color.ui` says never; in a pipe only with `color.ui = always`.
#[test]
fn color_ui_is_honoured() {
    if !has_script() {
        return;
    }
    let repo = TestRepo::fixture("basic");
    let on_a_terminal = || {
        let command = format!("{} to nope", crate::support::BIN);
        repo.run_in(
            &repo.path,
            repo.command("script").args(["-qec", &command, "/dev/null"]),
            "script",
        )
        .stdout()
    };
    assert!(
        on_a_terminal().contains("\u{1b}[31merror: \u{1b}[m"),
        "{:?}",
        on_a_terminal()
    );
    assert!(!repo.rollback(&["to", "nope"]).stderr().contains('\u{1b}'));
    repo.git(&["config", "color.ui", "never"]);
    assert!(!on_a_terminal().contains('\u{1b}'), "{:?}", on_a_terminal());
    repo.git(&["config", "color.ui", "always"]);
    let piped = repo.rollback(&["to", "nope"]).stderr();
    assert!(
        piped.contains("\u{1b}[31merror: ") && piped.contains("\u{1b}[33mhint: "),
        "{piped:?}"
    );
}

/// Whether script(1), which gives a command a terminal, is there (else the
/// test says SKIPPED).
fn has_script() -> bool {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("SKIPPED: script(1) is not installed");
    }
    found
}
