//! Tarball backups of the work tree, kept outside it (by default under
//! `$GIT_DIR/rollback/backups/`), never committed: create, list, verify,
//! restore (all or some paths, in place or into another directory) and prune.
//! The archive format and its checks live in [`crate::archive`].

use std::path::{Path, PathBuf};

use gix::bstr::{BString, ByteSlice};

use crate::archive::{self, Entry, Kind, Manifest, Progress, Sink, Source};
use crate::config::Settings;
use crate::error::{Context, Error, Hint, Result};
use crate::pathspec::PathSpec;
use crate::repo::Repo;

/// The directory holding the backups.
pub fn dir(repo: &Repo, settings: &Settings) -> PathBuf {
    match settings.backup_dir.as_deref().filter(|d| !d.is_empty()) {
        Some(dir) => repo.workdir().join(dir),
        None => repo.rollback_dir().join("backups"),
    }
}

/// Where the backup directories that were ever inside the work tree are
/// remembered (one relative path a line), so they stay protected when the
/// setting that named them changes (`.rollback.toml` is itself rolled back).
fn remembered_dirs(repo: &Repo) -> PathBuf {
    repo.rollback_dir().join("backup-dirs-in-worktree")
}

/// `dir` relative to the work tree root, when it lies inside the work tree.
pub fn inside_worktree(repo: &Repo, dir: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    if dir.starts_with(repo.common_dir()) {
        return None;
    }
    let relative = dir.strip_prefix(repo.workdir()).ok()?.to_str()?.to_owned();
    (!relative.is_empty()).then_some(relative)
}

/// The backup directories inside the work tree (relative, `/`-separated):
/// the configured one and every one a backup was ever written to. Captures
/// treat them as ignored and the backup walk leaves them out, so archives
/// never enter a snapshot, a backup or a rollback's deletions.
pub fn dirs_in_worktree(repo: &Repo) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_to_string(remembered_dirs(repo))
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(configured) = crate::config::load(repo)
        .ok()
        .and_then(|settings| inside_worktree(repo, &dir(repo, &settings)))
    {
        if !out.contains(&configured) {
            out.push(configured);
        }
    }
    out
}

/// Remember `dir` when it lies inside the work tree; return its relative path.
fn remember_if_inside(repo: &Repo, dir: &Path) -> Result<Option<String>> {
    let Some(relative) = inside_worktree(repo, dir) else {
        return Ok(None);
    };
    let list = remembered_dirs(repo);
    let known = std::fs::read_to_string(&list).unwrap_or_default();
    if !known.lines().any(|line| line == relative) {
        use std::io::Write;
        std::fs::create_dir_all(list.parent().unwrap_or(repo.common_dir()))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&list)?;
        writeln!(file, "{relative}")?;
    }
    Ok(Some(relative))
}

/// Every complete backup (one with a manifest), newest first. Archives
/// without a manifest (interrupted writes) and temporary files are not backups.
pub fn list(dir: &Path) -> Result<Vec<Manifest>> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for item in read {
        let path = item?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !name.ends_with(".manifest") {
            continue;
        }
        let stem = name.trim_end_matches(".manifest");
        // The id becomes a path (restore, prune): it must be the file's own
        // name, so a crafted manifest cannot name files elsewhere.
        let read = archive::read_manifest(&path).and_then(|manifest| {
            archive::check_id(&manifest.id)?;
            if manifest.id != stem {
                return Err(Error::refused(format!(
                    "its id '{}' is not its file name",
                    manifest.id
                )));
            }
            Ok(manifest)
        });
        match read {
            Ok(manifest) => out.push(manifest),
            // A damaged manifest is listed by `verify`, not hidden: show it with what we know.
            Err(err) => out.push(Manifest {
                version: 0,
                id: stem.to_owned(),
                created: String::new(),
                message: Some(format!("DAMAGED: {}", err.message)),
                checkpoint: None,
                include_ignored: false,
                files: 0,
                bytes: 0,
                archive: archive::ArchiveInfo {
                    file: String::new(),
                    size: 0,
                    sha256: String::new(),
                    members: Vec::new(),
                },
            }),
        }
    }
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    Ok(out)
}

