//! `guard`: repeated failed health checks roll back once; a healthy window
//! exits 0. Short intervals keep the tests to seconds.

use crate::support::TestRepo;

/// A health check that fails on its calls FROM..=TO (counted in .git/calls).
fn flaky(from: u32, to: u32) -> String {
    format!(
        "n=$(cat .git/calls 2>/dev/null || echo 0); n=$((n+1)); echo $n > .git/calls; \
         test $n -lt {from} || test $n -gt {to}"
    )
}

fn deployed() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "stable-1"]).ok();
    repo.write("src/a.rs", "a bad deploy\n");
    repo.git(&["commit", "-q", "-am", "deploy"]);
    repo
}

#[test]
fn three_failures_in_a_row_roll_back_exactly_once() {
    let repo = deployed();
    let check = flaky(2, 4);
    let run = repo.rollback(&[
        "guard",
        "--check",
        &check,
        "--failures",
        "3",
        "--interval",
        "100ms",
        "--window",
        "1m",
        "--json",
    ]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("failed 3 times in a row: rolled back to stable-1"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        repo.read(".git/calls").trim(),
        "4",
        "checks 1 (ok), 2, 3, 4 (failed)"
    );
    let json = run.json();
    assert_eq!(json["checks_run"], 4);
    assert_eq!(json["rollback"]["kind"], "to");
    assert_eq!(
        repo.read("src/a.rs"),
        "pub fn a() { 1 }\n",
        "the default target: stable-1"
    );
    let log = repo
        .rollback(&["log", "--kind", "to", "--json"])
        .ok()
        .json();
    let rollbacks = log.as_array().unwrap();
    assert_eq!(rollbacks.len(), 1, "exactly one rollback");
    assert_eq!(
        rollbacks[0]["reason"],
        format!("guard: {check} failed 3 times")
    );
    assert_eq!(rollbacks[0]["severity"], "critical");
    // Undoable like any rollback.
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "a bad deploy\n");
}

#[test]
fn a_healthy_window_exits_0_and_scattered_failures_do_not_count() {
    let repo = deployed();
    let before = repo.observe();
    let check = flaky(2, 2);
    let out = repo
        .rollback(&[
            "guard",
            "--check",
            &check,
            "--failures",
            "2",
            "--interval",
            "100ms",
            "--window",
            "500ms",
        ])
        .ok()
        .stdout();
    assert!(out.starts_with("Healthy: "), "{out}");
    let calls: u32 = repo.read(".git/calls").trim().parse().unwrap();
    assert!((3..=6).contains(&calls), "bounded by the window: {calls}");
    let mut after = repo.observe();
    after.files.remove(".git/calls");
    let mut before = before;
    before.files.remove(".git/calls");
    assert_eq!(after, before, "nothing rolled back");
}

#[test]
fn dry_run_says_what_it_would_do_and_bad_input_is_refused_before_any_check() {
    let repo = deployed();
    let before = repo.observe();
    let run = repo.rollback(&["guard", "--check", "false", "--failures", "1", "--dry-run"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stdout().contains("Would roll back to stable-1"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stderr().contains("would roll back to stable-1"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.observe(), before);

    let marker = "touch .git/checked; false";
    for (args, code, needle) in [
        (
            vec!["--interval", "soon"],
            2,
            "--interval 'soon' is not a duration",
        ),
        (vec!["--failures", "0"], 2, "--failures must be at least 1"),
        (vec!["--to", "nosuch"], 2, "checkpoint 'nosuch' not found"),
        (vec!["--stage", "nosuch", "--level", "code"], 2, "nosuch"),
    ] {
        let mut all = vec!["guard", "--check", marker];
        all.extend(args);
        repo.rollback(&all).fails(code, needle);
    }
    repo.rollback(&["guard", "--check", "no-such-program-x"])
        .fails(2, "'no-such-program-x' was not found");
    let bare = TestRepo::fixture("basic");
    bare.rollback(&["guard", "--check", "true"])
        .fails(2, "none is named stable*, and rollback.baseline is not set");
    assert!(!repo.exists(".git/checked"), "no check ran");
    assert_eq!(repo.observe(), before);
}

/// Ctrl-C while the guard waits for its next check stops it at once, with
/// nothing changed.
#[test]
fn ctrl_c_during_the_wait_stops_at_once() {
    let repo = deployed();
    let before = repo.observe();
    // The check passes and, a moment later, sends the guard (its parent's
    // parent: sh runs it) SIGINT while it waits out its 60 s interval.
    let check = "p=$PPID; (sleep 0.3; kill -INT $p) >/dev/null 2>&1 & true";
    let started = std::time::Instant::now();
    let run = repo.rollback(&[
        "guard",
        "--check",
        check,
        "--interval",
        "60s",
        "--window",
        "10m",
    ]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it did not wait out the interval"
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        run.output.status.signal(),
        Some(libc::SIGINT),
        "{:?}",
        run.output.status
    );
    assert_eq!(repo.observe(), before);
}
