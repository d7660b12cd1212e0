//! Regression tests for the ways to lose data, the security holes and the
//! corruptions an attack on the tool found (issue "nine ways to lose data
//! and five security holes"). Each test reproduces one case and compares
//! every byte, mode, index entry (flags included) and ref before and after.

use std::os::unix::fs::PermissionsExt;

use crate::support::TestRepo;

fn mode_of(path: &std::path::Path) -> u32 {
    path.symlink_metadata().unwrap().permissions().mode() & 0o7777
}

/// Whether git has an object with the id `content` would hash to.
fn has_blob(repo: &TestRepo, content: &[u8]) -> bool {
    let file = repo.path.parent().unwrap().join("probe");
    std::fs::write(&file, content).unwrap();
    let id = repo.git(&["hash-object", "--no-filters", file.to_str().unwrap()]);
    repo.git_run(&["cat-file", "-e", id.trim()]).code() == 0
}

/// D1: the checkpoint has a plain file where a submodule now lives.
#[test]
fn d1_a_submodule_in_the_way_is_never_deleted() {
    for absorbed in [false, true] {
        let repo = TestRepo::fixture("basic");
        repo.write("lib", "p\n");
        repo.git(&["add", "lib"]);
        repo.git(&["commit", "-q", "-m", "lib as a file"]);
        repo.rollback(&["checkpoint", "c"]).ok();
        repo.git(&["rm", "-q", "lib"]);
        repo.git(&["commit", "-q", "-m", "rm"]);
        let lib = repo.path.join("lib");
        std::fs::create_dir(&lib).unwrap();
        repo.git_in(&lib, &["init", "-q", "-b", "main"]);
        std::fs::write(lib.join("s"), "s\n").unwrap();
        repo.git_in(&lib, &["add", "s"]);
        repo.git_in(&lib, &["commit", "-q", "-m", "only-here"]);
        repo.git(&["submodule", "add", "-q", "./lib", "lib"]);
        repo.git(&["commit", "-q", "-m", "sub"]);
        if absorbed {
            repo.git(&["submodule", "absorbgitdirs"]);
            assert!(lib.join(".git").is_file(), "a gitfile");
        }
        std::fs::write(lib.join("s"), "s\ndirty\n").unwrap();
        std::fs::write(lib.join("untracked"), "u\n").unwrap();
        let before = repo.observe_user();
        let run = repo
            .rollback(&["to", "c"])
            .fails(3, "a repository is in the way: lib");
        assert!(run.stderr().contains("hint:"), "{}", run.stderr());
        assert_eq!(repo.observe_user(), before, "absorbed: {absorbed}");
        assert_eq!(
            repo.git_in(&lib, &["log", "--format=%s"]),
            "only-here\n",
            "the submodule's own commit is still there"
        );
        // Nothing was recorded, so nothing is left to undo.
        repo.rollback(&["undo"]).fails(2, "no operation to undo");
        assert_eq!(repo.observe_user(), before);
        repo.fsck();
    }
}

/// D2: local edits to skip-worktree and assume-unchanged files.
#[test]
fn d2_skip_worktree_and_assume_unchanged_edits_are_saved_and_flags_kept() {
    for flag in ["--skip-worktree", "--assume-unchanged"] {
        let repo = TestRepo::fixture("basic");
        repo.rollback(&["checkpoint", "c"]).ok();
        repo.write("src/b.rs", "pub fn b() { committed }\n");
        repo.git(&["commit", "-q", "-am", "change b"]);
        repo.git(&["update-index", flag, "src/b.rs"]);
        repo.write("src/b.rs", "local edit the index does not see\n");
        let before = repo.observe_user();
        repo.rollback(&["to", "c"]).ok();
        assert_eq!(repo.read("src/b.rs"), "pub fn b() {}\n");
        let flags = repo.git(&["ls-files", "-v", "src/b.rs"]);
        let expected = if flag == "--skip-worktree" {
            "S "
        } else {
            "h "
        };
        assert!(flags.starts_with(expected), "{flag}: {flags}");
        repo.rollback(&["undo"]).ok();
        assert_eq!(repo.read("src/b.rs"), "local edit the index does not see\n");
        assert_eq!(repo.observe_user(), before, "{flag}");
        repo.fsck();
    }
}

