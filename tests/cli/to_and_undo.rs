use std::os::unix::fs::PermissionsExt;

use crate::support::TestRepo;

/// A dirty checkpoint, then commits, edits, deletions, mode and symlink
/// changes and new untracked files on top of it.
fn diverged() -> (TestRepo, String) {
    let repo = TestRepo::fixture("dirty");
    let status_at_checkpoint = repo.status();
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after the checkpoint"]);
    repo.write("src/a.rs", "broken\n");
    std::fs::remove_file(repo.path.join("src/nested/deep.txt")).unwrap();
    std::fs::set_permissions(
        repo.path.join("run.sh"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::remove_file(repo.path.join("readme-link")).unwrap();
    std::os::unix::fs::symlink("src/a.rs", repo.path.join("readme-link")).unwrap();
    repo.write("scratch/new.txt", "new untracked\n");
    repo.write("build.log", "ignored log\n");
    (repo, status_at_checkpoint)
}

#[test]
fn to_restores_the_checkpoint_state_exactly() {
    let (repo, status_at_checkpoint) = diverged();
    let files_at_checkpoint = {
        // What the files were at checkpoint time, read back through git stash apply in a clone.
        let w = repo.git(&["rev-parse", "checkpoint/base^{commit}"]);
        w.trim().to_owned()
    };
    let run = repo
        .rollback(&[
            "to",
            "base",
            "--reason",
            "tests failing",
            "--severity",
            "high",
        ])
        .ok();
    assert!(
        run.stdout().contains("Rolled back to base"),
        "{}",
        run.stdout()
    );

    assert_eq!(repo.status(), status_at_checkpoint);
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        repo.git(&["rev-parse", &format!("{files_at_checkpoint}^1")])
    );
    assert_eq!(
        repo.git(&["symbolic-ref", "HEAD"]),
        "refs/heads/main\n",
        "the branch moved, HEAD stays on it"
    );
    assert_eq!(
        repo.read("README.md"),
        "# Project\nstaged line\nunstaged line\n"
    );
    assert_eq!(repo.read("notes/todo.txt"), "untracked\n");
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert!(
        !repo.exists("scratch/new.txt") && !repo.exists("scratch"),
        "new untracked file and its dir removed"
    );
    assert_eq!(
        repo.read("build.log"),
        "ignored log\n",
        "ignored files are left alone"
    );
    assert_eq!(repo.read(".env"), "SECRET=1\n");
    let mode = |p: &str| repo.path.join(p).metadata().unwrap().permissions().mode() & 0o111;
    assert_ne!(mode("run.sh"), 0, "exec bit restored");
    assert_ne!(mode("src/main.rs"), 0, "unstaged mode change restored");
    assert_eq!(
        std::fs::read_link(repo.path.join("readme-link"))
            .unwrap()
            .to_str(),
        Some("README.md")
    );
    // The index is exactly the checkpoint's index.
    assert_eq!(
        repo.git(&["write-tree"]),
        repo.git(&["rev-parse", &format!("{files_at_checkpoint}^2^{{tree}}")])
    );
    repo.fsck();

    let log = repo.rollback(&["log", "--json"]).ok().json();
    assert_eq!(log[0]["kind"], "to");
    assert!(log[0]["result"]["duration_ms"].is_u64(), "{log}");
    assert_eq!(log[0]["reason"], "tests failing");
    assert_eq!(log[0]["severity"], "high");
    assert_eq!(log[1]["kind"], "checkpoint");
    let results = repo
        .rollback(&["log", "--kind", "result", "--json"])
        .ok()
        .json();
    assert_eq!(results[0]["details"]["operation"], log[0]["id"]);
}

#[test]
fn undo_brings_back_every_byte_including_untracked_files() {
    let (repo, _) = diverged();
    let before = repo.observe();
    let status_before = repo.status();
    let json = repo.rollback(&["to", "base", "--json"]).ok().json();
    let snapshot = json["snapshot"].as_str().unwrap().to_owned();
    // The safety snapshot is a stash git can read, holding the untracked file.
    let shown = repo.git(&[
        "stash",
        "show",
        "--include-untracked",
        "--name-only",
        &snapshot,
    ]);
    assert!(shown.lines().any(|l| l == "scratch/new.txt"), "{shown}");
    assert_ne!(repo.observe(), before);

    let run = repo.rollback(&["undo"]).ok();
    assert!(run.stdout().contains("Undid"), "{}", run.stdout());
    let after = repo.observe();
    assert_eq!(after.files, before.files);
    assert_eq!(after.index, before.index);
    assert_eq!(after.head, before.head);
    assert_eq!(repo.status(), status_before);
    repo.fsck();
}

#[test]
fn undo_of_an_undo_redoes() {
    let (repo, status_at_checkpoint) = diverged();
    repo.rollback(&["to", "base"]).ok();
    let rolled_back = repo.observe();
    let undo = repo.rollback(&["undo", "--json"]).ok().json();
    // `undo OP` of an undo reverts exactly it: a redo.
    repo.rollback(&["undo", undo["id"].as_str().unwrap()]).ok();
    let redone = repo.observe();
    assert_eq!(redone.files, rolled_back.files);
    assert_eq!(redone.index, rolled_back.index);
    assert_eq!(redone.head, rolled_back.head);
    assert_eq!(repo.status(), status_at_checkpoint);
    let log = repo.rollback(&["log", "--json"]).ok().json();
    let log: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "result")
        .collect();
    let kinds: Vec<&str> = log.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["undo", "undo", "to", "checkpoint"]);
    assert_eq!(log[0]["undoes"], log[1]["id"]);
    assert_eq!(log[1]["undoes"], log[2]["id"]);
}