/// Hand `each` the work tree's files: tracked and untracked, ignored ones only
/// when asked; never `.git`, nested repositories or special files. Empty
/// directories are included. In the walk's order (names sorted within each
/// directory), which is the order of the archive; nothing is collected.
///
/// With `estimate`, only sizes matter: tracked files take their size from the
/// index's stat data instead of a stat call, and empty directories are skipped.
pub fn walk_sources(
    repo: &Repo,
    include_ignored: bool,
    estimate: bool,
    each: &mut dyn FnMut(&Source) -> Result<()>,
) -> Result<()> {
    let index = repo.git.index_or_empty()?;
    let backups = dirs_in_worktree(repo);
    let mut excludes = repo.git.excludes(
        &index,
        None,
        gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
    )?;
    // gix's work tree path: relative (`.`) when we work from the top, so each
    // stat and open resolves a short path.
    let root = repo.git.workdir().unwrap_or(repo.workdir());
    let walker = walkdir::WalkDir::new(root).min_depth(1);
    // The archive's order is the sorted walk; a size estimate needs no order.
    let mut walk = if estimate {
        walker
    } else {
        walker.sort_by_file_name()
    }
    .into_iter();
    while let Some(item) = walk.next() {
        let item = item?;
        let rel = item
            .path()
            .strip_prefix(root)
            .map_err(|_| Error::failed("walked outside the work tree"))?;
        // The name's bytes as they are (on Unix `\\` is an ordinary character).
        let rel = gix::path::into_bstr(rel)?.into_owned();
        let file_type = item.file_type();
        if file_type.is_dir() {
            if item.file_name() == ".git"
                || item.path().join(".git").exists()
                || backups.iter().any(|dir| dir.as_bytes() == rel.as_slice())
            {
                walk.skip_current_dir();
                continue;
            }
            let mut prefix = rel.clone();
            prefix.push(b'/');
            let tracked_inside = index.prefixed_entries_range(prefix.as_bstr()).is_some();
            if !include_ignored
                && !tracked_inside
                && excludes
                    .at_entry(rel.as_bstr(), Some(gix::index::entry::Mode::DIR))?
                    .is_excluded()
            {
                walk.skip_current_dir();
                continue;
            }
            if !estimate && std::fs::read_dir(item.path())?.next().is_none() {
                each(&Source {
                    path: rel,
                    kind: Kind::Dir,
                    size: 0,
                    executable: false,
                    mtime: mtime(&item.metadata()?),
                })?;
            }
            continue;
        }
        let kind = if file_type.is_symlink() {
            Kind::Symlink
        } else if file_type.is_file() {
            Kind::File
        } else {
            continue;
        };
        let tracked = index.entry_index_by_path(rel.as_bstr()).ok();
        if let (true, Some(position)) = (estimate, tracked) {
            each(&Source {
                size: u64::from(index.entries()[position].stat.size),
                path: rel,
                kind,
                executable: false,
                mtime: 0,
            })?;
            continue;
        }
        if tracked.is_none()
            && !include_ignored
            && excludes
                .at_entry(rel.as_bstr(), Some(gix::index::entry::Mode::FILE))?
                .is_excluded()
        {
            continue;
        }
        use std::os::unix::fs::PermissionsExt;
        let meta = item.metadata()?;
        each(&Source {
            path: rel,
            kind,
            size: if kind == Kind::File { meta.len() } else { 0 },
            executable: meta.permissions().mode() & 0o111 != 0,
            mtime: mtime(&meta),
        })?;
    }
    Ok(())
}

fn mtime(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.mtime().max(0) as u64
}

/// Bytes free for writing in the filesystem holding `dir`, when it can be known.
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    // A directory not made yet lives on its nearest existing parent's filesystem.
    let mut dir = dir;
    while !dir.exists() {
        dir = dir.parent()?;
    }
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a valid C string and `stat` a writable statvfs.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Refuse before writing when `needed` bytes cannot fit in `dir`.
pub fn ensure_space(dir: &Path, needed: u64) -> Result<()> {
    if let Some(free) = free_space(dir) {
        if free < needed {
            return Err(Error::refused(format!(
                "not enough disk space in '{}': up to {} bytes needed, {} free",
                dir.display(),
                needed,
                free
            ))
            .hint(Hint::FreeBackupSpace));
        }
    }
    Ok(())
}