/// D3: `.env` is ignored now, but not by the checkpoint's `.gitignore`.
#[test]
fn d3_a_file_ignored_before_or_after_never_enters_an_object() {
    let repo = TestRepo::fixture("basic");
    repo.write(".gitignore", "target/\n*.log\n");
    repo.git(&["commit", "-q", "-am", "no .env rule yet"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write(".gitignore", "target/\n*.log\n.env\n");
    repo.git(&["commit", "-q", "-am", "ignore .env"]);
    let secret = b"SECRET=hunter2-d3\n";
    std::fs::write(repo.path.join(".env"), secret).unwrap();
    std::fs::set_permissions(
        repo.path.join(".env"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let before = repo.observe_user();
    repo.rollback(&["to", "c"]).ok();
    assert_eq!(repo.status(), "?? .env\n", ".env is not ignored at c");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    assert_eq!(mode_of(&repo.path.join(".env")), 0o600);
    assert!(!has_blob(&repo, secret), "the secret is in no object");
    // Redoing (reversing the undo) keeps it out too.
    repo.rollback(&["redo"]).ok();
    assert_eq!(std::fs::read(repo.path.join(".env")).unwrap(), secret);
    assert!(!has_blob(&repo, secret), "the secret is in no object");
    repo.fsck();
}

/// D4: `env_file` outside the work tree.
#[test]
fn d4_env_file_outside_the_work_tree_is_refused() {
    let repo = TestRepo::fixture("basic");
    let outside = repo.path.parent().unwrap().join("outside.env");
    for env_file in ["../outside.env", outside.to_str().unwrap(), ".git/config"] {
        repo.write(
            ".rollback.toml",
            &format!(
                "env_file = \"{env_file}\"\n[[stage]]\nname = \"s\"\ntoggles = {{ FLAG = \"off\" }}\n"
            ),
        );
        let before = repo.observe_user();
        repo.rollback(&["stage", "s", "--level", "toggle"])
            .fails(2, "is not a file inside the work tree");
        assert_eq!(repo.observe_user(), before);
        assert!(!outside.exists());
    }
    // Nor through a symlink that points outside.
    repo.write(
        ".rollback.toml",
        "env_file = \"link.env\"\n[[stage]]\nname = \"s\"\ntoggles = { FLAG = \"off\" }\n",
    );
    std::os::unix::fs::symlink(&outside, repo.path.join("link.env")).unwrap();
    let before = repo.observe_user();
    repo.rollback(&["stage", "s", "--level", "toggle"])
        .fails(3, "is a symlink");
    assert_eq!(repo.observe_user(), before);
    assert!(!outside.exists());
}

/// D5: a backup directory shared with other files.
#[test]
fn d5_backup_create_removes_only_its_own_temporary_files() {
    let repo = TestRepo::fixture("basic");
    let shared = repo.path.parent().unwrap().join("shared");
    std::fs::create_dir_all(shared.join(".tmp-keep")).unwrap();
    std::fs::write(shared.join(".tmp-keep/data"), "keep me\n").unwrap();
    std::fs::write(shared.join(".tmp-file"), "keep me too\n").unwrap();
    std::fs::create_dir_all(shared.join(".git-rollback-tmp-dir")).unwrap();
    repo.git(&["config", "rollback.backupDir", shared.to_str().unwrap()]);
    repo.rollback(&["backup", "create"]).ok();
    assert_eq!(
        std::fs::read_to_string(shared.join(".tmp-keep/data")).unwrap(),
        "keep me\n"
    );
    assert_eq!(
        std::fs::read_to_string(shared.join(".tmp-file")).unwrap(),
        "keep me too\n"
    );
    assert!(
        shared.join(".git-rollback-tmp-dir").is_dir(),
        "a directory is never a leftover"
    );
}

/// Rewrite a manifest's header line and its checksum (what a crafted
/// manifest looks like).
fn rewrite_manifest(path: &std::path::Path, edit: impl Fn(&str) -> String) {
    use sha2::Digest;
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.pop(); // the checksum
    lines[0] = edit(&lines[0]);
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let hash: String = sha2::Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(path, format!("{body}sha256 {hash}\n")).unwrap();
}

/// D6: `backup prune` and a manifest whose id is a path.
#[test]
fn d6_a_manifest_id_never_becomes_a_path_outside_the_backups() {
    let repo = TestRepo::fixture("basic");
    let id = crate::backup::create(&repo, &[]);
    let dir = crate::backup::backup_dir(&repo);
    let victim = repo.path.parent().unwrap().join("victim");
    std::fs::write(victim.with_extension("manifest"), "victim\n").unwrap();
    std::fs::write(victim.with_extension("tar.gz"), "victim\n").unwrap();
    let victim_id = "../../../../victim";
    assert!(dir.join(format!("{victim_id}.manifest")).exists());
    std::fs::rename(
        dir.join(format!("{id}.manifest")),
        dir.join("evil.manifest"),
    )
    .unwrap();
    std::fs::rename(dir.join(format!("{id}.tar.gz")), dir.join("evil.tar.gz")).unwrap();
    rewrite_manifest(&dir.join("evil.manifest"), |header| {
        header.replace(
            &format!("\"id\":\"{id}\""),
            &format!("\"id\":\"{victim_id}\""),
        )
    });
    let list = repo.rollback(&["backup", "list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], "evil", "{list}");
    assert!(list[0]["message"].as_str().unwrap().contains("DAMAGED"));
    repo.rollback(&["backup", "restore", "evil"])
        .fails(3, "damaged");
    repo.rollback(&["backup", "prune", "--keep", "0"]).ok();
    assert!(victim.with_extension("manifest").exists());
    assert!(victim.with_extension("tar.gz").exists());
}

/// D7: a lossy clean filter, and line-ending conversion, on files that
/// are not committed: `to` + `undo` gives back the exact bytes.
#[test]
fn d7_uncommitted_bytes_round_trip_exactly_through_filters() {
    let repo = TestRepo::fixture("basic");
    repo.write(
        ".gitattributes",
        "*.dat filter=lossy\n*.txt text eol=crlf\n",
    );
    repo.write("tracked.dat", "committed\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "attributes"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("src/a.rs", "pub fn a() { after }\n");
    repo.git(&["commit", "-q", "-am", "after c"]);
    repo.git(&["config", "filter.lossy.clean", "tr -d X"]);
    repo.git(&["config", "filter.lossy.smudge", "cat"]);
    repo.write("tracked.dat", "edited aXbXc\n");
    repo.write("untracked.dat", "drop XXX these\n");
    repo.write("untracked-lf.txt", "unix\nlines\n");
    std::fs::write(repo.path.join("untracked-crlf.txt"), "dos\r\nlines\r\n").unwrap();
    std::fs::set_permissions(
        repo.path.join("untracked.dat"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let before = repo.observe_user();
    repo.rollback(&["to", "c"]).ok();
    assert!(!repo.exists("untracked.dat"));
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    // And redo, then undo again.
    repo.rollback(&["redo"]).ok();
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
}

/// D8: a verify command that deletes an untracked file.
#[test]
fn d8_sprint_saves_everything_before_running_verify() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "--sprint", "1"]).ok();
    repo.write(".rollback.toml", "verify = \"rm -f precious.txt\"\n");
    repo.git(&["add", ".rollback.toml"]);
    repo.git(&["commit", "-q", "-m", "verify"]);
    repo.write("precious.txt", "only copy\n");
    let json = repo.rollback(&["sprint", "1", "--json"]).json();
    let backup = json["backup_branch"].as_str().unwrap().to_owned();
    assert_eq!(
        repo.git(&["show", &format!("{backup}:precious.txt")]),
        "only copy\n",
        "saved before verify ran"
    );
}

/// D9: a file saved while an operation runs (here by a clean filter that
/// runs during the capture, after the status was read).
#[test]
fn d9_an_edit_made_after_the_capture_is_never_overwritten() {
    let repo = TestRepo::fixture("basic");
    repo.write(".gitattributes", "trigger.txt filter=edit\n");
    repo.write("trigger.txt", "t\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "attributes"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("src/a.rs", "pub fn a() { committed after c }\n");
    repo.git(&["commit", "-q", "-am", "after c"]);
    let target = repo.path.join("src/a.rs");
    repo.git(&[
        "config",
        "filter.edit.clean",
        &format!(
            "sh -c 'echo saved while running >> {}; cat'",
            target.display()
        ),
    ]);
    repo.write("trigger.txt", "t\nchanged\n");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let index = repo.git(&["ls-files", "--stage", "-v"]);
    repo.rollback(&["to", "c"]).fails(
        3,
        "changed while the operation was being prepared: src/a.rs",
    );
    assert_eq!(
        repo.read("src/a.rs"),
        "pub fn a() { committed after c }\nsaved while running\n"
    );
    assert_eq!(repo.read("trigger.txt"), "t\nchanged\n");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["ls-files", "--stage", "-v"]), index);
    repo.rollback(&["undo"]).fails(2, "no operation to undo");
}

/// S1: archive entries under `.git`.
#[test]
fn s1_backup_entries_inside_git_are_refused() {
    use git_rollback::archive::Kind;
    let repo = TestRepo::fixture("basic");
    let hook: &[u8] = b"#!/bin/sh\necho pwned\n";
    for (id, path) in [
        ("hook", ".git/hooks/pre-commit"),
        ("upper", ".GIT/hooks/pre-commit"),
        ("short", "git~1/hooks/pre-commit"),
        ("nested", "sub/.git/config"),
    ] {
        crate::backup::crafted(&repo, id, &[(path, Kind::File, hook)]);
        let before = repo.observe_user();
        repo.rollback(&["backup", "restore", id])
            .fails(3, "inside a .git directory");
        assert_eq!(repo.observe_user(), before);
        assert!(!repo.path.join(".git/hooks/pre-commit").exists());
    }
}

/// S2: crafted ledger events (as a fetched ledger could hold).
#[test]
fn s2_crafted_events_never_become_undo_targets() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("src/a.rs", "pub fn a() { later }\n");
    repo.git(&["commit", "-q", "-am", "later"]);
    repo.rollback(&["to", "c"]).ok();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let snapshot = repo.git(&["rev-parse", "HEAD"]);
    let crafted = [
        // Not made here: no safety snapshot ref of ours names it.
        format!(
            r#"{{"id":"aaaa0001","kind":"to","at":"2099-01-01T00:00:00.000000Z","by":"x <x@x>","object":"{0}","snapshot":"{0}","head_before":{{"ref":"refs/tags/c","oid":"{0}"}}}}"#,
            snapshot.trim()
        ),
        format!(
            r#"{{"id":"aaaa0002","kind":"to","at":"2099-01-01T00:00:00.000000Z","by":"x <x@x>","object":"{0}","snapshot":"{0}","head_before":{{"ref":"refs/heads/main","oid":"0000000000000000000000000000000000000000"}}}}"#,
            snapshot.trim()
        ),
    ];
    for event in &crafted {
        repo.git(&[
            "notes",
            "--ref=rollback",
            "append",
            "--no-separator",
            "-m",
            event,
            head.trim(),
        ]);
    }
    // A crafted event with our own snapshot ref but a tag as HEAD.
    repo.git(&[
        "update-ref",
        "refs/rollback/snapshots/aaaa0003",
        head.trim(),
    ]);
    repo.git(&[
        "notes",
        "--ref=rollback",
        "append",
        "--no-separator",
        "-m",
        &format!(
            r#"{{"id":"aaaa0003","kind":"to","at":"2026-01-01T00:00:00.000000Z","by":"x <x@x>","object":"{0}","snapshot":"{0}","head_before":{{"ref":"refs/tags/checkpoint/c","oid":"{0}"}}}}"#,
            head.trim()
        ),
        head.trim(),
    ]);
    for (id, why) in [
        ("aaaa0001", "not made in this clone"),
        ("aaaa0002", "not made in this clone"),
        ("aaaa0003", "not a branch"),
    ] {
        let before = repo.observe_user();
        repo.rollback(&["undo", id]).fails(3, why);
        assert_eq!(repo.observe_user(), before);
    }
    // The default target is the real `to`: undo brings back `later`.
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { later }\n");
    assert_eq!(repo.git(&["symbolic-ref", "HEAD"]), "refs/heads/main\n");
    repo.fsck();
}

/// A backup `id` whose archive is one gzip member (compressed at `level`)
/// holding one file `name` of `size` bytes read from `content()`, with a
/// manifest that tells the truth about it.
fn one_member_backup(
    repo: &TestRepo,
    id: &str,
    size: u64,
    content: &dyn Fn() -> Box<dyn std::io::Read>,
    level: flate2::Compression,
) {
    use git_rollback::archive::{Entry, Kind};
    use sha2::Digest;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
    {
        let mut builder = tar::Builder::new(&mut gz);
        let mut header = tar::Header::new_gnu();
        header.set_path("data").unwrap();
        header.set_mode(0o644);
        header.set_size(size);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, content()).unwrap();
        builder.finish().unwrap();
    }
    let gz = gz.finish().unwrap();
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut content(), &mut hasher).unwrap();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let entries = [Entry {
        path: "data".into(),
        kind: Kind::File,
        mode: 0o644,
        size,
        sha256: hex(&hasher.finalize()),
    }];
    crate::backup::store(repo, id, &gz, &entries);
}

/// S3: a member that inflates far beyond a chunk (an archive bomb), and a
/// member larger than any a backup holds: refused before either is read whole.
#[test]
fn s3_an_archive_bomb_is_refused_without_inflating_it() {
    let repo = TestRepo::fixture("basic");
    // 16 MiB of zeros in one member of about 16 KiB.
    let zeros = || -> Box<dyn std::io::Read> {
        Box::new(std::io::Read::take(std::io::repeat(0), 16 << 20))
    };
    one_member_backup(
        &repo,
        "bomb",
        64 << 20,
        &zeros,
        flate2::Compression::default(),
    );
    // 3 MiB that do not compress, stored in one member of 3 MiB.
    let noise = || -> Box<dyn std::io::Read> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let bytes: Vec<u8> = (0..3 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        Box::new(std::io::Cursor::new(bytes))
    };
    one_member_backup(&repo, "large", 3 << 20, &noise, flate2::Compression::none());
    let before = repo.observe_user();
    repo.rollback(&["backup", "verify", "bomb"])
        .fails(3, "inflates to more than");
    repo.rollback(&["backup", "restore", "bomb"])
        .fails(3, "damaged");
    repo.rollback(&["backup", "verify", "large"])
        .fails(3, "larger than any member a backup holds");
    assert_eq!(repo.observe_user(), before);
}

/// S4: a backup directory inside the work tree.
#[test]
fn s4_backups_inside_the_work_tree_stay_out_of_snapshots_and_rollbacks() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write(
        ".rollback.toml",
        "[backup]\ndir = \"backups\"\ninclude_ignored = true\n",
    );
    let run = repo.rollback(&["backup", "create"]).ok();
    assert!(
        run.stderr()
            .contains("warning: the backup directory 'backups' is inside the work tree"),
        "{}",
        run.stderr()
    );
    let archives: Vec<std::path::PathBuf> = std::fs::read_dir(repo.path.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(archives.len(), 2, "{archives:?}");
    let archive_bytes = std::fs::read(
        archives
            .iter()
            .find(|p| p.extension().unwrap() == "gz")
            .unwrap(),
    )
    .unwrap();
    let before = repo.observe_user();
    repo.rollback(&["to", "c"]).ok();
    for archive in &archives {
        assert!(archive.exists(), "{} deleted", archive.display());
    }
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    assert!(
        !has_blob(&repo, &archive_bytes),
        "the archive is in no object"
    );
    // A second backup does not archive the first.
    repo.rollback(&["backup", "create", "--json"]).ok();
    let list = repo.rollback(&["backup", "list", "--json"]).ok().json();
    assert_eq!(list[0]["files"], list[1]["files"], "{list}");
}

/// S5: saved copies of ignored files keep their mode, in private directories.
#[test]
fn s5_saved_copies_keep_their_mode_in_private_directories() {
    let repo = TestRepo::fixture("basic");
    repo.write(
        ".rollback.toml",
        "env_file = \"config/.env\"\n[[stage]]\nname = \"s\"\ntoggles = { FLAG = \"off\" }\n",
    );
    repo.write(".gitignore", "target/\n*.log\n.env\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "stage"]);
    repo.write("config/.env", "FLAG=on\nTOKEN=secret\n");
    let env = repo.path.join("config/.env");
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = repo.observe_user();
    let json = repo
        .rollback(&["stage", "s", "--level", "toggle", "--json"])
        .ok()
        .json();
    let id = json["id"].as_str().unwrap();
    assert_eq!(mode_of(&env), 0o600, "the written file keeps its mode");
    let saved = repo.path.join(".git/rollback/saved").join(id);
    assert_eq!(mode_of(&saved.join("config/.env")), 0o600);
    assert_eq!(mode_of(&saved.join("config")), 0o700);
    assert_eq!(mode_of(&saved), 0o700);
    assert_eq!(mode_of(&repo.path.join(".git/rollback/saved")), 0o700);
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    assert_eq!(mode_of(&env), 0o600);
}

/// A checkpoint `c` and a later commit that changes `src/a.rs`.
fn moved_on() -> TestRepo {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("src/a.rs", "pub fn a() { later }\n");
    repo.write("docs/guide.md", "guide, later\n");
    repo.git(&["commit", "-q", "-am", "later"]);
    repo
}

/// Linked worktrees: undo in one never reverses another's operation.
#[test]
fn undo_targets_only_this_worktrees_operations() {
    let repo = moved_on();
    let other = repo.path.parent().unwrap().join("other");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        other.to_str().unwrap(),
    ]);
    let json = repo.rollback(&["to", "c", "--json"]).ok().json();
    let id = json["id"].as_str().unwrap().to_owned();
    let main_state = repo.observe_user();
    let other_view = TestRepo::view(&other);
    let other_files = other_view.files();
    repo.rollback_in(&other, &["undo"])
        .fails(2, "no operation to undo");
    repo.rollback_in(&other, &["undo", &id])
        .fails(3, "it was made in the main work tree");
    assert_eq!(repo.observe_user(), main_state);
    assert_eq!(other_view.files(), other_files);
    // The other worktree's own operation is its own to undo.
    let json = repo.rollback_in(&other, &["to", "c", "--json"]).ok().json();
    let other_id = json["id"].as_str().unwrap().to_owned();
    repo.rollback(&["undo", &other_id])
        .fails(3, "it was made in the linked worktree 'other'");
    let undone = repo.rollback_in(&other, &["undo", "--json"]).ok().json();
    assert_eq!(undone["undoes"], other_id.as_str());
    assert_eq!(other_view.files(), other_files);
    assert_eq!(repo.observe_user(), main_state);
}

/// Sparse checkout: files outside the cone stay off the disk, their
/// skip-worktree bit stays.
#[test]
fn sparse_checkout_stays_sparse_through_to_and_undo() {
    let repo = moved_on();
    repo.git(&["sparse-checkout", "set", "src"]);
    assert!(!repo.exists("docs/guide.md"));
    let before = repo.observe_user();
    repo.rollback(&["to", "c"]).ok();
    assert!(!repo.exists("docs/guide.md"), "outside the cone");
    assert!(repo
        .git(&["ls-files", "-v", "docs/guide.md"])
        .starts_with("S "));
    assert_eq!(repo.git(&["show", ":docs/guide.md"]), "guide\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
    assert_eq!(repo.status(), "");
}

/// git's own locks: an operation refuses before its first write.
#[test]
fn a_locked_index_or_branch_refuses_before_any_write() {
    let repo = moved_on();
    for lock in ["index.lock", "refs/heads/main.lock", "HEAD.lock"] {
        let path = repo.path.join(".git").join(lock);
        std::fs::write(&path, "").unwrap();
        let before = repo.observe_user();
        let ledger = repo.git(&["rev-parse", "refs/notes/rollback"]);
        repo.rollback(&["to", "c"]).fails(3, "is locked");
        assert_eq!(repo.observe_user(), before, "{lock}");
        assert_eq!(repo.git(&["rev-parse", "refs/notes/rollback"]), ledger);
        std::fs::remove_file(&path).unwrap();
    }
    repo.rollback(&["to", "c"]).ok();
}

/// GIT_DIR relative to a subdirectory, without GIT_WORK_TREE: git would take
/// the subdirectory as the work tree.
#[test]
fn git_dir_without_work_tree_from_a_subdirectory_is_refused() {
    let repo = moved_on();
    repo.write("src/untracked.txt", "keep\n");
    let before = repo.observe_user();
    let output = repo
        .rollback_command(&["to", "c"])
        .current_dir(repo.path.join("src"))
        .env("GIT_DIR", "../.git")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GIT_DIR is set without GIT_WORK_TREE"),
        "{stderr}"
    );
    assert_eq!(repo.observe_user(), before);
    // With GIT_WORK_TREE it works.
    let output = repo
        .rollback_command(&["to", "c"])
        .current_dir(repo.path.join("src"))
        .env("GIT_DIR", "../.git")
        .env("GIT_WORK_TREE", "..")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
}

/// `map revert`: a file where a top-level directory must go.
#[test]
fn map_revert_refuses_a_file_where_a_directory_must_go() {
    let repo = TestRepo::fixture("devpilot");
    repo.rollback(&["checkpoint", "before"]).ok();
    std::fs::create_dir_all(repo.path.join("core")).unwrap();
    repo.git(&["mv", "lib", "core/lib"]);
    repo.git(&["commit", "-q", "-m", "move lib"]);
    repo.write(
        "map.toml",
        "[[migration]]\nsource = \"lib/orchestration\"\ndestination = \"core/lib/orchestration\"\n",
    );
    repo.write("lib", "a plain file now\n");
    let before = repo.observe_user();
    repo.rollback(&["map", "revert", "map.toml"]).fails(
        3,
        "'lib' is a file where 'lib/orchestration' needs a directory",
    );
    assert_eq!(repo.observe_user(), before);
}

/// `files '[bracket].txt'`: the file of that name, not what the glob matches.
#[test]
fn files_takes_an_existing_literal_path_over_its_glob_reading() {
    let repo = TestRepo::fixture("basic");
    repo.write("[bracket].txt", "bracket\n");
    repo.write("a.txt", "a\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "odd names"]);
    repo.rollback(&["checkpoint", "c"]).ok();
    repo.write("[bracket].txt", "bracket, broken\n");
    repo.write("a.txt", "a, edited on purpose\n");
    repo.rollback(&["files", "[bracket].txt", "--from", "c"])
        .ok();
    assert_eq!(repo.read("[bracket].txt"), "bracket\n");
    assert_eq!(repo.read("a.txt"), "a, edited on purpose\n");
    // A glob that names no existing path is still a glob.
    repo.rollback(&["files", "[a].txt", "--from", "c"]).ok();
    assert_eq!(repo.read("a.txt"), "a\n");
}

/// A tag under refs/tags/checkpoint/ at a blob or a tree.
#[test]
fn a_checkpoint_tag_at_a_blob_or_tree_is_skipped_with_a_warning() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "good"]).ok();
    let blob = repo.git(&["hash-object", "-w", "README.md"]);
    repo.git(&["tag", "checkpoint/at-blob", blob.trim()]);
    repo.git(&[
        "tag",
        "-a",
        "-m",
        "tree",
        "checkpoint/at-tree",
        "HEAD^{tree}",
    ]);
    let run = repo.rollback(&["list", "--json"]).ok();
    let list = run.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], "good");
    assert!(
        run.stderr()
            .contains("warning: skipped: checkpoint 'at-blob' points at a blob"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("'at-tree' points at a tree"),
        "{}",
        run.stderr()
    );
    let before = repo.observe_user();
    repo.rollback(&["to", "at-blob"])
        .fails(3, "points at a blob, not a commit");
    repo.rollback(&["to", "goo"]).fails(2, "did you mean good");
    assert_eq!(repo.observe_user(), before);
}