#[test]
fn undo_by_id_restores_that_operations_state() {
    let (repo, _) = diverged();
    let before = repo.observe();
    let first = repo.rollback(&["to", "base", "--json"]).ok().json();
    repo.write("later.txt", "later\n");
    repo.rollback(&["checkpoint", "later"]).ok();
    let id = first["id"].as_str().unwrap();
    repo.rollback(&["undo", id]).ok();
    let after = repo.observe();
    assert_eq!(after.files, before.files);
    assert_eq!(after.head, before.head);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let (repo, _) = diverged();
    let before = repo.observe();
    let json = repo
        .rollback(&["to", "base", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(json["dry_run"], true);
    let plan = json["plan"].as_array().unwrap();
    let find = |p: &str| {
        plan.iter()
            .find(|e| e["path"] == p)
            .unwrap_or_else(|| panic!("{p} not in plan"))
    };
    assert_eq!(find("scratch/new.txt")["worktree"], "delete");
    assert_eq!(find("src/a.rs")["worktree"], "restore");
    assert_eq!(find("notes/todo.txt")["worktree"], "restore");
    assert!(
        plan.iter().all(|e| e["path"] != "build.log"),
        "ignored files are not in the plan"
    );
    let text = repo.rollback(&["to", "base", "--dry-run"]).ok().stdout();
    assert!(
        text.contains("delete") && text.contains("scratch/new.txt") && text.contains("dry run"),
        "{text}"
    );
    assert_eq!(repo.observe(), before);
    assert_eq!(
        repo.rollback(&["log", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1,
        "no event recorded"
    );
}

#[test]
fn detach_leaves_the_branch_where_it_was() {
    let (repo, _) = diverged();
    let main = repo.git(&["rev-parse", "main"]);
    repo.rollback(&["to", "base", "--detach"]).ok();
    assert_eq!(repo.git(&["rev-parse", "main"]), main);
    assert!(
        repo.git_run(&["symbolic-ref", "-q", "HEAD"]).code() != 0,
        "HEAD is detached"
    );
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.git(&["symbolic-ref", "HEAD"]), "refs/heads/main\n");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), main);
}

#[test]
fn to_a_clean_checkpoint_behaves_like_reset_hard_and_clean() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "clean"]).ok();
    let at_checkpoint = repo.observe();
    repo.write("src/b.rs", "changed\n");
    repo.git(&["commit", "-q", "-am", "change b"]);
    repo.write("junk.txt", "junk\n");
    repo.git(&["mv", "docs", "documentation"]);
    repo.rollback(&["to", "clean"]).ok();
    assert_eq!(repo.status(), "");
    let after = repo.observe();
    assert_eq!(after.files, at_checkpoint.files);
    assert_eq!(after.index, at_checkpoint.index);
    assert_eq!(after.head, at_checkpoint.head);
}

