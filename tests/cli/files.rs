use std::os::unix::fs::PermissionsExt;

use crate::support::TestRepo;

/// basic.sh with a clean checkpoint `base`, then edits to three files, a
/// new staged file and an untracked one.
fn edited() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "broken a\n");
    repo.write("src/b.rs", "broken b\n");
    repo.write("src/main.rs", "broken main\n");
    repo.git(&["add", "src/b.rs"]);
    repo.write("src/new.rs", "new\n");
    repo.git(&["add", "src/new.rs"]);
    repo.write("notes.txt", "untracked\n");
    repo
}

/// The paths of a `--json` outcome's plan.
fn plan_paths(json: &serde_json::Value) -> Vec<String> {
    json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn files_restores_only_the_named_paths() {
    let repo = edited();
    let main_before = repo.read("src/main.rs");
    let index_before = repo.git(&["ls-files", "--stage", "--", "src/main.rs", "src/new.rs"]);
    repo.rollback(&["files", "src/a.rs", "src/b.rs", "--no-test"])
        .ok();
    assert_eq!(
        repo.git(&["status", "--porcelain", "--", "src/a.rs", "src/b.rs"]),
        ""
    );
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert_eq!(
        repo.read("src/main.rs"),
        main_before,
        "other files keep their bytes"
    );
    assert_eq!(
        repo.git(&["ls-files", "--stage", "--", "src/main.rs", "src/new.rs"]),
        index_before
    );
    assert_eq!(repo.read("notes.txt"), "untracked\n");
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        repo.git(&["rev-parse", "checkpoint/base^{commit}"])
    );
    repo.fsck();
}

#[test]
fn files_absent_at_checkpoint_is_removed() {
    let repo = edited();
    repo.rollback(&["files", "src/new.rs"]).ok();
    assert!(!repo.exists("src/new.rs"));
    assert_eq!(repo.git(&["ls-files", "src/new.rs"]), "");
}

#[test]
fn files_takes_directories_and_globs_relative_to_the_current_directory() {
    let repo = edited();
    let src = repo.path.join("src");
    let json = repo
        .rollback_in(&src, &["files", "*.rs", "--dry-run", "--json"])
        .ok()
        .json();
    let paths = plan_paths(&json);
    assert_eq!(paths, ["src/a.rs", "src/b.rs", "src/main.rs", "src/new.rs"]);
    repo.rollback_in(&src, &["files", "."]).ok();
    assert_eq!(repo.git(&["status", "--porcelain", "--", "src"]), "");
    assert_eq!(
        repo.read("notes.txt"),
        "untracked\n",
        "outside the directory: untouched"
    );
}

