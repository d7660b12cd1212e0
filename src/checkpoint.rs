//! Checkpoints: annotated tags `refs/tags/checkpoint/<name>` pointing at a
//! captured state (HEAD when clean, a stash-format snapshot when dirty).
//! Every git tool can read them, and they travel with `git push --tags`.

use gix::bstr::ByteSlice;
use gix::refs::transaction::PreviousValue;
use gix::ObjectId;
use serde::Serialize;

use crate::error::{Context, Error, Hint, Result};
use crate::ledger::{self, Event};
use crate::repo::Repo;
use crate::snapshot::{self, Counts, State};

/// Where checkpoints live.
pub const PREFIX: &str = "refs/tags/checkpoint/";

/// A checkpoint as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// The name (`sprint-3`), also used as `id` in JSON lists.
    pub id: String,
    /// The full ref name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit the tag points at (a snapshot when dirty).
    pub target: String,
    /// HEAD at checkpoint time.
    pub head: String,
    /// When, RFC 3339 (from the tagger line).
    pub at: String,
    #[serde(skip)]
    pub seconds: i64,
    /// Who, `Name <email>`.
    pub by: String,
    pub message: String,
    /// Whether it holds uncommitted work.
    pub dirty: bool,
    /// Whether the snapshot holds untracked files.
    pub untracked: bool,
    /// The remote it was fetched from by `sync` (`None`: made in this clone).
    pub origin: Option<String>,
}

impl Checkpoint {
    pub fn name(&self) -> &str {
        &self.id
    }

    pub fn state(&self, repo: &Repo) -> Result<State> {
        State::of_commit(
            repo,
            ObjectId::from_hex(self.target.as_bytes()).context("checkpoint target")?,
        )
    }
}

/// Check that `name` makes a valid ref under `refs/tags/checkpoint/`.
pub fn validate_name(name: &str) -> Result<gix::refs::FullName> {
    let full = format!("{PREFIX}{name}");
    if let Some(prefix) = ["refs/", "checkpoint/"]
        .iter()
        .find(|p| name.starts_with(**p))
    {
        return Err(Error::usage(format!(
            "'{name}' is not a valid checkpoint name: it starts with '{prefix}'"
        ))
        .hint(Hint::CheckpointNameAlone {
            name: name.rsplit('/').next().unwrap_or(name).to_owned(),
        }));
    }
    const MAX_NAME: usize = 200;
    if name.len() > MAX_NAME {
        return Err(Error::usage(format!(
            "checkpoint name of {} bytes is too long (at most {MAX_NAME})",
            name.len()
        ))
        .hint(Hint::NameIsAFileName));
    }
    if name.is_empty() || name.starts_with('-') {
        return Err(Error::usage(format!(
            "'{name}' is not a valid checkpoint name: it is empty or starts with '-'"
        ))
        .hint(Hint::NameNotAnOption));
    }
    gix::refs::FullName::try_from(full.as_str()).map_err(|err| {
        Error::usage(format!("'{name}' is not a valid checkpoint name: {err}"))
            .hint(Hint::RefNameRules)
    })
}

/// The default name: the UTC time, `YYYYMMDD-HHMMSS`.
pub fn default_name() -> String {
    jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string()
}

/// What [`create`] made.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub checkpoint: Checkpoint,
    pub counts: Counts,
    /// The id of the event recorded in the log (`None`: a dry run).
    pub event: Option<String>,
    pub dry_run: bool,
}

/// Options of [`create`].
#[derive(Debug, Default)]
pub struct CreateOptions {
    pub name: Option<String>,
    pub message: Option<String>,
    pub force: bool,
    /// Capture and report, but create no tag and record no event.
    pub dry_run: bool,
    /// Extra data for the event (sprint, stage, …).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Tag this commit instead of capturing the current state (the
    /// pre-push hook keeps a remote's old tip this way).
    pub at: Option<ObjectId>,
}

