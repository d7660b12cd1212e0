//! `sync`: two clones of a bare remote on disk share checkpoints and the
//! operation log; git's own `notes show`, `ls-remote` and `fsck` judge.

use crate::support::TestRepo;

/// The ids of the events in the note `git notes --ref=rollback show` prints
/// for `object` in `dir` (a clone or the bare remote).
fn note_ids(repo: &TestRepo, git_dir: &std::path::Path, object: &str) -> Vec<String> {
    let text = repo.git(&[
        "--git-dir",
        git_dir.to_str().unwrap(),
        "notes",
        "--ref=rollback",
        "show",
        object,
    ]);
    let mut ids: Vec<String> = text
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

fn checkpoints(repo: &TestRepo) -> Vec<(String, Option<String>)> {
    let json = repo.rollback(&["list", "--json"]).ok().json();
    let mut list: Vec<(String, Option<String>)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["origin"].as_str().map(str::to_owned),
            )
        })
        .collect();
    list.sort();
    list
}

fn remote_tags(repo: &TestRepo) -> String {
    repo.git(&["ls-remote", "--refs", "origin", "refs/tags/*"])
}

#[test]
fn two_clones_keep_every_event_and_untracked_checkpoints_stay_home() {
    let a = TestRepo::with_remote("basic");
    let b = TestRepo::clone_of(&a.remote());
    let head = a.git(&["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(b.git(&["rev-parse", "HEAD"]).trim(), head);

    // Both clones record an event on the same commit (a backup notes HEAD),
    // so the two logs have one note each for it: only a line union keeps both.
    let ours = a.rollback(&["backup", "create", "--json"]).ok().json();
    let theirs = b.rollback(&["backup", "create", "--json"]).ok().json();
    a.rollback(&["checkpoint", "from-a"]).ok();
    b.rollback(&["checkpoint", "from-b"]).ok();
    b.write("notes-to-self.txt", "my own untracked file\n");
    b.rollback(&["checkpoint", "b-wip"]).ok();

    let first = a.rollback(&["sync"]).ok().stdout();
    assert!(
        first.contains("Pushed to origin: 2 events, 1 checkpoint (from-a)"),
        "{first}"
    );
    let second = b.rollback(&["sync", "--json"]).ok().json();
    assert_eq!(second["fetched_events"], 2, "{second}");
    assert_eq!(second["fetched_checkpoints"], serde_json::json!(["from-a"]));
    assert_eq!(second["pushed_checkpoints"], serde_json::json!(["from-b"]));
    assert_eq!(second["held_back"], serde_json::json!(["b-wip"]));
    let third = a.rollback(&["sync"]).ok().stdout();
    assert!(
        third.contains("Fetched from origin: 3 events, 1 checkpoint (from-b)"),
        "{third}"
    );
    assert!(!third.contains("Pushed"), "{third}");
    assert!(a
        .rollback(&["sync"])
        .ok()
        .stdout()
        .contains("Already in sync with origin"));

    // Every event of both sides, once, on both sides and on the remote.
    let both = {
        let mut ids = vec![
            ours["event"].as_str().unwrap().to_owned(),
            theirs["event"].as_str().unwrap().to_owned(),
        ];
        ids.sort();
        ids
    };
    for (repo, git_dir) in [
        (&a, a.path.join(".git")),
        (&b, b.path.join(".git")),
        (&a, a.remote()),
    ] {
        assert_eq!(
            note_ids(repo, &git_dir, &head),
            both,
            "{}",
            git_dir.display()
        );
    }
    let all_ids = |repo: &TestRepo| {
        let json = repo.rollback(&["log", "--json"]).ok().json();
        let mut ids: Vec<String> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(all_ids(&a), all_ids(&b));
    assert_eq!(all_ids(&a).len(), 5, "two backups, three checkpoints");
    // `log -n N` walks the log's history through the sync's merge and
    // shows what a whole read shows, in the same order.
    for repo in [&a, &b] {
        let newest_first = |args: &[&str]| -> Vec<String> {
            let json = repo.rollback(args).ok().json();
            json.as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let whole = newest_first(&["log", "--json"]);
        for n in 1..=whole.len() {
            let shown = newest_first(&["log", "-n", &n.to_string(), "--json"]);
            assert_eq!(shown, whole[..n], "log -n {n}");
        }
    }

    // The untracked-holding checkpoint stayed in b; the others travelled,
    // and each side says where the other's came from.
    assert!(!remote_tags(&a).contains("b-wip"), "{}", remote_tags(&a));
    assert_eq!(
        checkpoints(&a),
        vec![
            ("from-a".to_owned(), None),
            ("from-b".to_owned(), Some("origin".to_owned()))
        ]
    );
    assert_eq!(
        checkpoints(&b),
        vec![
            ("b-wip".to_owned(), None),
            ("from-a".to_owned(), Some("origin".to_owned())),
            ("from-b".to_owned(), None)
        ]
    );
    let log = a.rollback(&["log"]).ok().stdout();
    let from_b = log
        .lines()
        .find(|l| l.contains("checkpoint from-b"))
        .unwrap();
    assert!(from_b.ends_with("(from origin)"), "{log}");
    let from_a = log
        .lines()
        .find(|l| l.contains("checkpoint from-a"))
        .unwrap();
    assert!(!from_a.contains("(from "), "{log}");
    // A fetched checkpoint is one to roll back to; nothing is left under
    // refs/rollback/sync/.
    a.rollback(&["to", "from-b"]).ok();
    assert!(!a.git(&["for-each-ref"]).contains("refs/rollback/sync/"));

    // With --include-untracked it goes too.
    let pushed = b.rollback(&["sync", "--include-untracked"]).ok().stdout();
    assert!(pushed.contains("1 checkpoint (b-wip)"), "{pushed}");
    assert!(remote_tags(&b).contains("refs/tags/checkpoint/b-wip"));
    for repo in [&a, &b] {
        repo.fsck();
    }
    a.git(&[
        "--git-dir",
        a.remote().to_str().unwrap(),
        "fsck",
        "--strict",
    ]);
}

#[test]
fn stats_count_the_teams_rollbacks_after_sync() {
    let a = TestRepo::with_remote("basic");
    let b = TestRepo::clone_of(&a.remote());
    b.rollback(&["checkpoint", "base"]).ok();
    b.write("src/a.rs", "broken\n");
    b.rollback(&["to", "base", "--reason", "bad deploy"]).ok();
    let before = a.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(before["rollbacks"], 0, "{before}");
    b.rollback(&["sync"]).ok();
    a.rollback(&["sync"]).ok();
    let after = a.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(after["rollbacks"], 1, "{after}");
    assert_eq!(
        after["by_person"]["Ada Tester <ada@example.com>"], 1,
        "{after}"
    );
    // b's rollback is counted here but is not one a's undo reverses.
    let undo = a.rollback(&["undo"]);
    assert_eq!(undo.code(), 2, "{}", undo.stderr());
}

#[test]
fn a_push_from_another_clone_between_fetch_and_push_is_merged_in() {
    let a = TestRepo::with_remote("basic");
    let b = TestRepo::clone_of(&a.remote());
    a.rollback(&["checkpoint", "first"]).ok();
    a.rollback(&["sync"]).ok();
    b.rollback(&["sync"]).ok();
    a.rollback(&["checkpoint", "from-a"]).ok();
    // While a is between its fetch and its push, b records and publishes.
    let meanwhile = format!(
        "cd '{}' && git rollback checkpoint from-b -q && git rollback sync -q",
        b.path.display()
    );
    let synced = a
        .rollback_env(
            &[
                ("GIT_ROLLBACK_TEST_RUN_AT", "sync-fetched"),
                ("GIT_ROLLBACK_TEST_RUN", &meanwhile),
            ],
            &["sync", "--json"],
        )
        .ok()
        .json();
    assert_eq!(synced["attempts"], 2, "{synced}");
    assert_eq!(synced["fetched_checkpoints"], serde_json::json!(["from-b"]));
    assert_eq!(synced["pushed_checkpoints"], serde_json::json!(["from-a"]));
    b.rollback(&["sync"]).ok();
    let kinds = |repo: &TestRepo| {
        let json = repo.rollback(&["log", "--json"]).ok().json();
        let mut names: Vec<String> = json
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["checkpoint"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    };
    assert_eq!(kinds(&a), ["first", "from-a", "from-b"]);
    assert_eq!(kinds(&b), kinds(&a));
    a.fsck();
}

#[test]
fn a_dry_run_and_one_way_syncs_change_only_what_they_say() {
    let a = TestRepo::with_remote("basic");
    let b = TestRepo::clone_of(&a.remote());
    let c = TestRepo::clone_of(&a.remote());
    a.rollback(&["checkpoint", "from-a"]).ok();
    b.rollback(&["checkpoint", "from-b"]).ok();
    a.rollback(&["sync"]).ok();

    let before = b.observe();
    let remote_before = remote_tags(&b);
    let dry = b.rollback(&["sync", "--dry-run"]).ok().stdout();
    assert!(
        dry.contains("Would fetch from origin: 1 event, 1 checkpoint (from-a)"),
        "{dry}"
    );
    assert!(
        dry.contains("Would push to origin: 1 event, 1 checkpoint (from-b)"),
        "{dry}"
    );
    assert_eq!(b.observe(), before);
    assert_eq!(remote_tags(&b), remote_before);

    b.rollback(&["sync", "--fetch-only"]).ok();
    assert_eq!(remote_tags(&b), remote_before, "fetch-only pushes nothing");
    assert_eq!(checkpoints(&b).len(), 2);

    c.rollback(&["checkpoint", "from-c"]).ok();
    c.rollback(&["sync", "--push-only"]).ok();
    assert!(remote_tags(&c).contains("checkpoint/from-c"));
    assert_eq!(
        checkpoints(&c),
        vec![("from-c".to_owned(), None)],
        "push-only takes nothing"
    );
}

#[test]
fn a_checkpoint_deleted_here_is_not_fetched_back() {
    let a = TestRepo::with_remote("basic");
    a.rollback(&["checkpoint", "old"]).ok();
    a.rollback(&["sync"]).ok();
    a.rollback(&["checkpoint", "--delete", "old"]).ok();
    let out = a.rollback(&["sync"]).ok().stdout();
    assert!(
        out.contains("Not fetched (deleted or renamed here): old"),
        "{out}"
    );
    assert!(checkpoints(&a).is_empty());
}

#[test]
fn bad_remotes_and_diverged_names_are_refused_and_nothing_changes() {
    let a = TestRepo::with_remote("basic");
    a.rollback(&["checkpoint", "same"]).ok();
    let before = a.observe();

    a.rollback(&["sync", "nosuch"])
        .fails(2, "'nosuch' is not a remote of this repository");
    assert_eq!(a.observe(), before);

    a.git(&["remote", "add", "gone", "/nonexistent/remote.git"]);
    let before = a.observe();
    a.rollback(&["sync", "gone"])
        .fails(1, "cannot read the remote 'gone'");
    a.rollback(&["sync", "/nonexistent/elsewhere.git"])
        .fails(1, "cannot read the remote '/nonexistent/elsewhere.git'");
    assert_eq!(a.observe(), before);

    // A remote whose refs/notes/rollback is an ordinary commit.
    let tree = a.git(&["rev-parse", "HEAD^{tree}"]).trim().to_owned();
    let commit = a
        .git(&["commit-tree", "-m", "not notes", &tree])
        .trim()
        .to_owned();
    a.git(&[
        "push",
        "-q",
        "origin",
        &format!("{commit}:refs/notes/rollback"),
    ]);
    let remote_before = a.git(&["ls-remote", "origin"]);
    a.rollback(&["sync"])
        .fails(3, "has a refs/notes/rollback that is not a notes tree");
    assert_eq!(a.observe(), before);
    assert_eq!(a.git(&["ls-remote", "origin"]), remote_before);
    a.git(&["push", "-q", "origin", ":refs/notes/rollback"]);

    // The same checkpoint name for different commits on the two sides.
    a.rollback(&["sync"]).ok();
    let b = TestRepo::clone_of(&a.remote());
    b.write("src/a.rs", "b's change\n");
    b.git(&["commit", "-q", "-am", "b's change"]);
    // (the clone has a's tag; --force moves it here only)
    b.rollback(&["checkpoint", "same", "--force"]).ok();
    b.rollback(&["checkpoint", "other"]).ok();
    let b_before = b.observe();
    let remote_before = b.git(&["ls-remote", "origin"]);
    let refused = b.rollback(&["sync"]).fails(
        3,
        "a checkpoint name is on both sides with different commits: same",
    );
    assert!(
        refused
            .stderr()
            .contains("checkpoint same --rename same-mine"),
        "{}",
        refused.stderr()
    );
    assert_eq!(b.observe(), b_before);
    assert_eq!(b.git(&["ls-remote", "origin"]), remote_before);
    // Renamed, both are kept.
    b.rollback(&["checkpoint", "same", "--rename", "same-b"])
        .ok();
    b.rollback(&["sync"]).ok();
    let names: Vec<String> = checkpoints(&b).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["other", "same", "same-b"]);
}

/// A new clone with no commit yet takes the team's checkpoints and log.
#[test]
fn a_repository_without_commits_can_fetch_the_teams_checkpoints() {
    let a = TestRepo::with_remote("basic");
    a.rollback(&["checkpoint", "base"]).ok();
    a.rollback(&["sync"]).ok();
    let empty = TestRepo::fixture("basic");
    let fresh = empty.path.join("fresh");
    empty.git(&["init", "-q", fresh.to_str().unwrap()]);
    empty.git_in(
        &fresh,
        &["remote", "add", "origin", a.remote().to_str().unwrap()],
    );
    let out = empty
        .rollback_in(&fresh, &["sync", "--fetch-only"])
        .ok()
        .stdout();
    assert!(out.contains("1 checkpoint (base)"), "{out}");
    let list = empty.rollback_in(&fresh, &["list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], "base");
}