/// The name prefix of the temporary files a backup is written to.
pub const TEMP_PREFIX: &str = archive::TEMP_PREFIX;

/// What an interrupted operation leaves: temporary files of a backup (in
/// the backup directory, which may be shared with other files), or staging
/// directories of a restore (in our own directory under the git dir).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Leftover {
    File,
    Dir,
}

/// Remove what an interrupted operation left in `dir`: entries of the given
/// kind whose names start with `prefix` and that belong to this user; a
/// symlink or anything else is never touched. Only called with the
/// repository lock held, so none of them is in use.
fn remove_leftovers(dir: &Path, prefix: &str, kind: Leftover) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        if !item.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = item.path();
        let meta = std::fs::symlink_metadata(&path)?;
        let removed = match kind {
            _ if meta.uid() != uid => continue,
            Leftover::Dir if meta.is_dir() => std::fs::remove_dir_all(&path),
            Leftover::File if meta.is_file() => std::fs::remove_file(&path),
            _ => continue,
        };
        removed.context(format!("removing the leftover '{}'", path.display()))?;
    }
    Ok(())
}

/// How many entries and bytes a backup would hold (tracked files' sizes from
/// the index), from a walk that keeps nothing.
pub fn estimate(repo: &Repo, include_ignored: bool) -> Result<(u64, u64)> {
    let (mut count, mut bytes) = (0u64, 0u64);
    walk_sources(repo, include_ignored, true, &mut |source| {
        count += 1;
        bytes += source.size;
        Ok(())
    })?;
    Ok((count, bytes))
}

/// Space an archive of `count` entries and `bytes` may need: data that does
/// not compress is stored at about its size, plus headers.
pub fn needed(count: u64, bytes: u64) -> u64 {
    bytes + bytes / 50 + (count + 2) * 1024
}

/// Options of [`create`].
#[derive(Debug, Default)]
pub struct CreateOptions {
    pub message: Option<String>,
    pub include_ignored: bool,
    pub checkpoint: Option<String>,
}

/// Write a new backup; return its manifest.
pub fn create(
    repo: &Repo,
    dir: &Path,
    options: CreateOptions,
    progress: &dyn Progress,
) -> Result<Manifest> {
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::error::io(
            e,
            format!("creating the backup directory '{}'", dir.display()),
        )
    })?;
    remember_if_inside(repo, dir)?;
    remove_leftovers(dir, TEMP_PREFIX, Leftover::File)?;
    // A first walk sizes the backup (nothing is kept), so space is checked before writing.
    let (count, bytes) = estimate(repo, options.include_ignored)?;
    ensure_space(dir, needed(count, bytes))?;
    crate::trace::phase("backup: sized");
    let base = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let mut id = base.clone();
    let mut n = 1;
    while archive::paths(dir, &id).0.exists() || archive::paths(dir, &id).1.exists() {
        n += 1;
        id = format!("{base}-{n}");
    }
    let (archive_path, manifest_path) = archive::paths(dir, &id);
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".tar.gz")
        .tempfile_in(dir)?;
    progress.start("backup", count, bytes);
    let include_ignored = options.include_ignored;
    let mut written = archive::write(
        repo.git.workdir().unwrap_or(repo.workdir()),
        &mut |each| walk_sources(repo, include_ignored, false, each),
        temp.as_file().try_clone()?,
        progress,
    )?;
    progress.finish();
    temp.persist(&archive_path).map_err(|e| e.error)?;
    let manifest = Manifest {
        version: 2,
        id: id.clone(),
        created: crate::ledger::timestamp(jiff::Timestamp::now()),
        message: options.message,
        checkpoint: options.checkpoint,
        include_ignored,
        files: written.files,
        bytes,
        archive: archive::ArchiveInfo {
            file: format!("{id}.tar.gz"),
            ..written.archive
        },
    };
    // The manifest, written last, is what makes the backup complete.
    archive::write_manifest(&manifest_path, &manifest, &mut written.entries)?;
    Ok(manifest)
}

