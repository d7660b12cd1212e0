use std::os::unix::fs::PermissionsExt;

use crate::support::TestRepo;

/// The DevPilot restructure: checkpoint, `mkdir core pilot`, `git mv`s of a
/// directory and of files, commit.
fn restructured() -> TestRepo {
    let repo = TestRepo::fixture("devpilot");
    repo.rollback(&["checkpoint", "before-restructure"]).ok();
    std::fs::create_dir_all(repo.path.join("core")).unwrap();
    std::fs::create_dir_all(repo.path.join("pilot")).unwrap();
    repo.git(&["mv", "lib/orchestration", "core/orchestration"]);
    repo.git(&["mv", "lib/utils/log.rs", "pilot/log.rs"]);
    repo.git(&["mv", "lib/run.sh", "pilot/run.sh"]);
    repo.git(&["commit", "-q", "-m", "restructure"]);
    repo
}

fn moves(json: &serde_json::Value) -> Vec<(String, String)> {
    json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["source"].as_str().unwrap().to_owned(),
                m["destination"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn devpilot_derive_and_revert_bring_every_file_back_with_modes() {
    let repo = restructured();
    let derived = repo
        .rollback(&["map", "derive", "--from", "before-restructure", "--json"])
        .ok()
        .json();
    assert_eq!(
        moves(&derived),
        [
            (
                "lib/orchestration".to_owned(),
                "core/orchestration".to_owned()
            ),
            ("lib/run.sh".to_owned(), "pilot/run.sh".to_owned()),
            ("lib/utils/log.rs".to_owned(), "pilot/log.rs".to_owned()),
        ]
    );
    let toml = repo
        .rollback(&["map", "derive", "--from", "before-restructure"])
        .ok()
        .stdout();
    assert!(
        toml.contains(
            "[[migration]]\nsource = \"lib/orchestration\"\ndestination = \"core/orchestration\""
        ),
        "{toml}"
    );

    let restructured_files = repo.files();
    repo.rollback(&["map", "revert", "--from", "before-restructure"])
        .ok();
    let original = repo.git(&["ls-tree", "-r", "checkpoint/before-restructure^{commit}"]);
    // Every file is back where it was, with its mode, in the index too.
    assert_eq!(
        repo.git(&["ls-files", "-s"]).lines().count(),
        original.lines().count()
    );
    for line in original.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let oid = meta.split_whitespace().nth(2).unwrap();
        assert_eq!(
            repo.git(&["rev-parse", &format!(":{path}")]).trim(),
            oid,
            "{path}"
        );
    }
    assert_ne!(
        repo.path
            .join("lib/run.sh")
            .metadata()
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0,
        "exec bit kept"
    );
    assert!(
        !repo.exists("core") && !repo.exists("pilot"),
        "emptied directories are removed"
    );
    assert_eq!(
        repo.read(".env"),
        "# settings\nENABLE_PARALLEL_SPAWNING=true\nLOG_LEVEL=info\n"
    );
    repo.fsck();

    // undo re-applies the moves.
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.files(), restructured_files);
}

