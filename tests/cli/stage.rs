use crate::support::TestRepo;

const CONFIG: &str = r#"env_file = ".env"

[[stage]]
name = "GAP-001"
checkpoint = "stable"
paths = ["lib/orchestration/**"]
toggles = { ENABLE_PARALLEL_SPAWNING = "false", SPAWN_LIMIT = "4" }
map = "migrations/structure.toml"
backup = "latest"
verify = "test -f lib/orchestration/spawn.rs"

[[stage]]
name = "NO-CHECKPOINT"
paths = ["docs/**"]
"#;

/// devpilot.sh with a stage: checkpoint `stable` and a backup, then the
/// stage's work: an edit inside its paths, a move recorded in its map, an
/// edit outside its paths.
fn staged() -> TestRepo {
    let repo = TestRepo::fixture("devpilot");
    repo.write(".rollback.toml", CONFIG);
    repo.write(
        "migrations/structure.toml",
        "[[migration]]\nsource = \"lib/utils\"\ndestination = \"pilot/utils\"\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "stage config"]);
    repo.rollback(&["checkpoint", "stable", "--backup"]).ok();
    repo.write("lib/orchestration/spawn.rs", "fn parallel() {}\n");
    std::fs::create_dir_all(repo.path.join("pilot")).unwrap();
    repo.git(&["mv", "lib/utils", "pilot/utils"]);
    repo.write("docs/README.md", "# DevPilot, edited\n");
    repo
}

#[test]
fn stage_without_a_name_lists_the_levels() {
    let repo = staged();
    let json = repo.rollback(&["stage", "--json"]).ok().json();
    assert_eq!(json[0]["id"], "GAP-001");
    assert_eq!(
        json[0]["toggle"],
        "write ENABLE_PARALLEL_SPAWNING=false SPAWN_LIMIT=4 to .env"
    );
    assert!(json[0]["code"]
        .as_str()
        .unwrap()
        .contains("revert map migrations/structure.toml"));
    assert_eq!(json[1]["code"], "(no checkpoint)");
}

#[test]
fn toggle_writes_only_the_env_file_and_undo_restores_it() {
    let repo = staged();
    let before = repo.observe();
    let run = repo
        .rollback(&["stage", "GAP-001", "--level", "toggle"])
        .ok();
    assert!(
        run.stdout().starts_with("Rolled back stage GAP-001 ")
            && run
                .stdout()
                .contains("\nSet in .env: ENABLE_PARALLEL_SPAWNING=false, SPAWN_LIMIT=4\n"),
        "the message names the stage and the keys it wrote: {}",
        run.stdout()
    );
    assert_eq!(
        repo.read(".env"),
        "# settings\nENABLE_PARALLEL_SPAWNING=false\nLOG_LEVEL=info\nSPAWN_LIMIT=4\n"
    );
    let mut after = repo.observe();
    after.files.remove(".env");
    let mut expected = before.files.clone();
    expected.remove(".env");
    assert_eq!(after.files, expected, "nothing but the env file changed");
    assert_eq!(after.index, before.index);
    repo.rollback(&["undo"]).ok();
    let undone = repo.observe();
    assert_eq!(undone.files, before.files);
    assert_eq!(undone.index, before.index);
}

#[test]
fn code_restores_the_stage_paths_and_reverts_its_map_only() {
    let repo = staged();
    let before = repo.observe();
    let run = repo.rollback(&["stage", "GAP-001", "--json"]).ok();
    let json = run.json();
    assert_eq!(json["checks"][0]["ok"], true);
    assert_eq!(
        repo.read("lib/orchestration/spawn.rs"),
        repo.git(&["show", "checkpoint/stable:lib/orchestration/spawn.rs"])
    );
    assert!(
        repo.exists("lib/utils/log.rs") && !repo.exists("pilot"),
        "the map is reverted"
    );
    assert_eq!(
        repo.read("docs/README.md"),
        "# DevPilot, edited\n",
        "outside the stage: untouched"
    );
    assert_eq!(
        repo.read(".env"),
        "# settings\nENABLE_PARALLEL_SPAWNING=true\nLOG_LEVEL=info\n"
    );
    // The safety snapshot holds only what the level touches (the stage's
    // paths and both ends of its moves): an edit elsewhere after the
    // rollback survives its undo.
    let snapshot = json["snapshot"].as_str().unwrap();
    let saved = repo.git(&["diff", "--name-only", "HEAD", snapshot]);
    assert!(
        saved
            .lines()
            .all(|p| ["lib/orchestration/", "lib/utils/", "pilot/utils/"]
                .iter()
                .any(|dir| p.starts_with(dir))),
        "the edit of docs/README.md is not in it: {saved}"
    );
    assert!(saved.contains("lib/orchestration/spawn.rs"), "{saved}");
    repo.write("docs/README.md", "# DevPilot, edited after the stage\n");
    repo.rollback(&["undo"]).ok();
    let after = repo.observe();
    assert_eq!(
        repo.read("docs/README.md"),
        "# DevPilot, edited after the stage\n"
    );
    repo.write("docs/README.md", "# DevPilot, edited\n");
    assert_eq!(repo.observe().files, before.files);
    assert_eq!(after.index, before.index);
}

#[test]
fn full_restores_the_backup_and_undo_reverses_it() {
    let repo = staged();
    let before = repo.observe();
    repo.rollback(&["stage", "GAP-001", "--level", "full"]).ok();
    assert_eq!(repo.read("docs/README.md"), "# DevPilot\n");
    assert_eq!(
        repo.read("lib/utils/log.rs"),
        repo.git(&["show", "checkpoint/stable:lib/utils/log.rs"])
    );
    assert!(
        repo.exists("pilot/utils/log.rs"),
        "a restore writes, it does not delete"
    );
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe().files, before.files);
}

