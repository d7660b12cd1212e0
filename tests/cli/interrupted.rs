//! Interrupted operations: the process killed (SIGKILL) at every kill point
//! of `to`, `files`, `undo`, `map revert`, `backup restore` and `sprint`,
//! then one `git rollback undo` (or nothing, when the kill came before the
//! operation recorded anything) gives back every byte, HEAD, the refs and
//! the index, with no lock file to remove by hand; and Ctrl-C.

use std::os::unix::process::ExitStatusExt;

use crate::support::{Observed, TestRepo};

/// The phases an operation passes, in order (see src/trace.rs).
const KILL_POINTS: &[&str] = &[
    "capture: trees",
    "plan",
    "checked: in the way",
    "checked: changed since",
    "snapshot ref written",
    "recorded",
    "apply: deleted a file",
    "apply: deleted a file#2",
    "apply: unlinked a file",
    "apply: unlinked a file#2",
    "apply: deletions",
    "apply: checkout",
    "apply: index written",
    "head moved",
    "result recorded",
];

/// What the user sees, minus what the scenario's operation keeps on
/// purpose (a sprint's backup branch).
fn user_state(repo: &TestRepo, keep: &[&str]) -> Observed {
    let mut observed = repo.observe_user();
    observed.refs = observed
        .refs
        .lines()
        .filter(|line| !keep.iter().any(|k| line.contains(k)))
        .map(|line| format!("{line}\n"))
        .collect();
    observed
}

/// Kill `args` at every kill point; after each, recover and compare.
/// Returns how many kill points were reached.
fn kill_everywhere(repo: &TestRepo, args: &[&str], keep: &[&str]) -> usize {
    let mut killed = 0;
    for point in KILL_POINTS {
        let before = user_state(repo, keep);
        let ledger = repo.git(&["rev-parse", "refs/notes/rollback"]);
        let run = repo.rollback_env(&[("GIT_ROLLBACK_TEST_KILL_AT", point)], args);
        if run.output.status.signal().is_none() {
            // Not reached by this operation: it finished; take it back.
            assert_eq!(run.code(), 0, "{point}: {}", run.stderr());
            repo.rollback(&["undo", &newest_operation(repo)]).ok();
            assert_eq!(
                user_state(repo, keep),
                before,
                "{point}: not reached, undone"
            );
            continue;
        }
        assert_eq!(run.output.status.signal(), Some(9), "{point}");
        killed += 1;
        let lock = repo.path.join(".git/rollback/operation.lock");
        assert!(lock.exists(), "{point}: the kill left the operation lock");
        let recorded = repo.git(&["rev-parse", "refs/notes/rollback"]) != ledger;
        let finished = *point == "result recorded";
        let recover = if recorded {
            // A finished operation is taken back by its id (a finished
            // `undo` is taken back by undoing it, not by walking further).
            let run = if finished {
                repo.rollback(&["undo", &newest_operation(repo)])
            } else {
                repo.rollback(&["undo"])
            };
            assert_eq!(run.code(), 0, "{point}: {}", run.stderr());
            run
        } else {
            // Nothing recorded: nothing changed; the next command takes over.
            assert_eq!(
                user_state(repo, keep),
                before,
                "{point}: changed before recording"
            );
            let run = repo.rollback(&["undo", "--dry-run"]);
            assert!(
                run.code() == 0 || run.code() == 2,
                "{point}: {}",
                run.stderr()
            );
            run
        };
        let stderr = recover.stderr();
        assert!(stderr.contains("took it over"), "{point}: {stderr}");
        assert_eq!(
            stderr.contains("did not finish"),
            recorded && !finished,
            "{point}: {stderr}"
        );
        assert!(!lock.exists(), "{point}: lock released");
        for git_lock in [
            "index.lock",
            "HEAD.lock",
            "refs/heads/main.lock",
            "refs/notes/rollback.lock",
        ] {
            assert!(
                !repo.path.join(".git").join(git_lock).exists(),
                "{point}: {git_lock} left"
            );
        }
        assert_eq!(
            user_state(repo, keep),
            before,
            "{point}: not every byte came back"
        );
        // git works right after: no stale index.lock, the repository is sound.
        repo.git(&["commit", "-q", "--allow-empty", "-m", "probe"]);
        repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
        repo.fsck();
    }
    killed
}

