//! The parsers of untrusted input, each as one `fn(&[u8])` that must never
//! panic, whatever the bytes: the targets of `fuzz/` (cargo-fuzz) and of the
//! bounded corpus run in `cargo test` (tests/parsers.rs). Not part of the
//! tool's API.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::archive::{self, ArchiveInfo, Manifest, Source};

/// A backup manifest (header, entry lines, footer and its own checksum),
/// then every entry line it lists; whether all of it read.
pub fn manifest(bytes: &[u8]) -> bool {
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let path = dir.path().join("f.manifest");
    if std::fs::write(&path, bytes).is_err() || archive::read_manifest(&path).is_err() {
        return false;
    }
    let Ok(entries) = archive::entries(&path) else {
        return false;
    };
    entries.into_iter().all(|entry| entry.is_ok())
}

/// A backup archive (tar.gz members: headers, names, sizes, data) read
/// against the manifest of a small valid backup; whether it verified.
pub fn archive(bytes: &[u8]) -> bool {
    let Some((dir, manifest)) = valid_backup() else {
        return false;
    };
    let Ok(scratch) = tempfile::tempdir() else {
        return false;
    };
    let path = scratch.path().join("f.tar.gz");
    if std::fs::write(&path, bytes).is_err() {
        return false;
    }
    let (_, manifest_path) = archive::paths(dir, &manifest.id);
    archive::read(
        &path,
        &manifest_path,
        manifest,
        &Quiet,
        &mut archive::CheckOnly,
    )
    .is_ok()
}

/// The archive of `valid_backup`, as the seed of the archive target.
pub fn valid_archive() -> Option<Vec<u8>> {
    let (dir, manifest) = valid_backup()?;
    std::fs::read(archive::paths(dir, &manifest.id).0).ok()
}

/// A map of moves, as TOML and as JSON.
pub fn map(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        for name in ["map.toml", "map.json"] {
            if let Ok(map) = crate::migration::Map::parse(name, text) {
                let _ = map.reversed();
                let _ = map.to_toml();
                let _ = map.to_json();
            }
        }
    }
}

/// `.rollback.toml`.
pub fn config(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = crate::config::parse(text);
    }
}

/// The ledger's notes: any bytes, as lines; an event that parses writes
/// back to a line that parses to the same event.
pub fn ledger(bytes: &[u8]) {
    use gix::bstr::ByteSlice;
    for line in bytes.lines() {
        if let Ok(event) = serde_json::from_slice::<crate::ledger::Event>(line.trim()) {
            let again = serde_json::to_string(&event).expect("an event serializes");
            let back: crate::ledger::Event =
                serde_json::from_str(&again).expect("a written event reads back");
            assert_eq!(back, event, "an event survives a write and a read");
        }
    }
}

/// A path named by an archive entry, a map or a command line.
pub fn entry_path(bytes: &[u8]) {
    let _ = archive::check_entry_path(bytes);
    if let Ok(id) = std::str::from_utf8(bytes) {
        let _ = archive::check_id(id);
    }
}

struct Quiet;
impl archive::Progress for Quiet {}

/// A backup of three files with its manifest, made once per process in a
/// temporary directory that lives as long as the process. (A static is
/// never dropped, so the directory is removed when the last reference to
/// it goes: the `TempDir` is kept beside it and removed by
/// [`remove_valid_backup`]; what a killed fuzzer leaves is one small
/// directory.)
fn valid_backup() -> Option<&'static (PathBuf, Manifest)> {
    BACKUP
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("git-rollback-fuzz-seed-")
                .tempdir()
                .ok()?;
            let files: [(&str, &[u8]); 3] = [
                ("a.txt", b"alpha\n"),
                ("dir/b.bin", &[0, 1, 2, 255]),
                ("dir/sub/c", b""),
            ];
            let manifest = small_backup(dir.path(), "seed", &files).ok()?;
            let path = dir.path().to_owned();
            *SEED_DIR.lock().ok()? = Some(dir);
            Some((path, manifest))
        })
        .as_ref()
}

static BACKUP: OnceLock<Option<(PathBuf, Manifest)>> = OnceLock::new();
static SEED_DIR: std::sync::Mutex<Option<tempfile::TempDir>> = std::sync::Mutex::new(None);

/// Remove the directory of `valid_backup` (a test calls this when it is
/// done with the archive target; the fuzzer never does).
pub fn remove_valid_backup() {
    if let Ok(mut dir) = SEED_DIR.lock() {
        drop(dir.take());
    }
}

/// Write `files` (path, content) under `dir/tree` and archive them as the
/// backup `id` in `dir`, with fixed times (the same bytes on every run);
/// return its manifest. For the fuzz seed and the archive's unit tests.
pub fn small_backup(
    dir: &std::path::Path,
    id: &str,
    files: &[(&str, &[u8])],
) -> crate::Result<Manifest> {
    let root = dir.join("tree");
    let mut sources = Vec::new();
    for (path, content) in files {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, content)?;
        sources.push(Source {
            path: (*path).into(),
            kind: archive::Kind::File,
            size: content.len() as u64,
            executable: false,
            mtime: 1_700_000_000,
        });
    }
    let (archive_path, manifest_path) = archive::paths(dir, id);
    let out = std::fs::File::create(&archive_path)?;
    let mut written = archive::write(
        &root,
        &mut |each| sources.iter().try_for_each(&mut *each),
        out,
        &Quiet,
    )?;
    let manifest = Manifest {
        version: 2,
        id: id.into(),
        created: "2026-01-01T00:00:00.000000Z".into(),
        message: None,
        checkpoint: None,
        include_ignored: false,
        files: written.files,
        bytes: 0,
        archive: ArchiveInfo {
            file: format!("{id}.tar.gz"),
            ..written.archive
        },
    };
    archive::write_manifest(&manifest_path, &manifest, &mut written.entries)?;
    Ok(manifest)
}

/// The pre-push hook's stdin (`<local ref> <local oid> <remote ref> <remote oid>`
/// lines), for both object formats.
pub fn pre_push(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        for hash in [gix::hash::Kind::Sha1, gix::hash::Kind::Sha256] {
            if let Ok(updates) = crate::hook::parse_updates(text, hash) {
                assert!(updates.len() <= text.lines().count());
            }
        }
    }
}
