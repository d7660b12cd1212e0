use crate::support::TestRepo;

#[test]
fn checkpoint_of_clean_tree_tags_head() {
    let repo = TestRepo::fixture("basic");
    let before = repo.observe();
    let run = repo
        .rollback(&["checkpoint", "stable", "-m", "all green"])
        .ok();
    assert!(
        run.stdout().contains("Created checkpoint 'stable'"),
        "{}",
        run.stdout()
    );

    assert_eq!(
        repo.git(&["cat-file", "-t", "refs/tags/checkpoint/stable"]),
        "tag\n"
    );
    assert_eq!(
        repo.git(&["rev-parse", "checkpoint/stable^{commit}"]),
        repo.git(&["rev-parse", "HEAD"])
    );
    assert!(repo
        .git(&["cat-file", "-p", "checkpoint/stable"])
        .ends_with("\nall green\n"));
    let after = repo.observe();
    assert_eq!(before.files, after.files);
    assert_eq!(before.index, after.index);
    assert_eq!(before.head, after.head);
    repo.fsck();
}

#[test]
fn checkpoint_event_is_a_json_line_in_the_rollback_notes() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "first"]).ok();
    repo.rollback(&["checkpoint", "second"]).ok();
    // Both checkpoints point at HEAD; each event is the note of its own tag
    // object, so a checkpoint never rewrites the others' note.
    let lines: Vec<serde_json::Value> = ["first", "second"]
        .iter()
        .map(|name| {
            let note = repo.git(&[
                "notes",
                "--ref=rollback",
                "show",
                &format!("checkpoint/{name}"),
            ]);
            assert_eq!(note.lines().count(), 1, "{note}");
            serde_json::from_str(note.trim()).unwrap()
        })
        .collect();
    assert_eq!(lines[0]["kind"], "checkpoint");
    assert_eq!(lines[0]["checkpoint"], "first");
    assert_eq!(lines[1]["checkpoint"], "second");
    assert_eq!(
        lines[0]["object"],
        repo.git(&["rev-parse", "checkpoint/first"]).trim()
    );
    assert_ne!(
        repo.git_run(&["notes", "--ref=rollback", "show", "HEAD"])
            .code(),
        0
    );
    for line in &lines {
        for key in ["id", "kind", "at", "by"] {
            assert!(line[key].is_string(), "{key} missing in {line}");
        }
        assert_eq!(line["by"], "Ada Tester <ada@example.com>");
    }
}

#[test]
fn checkpoint_of_dirty_tree_is_a_stash_snapshot_git_can_read() {
    let repo = TestRepo::fixture("dirty");
    let status = repo.status();
    let before = repo.observe();
    let run = repo.rollback(&["checkpoint", "wip", "--json"]).ok();
    let json = run.json();
    assert_eq!(json["checkpoint"]["dirty"], true);
    assert_eq!(json["counts"]["untracked"], 1);

    let shown = repo.git(&[
        "stash",
        "show",
        "--include-untracked",
        "--name-only",
        "checkpoint/wip^{commit}",
    ]);
    assert!(shown.lines().any(|l| l == "notes/todo.txt"), "{shown}");
    assert!(
        !shown.contains(".env"),
        "ignored file leaked into the snapshot: {shown}"
    );
    // The snapshot's trees are the ones git itself computes.
    let ours = repo.git(&[
        "rev-parse",
        "checkpoint/wip^{commit}^{tree}",
        "checkpoint/wip^{commit}^2^{tree}",
    ]);
    let stash = repo.git(&["stash", "create"]);
    let theirs = repo.git(&[
        "rev-parse",
        &format!("{}^{{tree}}", stash.trim()),
        &format!("{}^2^{{tree}}", stash.trim()),
    ]);
    assert_eq!(ours, theirs);
    assert_eq!(
        repo.git(&["rev-parse", "checkpoint/wip^{commit}^1"]),
        repo.git(&["rev-parse", "HEAD"])
    );

    assert_eq!(
        repo.status(),
        status,
        "checkpoint changed the work tree or index"
    );
    let after = repo.observe();
    assert_eq!(before.files, after.files);
    assert_eq!(before.index, after.index);
    repo.fsck();

    // git stash apply understands the snapshot: from a clean tree it brings the state back.
    repo.git(&["reset", "-q", "--hard"]);
    repo.git(&["clean", "-q", "-f", "-d"]);
    repo.git(&["stash", "apply", "-q", "--index", "checkpoint/wip^{commit}"]);
    assert_eq!(repo.status(), status);
    assert_eq!(repo.files(), before.files);
}