/// The id of the newest operation in the log.
fn newest_operation(repo: &TestRepo) -> String {
    let log = repo.rollback(&["log", "-n", "2", "--json"]).ok().json();
    let newest = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] != "result");
    newest.unwrap()["id"].as_str().unwrap().to_owned()
}

/// A later commit than the checkpoint `base`, with staged, unstaged,
/// untracked and ignored files on top.
fn busy() -> TestRepo {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "later"]);
    repo.write("src/a.rs", "unstaged edit\n");
    repo.write("src/new.rs", "staged new file\n");
    repo.git(&["add", "src/new.rs"]);
    repo.write("scratch/untracked.txt", "untracked work\n");
    repo
}

#[test]
fn a_killed_to_is_recovered_by_one_undo() {
    let repo = busy();
    let killed = kill_everywhere(&repo, &["to", "base"], &[]);
    // Every point, the unlinks of files rewritten among them.
    assert_eq!(killed, KILL_POINTS.len(), "kill points reached");
}

#[test]
fn a_killed_files_is_recovered_by_one_undo() {
    let repo = busy();
    let killed = kill_everywhere(
        &repo,
        &[
            "files",
            "src/a.rs",
            "src/new.rs",
            "staged-new.txt",
            "--from",
            "base",
            "--no-test",
        ],
        &[],
    );
    assert!(killed >= 13, "{killed} kill points reached");
}

#[test]
fn a_killed_undo_is_recovered_by_one_undo() {
    let repo = busy();
    repo.rollback(&["to", "base"]).ok();
    let killed = kill_everywhere(&repo, &["undo"], &[]);
    assert!(killed >= 13, "{killed} kill points reached");
}

#[test]
fn a_killed_map_revert_is_recovered_by_one_undo() {
    let repo = TestRepo::fixture("devpilot");
    repo.write("lib/scratch.txt", "untracked\n");
    repo.rollback(&["map", "record", "lib/orchestration", "core/orchestration"])
        .ok();
    let killed = kill_everywhere(&repo, &["map", "revert"], &[]);
    assert!(killed >= 8, "{killed} kill points reached");
}

#[test]
fn a_killed_backup_restore_is_recovered_by_one_undo() {
    let repo = busy();
    let backup = repo.rollback(&["backup", "create", "--json"]).ok().json();
    let id = backup["id"].as_str().unwrap().to_owned();
    repo.write("src/a.rs", "edited after the backup\n");
    std::fs::remove_file(repo.path.join("scratch/untracked.txt")).unwrap();
    repo.write("after.txt", "made after the backup\n");
    let killed = kill_everywhere(&repo, &["backup", "restore", &id], &[]);
    assert!(killed >= 8, "{killed} kill points reached");
}

#[test]
fn a_killed_sprint_is_recovered_by_one_undo() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "--sprint", "3"]).ok();
    repo.write("src/a.rs", "pub fn a() { refactored }\n");
    repo.git(&["commit", "-q", "-am", "refactor a"]);
    repo.write("src/b.rs", "uncommitted change\n");
    repo.write("scratch.txt", "untracked work\n");
    // A kill before the sprint is recorded leaves its backup branch (made
    // first, it holds the work); its undo removes both branches it made.
    let killed = kill_everywhere(
        &repo,
        &["sprint", "3", "--no-test"],
        &["refs/heads/backup/"],
    );
    assert!(killed >= 8, "{killed} kill points reached");
}