#[test]
fn rollback_writes_only_what_differs() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "clean"]).ok();
    let untouched = repo.path.join("src/nested/deep.txt");
    let inode = |p: &std::path::Path| std::os::unix::fs::MetadataExt::ino(&p.metadata().unwrap());
    let before = inode(&untouched);
    repo.write("src/b.rs", "changed\n");
    let json = repo.rollback(&["to", "clean", "--json"]).ok().json();
    assert_eq!(json["restored"], 1);
    assert_eq!(json["deleted"], 0);
    assert_eq!(inode(&untouched), before, "an unchanged file was rewritten");
    // The index's stat data was refreshed: git sees a clean tree without re-reading.
    let index_mtime = std::fs::metadata(repo.path.join(".git/index"))
        .unwrap()
        .modified()
        .unwrap();
    let file_mtime = std::fs::metadata(repo.path.join("src/b.rs"))
        .unwrap()
        .modified()
        .unwrap();
    assert!(
        index_mtime >= file_mtime,
        "the index was written after the file"
    );
    let entry = repo.git(&["ls-files", "--debug", "src/b.rs"]);
    let meta = repo.path.join("src/b.rs").metadata().unwrap();
    let mtime = format!(
        "mtime: {}:{}",
        std::os::unix::fs::MetadataExt::mtime(&meta),
        std::os::unix::fs::MetadataExt::mtime_nsec(&meta)
    );
    assert!(
        entry.contains(&mtime),
        "the entry's stat is the rewritten file's ({mtime}):\n{entry}"
    );
    assert_eq!(repo.git(&["diff-files", "--name-only"]), "");
}

/// A SHA-256 repository: checkpoint, `to`, `undo` and `files`, read back by git.
#[test]
fn sha256_repositories_roll_back_and_undo() {
    let repo = TestRepo::fixture("sha256");
    assert_eq!(repo.git(&["rev-parse", "--show-object-format"]), "sha256\n");
    let status_at_checkpoint = repo.status();
    let before = repo.observe_user();
    repo.rollback(&["checkpoint", "base"]).ok();
    let snapshot = repo.git(&["rev-parse", "checkpoint/base^{commit}"]);
    assert_eq!(snapshot.trim().len(), 64);
    assert!(repo
        .git(&[
            "stash",
            "show",
            "--include-untracked",
            "--name-only",
            snapshot.trim()
        ])
        .contains("notes/todo.txt"));
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after"]);
    repo.write("src/a.rs", "broken\n");
    let after = repo.observe_user();
    repo.rollback(&["to", "base"]).ok();
    assert_eq!(repo.status(), status_at_checkpoint);
    assert_eq!(repo.observe_user().files, before.files);
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), after);
    repo.rollback(&["files", "src/a.rs", "--from", "base", "--no-test"])
        .ok();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert!(
        repo.git(&["notes", "--ref=rollback", "list"])
            .lines()
            .count()
            >= 3
    );
    repo.fsck();
}

/// An index of version 4 (`feature.manyFiles`, Scalar) stays version 4,
/// read back by git with every entry and flag.
#[test]
fn an_index_of_version_4_stays_version_4() {
    let repo = TestRepo::fixture("dirty");
    repo.git(&["update-index", "--index-version", "4"]);
    repo.git(&["update-index", "--skip-worktree", "src/b.rs"]);
    repo.rollback(&["checkpoint", "base"]).ok();
    let before = repo.observe_user();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after"]);
    repo.rollback(&["to", "base"]).ok();
    assert_eq!(repo.git(&["update-index", "--show-index-version"]), "4\n");
    assert_eq!(repo.observe_user(), before);
    assert!(repo.git(&["ls-files", "-v", "src/b.rs"]).starts_with("S "));
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.git(&["update-index", "--show-index-version"]), "4\n");
    repo.fsck();
    repo.git(&["status"]);
}

/// An intent-to-add entry (`git add -N`): `to` leaves none behind for a file
/// it removed, and `undo` marks it again (no tree can hold the mark).
#[test]
fn intent_to_add_survives_to_and_undo() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "later\n");
    repo.git(&["commit", "-q", "-am", "later"]);
    repo.write("new.txt", "intended\n");
    repo.git(&["add", "-N", "new.txt"]);
    let before = repo.observe_user();
    let status = repo.status();
    assert!(status.contains(" A new.txt"), "{status}");
    repo.rollback(&["to", "base"]).ok();
    assert_eq!(repo.status(), "", "no stale intent-to-add entry");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.status(), status);
    assert_eq!(repo.observe_user(), before);
    repo.fsck();
}

/// `index.skipHash` is honoured on write as git does (a null checksum);
/// without it the checksum is the real one.
#[test]
fn index_skip_hash_is_honoured() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    let before = repo.observe_user();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after"]);
    let trailer = || {
        let index = std::fs::read(repo.path.join(".git/index")).unwrap();
        let len = repo.git(&["rev-parse", "HEAD"]).trim().len() / 2;
        index[index.len() - len..].to_vec()
    };
    repo.rollback(&["to", "base"]).ok();
    assert!(
        trailer().iter().any(|b| *b != 0),
        "a real checksum by default"
    );
    repo.rollback(&["undo"]).ok();
    repo.git(&["config", "index.skipHash", "true"]);
    repo.rollback(&["to", "base"]).ok();
    assert!(
        trailer().iter().all(|b| *b == 0),
        "a null checksum with index.skipHash"
    );
    assert_eq!(repo.observe_user(), before);
    repo.git(&["status"]);
    repo.fsck();
}