#[test]
fn quiet_prints_nothing_but_still_works() {
    let repo = TestRepo::fixture("basic");
    let run = repo.rollback(&["-q", "checkpoint", "silent"]).ok();
    assert_eq!(run.stdout(), "");
    assert_eq!(run.stderr(), "");
    assert_eq!(repo.git(&["cat-file", "-t", "checkpoint/silent"]), "tag\n");
}

#[test]
fn checkpoint_sprint_is_named_sprint_n_and_recorded() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "--sprint", "3", "--stage", "GAP-001"])
        .ok();
    let json = repo.rollback(&["show", "sprint-3", "--json"]).ok().json();
    assert_eq!(json["id"], "sprint-3");
    assert_eq!(json["events"][0]["details"]["sprint"], 3);
    assert_eq!(json["events"][0]["details"]["stage"], "GAP-001");
}

#[test]
fn checkpoint_default_name_is_utc_timestamp() {
    let repo = TestRepo::fixture("basic");
    let json = repo.rollback(&["checkpoint", "--json"]).ok().json();
    let name = json["checkpoint"]["id"].as_str().unwrap().to_owned();
    assert_eq!(name.len(), "YYYYMMDD-HHMMSS".len(), "{name}");
    assert!(
        name.chars()
            .enumerate()
            .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() }),
        "{name}"
    );
    let second = repo.rollback(&["checkpoint", "--json"]).ok().json();
    assert_ne!(second["checkpoint"]["id"], json["checkpoint"]["id"]);
}

#[test]
fn existing_checkpoint_is_refused_without_force() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "stable"]).ok();
    let target = repo.git(&["rev-parse", "checkpoint/stable"]);
    repo.write("src/a.rs", "changed\n");
    let before = repo.observe();
    repo.rollback(&["checkpoint", "stable"])
        .fails(2, "checkpoint 'stable' already exists");
    assert_eq!(repo.observe(), before);
    repo.rollback(&["checkpoint", "stable", "--force"]).ok();
    assert_ne!(repo.git(&["rev-parse", "checkpoint/stable"]), target);
}

#[test]
fn list_is_newest_first_with_ids() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "older"]).ok();
    repo.write("untracked.txt", "x\n");
    repo.rollback(&["checkpoint", "newer", "-m", "with an untracked file"])
        .ok();
    let json = repo.rollback(&["list", "--json"]).ok().json();
    let ids: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["newer", "older"]);
    assert_eq!(json[0]["dirty"], true);
    assert_eq!(json[1]["dirty"], false);
    assert_eq!(json[0]["message"], "with an untracked file");
    let text = repo.rollback(&["list"]).ok().stdout();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("newer") && lines[0].contains("dirty"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("older") && lines[1].contains("clean"),
        "{text}"
    );
}

/// `list` remembers what it read of each tag by the tag's id; a checkpoint
/// made again, a deleted one and a damaged cache file all list as git says.
#[test]
fn list_stays_exact_through_its_cache() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "kept", "-m", "first words"])
        .ok();
    repo.rollback(&["checkpoint", "gone"]).ok();
    let first = repo.rollback(&["list", "--json"]).ok().json();
    assert_eq!(first.as_array().unwrap().len(), 2);
    let cache = repo.path.join(".git/rollback/list-cache");
    assert!(cache.exists());
    repo.write("src/a.rs", "changed\n");
    repo.rollback(&["checkpoint", "kept", "--force", "-m", "second words"])
        .ok();
    repo.git(&["tag", "-d", "checkpoint/gone"]);
    let json = repo.rollback(&["list", "--json"]).ok().json();
    let listed = json.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{json}");
    assert_eq!(listed[0]["message"], "second words");
    assert_eq!(listed[0]["dirty"], true);
    assert_eq!(
        listed[0]["target"].as_str().unwrap(),
        repo.git(&["rev-parse", "checkpoint/kept^{commit}"]).trim()
    );
    std::fs::write(&cache, "not hex {\n\u{0}\n").unwrap();
    assert_eq!(repo.rollback(&["list", "--json"]).ok().json(), json);
    assert_eq!(repo.rollback(&["list", "--json"]).ok().json(), json);
}