/// A git lock file older than the killed operation is not provably its
/// own: the takeover refuses, names it with the command to run, and removes
/// nothing; once it is gone, undo recovers.
#[test]
fn a_lock_file_older_than_the_killed_operation_is_named_not_removed() {
    let repo = busy();
    let before = repo.observe_user();
    let old = repo.path.join(".git/refs/heads/old.lock");
    std::fs::write(&old, "").unwrap();
    repo.git(&["commit", "-q", "--allow-empty", "-m", "probe"]);
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let run = repo.rollback_env(
        &[("GIT_ROLLBACK_TEST_KILL_AT", "apply: deletions")],
        &["to", "base"],
    );
    assert_eq!(run.output.status.signal(), Some(9));
    let index_lock = repo.path.join(".git/index.lock");
    assert!(index_lock.exists(), "the kill left the index locked");
    repo.rollback(&["undo"])
        .fails(3, "git lock files older than it exist")
        .fails(3, "refs/heads/old.lock");
    assert!(old.exists() && index_lock.exists(), "nothing removed");
    assert!(repo.path.join(".git/rollback/operation.lock").exists());
    std::fs::remove_file(&old).unwrap();
    let run = repo.rollback(&["undo"]).ok();
    assert!(
        run.stderr()
            .contains("index.lock', left by the interrupted operation"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.observe_user(), before);
}

/// Ctrl-C before an operation writes stops it at once and says it wrote
/// nothing; after it started writing, it finishes, then exits 130 naming
/// the undo. Neither leaves a lock.
#[test]
fn ctrl_c_stops_before_writing_or_finishes_then_exits_130() {
    let repo = busy();
    let before = repo.observe_user();
    let ctrl_c = |point: &str| {
        repo.rollback_env(
            &[
                ("GIT_ROLLBACK_TEST_KILL_AT", point),
                ("GIT_ROLLBACK_TEST_SIGNAL", "INT"),
            ],
            &["to", "base"],
        )
    };
    let lock = repo.path.join(".git/rollback/operation.lock");
    let early = ctrl_c("plan");
    assert_eq!(early.output.status.signal(), Some(2), "died of SIGINT");
    assert!(
        early
            .stderr()
            .contains("interrupted before the operation wrote anything"),
        "{}",
        early.stderr()
    );
    assert_eq!(repo.observe_user(), before);
    assert!(!lock.exists() && !repo.path.join(".git/index.lock").exists());

    let late = ctrl_c("recorded");
    assert_eq!(late.code(), 130, "{}", late.stderr());
    assert!(
        late.stderr()
            .contains("had started writing, so it finished first"),
        "{}",
        late.stderr()
    );
    assert!(!lock.exists() && !repo.path.join(".git/index.lock").exists());
    let after_to = repo.observe_user();
    assert_ne!(after_to, before);
    assert_eq!(
        repo.read("src/a.rs"),
        repo.git(&["show", "checkpoint/base:src/a.rs"])
    );
    // It finished: its result is recorded, and no command calls it interrupted.
    let log = repo.rollback(&["log", "-n", "1", "--json"]).ok().json();
    assert_eq!(log[0]["kind"], "to");
    assert!(log[0]["result"].is_object(), "{log}");
    let undo = repo.rollback(&["undo"]).ok();
    assert!(
        !undo.stderr().contains("did not finish"),
        "{}",
        undo.stderr()
    );
    assert_eq!(repo.observe_user(), before);
}

/// With `core.fsync` asking for refs or objects, the event is flushed to
/// disk before the work tree is touched, and the result after; unset, as
/// git's default, nothing is.
#[test]
fn core_fsync_flushes_the_event_before_the_first_write() {
    let repo = busy();
    let traced = |repo: &TestRepo| {
        let run = repo
            .rollback_env(&[("GIT_ROLLBACK_TRACE", "1")], &["to", "base"])
            .ok();
        repo.rollback(&["undo"]).ok();
        let phases: Vec<String> = run
            .stderr()
            .lines()
            .filter_map(|l| l.split("ms  ").nth(1).map(str::to_owned))
            .collect();
        phases
    };
    let plain = traced(&repo);
    assert!(plain.iter().any(|p| p == "recorded"), "{plain:?}");
    assert!(!plain.iter().any(|p| p.starts_with("synced")), "{plain:?}");
    repo.git(&["config", "core.fsync", "committed,index"]);
    let phases = traced(&repo);
    let at = |name: &str| phases.iter().position(|p| p == name).unwrap();
    let synced: Vec<usize> = phases
        .iter()
        .enumerate()
        .filter(|(_, p)| p.starts_with("synced"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(synced.len(), 2, "{phases:?}");
    assert!(
        synced[0] < at("recorded") && at("recorded") < at("apply: checkout"),
        "{phases:?}"
    );
    assert!(synced[1] > at("head moved"), "{phases:?}");
}