/// A rollback that changes a submodule's recorded commit leaves the
/// submodule's work tree alone and says how to update it.
#[test]
fn a_changed_gitlink_is_reported_and_the_submodule_left_alone() {
    let (repo, lib) = with_submodule();
    std::fs::write(lib.join("s"), "second\n").unwrap();
    repo.git_in(&lib, &["commit", "-q", "-am", "second"]);
    repo.git(&["commit", "-q", "-am", "submodule at second"]);
    let inside = repo.git_in(&lib, &["rev-parse", "HEAD"]);
    let run = repo.rollback(&["to", "c"]).ok();
    assert!(
        run.stdout().contains("git submodule update --init -- lib"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        repo.git_in(&lib, &["rev-parse", "HEAD"]),
        inside,
        "not checked out"
    );
    assert_eq!(std::fs::read_to_string(lib.join("s")).unwrap(), "second\n");
    let json = repo.rollback(&["undo", "--json"]).ok().json();
    assert_eq!(json["submodules"][0], "lib");
    assert_eq!(repo.status(), "");
}

/// Sequential undo and redo: `undo` walks back one operation at a time,
/// `redo` re-applies in turn; a checkpoint keeps the redo chain, a new
/// operation ends it.
#[test]
fn undo_walks_back_and_redo_walks_forward() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after"]);
    repo.write("src/a.rs", "broken a\n");
    repo.write("scratch.txt", "untracked work\n");
    let state0 = repo.observe_user();
    repo.rollback(&["to", "base"]).ok();
    let state1 = repo.observe_user();
    repo.write("src/b.rs", "edited after to\n");
    repo.rollback(&["files", "src/b.rs", "--from", "base", "--no-test"])
        .ok();
    let state2 = repo.observe_user();
    // Redo with nothing undone: refused, nothing changed.
    repo.rollback(&["redo"]).fails(2, "nothing to redo");
    assert_eq!(repo.observe_user(), state2);

    let run = repo.rollback(&["undo"]).ok();
    assert!(run.stdout().contains("[files base]"), "{}", run.stdout());
    assert_eq!(repo.read("src/b.rs"), "edited after to\n");
    let before_second_undo = repo.observe_user();
    assert_eq!(before_second_undo.head, state1.head);
    let run = repo.rollback(&["undo"]).ok();
    assert!(run.stdout().contains("[to base]"), "{}", run.stdout());
    assert_eq!(repo.observe_user().files, state0.files);
    assert_eq!(repo.observe_user().index, state0.index);
    assert_eq!(repo.observe_user().head, state0.head);

    // A checkpoint changes nothing in the tree: the redo chain stays.
    repo.rollback(&["checkpoint", "between"]).ok();
    repo.rollback(&["redo"]).ok();
    assert_eq!(repo.observe_user().files, before_second_undo.files);
    repo.rollback(&["redo"]).ok();
    let redone = repo.observe_user();
    assert_eq!(redone.files, state2.files);
    assert_eq!(redone.index, state2.index);
    repo.rollback(&["redo"]).fails(2, "nothing to redo");

    // A new operation after an undo ends the chain.
    repo.rollback(&["undo"]).ok();
    repo.rollback(&["files", "src/a.rs", "--from", "base", "--no-test"])
        .ok();
    repo.rollback(&["redo"]).fails(2, "nothing to redo");
    repo.fsck();
}

/// An edit made after an operation is saved by the undo of it, and comes
/// back by undoing the redo.
#[test]
fn an_edit_after_an_operation_survives_undo_and_redo() {
    let repo = later_than_base();
    repo.rollback(&["to", "base"]).ok();
    repo.write("src/a.rs", "edited after to\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "later\n");
    repo.rollback(&["redo"]).ok();
    assert_eq!(
        repo.read("src/a.rs"),
        "edited after to\n",
        "redo brings back the state the undo replaced"
    );
}

/// `log` marks the operations an undo reverted, until they are redone.
#[test]
fn log_marks_undone_operations() {
    let repo = later_than_base();
    let to = repo.rollback(&["to", "base", "--json"]).ok().json();
    let undo = repo.rollback(&["undo", "--json"]).ok().json();
    let (to, undo) = (to["id"].as_str().unwrap(), undo["id"].as_str().unwrap());
    let log = repo.rollback(&["log"]).ok().stdout();
    let line = log.lines().find(|l| l.starts_with(to)).unwrap();
    assert!(line.ends_with(&format!("(undone by {undo})")), "{log}");
    let json = repo.rollback(&["log", "--json"]).ok().json();
    let entry = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == to)
        .unwrap();
    assert_eq!(entry["undone_by"], undo);
    repo.rollback(&["redo"]).ok();
    let log = repo.rollback(&["log"]).ok().stdout();
    let line = log.lines().find(|l| l.starts_with(to)).unwrap();
    assert!(!line.contains("undone by"), "{log}");
}