#[test]
fn show_lists_what_differs_from_head() {
    let repo = TestRepo::fixture("basic");
    repo.write("src/a.rs", "edited\n");
    repo.write("new.txt", "new\n");
    repo.rollback(&["checkpoint", "edits"]).ok();
    let json = repo.rollback(&["show", "edits", "--json"]).ok().json();
    let changes: Vec<(String, String)> = json["changes_from_head"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_owned(),
                c["worktree"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("new.txt".into(), "restore".into()),
            ("src/a.rs".into(), "restore".into())
        ]
    );
    let text = repo.rollback(&["show", "edits"]).ok().stdout();
    assert!(
        text.contains("checkpoint edits") && text.contains("src/a.rs"),
        "{text}"
    );
    // Against the work tree: nothing yet; then one edited path, which
    // `to edits` would restore (and show changes nothing).
    assert!(
        text.contains("The work tree and index are as at the checkpoint."),
        "{text}"
    );
    repo.write("src/a.rs", "edited again\n");
    let before = repo.observe_user();
    let text = repo.rollback(&["show", "edits"]).ok().stdout();
    assert!(
        text.contains("Differs from the work tree and index in 1 path:\n  WORKTREE INDEX   PATH\n  restore  keep    src/a.rs\n"),
        "{text}"
    );
    assert!(
        text.contains("  checkpoint edits  by "),
        "events read as log lines: {text}"
    );
    assert_eq!(repo.observe_user(), before);
}

