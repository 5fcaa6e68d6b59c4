//! The on-disk index: the symbols of every indexed file of a root, so the next start re-parses
//! only the files that changed. One file per root (named by a hash of the root's path) in the
//! directory the caller names ([`IndexOptions::persist_dir`](crate::IndexOptions::persist_dir)).
//!
//! A file's record is reused only when its path, size, modification time and content hash (of
//! the bytes just read) all match, and its symbols decode and fit the text. The file carries a
//! format version, a fingerprint of everything extraction depends on (this crate's version, the
//! depth limits, each language's queries) and a checksum; a missing, truncated, corrupt,
//! old-format or other-fingerprint file is ignored whole and rewritten, never trusted. Writes go
//! to a temporary file renamed into place, so a reader never sees half a file.
//!
//! Layout (little-endian): `INFILLIX`, format version `u32`, fingerprint `u64`, record count
//! `u32`, the root's path, then per record its length `u32` and bytes (path, size, mtime,
//! content hash, language, then the symbols of `codec`), then the checksum `u64`: XXH64 of the
//! XXH64s of the root's path and of each record. Saving also deletes the index files in the
//! directory whose root no longer exists (a deleted project, a test's temporary directory).
//!
//! Only files the walk indexed have records, so nothing the privacy filter refuses (secrets,
//! exclusions, `.infillignore`) reaches the disk; records hold names, ranges and token hashes,
//! not source text.

mod codec;
mod hash;

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use infill_syntax::LanguageRegistry;

pub(crate) use hash::xxh64;

use crate::extract::FileSymbols;
use codec::{Reader, Writer};

/// Bumped whenever the layout or the meaning of a field changes; other versions are rebuilt.
pub(crate) const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"INFILLIX";
/// Magic, version, fingerprint, record count (the root's path follows).
const HEADER_BYTES: usize = 8 + 4 + 8 + 4;

/// What the file system says about a file: its size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Stamp {
    pub size: u64,
    pub mtime_secs: u64,
    pub mtime_nanos: u32,
}

impl Stamp {
    pub fn of(metadata: &Metadata) -> Stamp {
        let mtime = metadata.modified().ok().and_then(|time| time.duration_since(UNIX_EPOCH).ok());
        Stamp {
            size: metadata.len(),
            mtime_secs: mtime.map_or(0, |d| d.as_secs()),
            mtime_nanos: mtime.map_or(0, |d| d.subsec_nanos()),
        }
    }
}

/// The symbols of one record: freshly extracted (they are in the index, and encoded from there
/// when the file is written, so that the walk holds no second copy of them), or the bytes of the
/// previous file.
pub(crate) enum SymbolBytes {
    /// Extracted from this text (the same `Arc` as the index entry's, so no copy).
    Fresh(std::sync::Arc<str>),
    Previous(Range<usize>),
}

/// One file's record, as the walk produced it.
pub(crate) struct Record {
    pub path: PathBuf,
    pub language: String,
    pub stamp: Stamp,
    pub hash: u64,
    pub symbols: SymbolBytes,
}

/// Encodes `symbols` as a record stores them.
pub(crate) fn encode(symbols: &FileSymbols) -> Vec<u8> {
    codec::encode(symbols)
}

/// Where one record's parts lie in the loaded file.
struct Cached {
    stamp: Stamp,
    hash: u64,
    language: Range<usize>,
    symbols: Range<usize>,
}

/// Why a file on disk was not used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LoadError {
    Unreadable(String),
    NotAnIndex,
    OtherVersion(u32),
    OtherFingerprint,
    OtherRoot,
    Corrupt,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable(error) => write!(f, "unreadable: {error}"),
            LoadError::NotAnIndex => f.write_str("not an index file"),
            LoadError::OtherVersion(version) => write!(f, "format version {version}"),
            LoadError::OtherFingerprint => f.write_str("written for other queries or versions"),
            LoadError::OtherRoot => f.write_str("written for another root"),
            LoadError::Corrupt => f.write_str("corrupt or truncated"),
        }
    }
}

/// A loaded, checked index file.
pub(crate) struct Previous {
    bytes: Vec<u8>,
    records: HashMap<PathBuf, Cached>,
}

impl Previous {
    /// Reads and checks `file`.
    pub fn load(file: &Path, root: &Path, fingerprint: u64) -> Result<Previous, LoadError> {
        let bytes = std::fs::read(file).map_err(|e| LoadError::Unreadable(e.to_string()))?;
        let records = Self::check(&bytes, root, fingerprint)?;
        Ok(Previous { bytes, records })
    }