/// `log -n N` reads only the newest notes commits; what it prints is the
/// first N lines of the whole log, undone marks included, also when the
/// ledger's history holds a commit the tool did not write.
#[test]
fn log_n_prints_the_newest_n_of_the_whole_log() {
    let repo = later_than_base();
    repo.rollback(&["to", "base"]).ok();
    repo.rollback(&["checkpoint", "second"]).ok();
    repo.rollback(&["undo"]).ok();
    repo.rollback(&["checkpoint", "third"]).ok();
    let check = |why: &str| {
        let whole = repo.rollback(&["log"]).ok().stdout();
        assert!(whole.contains("(undone by"), "{whole}");
        let lines: Vec<&str> = whole.lines().collect();
        for n in 1..=lines.len() + 1 {
            let some = repo.rollback(&["log", "-n", &n.to_string()]).ok().stdout();
            let want = lines[..n.min(lines.len())].join("\n") + "\n";
            assert_eq!(some, want, "{why}: log -n {n}");
        }
        let newest = lines.iter().find(|l| l.contains("  checkpoint ")).unwrap();
        let one = repo
            .rollback(&["log", "-n", "1", "--kind", "checkpoint"])
            .ok()
            .stdout();
        assert_eq!(one, format!("{newest}\n"), "{why}");
    };
    check("written by the tool");
    // A line appended by hand makes a commit the tool did not write.
    repo.git(&["notes", "--ref=rollback", "append", "-m", "by hand", "HEAD"]);
    repo.rollback(&["checkpoint", "fourth"]).ok();
    check("after a commit of another writer");
}

/// `undo --to OP`: the state from before OP, several operations at once, as
/// one undo that redo re-applies.
#[test]
fn undo_to_reverts_several_operations_at_once() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "after"]);
    repo.write("scratch.txt", "untracked work\n");
    let before = repo.observe_user();
    let first = repo.rollback(&["to", "base", "--json"]).ok().json();
    repo.rollback(&["map", "record", "src/b.rs", "src/moved.rs"])
        .ok();
    let after_both = repo.observe_user();
    let run = repo
        .rollback(&["undo", "--to", first["id"].as_str().unwrap()])
        .ok();
    assert!(
        run.stdout().contains("and the 1 operation(s) after it"),
        "{}",
        run.stdout()
    );
    let now = repo.observe_user();
    assert_eq!(
        (now.files, now.index, now.head),
        (before.files, before.index, before.head)
    );
    repo.rollback(&["undo"]).fails(2, "no operation to undo");
    repo.rollback(&["redo"]).ok();
    let redone = repo.observe_user();
    assert_eq!(redone.files, after_both.files);
    assert_eq!(redone.index, after_both.index);
    // Both are in effect again: undo walks back through the move first.
    let run = repo.rollback(&["undo"]).ok();
    assert!(run.stdout().contains("[map-record]"), "{}", run.stdout());
    repo.fsck();
}

/// `undo --to OP` where OP did not move HEAD but a later operation did (and
/// made branches): HEAD goes back to where it was before OP, the branches go.
#[test]
fn undo_to_an_operation_that_kept_head_still_restores_head() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "--sprint", "3"]).ok();
    repo.write("src/a.rs", "sprint work\n");
    repo.git(&["commit", "-q", "-am", "sprint work"]);
    let before = repo.observe_user();
    let moved = repo
        .rollback(&["map", "record", "src/b.rs", "src/moved.rs", "--json"])
        .ok()
        .json();
    repo.rollback(&["sprint", "3", "--no-test"]).ok();
    assert_ne!(repo.observe_user().head, before.head);
    repo.rollback(&["undo", "--to", moved["id"].as_str().unwrap()])
        .ok();
    assert_eq!(
        repo.observe_user(),
        before,
        "HEAD, files, index and refs as before both"
    );
    repo.rollback(&["redo"]).ok();
    assert!(repo
        .git(&["branch", "--list", "backup/*"])
        .contains("backup/sprint-3-"));
    repo.fsck();
}