/// Names that read as refs, and names too long for a file name.
#[test]
fn checkpoint_names_that_read_as_refs_or_are_too_long_are_refused() {
    let repo = TestRepo::fixture("basic");
    let long = "x".repeat(300);
    for (name, needle) in [
        ("checkpoint/foo", "starts with 'checkpoint/'"),
        ("refs/tags/foo", "starts with 'refs/'"),
        (long.as_str(), "is too long"),
    ] {
        let before = repo.observe_user();
        repo.rollback(&["checkpoint", name]).fails(2, needle);
        assert_eq!(repo.observe_user(), before);
    }
}

/// Backups of names with a backslash or bytes that are not UTF-8: archived,
/// verified and restored under their own bytes.
#[test]
fn backups_keep_names_with_backslashes_and_bytes_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::fixture("basic");
    repo.write("back\\slash.txt", "backslash\n");
    let odd = std::ffi::OsStr::from_bytes(b"odd-\xff.txt");
    std::fs::write(repo.path.join(odd), "latin-1\n").unwrap();
    let id = crate::backup::create(&repo, &[]);
    repo.rollback(&["backup", "verify", &id]).ok();
    let manifest =
        std::fs::read_to_string(crate::backup::backup_dir(&repo).join(format!("{id}.manifest")))
            .unwrap();
    assert!(
        manifest.contains(r#""path":{"bytes":"6f64642dff2e747874"}"#),
        "{manifest}"
    );
    let into = repo.path.parent().unwrap().join("into");
    repo.rollback(&["backup", "restore", &id, "--into", into.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read_to_string(into.join("back\\slash.txt")).unwrap(),
        "backslash\n"
    );
    assert_eq!(
        std::fs::read_to_string(into.join(odd)).unwrap(),
        "latin-1\n"
    );
    // In place: both come back after they were removed.
    let before = repo.observe_user();
    std::fs::remove_file(repo.path.join(odd)).unwrap();
    std::fs::remove_file(repo.path.join("back\\slash.txt")).unwrap();
    repo.rollback(&["backup", "restore", &id]).ok();
    assert_eq!(repo.observe_user().files, before.files);
}

/// I/O errors where the file system stands in the way are refusals that
/// name the path, without the raw `(os error N)`.
#[test]
fn file_system_refusals_name_the_path_and_exit_3() {
    let repo = TestRepo::fixture("basic");
    repo.git(&["config", "rollback.backupDir", "README.md"]);
    let before = repo.observe_user();
    let run = repo
        .rollback(&["backup", "create"])
        .fails(3, "creating the backup directory");
    assert!(!run.stderr().contains("os error"), "{}", run.stderr());
    assert_eq!(repo.observe_user(), before);
    repo.git(&["config", "--unset", "rollback.backupDir"]);
    let id = crate::backup::create(&repo, &[]);
    let read_only = repo.mount_tmpfs("read-only", "size=64k,ro");
    let into = read_only.0.join("restore");
    let run = repo
        .rollback(&["backup", "restore", &id, "--into", into.to_str().unwrap()])
        .fails(3, "Read-only file system");
    assert!(
        run.stderr().contains(into.to_str().unwrap()),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("os error"), "{}", run.stderr());
}

/// Names that only Windows refuses (a device name, `:` and `?`, a trailing
/// dot) are ordinary files elsewhere, as git treats them: the snapshot
/// keeps them, tracked or untracked, and `undo` gives them back.
#[test]
fn names_only_windows_refuses_are_snapshotted_like_any_other() {
    let repo = TestRepo::fixture("basic");
    repo.write("aux.c", "tracked device name\n");
    repo.git(&["add", "aux.c"]);
    repo.git(&["commit", "-q", "-m", "aux"]);
    repo.rollback(&["checkpoint", "base"]).ok();
    repo.write("aux.c", "edited\n");
    for name in ["con.txt", "a:b?.txt", "trailing."] {
        repo.write(&format!("odd/{name}"), &format!("{name}\n"));
    }
    let before = repo.observe_user();
    repo.rollback(&["to", "base"]).ok();
    assert_eq!(repo.read("aux.c"), "tracked device name\n");
    assert!(!repo.exists("odd/a:b?.txt"));
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe_user(), before);
}
