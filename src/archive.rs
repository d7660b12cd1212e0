//! Backups: a `.tar.gz` of the work tree beside a manifest holding the
//! archive's sha256 and every entry's path, kind, mode, size and sha256.
//!
//! Writing reads every file once: the tar stream is cut into chunks that are
//! compressed on all cores as independent gzip members (plain `tar xzf` reads
//! them, as it reads pigz's output), and chunks that do not compress are
//! stored rather than squeezed. The archive is written to a temporary file and
//! renamed into place when complete; the manifest, written last, marks a
//! backup complete. Reading (verify, restore) inflates the members in
//! parallel, using the offsets the manifest records, while one thread hashes
//! the archive.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use gix::bstr::{BString, ByteSlice};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Context, Error, Result};

/// The name prefix of temporary files written beside backups; nothing else
/// in a backup directory is ever removed as a leftover.
pub const TEMP_PREFIX: &str = ".git-rollback-tmp-";

/// Size of the tar stream cut into one gzip member.
const CHUNK: usize = 1 << 20;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Symlink,
    Dir,
}

/// One archived path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the work tree root, `/`-separated; the name's bytes as
    /// they are on disk (see `path_bytes` for how the manifest holds them).
    #[serde(with = "path_bytes")]
    pub path: BString,
    pub kind: Kind,
    /// Permission bits: 0o755 or 0o644 for files, 0o755 for directories, 0o777 for links.
    pub mode: u32,
    /// Bytes of content (of the link target for links).
    pub size: u64,
    /// sha256 of the content (of the link target for links; empty for directories).
    pub sha256: String,
}

/// Bytes of a name as a path (Unix: names are bytes).
pub fn os_path(bytes: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}

impl Entry {
    /// The path as a relative file-system path (its bytes, unchanged).
    pub fn relative(&self) -> &Path {
        os_path(&self.path)
    }

    /// Each directory the path lies in, outermost first (`a`, `a/b` for `a/b/c`).
    pub fn parents(&self) -> impl Iterator<Item = &gix::bstr::BStr> {
        self.path
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .map(|(end, _)| self.path[..end].as_bstr())
    }
}

/// A path in the manifest: a JSON string when its bytes are UTF-8 (every
/// name in practice), else `{"bytes": "<hex>"}`, so no name is spelled lossily.
mod path_bytes {
    use gix::bstr::BString;
    use serde::{de::Error as _, ser::SerializeMap, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &BString, out: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(path) {
            Ok(text) => out.serialize_str(text),
            Err(_) => {
                let mut map = out.serialize_map(Some(1))?;
                map.serialize_entry("bytes", &super::hex(path))?;
                map.end()
            }
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spelled {
        Text(String),
        Bytes { bytes: String },
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<BString, D::Error> {
        match Spelled::deserialize(input)? {
            Spelled::Text(text) => Ok(text.into()),
            Spelled::Bytes { bytes } => {
                let digits = bytes.as_bytes();
                if digits.len() % 2 != 0 {
                    return Err(D::Error::custom("path bytes: odd number of hex digits"));
                }
                digits
                    .chunks(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                            .ok_or_else(|| D::Error::custom("path bytes: not hex"))
                    })
                    .collect::<Result<Vec<u8>, _>>()
                    .map(BString::from)
            }
        }
    }
}

/// The archive file itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    pub file: String,
    pub size: u64,
    pub sha256: String,
    /// Byte offset of each gzip member (for parallel reading).
    pub members: Vec<u64>,
}

/// A backup's manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub id: String,
    /// RFC 3339 UTC.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    pub include_ignored: bool,
    pub files: usize,
    pub bytes: u64,
    pub archive: ArchiveInfo,
}

/// Progress of a long operation, shown by the CLI on a terminal.
pub trait Progress: Sync {
    /// The work ahead, when known.
    fn start(&self, _what: &str, _files: u64, _bytes: u64) {}
    /// One more entry of `bytes` done.
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// No progress shown.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Lower-case hex of `bytes` (hashes are printed for every archived file, so
/// this avoids a `format!` per byte).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// Where a backup's two files live.
pub fn paths(dir: &Path, id: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{id}.tar.gz")),
        dir.join(format!("{id}.manifest")),
    )
}

