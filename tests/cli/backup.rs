use std::io::Write;
use std::path::{Path, PathBuf};

use git_rollback::archive::{self, ArchiveInfo, Entry, Kind, Manifest};
use sha2::Digest;

use crate::support::TestRepo;

pub(crate) fn backup_dir(repo: &TestRepo) -> PathBuf {
    repo.path.join(".git/rollback/backups")
}

/// The ids `backup list` shows, newest first.
fn backup_ids(repo: &TestRepo) -> Vec<String> {
    let list = repo.rollback(&["backup", "list", "--json"]).ok().json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn create(repo: &TestRepo, args: &[&str]) -> String {
    let mut all = vec!["backup", "create", "--json"];
    all.extend_from_slice(args);
    repo.rollback(&all).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Files under `dir` as `TestRepo::files` reads them, `.git` excluded.
fn files_in(dir: &Path) -> std::collections::BTreeMap<String, (u32, Vec<u8>)> {
    let view = TestRepo::view(dir);
    view.files()
}

#[test]
fn create_verify_and_restore_into_a_directory() {
    let repo = TestRepo::fixture("dirty");
    std::fs::create_dir_all(repo.path.join("empty/inner")).unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(repo.path.join("src/a.rs"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let id = create(&repo, &["-m", "before deploy"]);
    let list = repo.rollback(&["backup", "list", "--json"]).ok().json();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["message"], "before deploy");
    repo.rollback(&["backup", "verify"]).ok();

    let out = repo.path.parent().unwrap().join("restored");
    repo.rollback(&["backup", "restore", &id, "--into", out.to_str().unwrap()])
        .ok();
    let mut expected = repo.files();
    expected.remove(".env");
    assert_eq!(
        files_in(&out),
        expected,
        "tracked and untracked files, modes and links; no ignored file"
    );
    assert!(
        out.join("empty/inner").is_dir(),
        "empty directories are kept"
    );
    assert!(!out.join(".git").exists());
    let mtime = |p: &Path| std::os::unix::fs::MetadataExt::mtime(&p.metadata().unwrap());
    assert_eq!(
        mtime(&out.join("src/a.rs")),
        1_000_000_000,
        "modification times kept"
    );

    let log = repo.rollback(&["log", "--json"]).ok().json();
    assert_eq!(log[0]["kind"], "backup");
    assert_eq!(log[0]["details"]["backup"], id.as_str());
}

#[test]
fn include_ignored_adds_ignored_files() {
    let repo = TestRepo::fixture("dirty");
    let id = create(&repo, &["--include-ignored"]);
    let out = repo.path.parent().unwrap().join("restored");
    repo.rollback(&["backup", "restore", &id, "--into", out.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read_to_string(out.join(".env")).unwrap(),
        "SECRET=1\n"
    );
}

#[test]
fn plain_tar_extracts_a_multi_member_archive() {
    let repo = TestRepo::fixture("basic");
    // Over 3 MiB of text and some bytes that do not compress: several gzip members, two kinds.
    let text: String = (0..120_000)
        .map(|i| format!("line {i} of a large file\n"))
        .collect();
    repo.write("big.txt", &text);
    let noise: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(repo.path.join("noise.bin"), &noise).unwrap();
    let id = create(&repo, &[]);
    let archive = backup_dir(&repo).join(format!("{id}.tar.gz"));
    let manifest =
        archive::read_manifest(&backup_dir(&repo).join(format!("{id}.manifest"))).unwrap();
    assert!(
        manifest.archive.members.len() > 3,
        "{:?}",
        manifest.archive.members
    );
    let out = repo.path.parent().unwrap().join("by-tar");
    std::fs::create_dir_all(&out).unwrap();
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(files_in(&out), repo.files());
    // The manifest's archive hash is the file's sha256.
    let digest = sha2::Sha256::digest(std::fs::read(&archive).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(manifest.archive.sha256, hex);
}

#[test]
fn a_flipped_byte_anywhere_is_detected_and_restore_refuses() {
    let repo = TestRepo::fixture("basic");
    let text: String = (0..30_000).map(|i| format!("row {i}\n")).collect();
    repo.write("data.txt", &text);
    let id = create(&repo, &[]);
    let dir = backup_dir(&repo);
    for file in [format!("{id}.tar.gz"), format!("{id}.manifest")] {
        let path = dir.join(&file);
        let original = std::fs::read(&path).unwrap();
        for position in [
            0,
            original.len() / 3,
            original.len() / 2,
            original.len() - 1,
        ] {
            let mut damaged = original.clone();
            damaged[position] ^= 0x01;
            std::fs::write(&path, &damaged).unwrap();
            let run = repo.rollback(&["backup", "verify", &id]);
            assert_eq!(
                run.code(),
                3,
                "{file} byte {position} not detected:\n{}{}",
                run.stdout(),
                run.stderr()
            );
            assert!(
                run.stderr().contains("damaged") || run.stderr().contains("corrupt"),
                "{}",
                run.stderr()
            );
            let out = repo.path.parent().unwrap().join(format!("out-{position}"));
            let run = repo.rollback(&["backup", "restore", &id, "--into", out.to_str().unwrap()]);
            assert_eq!(
                run.code(),
                3,
                "{file} byte {position}: restore did not refuse:\n{}",
                run.stderr()
            );
            assert!(
                std::fs::read_dir(&out)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(true),
                "something was written"
            );
            let before = repo.observe();
            assert_eq!(repo.rollback(&["backup", "restore", &id]).code(), 3);
            assert_eq!(repo.observe(), before);
        }
        std::fs::write(&path, &original).unwrap();
    }
    repo.rollback(&["backup", "verify", &id]).ok();
}

#[test]
fn verify_names_the_damaged_entry() {
    let repo = TestRepo::fixture("basic");
    let id = create(&repo, &[]);
    let dir = backup_dir(&repo);
    // Rewrite the manifest (with a valid checksum) so one entry's hash is wrong.
    let path = dir.join(format!("{id}.manifest"));
    let manifest = archive::read_manifest(&path).unwrap();
    let mut entries: Vec<Entry> = archive::entries(&path)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let entry = entries.iter_mut().find(|e| e.path == "src/b.rs").unwrap();
    entry.sha256 = "0".repeat(64);
    let lines = archive::entry_lines(&entries).unwrap();
    archive::write_manifest(&path, &manifest, &mut &lines[..]).unwrap();
    let run = repo
        .rollback(&["backup", "verify", &id])
        .fails(3, "src/b.rs");
    assert!(run.stdout().contains("DAMAGED"), "{}", run.stdout());
}

/// Write a crafted archive and its (self-consistent) manifest.
pub(crate) fn crafted(repo: &TestRepo, id: &str, entries: &[(&str, Kind, &[u8])]) {
    let dir = backup_dir(repo);
    std::fs::create_dir_all(&dir).unwrap();
    let mut tar_bytes = Vec::new();
    let mut manifest_entries = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut tar_bytes);
        for (path, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            // Raw name bytes: the tar crate refuses to write `..` itself.
            let name = &mut header.as_gnu_mut().unwrap().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            let (size, mode) = match kind {
                Kind::File => (data.len() as u64, 0o644),
                Kind::Symlink => (0, 0o777),
                Kind::Dir => (0, 0o755),
            };
            header.set_mode(mode);
            header.set_size(size);
            match kind {
                Kind::Symlink => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header
                        .set_link_name(std::str::from_utf8(data).unwrap())
                        .unwrap();
                }
                Kind::Dir => header.set_entry_type(tar::EntryType::Directory),
                Kind::File => header.set_entry_type(tar::EntryType::Regular),
            }
            header.set_cksum();
            builder
                .append(&header, if *kind == Kind::File { *data } else { &[][..] })
                .unwrap();
            let hash: String = sha2::Sha256::digest(data)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            manifest_entries.push(Entry {
                path: path.to_string().into(),
                kind: *kind,
                mode,
                size: data.len() as u64,
                sha256: if *kind == Kind::Dir {
                    String::new()
                } else {
                    hash
                },
            });
        }
        builder.finish().unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_bytes).unwrap();
    let gz = gz.finish().unwrap();
    store(repo, id, &gz, &manifest_entries);
}

/// Store `gz` (one gzip member) as backup `id`'s archive, with a manifest
/// (self-consistent: its checksums are right) listing `entries`.
pub(crate) fn store(repo: &TestRepo, id: &str, gz: &[u8], entries: &[Entry]) {
    let dir = backup_dir(repo);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{id}.tar.gz")), gz).unwrap();
    let hash: String = sha2::Sha256::digest(gz)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = Manifest {
        version: 2,
        id: id.to_owned(),
        created: "2026-01-01T00:00:00.000000Z".to_owned(),
        message: None,
        checkpoint: None,
        include_ignored: false,
        files: entries.len(),
        bytes: entries.iter().map(|e| e.size).sum(),
        archive: ArchiveInfo {
            file: format!("{id}.tar.gz"),
            size: gz.len() as u64,
            sha256: hash,
            members: vec![0],
        },
    };
    let lines = archive::entry_lines(entries).unwrap();
    archive::write_manifest(
        &dir.join(format!("{id}.manifest")),
        &manifest,
        &mut &lines[..],
    )
    .unwrap();
}

#[test]
fn entries_that_escape_the_target_are_refused() {
    let repo = TestRepo::fixture("basic");
    let outside = repo.path.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    crafted(
        &repo,
        "dotdot",
        &[
            ("ok.txt", Kind::File, b"fine\n"),
            ("../escaped.txt", Kind::File, b"evil\n"),
        ],
    );
    crafted(
        &repo,
        "absolute",
        &[("/tmp/git-rollback-absolute.txt", Kind::File, b"evil\n")],
    );
    let link_target = outside.to_str().unwrap().to_owned();
    crafted(
        &repo,
        "through-link",
        &[
            ("link", Kind::Symlink, link_target.as_bytes()),
            ("link/planted.txt", Kind::File, b"evil\n"),
        ],
    );
    let into = repo.path.parent().unwrap().join("into");
    for id in ["dotdot", "absolute", "through-link"] {
        let before = repo.observe();
        repo.rollback(&["backup", "restore", id])
            .fails(3, "refusing path");
        repo.rollback(&["backup", "restore", id, "--into", into.to_str().unwrap()])
            .fails(3, "refusing path");
        assert_eq!(repo.observe(), before);
    }
    assert!(!repo.path.parent().unwrap().join("escaped.txt").exists());
    assert!(!Path::new("/tmp/git-rollback-absolute.txt").exists());
    assert!(
        std::fs::read_dir(&outside).unwrap().next().is_none(),
        "nothing written through the link"
    );
    assert!(std::fs::read_dir(&into)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true));
}

#[test]
fn a_symlink_in_the_target_is_never_followed() {
    let repo = TestRepo::fixture("basic");
    let id = create(&repo, &[]);
    let outside = repo.path.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // In the target, `src` is now a symlink pointing outside.
    let into = repo.path.parent().unwrap().join("into");
    std::fs::create_dir_all(&into).unwrap();
    std::os::unix::fs::symlink(&outside, into.join("src")).unwrap();
    repo.rollback(&["backup", "restore", &id, "--into", into.to_str().unwrap()])
        .fails(3, "'src' is a symlink in the target");
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
}

#[test]
fn restore_in_place_is_undoable_and_can_pick_paths() {
    let repo = TestRepo::fixture("dirty");
    let id = create(&repo, &[]);
    repo.write("src/a.rs", "broken\n");
    repo.write("notes/todo.txt", "changed untracked\n");
    repo.write("README.md", "changed\n");
    let before_restore = repo.observe();
    let json = repo
        .rollback(&["backup", "restore", &id, "src", "notes", "--json"])
        .ok()
        .json();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert_eq!(repo.read("notes/todo.txt"), "untracked\n");
    assert_eq!(
        repo.read("README.md"),
        "changed\n",
        "paths not named are untouched"
    );
    assert!(
        json["id"].is_string(),
        "the operation's id, as every operation prints it"
    );
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.observe().files, before_restore.files);
    repo.rollback(&["backup", "restore", &id, "no/such/path"])
        .fails(2, "no path of backup");
    repo.rollback(&["backup", "restore", "nope"])
        .fails(2, "backup 'nope' not found");
    repo.rollback(&["backup", "verify", "nope"])
        .fails(2, "backup 'nope' not found")
        .fails(2, "hint: git rollback backup list");
}

