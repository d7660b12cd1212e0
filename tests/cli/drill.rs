//! `drill`: the rollback practised in a temporary worktree; the user's work
//! tree, index, HEAD, branches and worktree list stay exactly as they were.

use crate::support::TestRepo;

/// basic.sh with checkpoint `base` holding an untracked file, and a backup
/// of it holding an ignored one; then the work tree moves on (dirty).
fn drilled_repo() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.write("notes.txt", "untracked at the checkpoint\n");
    repo.write("target/build.out", "ignored, only in the backup\n");
    repo.git(&["config", "rollback.backupIncludeIgnored", "true"]);
    repo.rollback(&["checkpoint", "base", "--backup"]).ok();
    std::fs::remove_file(repo.path.join("notes.txt")).unwrap();
    std::fs::remove_dir_all(repo.path.join("target")).unwrap();
    repo.write("src/a.rs", "work in progress\n");
    repo.git(&["add", "src/a.rs"]);
    repo.write("src/b.rs", "more work\n");
    repo.write("scratch.txt", "untracked now\n");
    repo
}

#[test]
fn a_drill_rolls_back_elsewhere_and_leaves_everything_here_as_it_was() {
    let repo = drilled_repo();
    let before = repo.observe_user();
    let status = repo.git(&["status", "--porcelain"]);
    let worktrees = repo.git(&["worktree", "list"]);
    let verify = "test -f notes.txt && test -f target/build.out && grep -q 'pub fn a() { 1 }' src/a.rs && ! test -e scratch.txt";
    let json = repo
        .rollback(&["drill", "base", "--verify", verify, "--json"])
        .ok()
        .json();
    assert_eq!(json["ok"], true, "{json}");
    assert_eq!(json["checks"][0]["ok"], true, "{json}");
    assert!(
        json["backup"].is_string(),
        "the checkpoint's backup: {json}"
    );
    assert!(json["recovery_ms"].as_u64().is_some(), "{json}");
    assert!(json["worktree"].is_null());

    assert_eq!(repo.observe_user(), before, "files, index, HEAD, branches");
    assert_eq!(repo.git(&["status", "--porcelain"]), status);
    assert_eq!(repo.git(&["worktree", "list"]), worktrees);
    let id = json["id"].as_str().unwrap();
    assert!(
        !repo.git(&["for-each-ref"]).contains(id),
        "no safety snapshot outlives the worktree"
    );
    // Recorded as a drill, with its recovery time; not counted as a rollback.
    let logged = repo.rollback(&["log", id, "--json"]).ok().json();
    assert_eq!(logged["kind"], "drill");
    let stats = repo.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(stats["rollbacks"], 0, "{stats}");
    assert_eq!(stats["drills"]["count"], 1, "{stats}");
    assert_eq!(stats["drills"]["passed"], 1, "{stats}");
    let report = repo.rollback(&["report", id]).ok().stdout();
    assert!(report.contains("verify `test -f notes.txt"), "{report}");
    assert!(report.contains("Recovered and verified in"), "{report}");
    repo.fsck();
}

#[test]
fn a_failing_verify_fails_the_drill_and_is_recorded() {
    let repo = drilled_repo();
    let before = repo.observe_user();
    let run = repo.rollback(&["drill", "base", "--verify", "false", "--json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("a check or step failed (recorded)"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.json()["checks"][0]["ok"], false);
    assert_eq!(repo.observe_user(), before);
    let stats = repo.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(stats["drills"]["count"], 1);
    assert_eq!(stats["drills"]["passed"], 0);
}

#[test]
fn keep_leaves_the_worktree_and_bad_input_changes_nothing() {
    let repo = drilled_repo();
    let json = repo
        .rollback(&["drill", "base", "--keep", "--json"])
        .ok()
        .json();
    let kept = json["worktree"].as_str().unwrap().to_owned();
    assert!(repo.git(&["worktree", "list"]).contains(&kept));
    assert_eq!(
        std::fs::read_to_string(std::path::Path::new(&kept).join("notes.txt")).unwrap(),
        "untracked at the checkpoint\n"
    );
    repo.git(&["worktree", "remove", "--force", &kept]);

    let before = repo.observe();
    let worktrees = repo.git(&["worktree", "list"]);
    repo.rollback(&["drill", "nosuch"])
        .fails(2, "checkpoint 'nosuch' not found");
    repo.rollback(&["drill", "--stage", "nosuch", "--level", "code"])
        .fails(2, "nosuch");
    repo.rollback(&["drill", "base", "--verify", "no-such-program-x"])
        .fails(2, "'no-such-program-x' was not found");
    let run = repo.rollback(&["drill", "--stage", "api"]);
    assert_eq!(run.code(), 2, "--stage needs --level: {}", run.stderr());
    assert_eq!(repo.observe(), before);
    assert_eq!(repo.git(&["worktree", "list"]), worktrees);
}

/// A drill killed halfway leaves its worktree registered; the next drill
/// removes it (a kept one stays), so `git worktree list` is as before.
#[test]
fn the_next_drill_removes_the_worktree_of_a_killed_one() {
    let repo = drilled_repo();
    let worktrees = repo.git(&["worktree", "list"]);
    let killed = repo.rollback_env(
        &[("GIT_ROLLBACK_TEST_KILL_AT", "apply: deletions")],
        &["drill", "base"],
    );
    assert_eq!(killed.code(), -1, "killed: {}", killed.stderr());
    let left = repo.git(&["worktree", "list"]);
    assert_eq!(left.lines().count(), 2, "{left}");
    let kept = repo
        .rollback(&["drill", "base", "--keep", "--json"])
        .ok()
        .json()["worktree"]
        .as_str()
        .unwrap()
        .to_owned();
    repo.rollback(&["drill", "base"]).ok();
    let now = repo.git(&["worktree", "list"]);
    assert_eq!(now.lines().count(), 2, "only the kept one is left: {now}");
    assert!(now.contains(&kept), "{now}");
    repo.git(&["worktree", "remove", "--force", &kept]);
    assert_eq!(repo.git(&["worktree", "list"]), worktrees);
}