// ---------------------------------------------------------------- manifest
//
// The manifest is JSON Lines, so neither writing nor reading it holds the
// list of entries in memory:
//   {"header": {...}}          what was known before the archive was written
//   {"path": ..., ...}         one line per entry, in archive order
//   {"footer": {...}}          counts and the archive's size, sha256 and member offsets
//   sha256 <hex>               the checksum of every line above

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    id: String,
    created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<String>,
    include_ignored: bool,
}

#[derive(Serialize, Deserialize)]
struct Footer {
    files: usize,
    bytes: u64,
    archive: ArchiveInfo,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderLine {
    header: Header,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FooterLine {
    footer: Footer,
}

/// Entry lines (JSON Lines) for [`write_manifest`].
pub fn entry_lines<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut out, entry)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// Write a manifest: header, the entry lines read from `entries`, footer,
/// checksum; to a temporary file renamed into place.
pub fn write_manifest(path: &Path, manifest: &Manifest, entries: &mut dyn Read) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    let mut out = std::io::BufWriter::new(temp);
    let mut hasher = Sha256::new();
    let mut put = |out: &mut std::io::BufWriter<tempfile::NamedTempFile>,
                   bytes: &[u8]|
     -> std::io::Result<()> {
        hasher.update(bytes);
        out.write_all(bytes)
    };
    let header = HeaderLine {
        header: Header {
            version: manifest.version,
            id: manifest.id.clone(),
            created: manifest.created.clone(),
            message: manifest.message.clone(),
            checkpoint: manifest.checkpoint.clone(),
            include_ignored: manifest.include_ignored,
        },
    };
    put(
        &mut out,
        (serde_json::to_string(&header)? + "\n").as_bytes(),
    )?;
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = entries.read(&mut buf)?;
        if n == 0 {
            break;
        }
        put(&mut out, &buf[..n])?;
    }
    let footer = FooterLine {
        footer: Footer {
            files: manifest.files,
            bytes: manifest.bytes,
            archive: manifest.archive.clone(),
        },
    };
    put(
        &mut out,
        (serde_json::to_string(&footer)? + "\n").as_bytes(),
    )?;
    out.write_all(format!("sha256 {}\n", hex(&hasher.finalize())).as_bytes())?;
    let temp = out.into_inner().map_err(|e| e.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn corrupt(path: &Path, why: &str) -> Error {
    Error::refused(format!("manifest '{}' is corrupt: {why}", path.display()))
}

/// Read a manifest's header and footer and check its own checksum (one
/// streaming pass; the entries are read with [`entries`]).
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    use std::io::BufRead;
    let file = File::open(path).context(format!("reading {}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let mut hasher = Sha256::new();
    let mut line = Vec::new();
    let mut first: Option<Vec<u8>> = None;
    let mut previous: Option<Vec<u8>> = None;
    let mut trailer: Option<Vec<u8>> = None;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if let Some(earlier) = trailer.take() {
            // What looked like the checksum line was not the last line.
            hasher.update(&earlier);
            previous = Some(earlier);
        }
        if line.starts_with(b"sha256 ") {
            trailer = Some(line.clone());
            continue;
        }
        hasher.update(&line);
        if first.is_none() {
            first = Some(line.clone());
        }
        previous = Some(line.clone());
    }
    let trailer = trailer.ok_or_else(|| corrupt(path, "no checksum line"))?;
    let expected = std::str::from_utf8(&trailer)
        .ok()
        .and_then(|t| t.strip_prefix("sha256 "))
        .and_then(|t| t.strip_suffix('\n'))
        .filter(|hex| hex.len() == 64)
        .ok_or_else(|| corrupt(path, "bad checksum line"))?;
    if hex(&hasher.finalize()) != expected {
        return Err(corrupt(path, "its checksum does not match its content"));
    }
    let (Some(first), Some(last)) = (first, previous) else {
        return Err(corrupt(path, "it is empty"));
    };
    let header: HeaderLine =
        serde_json::from_slice(&first).map_err(|e| corrupt(path, &format!("header: {e}")))?;
    let footer: FooterLine =
        serde_json::from_slice(&last).map_err(|e| corrupt(path, &format!("footer: {e}")))?;
    let (header, footer) = (header.header, footer.footer);
    Ok(Manifest {
        version: header.version,
        id: header.id,
        created: header.created,
        message: header.message,
        checkpoint: header.checkpoint,
        include_ignored: header.include_ignored,
        files: footer.files,
        bytes: footer.bytes,
        archive: footer.archive,
    })
}

/// The entries of a manifest, in archive order, read one line at a time.
pub fn entries(path: &Path) -> Result<impl Iterator<Item = Result<Entry>>> {
    use std::io::BufRead;
    let file = File::open(path).context(format!("reading {}", path.display()))?;
    let path = path.to_owned();
    let mut lines = std::io::BufReader::with_capacity(256 * 1024, file).split(b'\n');
    lines.next(); // the header
    Ok(lines
        .map_while(|line| match line {
            Ok(line) if line.starts_with(b"{\"footer\"") || line.starts_with(b"sha256 ") => None,
            other => Some(other),
        })
        .map(move |line| {
            let line = line?;
            serde_json::from_slice::<Entry>(&line)
                .map_err(|e| corrupt(&path, &format!("entry: {e}")))
        }))
}

// ---------------------------------------------------------------- writing

/// A file to archive: its path relative to `root` and what it is.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: BString,
    pub kind: Kind,
    pub size: u64,
    /// Whether a file has an exec bit set.
    pub executable: bool,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// A compressed chunk, in order.
struct Member {
    index: usize,
    data: Vec<u8>,
}

/// Collects the tar stream into chunks and hands them to the compressors.
struct ChunkWriter {
    buf: Vec<u8>,
    next: usize,
    tx: SyncSender<(usize, Vec<u8>)>,
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send((self.next, chunk))
            .map_err(|_| std::io::Error::other("the compressor stopped"))?;
        self.next += 1;
        Ok(())
    }
}