#[test]
fn a_conflict_moves_nothing_and_every_conflict_is_listed() {
    let repo = restructured();
    repo.rollback(&[
        "map",
        "derive",
        "--from",
        "before-restructure",
        "-o",
        "map.toml",
    ])
    .ok();
    repo.write("lib/run.sh", "someone else's file\n");
    std::fs::remove_file(repo.path.join("pilot/log.rs")).unwrap();
    let before = repo.observe();
    let run = repo
        .rollback(&["map", "revert", "map.toml"])
        .fails(3, "2 conflicts");
    assert!(
        run.stderr()
            .contains("'lib/run.sh' is occupied by a different file"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("missing"), "{}", run.stderr());
    assert_eq!(repo.observe(), before);
}

#[test]
fn the_runbooks_json_map_is_accepted_and_a_missing_destination_refused() {
    let repo = restructured();
    repo.write(
        ".migration/state/migration-map.json",
        r#"{"migrations":[{"source":"lib/orchestration","destination":"core/orchestration"},{"source":"lib/run.sh","destination":"pilot/run.sh"}]}"#,
    );
    let shown = repo
        .rollback(&[
            "map",
            "show",
            ".migration/state/migration-map.json",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(moves(&shown).len(), 2);
    repo.rollback(&["map", "revert", ".migration/state/migration-map.json"])
        .ok();
    assert!(repo.exists("lib/orchestration/spawn.rs") && repo.exists("lib/run.sh"));
    assert!(repo.exists("pilot/log.rs"), "moves not in the map stay");

    repo.write(
        "missing.toml",
        "[[migration]]\nsource = \"a.txt\"\ndestination = \"nowhere/a.txt\"\n",
    );
    let before = repo.observe();
    repo.rollback(&["map", "revert", "missing.toml"])
        .fails(3, "'nowhere/a.txt' is missing");
    assert_eq!(repo.observe(), before);
}

#[test]
fn a_broken_map_file_names_the_line() {
    let repo = restructured();
    repo.write(
        "bad.toml",
        "[[migration]]\nsource = \"a\"\ndestinaton = \"b\"\n",
    );
    let before = repo.observe();
    repo.rollback(&["map", "revert", "bad.toml"])
        .fails(2, "bad.toml: line 3:");
    repo.write(
        "bad.json",
        "{\"migrations\": [\n  {\"source\": \"a\",\n   \"destination\": }\n]}\n",
    );
    repo.rollback(&["map", "revert", "bad.json"])
        .fails(2, "bad.json: line 3");
    repo.write(
        "escape.toml",
        "[[migration]]\nsource = \"../x\"\ndestination = \"b\"\n",
    );
    repo.rollback(&["map", "revert", "escape.toml"])
        .fails(2, "must be a relative path");
    assert_eq!(repo.observe().files.len(), before.files.len() + 2);
}

#[test]
fn drift_is_listed_and_moved_back_with_the_edits() {
    let repo = restructured();
    let mut spawn = repo.read("core/orchestration/spawn.rs");
    spawn.push_str("fn added_after_the_move() {}\n");
    repo.write("core/orchestration/spawn.rs", &spawn);
    let json = repo
        .rollback(&[
            "map",
            "revert",
            "--from",
            "before-restructure",
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(
        json["drift"],
        serde_json::json!(["core/orchestration/spawn.rs"])
    );
    assert!(
        repo.exists("core/orchestration/spawn.rs"),
        "dry run moved nothing"
    );
    let text = repo
        .rollback(&["map", "revert", "--from", "before-restructure"])
        .ok()
        .stdout();
    assert!(
        text.contains("drift    core/orchestration/spawn.rs"),
        "{text}"
    );
    assert_eq!(repo.read("lib/orchestration/spawn.rs"), spawn);
}

#[test]
fn record_moves_and_the_recorded_map_reverts() {
    let repo = TestRepo::fixture("devpilot");
    repo.write("lib/scratch.txt", "untracked\n");
    repo.rollback(&["map", "record", "lib/orchestration", "core/orchestration"])
        .ok();
    repo.rollback_in(
        &repo.path.join("lib"),
        &["map", "record", "run.sh", "../pilot/run.sh"],
    )
    .ok();
    repo.rollback(&["map", "record", "lib/scratch.txt", "pilot/scratch.txt"])
        .ok();
    assert!(repo.exists("core/orchestration/queue.rs") && repo.exists("pilot/run.sh"));
    assert_eq!(repo.read("pilot/scratch.txt"), "untracked\n");
    assert!(
        repo.git(&["ls-files", "core"])
            .contains("core/orchestration/queue.rs"),
        "the index follows tracked files"
    );
    assert_eq!(
        repo.git(&["ls-files", "pilot/scratch.txt"]),
        "",
        "untracked stays untracked"
    );
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(moves(&shown).len(), 3);
    assert_eq!(
        moves(&shown)[1],
        ("lib/run.sh".to_owned(), "pilot/run.sh".to_owned())
    );
    repo.rollback(&["map", "revert"]).ok();
    assert!(
        repo.exists("lib/orchestration/queue.rs")
            && repo.exists("lib/run.sh")
            && repo.exists("lib/scratch.txt")
    );
    assert_eq!(repo.status(), "?? lib/scratch.txt\n");
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(moves(&shown).len(), 0, "a reverted map is done");
    repo.rollback(&["map", "record", "lib/nothing", "x"])
        .fails(3, "'lib/nothing' is missing");
}

/// Undoing a revert of the recorded map brings the recorded moves back; an
/// undone record is not in the map.
#[test]
fn undoing_a_revert_or_a_record_is_followed_by_the_recorded_map() {
    let repo = TestRepo::fixture("devpilot");
    repo.rollback(&["map", "record", "lib/orchestration", "core/orchestration"])
        .ok();
    repo.rollback(&["map", "record", "lib/run.sh", "pilot/run.sh"])
        .ok();
    repo.rollback(&["map", "revert"]).ok();
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(moves(&shown).len(), 0);
    repo.rollback(&["undo"]).ok();
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(moves(&shown).len(), 2, "{shown}");
    repo.rollback(&["undo"]).ok();
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(
        moves(&shown),
        [(
            "lib/orchestration".to_owned(),
            "core/orchestration".to_owned()
        )]
    );
}

/// `map record FILE DIR/` moves the file into an existing directory, as
/// `git mv` does, and records the full destination.
#[test]
fn record_into_an_existing_directory_moves_inside_it() {
    let repo = TestRepo::fixture("devpilot");
    std::fs::create_dir_all(repo.path.join("pilot")).unwrap();
    repo.rollback(&["map", "record", "lib/run.sh", "pilot/"])
        .ok();
    assert!(repo.exists("pilot/run.sh") && !repo.exists("lib/run.sh"));
    repo.rollback(&["map", "record", "docs/README.md", "lib"])
        .ok();
    assert!(repo.exists("lib/README.md"));
    let shown = repo.rollback(&["map", "show", "--json"]).ok().json();
    assert_eq!(
        moves(&shown),
        [
            ("lib/run.sh".to_owned(), "pilot/run.sh".to_owned()),
            ("docs/README.md".to_owned(), "lib/README.md".to_owned())
        ]
    );
}

/// Drift is found with the recorded map too: the state before the first
/// recorded move is the reference.
#[test]
fn drift_is_listed_with_the_recorded_map() {
    let repo = TestRepo::fixture("devpilot");
    std::fs::create_dir_all(repo.path.join("core")).unwrap();
    repo.rollback(&["map", "record", "lib/orchestration", "core/orchestration"])
        .ok();
    let mut spawn = repo.read("core/orchestration/spawn.rs");
    spawn.push_str("fn added_after_the_move() {}\n");
    repo.write("core/orchestration/spawn.rs", &spawn);
    let json = repo
        .rollback(&["map", "revert", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(
        json["drift"],
        serde_json::json!(["core/orchestration/spawn.rs"])
    );
    repo.rollback(&["map", "revert"]).ok();
    assert_eq!(
        repo.read("lib/orchestration/spawn.rs"),
        spawn,
        "moved back with the edit"
    );
}
