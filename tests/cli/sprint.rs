use crate::support::TestRepo;

/// The runbook: a sprint starts with a checkpoint, then commits, edits and
/// new files that did not work out.
fn failed_sprint() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "--sprint", "3"]).ok();
    repo.write("src/a.rs", "pub fn a() { refactored }\n");
    repo.git(&["commit", "-q", "-am", "refactor a"]);
    repo.write("src/c.rs", "pub fn c() {}\n");
    repo.git(&["add", "src/c.rs"]);
    repo.git(&["commit", "-q", "-m", "add c"]);
    repo.write("src/b.rs", "uncommitted change\n");
    repo.write("scratch.txt", "untracked work\n");
    repo
}

#[test]
fn sprint_saves_everything_and_retries_from_the_start() {
    let repo = failed_sprint();
    let main = repo.git(&["rev-parse", "main"]);
    let start = repo.git(&["rev-parse", "checkpoint/sprint-3^{commit}"]);
    let json = repo
        .rollback(&["sprint", "3", "--reason", "tests failing", "--json"])
        .ok()
        .json();
    let backup = json["backup_branch"].as_str().unwrap().to_owned();
    assert!(
        backup.starts_with("refs/heads/backup/sprint-3-"),
        "{backup}"
    );
    assert_eq!(json["retry_branch"], "refs/heads/refactor/sprint-3-retry");

    // The backup branch holds the commits, the uncommitted change and the untracked file.
    assert_eq!(
        repo.git(&["show", &format!("{backup}:scratch.txt")]),
        "untracked work\n"
    );
    assert_eq!(
        repo.git(&["show", &format!("{backup}:src/b.rs")]),
        "uncommitted change\n"
    );
    assert_eq!(
        repo.git(&["show", &format!("{backup}:src/c.rs")]),
        "pub fn c() {}\n"
    );
    assert_eq!(
        repo.git(&["merge-base", "--is-ancestor", main.trim(), &backup]),
        ""
    );
    // The original branch did not move; HEAD is the retry branch at the start, clean.
    assert_eq!(repo.git(&["rev-parse", "main"]), main);
    assert_eq!(
        repo.git(&["symbolic-ref", "HEAD"]),
        "refs/heads/refactor/sprint-3-retry\n"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), start);
    assert_eq!(repo.status(), "");
    assert!(!repo.exists("scratch.txt"));
    repo.fsck();

    // The failure report is in the event.
    let log = repo.rollback(&["log", "--json"]).ok().json();
    let event = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "sprint")
        .unwrap();
    assert_eq!(event["reason"], "tests failing");
    assert_eq!(event["details"]["commits"].as_array().unwrap().len(), 2);
    assert_eq!(event["details"]["commits"][0]["subject"], "add c");
    let files = event["details"]["files"].as_array().unwrap();
    let a = files.iter().find(|f| f["path"] == "src/a.rs").unwrap();
    assert_eq!(
        (
            a["status"].as_str(),
            a["insertions"].as_u64(),
            a["deletions"].as_u64()
        ),
        (Some("modified"), Some(1), Some(1))
    );
    assert!(files
        .iter()
        .any(|f| f["path"] == "scratch.txt" && f["status"] == "added"));
    assert_eq!(event["details"]["branch"], "refs/heads/main");

    // report and stats read it.
    let report = repo
        .rollback(&["report", event["id"].as_str().unwrap()])
        .ok()
        .stdout();
    assert!(
        report.starts_with("# Rollback report: sprint sprint-3"),
        "{report}"
    );
    assert!(report.contains("| Reason | tests failing |"), "{report}");
    assert!(
        report.contains(backup.trim_start_matches("refs/heads/")),
        "{report}"
    );
    assert!(report.contains("git rollback undo"), "{report}");
    assert!(report.contains("add c"), "{report}");
    let by_checkpoint = repo.rollback(&["report", "sprint-3"]).ok().stdout();
    assert_eq!(by_checkpoint, report);
    let stats = repo.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(stats["rollbacks"], 1);
    assert_eq!(stats["by_kind"]["sprint"], 1);
    assert_eq!(stats["by_cause"]["tests failing"], 1);
    assert_eq!(stats["recovery"]["count"], 1);
}