/// Compress one chunk as a gzip member: level 6, or stored when a sample
/// shows the data does not compress.
fn compress(chunk: &[u8]) -> std::io::Result<Vec<u8>> {
    let sample = &chunk[..chunk.len().min(64 * 1024)];
    let mut probe = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    probe.write_all(sample)?;
    let probed = probe.finish()?.len();
    let level = if probed * 100 > sample.len() * 95 {
        flate2::Compression::none()
    } else {
        flate2::Compression::new(6)
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(chunk.len() / 2), level);
    encoder.write_all(chunk)?;
    encoder.finish()
}

/// Reads a file while hashing it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What [`write()`] produced.
pub struct Written {
    /// The manifest's entry lines, in archive order (a temporary file, rewound).
    pub entries: File,
    pub files: usize,
    pub archive: ArchiveInfo,
}

/// Hands each source to the archive writer, in the order they are to be archived.
pub type Feed<'a> = dyn FnMut(&mut dyn FnMut(&Source) -> Result<()>) -> Result<()> + 'a;

/// Write the `sources` under `root` as a tar.gz to `out` (a temporary file).
pub fn write(
    root: &Path,
    feed: &mut Feed<'_>,
    out: File,
    progress: &dyn Progress,
) -> Result<Written> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let (chunk_tx, chunk_rx) = sync_channel::<(usize, Vec<u8>)>(threads * 2);
    let chunk_rx = std::sync::Arc::new(std::sync::Mutex::new(chunk_rx));
    let (member_tx, member_rx) = sync_channel::<std::io::Result<Member>>(threads * 2);

    std::thread::scope(|scope| -> Result<Written> {
        for _ in 0..threads {
            let chunk_rx = chunk_rx.clone();
            let member_tx = member_tx.clone();
            scope.spawn(move || loop {
                let next = chunk_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((index, chunk))) = next else { break };
                let member = compress(&chunk).map(|data| Member { index, data });
                if member_tx.send(member).is_err() {
                    break;
                }
            });
        }
        drop(member_tx);
        // The writer: members in order to the file, hashing the archive.
        let writer = scope.spawn(move || -> std::io::Result<(u64, String, Vec<u64>)> {
            let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
            let mut hasher = Sha256::new();
            let mut pending = BTreeMap::new();
            let mut next = 0;
            let mut offset = 0u64;
            let mut members = Vec::new();
            for member in member_rx {
                let member = member?;
                pending.insert(member.index, member.data);
                while let Some(data) = pending.remove(&next) {
                    hasher.update(&data);
                    out.write_all(&data)?;
                    members.push(offset);
                    offset += data.len() as u64;
                    next += 1;
                }
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok((offset, hex(&hasher.finalize()), members))
        });

        let mut chunks = ChunkWriter {
            buf: Vec::with_capacity(CHUNK),
            next: 0,
            tx: chunk_tx,
        };
        let mut lines = std::io::BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
        let mut files = 0;
        {
            let mut builder = tar::Builder::new(&mut chunks);
            builder.mode(tar::HeaderMode::Complete);
            builder.follow_symlinks(false);
            feed(&mut |source: &Source| {
                let entry = append(&mut builder, root, source)?;
                serde_json::to_writer(&mut lines, &entry)?;
                lines.write_all(b"\n")?;
                files += usize::from(entry.kind != Kind::Dir);
                progress.advance(source.size);
                Ok(())
            })?;
            builder.finish()?;
        }
        let mut entries = lines.into_inner().map_err(|e| e.into_error())?;
        std::io::Seek::rewind(&mut entries)?;
        if !chunks.buf.is_empty() {
            chunks.send()?;
        }
        drop(chunks);
        let (size, sha256, members) = writer
            .join()
            .map_err(|_| Error::failed("the archive writer panicked"))??;
        Ok(Written {
            entries,
            files,
            archive: ArchiveInfo {
                file: String::new(),
                size,
                sha256,
                members,
            },
        })
    })
}