/// Capture the current state and tag it; the work tree, index and HEAD are untouched.
pub fn create(repo: &Repo, options: CreateOptions) -> Result<Created> {
    let name = match options.name {
        Some(name) => {
            validate_name(&name)?;
            if !options.force && find(repo, &name)?.is_some() {
                return Err(Error::usage(format!("checkpoint '{name}' already exists"))
                    .hint(Hint::OtherNameOrForce));
            }
            name
        }
        None => {
            // Two checkpoints in the same second get -2, -3, … rather than a clash.
            let base = default_name();
            let mut name = base.clone();
            let mut n = 1;
            while find(repo, &name)?.is_some() {
                n += 1;
                name = format!("{base}-{n}");
            }
            name
        }
    };
    let head = repo.head()?;
    let (commit, counts, dirty, untracked) = match options.at {
        Some(commit) => (commit, Counts::default(), false, false),
        None => {
            let capture = snapshot::capture(repo, Some(&format!("checkpoint {name}")), None, None)?;
            let (dirty, untracked) = (capture.is_dirty(), capture.state.untracked_tree.is_some());
            (capture.state.commit, capture.counts, dirty, untracked)
        }
    };
    let message = options
        .message
        .clone()
        .unwrap_or_else(|| format!("checkpoint {name}"));
    let tagger = repo.signature()?;
    if options.dry_run {
        let seconds = jiff::Timestamp::now().as_second();
        return Ok(Created {
            checkpoint: Checkpoint {
                id: name.clone(),
                reference: format!("{PREFIX}{name}"),
                target: commit.to_string(),
                head: head.oid.clone(),
                at: format_time(seconds),
                seconds,
                by: repo.who()?,
                message,
                dirty,
                untracked,
                origin: None,
            },
            counts,
            event: None,
            dry_run: true,
        });
    }
    let mut time_buf = gix::date::parse::TimeBuf::default();
    let previous = if options.force {
        PreviousValue::Any
    } else {
        PreviousValue::MustNotExist
    };
    let tag = repo
        .git
        .tag(
            format!("checkpoint/{name}"),
            commit,
            gix::objs::Kind::Commit,
            Some(tagger.to_ref(&mut time_buf)),
            format!("{}\n", message.trim_end()),
            previous,
        )
        .context(format!("creating tag {PREFIX}{name}"))?;

    // The event is the note of the tag object itself: every checkpoint has
    // its own note (`git notes --ref=rollback show checkpoint/<name>`), where
    // a note on the commit would grow by one line per checkpoint of a clean
    // HEAD and make each checkpoint rewrite all the earlier ones.
    let tag_id = tag.id().detach();
    let mut event = Event::new(repo, ledger::Kind::Checkpoint, tag_id)?;
    event.checkpoint = Some(name.clone());
    event.head_before = Some(head);
    event.details = options.details;
    event.details.insert("dirty".into(), dirty.into());
    event.details.insert("message".into(), message.into());
    event
        .details
        .insert("counts".into(), serde_json::to_value(&counts)?);
    ledger::append(repo, &event)?;

    let checkpoint =
        find(repo, &name)?.ok_or_else(|| Error::failed(format!("checkpoint '{name}' vanished")))?;
    Ok(Created {
        checkpoint,
        counts,
        event: Some(event.id),
        dry_run: false,
    })
}

/// What a checkpoint's objects say (its tag, or a lightweight tag's commit,
/// and the commit): everything listed except the name, which is the ref's.
/// Objects never change, so this is remembered by the ref's raw target in
/// [`ListCache`].
#[derive(Debug, Clone, PartialEq)]
struct Fields {
    target: String,
    head: String,
    at: String,
    seconds: i64,
    by: String,
    message: String,
    dirty: bool,
    untracked: bool,
}