#[test]
fn a_failing_verify_exits_1_with_an_undo_hint() {
    let repo = staged();
    let config = CONFIG.replace(
        "verify = \"test -f lib/orchestration/spawn.rs\"",
        "verify = \"exit 4\"",
    );
    repo.write(".rollback.toml", &config);
    let run = repo
        .rollback(&["stage", "GAP-001"])
        .fails(1, "verify command `exit 4` failed");
    assert!(
        run.stderr().contains("git rollback undo"),
        "{}",
        run.stderr()
    );
}

#[test]
fn bad_stage_input_changes_nothing() {
    let repo = staged();
    let before = repo.observe();
    repo.rollback(&["stage", "GAP-404"])
        .fails(2, "stage 'GAP-404' is not in .rollback.toml")
        .fails(2, "hint: stages: ");
    repo.rollback(&["stage", "NO-CHECKPOINT", "--level", "code"])
        .fails(2, "has no checkpoint for --level code");
    repo.rollback(&["stage", "NO-CHECKPOINT", "--level", "full"])
        .fails(2, "has no backup");
    assert_eq!(repo.observe(), before);
    // Without any stage configured, the hint says so.
    let bare = TestRepo::fixture("basic");
    let before_bare = bare.observe();
    bare.rollback(&["stage", "GAP-404"])
        .fails(2, "hint: .rollback.toml has no [[stage]] entries");
    assert_eq!(bare.observe(), before_bare);

    let with_glob = CONFIG.replace("lib/orchestration/**", "lib/nothing-here/**");
    repo.write(".rollback.toml", &with_glob);
    let before = repo.observe();
    repo.rollback(&["stage", "GAP-001"])
        .fails(2, "stage path 'lib/nothing-here/**' matches no file");
    assert_eq!(repo.observe(), before);

    repo.write(".rollback.toml", CONFIG);
    std::fs::remove_file(repo.path.join(".env")).unwrap();
    std::fs::create_dir_all(repo.path.join(".env")).unwrap();
    let before = repo.observe();
    repo.rollback(&["stage", "GAP-001", "--level", "toggle"])
        .fails(2, "env file '.env' is a directory");
    assert_eq!(repo.observe(), before);
}

/// The output names the stage rolled back (not its checkpoint).
#[test]
fn the_output_names_the_stage() {
    let repo = staged();
    let run = repo.rollback(&["stage", "GAP-001", "--level", "code"]).ok();
    assert!(
        run.stdout().starts_with("Rolled back stage GAP-001 ("),
        "{}",
        run.stdout()
    );
}