/// `log --kind`, `log --since`, `log OP`, and their bad input.
#[test]
fn log_filters_and_shows_one_event_in_full() {
    let repo = later_than_base();
    let to = repo
        .rollback(&["to", "base", "--reason", "broken", "--json"])
        .ok()
        .json();
    let id = to["id"].as_str().unwrap();
    let kinds = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["log", "--json"];
        all.extend_from_slice(args);
        repo.rollback(&all)
            .ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&["--kind", "to"]), ["to"]);
    assert_eq!(kinds(&["--kind", "checkpoint"]), ["checkpoint"]);
    assert_eq!(kinds(&["--since", "2999-01-01"]), Vec::<String>::new());
    assert_eq!(kinds(&["--since", "2000-01-01", "-n", "1"]).len(), 1);
    let full = repo.rollback(&["log", &id[..6]]).ok().stdout();
    assert!(
        full.contains("\"reason\": \"broken\"") && full.contains("\"paths\""),
        "{full}"
    );
    let before = repo.observe();
    repo.rollback(&["log", "--kind", "nonsense"])
        .fails(2, "not a kind of event")
        .fails(2, "hint: kinds: checkpoint, checkpoint-delete, checkpoint-rename, pre-push, backup, to, files, sprint, stage, map-record, map-revert, backup-restore, drill, recover, undo, redo, result\n");
    repo.rollback(&["log", "--since", "yesterday-ish"])
        .fails(2, "is not a time");
    repo.rollback(&["log", "ffffffff"])
        .fails(2, "operation 'ffffffff' not found")
        .fails(2, "hint: git rollback log lists operations and their ids");
    assert_eq!(repo.observe(), before);
}