impl Fields {
    /// One line of the cache: the raw id, then the fields, tab-separated
    /// (`\\`, `\t`, `\n`, `\r` escaped in the texts): read 10,000 times by
    /// `list`, so kept cheaper to parse than JSON.
    fn write_line(&self, id: ObjectId, out: &mut Vec<u8>) {
        fn escaped(text: &str, out: &mut Vec<u8>) {
            for b in text.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        out.extend_from_slice(
            format!(
                "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t",
                self.target,
                self.head,
                self.seconds,
                u8::from(self.dirty),
                u8::from(self.untracked),
                self.at
            )
            .as_bytes(),
        );
        escaped(&self.by, out);
        out.push(b'\t');
        escaped(&self.message, out);
        out.push(b'\n');
    }

    /// A line [`Fields::write_line`] wrote (`None` for anything else, such
    /// as a line of an older cache: that checkpoint is read again).
    fn from_line(line: &[u8]) -> Option<(ObjectId, Fields)> {
        fn unescaped(text: &[u8]) -> Option<String> {
            let mut out = Vec::with_capacity(text.len());
            let mut bytes = text.iter();
            while let Some(&b) = bytes.next() {
                if b != b'\\' {
                    out.push(b);
                    continue;
                }
                out.push(match bytes.next()? {
                    b'\\' => b'\\',
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'r' => b'\r',
                    _ => return None,
                });
            }
            String::from_utf8(out).ok()
        }
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_owned);
        let mut parts = line.split(|b| *b == b'\t');
        let id = ObjectId::from_hex(parts.next()?).ok()?;
        let target = text(parts.next()?)?;
        let head = text(parts.next()?)?;
        let seconds = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        let flag = |b: &[u8]| match b {
            b"0" => Some(false),
            b"1" => Some(true),
            _ => None,
        };
        let dirty = flag(parts.next()?)?;
        let untracked = flag(parts.next()?)?;
        let at = text(parts.next()?)?;
        let by = unescaped(parts.next()?)?;
        let message = unescaped(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some((
            id,
            Fields {
                target,
                head,
                at,
                seconds,
                by,
                message,
                dirty,
                untracked,
            },
        ))
    }

    fn into_checkpoint(self, name: String) -> Checkpoint {
        Checkpoint {
            reference: format!("{PREFIX}{name}"),
            id: name,
            target: self.target,
            head: self.head,
            at: self.at,
            seconds: self.seconds,
            by: self.by,
            message: self.message,
            dirty: self.dirty,
            untracked: self.untracked,
            origin: None,
        }
    }
}

/// The name and raw target (the tag object, or the commit of a lightweight
/// tag) of a reference under [`PREFIX`].
fn name_and_raw(reference: &mut gix::Reference<'_>) -> Result<Option<(String, ObjectId)>> {
    let full = reference.name().as_bstr().to_str_lossy().into_owned();
    let Some(name) = full.strip_prefix(PREFIX).map(str::to_owned) else {
        return Ok(None);
    };
    let raw = match reference.target().try_id() {
        Some(id) => id.to_owned(),
        None => reference.peel_to_id()?.detach(),
    };
    Ok(Some((name, raw)))
}

/// The checkpoint `name` whose ref points at `raw` (a tag object, or the
/// commit of a lightweight tag), wherever that ref is (a remote's, fetched).
pub fn read_raw(repo: &Repo, name: &str, raw: ObjectId) -> Result<Checkpoint> {
    Ok(read_fields(repo, name, raw)?.into_checkpoint(name.to_owned()))
}

/// Read one checkpoint tag.
fn read(repo: &Repo, reference: &mut gix::Reference<'_>) -> Result<Option<Checkpoint>> {
    let Some((name, raw)) = name_and_raw(reference)? else {
        return Ok(None);
    };
    Ok(Some(read_fields(repo, &name, raw)?.into_checkpoint(name)))
}

/// The fields of the checkpoint `name` whose ref points at `raw`: one read
/// of the tag object (or of the commit, for a lightweight tag), one of the
/// commit.
fn read_fields(repo: &Repo, name: &str, raw: ObjectId) -> Result<Fields> {
    let not_a_commit = |kind: gix::objs::Kind| {
        Error::refused(format!(
            "checkpoint '{name}' points at a {kind}, not a commit"
        ))
        .hint(Hint::NotACheckpoint {
            name: name.to_owned(),
        })
    };
    let object = repo.git.find_object(raw)?;
    let (target, tagged) = match object.kind {
        gix::objs::Kind::Tag => {
            let tag = object.into_tag();
            let decoded = tag.decode()?;
            let tagged = match decoded.tagger()? {
                Some(sig) => {
                    let time = sig.time()?;
                    Some((
                        format_time(time.seconds),
                        time.seconds,
                        format!("{} <{}>", sig.name, sig.email),
                    ))
                }
                None => Some((String::new(), 0, String::new())),
            };
            let message = decoded.message.to_str_lossy().trim_end().to_owned();
            (decoded.target(), tagged.map(|(a, s, b)| (a, s, b, message)))
        }
        gix::objs::Kind::Commit => (raw, None),
        kind => return Err(not_a_commit(kind)),
    };
    let commit = repo.git.find_object(target)?;
    if commit.kind != gix::objs::Kind::Commit {
        return Err(not_a_commit(commit.kind));
    }
    let commit = commit.into_commit();
    let (at, seconds, by, message) = match tagged {
        Some(tagged) => tagged,
        None => {
            // A lightweight tag: the commit's own committer line stands in.
            let time = commit.time()?;
            let sig = commit.committer()?;
            (
                format_time(time.seconds),
                time.seconds,
                format!("{} <{}>", sig.name, sig.email),
                String::new(),
            )
        }
    };
    let shape = snapshot::Shape::of(&commit)?;
    Ok(Fields {
        target: target.to_string(),
        head: shape.head.to_string(),
        at,
        seconds,
        by,
        message,
        dirty: shape.dirty,
        untracked: shape.untracked,
    })
}

/// What `list` read of each checkpoint, by the ref's raw target, in
/// `$GIT_DIR/rollback/list-cache` (one tab-separated line each): listing
/// 10,000 checkpoints then reads their refs and this file, not 20,000
/// objects. Entries are of immutable objects, so one is never wrong; the
/// file is rewritten with the live entries when a listing read anything new
/// or found entries gone. Losing it costs one slower `list`.
struct ListCache {
    path: std::path::PathBuf,
    entries: std::collections::HashMap<ObjectId, Fields>,
    added: bool,
}

impl ListCache {
    fn load(repo: &Repo) -> ListCache {
        let path = repo.rollback_dir().join("list-cache");
        let mut entries = std::collections::HashMap::new();
        if let Ok(text) = std::fs::read(&path) {
            for line in text.lines() {
                if let Some((id, fields)) = Fields::from_line(line) {
                    entries.insert(id, fields);
                }
            }
        }
        ListCache {
            path,
            entries,
            added: false,
        }
    }