/// Paths are relative to the current directory, as for `files`; a restore
/// limited to some paths snapshots only those, so its undo leaves later
/// edits elsewhere alone.
#[test]
fn restore_paths_are_relative_to_the_current_directory_and_limit_the_snapshot() {
    let repo = TestRepo::fixture("dirty");
    let id = create(&repo, &[]);
    repo.write("src/a.rs", "broken\n");
    repo.write("src/b.rs", "also broken\n");
    repo.write("elsewhere.txt", "untracked, not named\n");
    let json = repo
        .rollback_in(
            &repo.path.join("src"),
            &["backup", "restore", &id, "a.rs", "--json"],
        )
        .ok()
        .json();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert_eq!(repo.read("src/b.rs"), "also broken\n", "b.rs was not named");
    let snapshot = json["snapshot"].as_str().unwrap().to_owned();
    let diff = repo.git(&["diff", "--name-only", &format!("{snapshot}^2"), &snapshot]);
    assert_eq!(diff, "src/a.rs\n", "the snapshot holds only the named path");
    assert_ne!(
        repo.git_run(&["rev-parse", "--verify", "-q", &format!("{snapshot}^3")])
            .code(),
        0,
        "and no untracked files"
    );
    repo.write("elsewhere.txt", "edited after the restore\n");
    repo.rollback(&["undo"]).ok();
    assert_eq!(repo.read("src/a.rs"), "broken\n");
    assert_eq!(repo.read("elsewhere.txt"), "edited after the restore\n");
    repo.rollback_in(
        &repo.path.join("src"),
        &["backup", "restore", &id, "../nope"],
    )
    .fails(2, "no path of backup");
}