/// Write a backup into the configured directory and record it in the
/// ledger; return its manifest and the event id.
pub fn create_recorded(
    repo: &Repo,
    settings: &Settings,
    options: CreateOptions,
    progress: &dyn Progress,
) -> Result<(Manifest, String)> {
    let manifest = create(repo, &dir(repo, settings), options, progress)?;
    let mut event =
        crate::ledger::Event::new(repo, crate::ledger::Kind::Backup, repo.head()?.oid()?)?;
    event.checkpoint = manifest.checkpoint.clone();
    let details = &mut event.details;
    details.insert("backup".into(), manifest.id.clone().into());
    details.insert("size".into(), manifest.archive.size.into());
    details.insert("files".into(), manifest.files.into());
    details.insert("sha256".into(), manifest.archive.sha256.clone().into());
    crate::ledger::append(repo, &event)?;
    Ok((manifest, event.id))
}

/// The backup `id` (`latest` names the newest), or an error with a hint.
pub fn find(dir: &Path, id: &str) -> Result<Manifest> {
    let all = list(dir)?;
    let found = if id == "latest" {
        all.first()
    } else {
        all.iter().find(|m| m.id == id)
    };
    match found {
        Some(manifest) if manifest.version == 0 => Err(Error::refused(format!(
            "backup '{}' is damaged: {}",
            manifest.id,
            manifest.message.clone().unwrap_or_default()
        ))),
        Some(manifest) => Ok(manifest.clone()),
        None => Err(
            Error::usage(format!("backup '{id}' not found in '{}'", dir.display()))
                .hint(Hint::ListBackups),
        ),
    }
}

/// Recompute the archive's hash and every entry's hash.
pub fn verify(dir: &Path, manifest: &Manifest, progress: &dyn Progress) -> Result<()> {
    let (archive, manifest_path) = archive::paths(dir, &manifest.id);
    progress.start("verify", manifest.files as u64, manifest.bytes);
    let result = archive::read(
        &archive,
        &manifest_path,
        manifest,
        progress,
        &mut archive::CheckOnly,
    );
    progress.finish();
    result
}

/// How many entries a restore writes, and the first of their paths (for the
/// report and the event; the entries themselves are streamed from the manifest).
pub struct Selection {
    pub count: usize,
    pub bytes: u64,
    pub sample: Vec<String>,
}

/// Paths listed in an event or a report at most.
const SAMPLE: usize = 1000;

/// Every check that can be made before writing, in two streaming passes over
/// the manifest: entry paths stay inside the target, no entry passes through
/// a symlink (in the archive or on disk), nothing that is a directory on disk
/// would be replaced by a file, and `only` matches something.
fn check_restore(
    dir: &Path,
    manifest: &Manifest,
    only: Option<&PathSpec>,
    target: &Path,
) -> Result<Selection> {
    let manifest_path = archive::paths(dir, &manifest.id).1;
    let selected = |entry: &Entry| only.is_none_or(|spec| spec.matches(entry.path.as_bstr()));
    let mut links = std::collections::HashSet::new();
    for entry in archive::entries(&manifest_path)? {
        let entry = entry?;
        if entry.kind == Kind::Symlink {
            links.insert(entry.path);
        }
    }
    // Each directory of the target is looked at once: does it exist (as a real directory)?
    let mut directories: std::collections::HashMap<BString, bool> =
        std::collections::HashMap::new();
    let mut selection = Selection {
        count: 0,
        bytes: 0,
        sample: Vec::new(),
    };
    for entry in archive::entries(&manifest_path)? {
        let entry = entry?;
        if !selected(&entry) {
            continue;
        }
        archive::check_entry_path(&entry.path)?;
        let mut parent_exists = true;
        for prefix in entry.parents() {
            if links.contains(prefix) {
                return Err(Error::refused(format!(
                    "refusing path '{}': it passes through the symlink '{prefix}' in the archive",
                    entry.path
                )));
            }
            if !parent_exists {
                continue;
            }
            if let Some(exists) = directories.get(prefix) {
                parent_exists = *exists;
                continue;
            }
            let exists = match std::fs::symlink_metadata(target.join(archive::os_path(prefix))) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::refused(format!(
                        "refusing path '{}': '{prefix}' is a symlink in the target",
                        entry.path
                    )))
                }
                Ok(meta) if !meta.is_dir() => {
                    return Err(Error::refused(format!(
                        "cannot restore '{}': '{prefix}' is a file in the target",
                        entry.path
                    )))
                }
                Ok(_) => true,
                Err(_) => false,
            };
            directories.insert(prefix.to_owned(), exists);
            parent_exists = exists;
        }
        if parent_exists && entry.kind != Kind::Dir {
            if let Ok(meta) = std::fs::symlink_metadata(target.join(entry.relative())) {
                if meta.is_dir() {
                    return Err(Error::refused(format!(
                        "cannot restore '{}': it is a directory in the target",
                        entry.path
                    )));
                }
            }
        }
        selection.count += 1;
        selection.bytes += entry.size;
        if selection.sample.len() < SAMPLE {
            selection.sample.push(entry.path.to_string());
        }
    }
    if only.is_some() && selection.count == 0 {
        return Err(
            Error::usage(format!("no path of backup '{}' matches", manifest.id))
                .hint(Hint::ListBackupFiles),
        );
    }
    Ok(selection)
}