#[test]
fn checkpoint_dry_run_creates_nothing() {
    let repo = TestRepo::fixture("dirty");
    let before = repo.observe();
    let json = repo
        .rollback(&["checkpoint", "maybe", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["checkpoint"]["id"], "maybe");
    assert_eq!(json["checkpoint"]["dirty"], true);
    assert_eq!(json["counts"]["untracked"], 1);
    assert!(json["event"].is_null(), "nothing recorded: {json}");
    assert!(json["checkpoint"]["origin"].is_null(), "{json}");
    assert_eq!(repo.observe(), before, "no tag, no note, no file changed");
}

/// A name and `--sprint` together: refused, not silently one of them.
#[test]
fn a_name_and_sprint_together_are_refused() {
    let repo = TestRepo::fixture("basic");
    let before = repo.observe();
    let run = repo.rollback(&["checkpoint", "foo", "--sprint", "4"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("cannot be used with"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.observe(), before);
}

/// A checkpoint whose snapshot holds untracked files warns that pushing all
/// tags would publish them; a clean one does not.
#[test]
fn a_checkpoint_with_untracked_files_warns_about_pushing_tags() {
    let repo = TestRepo::fixture("dirty");
    let run = repo.rollback(&["checkpoint", "with-untracked"]).ok();
    assert!(
        run.stderr()
            .starts_with("warning: checkpoint 'with-untracked' holds untracked files")
            && run.stderr().contains("git push --tags"),
        "{}",
        run.stderr()
    );
    let clean = TestRepo::fixture("basic");
    let run = clean.rollback(&["checkpoint", "clean"]).ok();
    assert_eq!(run.stderr(), "");
}

/// `checkpoint --delete` and `--rename` are recorded operations on refs
/// only: `undo` brings the checkpoint (the same tag object) back, `redo`
/// does them again, and no file, index entry or HEAD moves — not even a
/// commit made in between.
#[test]
fn delete_and_rename_are_undoable_and_touch_only_the_tags() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "old", "-m", "kept words"])
        .ok();
    let tag = repo.git(&["rev-parse", "checkpoint/old"]);
    let run = repo.rollback(&["checkpoint", "--delete", "old"]).ok();
    assert!(
        run.stdout().starts_with("Deleted checkpoint old"),
        "{}",
        run.stdout()
    );
    assert_ne!(
        repo.git_run(&["rev-parse", "--verify", "-q", "checkpoint/old"])
            .code(),
        0
    );
    repo.git(&["commit", "-q", "-m", "work after the delete"]);
    repo.write("src/a.rs", "edited after\n");
    let before_undo = repo.observe();
    repo.rollback(&["undo"]).ok();
    assert_eq!(
        repo.git(&["rev-parse", "checkpoint/old"]),
        tag,
        "the same tag object"
    );
    let after = repo.observe();
    assert_eq!(
        (after.files, after.index, after.head),
        (before_undo.files, before_undo.index, before_undo.head)
    );
    repo.rollback(&["redo"]).ok();
    assert_ne!(
        repo.git_run(&["rev-parse", "--verify", "-q", "checkpoint/old"])
            .code(),
        0
    );
    repo.rollback(&["undo"]).ok();

    repo.rollback(&["checkpoint", "old", "--rename", "new"])
        .ok();
    let list = repo.rollback(&["list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], "new");
    assert_eq!(list[0]["message"], "kept words");
    assert_eq!(
        repo.git(&["rev-parse", "checkpoint/new^{commit}"]),
        repo.git(&["rev-parse", &format!("{}^{{commit}}", tag.trim())])
    );
    assert!(repo
        .git(&["cat-file", "-p", "checkpoint/new"])
        .contains("tag checkpoint/new\n"));
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.git(&["rev-parse", "checkpoint/old"]), tag);
    assert_ne!(
        repo.git_run(&["rev-parse", "--verify", "-q", "checkpoint/new"])
            .code(),
        0
    );
    repo.fsck();

    // Bad input: nothing changes.
    let before = repo.observe();
    repo.rollback(&["checkpoint", "--delete", "nope"])
        .fails(2, "checkpoint 'nope' not found");
    repo.rollback(&["checkpoint", "old", "--rename", "old"])
        .fails(2, "checkpoint 'old' already exists");
    repo.rollback(&["checkpoint", "old", "--rename", "bad..name"])
        .fails(2, "bad..name");
    repo.rollback(&["checkpoint", "--delete"]).fails(2, "NAME");
    assert_eq!(repo.observe(), before);
}

/// `diff CHECKPOINT` compares the work tree with the checkpoint's state
/// (for a dirty checkpoint, the work tree its snapshot recorded).
#[test]
fn diff_compares_the_work_tree_with_the_checkpoint() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    let json = repo.rollback(&["diff", "base", "--json"]).ok().json();
    assert_eq!(json, serde_json::json!([]), "nothing changed since");
    repo.write("src/a.rs", "changed\n");
    let before = repo.observe();
    let json = repo.rollback(&["diff", "base", "--json"]).ok().json();
    assert_eq!(
        json,
        serde_json::json!([{"status": "M", "path": "src/a.rs"}])
    );
    let patch = repo
        .rollback_in(&repo.path.join("src"), &["diff", "base", "--", "a.rs"])
        .ok()
        .stdout();
    assert!(patch.contains("-pub fn a() { 1 }\n+changed\n"), "{patch}");
    let stat = repo
        .rollback(&["diff", "base", "--stat", "--", "README.md"])
        .ok()
        .stdout();
    assert_eq!(stat, "", "limited to a path that did not change");
    repo.rollback(&["diff", "nope"])
        .fails(2, "checkpoint 'nope' not found");
    assert_eq!(repo.observe(), before, "diff changes nothing");
}

/// What `list --json` says: each checkpoint's name and target commit, sorted.
fn listed(repo: &TestRepo) -> Vec<(String, String)> {
    let json = repo.rollback(&["list", "--json"]).ok().json();
    let mut list: Vec<(String, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            (id, c["target"].as_str().unwrap().to_owned())
        })
        .collect();
    list.sort();
    list
}

