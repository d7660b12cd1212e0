//! `check`: the pre-rollback checklist as exit codes; it changes nothing.

use crate::support::TestRepo;

fn states(repo: &TestRepo, args: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    let run = repo.rollback(&all);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let items = json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (run.code(), items)
}

#[test]
fn check_passes_warns_and_fails_as_the_repository_is() {
    let repo = TestRepo::fixture("basic");
    let (code, items) = states(&repo, &[]);
    assert_eq!(code, 0, "a warning is not a failure: {items:?}");
    assert!(
        items.contains(&("checkpoints".into(), "warn".into())),
        "{items:?}"
    );

    repo.rollback(&["checkpoint", "base", "--backup"]).ok();
    let (code, items) = states(&repo, &[]);
    assert_eq!(code, 0, "{items:?}");
    assert!(items.iter().all(|(_, state)| state == "ok"), "{items:?}");

    // A damaged backup fails (read in full, or by its size with --quick).
    let dir = repo.path.join(".git/rollback/backups");
    let archive = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&archive, bytes).unwrap();
    let before = repo.observe();
    for args in [&[][..], &["--quick"][..]] {
        let (code, items) = states(&repo, args);
        assert_eq!(code, 3, "{args:?}: {items:?}");
        assert!(
            items.contains(&("backup".into(), "fail".into())),
            "{items:?}"
        );
    }
    repo.rollback(&["check"]).fails(3, "1 check(s) failed");
    assert_eq!(repo.observe(), before, "check changes nothing");
}

#[test]
fn check_names_a_missing_hook_a_merge_in_progress_and_a_stage_without_its_checkpoint() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["config", "rollback.prePush", "check"]);
    repo.write(
        ".rollback.toml",
        "[[stage]]\nname = \"S\"\ncheckpoint = \"gone\"\n",
    );
    std::fs::write(
        repo.path.join(".git/MERGE_HEAD"),
        repo.git(&["rev-parse", "HEAD"]),
    )
    .unwrap();
    let (code, items) = states(&repo, &[]);
    assert_eq!(code, 3);
    for name in ["hook", "worktree", "stage"] {
        assert!(
            items.contains(&(name.into(), "fail".into())),
            "{name}: {items:?}"
        );
    }
    let text = repo.rollback(&["check"]).stdout();
    assert!(text.contains("hint: git rollback hook install"), "{text}");
    assert!(text.contains("stage 'S' lacks checkpoint 'gone'"), "{text}");
    std::fs::remove_file(repo.path.join(".git/MERGE_HEAD")).unwrap();
    repo.rollback(&["hook", "install"]).ok();
    repo.rollback(&["checkpoint", "gone"]).ok();
    let (code, items) = states(&repo, &[]);
    assert_eq!(code, 0, "{items:?}");
}

/// One flipped byte in the middle of a backup (same size, so only a full
/// read sees it) fails `check`, which names that backup.
#[test]
fn one_flipped_byte_of_a_backup_fails_check_naming_it() {
    let repo = TestRepo::fixture("basic");
    let made = repo
        .rollback(&["checkpoint", "base", "--backup", "--json"])
        .ok()
        .json();
    let id = made["backup"]["id"].as_str().unwrap().to_owned();
    repo.rollback(&["check"]).ok();
    let archive = repo.path.join(format!(".git/rollback/backups/{id}.tar.gz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&archive, bytes).unwrap();
    let before = repo.observe();
    let run = repo.rollback(&["check"]);
    assert_eq!(run.code(), 3, "{}", run.stdout());
    let line = run
        .stdout()
        .lines()
        .find(|l| l.contains("backup") && l.contains("fail"))
        .map(str::to_owned);
    assert!(
        line.as_deref().is_some_and(|l| l.contains(&id)),
        "{}",
        run.stdout()
    );
    assert_eq!(repo.observe(), before);
}