#[test]
fn files_restores_exec_bits_and_symlinks_and_undo_brings_back_the_edits() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    std::fs::set_permissions(
        repo.path.join("run.sh"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::remove_file(repo.path.join("readme-link")).unwrap();
    std::os::unix::fs::symlink("src/a.rs", repo.path.join("readme-link")).unwrap();
    let before = repo.observe();
    repo.rollback(&["files", "run.sh", "readme-link"]).ok();
    assert_ne!(
        repo.path
            .join("run.sh")
            .metadata()
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0
    );
    assert_eq!(
        std::fs::read_link(repo.path.join("readme-link"))
            .unwrap()
            .to_str(),
        Some("README.md")
    );
    assert_eq!(repo.status(), "");
    repo.rollback(&["undo"]).ok();
    let after = repo.observe();
    assert_eq!(after.files, before.files);
    assert_eq!(after.index, before.index);
}

fn with_tests(repo: &TestRepo, test_a: &str) {
    repo.write(
        ".rollback.toml",
        "[files]\ntest = \"sh {tests}\"\ntest_map = [\"tests/{stem}_test.sh\"]\n",
    );
    repo.write("tests/a_test.sh", test_a);
}

#[test]
fn files_runs_the_mapped_tests() {
    let repo = edited();
    with_tests(&repo, "exit 0\n");
    let json = repo.rollback(&["files", "src/a.rs", "--json"]).ok().json();
    assert_eq!(json["checks"][0]["name"], "test");
    assert_eq!(json["checks"][0]["command"], "sh tests/a_test.sh");
    assert_eq!(json["checks"][0]["ok"], true);
    // No test maps to b.rs: the command that needs tests is skipped.
    let json = repo.rollback(&["files", "src/b.rs", "--json"]).ok().json();
    assert_eq!(json["checks"][0]["skipped"], true);
}

#[test]
fn a_failing_test_exits_1_is_recorded_and_the_restore_stays() {
    let repo = edited();
    with_tests(&repo, "exit 3\n");
    let run = repo
        .rollback(&["files", "src/a.rs"])
        .fails(1, "test command `sh tests/a_test.sh` failed (exit 3)");
    assert!(
        run.stderr().contains("git rollback undo"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    // `log` shows the result with its operation; `--kind result` alone.
    let log = repo.rollback(&["log", "--json"]).ok().json();
    assert_eq!(log[0]["kind"], "files");
    assert_eq!(log[0]["result"]["checks"][0]["status"], 3);
    let results = repo
        .rollback(&["log", "--kind", "result", "--json"])
        .ok()
        .json();
    assert_eq!(results[0]["details"]["checks"][0]["status"], 3);
    assert_eq!(results[0]["details"]["operation"], log[0]["id"]);
}

#[test]
fn bad_paths_are_refused_before_anything_is_written() {
    let repo = edited();
    let before = repo.observe();
    repo.rollback(&["files", "../outside.txt"])
        .fails(2, "is outside the repository");
    repo.rollback(&["files", "src/a.rs", "no/such/file"])
        .fails(2, "pathspec 'no/such/file' did not match any file");
    repo.rollback(&["files", "*.nothing"])
        .fails(2, "did not match any file");
    repo.rollback(&["files", "src/a.rs", "--from", "nope"])
        .fails(2, "checkpoint 'nope' not found");
    assert_eq!(repo.observe(), before);
}

#[test]
fn files_without_any_checkpoint_is_an_error() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["files", "src/a.rs"])
        .fails(2, "no checkpoint to restore from");
}

#[test]
fn a_test_command_that_does_not_exist_is_refused_before_restoring() {
    let repo = edited();
    repo.write(
        ".rollback.toml",
        "[files]\ntest = \"no-such-test-runner {files}\"\n",
    );
    let before = repo.observe();
    repo.rollback(&["files", "src/a.rs"])
        .fails(2, "'no-such-test-runner' was not found");
    assert_eq!(repo.observe(), before);
    repo.rollback(&["files", "src/a.rs", "--no-test"]).ok();
}

#[test]
fn a_broken_rollback_toml_names_the_file_line_and_key() {
    let repo = edited();
    repo.write(
        ".rollback.toml",
        "verify = \"true\"\n[files]\ntest_mapping = []\n",
    );
    let before = repo.observe();
    let run = repo
        .rollback(&["files", "src/a.rs"])
        .fails(2, ".rollback.toml: line 3:");
    assert!(run.stderr().contains("test_mapping"), "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("hint: fix .rollback.toml; its keys: ")
            && run.stderr().contains("[files] test/test_map"),
        "the hint lists the keys: {}",
        run.stderr()
    );
    repo.write(".rollback.toml", "verify = 3\n");
    repo.rollback(&["to", "base"])
        .fails(2, ".rollback.toml: line 1:");
    repo.write(".rollback.toml", "[files\n");
    repo.rollback(&["files", "src/a.rs"])
        .fails(2, ".rollback.toml: line 1:");
    repo.write(
        ".rollback.toml",
        "verify = \"true\"\n[files]\ntest_mapping = []\n",
    );
    assert_eq!(repo.observe(), before);
}

#[test]
fn git_config_overrides_rollback_toml() {
    let repo = edited();
    repo.write(".rollback.toml", "verify = \"exit 7\"\n");
    repo.rollback(&["files", "src/a.rs"])
        .fails(1, "verify command `exit 7` failed");
    repo.git(&["config", "rollback.verify", "true"]);
    repo.rollback(&["files", "src/b.rs"]).ok();
    let run = repo.rollback_env(
        &[("GIT_CONFIG_PARAMETERS", "'rollback.verify'='exit 9'")],
        &["files", "src/main.rs"],
    );
    run.fails(1, "exit 9");
}

/// `files` saves only the paths it restores (as `git stash push -- <paths>`
/// does), so its cost follows those paths; its undo brings back exactly
/// those and leaves every later edit elsewhere alone.
#[test]
fn files_snapshots_and_undoes_only_the_named_paths() {
    let repo = edited();
    repo.write("elsewhere.txt", "untracked, not named\n");
    let json = repo
        .rollback(&["files", "src/a.rs", "--no-test", "--json"])
        .ok()
        .json();
    let snapshot = json["snapshot"].as_str().unwrap().to_owned();
    // The snapshot's work tree differs from its index only at the named
    // path, and it holds no untracked files (none are named).
    let diff = repo.git(&["diff", "--name-only", &format!("{snapshot}^2"), &snapshot]);
    assert_eq!(diff, "src/a.rs\n");
    assert!(
        repo.git_run(&["rev-parse", "--verify", "-q", &format!("{snapshot}^3")])
            .code()
            != 0
    );
    // Later edits elsewhere survive the undo; the named path comes back.
    repo.write("src/b.rs", "edited after files\n");
    repo.write("elsewhere.txt", "edited after files\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "broken a\n");
    assert_eq!(repo.read("src/b.rs"), "edited after files\n");
    assert_eq!(repo.read("elsewhere.txt"), "edited after files\n");
    // Redo is limited the same way.
    repo.rollback(&["redo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert_eq!(repo.read("src/b.rs"), "edited after files\n");
}

/// `files .` names the whole work tree: its undo restores the whole of it
/// (it once recorded an empty path list, and its undo restored nothing).
#[test]
fn files_dot_is_undone_whole() {
    let repo = edited();
    repo.write("elsewhere.txt", "untracked\n");
    let before = repo.observe_user();
    repo.rollback(&["files", ".", "--no-test"]).ok();
    assert_ne!(repo.observe_user(), before);
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    repo.rollback(&["redo"]).ok();
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
}

/// A glob limits the look at the work tree to the files it names: beside
/// them, a tracked file it does not name keeps its edit, an untracked file
/// it does not name stays, and `undo` gives back every byte.
#[test]
fn a_glob_touches_only_what_it_names_and_undo_gives_everything_back() {
    let repo = edited();
    repo.write("src/nested/deep.txt", "edited, not named\n");
    repo.write("src/untracked.txt", "untracked, not named\n");
    repo.write("src/nested/extra.rs", "untracked, named\n");
    let before = repo.observe_user();
    let json = repo
        .rollback(&["files", "src/*.rs", "--no-test", "--json"])
        .ok()
        .json();
    let paths = plan_paths(&json);
    assert!(!paths.iter().any(|p| p.ends_with(".txt")), "{paths:?}");
    assert!(
        paths.iter().any(|p| p == "src/a.rs") && paths.iter().any(|p| p == "src/nested/extra.rs"),
        "{paths:?}"
    );
    assert_eq!(repo.read("src/nested/deep.txt"), "edited, not named\n");
    assert_eq!(repo.read("src/untracked.txt"), "untracked, not named\n");
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
}