/// Extracts the selected entries into a staging directory while the archive
/// is checked; nothing reaches the target until every check passed.
struct Staging<'a> {
    root: PathBuf,
    only: Option<&'a PathSpec>,
    /// The directory last made sure of, to skip asking again for each file in it.
    last_dir: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    link: Option<Vec<u8>>,
}

impl<'a> Staging<'a> {
    fn new(root: PathBuf, only: Option<&'a PathSpec>) -> Staging<'a> {
        Staging {
            root,
            only,
            last_dir: PathBuf::new(),
            file: None,
            link: None,
        }
    }

    fn selected(&self, entry: &Entry) -> bool {
        self.only
            .is_none_or(|spec| spec.matches(entry.path.as_bstr()))
    }
}

impl Sink for Staging<'_> {
    fn begin(&mut self, entry: &Entry) -> Result<()> {
        if !self.selected(entry) {
            return Ok(());
        }
        let path = self.root.join(entry.relative());
        if let Some(parent) = path.parent() {
            if parent != self.last_dir {
                std::fs::create_dir_all(parent)?;
                self.last_dir = parent.to_owned();
            }
        }
        match entry.kind {
            Kind::File => {
                use std::os::unix::fs::OpenOptionsExt;
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(entry.mode)
                    .open(&path)?;
                let capacity = (entry.size as usize).clamp(4096, 256 * 1024);
                self.file = Some(std::io::BufWriter::with_capacity(capacity, file));
            }
            Kind::Symlink => self.link = Some(Vec::new()),
            Kind::Dir => std::fs::create_dir_all(&path)?,
        }
        Ok(())
    }

    fn data(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(file) = &mut self.file {
            std::io::Write::write_all(file, bytes)?;
        } else if let Some(link) = &mut self.link {
            link.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn end(&mut self, entry: &Entry, mtime: u64) -> Result<()> {
        if !self.selected(entry) {
            return Ok(());
        }
        if let Some(file) = self.file.take() {
            // Created with the entry's mode (less the umask, as tar does); its time as archived.
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime))?;
        }
        if let Some(target) = self.link.take() {
            use std::os::unix::ffi::OsStrExt;
            std::os::unix::fs::symlink(
                std::ffi::OsStr::from_bytes(&target),
                self.root.join(entry.relative()),
            )?;
        }
        Ok(())
    }
}

/// Move the staged entries (those `only` names) into `target`, in archive
/// order, streaming them from the manifest. A directory the target does not
/// have yet moves whole, in one rename; otherwise each entry moves by itself.
/// Only called once the whole archive verified.
fn place(
    manifest_path: &Path,
    only: Option<&PathSpec>,
    staging: &Path,
    target: &Path,
) -> Result<()> {
    let mut directories: std::collections::HashMap<BString, bool> =
        std::collections::HashMap::new();
    let mut moved: Option<BString> = None;
    for entry in archive::entries(manifest_path)? {
        let entry = entry?;
        if !only.is_none_or(|spec| spec.matches(entry.path.as_bstr())) {
            continue;
        }
        if moved
            .as_ref()
            .is_some_and(|dir| crate::pathspec::is_under(entry.path.as_bstr(), dir))
        {
            continue;
        }
        // The top-most directory of this entry the target lacks, if any.
        let mut missing = None;
        for prefix in entry.parents() {
            let exists = *directories
                .entry(prefix.to_owned())
                .or_insert_with(|| target.join(archive::os_path(prefix)).is_dir());
            if !exists {
                missing = Some(prefix.to_owned());
                break;
            }
        }
        let (from, to) = match &missing {
            Some(dir) => (
                staging.join(archive::os_path(dir)),
                target.join(archive::os_path(dir)),
            ),
            None => (
                staging.join(entry.relative()),
                target.join(entry.relative()),
            ),
        };
        if missing.is_none() && entry.kind == Kind::Dir {
            std::fs::create_dir_all(&to)
                .map_err(|e| crate::error::io(e, format!("creating '{}'", to.display())))?;
        } else {
            std::fs::rename(&from, &to)
                .map_err(|e| crate::error::io(e, format!("writing '{}'", to.display())))?;
        }
        if let Some(dir) = missing {
            directories.insert(dir.clone(), true);
            moved = Some(dir);
        }
    }
    Ok(())
}