/// `gc`: old safety snapshots expire, the newest operations keep theirs;
/// `--dry-run` lists exactly what `gc` removes; an expired operation's undo
/// says why it cannot be done.
#[test]
fn gc_expires_old_snapshots_and_keeps_what_undo_needs() {
    let repo = later_than_base();
    let first = repo.rollback(&["to", "base", "--json"]).ok().json();
    let first = first["id"].as_str().unwrap().to_owned();
    let second = repo
        .rollback(&["files", "src/b.rs", "--from", "base", "--no-test", "--json"])
        .ok()
        .json();
    let second = second["id"].as_str().unwrap().to_owned();
    let dry = repo
        .rollback(&[
            "gc",
            "--keep-days",
            "0",
            "--keep",
            "1",
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    let listed: Vec<&str> = dry["expired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [first.as_str()]);
    let snapshot_ref_exists = || {
        repo.git_run(&[
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/rollback/snapshots/{first}"),
        ])
        .code()
            == 0
    };
    assert!(snapshot_ref_exists(), "a dry run removes nothing");
    let done = repo
        .rollback(&["gc", "--keep-days", "0", "--keep", "1", "--json"])
        .ok()
        .json();
    assert_eq!(done["expired"], dry["expired"]);
    assert!(!snapshot_ref_exists());
    repo.fsck();
    let before = repo.observe();
    repo.rollback(&["undo", &first])
        .fails(3, "expired by `git rollback gc`");
    assert_eq!(repo.observe(), before);
    // The kept one still undoes; with the default policy nothing young expires.
    let undone = repo.rollback(&["undo", "--json"]).ok().json();
    assert_eq!(undone["undoes"], second.as_str());
    let nothing = repo.rollback(&["gc", "--json"]).ok().json();
    assert_eq!(nothing["expired"].as_array().unwrap().len(), 0);
}

/// `gc` while another operation holds the lock: refused, nothing changed.
#[test]
fn gc_waits_for_the_lock_and_refuses() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.rollback(&["to", "base"]).ok();
    let lock = repo.path.join(".git/rollback/operation.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "pid 4242 running `to`\n").unwrap();
    let before = repo.observe();
    repo.rollback_env(
        &[("GIT_CONFIG_PARAMETERS", "'rollback.locktimeout'='0'")],
        &["gc", "--keep-days", "0", "--keep", "0"],
    )
    .fails(3, "holds the lock");
    assert_eq!(repo.observe(), before);
}

/// basic.sh with a clean checkpoint `base`, then a commit changing `src/a.rs`.
fn later_than_base() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("src/a.rs", "later\n");
    repo.git(&["commit", "-q", "-am", "later"]);
    repo
}

/// Rollbacks and undos write HEAD's reflog too, as `git reset` does; a
/// rollback that changed nothing is not counted by `stats`.
#[test]
fn head_reflog_records_rollbacks_and_stats_skip_no_ops() {
    let repo = later_than_base();
    repo.rollback(&["to", "base"]).ok();
    assert!(repo
        .git(&["reflog", "-1", "--format=%gs", "HEAD"])
        .starts_with("rollback: to base"));
    repo.rollback(&["undo"]).ok();
    assert!(repo
        .git(&["reflog", "-1", "--format=%gs", "HEAD"])
        .starts_with("rollback: undo"));
    // Back at `later`; `files` of a path that already matches changes nothing.
    repo.rollback(&["files", "src/b.rs", "--from", "base", "--no-test"])
        .ok();
    let stats = repo.rollback(&["stats", "--json"]).ok().json();
    assert_eq!(stats["rollbacks"], 1, "{stats}");
    assert_eq!(stats["by_kind"]["to"], 1, "{stats}");
}

/// `report CHECKPOINT` reports the newest rollback to it that changed
/// something, not a later one that changed nothing.
#[test]
fn report_by_checkpoint_skips_rollbacks_that_changed_nothing() {
    let repo = later_than_base();
    let to = repo.rollback(&["to", "base", "--json"]).ok().json();
    repo.rollback(&["files", "src/b.rs", "--from", "base", "--no-test"])
        .ok();
    let report = repo.rollback(&["report", "base"]).ok().stdout();
    assert!(
        report.contains(&format!("`{}`", to["id"].as_str().unwrap())),
        "{report}"
    );
}

/// `to` on another branch than the checkpoint was made on warns that it
/// moves the current branch; on the same branch, or with --detach, it does not.
#[test]
fn to_warns_when_it_moves_another_branch_than_the_checkpoints() {
    let repo = later_than_base();
    let same = repo.rollback(&["to", "base", "--dry-run"]).ok();
    assert!(
        !same.stderr().contains("was made on branch"),
        "{}",
        same.stderr()
    );
    repo.git(&["switch", "-q", "-c", "feature"]);
    let before = repo.observe_user();
    let dry = repo.rollback(&["to", "base", "--dry-run"]).ok();
    assert!(
        dry.stderr()
            .contains("checkpoint 'base' was made on branch 'main'; this moves 'feature' to it"),
        "{}",
        dry.stderr()
    );
    assert_eq!(repo.observe_user(), before);
    let detached = repo.rollback(&["to", "base", "--detach", "--dry-run"]).ok();
    assert!(!detached.stderr().contains("was made on branch"));
}

/// A submodule with uncommitted and untracked work survives `to`,
/// `files .` and their undo byte for byte (its work tree is not ours).
#[test]
fn a_dirty_submodule_survives_to_files_and_undo() {
    let (repo, lib) = with_submodule();
    repo.write("src/a.rs", "later\n");
    repo.git(&["commit", "-q", "-am", "later"]);
    std::fs::write(lib.join("s"), "first\nuncommitted\n").unwrap();
    std::fs::write(lib.join("untracked"), "inside the submodule\n").unwrap();
    // The submodule's own git dir changes whenever git looks at it (its
    // index is refreshed): its work tree is what must not change.
    let submodule = |repo: &TestRepo| -> Vec<(String, (u32, Vec<u8>))> {
        repo.files()
            .into_iter()
            .filter(|(path, _)| path.starts_with("lib/") && !path.starts_with("lib/.git/"))
            .collect()
    };
    let state = |repo: &TestRepo| {
        let mut observed = repo.observe_user();
        observed
            .files
            .retain(|path, _| !path.starts_with("lib/.git/"));
        observed
    };
    let before = state(&repo);
    let inside = submodule(&repo);
    assert!(inside.iter().any(|(p, _)| p == "lib/untracked"));
    repo.rollback(&["to", "c"]).ok();
    assert_eq!(submodule(&repo), inside, "to leaves the submodule alone");
    repo.rollback(&["undo"]).ok();
    assert_eq!(state(&repo), before);
    repo.rollback(&["files", ".", "--from", "c", "--no-test"])
        .ok();
    assert_eq!(
        submodule(&repo),
        inside,
        "files . leaves the submodule alone"
    );
    assert_eq!(
        repo.read("src/a.rs"),
        repo.git(&["show", "checkpoint/c:src/a.rs"])
    );
    repo.rollback(&["undo"]).ok();
    assert_eq!(state(&repo), before);
    repo.fsck();
}

/// basic.sh with a submodule `lib` (one commit, file `s`), committed, and
/// the checkpoint `c` of that state.
fn with_submodule() -> (TestRepo, std::path::PathBuf) {
    let repo = TestRepo::fixture("basic");
    let lib = repo.path.join("lib");
    std::fs::create_dir(&lib).unwrap();
    repo.git_in(&lib, &["init", "-q", "-b", "main"]);
    std::fs::write(lib.join("s"), "first\n").unwrap();
    repo.git_in(&lib, &["add", "s"]);
    repo.git_in(&lib, &["commit", "-q", "-m", "first"]);
    repo.git(&["submodule", "add", "-q", "./lib", "lib"]);
    repo.git(&["commit", "-q", "-m", "submodule"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    (repo, lib)
}

/// A tracked file replaced by a directory of new files: `to` and `files`
/// put the file back (the directory's files are in the safety snapshot)
/// and `undo` brings the directory back byte for byte. A file added inside
/// it after the capture read it is refused, not removed with it.
#[test]
fn a_tracked_file_replaced_by_a_directory_rolls_back_and_undoes() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    std::fs::remove_file(repo.path.join("src/a.rs")).unwrap();
    repo.write("src/a.rs/new.txt", "precious\n");
    repo.write("src/a.rs/deep/more.txt", "deeper\n");
    let before = repo.observe_user();
    for args in [&["to", "base"][..], &["files", "src/a.rs"]] {
        repo.rollback(args).ok();
        assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n", "{args:?}");
        assert_eq!(repo.status(), "", "{args:?}");
        repo.rollback(&["undo"]).ok();
        assert_eq!(repo.observe_user(), before, "{args:?} undone");
    }
    // Between the capture and the first write, another file appears there.
    let late = repo.path.join("src/a.rs/late.txt");
    let refused = repo.rollback_env(
        &[
            ("GIT_ROLLBACK_TEST_RUN_AT", "checked: in the way"),
            (
                "GIT_ROLLBACK_TEST_RUN",
                &format!("echo late > '{}'", late.display()),
            ),
        ],
        &["to", "base"],
    );
    refused.fails(
        3,
        "files changed while the operation was being prepared: src/a.rs",
    );
    assert_eq!(std::fs::read_to_string(&late).unwrap(), "late\n");
    std::fs::remove_file(&late).unwrap();
    assert_eq!(repo.observe_user(), before, "nothing changed");
}

/// A file that is rewritten is replaced, as git's checkout does, not
/// written through: another name for it (a hard link outside the work
/// tree) keeps the content it had, for `files` and `to` alike.
#[test]
fn a_rewritten_file_is_replaced_not_written_through_its_hard_links() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "base"]).ok();
    let other = repo.path.parent().unwrap().join("other-name");
    for args in [&["files", "src/a.rs"][..], &["to", "base"]] {
        repo.write("src/a.rs", "edited\n");
        std::fs::hard_link(repo.path.join("src/a.rs"), &other).unwrap();
        repo.rollback(args).ok();
        assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n", "{args:?}");
        assert_eq!(repo.status(), "", "{args:?}");
        assert_eq!(
            std::fs::read_to_string(&other).unwrap(),
            "edited\n",
            "{args:?}: the other name keeps its content"
        );
        std::fs::remove_file(&other).unwrap();
        repo.rollback(&["undo"]).ok();
        assert_eq!(repo.read("src/a.rs"), "edited\n", "{args:?} undone");
        repo.rollback(&["files", "src/a.rs"]).ok();
    }
}