fn append(
    builder: &mut tar::Builder<&mut ChunkWriter>,
    root: &Path,
    source: &Source,
) -> Result<Entry> {
    let relative = gix::path::from_bstr(source.path.as_bstr())?;
    let full = root.join(&relative);
    let mut header = tar::Header::new_gnu();
    header.set_mtime(source.mtime);
    match source.kind {
        Kind::File => {
            let mode = if source.executable { 0o755 } else { 0o644 };
            header.set_mode(mode);
            header.set_size(source.size);
            header.set_entry_type(tar::EntryType::Regular);
            let file = File::open(&full)
                .map_err(|e| Error::from(e).context(format!("reading '{}'", source.path)))?;
            let mut reader = Hashing {
                inner: file,
                hasher: Sha256::new(),
            };
            builder.append_data(&mut header, &relative, &mut reader)?;
            Ok(Entry {
                path: source.path.clone(),
                kind: Kind::File,
                mode,
                size: source.size,
                sha256: hex(&reader.hasher.finalize()),
            })
        }
        Kind::Symlink => {
            let target = std::fs::read_link(&full)?;
            let bytes = target.as_os_str().as_encoded_bytes().to_vec();
            header.set_mode(0o777);
            header.set_size(0);
            header.set_entry_type(tar::EntryType::Symlink);
            builder.append_link(&mut header, &relative, &target)?;
            Ok(Entry {
                path: source.path.clone(),
                kind: Kind::Symlink,
                mode: 0o777,
                size: bytes.len() as u64,
                sha256: hex(&Sha256::digest(&bytes)),
            })
        }
        Kind::Dir => {
            header.set_mode(0o755);
            header.set_size(0);
            header.set_entry_type(tar::EntryType::Directory);
            builder.append_data(&mut header, relative.join(""), std::io::empty())?;
            Ok(Entry {
                path: source.path.clone(),
                kind: Kind::Dir,
                mode: 0o755,
                size: 0,
                sha256: String::new(),
            })
        }
    }
}

// ---------------------------------------------------------------- reading

