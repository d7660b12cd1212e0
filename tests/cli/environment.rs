use crate::support::TestRepo;

#[test]
fn works_from_a_subdirectory() {
    let repo = TestRepo::fixture("basic");
    let sub = repo.path.join("src/nested");
    repo.rollback_in(&sub, &["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "broken\n");
    repo.write("src/nested/tmp.txt", "tmp\n");
    repo.rollback_in(&sub, &["to", "base"]).ok();
    assert_eq!(repo.status(), "");
    repo.rollback_in(&sub, &["undo"]).ok();
    assert_eq!(repo.read("src/nested/tmp.txt"), "tmp\n");
}

#[test]
fn works_in_a_linked_worktree() {
    let repo = TestRepo::fixture("basic");
    let linked = repo.path.parent().unwrap().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        linked.to_str().unwrap(),
    ]);
    repo.rollback_in(&linked, &["checkpoint", "in-linked"]).ok();
    std::fs::write(linked.join("src/a.rs"), "broken in linked\n").unwrap();
    std::fs::write(linked.join("extra.txt"), "extra\n").unwrap();
    let main_files = repo.files();
    repo.rollback_in(&linked, &["to", "in-linked"]).ok();
    assert_eq!(repo.git_in(&linked, &["status", "--porcelain"]), "");
    assert_eq!(repo.files(), main_files, "the main worktree is untouched");
    assert_eq!(
        repo.git(&["rev-parse", "main"]),
        repo.git(&["rev-parse", "main"])
    );
    // Checkpoints are shared: the main worktree sees it.
    let list = repo.rollback(&["list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], "in-linked");
    repo.rollback_in(&linked, &["undo"]).ok();
    assert_eq!(
        std::fs::read_to_string(linked.join("extra.txt")).unwrap(),
        "extra\n"
    );
    repo.fsck();
}

#[test]
fn honours_git_dir_and_git_work_tree() {
    let repo = TestRepo::fixture("basic");
    repo.write("src/a.rs", "dirty\n");
    let elsewhere = TestRepo::bare_directory();
    let git_dir = repo.path.join(".git");
    let env = [
        ("GIT_DIR", git_dir.to_str().unwrap()),
        ("GIT_WORK_TREE", repo.path.to_str().unwrap()),
    ];
    let run = elsewhere
        .rollback_env(&env, &["checkpoint", "via-env", "--json"])
        .ok();
    assert_eq!(run.json()["checkpoint"]["dirty"], true);
    assert_eq!(repo.git(&["cat-file", "-t", "checkpoint/via-env"]), "tag\n");
}

#[test]
fn honours_git_index_file() {
    let repo = TestRepo::fixture("basic");
    let alternate = repo.path.join(".git/alternate-index");
    std::fs::copy(repo.path.join(".git/index"), &alternate).unwrap();
    repo.write("staged-elsewhere.txt", "x\n");
    let env = [("GIT_INDEX_FILE", alternate.to_str().unwrap())];
    repo.git_env(&env, &["add", "staged-elsewhere.txt"]);
    repo.rollback_env(&env, &["checkpoint", "alternate"]).ok();
    // Staged only in the alternate index: the snapshot's index tree has it, the real index does not.
    let tree = repo.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        "checkpoint/alternate^{commit}^2",
    ]);
    assert!(
        tree.lines().any(|l| l == "staged-elsewhere.txt"),
        "the alternate index was not used: {tree}"
    );
    assert!(!repo.git(&["ls-files"]).contains("staged-elsewhere.txt"));
}

#[test]
fn runs_as_a_git_subcommand_with_git_c() {
    let repo = TestRepo::fixture("basic");
    let lock = repo.path.join(".git/rollback/operation.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "pid 1 running `test`\n").unwrap();
    // `git -c` reaches us through GIT_CONFIG_PARAMETERS: a zero timeout fails at once.
    let run = repo.git_run(&[
        "-c",
        "rollback.lockTimeout=0",
        "rollback",
        "checkpoint",
        "x",
    ]);
    assert_eq!(run.code(), 3, "{}", run.stderr());
    assert!(run.stderr().contains("holds the lock"), "{}", run.stderr());
    std::fs::remove_file(&lock).unwrap();
    repo.git(&["rollback", "checkpoint", "x"]);
    assert_eq!(repo.git(&["cat-file", "-t", "checkpoint/x"]), "tag\n");
}

#[test]
fn broken_pipe_exits_quietly() {
    let repo = TestRepo::fixture("basic");
    for n in 0..3 {
        repo.rollback(&["checkpoint", &format!("c{n}")]).ok();
    }
    let bin = crate::support::BIN;
    let script = format!("'{bin}' log | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}");
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(&repo.path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A reftable repository (whose refs gix cannot read) is refused before
/// anything is read or written.
#[test]
fn a_reftable_repository_is_refused_before_anything_changes() {
    let repo = TestRepo::bare_directory();
    repo.git(&["init", "-q", "-b", "main", "--ref-format=reftable"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    repo.git(&["commit", "-q", "-m", "first"]);
    repo.write("a.txt", "edited\n");
    let before = repo.observe();
    for args in [&["checkpoint", "c"][..], &["list"], &["to", "c"], &["undo"]] {
        repo.rollback(args).fails(3, "reftable");
    }
    assert_eq!(repo.observe(), before);
    assert!(!repo.path.join(".git/rollback").exists());
}

/// Started in a directory that was deleted: a clear error, exit 2.
#[test]
fn a_deleted_current_directory_is_a_clear_error() {
    let repo = TestRepo::fixture("basic");
    std::fs::create_dir(repo.path.join("gone")).unwrap();
    let before = repo.observe();
    // The hermetic environment of the harness, for a shell that removes
    // its own directory and then starts the binary there.
    let hermetic = repo.rollback_command(&[]);
    let output = std::process::Command::new("sh")
        .args(["-c", "rmdir ../gone && exec \"$BIN\" list"])
        .current_dir(repo.path.join("gone"))
        .env_clear()
        .envs(hermetic.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("BIN", crate::support::BIN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read the current directory"),
        "{stderr}"
    );
    assert!(stderr.contains("deleted"), "{stderr}");
    assert_eq!(repo.observe(), before);
}

/// In tests/cli_sha256.rs every fixture, and every repository a test
/// makes, is SHA-256.
#[test]
fn fixtures_use_the_object_format_asked_for() {
    let want = crate::OBJECT_FORMAT.unwrap_or("sha1");
    for fixture in ["basic", "dirty", "devpilot"] {
        let repo = TestRepo::fixture(fixture);
        assert_eq!(
            repo.git(&["rev-parse", "--show-object-format"]).trim(),
            want
        );
        repo.rollback(&["checkpoint", "c"]).ok();
        let id = repo.git(&["rev-parse", "checkpoint/c"]);
        assert_eq!(id.trim().len(), if want == "sha256" { 64 } else { 40 });
    }
}