#[test]
fn an_interrupted_backup_leaves_nothing_list_shows_or_restore_accepts() {
    let repo = TestRepo::fixture("basic");
    let noise: Vec<u8> = (0..60_000_000u64)
        .map(|i| (i.wrapping_mul(6_364_136_223_846_793_005) >> 33) as u8)
        .collect();
    std::fs::write(repo.path.join("huge.bin"), &noise).unwrap();
    let dir = backup_dir(&repo);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = repo
        .rollback_command(&["backup", "create"])
        .spawn()
        .unwrap();
    // Wait until the temporary archive exists (polling the directory, no sleep), then kill.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let has_temp = std::fs::read_dir(&dir).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".git-rollback-tmp-")
        });
        if has_temp || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::yield_now();
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the backup finished before it could be interrupted"
    );
    // SIGKILL leaves the lock behind; its holder is provably gone, so the
    // next operation takes it over and says which operation was interrupted.
    let lock = repo.path.join(".git/rollback/operation.lock");
    assert!(lock.exists(), "the killed process left its lock");
    let run = repo.rollback(&["backup", "restore", "latest"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr()
            .starts_with("warning: an interrupted `backup create` left the operation lock")
            && run.stderr().contains("error: backup 'latest' not found"),
        "{}",
        run.stderr()
    );
    assert!(!lock.exists(), "released after the command");
    let list = repo.rollback(&["backup", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with(".git-rollback-tmp-")),
        "{names:?}"
    );
    repo.rollback(&["backup", "restore", "latest"])
        .fails(2, "not found");
    // A later backup works, and clears what the interrupted one left.
    create(&repo, &[]);
    let leftovers: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".git-rollback-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn not_enough_space_is_reported_before_writing() {
    let repo = TestRepo::fixture("basic");
    let small = repo.mount_tmpfs("small", "size=64k");
    let mount = small.0.clone();
    let big: String = "x".repeat(1_000_000);
    repo.write("big.txt", &big);
    repo.git(&["config", "rollback.backupDir", mount.to_str().unwrap()]);
    repo.rollback(&["backup", "create"])
        .fails(3, "not enough disk space");
    assert!(
        std::fs::read_dir(&mount).unwrap().next().is_none(),
        "nothing was written"
    );
}