    fn check(
        bytes: &[u8],
        root: &Path,
        fingerprint: u64,
    ) -> Result<HashMap<PathBuf, Cached>, LoadError> {
        if bytes.len() < HEADER_BYTES + 8 || &bytes[..8] != MAGIC {
            return Err(LoadError::NotAnIndex);
        }
        let mut header = Reader::new(&bytes[8..HEADER_BYTES]);
        let version = header.u32().ok_or(LoadError::Corrupt)?;
        if version != FORMAT_VERSION {
            return Err(LoadError::OtherVersion(version));
        }
        if header.u64() != Some(fingerprint) {
            return Err(LoadError::OtherFingerprint);
        }
        let count = header.u32().ok_or(LoadError::Corrupt)? as usize;
        let mut input = Reader::new(&bytes[HEADER_BYTES..bytes.len() - 8]);
        let stored_root = input.str().ok_or(LoadError::Corrupt)?;
        if Path::new(stored_root) != root {
            return Err(LoadError::OtherRoot);
        }
        let body_start = bytes.len() - 8 - input.remaining();
        let body = &bytes[body_start..bytes.len() - 8];
        let checksum = Reader::new(&bytes[bytes.len() - 8..]).u64();
        let mut input = Reader::new(body);
        let mut hashes = Writer::default();
        hashes.u64(xxh64(stored_root.as_bytes(), 0));
        let mut records = HashMap::with_capacity(count.min(body.len() / 4));
        for _ in 0..count {
            let len = input.u32().ok_or(LoadError::Corrupt)? as usize;
            let start = body.len() - input.remaining();
            let record = input.take(len).ok_or(LoadError::Corrupt)?;
            hashes.u64(xxh64(record, 0));
            let (path, cached) =
                parse_record(record, body_start + start).ok_or(LoadError::Corrupt)?;
            records.insert(path, cached);
        }
        if !input.is_empty() || checksum != Some(xxh64(&hashes.bytes, 0)) {
            return Err(LoadError::Corrupt);
        }
        Ok(records)
    }

    /// Records in the file.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// The stored symbols of `path`, when its stamp, content hash and language match and they
    /// decode and fit `text`; with where their bytes lie, to write them again.
    pub fn reuse(
        &self,
        path: &Path,
        stamp: Stamp,
        hash: u64,
        language: &str,
        text: &str,
    ) -> Option<(FileSymbols, Range<usize>)> {
        let cached = self.records.get(path)?;
        if cached.stamp != stamp
            || cached.hash != hash
            || self.bytes.get(cached.language.clone())? != language.as_bytes()
        {
            return None;
        }
        let symbols = codec::decode(self.bytes.get(cached.symbols.clone())?, text)?;
        Some((symbols, cached.symbols.clone()))
    }
}

/// Splits one record; `offset` is where its bytes start in the file.
fn parse_record(record: &[u8], offset: usize) -> Option<(PathBuf, Cached)> {
    let mut input = Reader::new(record);
    let path = PathBuf::from(input.str()?);
    let stamp = Stamp { size: input.u64()?, mtime_secs: input.u64()?, mtime_nanos: input.u32()? };
    let hash = input.u64()?;
    let language_len = input.u32()? as usize;
    let language_start = offset + record.len() - input.remaining();
    std::str::from_utf8(input.take(language_len)?).ok()?;
    let symbols_start = offset + record.len() - input.remaining();
    let cached = Cached {
        stamp,
        hash,
        language: language_start..language_start + language_len,
        symbols: symbols_start..offset + record.len(),
    };
    Some((path, cached))
}

/// Everything extraction depends on besides a file's text: this format, this crate's version,
/// the depth limits and each language's name, extensions and queries.
pub(crate) fn fingerprint(registry: &LanguageRegistry) -> u64 {
    let mut out = Writer::default();
    out.u32(FORMAT_VERSION);
    out.str(env!("CARGO_PKG_VERSION"));
    out.u32(crate::extract::DEFINITION_DEPTH);
    out.u32(crate::extract::IMPORT_DEPTH);
    out.u32(crate::extract::OUTLINE_VERSION);
    let mut languages: Vec<_> = registry.languages().collect();
    languages.sort_by(|a, b| a.name.cmp(&b.name));
    for language in languages {
        out.str(&language.name);
        out.str(language.grammar.as_deref().unwrap_or_default());
        for extension in &language.extensions {
            out.str(extension);
        }
        for kind in ["definitions", "imports"] {
            out.str(language.query_source(kind).unwrap_or_default());
        }
    }
    xxh64(&out.bytes, 0)
}