    /// The fields for `raw`, taken out of the cache (a listing uses each
    /// once) or read from the objects.
    fn take(&mut self, repo: &Repo, name: &str, raw: ObjectId) -> Result<Fields> {
        if let Some(fields) = self.entries.remove(&raw) {
            return Ok(fields);
        }
        self.added = true;
        read_fields(repo, name, raw)
    }

    /// Write the listed checkpoints back when the listing read anything
    /// new or left entries unused; a failure (a read-only repository) is
    /// not an error of the listing.
    fn save(self, listed: &[(ObjectId, &Checkpoint)]) {
        if !self.added && self.entries.is_empty() {
            return;
        }
        let mut text = Vec::new();
        for (id, checkpoint) in listed {
            let fields = Fields {
                target: checkpoint.target.clone(),
                head: checkpoint.head.clone(),
                at: checkpoint.at.clone(),
                seconds: checkpoint.seconds,
                by: checkpoint.by.clone(),
                message: checkpoint.message.clone(),
                dirty: checkpoint.dirty,
                untracked: checkpoint.untracked,
            };
            fields.write_line(*id, &mut text);
        }
        write_cache(&self.path, &text, |_| true);
    }
}

/// Write one of `list`'s cache files: `bytes` to a temporary file beside
/// `path`, renamed over it when `keep` says so of the written file (whose
/// modification time is the file system's clock), or else `path` removed.
/// A failure (a read-only repository) is not the listing's: losing a cache
/// file costs one slower `list`.
fn write_cache(path: &std::path::Path, bytes: &[u8], keep: impl FnOnce(&std::fs::File) -> bool) {
    let Some(dir) = path.parent() else {
        return;
    };
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        let mut temp = tempfile::Builder::new()
            .prefix(".git-rollback-tmp-")
            .tempfile_in(dir)?;
        std::io::Write::write_all(&mut temp, bytes)?;
        if keep(temp.as_file()) {
            temp.persist(path).map_err(|e| e.error)?;
        } else if path.exists() {
            std::fs::remove_file(path)?;
        }
        Ok(())
    });
    drop(written);
}

