use crate::support::TestRepo;

#[test]
fn unknown_checkpoint_hints_close_names() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "sprint-3"]).ok();
    repo.rollback(&["checkpoint", "stable"]).ok();
    repo.write("src/a.rs", "dirty\n");
    let before = repo.observe();
    let run = repo
        .rollback(&["to", "sprint-4"])
        .fails(2, "checkpoint 'sprint-4' not found");
    assert!(
        run.stderr().contains("hint: did you mean sprint-3?"),
        "{}",
        run.stderr()
    );
    repo.rollback(&["show", "nope"])
        .fails(2, "checkpoint 'nope' not found");
    assert_eq!(repo.observe(), before);
}

#[test]
fn invalid_checkpoint_names_are_refused() {
    let repo = TestRepo::fixture("basic");
    let before = repo.observe();
    for name in [
        "has space",
        "a..b",
        "x~1",
        "y^",
        "colon:name",
        "star*",
        "end.lock",
        "-",
        "trailing/",
    ] {
        repo.rollback(&["checkpoint", "--", name])
            .fails(2, "not a valid checkpoint name");
    }
    assert_eq!(repo.observe(), before);
}

#[test]
fn to_during_a_merge_is_refused() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("src/a.rs", "other side\n");
    repo.git(&["commit", "-q", "-am", "other"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/a.rs", "main side\n");
    repo.git(&["commit", "-q", "-am", "main"]);
    assert_ne!(
        repo.git_run(&["merge", "other"]).code(),
        0,
        "the merge must conflict"
    );
    let before = repo.observe();
    let run = repo
        .rollback(&["to", "base"])
        .fails(3, "merge is in progress");
    assert!(run.stderr().contains("hint: "), "{}", run.stderr());
    assert_eq!(repo.observe(), before);
    assert!(repo.path.join(".git/MERGE_HEAD").exists());
}

#[test]
fn to_with_unmerged_paths_is_refused() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.write("src/a.rs", "other side\n");
    repo.git(&["commit", "-q", "-am", "other"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/a.rs", "main side\n");
    repo.git(&["commit", "-q", "-am", "main"]);
    assert_ne!(
        repo.git_run(&["cherry-pick", "other"]).code(),
        0,
        "the cherry-pick must conflict"
    );
    // Leave the conflict in the index but drop git's sequencer state.
    std::fs::remove_file(repo.path.join(".git/CHERRY_PICK_HEAD")).unwrap();
    let _ = std::fs::remove_dir_all(repo.path.join(".git/sequencer"));
    let before = repo.observe();
    repo.rollback(&["to", "base"])
        .fails(3, "unmerged paths: src/a.rs");
    repo.rollback(&["checkpoint", "during-conflict"])
        .fails(3, "unmerged paths");
    assert_eq!(repo.observe(), before);
}

#[test]
fn unborn_head_is_refused() {
    let repo = TestRepo::bare_directory();
    repo.git(&["init", "-q", "-b", "main"]);
    repo.write("file.txt", "x\n");
    repo.rollback(&["checkpoint"])
        .fails(2, "HEAD has no commit yet");
    repo.rollback(&["to", "anything"]).fails(2, "not found");
    assert_eq!(repo.git(&["for-each-ref"]), "");
    assert_eq!(repo.read("file.txt"), "x\n");
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = TestRepo::bare_directory();
    let run = dir.rollback(&["list"]).fails(2, "not a git repository");
    assert!(run.stderr().contains("hint: "), "{}", run.stderr());
    dir.rollback(&["checkpoint"])
        .fails(2, "not a git repository");
    assert!(
        std::fs::read_dir(&dir.path).unwrap().next().is_none(),
        "nothing was created"
    );
}

#[test]
fn a_held_lock_refuses_with_the_holders_name() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "dirty\n");
    let lock = repo.path.join(".git/rollback/operation.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "pid 4242 running `to`\n").unwrap();
    let before = repo.observe();
    let run = repo
        .rollback_env(
            &[("GIT_CONFIG_PARAMETERS", "'rollback.locktimeout'='200'")],
            &["to", "base"],
        )
        .fails(3, "pid 4242 running `to`");
    assert!(run.stderr().contains("operation.lock"), "{}", run.stderr());
    repo.rollback_env(
        &[("GIT_CONFIG_PARAMETERS", "'rollback.locktimeout'='0'")],
        &["checkpoint", "x"],
    )
    .fails(3, "holds the lock");
    assert_eq!(repo.observe(), before);
    std::fs::remove_file(&lock).unwrap();
    repo.rollback(&["to", "base"]).ok();
    assert!(!lock.exists(), "the lock is released after the operation");
}

#[test]
fn undo_with_nothing_to_undo_is_an_error() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["undo"]).fails(2, "no operation to undo");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.rollback(&["undo"]).fails(2, "no operation to undo");
    repo.rollback(&["undo", "deadbeef"])
        .fails(2, "operation 'deadbeef' not found");
}