/// A staging directory on the same filesystem as `target`, so placing is a rename.
fn staging_dir(repo: &Repo, target: &Path) -> Result<tempfile::TempDir> {
    use std::os::unix::fs::MetadataExt;
    let git_dir = repo.git_dir().join("rollback");
    std::fs::create_dir_all(&git_dir)?;
    // Staging directories left by a killed restore.
    remove_leftovers(&git_dir, ".git-rollback-restore-", Leftover::Dir)?;
    let same_device = std::fs::metadata(&git_dir)?.dev() == std::fs::metadata(target)?.dev();
    let parent = if same_device {
        git_dir
    } else {
        target.to_owned()
    };
    Ok(tempfile::Builder::new()
        .prefix(".git-rollback-restore-")
        .tempdir_in(parent)?)
}

/// Backups to delete to keep the newest `keep`; a backup taken with a
/// checkpoint that still exists is kept unless `force`.
pub fn prune_candidates(
    repo: &Repo,
    all: &[Manifest],
    keep: usize,
    force: bool,
) -> Result<(Vec<Manifest>, Vec<Manifest>)> {
    let mut delete = Vec::new();
    let mut protected = Vec::new();
    for manifest in all.iter().skip(keep) {
        let referenced = match &manifest.checkpoint {
            Some(name) => crate::checkpoint::find(repo, name)?.is_some(),
            None => false,
        };
        if referenced && !force {
            protected.push(manifest.clone());
        } else {
            delete.push(manifest.clone());
        }
    }
    Ok((delete, protected))
}

/// Delete one backup: the manifest first, so it stops being listed at once.
pub fn delete(dir: &Path, id: &str) -> Result<()> {
    archive::check_id(id)?;
    let (archive, manifest) = archive::paths(dir, id);
    std::fs::remove_file(&manifest).context(format!("removing '{}'", manifest.display()))?;
    match std::fs::remove_file(&archive) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
        _ => Ok(()),
    }
}

/// A backup's entries placed over the work tree as an operation (see
/// [`crate::operation::Target::Archive`]): checked against the work tree,
/// verified while extracted to a staging directory, then moved into place.
/// Nothing is deleted; the index and HEAD stay.
pub struct Archive {
    /// The backup directory.
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Restore only these paths of the backup.
    pub only: Option<PathSpec>,
    pub progress: Box<dyn Progress>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("dir", &self.dir)
            .field("id", &self.manifest.id)
            .field("only", &self.only)
            .finish()
    }
}

impl Archive {
    fn manifest_path(&self) -> PathBuf {
        archive::paths(&self.dir, &self.manifest.id).1
    }