fn format_time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Delete the checkpoint `name`, or rename it to `rename_to` (a new tag
/// object of that name, same commit, tagger and message), as an operation
/// on refs only: recorded, and undone by `git rollback undo` like any other
/// (its safety snapshot names no path, so the undo touches no file).
pub fn delete_or_rename(
    repo: &Repo,
    name: &str,
    rename_to: Option<&str>,
    dry_run: bool,
) -> Result<crate::operation::Outcome> {
    use crate::operation::{BranchEdit, HeadAfter, Request, Target};
    let checkpoint = resolve(repo, name)?;
    let mut reference = repo
        .git
        .find_reference(checkpoint.reference.as_str())
        .context(format!("reading {}", checkpoint.reference))?;
    let (_, raw) = name_and_raw(&mut reference)?
        .ok_or_else(|| Error::failed(format!("'{name}' is not a checkpoint")))?;
    let mut edits = vec![BranchEdit {
        name: checkpoint.reference.clone(),
        from: Some(raw.to_string()),
        to: None,
    }];
    let kind = match rename_to {
        None => ledger::Kind::CheckpointDelete,
        Some(new) => {
            validate_name(new)?;
            if find(repo, new)?.is_some() {
                return Err(
                    Error::usage(format!("checkpoint '{new}' already exists")).hint(
                        Hint::DeleteCheckpointFirst {
                            name: new.to_owned(),
                        },
                    ),
                );
            }
            let tag = repo.git.find_object(raw)?;
            let copied = match tag.kind {
                gix::objs::Kind::Tag => {
                    let mut tag: gix::objs::Tag = tag.into_tag().decode()?.into_owned()?;
                    tag.name = format!("checkpoint/{new}").into();
                    if dry_run {
                        raw
                    } else {
                        repo.git.write_object(&tag)?.detach()
                    }
                }
                _ => raw,
            };
            edits.push(BranchEdit {
                name: format!("{PREFIX}{new}"),
                from: None,
                to: Some(copied.to_string()),
            });
            ledger::Kind::CheckpointRename
        }
    };
    let mut request = Request::new(kind, Target::Derived(Vec::new()), HeadAfter::Keep);
    request.only = Some(crate::pathspec::PathSpec::new(Vec::new()));
    request.checkpoint = Some(checkpoint.id.clone());
    request.subject = Some(match rename_to {
        Some(new) => format!("{} to {new}", checkpoint.id),
        None => checkpoint.id.clone(),
    });
    request.ref_edits = edits;
    request.dry_run = dry_run;
    crate::operation::run(repo, request)
}

/// The branch HEAD was on when `checkpoint` was made, from its event (the
/// note of its tag; a checkpoint of an older build noted it on the commit).
pub fn made_on(repo: &Repo, checkpoint: &Checkpoint) -> Result<Option<String>> {
    let Some(mut reference) = repo.git.try_find_reference(checkpoint.reference.as_str())? else {
        return Ok(None);
    };
    let Some((_, raw)) = name_and_raw(&mut reference)? else {
        return Ok(None);
    };
    let target = ObjectId::from_hex(checkpoint.target.as_bytes()).context("checkpoint target")?;
    for object in [raw, target] {
        let found = ledger::events_of(repo, object)?
            .into_iter()
            .rev()
            .find(|e| {
                e.kind == ledger::Kind::Checkpoint
                    && e.checkpoint.as_deref() == Some(checkpoint.name())
            });
        if let Some(event) = found {
            return Ok(event.head_before.and_then(|head| head.branch));
        }
    }
    Ok(None)
}

/// Every checkpoint's name and raw target (the tag object, or the commit of
/// a lightweight tag), from the refs alone. Read through `RefsMemo`: when
/// neither `packed-refs` nor any directory under `refs/tags/checkpoint/`
/// changed since the last reading, the names and ids of that reading are
/// used without opening 10,000 ref files.
pub fn raw_ids(repo: &Repo) -> Result<Vec<(String, ObjectId)>> {
    let memo = RefsMemo::path(repo);
    if let Some(ids) = RefsMemo::load(&memo, repo) {
        return Ok(ids);
    }
    if let Some((ids, stamps)) = raw_ids_from_files(repo) {
        RefsMemo::save(&memo, &stamps, &ids);
        return Ok(ids);
    }
    raw_ids_through_gix(repo)
}

/// [`raw_ids`] read from the refs themselves, never from `RefsMemo`
/// (for `sync`, which decides what to push by them).
pub fn raw_ids_read(repo: &Repo) -> Result<Vec<(String, ObjectId)>> {
    match raw_ids_from_files(repo) {
        Some((ids, _)) => Ok(ids),
        None => raw_ids_through_gix(repo),
    }
}

fn raw_ids_through_gix(repo: &Repo) -> Result<Vec<(String, ObjectId)>> {
    let platform = repo.git.references()?;
    let mut out = Vec::new();
    for reference in platform.prefixed(PREFIX)? {
        let mut reference = reference.map_err(|e| Error::failed(e.to_string()))?;
        if let Some(pair) = name_and_raw(&mut reference)? {
            out.push(pair);
        }
    }
    Ok(out)
}

/// What the checkpoint refs were read from, as stamps taken before reading
/// them: `packed-refs` (modification time, size, inode; `None` when absent)
/// and the modification time of every directory under
/// `refs/tags/checkpoint/` by its path below it (`""` the top one).
#[derive(Debug)]
struct RefStamps {
    packed: Option<(i128, u64, u64)>,
    dirs: Vec<(String, i128)>,
}

fn nanos(time: std::io::Result<std::time::SystemTime>) -> Option<i128> {
    let time = time.ok()?;
    Some(match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    })
}