#[test]
fn ignored_file_in_the_way_is_refused() {
    let repo = TestRepo::fixture("basic");
    repo.write("out.log", "tracked log\n");
    repo.git(&["add", "-f", "out.log"]);
    repo.git(&["commit", "-q", "-m", "track a log"]);
    repo.rollback(&["checkpoint", "with-log"]).ok();
    repo.git(&["rm", "-q", "--cached", "out.log"]);
    repo.git(&["commit", "-q", "-m", "untrack it"]);
    repo.write("out.log", "precious ignored content\n");
    let before = repo.observe();
    repo.rollback(&["to", "with-log"])
        .fails(3, "ignored files would be overwritten: out.log");
    assert_eq!(repo.observe(), before);
}

#[test]
fn usage_errors_exit_2() {
    let repo = TestRepo::fixture("basic");
    assert_eq!(repo.rollback(&["to"]).code(), 2);
    assert_eq!(
        repo.rollback(&["to", "x", "--severity", "apocalyptic"])
            .code(),
        2
    );
    assert_eq!(repo.rollback(&["no-such-command"]).code(), 2);
}

#[test]
fn a_directory_becoming_a_file_works_unless_it_holds_ignored_files() {
    let repo = TestRepo::fixture("basic");
    repo.git(&["rm", "-q", "-r", "docs"]);
    repo.write("docs", "docs is a file at the checkpoint\n");
    repo.git(&["add", "docs"]);
    repo.git(&["commit", "-q", "-m", "docs becomes a file"]);
    repo.rollback(&["checkpoint", "file"]).ok();
    repo.git(&["rm", "-q", "docs"]);
    repo.write("docs/guide.md", "guide\n");
    repo.git(&["add", "docs"]);
    repo.git(&["commit", "-q", "-m", "docs is a directory again"]);

    // Only tracked files in the directory: the rollback replaces it with the file.
    repo.rollback(&["to", "file"]).ok();
    assert_eq!(repo.read("docs"), "docs is a file at the checkpoint\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("docs/guide.md"), "guide\n");

    // An ignored file inside would be lost with the directory: refused.
    repo.write("docs/build.log", "ignored, precious\n");
    let before = repo.observe();
    repo.rollback(&["to", "file"])
        .fails(3, "ignored files would be overwritten: docs/build.log");
    assert_eq!(repo.observe(), before);

    // An ignored file where a directory must go: refused as well.
    std::fs::remove_file(repo.path.join("docs/build.log")).unwrap();
    repo.rollback(&["checkpoint", "dir"]).ok();
    repo.git(&["rm", "-q", "-r", "docs"]);
    repo.git(&["commit", "-q", "-m", "no docs"]);
    repo.write(".gitignore", "target/\n*.log\n.env\ndocs\n");
    repo.write("docs", "an ignored file named docs\n");
    let before = repo.observe();
    repo.rollback(&["to", "dir"])
        .fails(3, "ignored files would be overwritten: docs");
    assert_eq!(repo.observe(), before);
}

/// Bad `git -c rollback.*` values are errors naming the key, never ignored.
#[test]
fn bad_git_config_values_are_refused_by_name() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    let before = repo.observe();
    for (setting, args) in [
        ("'rollback.backupKeep'='ten'", &["backup", "prune"][..]),
        ("'rollback.backupKeep'='-3'", &["backup", "prune"][..]),
        (
            "'rollback.backupIncludeIgnored'='maybe'",
            &["backup", "create"][..],
        ),
        ("'rollback.lockTimeout'='soon'", &["to", "base"][..]),
        ("'rollback.snapshotKeepDays'='a while'", &["gc"][..]),
    ] {
        let key = setting.split('\'').nth(1).unwrap();
        repo.rollback_env(&[("GIT_CONFIG_PARAMETERS", setting)], args)
            .fails(2, &format!("git config {key}"));
        assert_eq!(repo.observe(), before, "{setting}");
    }
}