    /// The selected files and symlinks, in archive order (directories are
    /// made as their content is placed).
    pub fn entries(&self) -> Result<impl Iterator<Item = Result<Entry>> + '_> {
        Ok(
            archive::entries(&self.manifest_path())?.filter(|entry| match entry {
                Ok(entry) => {
                    entry.kind != Kind::Dir
                        && self
                            .only
                            .as_ref()
                            .is_none_or(|spec| spec.matches(entry.path.as_bstr()))
                }
                Err(_) => true,
            }),
        )
    }

    /// Every check against `target` that can be made before writing
    /// (see `check_restore`).
    pub fn check(&self, target: &Path) -> Result<Selection> {
        check_restore(&self.dir, &self.manifest, self.only.as_ref(), target)
    }

    /// Verify the whole archive while extracting the selected entries into a
    /// staging directory beside `target`; nothing reaches `target` yet.
    pub fn extract(
        &self,
        repo: &Repo,
        target: &Path,
        selection: &Selection,
    ) -> Result<tempfile::TempDir> {
        ensure_space(target, selection.bytes)?;
        let staging = staging_dir(repo, target)?;
        let mut sink = Staging::new(staging.path().to_owned(), self.only.as_ref());
        let progress = self.progress.as_ref();
        progress.start("restore", self.manifest.files as u64, self.manifest.bytes);
        let read = archive::read(
            &archive::paths(&self.dir, &self.manifest.id).0,
            &self.manifest_path(),
            &self.manifest,
            progress,
            &mut sink,
        );
        progress.finish();
        read?;
        Ok(staging)
    }

    /// Move the extracted entries into `target`.
    pub fn place(&self, staging: &Path, target: &Path) -> Result<()> {
        place(&self.manifest_path(), self.only.as_ref(), staging, target)
    }
}

/// What [`restore_into`] did.
#[derive(Debug, serde::Serialize)]
pub struct Restored {
    pub id: String,
    pub target: String,
    pub dry_run: bool,
    /// How many entries were (or would be) restored.
    pub files: usize,
    /// The first 1,000 of their paths.
    pub paths: Vec<String>,
}

/// Restore a backup into another directory (not an operation: the work
/// tree, index and HEAD are not touched): every check first, then the
/// archive is verified while it is extracted to a staging directory, and
/// only then moved into place.
///
/// Files already in the directory that the backup would replace are
/// refused (listed) unless `force`: nothing keeps a copy of them.
pub fn restore_into(
    repo: &Repo,
    archive: &Archive,
    into: &Path,
    dry_run: bool,
    force: bool,
) -> Result<Restored> {
    std::fs::create_dir_all(into)
        .map_err(|e| crate::error::io(e, format!("creating '{}'", into.display())))?;
    let target = std::fs::canonicalize(into)?;
    let selection = archive.check(&target)?;
    if !force {
        let mut replaced = Vec::new();
        for entry in archive.entries()? {
            let entry = entry?;
            if target.join(entry.relative()).symlink_metadata().is_ok() {
                replaced.push(entry.path.to_string());
            }
        }
        if !replaced.is_empty() {
            let shown: Vec<&str> = replaced.iter().take(20).map(String::as_str).collect();
            return Err(Error::refused(format!(
                "'{}' already holds {} of the backup's files, which would be replaced: {}{}",
                target.display(),
                replaced.len(),
                shown.join(", "),
                if replaced.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ))
            .hint(Hint::RestoreIntoEmptyOrForce));
        }
    }
    let restored = Restored {
        id: archive.manifest.id.clone(),
        target: target.display().to_string(),
        dry_run,
        files: selection.count,
        paths: selection.sample.clone(),
    };
    if dry_run {
        return Ok(restored);
    }
    let staging = archive.extract(repo, &target, &selection)?;
    archive.place(staging.path(), &target)?;
    Ok(restored)
}

/// Restore a backup's entries (all, or those `archive.only` names) over the
/// work tree as an operation: planned, snapshotted, recorded and undone like
/// every other.
pub fn restore_in_place(
    repo: &Repo,
    archive: Archive,
    incident: (Option<String>, Option<String>),
    checks: Vec<crate::check::Check>,
    steps: crate::steps::Steps,
    dry_run: bool,
) -> Result<crate::operation::Outcome> {
    use crate::operation::{HeadAfter, Request, Target};
    let id = archive.manifest.id.clone();
    // Limited to some paths, the capture (and so the safety snapshot and
    // its undo) covers only those, as for `files`.
    let only = archive.only.clone();
    let mut request = Request::new(
        crate::ledger::Kind::BackupRestore,
        Target::Archive(Box::new(archive)),
        HeadAfter::Keep,
    );
    request.only = only;
    (request.reason, request.severity) = incident;
    request.checks = checks;
    request.steps = steps;
    request.dry_run = dry_run;
    request.details.insert("backup".into(), id.into());
    crate::operation::run(repo, request)
}