fn packed_stamp(repo: &Repo) -> Option<(i128, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(repo.common_dir().join("packed-refs")).ok()?;
    Some((nanos(meta.modified())?, meta.len(), meta.ino()))
}

fn dir_stamp(dir: &std::path::Path) -> Option<i128> {
    nanos(std::fs::metadata(dir).ok()?.modified())
}

/// The names and ids of the last reading of the checkpoint refs with the
/// [`RefStamps`] taken before it, in `$GIT_DIR/rollback/list-refs`. git
/// (and gix) change a ref by renaming a lock file over it, so adding,
/// changing or removing a loose ref changes its directory's modification
/// time, and packing rewrites `packed-refs`; a directory's subdirectories
/// cannot change while its own time stays. So when every stamp is as
/// recorded, the refs are as read. As git does for its index ("racy git"),
/// a reading is remembered only when every stamp is older than the memo
/// file itself by more than the coarsest file-time granularity (2 s):
/// a change made within the same clock tick as the reading would otherwise
/// leave the stamps as they were. A ref file edited in place, which no git
/// implementation does, is not noticed.
struct RefsMemo;

impl RefsMemo {
    const MARGIN_NANOS: i128 = 2_000_000_000;

    fn path(repo: &Repo) -> std::path::PathBuf {
        repo.rollback_dir().join("list-refs")
    }

    /// The remembered reading, when every stamp still holds.
    fn load(path: &std::path::Path, repo: &Repo) -> Option<Vec<(String, ObjectId)>> {
        let text = std::fs::read(path).ok()?;
        let mut lines = text.lines();
        let packed = match lines.next()?.strip_prefix(b"git-rollback list-refs 1\t")? {
            b"-" => None,
            stamp => {
                let mut parts = stamp.to_str().ok()?.split(' ');
                let stamp = (
                    parts.next()?.parse().ok()?,
                    parts.next()?.parse().ok()?,
                    parts.next()?.parse().ok()?,
                );
                Some(stamp)
            }
        };
        if packed_stamp(repo) != packed {
            return None;
        }
        let top = repo.common_dir().join("refs/tags/checkpoint");
        let mut ids = Vec::new();
        for line in lines {
            let line = line.to_str().ok()?;
            let (kind, rest) = line.split_once('\t')?;
            let (value, name) = rest.split_once('\t')?;
            match kind {
                "d" => {
                    let recorded: i128 = value.parse().ok()?;
                    let dir = if name.is_empty() {
                        top.clone()
                    } else {
                        top.join(name)
                    };
                    if dir_stamp(&dir) != Some(recorded) {
                        return None;
                    }
                }
                "r" => ids.push((name.to_owned(), ObjectId::from_hex(value.as_bytes()).ok()?)),
                _ => return None,
            }
        }
        Some(ids)
    }