/// `.rollback.toml` is checked whole when read: a mistake in a part the
/// command does not use (a stage, the sprint patterns) still stops `to`,
/// exit 2, before any change.
#[test]
fn every_part_of_the_project_file_is_checked_at_load() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "changed\n");
    for (config, error) in [
        (
            "[[stage]]\nname = \"A\"\n[[stage]]\nname = \"A\"\n",
            "two stages are named 'A'",
        ),
        ("[[stage]]\nname = \"\"\n", "a [[stage]] has an empty name"),
        (
            "[[stage]]\nname = \"A\"\npaths = [\"../outside\"]\n",
            "path '../outside' is not inside",
        ),
        (
            "[[stage]]\nname = \"A\"\nmap = \"/etc/map.toml\"\n",
            "map '/etc/map.toml' is not a file inside",
        ),
        (
            "[[stage]]\nname = \"A\"\ntoggles = { \"BAD KEY\" = \"1\" }\n",
            "toggle 'BAD KEY' is not a variable name",
        ),
        (
            "[sprint]\nretry_branch = \"retry..{n}\"\n",
            "retry_branch = 'retry..{n}' does not make a branch name",
        ),
        (
            "[sprint]\nbackup_branch = \"backup\"\n",
            "backup_branch = 'backup' does not make",
        ),
        ("[backup]\nkeep = 0\n", "keep = 0 would prune every backup"),
    ] {
        repo.write(".rollback.toml", config);
        let before = repo.observe();
        repo.rollback(&["to", "base"]).fails(2, error);
        assert_eq!(repo.observe(), before, "{config}");
    }
}

/// A damaged object the rollback would write is refused before the first
/// write (exit 3, nothing changed, nothing recorded), in SHA-1 and (in
/// tests/cli_sha256.rs) SHA-256 repositories.
#[test]
fn a_corrupt_object_is_refused_before_anything_is_written() {
    let repo = TestRepo::fixture("basic");
    repo.write("src/a.rs", "checkpoint content a\n");
    repo.write("src/b.rs", "checkpoint content b\n");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["checkout", "-q", "--", "src"]);
    let blob = repo.git(&["rev-parse", "checkpoint/base^{commit}:src/b.rs"]);
    let blob = blob.trim();
    let object = repo
        .path
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    let mut permissions = std::fs::metadata(&object).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&object, permissions).unwrap();
    std::fs::write(&object, b"garbage").unwrap();
    let before = repo.observe();
    let run = repo
        .rollback(&["to", "base"])
        .fails(3, &format!("object {blob} of 'src/b.rs' cannot be read"));
    assert!(
        run.stderr().contains("nothing was changed"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.observe(), before, "no file written, nothing recorded");
}

/// `log --kind` takes the kinds the log records and names them when wrong.
#[test]
fn log_kind_must_be_a_kind_of_event() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    let before = repo.observe();
    let refused = repo
        .rollback(&["log", "--kind", "rehearsal"])
        .fails(2, "--kind 'rehearsal' is not a kind of event");
    assert!(
        refused.stderr().contains("drill, recover"),
        "{}",
        refused.stderr()
    );
    assert_eq!(repo.observe(), before);
    let json = repo
        .rollback(&["log", "--kind", "checkpoint", "--json"])
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 1);
}

/// A file whose name git refuses to record (`GIT~1`, another name of
/// `.git` on NTFS, refused while `core.protectNTFS` is on, git's default)
/// is refused by the snapshot too, before anything changes; with the
/// protection off it is captured like any other file.
#[test]
fn a_file_name_git_refuses_to_record_stops_the_snapshot() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("GIT~1", "kept\n");
    repo.write("src/a.rs", "dirty\n");
    let before = repo.observe();
    repo.rollback(&["checkpoint", "next"])
        .fails(1, "invalid file name 'GIT~1'");
    repo.rollback(&["to", "base"])
        .fails(1, "invalid file name 'GIT~1'");
    assert_eq!(repo.observe(), before, "nothing changed");
    repo.git(&["config", "core.protectNTFS", "false"]);
    repo.rollback(&["to", "base"]).ok();
    assert!(!repo.exists("GIT~1"));
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("GIT~1"), "kept\n");
    assert_eq!(repo.read("src/a.rs"), "dirty\n");
}