/// Reads the archive's members in parallel; yields the tar stream in order.
/// The archive's sha256 is computed on the reading thread.
struct Inflated {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    position: usize,
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.position == self.current.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.current = chunk?;
                    self.position = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.position);
        buf[..n].copy_from_slice(&self.current[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

/// Receives the entries of an archive being read, in order: `begin`, the
/// content in pieces (a link's target for links), `end`.
pub trait Sink {
    fn begin(&mut self, _entry: &Entry) -> Result<()> {
        Ok(())
    }
    fn data(&mut self, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }
    /// `mtime`: the entry's modification time in the archive, seconds since the epoch.
    fn end(&mut self, _entry: &Entry, _mtime: u64) -> Result<()> {
        Ok(())
    }
}

/// A sink that only lets the entries be checked.
pub struct CheckOnly;
impl Sink for CheckOnly {}

/// Stream the archive at `path` into `sink`, checking every entry's path,
/// kind, mode, size and hash against `manifest`, and the archive's own hash.
/// Damage is an integrity error (exit 3) naming the damaged entry; the sink's
/// own errors pass through.
pub fn read(
    path: &Path,
    manifest_path: &Path,
    manifest: &Manifest,
    progress: &dyn Progress,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut expected = entries(manifest_path)?;
    let file = File::open(path).context(format!("opening {}", path.display()))?;
    let file_size = file.metadata()?.len();
    let members = if manifest.archive.members.is_empty() {
        vec![0]
    } else {
        manifest.archive.members.clone()
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let (member_tx, member_rx) = sync_channel::<(usize, Vec<u8>)>(threads * 2);
    let member_rx = std::sync::Arc::new(std::sync::Mutex::new(member_rx));
    let (out_tx, out_rx) = sync_channel::<std::io::Result<(usize, Vec<u8>)>>(threads * 2);
    let (ordered_tx, ordered_rx) = sync_channel::<std::io::Result<Vec<u8>>>(threads * 2);
    let damaged =
        |what: String| Error::refused(format!("backup '{}' is damaged: {what}", manifest.id));
    // Every member but the last inflates to exactly one chunk of the tar
    // stream, whose size the manifest's entries bound: more members than
    // that is a crafted archive, refused before anything is inflated.
    let mut stream_bound = 2 * 10240u64;
    for entry in entries(manifest_path)? {
        let entry = entry?;
        let padded = |n: u64| n.div_ceil(512) * 512;
        stream_bound += 3 * 512 + padded(entry.size) + padded(entry.path.len() as u64 + 1);
    }
    if members.len() as u64 > stream_bound / CHUNK as u64 + 1 {
        return Err(damaged(format!(
            "{} members where its entries fill at most {}",
            members.len(),
            stream_bound / CHUNK as u64 + 1
        )));
    }

    std::thread::scope(|scope| -> Result<()> {
        // Reader: the file, member by member, hashed as read.
        let reader = scope.spawn(move || -> std::io::Result<(String, u64)> {
            let mut file = std::io::BufReader::with_capacity(1 << 20, file);
            let mut hasher = Sha256::new();
            let mut total = 0u64;
            let mut bounds = members.clone();
            bounds.push(file_size);
            for (index, pair) in bounds.windows(2).enumerate() {
                let len = pair[1]
                    .checked_sub(pair[0])
                    .ok_or_else(|| std::io::Error::other("member offsets out of order"))?;
                // Our members hold CHUNK bytes of tar stream, compressed or stored.
                if len > 2 * CHUNK as u64 {
                    return Err(std::io::Error::other(format!(
                        "member {index} is {len} bytes, larger than any member a backup holds"
                    )));
                }
                let mut data = vec![0; len as usize];
                file.read_exact(&mut data)?;
                hasher.update(&data);
                total += len;
                if member_tx.send((index, data)).is_err() {
                    break;
                }
            }
            Ok((hex(&hasher.finalize()), total))
        });
        for _ in 0..threads {
            let member_rx = member_rx.clone();
            let out_tx = out_tx.clone();
            scope.spawn(move || loop {
                let next = member_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((index, data))) = next else { break };
                // Inflate at most one chunk and a byte: memory stays bounded
                // whatever a crafted member claims to hold.
                let mut inflated = Vec::with_capacity(data.len() * 3);
                let result = flate2::read::MultiGzDecoder::new(&data[..])
                    .take(CHUNK as u64 + 1)
                    .read_to_end(&mut inflated)
                    .and_then(|n| {
                        if n > CHUNK {
                            Err(std::io::Error::other(format!(
                                "member {index} inflates to more than the {CHUNK} bytes a member holds"
                            )))
                        } else {
                            Ok((index, inflated))
                        }
                    });
                if out_tx.send(result).is_err() {
                    break;
                }
            });
        }
        drop(out_tx);
        scope.spawn(move || {
            let mut pending = BTreeMap::new();
            let mut next = 0;
            for item in out_rx {
                match item {
                    Ok((index, data)) => {
                        pending.insert(index, data);
                        while let Some(data) = pending.remove(&next) {
                            if ordered_tx.send(Ok(data)).is_err() {
                                return;
                            }
                            next += 1;
                        }
                    }
                    Err(err) => {
                        let _ = ordered_tx.send(Err(err));
                        return;
                    }
                }
            }
        });

        // The tar stream, checked entry by entry; on its own error the
        // reader's (a member too large, a short file) is the cause to name.
        let streamed = (|| -> Result<()> {
            let stream = Inflated {
                rx: ordered_rx,
                current: Vec::new(),
                position: 0,
            };
            let mut archive = tar::Archive::new(stream);
            let mut last = BString::from("(start of archive)");
            let mut buf = vec![0; 256 * 1024];
            let entries = archive
                .entries()
                .map_err(|e| damaged(format!("{e} (at the start)")))?;
            for item in entries {
                let mut item = item.map_err(|e| damaged(format!("{e} (after entry '{last}')")))?;
                let mut path = BString::from(item.path_bytes().into_owned());
                while path.last() == Some(&b'/') {
                    path.pop();
                }
                let Some(entry) = expected.next() else {
                    return Err(damaged(format!("entry '{path}' is not in the manifest")));
                };
                let entry = &entry?;
                if entry.path != path {
                    return Err(damaged(format!(
                        "entry '{path}' found where the manifest has '{}'",
                        entry.path
                    )));
                }
                let header = item.header();
                let mtime = header.mtime().unwrap_or(0);
                let kind = match header.entry_type() {
                    tar::EntryType::Regular => Kind::File,
                    tar::EntryType::Symlink => Kind::Symlink,
                    tar::EntryType::Directory => Kind::Dir,
                    other => {
                        return Err(damaged(format!(
                            "entry '{path}' has unexpected type {other:?}"
                        )))
                    }
                };
                let mode = header
                    .mode()
                    .map_err(|e| damaged(format!("entry '{path}': {e}")))?
                    & 0o777;
                if kind != entry.kind || mode != entry.mode {
                    return Err(damaged(format!(
                        "entry '{path}' has a different type or mode than the manifest says"
                    )));
                }
                sink.begin(entry)?;
                let mut hasher = Sha256::new();
                let mut size = 0u64;
                if kind == Kind::Symlink {
                    let target = item
                        .link_name()
                        .map_err(|e| damaged(e.to_string()))?
                        .unwrap_or_default();
                    let bytes = target.as_os_str().as_encoded_bytes().to_vec();
                    hasher.update(&bytes);
                    size = bytes.len() as u64;
                    sink.data(&bytes)?;
                } else {
                    loop {
                        let n = item
                            .read(&mut buf)
                            .map_err(|e| damaged(format!("entry '{path}': {e}")))?;
                        if n == 0 {
                            break;
                        }
                        hasher.update(&buf[..n]);
                        size += n as u64;
                        sink.data(&buf[..n])?;
                    }
                }
                let sha256 = if kind == Kind::Dir {
                    String::new()
                } else {
                    hex(&hasher.finalize())
                };
                if size != entry.size {
                    return Err(damaged(format!(
                        "entry '{path}' has {size} bytes, the manifest says {}",
                        entry.size
                    )));
                }
                if sha256 != entry.sha256 {
                    return Err(damaged(format!(
                        "entry '{path}' does not match its sha256 in the manifest"
                    )));
                }
                sink.end(entry, mtime)?;
                progress.advance(entry.size);
                last = path;
            }
            if let Some(missing) = expected.next() {
                return Err(damaged(format!(
                    "entry '{}' is missing from the archive",
                    missing?.path
                )));
            }
            // Drain what is left (tar's end blocks) so the reader finishes.
            let mut rest = archive.into_inner();
            std::io::copy(&mut rest, &mut std::io::sink()).map_err(|e| damaged(e.to_string()))?;
            Ok(())
        })();
        let read = reader
            .join()
            .map_err(|_| Error::failed("the archive reader panicked"))?;
        let (sha256, size) = match (streamed, read) {
            (_, Err(cause)) => return Err(damaged(cause.to_string())),
            (Err(err), _) => return Err(err),
            (Ok(()), Ok(read)) => read,
        };
        if size != manifest.archive.size || sha256 != manifest.archive.sha256 {
            return Err(damaged(
                "the archive's sha256 does not match the manifest".to_owned(),
            ));
        }
        Ok(())
    })
}

/// Refuse a path that could escape the directory it is extracted into
/// (absolute, empty, with an empty, `.` or `..` component) or that names a
/// `.git` directory (in any case, or as its 8.3 short name `git~1`), as git
/// refuses such tree entries.
pub fn check_entry_path(path: impl AsRef<[u8]>) -> Result<()> {
    let path = path.as_ref();
    let components = || path.split(|b| *b == b'/');
    let safe = !path.is_empty() && components().all(|c| !c.is_empty() && c != b"." && c != b"..");
    if !safe {
        return Err(Error::refused(format!(
            "refusing path '{}': it is absolute or leaves the target",
            path.as_bstr()
        )));
    }
    let names_git = components().any(|name| {
        let end = name
            .iter()
            .rposition(|b| !matches!(b, b'.' | b' '))
            .map_or(0, |i| i + 1);
        let name = &name[..end];
        name.eq_ignore_ascii_case(b".git") || name.eq_ignore_ascii_case(b"git~1")
    });
    if names_git {
        return Err(Error::refused(format!(
            "refusing path '{}': it is inside a .git directory",
            path.as_bstr()
        )));
    }
    Ok(())
}

/// Refuse an id (of a backup, of an operation) that is not safe as a file
/// name: only `[0-9A-Za-z._-]`, not `.` or `..`.
pub fn check_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(Error::refused(format!(
            "refusing id '{id}': only letters, digits, '.', '_' and '-' may name a backup or operation"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl Progress for Quiet {}

    /// Archive `files` (path, content) from a temporary directory; return
    /// the directory, the archive's and the manifest's paths and the manifest.
    fn archived(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf, PathBuf, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = crate::fuzz::small_backup(dir.path(), "t", files).unwrap();
        let (archive, manifest_path) = paths(dir.path(), "t");
        (dir, archive, manifest_path, manifest)
    }

    /// Collects what a read hands over.
    #[derive(Default)]
    struct Collect(Vec<(String, Vec<u8>)>);
    impl Sink for Collect {
        fn begin(&mut self, entry: &Entry) -> Result<()> {
            self.0.push((entry.path.to_string(), Vec::new()));
            Ok(())
        }
        fn data(&mut self, bytes: &[u8]) -> Result<()> {
            self.0.last_mut().unwrap().1.extend_from_slice(bytes);
            Ok(())
        }
    }

    #[test]
    fn what_was_written_reads_back_entry_by_entry() {
        let big: Vec<u8> = (0..3 * CHUNK as u32).map(|i| (i % 251) as u8).collect();
        let files: &[(&str, &[u8])] = &[("a.txt", b"alpha\n"), ("d/big.bin", &big), ("d/e/z", b"")];
        let (_dir, archive, manifest_path, manifest) = archived(files);
        assert!(manifest.archive.members.len() > 1, "several members");
        let read_back = read_manifest(&manifest_path).unwrap();
        assert_eq!(read_back.archive, manifest.archive);
        let mut sink = Collect::default();
        read(&archive, &manifest_path, &manifest, &Quiet, &mut sink).unwrap();
        let expected: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_vec()))
            .collect();
        assert_eq!(sink.0, expected);
    }

    #[test]
    fn a_flipped_byte_or_a_changed_manifest_is_damage() {
        let (_dir, archive, manifest_path, manifest) =
            archived(&[("a.txt", b"alpha\n"), ("b.txt", b"beta\n")]);
        let mut bytes = std::fs::read(&archive).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&archive, &bytes).unwrap();
        let err = read(&archive, &manifest_path, &manifest, &Quiet, &mut CheckOnly).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Refused, "{}", err.message);
        assert!(err.message.contains("is damaged"), "{}", err.message);

        let mut text = std::fs::read_to_string(&manifest_path).unwrap();
        text = text.replace("\"a.txt\"", "\"c.txt\"");
        std::fs::write(&manifest_path, text).unwrap();
        let err = read_manifest(&manifest_path).unwrap_err();
        assert!(
            err.message.contains("checksum does not match"),
            "{}",
            err.message
        );
    }

    #[test]
    fn entry_paths_that_leave_the_target_or_enter_git_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            ".git/config",
            "sub/.GIT/x",
            "git~1/x",
            ".git./x",
        ] {
            assert!(check_entry_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b.txt", ".github/x", "x.git", "a\\b"] {
            assert!(check_entry_path(good).is_ok(), "{good:?}");
        }
        for bad_id in ["", ".", "..", "../v", "a/b", "a b"] {
            assert!(check_id(bad_id).is_err(), "{bad_id:?}");
        }
        assert!(check_id("20261123-115900-2").is_ok());
    }
}