/// `list` reads checkpoint refs from packed-refs and loose files (a loose
/// ref wins over its packed copy), and still lists a symbolic one.
#[test]
fn list_reads_packed_and_loose_refs_as_git_does() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "a"]).ok();
    repo.rollback(&["checkpoint", "b"]).ok();
    repo.git(&["pack-refs", "--all"]);
    repo.write("src/a.rs", "moved on\n");
    repo.git(&["commit", "-q", "-am", "moved on"]);
    repo.rollback(&["checkpoint", "b", "--force"]).ok();
    repo.rollback(&["checkpoint", "c"]).ok();
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let found = listed(&repo);
    let of = |name: &str| {
        repo.git(&["rev-parse", &format!("checkpoint/{name}^{{commit}}")])
            .trim()
            .to_owned()
    };
    assert_eq!(
        found,
        [
            ("a".into(), of("a")),
            ("b".into(), head.clone()),
            ("c".into(), head)
        ]
    );
    assert_ne!(of("a"), of("b"), "the loose b, not the packed one");
    repo.git(&[
        "symbolic-ref",
        "refs/tags/checkpoint/d",
        "refs/tags/checkpoint/c",
    ]);
    let with_symbolic = listed(&repo);
    assert_eq!(with_symbolic.len(), 4, "{with_symbolic:?}");
    assert_eq!(with_symbolic[3].1, of("c"));
}

/// `list` remembers the checkpoint refs it read, by the times of their
/// directories and of `packed-refs`, once those are older than the memo by
/// more than a clock tick (here: set an hour back, as if the refs had been
/// left alone that long). Every change git makes afterwards (a ref moved,
/// deleted, added in a new directory, everything packed) lists as git says.
#[test]
fn list_remembers_settled_refs_and_sees_every_change_git_makes() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "a"]).ok();
    repo.write("src/a.rs", "moved on\n");
    repo.git(&["commit", "-q", "-am", "moved on"]);
    repo.rollback(&["checkpoint", "b"]).ok();
    repo.rollback(&["checkpoint", "sprint/c"]).ok();
    let set_times = |repo: &TestRepo, back: std::time::SystemTime| {
        let refs = repo.path.join(".git/refs/tags/checkpoint");
        let mut paths = vec![repo.path.join(".git/packed-refs")];
        if refs.is_dir() {
            paths.extend(
                walkdir::WalkDir::new(&refs)
                    .into_iter()
                    .map(|e| e.unwrap())
                    .filter(|e| e.file_type().is_dir())
                    .map(|e| e.into_path()),
            );
        }
        for path in paths.into_iter().filter(|p| p.exists()) {
            std::fs::File::open(&path)
                .unwrap()
                .set_modified(back)
                .unwrap();
        }
    };
    let hour = std::time::Duration::from_secs(3600);
    let settle = |repo: &TestRepo| set_times(repo, std::time::SystemTime::now() - hour);
    let as_git_says = |repo: &TestRepo| -> Vec<(String, String)> {
        let out = repo.git(&[
            "for-each-ref",
            "--format=%(refname:strip=3) %(*objectname)",
            "refs/tags/checkpoint/",
        ]);
        let mut list: Vec<(String, String)> = out
            .lines()
            .map(|l| {
                let (name, target) = l.split_once(' ').unwrap();
                (name.to_owned(), target.to_owned())
            })
            .collect();
        list.sort();
        list
    };
    let memo = repo.path.join(".git/rollback/list-refs");
    settle(&repo);
    assert_eq!(listed(&repo), as_git_says(&repo));
    assert!(memo.exists(), "a settled reading is remembered");
    assert_eq!(listed(&repo), as_git_says(&repo), "read from the memo");
    set_times(&repo, std::time::SystemTime::now() + hour);
    assert_eq!(listed(&repo), as_git_says(&repo));
    assert!(!memo.exists(), "a reading as new as the memo is not kept");
    settle(&repo);
    let changes: [&[&str]; 4] = [
        &[
            "update-ref",
            "refs/tags/checkpoint/a",
            "refs/tags/checkpoint/b",
        ],
        &["tag", "-d", "checkpoint/b"],
        &[
            "update-ref",
            "refs/tags/checkpoint/new/d",
            "refs/tags/checkpoint/sprint/c",
        ],
        &["pack-refs", "--all"],
    ];
    let mut seen = vec![listed(&repo)];
    for change in changes {
        repo.git(change);
        assert_eq!(listed(&repo), as_git_says(&repo), "right after {change:?}");
        settle(&repo);
        assert_eq!(
            listed(&repo),
            as_git_says(&repo),
            "settled after {change:?}"
        );
        assert_eq!(
            listed(&repo),
            as_git_says(&repo),
            "remembered after {change:?}"
        );
        seen.push(listed(&repo));
    }
    seen.dedup();
    assert_eq!(seen.len(), 4, "every change but packing shows: {seen:?}");
}