    /// Remember a reading, or remove what was remembered when the reading
    /// is too recent to be trusted later. Without a loose checkpoint
    /// directory (all packed, or none) nothing is remembered: `packed-refs`
    /// alone is read quickly.
    fn save(path: &std::path::Path, stamps: &RefStamps, ids: &[(String, ObjectId)]) {
        if stamps.dirs.is_empty() {
            return;
        }
        let mut text = String::from("git-rollback list-refs 1\t");
        match stamps.packed {
            Some((time, len, ino)) => text.push_str(&format!("{time} {len} {ino}\n")),
            None => text.push_str("-\n"),
        }
        for (dir, time) in &stamps.dirs {
            text.push_str(&format!("d\t{time}\t{dir}\n"));
        }
        for (name, id) in ids {
            text.push_str(&format!("r\t{id}\t{name}\n"));
        }
        let Some(newest) = stamps
            .dirs
            .iter()
            .map(|(_, time)| *time)
            .chain(stamps.packed.map(|(time, _, _)| time))
            .max()
        else {
            return;
        };
        write_cache(path, text.as_bytes(), |written| {
            nanos(written.metadata().and_then(|m| m.modified()))
                .is_some_and(|now| newest + Self::MARGIN_NANOS < now)
        });
    }
}

/// [`raw_ids`] read straight from `packed-refs` and the loose ref files
/// (loose ones win), the files read by two threads, with the stamps taken
/// before reading. `None` when anything is unusual (a symbolic ref, a name
/// git would not accept): then gix reads them. (A reftable repository is
/// refused when it is opened.)
fn raw_ids_from_files(repo: &Repo) -> Option<(Vec<(String, ObjectId)>, RefStamps)> {
    let mut stamps = RefStamps {
        packed: packed_stamp(repo),
        dirs: Vec::new(),
    };
    let mut ids: std::collections::HashMap<String, ObjectId> = Default::default();
    if let Some(packed) = repo.git.refs.cached_packed_buffer().ok()? {
        for reference in packed.iter_prefixed(PREFIX.into()).ok()? {
            let reference = reference.ok()?;
            let name = reference
                .name
                .as_bstr()
                .to_str()
                .ok()?
                .strip_prefix(PREFIX)?;
            ids.insert(name.to_owned(), reference.target());
        }
    }
    let top = repo.common_dir().join("refs/tags/checkpoint");
    let mut files = Vec::new();
    fn walk(
        dir: &std::path::Path,
        below: &str,
        dirs: &mut Vec<(String, i128)>,
        files: &mut Vec<(String, std::path::PathBuf)>,
    ) -> Option<()> {
        dirs.push((below.to_owned(), dir_stamp(dir)?));
        for entry in std::fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let below = if below.is_empty() {
                name.clone()
            } else {
                format!("{below}/{name}")
            };
            let kind = entry.file_type().ok()?;
            if kind.is_dir() {
                walk(&entry.path(), &below, dirs, files)?;
            } else if kind.is_file() {
                if !name.ends_with(".lock") {
                    files.push((below, entry.path()));
                }
            } else {
                return None;
            }
        }
        Some(())
    }
    if top.is_dir() {
        walk(&top, "", &mut stamps.dirs, &mut files)?;
    }
    let read = |files: &[(String, std::path::PathBuf)]| -> Option<Vec<(String, ObjectId)>> {
        let mut out = Vec::with_capacity(files.len());
        for (name, path) in files {
            let text = std::fs::read(path).ok()?;
            let id = ObjectId::from_hex(text.trim_ascii()).ok()?;
            gix::refs::FullName::try_from(format!("{PREFIX}{name}")).ok()?;
            out.push((name.clone(), id));
        }
        Some(out)
    };
    let (first, second) = files.split_at(files.len() / 2);
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| read(second));
        (read(first), other.join().ok().flatten())
    });
    ids.extend(a?);
    ids.extend(b?);
    Some((ids.into_iter().collect(), stamps))
}