/// A directory that became a symlink to a directory outside the work tree:
/// rolling back makes it a directory again and writes its files there,
/// never through the link, whatever the linked directory holds (a file
/// of the same name with other content, or with the same content).
#[test]
fn a_directory_replaced_by_a_symlink_rolls_back_without_writing_through_it() {
    let repo = TestRepo::fixture("basic");
    repo.write("link/file", "in the repository\n");
    repo.git(&["add", "link"]);
    repo.git(&["commit", "-q", "-m", "a directory"]);
    repo.rollback(&["checkpoint", "base"]).ok();
    let outside = repo.path.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    repo.git(&["rm", "-rq", "link"]);
    std::os::unix::fs::symlink("../outside", repo.path.join("link")).unwrap();
    repo.git(&["add", "link"]);
    repo.git(&["commit", "-q", "-m", "a symlink"]);
    for there in ["other content\n", "in the repository\n"] {
        std::fs::write(outside.join("file"), there).unwrap();
        let before = repo.observe_user();
        repo.rollback(&["to", "base"]).ok();
        assert!(repo.path.join("link").symlink_metadata().unwrap().is_dir());
        assert_eq!(repo.read("link/file"), "in the repository\n");
        assert_eq!(repo.status(), "");
        assert_eq!(
            std::fs::read_to_string(outside.join("file")).unwrap(),
            there,
            "the linked directory is not touched"
        );
        repo.rollback(&["undo"]).ok();
        assert_eq!(repo.observe_user(), before, "{there:?}: undone");
        assert!(repo
            .path
            .join("link")
            .symlink_metadata()
            .unwrap()
            .is_symlink());
    }
}
