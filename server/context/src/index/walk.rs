//! Indexing a whole root: walk it (ignore files, privacy, exclusions, project files), read and
//! parse the source files on low-priority worker threads (taking unchanged files' symbols from
//! the on-disk index instead), insert them in batches, drop files that are gone, resolve every
//! import, then write the on-disk index again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use infill_syntax::{ImportStyle, Language};

use super::Index;
use super::options::{IndexOptions, IndexReport, SkipReason, SkippedFile};
use super::persist::{self, LoadError, Previous, Record, Stamp, SymbolBytes};
use super::priority;
use super::state::FileEntry;
use crate::extract::{self, FileSymbols};
use crate::ids::FileId;
use crate::paths::normalize;
use crate::privacy::{self, PathFilter};
use crate::resolve::Resolution;

/// Parsed files are inserted this many at a time, under one write lock.
const INSERT_BATCH: usize = 128;
/// Imports are resolved this many files at a time under the read lock.
const RESOLVE_CHUNK: usize = 512;

/// What [`Index::parse_and_insert`] did.
struct Parsed {
    /// Paths read.
    seen: HashSet<PathBuf>,
    /// Ids inserted.
    inserted: Vec<FileId>,
    /// Records for the on-disk index (when persisting).
    records: Vec<Record>,
}

/// The on-disk index of the root being indexed.
struct Persist {
    file: PathBuf,
    root: PathBuf,
    fingerprint: u64,
    previous: Option<Previous>,
}

impl Persist {
    /// Writes the new file, unless every file was reused from the old one and none is gone.
    fn save(&self, records: &[Record], report: &IndexReport, index: &Index) {
        let unchanged = self.previous.as_ref().is_some_and(|previous| {
            report.reused == records.len() && previous.len() == records.len()
        });
        if unchanged {
            return;
        }
        // A fresh record's symbols are encoded from the index, one file at a time, while its
        // entry still holds the very text the record was read with (a buffer edited since then
        // is the editor's text, not the file's: left out, it is parsed again next time).
        let fresh = |record: &Record, out: &mut Vec<u8>| {
            let SymbolBytes::Fresh(text) = &record.symbols else { return false };
            let state = index.read();
            let Some(entry) = state.file_at(&record.path) else { return false };
            if !Arc::ptr_eq(&entry.text, text) {
                return false;
            }
            out.extend_from_slice(&persist::encode(&entry.symbols));
            true
        };
        match persist::save(
            &self.file,
            &self.root,
            self.fingerprint,
            records,
            self.previous.as_ref(),
            &fresh,
        ) {
            Ok(()) => {
                tracing::debug!(file = %self.file.display(), records = records.len(), "saved the index")
            }
            Err(error) => {
                tracing::warn!(file = %self.file.display(), %error, "could not save the index")
            }
        }
    }
}

/// What the walk found.
#[derive(Default)]
struct Walk {
    /// Source files to read, with their language.
    sources: Vec<(PathBuf, Arc<Language>)>,
    /// Project files, with the import styles that read them.
    project_files: Vec<(PathBuf, Vec<ImportStyle>, String)>,
}

impl Index {
    /// Indexes a root; see [`crate::WorkspaceIndex::index_root`].
    pub fn index_root(
        &self,
        root: &Path,
        options: &IndexOptions,
        progress: &dyn Fn(usize, usize),
    ) -> IndexReport {
        let started = Instant::now();
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| normalize(root));
        let mut report = IndexReport { root: root.clone(), ..IndexReport::default() };
        self.max_file_bytes.store(options.max_file_bytes, Ordering::Relaxed);
        let filter = {
            let mut state = self.write();
            state.add_root(&root);
            let roots = state.roots().to_vec();
            drop(state);
            let filter = Arc::new(PathFilter::new(roots, &options.exclude_globs));
            self.set_filter(filter.clone());
            filter
        };