/// The checkpoint called `name` (also accepted: `checkpoint/<name>` and the full ref).
pub fn find(repo: &Repo, name: &str) -> Result<Option<Checkpoint>> {
    let name = name.strip_prefix("refs/tags/").unwrap_or(name);
    let name = name.strip_prefix("checkpoint/").unwrap_or(name);
    let Ok(full) = gix::refs::FullName::try_from(format!("{PREFIX}{name}")) else {
        return Ok(None);
    };
    match repo.git.try_find_reference(full.as_ref())? {
        Some(mut reference) => read(repo, &mut reference),
        None => Ok(None),
    }
}

/// Every checkpoint, newest first.
pub fn list(repo: &Repo) -> Result<Vec<Checkpoint>> {
    Ok(list_and_unreadable(repo)?.0)
}

/// Every checkpoint, newest first, and the errors of the tags under
/// `refs/tags/checkpoint/` that are not checkpoints (a tag at a blob or a
/// tree): they are left out, for the caller to warn about.
pub fn list_and_unreadable(repo: &Repo) -> Result<(Vec<Checkpoint>, Vec<Error>)> {
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    let mut cache = ListCache::load(repo);
    let mut live = Vec::new();
    for (name, raw) in raw_ids(repo)? {
        match cache.take(repo, &name, raw) {
            Ok(fields) => {
                live.push(raw);
                out.push(fields.into_checkpoint(name));
            }
            Err(err) => unreadable.push(err),
        }
    }
    let listed: Vec<(ObjectId, &Checkpoint)> = live.into_iter().zip(&out).collect();
    cache.save(&listed);
    // Sorted by index: moving 10,000 checkpoints through a sort costs more
    // than the comparisons.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&out[a], &out[b]);
        b.seconds.cmp(&a.seconds).then_with(|| b.id.cmp(&a.id))
    });
    let mut slots: Vec<Option<Checkpoint>> = out.into_iter().map(Some).collect();
    let out = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Ok((out, unreadable))
}

/// The checkpoint called `name`, or an error whose hint names the closest ones.
pub fn resolve(repo: &Repo, name: &str) -> Result<Checkpoint> {
    if let Some(checkpoint) = find(repo, name)? {
        return Ok(checkpoint);
    }
    let all = list(repo)?;
    let mut close: Vec<(usize, &str)> = all
        .iter()
        .map(|c| (distance(name, c.name()), c.name()))
        .filter(|(d, other)| {
            *d <= 3.max(name.len() / 3) || other.contains(name) || name.contains(*other)
        })
        .collect();
    close.sort();
    let error = Error::usage(format!("checkpoint '{name}' not found"));
    Err(if close.is_empty() {
        if all.is_empty() {
            error.hint(Hint::NoCheckpointsYet)
        } else {
            error.hint(Hint::ListCheckpoints)
        }
    } else {
        let names = close.iter().take(5).map(|(_, n)| n.to_string()).collect();
        error.hint(Hint::DidYouMean { names })
    })
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::Fields;

    #[test]
    fn a_cache_line_reads_back_what_was_written_whatever_the_message() {
        let fields = Fields {
            target: "a".repeat(40),
            head: "b".repeat(40),
            at: "2026-11-23T16:00:00Z".into(),
            seconds: 1_795_000_000,
            by: "Ada \\ Tester <ada@example.com>".into(),
            message: "two\tcolumns\nand lines\r\n\\t literal".into(),
            dirty: true,
            untracked: false,
        };
        let id = gix::ObjectId::from_hex(&[b'c'; 40]).unwrap();
        let mut line = Vec::new();
        fields.write_line(id, &mut line);
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let (read_id, read) = Fields::from_line(&line[..line.len() - 1]).unwrap();
        assert_eq!((read_id, read), (id, fields));
        assert!(
            Fields::from_line(b"cccc {\"target\":1}").is_none(),
            "an older line"
        );
    }
}