#[test]
fn report_can_be_written_to_a_file() {
    let repo = failed_sprint();
    repo.rollback(&["sprint", "3", "--reason", "flaky"]).ok();
    repo.rollback(&["report", "sprint-3", "-o", "incident.md"])
        .ok();
    assert!(repo.read("incident.md").contains("| Reason | flaky |"));
    repo.rollback(&["report", "nothing-like-it"])
        .fails(2, "no rollback 'nothing-like-it'");
}

#[test]
fn an_existing_retry_branch_gets_a_number() {
    let repo = failed_sprint();
    repo.git(&["branch", "refactor/sprint-3-retry"]);
    let json = repo.rollback(&["sprint", "3", "--json"]).ok().json();
    assert_eq!(json["retry_branch"], "refs/heads/refactor/sprint-3-retry-2");
    assert_eq!(
        repo.git(&["symbolic-ref", "HEAD"]),
        "refs/heads/refactor/sprint-3-retry-2\n"
    );
}

#[test]
fn undo_returns_to_the_sprint_branch_with_every_file() {
    let repo = failed_sprint();
    let before = repo.observe();
    repo.rollback(&["sprint", "3"]).ok();
    repo.rollback(&["undo"]).ok();
    let after = repo.observe();
    assert_eq!(after.files, before.files);
    assert_eq!(after.index, before.index);
    assert_eq!(after.head, before.head);
}