#[test]
fn prune_keeps_the_newest_and_those_tied_to_checkpoints() {
    let repo = TestRepo::fixture("basic");
    repo.rollback(&["checkpoint", "tied", "--backup"]).ok();
    let tied = backup_ids(&repo)[0].clone();
    let second = create(&repo, &[]);
    let newest = create(&repo, &[]);
    let dry = repo
        .rollback(&["backup", "prune", "--keep", "1", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(dry["deleted"][0]["id"], second.as_str());
    assert_eq!(dry["kept_for_checkpoints"][0]["id"], tied.as_str());
    assert_eq!(backup_ids(&repo).len(), 3, "a dry run deletes nothing");
    repo.rollback(&["backup", "prune", "--keep", "1"]).ok();
    assert_eq!(backup_ids(&repo), [newest.clone(), tied.clone()]);
    repo.rollback(&["backup", "prune", "--keep", "1", "--force"])
        .ok();
    assert_eq!(backup_ids(&repo), [newest]);
}

#[test]
fn create_dry_run_counts_and_writes_nothing() {
    let repo = TestRepo::fixture("dirty");
    let before = repo.observe();
    let json = repo
        .rollback(&["backup", "create", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(json["dry_run"], true);
    // Tracked and untracked files and the fixture's directories' files, not the ignored .env.
    let on_disk = repo.files().len() as u64 - 1;
    assert_eq!(json["files"], on_disk);
    assert!(
        !backup_dir(&repo).exists(),
        "not even the backup directory is made"
    );
    assert_eq!(repo.observe(), before);
}

#[test]
fn a_killed_restore_leaves_a_staging_directory_the_next_one_removes() {
    let repo = TestRepo::fixture("basic");
    let id = create(&repo, &[]);
    // What a restore killed mid-way leaves under the git dir.
    let stale = repo.path.join(".git/rollback/.git-rollback-restore-stale");
    std::fs::create_dir_all(stale.join("src")).unwrap();
    std::fs::write(stale.join("src/a.rs"), "half restored\n").unwrap();
    repo.write("src/a.rs", "edited\n");
    repo.rollback(&["backup", "restore", &id, "src/a.rs"]).ok();
    assert_eq!(repo.read("src/a.rs"), "pub fn a() { 1 }\n");
    assert!(!stale.exists());
}

/// In place, a restore is an operation like `to`: the same per-path plan,
/// an event with the same fields, the same ignored-file policy.
#[test]
fn restore_in_place_is_planned_and_recorded_like_to() {
    let repo = TestRepo::fixture("dirty");
    repo.rollback(&["checkpoint", "c"]).ok();
    let id = create(&repo, &["--include-ignored"]);
    repo.write("src/a.rs", "broken\n");
    let restore = repo
        .rollback(&["backup", "restore", &id, "src", "--dry-run", "--json"])
        .ok()
        .json();
    let to = repo
        .rollback(&["to", "c", "--dry-run", "--json"])
        .ok()
        .json();
    let keys = |value: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&restore["plan"][0]), keys(&to["plan"][0]));
    assert!(restore["plan"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["path"] == "src/a.rs" && p["worktree"] == "restore" && p["index"] == "keep"));
    let human = repo
        .rollback(&["backup", "restore", &id, "src/a.rs", "--dry-run"])
        .ok()
        .stdout();
    assert!(human.contains("  restore  keep    src/a.rs\n"), "{human}");

    repo.rollback(&["backup", "restore", &id, "src"]).ok();
    repo.rollback(&["undo"]).ok();
    repo.rollback(&["to", "c"]).ok();
    let log = repo.rollback(&["log", "--json"]).ok().json();
    let event = |kind: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind)
            .unwrap()
            .clone()
    };
    let (restored, rolled_back) = (event("backup-restore"), event("to"));
    let without = |mut keys: Vec<String>, extra: &str| {
        keys.retain(|k| k != extra);
        keys
    };
    // (`undone_by` is how `log` marks the restore, which was undone.)
    assert_eq!(
        without(without(keys(&restored), "checkpoint"), "undone_by"),
        without(keys(&rolled_back), "checkpoint")
    );
    // Limited to `src`, the restore saved and records only that path, as
    // `files` does.
    assert_eq!(
        without(without(keys(&restored["details"]), "backup"), "only"),
        keys(&rolled_back["details"])
    );
    assert_eq!(restored["details"]["only"], serde_json::json!(["src"]));
    assert_eq!(restored["details"]["backup"], id.as_str());

    // An ignored file with other content than the backup's is refused; with
    // the same content it is simply written again.
    repo.write(".env", "SECRET=changed\n");
    let before = repo.observe_user();
    repo.rollback(&["backup", "restore", &id, ".env"])
        .fails(3, "ignored files would be overwritten: .env");
    assert_eq!(repo.observe_user(), before);
    repo.write(".env", "SECRET=1\n");
    repo.rollback(&["backup", "restore", &id, ".env"]).ok();
    assert_eq!(repo.read(".env"), "SECRET=1\n");
}