        // The previous on-disk index loads while the walk runs.
        let (walk, persist) = std::thread::scope(|scope| {
            let loading = options
                .persist_dir
                .as_deref()
                .map(|dir| scope.spawn(|| self.load_previous(dir, &root)));
            let walk = self.walk(&root, options, &filter, &mut report);
            (walk, loading.and_then(|loading| loading.join().ok()))
        });
        {
            let mut state = self.write();
            for (path, styles, text) in &walk.project_files {
                for &style in styles {
                    state.note_project_file(style, path, text);
                }
            }
        }
        let previous = persist.as_ref().and_then(|persist| persist.previous.as_ref());
        let parsed = self.parse_and_insert(&walk.sources, options, previous, &mut report, progress);
        self.finish(&root, &parsed.seen, &parsed.inserted, &mut report);
        if let Some(persist) = &persist {
            persist.save(&parsed.records, &report, self);
        }
        report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::debug!(root = %root.display(), indexed = report.indexed, skipped = report.skipped.len(), ms = report.elapsed_ms, "indexed workspace root");
        report
    }

    /// Loads the on-disk index of `root` from `dir`; a file that cannot be used is ignored
    /// (and rewritten after this walk).
    fn load_previous(&self, dir: &Path, root: &Path) -> Persist {
        let file = persist::file_for(dir, root);
        let fingerprint = persist::fingerprint(&self.registry);
        let previous = match Previous::load(&file, root, fingerprint) {
            Ok(previous) => Some(previous),
            Err(LoadError::Unreadable(_)) if !file.exists() => None,
            Err(error) => {
                tracing::info!(file = %file.display(), %error, "rebuilding the on-disk index");
                None
            }
        };
        Persist { file, root: root.to_path_buf(), fingerprint, previous }
    }

    /// Decides per path: a source file to read, a project file (read now, it is small), or a
    /// skipped file with its reason.
    fn walk(
        &self,
        root: &Path,
        options: &IndexOptions,
        filter: &PathFilter,
        report: &mut IndexReport,
    ) -> Walk {
        let mut walk = Walk::default();
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .follow_links(false)
            .hidden(true)
            .git_ignore(options.respect_gitignore)
            .git_exclude(options.respect_gitignore)
            .git_global(false)
            .ignore(options.respect_gitignore)
            .parents(options.respect_gitignore)
            .require_git(false)
            .add_custom_ignore_filename(privacy::IGNORE_FILE_NAME);
        let mut sources = 0usize;
        for entry in builder.build() {
            let Ok(entry) = entry else { continue };
            let Some(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                continue;
            }
            let path = normalize(entry.path());
            let skip = |reason| SkippedFile { path: path.clone(), reason };
            if privacy::is_secret_path(&path) {
                report.skipped.push(skip(SkipReason::Secret));
                continue;
            }
            if filter.glob_excluded(root, &path) {
                report.skipped.push(skip(SkipReason::Excluded));
                continue;
            }
            let name = entry.file_name().to_str().unwrap_or_default();
            let styles = self.project_file_styles(name);
            if !styles.is_empty() && file_type.is_file() {
                if let Ok(text) = read_source(&path, super::options::DEFAULT_MAX_FILE_BYTES) {
                    walk.project_files.push((path, styles, text.to_string()));
                }
                continue;
            }
            let Some(language) = self.registry.for_path(&path) else {
                report.unsupported += 1;
                continue;
            };
            if file_type.is_symlink() {
                report.skipped.push(skip(SkipReason::Symlink));
                continue;
            }
            sources += 1;
            if sources > options.max_files {
                report.skipped.push(skip(SkipReason::TooManyFiles));
                continue;
            }
            walk.sources.push((path, language));
        }
        walk
    }

    /// The import styles of the languages that name `file_name` as a project file.
    fn project_file_styles(&self, file_name: &str) -> Vec<ImportStyle> {
        let mut styles = Vec::new();
        for language in self.registry.languages() {
            if let Some(rules) = &language.imports
                && rules.project_files.iter().any(|name| name == file_name)
                && !styles.contains(&rules.style)
            {
                styles.push(rules.style);
            }
        }
        styles
    }

    /// Reads and parses the sources on worker threads (at low priority when asked), inserting
    /// them in batches as results arrive; a file unchanged since `previous` was written takes
    /// its symbols from there instead of being parsed. Returns the paths read, the ids inserted
    /// and, when persisting, a record per file read.
    fn parse_and_insert(
        &self,
        jobs: &[(PathBuf, Arc<Language>)],
        options: &IndexOptions,
        previous: Option<&Previous>,
        report: &mut IndexReport,
        progress: &dyn Fn(usize, usize),
    ) -> Parsed {
        let total = jobs.len();
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            options.threads
        }
        .clamp(1, 64)
        .min(total.max(1));
        let next = AtomicUsize::new(0);
        let limit = options.max_file_bytes;
        let persist = options.persist_dir.is_some();
        let mut parsed = Parsed {
            seen: HashSet::with_capacity(total),
            inserted: Vec::with_capacity(total),
            records: Vec::with_capacity(if persist { total } else { 0 }),
        };
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::sync_channel::<Result<Prepared, SkippedFile>>(256);
            for _ in 0..threads {
                let sender = sender.clone();
                let next = &next;
                scope.spawn(move || {
                    if options.low_priority {
                        priority::lower_this_thread();
                    }
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, language)) = jobs.get(at) else { break };
                        let result = match read_file(path, limit, persist) {
                            Ok(read) => Ok(prepare(language, path, read, persist, previous)),
                            Err(reason) => Err(SkippedFile { path: path.clone(), reason }),
                        };
                        if sender.send(result).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let mut done = 0;
            let mut batch: Vec<FileEntry> = Vec::with_capacity(INSERT_BATCH);
            let flush = |batch: &mut Vec<FileEntry>, inserted: &mut Vec<FileId>| {
                if batch.is_empty() {
                    return;
                }
                let mut state = self.write();
                for entry in batch.drain(..) {
                    inserted.push(state.insert(entry));
                }
            };
            for result in receiver {
                done += 1;
                match result {
                    Ok(prepared) => {
                        let entry = prepared.entry;
                        report.indexed += 1;
                        report.reused += usize::from(prepared.reused);
                        report.bytes += entry.text.len() as u64;
                        parsed.seen.insert(entry.path.clone());
                        parsed.records.extend(prepared.record);
                        batch.push(entry);
                        if batch.len() >= INSERT_BATCH {
                            flush(&mut batch, &mut parsed.inserted);
                        }
                    }
                    Err(skipped) => report.skipped.push(skipped),
                }
                if done % 64 == 0 || done == total {
                    progress(done, total);
                }
            }
            flush(&mut batch, &mut parsed.inserted);
        });
        if total == 0 {
            progress(0, 0);
        }
        parsed
    }

    /// Drops files of `root` that were not seen, then resolves the imports of the inserted files
    /// (under the read lock in chunks, applied under the write lock).
    fn finish(
        &self,
        root: &Path,
        seen: &HashSet<PathBuf>,
        inserted: &[FileId],
        report: &mut IndexReport,
    ) {
        let stale: Vec<FileId> = {
            let state = self.read();
            state
                .paths()
                .filter(|path| path.starts_with(root) && !seen.contains(*path))
                .filter_map(|path| state.id_of(path))
                .collect()
        };
        {
            let mut state = self.write();
            for id in &stale {
                state.remove(*id);
            }
        }
        for chunk in inserted.chunks(RESOLVE_CHUNK) {
            let resolved: Vec<(FileId, Vec<Resolution>)> = {
                let state = self.read();
                chunk.iter().map(|&id| (id, state.resolutions(id))).collect()
            };
            let mut state = self.write();
            for (id, resolutions) in resolved {
                report.unresolved_imports +=
                    resolutions.iter().filter(|r| **r == Resolution::Unresolved).count();
                state.apply_resolutions(id, resolutions);
            }
        }
        if !stale.is_empty() {
            let mut state = self.write();
            state.reresolve_around(&[], &stale);
        }
    }
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// A file read from disk: its text, and when persisting its stamp and content hash.
pub(super) struct Read {
    pub text: Arc<str>,
    pub stamp: Stamp,
    pub hash: u64,
}