/// The index file of `root` in `dir`.
pub(crate) fn file_for(dir: &Path, root: &Path) -> PathBuf {
    let key = xxh64(root.to_string_lossy().as_bytes(), 0);
    dir.join(format!("{key:016x}.index"))
}

/// How [`save`] gets the encoded symbols of a [`SymbolBytes::Fresh`] record: appends them to
/// the buffer and returns `true`, or `false` to leave the record out (the index no longer
/// holds that content).
pub(crate) type FreshSymbols<'a> = dyn Fn(&Record, &mut Vec<u8>) -> bool + 'a;

/// Writes `records` to `file` (through a temporary file renamed into place), one at a time.
/// Records whose path is not UTF-8, or whose fresh symbols `fresh` does not give, are left out
/// (they are parsed again next time).
pub(crate) fn save(
    file: &Path,
    root: &Path,
    fingerprint: u64,
    records: &[Record],
    previous: Option<&Previous>,
    fresh: &FreshSymbols<'_>,
) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("index");
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = write_to(&temporary, root, fingerprint, records, previous, fresh)
        .and_then(|()| std::fs::rename(&temporary, file));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    prune(dir);
    result
}

/// Deletes the index files in `dir` whose root is no longer a directory, and temporary files
/// a crash left behind over a day ago.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = if name.ends_with(".index") {
            root_of(&path).is_some_and(|root| !root.is_dir())
        } else if name.starts_with('.') && name.ends_with(".tmp") {
            entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 24 * 3600)
        } else {
            false
        };
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The root recorded in an index file's header (`None` when it is not one of ours).
fn root_of(file: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(file)
        .ok()?
        .take(HEADER_BYTES as u64 + 4 + 4096)
        .read_to_end(&mut head)
        .ok()?;
    if head.get(..8)? != MAGIC {
        return None;
    }
    let mut input = Reader::new(head.get(HEADER_BYTES..)?);
    input.str().map(PathBuf::from)
}

fn write_to(
    temporary: &Path,
    root: &Path,
    fingerprint: u64,
    records: &[Record],
    previous: Option<&Previous>,
    fresh: &FreshSymbols<'_>,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, options.open(temporary)?);
    // The record count is not known until every record is written: a placeholder here, and the
    // count written over it at the end.
    let mut header = Writer::default();
    header.bytes.extend_from_slice(MAGIC);
    header.u32(FORMAT_VERSION);
    header.u64(fingerprint);
    let count_at = header.bytes.len() as u64;
    header.len(0);
    debug_assert_eq!(header.bytes.len(), HEADER_BYTES);
    let root = root.to_string_lossy();
    header.str(&root);
    out.write_all(&header.bytes)?;
    let mut hashes = Writer::default();
    hashes.u64(xxh64(root.as_bytes(), 0));
    let mut bytes = Writer::default();
    let mut symbols = Vec::new();
    let mut count = 0usize;
    for record in records {
        let Some(path) = record.path.to_str() else { continue };
        let stored = match &record.symbols {
            SymbolBytes::Fresh(_) => {
                symbols.clear();
                if !fresh(record, &mut symbols) {
                    continue;
                }
                symbols.as_slice()
            }
            SymbolBytes::Previous(range) => {
                match previous.and_then(|previous| previous.bytes.get(range.clone())) {
                    Some(stored) => stored,
                    None => continue,
                }
            }
        };
        bytes.bytes.clear();
        bytes.str(path);
        bytes.u64(record.stamp.size);
        bytes.u64(record.stamp.mtime_secs);
        bytes.u32(record.stamp.mtime_nanos);
        bytes.u64(record.hash);
        bytes.str(&record.language);
        bytes.bytes.extend_from_slice(stored);
        hashes.u64(xxh64(&bytes.bytes, 0));
        out.write_all(&(bytes.bytes.len() as u32).to_le_bytes())?;
        out.write_all(&bytes.bytes)?;
        count += 1;
    }
    out.write_all(&xxh64(&hashes.bytes, 0).to_le_bytes())?;
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    let mut counted = Writer::default();
    counted.len(count);
    file.seek(SeekFrom::Start(count_at))?;
    file.write_all(&counted.bytes)?;
    file.sync_all()
}