/// `--into` an existing directory: files there that the backup would
/// replace are refused and listed, unless `--force`.
#[test]
fn restore_into_a_directory_never_overwrites_without_force() {
    let repo = TestRepo::fixture("basic");
    let id = create(&repo, &[]);
    let into = repo.path.parent().unwrap().join("into");
    std::fs::create_dir_all(into.join("src")).unwrap();
    std::fs::write(into.join("src/a.rs"), "mine\n").unwrap();
    std::fs::write(into.join("unrelated.txt"), "also mine\n").unwrap();
    let before = files_in(&into);
    repo.rollback(&["backup", "restore", &id, "--into", into.to_str().unwrap()])
        .fails(
            3,
            "already holds 1 of the backup's files, which would be replaced: src/a.rs",
        );
    assert_eq!(files_in(&into), before);
    repo.rollback(&[
        "backup",
        "restore",
        &id,
        "--into",
        into.to_str().unwrap(),
        "--force",
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(into.join("src/a.rs")).unwrap(),
        "pub fn a() { 1 }\n"
    );
    assert_eq!(
        std::fs::read_to_string(into.join("unrelated.txt")).unwrap(),
        "also mine\n"
    );
    repo.rollback(&["backup", "restore", &id, "--force"])
        .fails(2, "--into");
}