#[test]
fn sprint_without_a_start_checkpoint_is_refused() {
    let repo = failed_sprint();
    let before = repo.observe();
    let run = repo
        .rollback(&["sprint", "4"])
        .fails(2, "sprint 4 has no start checkpoint 'sprint-4'");
    assert!(
        run.stderr().contains("git rollback checkpoint --sprint 4"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.observe(), before);
}

#[test]
fn sprint_dry_run_changes_nothing() {
    let repo = failed_sprint();
    let before = repo.observe();
    let text = repo.rollback(&["sprint", "3", "--dry-run"]).ok().stdout();
    assert!(
        text.contains("Would save") && text.contains("Would retry on refactor/sprint-3-retry"),
        "{text}"
    );
    assert_eq!(repo.observe(), before);
}

#[test]
fn stats_counts_by_kind_cause_and_severity() {
    let repo = failed_sprint();
    repo.rollback(&["checkpoint", "now"]).ok();
    repo.rollback(&[
        "to",
        "sprint-3",
        "--reason",
        "bad deploy",
        "--severity",
        "critical",
    ])
    .ok();
    repo.rollback(&["to", "now", "--reason", "bad deploy", "--severity", "low"])
        .ok();
    repo.rollback(&["undo"]).ok();
    let stats = repo.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(stats["rollbacks"], 2);
    assert_eq!(stats["undos"], 1);
    assert_eq!(stats["checkpoints"], 2);
    assert_eq!(stats["by_cause"]["bad deploy"], 2);
    assert_eq!(stats["by_severity"]["critical"], 1);
    assert_eq!(stats["by_severity"]["low"], 1);
    assert_eq!(stats["recovery"]["count"], 2);
    assert!(stats["recovery"]["max_ms"].as_u64().is_some());
    assert_eq!(
        stats["per_week"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        2
    );
    let text = repo.rollback(&["stats"]).ok().stdout();
    assert!(
        text.contains("rollbacks:   2") && text.contains("bad deploy"),
        "{text}"
    );
}

/// Undo of a sprint removes the retry and backup branches it made (the
/// work is back in the work tree); redo makes them again; a branch moved
/// since is kept and named.
#[test]
fn undo_of_a_sprint_removes_its_branches_and_redo_makes_them_again() {
    let repo = failed_sprint();
    let before = repo.observe_user();
    let json = repo
        .rollback(&["sprint", "3", "--no-test", "--json"])
        .ok()
        .json();
    let (backup, retry) = (
        json["backup_branch"].as_str().unwrap().to_owned(),
        json["retry_branch"].as_str().unwrap().to_owned(),
    );
    let value = |name: &str| {
        repo.git_run(&["rev-parse", "--verify", "-q", name])
            .stdout()
    };
    let (backup_at, retry_at) = (value(&backup), value(&retry));
    assert!(!backup_at.is_empty() && !retry_at.is_empty());
    let undo = repo.rollback(&["undo"]).ok();
    assert!(
        undo.stdout().contains("Branches made or removed"),
        "{}",
        undo.stdout()
    );
    assert_eq!(
        repo.observe_user(),
        before,
        "branches gone, every byte back"
    );
    repo.rollback(&["redo"]).ok();
    assert_eq!(
        (value(&backup), value(&retry)),
        (backup_at.clone(), retry_at)
    );
    // A commit on the retry branch: its undo keeps it.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "retry work"]);
    let undo = repo.rollback(&["undo"]).ok();
    assert!(
        undo.stdout()
            .contains("Kept (moved since): refactor/sprint-3-retry"),
        "{}",
        undo.stdout()
    );
    assert_eq!(value(&backup), "", "the unchanged backup branch is removed");
}

/// After a sprint is backed out, `recover` brings chosen commits of its
/// backup branch back onto a new branch at the sprint's start.
#[test]
fn recover_brings_chosen_commits_back_from_the_sprint_backup() {
    let repo = failed_sprint();
    let json = repo.rollback(&["sprint", "3", "--json"]).ok().json();
    let backup = json["backup_branch"]
        .as_str()
        .unwrap()
        .trim_start_matches("refs/heads/")
        .to_owned();
    let add_c = repo
        .git(&["rev-parse", &format!("{backup}~1")])
        .trim()
        .to_owned();
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", &add_c]).trim(),
        "add c"
    );

    // The dry run lists the branch's commits and changes nothing.
    let before = repo.observe();
    let dry = repo
        .rollback(&[
            "recover",
            &backup,
            "--onto",
            "sprint-3",
            "--pick",
            &add_c,
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    let subjects: Vec<&str> = dry["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects[..2], ["refactor a", "add c"], "oldest first");
    assert_eq!(dry["picked"][0]["id"], add_c);
    assert_eq!(repo.observe(), before);

    let json = repo
        .rollback(&[
            "recover", &backup, "--onto", "sprint-3", "--pick", &add_c, "--json",
        ])
        .ok()
        .json();
    let branch = json["branch"].as_str().unwrap();
    assert!(branch.starts_with("recovery/"), "{json}");
    assert_eq!(
        repo.git(&["symbolic-ref", "--short", "HEAD"]).trim(),
        branch
    );
    assert_eq!(repo.read("src/c.rs"), "pub fn c() {}\n", "add c is back");
    assert_eq!(
        repo.read("src/a.rs"),
        "pub fn a() { 1 }\n",
        "refactor a is not"
    );
    assert_eq!(
        repo.git(&["rev-parse", "HEAD~1"]),
        repo.git(&["rev-parse", "checkpoint/sprint-3^{commit}"])
    );
    let log = repo
        .rollback(&["log", "--kind", "recover", "--json"])
        .ok()
        .json();
    assert_eq!(log[0]["details"]["picked"][0], add_c);
    repo.fsck();
}

#[test]
fn a_conflicting_pick_stops_with_gits_cherry_pick_state() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["switch", "-q", "-c", "failed"]);
    repo.write("src/a.rs", "two\n");
    repo.git(&["commit", "-q", "-am", "two"]);
    repo.write("src/a.rs", "three\n");
    repo.git(&["commit", "-q", "-am", "three"]);
    repo.git(&["switch", "-q", "main"]);
    let three = repo.git(&["rev-parse", "failed"]).trim().to_owned();

    // Bad input first: nothing changes.
    let before = repo.observe();
    repo.rollback(&["recover", "nosuch", "--onto", "base"])
        .fails(2, "'nosuch' is not a branch or a commit");
    repo.rollback(&["recover", "failed"])
        .fails(2, "no checkpoint to build on: give --onto CHECKPOINT");
    repo.rollback(&["recover", "failed", "--onto", "base", "--pick", "HEAD"])
        .fails(2, "'HEAD' is not one of the commits of 'failed'");
    repo.write("src/b.rs", "uncommitted\n");
    repo.rollback(&["recover", "failed", "--onto", "base"])
        .fails(3, "the work tree has uncommitted changes");
    repo.git(&["checkout", "-q", "--", "src/b.rs"]);
    assert_eq!(repo.observe(), before);

    // Only "three" onto base: it changes a line base does not have.
    let run = repo.rollback(&["recover", "failed", "--onto", "base", "--pick", &three]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("stopped on a conflict in src/a.rs"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("git cherry-pick --continue"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("git cherry-pick --abort"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        repo.git(&["rev-parse", "CHERRY_PICK_HEAD"]).trim(),
        three,
        "git's cherry-pick state"
    );
    repo.git(&["cherry-pick", "--abort"]);
    assert!(repo
        .git(&["symbolic-ref", "--short", "HEAD"])
        .starts_with("recovery/"));
}