/// A file ready to insert, and its record for the on-disk index.
struct Prepared {
    entry: FileEntry,
    record: Option<Record>,
    /// Whether the symbols came from the on-disk index.
    reused: bool,
}

/// Takes a file's symbols from the on-disk index when it is unchanged, else parses and
/// extracts them.
fn prepare(
    language: &Arc<Language>,
    path: &Path,
    read: Read,
    persist: bool,
    previous: Option<&Previous>,
) -> Prepared {
    let Read { text, stamp, hash } = read;
    let known =
        previous.and_then(|previous| previous.reuse(path, stamp, hash, &language.name, &text));
    let reused = known.is_some();
    let (symbols, bytes) = match known {
        Some((symbols, range)) => (symbols, Some(SymbolBytes::Previous(range))),
        None => {
            // Function bodies skipped: a faster parse, the same ranges (see `extract::outline`).
            let bodies = extract::function_bodies(&language.name, &text);
            let symbols = match infill_syntax::parse_skipping(language, &text, &bodies) {
                Some(tree) => extract::extract_skipping(language, &tree, &text, &bodies),
                None => FileSymbols::default(),
            };
            (symbols, persist.then(|| SymbolBytes::Fresh(text.clone())))
        }
    };
    let record = bytes.map(|symbols| Record {
        path: path.to_path_buf(),
        language: language.name.clone(),
        stamp,
        hash,
        symbols,
    });
    let entry = FileEntry::new(path.to_path_buf(), Some(language.clone()), text, symbols);
    Prepared { entry, record, reused }
}

/// Reads a source file: never a symlink, at most `limit` bytes, not binary; invalid UTF-8 is
/// replaced.
pub(super) fn read_source(path: &Path, limit: u64) -> Result<Arc<str>, SkipReason> {
    read_file(path, limit, false).map(|read| read.text)
}

/// [`read_source`], with the file's stamp and, when `hash` is set, the XXH64 of its bytes.
fn read_file(path: &Path, limit: u64, hash: bool) -> Result<Read, SkipReason> {
    let metadata = std::fs::symlink_metadata(path)
        .map_err(|e| SkipReason::Unreadable { error: e.to_string() })?;
    if metadata.file_type().is_symlink() {
        return Err(SkipReason::Symlink);
    }
    if metadata.len() > limit {
        return Err(SkipReason::TooLarge { bytes: metadata.len(), limit });
    }
    let bytes = std::fs::read(path).map_err(|e| SkipReason::Unreadable { error: e.to_string() })?;
    if is_binary(&bytes) {
        return Err(SkipReason::Binary);
    }
    let hash = if hash { persist::xxh64(&bytes, 0) } else { 0 };
    let text = match String::from_utf8(bytes) {
        Ok(text) => Arc::from(text),
        Err(error) => Arc::from(String::from_utf8_lossy(error.as_bytes()).into_owned()),
    };
    Ok(Read { text, stamp: Stamp::of(&metadata), hash })
}
