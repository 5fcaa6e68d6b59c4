//! The workspace index: files, their symbols and imports, the dependency graph and the inverted
//! indexes the ranker reads. One [`WorkspaceIndex`] serves a whole session; it is `Send + Sync`
//! with interior locking. Parsing always happens outside the lock, and writers hold it only to
//! swap in finished entries, so a ranking request never waits behind a long parse.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, mpsc};
use std::time::Instant;

use infill_syntax::{Language, LanguageRegistry};
use serde::Serialize;
use tree_sitter::{InputEdit, Parser, Point, Tree};

use crate::extract::{self, DefKind, FileSymbols, Import};
use crate::lexical::Token;
use crate::privacy::{self, PathFilter};
use crate::resolve::{self, Lookup, Project, Resolution, normalize};

/// A file's slot in the index. Ids are reused after removal.
pub type FileId = u32;

/// How [`WorkspaceIndex::index_root`] walks.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Files larger than this are skipped (reason [`SkipReason::TooLarge`]). Default 1 MB.
    pub max_file_bytes: u64,
    /// Extra exclusions (gitignore-style globs relative to the root, or bare names).
    pub exclude_globs: Vec<String>,
    /// Parser threads; 0 means one per available core.
    pub threads: usize,
    /// Honour `.gitignore`, `.ignore` and git excludes (`.infillignore` is always honoured).
    pub respect_gitignore: bool,
    /// At most this many source files are indexed per root; the rest are skipped.
    pub max_files: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_file_bytes: 1_000_000,
            exclude_globs: Vec::new(),
            threads: 0,
            respect_gitignore: true,
            max_files: 200_000,
        }
    }
}

/// Why a file was not indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than [`IndexOptions::max_file_bytes`].
    TooLarge { bytes: u64, limit: u64 },
    /// Its name marks a credentials file ([`privacy::is_secret_path`]); never read.
    Secret,
    /// Excluded by [`IndexOptions::exclude_globs`].
    Excluded,
    /// A symbolic link; links are never followed.
    Symlink,
    /// Reading failed.
    Unreadable { error: String },
    /// Past [`IndexOptions::max_files`].
    TooManyFiles,
}

/// One skipped file and why.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub path: PathBuf,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// The outcome of indexing one root: never a failure as a whole.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    pub root: PathBuf,
    /// Source files indexed.
    pub indexed: usize,
    /// Total bytes of the indexed files.
    pub bytes: u64,
    /// Files of no known language (not read).
    pub unsupported: usize,
    pub skipped: Vec<SkippedFile>,
    /// Imports that looked like workspace imports but matched no file.
    pub unresolved_imports: usize,
    pub elapsed_ms: u64,
}

/// A definition as the index reports it.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionInfo {
    pub path: PathBuf,
    pub name: String,
    pub kind: DefKind,
    /// Zero-based, inclusive.
    pub start_line: u32,
    pub end_line: u32,
    pub byte_range: (usize, usize),
    /// The enclosing definition's name (a method's class or impl).
    pub container: Option<String>,
    pub extends: Vec<String>,
}

/// An import and what it resolved to.
#[derive(Debug, Clone, Serialize)]
pub struct ImportInfo {
    #[serde(flatten)]
    pub import: Import,
    /// `resolved`, `external` or `unresolved`.
    pub status: &'static str,
    pub files: Vec<PathBuf>,
}

/// What the index knows about one file (for inspection, tests and `infill context`).
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    pub path: PathBuf,
    pub language: Option<String>,
    pub definitions: Vec<DefinitionInfo>,
    pub imports: Vec<ImportInfo>,
    /// Files that import this one.
    pub importers: Vec<PathBuf>,
    pub packages: Vec<String>,
    /// Definitions elsewhere that this file's classes extend or implement, `(name, file)`.
    pub extends: Vec<(String, PathBuf)>,
}

pub(crate) struct FileEntry {
    pub path: PathBuf,
    pub language: Option<Arc<Language>>,
    pub text: Arc<str>,
    pub symbols: FileSymbols,
    /// Parallel to `symbols.imports`.
    pub resolved: Vec<Resolution>,
    /// Union of resolved import targets.
    pub imports: Vec<FileId>,
    pub version: u64,
    /// Logical clock values of the last open and edit (0 = never).
    pub opened: u64,
    pub edited: u64,
}

/// A posting list that stops listing files once a token is common.
#[derive(Default)]
pub(crate) struct Postings {
    pub df: u32,
    pub files: Vec<FileId>,
}

/// How many recently used files the index remembers.
const RECENT_FILES_KEPT: usize = 64;

/// Tokens in more files than this are "common": only their count is kept.
pub(crate) const POSTINGS_CAP: u32 = 256;

#[derive(Default)]
pub(crate) struct State {
    pub files: Vec<Option<FileEntry>>,
    free: Vec<FileId>,
    pub by_path: HashMap<PathBuf, FileId>,
    pub dir_files: HashMap<PathBuf, Vec<FileId>>,
    pub packages: HashMap<String, Vec<FileId>>,
    /// Definition name → files that define it (each once).
    pub defs_by_name: HashMap<Box<str>, Vec<FileId>>,
    /// File → files that import it.
    pub importers: HashMap<FileId, Vec<FileId>>,
    /// Referenced-token hash → files.
    pub postings: HashMap<Token, Postings>,
    pub project: Project,
    pub roots: Vec<PathBuf>,
    /// Path segment or imported name of a not-yet-resolved import → files waiting on it; a new
    /// file whose stem, directory or package matches a key re-resolves them.
    waiting: HashMap<Box<str>, HashSet<FileId>>,
    pub clock: u64,
    pub live_files: usize,
    /// Most recently opened or edited files, newest first.
    pub recent: Vec<FileId>,
}

impl State {
    pub fn file(&self, id: FileId) -> Option<&FileEntry> {
        self.files.get(id as usize).and_then(Option::as_ref)
    }

    fn alloc(&mut self) -> FileId {
        if let Some(id) = self.free.pop() {
            return id;
        }
        self.files.push(None);
        (self.files.len() - 1) as FileId
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Adds an entry's contributions to the inverted indexes (not its import edges).
    fn link(&mut self, id: FileId, entry: &FileEntry) {
        self.by_path.insert(entry.path.clone(), id);
        if let Some(dir) = entry.path.parent() {
            push_unique(self.dir_files.entry(dir.to_path_buf()).or_default(), id);
        }
        for package in &entry.symbols.packages {
            push_unique(self.packages.entry(package.clone()).or_default(), id);
        }
        self.add_names(id, def_names(&entry.symbols));
        self.add_tokens(id, &entry.symbols.tokens);
    }

    fn unlink(&mut self, id: FileId, entry: &FileEntry) {
        self.by_path.remove(&entry.path);
        if let Some(dir) = entry.path.parent() {
            remove_from(&mut self.dir_files, &dir.to_path_buf(), id);
        }
        for package in &entry.symbols.packages {
            remove_from(&mut self.packages, package, id);
        }
        self.remove_names(id, def_names(&entry.symbols));
        self.remove_tokens(id, &entry.symbols.tokens);
        self.set_edges(id, &entry.imports, &[]);
    }

    fn add_names<'a>(&mut self, id: FileId, names: impl Iterator<Item = &'a str>) {
        for name in names {
            match self.defs_by_name.get_mut(name) {
                Some(list) => push_unique(list, id),
                None => {
                    self.defs_by_name.insert(name.into(), vec![id]);
                }
            }
        }
    }

    fn remove_names<'a>(&mut self, id: FileId, names: impl Iterator<Item = &'a str>) {
        for name in names {
            if let Some(list) = self.defs_by_name.get_mut(name) {
                list.retain(|&other| other != id);
                if list.is_empty() {
                    self.defs_by_name.remove(name);
                }
            }
        }
    }

    fn add_tokens(&mut self, id: FileId, tokens: &[Token]) {
        for &token in tokens {
            let postings = self.postings.entry(token).or_default();
            postings.df += 1;
            if postings.df <= POSTINGS_CAP {
                postings.files.push(id);
            } else if !postings.files.is_empty() {
                postings.files = Vec::new();
            }
        }
    }

    fn remove_tokens(&mut self, id: FileId, tokens: &[Token]) {
        for token in tokens {
            if let Some(postings) = self.postings.get_mut(token) {
                postings.df = postings.df.saturating_sub(1);
                if let Some(at) = postings.files.iter().position(|&other| other == id) {
                    postings.files.swap_remove(at);
                }
                if postings.df == 0 {
                    self.postings.remove(token);
                }
            }
        }
    }

    /// Replaces `id`'s outgoing import edges, keeping the reverse map right.
    fn set_edges(&mut self, id: FileId, old: &[FileId], new: &[FileId]) {
        for target in old {
            if !new.contains(target) {
                remove_from(&mut self.importers, target, id);
            }
        }
        for &target in new {
            if !old.contains(&target) && target != id {
                push_unique(self.importers.entry(target).or_default(), id);
            }
        }
    }

    /// Resolves every import of `id` against the current file set.
    fn resolutions(&self, id: FileId) -> Vec<Resolution> {
        let Some(entry) = self.file(id) else { return Vec::new() };
        let options = entry.language.as_ref().and_then(|language| language.imports.as_ref());
        let path_of = |other: FileId| self.file(other).map(|entry| entry.path.as_path());
        let lookup = Lookup {
            file_ids: &self.by_path,
            dir_files: &self.dir_files,
            packages: &self.packages,
            path_of: &path_of,
            project: &self.project,
            roots: &self.roots,
        };
        entry
            .symbols
            .imports
            .iter()
            .map(|import| resolve::resolve(options, &lookup, &entry.path, import))
            .collect()
    }

    /// Stores resolutions for `id` and updates edges.
    fn apply_resolutions(&mut self, id: FileId, resolved: Vec<Resolution>) {
        let mut targets: Vec<FileId> = resolved
            .iter()
            .flat_map(|resolution| match resolution {
                Resolution::Files(ids) => ids.as_slice(),
                _ => &[],
            })
            .copied()
            .filter(|&target| target != id)
            .collect();
        targets.sort_unstable();
        targets.dedup();
        let Some(entry) = self.files.get_mut(id as usize).and_then(Option::as_mut) else { return };
        let mut keys: Vec<Box<str>> = Vec::new();
        for (import, resolution) in entry.symbols.imports.iter().zip(&resolved) {
            if matches!(resolution, Resolution::Files(_)) {
                continue;
            }
            let segments = import.path.split(['.', '/', ':', '\\']);
            for key in segments.chain(import.names.iter().map(String::as_str)) {
                if !key.is_empty() {
                    keys.push(key.to_ascii_lowercase().into());
                }
            }
        }
        let old = std::mem::replace(&mut entry.imports, targets.clone());
        entry.resolved = resolved;
        self.set_edges(id, &old, &targets);
        for key in keys {
            self.waiting.entry(key).or_default().insert(id);
        }
    }

    fn resolve_file(&mut self, id: FileId) {
        let resolved = self.resolutions(id);
        self.apply_resolutions(id, resolved);
    }

    /// After files appear or disappear: re-resolve files whose resolution could change — those
    /// waiting on the new file's stem, directory or package, the importers of removed files and
    /// of files in the same directories (package-style imports resolve to a directory).
    fn reresolve_around(&mut self, changed: &[PathBuf], removed_ids: &[FileId]) {
        let mut todo: HashSet<FileId> = HashSet::new();
        for id in removed_ids {
            if let Some(list) = self.importers.get(id) {
                todo.extend(list.iter().copied());
            }
        }
        for path in changed {
            let mut keys: Vec<String> = Vec::new();
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                keys.push(stem.split('.').next().unwrap_or(stem).to_ascii_lowercase());
            }
            if let Some(dir) = path.parent().and_then(|d| d.file_name()).and_then(|d| d.to_str()) {
                keys.push(dir.to_ascii_lowercase());
            }
            if let Some(&id) = self.by_path.get(path)
                && let Some(entry) = self.file(id)
            {
                for package in &entry.symbols.packages {
                    keys.extend(package.split(['.', ':']).map(str::to_ascii_lowercase));
                }
            }
            for key in keys {
                if let Some(waiting) = self.waiting.remove(key.as_str()) {
                    todo.extend(waiting);
                }
            }
            if let Some(dir) = path.parent()
                && let Some(ids) = self.dir_files.get(dir)
            {
                for sibling in ids.clone() {
                    if let Some(list) = self.importers.get(&sibling) {
                        todo.extend(list.iter().copied());
                    }
                }
            }
        }
        for id in todo {
            if self.file(id).is_some() {
                self.resolve_file(id);
            }
        }
    }

    fn insert(&mut self, mut entry: FileEntry) -> FileId {
        entry.version = self.tick();
        if let Some(&id) = self.by_path.get(&entry.path) {
            self.replace(id, entry);
            return id;
        }
        let id = self.alloc();
        self.link(id, &entry);
        self.files[id as usize] = Some(entry);
        self.live_files += 1;
        id
    }

    /// Swaps a file's content, diffing the inverted indexes so a small edit stays cheap.
    fn replace(&mut self, id: FileId, mut entry: FileEntry) {
        let Some(old) = self.files.get_mut(id as usize).and_then(Option::take) else {
            self.link(id, &entry);
            self.files[id as usize] = Some(entry);
            return;
        };
        let old_names: HashSet<&str> = def_names(&old.symbols).collect();
        let new_names: HashSet<&str> = def_names(&entry.symbols).collect();
        let gone: Vec<String> = old_names.difference(&new_names).map(|s| (*s).to_owned()).collect();
        let added: Vec<String> =
            new_names.difference(&old_names).map(|s| (*s).to_owned()).collect();
        self.remove_names(id, gone.iter().map(String::as_str));
        self.add_names(id, added.iter().map(String::as_str));
        let (gone, added) = sorted_diff(&old.symbols.tokens, &entry.symbols.tokens);
        self.remove_tokens(id, &gone);
        self.add_tokens(id, &added);
        if old.symbols.packages != entry.symbols.packages {
            for package in &old.symbols.packages {
                remove_from(&mut self.packages, package, id);
            }
            for package in &entry.symbols.packages {
                push_unique(self.packages.entry(package.clone()).or_default(), id);
            }
        }
        entry.opened = entry.opened.max(old.opened);
        entry.edited = entry.edited.max(old.edited);
        entry.imports = old.imports;
        entry.resolved = Vec::new();
        self.files[id as usize] = Some(entry);
    }

    /// Moves `id` to the front of the recency list.
    fn touch(&mut self, id: FileId) {
        self.recent.retain(|&other| other != id);
        self.recent.insert(0, id);
        self.recent.truncate(RECENT_FILES_KEPT);
    }

    fn remove(&mut self, id: FileId) -> Option<FileEntry> {
        let entry = self.files.get_mut(id as usize).and_then(Option::take)?;
        self.recent.retain(|&other| other != id);
        self.unlink(id, &entry);
        self.importers.remove(&id);
        self.free.push(id);
        self.live_files -= 1;
        Some(entry)
    }
}

fn def_names(symbols: &FileSymbols) -> impl Iterator<Item = &str> {
    let mut seen: HashSet<&str> = HashSet::new();
    symbols.definitions.iter().map(|def| &*def.name).filter(move |name| seen.insert(name))
}

/// Elements only in `old` and only in `new`, for two sorted, deduplicated slices.
fn sorted_diff(old: &[Token], new: &[Token]) -> (Vec<Token>, Vec<Token>) {
    let (mut i, mut j) = (0, 0);
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                gone.push(*a);
                i += 1;
            }
            (Some(_), Some(b)) => {
                added.push(*b);
                j += 1;
            }
            (Some(a), None) => {
                gone.push(*a);
                i += 1;
            }
            (None, Some(b)) => {
                added.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (gone, added)
}

fn push_unique(list: &mut Vec<FileId>, id: FileId) {
    if !list.contains(&id) {
        list.push(id);
    }
}

fn remove_from<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<FileId>>, key: &K, id: FileId) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|&other| other != id);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// What an incremental reparse knows beyond the tree: the edit, the previous text and the
/// ranges whose syntax changed.
type Reparsed = (InputEdit, Arc<str>, Vec<tree_sitter::Range>);

/// The last tree of a recently updated file, for incremental reparsing.
struct CachedTree {
    text: Arc<str>,
    tree: Tree,
    language: String,
}

const TREE_CACHE_FILES: usize = 32;

/// The workspace index. See the crate docs for the overall design.
pub struct WorkspaceIndex {
    registry: Arc<LanguageRegistry>,
    pub(crate) state: RwLock<State>,
    filter: RwLock<Arc<PathFilter>>,
    trees: Mutex<Vec<(PathBuf, CachedTree)>>,
    pub(crate) windows: crate::rank::WindowCache,
}

impl std::fmt::Debug for WorkspaceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.read();
        f.debug_struct("WorkspaceIndex")
            .field("roots", &state.roots)
            .field("files", &state.live_files)
            .finish()
    }
}

impl Default for WorkspaceIndex {
    fn default() -> Self {
        WorkspaceIndex::new(LanguageRegistry::builtin())
    }
}

/// Text read from disk or an editor, ready to be parsed.
struct Prepared {
    path: PathBuf,
    language: Option<Arc<Language>>,
    text: Arc<str>,
    symbols: FileSymbols,
}

enum Walked {
    Source(PathBuf, Arc<Language>),
    Skipped(SkippedFile),
}

fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

fn prepare(language: Arc<Language>, path: PathBuf, text: Arc<str>) -> Prepared {
    let symbols = match infill_syntax::parse(&language, &text) {
        Some(tree) => extract::extract(&language, &tree, &text),
        None => FileSymbols::default(),
    };
    Prepared { path, language: Some(language), text, symbols }
}

fn read_source(path: &Path, limit: u64) -> Result<Arc<str>, SkipReason> {
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
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Arc::from(text),
        Err(error) => Arc::from(String::from_utf8_lossy(error.as_bytes()).into_owned()),
    })
}

impl WorkspaceIndex {
    /// An empty index over the languages of `registry`.
    pub fn new(registry: Arc<LanguageRegistry>) -> WorkspaceIndex {
        WorkspaceIndex {
            registry,
            state: RwLock::new(State::default()),
            filter: RwLock::new(Arc::new(PathFilter::default())),
            trees: Mutex::new(Vec::new()),
            windows: crate::rank::WindowCache::default(),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn filter(&self) -> Arc<PathFilter> {
        self.filter
            .read()
            .map(|f| f.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The language registry this index uses.
    pub fn registry(&self) -> &Arc<LanguageRegistry> {
        &self.registry
    }

    /// The workspace roots indexed so far.
    pub fn roots(&self) -> Vec<PathBuf> {
        self.read().roots.clone()
    }

    /// Number of indexed files.
    pub fn len(&self) -> usize {
        self.read().live_files
    }

    /// Whether no file is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Normalizes an incoming path: absolute, `.`/`..` resolved lexically; when the lexical form
    /// is not under a root, the canonical form is tried (it may be a symlinked root).
    fn normalize_path(&self, path: &Path) -> PathBuf {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().map(|dir| dir.join(path)).unwrap_or_else(|_| path.to_path_buf())
        };
        let lexical = normalize(&absolute);
        let state = self.read();
        if state.roots.iter().any(|root| lexical.starts_with(root)) {
            return lexical;
        }
        drop(state);
        std::fs::canonicalize(&lexical).unwrap_or(lexical)
    }

    /// Walks `root` and indexes every source file of a known language. Files already indexed
    /// under this root are replaced; files gone from it are dropped. `progress(done, total)` is
    /// called from this thread as files finish.
    pub fn index_root(
        &self,
        root: &Path,
        options: &IndexOptions,
        progress: &dyn Fn(usize, usize),
    ) -> IndexReport {
        let started = Instant::now();
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| normalize(root));
        let mut report = IndexReport { root: root.clone(), ..IndexReport::default() };
        {
            let mut state = self.write();
            if !state.roots.contains(&root) {
                state.roots.push(root.clone());
            }
            let roots = state.roots.clone();
            drop(state);
            let filter = Arc::new(PathFilter::new(roots, &options.exclude_globs));
            if let Ok(mut slot) = self.filter.write() {
                *slot = filter;
            }
        }
        let filter = self.filter();

        // 1. Walk: decide per path, read the small project files inline.
        let mut walked = Vec::new();
        let mut project_files: Vec<(PathBuf, String)> = Vec::new();
        let mut builder = ignore::WalkBuilder::new(&root);
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
            if privacy::is_secret_path(&path) {
                walked.push(Walked::Skipped(SkippedFile { path, reason: SkipReason::Secret }));
                continue;
            }
            if filter.glob_excluded(&root, &path) {
                walked.push(Walked::Skipped(SkippedFile { path, reason: SkipReason::Excluded }));
                continue;
            }
            let name = entry.file_name().to_str().unwrap_or_default();
            if matches!(name, "go.mod" | "tsconfig.json" | "jsconfig.json" | "Cargo.toml")
                && file_type.is_file()
            {
                if let Ok(text) = read_source(&path, 1_000_000) {
                    project_files.push((path.clone(), text.to_string()));
                }
                continue;
            }
            let Some(language) = self.registry.for_path(&path) else {
                report.unsupported += 1;
                continue;
            };
            if file_type.is_symlink() {
                walked.push(Walked::Skipped(SkippedFile { path, reason: SkipReason::Symlink }));
                continue;
            }
            sources += 1;
            if sources > options.max_files {
                walked
                    .push(Walked::Skipped(SkippedFile { path, reason: SkipReason::TooManyFiles }));
                continue;
            }
            walked.push(Walked::Source(path, language));
        }
        {
            let mut state = self.write();
            for (path, text) in &project_files {
                state.project.note_file(path, text);
            }
        }
        let mut jobs = Vec::new();
        for item in walked {
            match item {
                Walked::Source(path, language) => jobs.push((path, language)),
                Walked::Skipped(skipped) => report.skipped.push(skipped),
            }
        }

        // 2. Read and parse in parallel; insert in batches as results arrive.
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
        let mut seen: HashSet<PathBuf> = HashSet::with_capacity(total);
        let mut inserted: Vec<FileId> = Vec::with_capacity(total);
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::sync_channel::<Result<Prepared, SkippedFile>>(256);
            for _ in 0..threads {
                let sender = sender.clone();
                let jobs = &jobs;
                let next = &next;
                scope.spawn(move || {
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, language)) = jobs.get(at) else { break };
                        let result = match read_source(path, limit) {
                            Ok(text) => Ok(prepare(language.clone(), path.clone(), text)),
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
            let mut batch: Vec<Prepared> = Vec::with_capacity(128);
            let flush = |batch: &mut Vec<Prepared>, inserted: &mut Vec<FileId>| {
                if batch.is_empty() {
                    return;
                }
                let mut state = self.write();
                for prepared in batch.drain(..) {
                    let entry = FileEntry {
                        path: prepared.path,
                        language: prepared.language,
                        text: prepared.text,
                        symbols: prepared.symbols,
                        resolved: Vec::new(),
                        imports: Vec::new(),
                        version: 0,
                        opened: 0,
                        edited: 0,
                    };
                    inserted.push(state.insert(entry));
                }
            };
            for result in receiver {
                done += 1;
                match result {
                    Ok(prepared) => {
                        report.indexed += 1;
                        report.bytes += prepared.text.len() as u64;
                        seen.insert(prepared.path.clone());
                        batch.push(prepared);
                        if batch.len() >= 128 {
                            flush(&mut batch, &mut inserted);
                        }
                    }
                    Err(skipped) => report.skipped.push(skipped),
                }
                if done % 64 == 0 || done == total {
                    progress(done, total);
                }
            }
            flush(&mut batch, &mut inserted);
        });
        if total == 0 {
            progress(0, 0);
        }

        // 3. Drop files of this root that are gone, then resolve imports.
        let stale: Vec<FileId> = {
            let state = self.read();
            state
                .by_path
                .iter()
                .filter(|(path, _)| path.starts_with(&root) && !seen.contains(*path))
                .map(|(_, &id)| id)
                .collect()
        };
        {
            let mut state = self.write();
            for id in &stale {
                state.remove(*id);
            }
        }
        // Resolve under the read lock in chunks, apply under the write lock.
        for chunk in inserted.chunks(512) {
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
        report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::info!(root = %root.display(), indexed = report.indexed, skipped = report.skipped.len(), ms = report.elapsed_ms, "indexed workspace root");
        report
    }

    /// Re-extracts one file from the editor's text (didOpen/didChange/didSave). Returns false when
    /// the file may not be indexed (outside the roots, a secret, excluded, no known language).
    /// Reparses incrementally from the last tree when it has one.
    pub fn update_file(&self, path: &Path, text: &str) -> bool {
        let path = self.normalize_path(path);
        if self.filter().check(&path).is_err() {
            // Never keep a file the filter refuses, even if it was indexed before.
            self.remove_file(&path);
            return false;
        }
        let Some(language) = self.registry.for_path(&path) else { return false };
        let unchanged = {
            let state = self.read();
            state
                .by_path
                .get(&path)
                .and_then(|&id| state.file(id))
                .filter(|entry| &*entry.text == text)
                .map(|entry| entry.text.clone())
        };
        if let Some(text) = unchanged {
            // didOpen of an indexed file: nothing to re-extract, but keep a tree so the
            // keystrokes that follow reparse and re-extract incrementally.
            let cached = self.trees.lock().is_ok_and(|trees| trees.iter().any(|(p, _)| *p == path));
            if !cached {
                self.reparse(&path, &language, &text);
            }
            return true;
        }
        let text: Arc<str> = Arc::from(text);
        let symbols = match self.reparse(&path, &language, &text) {
            Some((tree, Some((edit, old_text, changed)))) => {
                // Splice: re-extract only the top-level items the edit touched, when the index
                // still holds the symbols of exactly the text the cached tree was parsed from.
                let state = self.read();
                let old = state.by_path.get(&path).and_then(|&id| state.file(id));
                let spliced = old.filter(|old| *old.text == *old_text).and_then(|old| {
                    extract::extract_incremental(
                        &language,
                        &tree,
                        &text,
                        &old.symbols,
                        &old_text,
                        &edit,
                        &changed,
                    )
                });
                drop(state);
                spliced.unwrap_or_else(|| extract::extract(&language, &tree, &text))
            }
            Some((tree, None)) => extract::extract(&language, &tree, &text),
            None => FileSymbols::default(),
        };
        let mut state = self.write();
        let is_new = !state.by_path.contains_key(&path);
        let version = state.tick();
        let packages_before = state
            .by_path
            .get(&path)
            .and_then(|&id| state.file(id))
            .map(|e| e.symbols.packages.clone());
        let entry = FileEntry {
            path: path.clone(),
            language: Some(language),
            text,
            symbols,
            resolved: Vec::new(),
            imports: Vec::new(),
            version,
            opened: 0,
            edited: 0,
        };
        let packages_after = entry.symbols.packages.clone();
        let id = state.insert(entry);
        state.resolve_file(id);
        if is_new || packages_before.is_some_and(|before| before != packages_after) {
            state.reresolve_around(std::slice::from_ref(&path), &[]);
        }
        true
    }

    /// Parses `text`, reusing the cached tree of the file's previous text when there is one.
    fn reparse(
        &self,
        path: &Path,
        language: &Arc<Language>,
        text: &Arc<str>,
    ) -> Option<(Tree, Option<Reparsed>)> {
        let ts_language = language.ts_language()?;
        let previous = self.trees.lock().ok().and_then(|mut trees| {
            let at = trees
                .iter()
                .position(|(p, cached)| p == path && cached.language == language.name)?;
            Some(trees.swap_remove(at).1)
        });
        let mut parser = Parser::new();
        parser.set_language(&ts_language).ok()?;
        let (tree, edit) = match previous {
            Some(mut cached) => {
                let edit = diff_edit(&cached.text, text);
                cached.tree.edit(&edit);
                let tree = parser.parse(text.as_bytes(), Some(&cached.tree))?;
                let changed: Vec<tree_sitter::Range> = cached.tree.changed_ranges(&tree).collect();
                (tree, Some((edit, cached.text, changed)))
            }
            None => (parser.parse(text.as_bytes(), None)?, None),
        };
        if let Ok(mut trees) = self.trees.lock() {
            if trees.len() >= TREE_CACHE_FILES {
                trees.remove(0);
            }
            trees.push((
                path.to_path_buf(),
                CachedTree {
                    text: text.clone(),
                    tree: tree.clone(),
                    language: language.name.clone(),
                },
            ));
        }
        Some((tree, edit))
    }

    /// Drops a file (deleted on disk or closed outside the roots).
    pub fn remove_file(&self, path: &Path) -> bool {
        let path = normalize(path);
        if let Ok(mut trees) = self.trees.lock() {
            trees.retain(|(p, _)| p != &path);
        }
        let mut state = self.write();
        let Some(&id) = state.by_path.get(&path) else { return false };
        let importers = state.importers.get(&id).cloned().unwrap_or_default();
        state.remove(id);
        for importer in importers {
            if state.file(importer).is_some() {
                state.resolve_file(importer);
            }
        }
        state.reresolve_around(std::slice::from_ref(&path), &[]);
        true
    }

    /// Moves a file; its importers are re-resolved (they may now point nowhere) and so are
    /// files whose imports now find it.
    pub fn rename_file(&self, from: &Path, to: &Path) -> bool {
        let from = normalize(from);
        let to = self.normalize_path(to);
        let text = {
            let state = self.read();
            state.by_path.get(&from).and_then(|&id| state.file(id)).map(|entry| entry.text.clone())
        };
        let (opened, edited) = {
            let state = self.read();
            state
                .by_path
                .get(&from)
                .and_then(|&id| state.file(id))
                .map_or((0, 0), |e| (e.opened, e.edited))
        };
        let removed = self.remove_file(&from);
        let text = match text {
            Some(text) => text,
            None => match read_source(&to, IndexOptions::default().max_file_bytes) {
                Ok(text) => text,
                Err(_) => return removed,
            },
        };
        let added = self.update_file(&to, &text);
        if added {
            let mut state = self.write();
            if let Some(&id) = state.by_path.get(&to)
                && let Some(entry) = state.files.get_mut(id as usize).and_then(Option::as_mut)
            {
                entry.opened = opened;
                entry.edited = edited;
                if opened.max(edited) > 0 {
                    state.touch(id);
                }
            }
        }
        removed || added
    }

    /// Records that the editor opened (or focused) a file, for recency.
    pub fn note_opened(&self, path: &Path) {
        let path = normalize(path);
        let mut state = self.write();
        let now = state.tick();
        if let Some(&id) = state.by_path.get(&path)
            && let Some(entry) = state.files.get_mut(id as usize).and_then(Option::as_mut)
        {
            entry.opened = now;
            state.touch(id);
        }
    }

    /// Records that the user edited a file, for recency.
    pub fn note_edited(&self, path: &Path) {
        let path = normalize(path);
        let mut state = self.write();
        let now = state.tick();
        if let Some(&id) = state.by_path.get(&path)
            && let Some(entry) = state.files.get_mut(id as usize).and_then(Option::as_mut)
        {
            entry.edited = now;
            state.touch(id);
        }
    }

    /// Everything known about one file, or `None` when it is not indexed.
    pub fn file_info(&self, path: &Path) -> Option<FileInfo> {
        let path = normalize(path);
        let state = self.read();
        let &id = state.by_path.get(&path)?;
        let entry = state.file(id)?;
        let path_of = |other: &FileId| state.file(*other).map(|e| e.path.clone());
        let definitions =
            entry.symbols.definitions.iter().map(|def| definition_info(entry, def)).collect();
        let imports = entry
            .symbols
            .imports
            .iter()
            .enumerate()
            .map(|(at, import)| {
                let resolution = entry.resolved.get(at).cloned().unwrap_or(Resolution::Unresolved);
                let (status, files) = match resolution {
                    Resolution::Files(ids) => {
                        ("resolved", ids.iter().filter_map(path_of).collect())
                    }
                    Resolution::External => ("external", Vec::new()),
                    Resolution::Unresolved => ("unresolved", Vec::new()),
                };
                ImportInfo { import: import.clone(), status, files }
            })
            .collect();
        let mut importers: Vec<PathBuf> = state
            .importers
            .get(&id)
            .map(|ids| ids.iter().filter_map(path_of).collect())
            .unwrap_or_default();
        importers.sort();
        let mut extends = Vec::new();
        for def in &entry.symbols.definitions {
            for base in &def.extends {
                let name = base_name(base);
                if let Some(files) = state.defs_by_name.get(name) {
                    for file in files.iter().filter_map(path_of) {
                        extends.push((name.to_owned(), file));
                    }
                }
            }
        }
        Some(FileInfo {
            path: entry.path.clone(),
            language: entry.language.as_ref().map(|l| l.name.clone()),
            definitions,
            imports,
            importers,
            packages: entry.symbols.packages.clone(),
            extends,
        })
    }

    /// Every definition of `name` in the workspace.
    pub fn definitions_named(&self, name: &str) -> Vec<DefinitionInfo> {
        let state = self.read();
        let Some(files) = state.defs_by_name.get(name) else { return Vec::new() };
        files
            .iter()
            .filter_map(|&id| state.file(id))
            .flat_map(|entry| {
                entry
                    .symbols
                    .definitions
                    .iter()
                    .filter(|def| &*def.name == name)
                    .map(|def| definition_info(entry, def))
            })
            .collect()
    }

    /// Every indexed path (sorted).
    pub fn paths(&self) -> Vec<PathBuf> {
        let state = self.read();
        let mut paths: Vec<PathBuf> = state.by_path.keys().cloned().collect();
        paths.sort();
        paths
    }
}

/// `Base<T>` / `pkg.Base` / `a::B` → the last plain identifier.
pub(crate) fn base_name(written: &str) -> &str {
    let head = written.split(['<', '(', '[']).next().unwrap_or(written);
    let last = head.rsplit(['.', ':', ' ']).next().unwrap_or(head);
    last.trim()
}

fn definition_info(entry: &FileEntry, def: &extract::Definition) -> DefinitionInfo {
    DefinitionInfo {
        path: entry.path.clone(),
        name: def.name.to_string(),
        kind: def.kind,
        start_line: def.start_line,
        end_line: def.end_line,
        byte_range: (def.range.start, def.range.end),
        container: def
            .parent
            .and_then(|parent| entry.symbols.definitions.get(parent as usize))
            .map(|parent| parent.name.to_string()),
        extends: def.extends.iter().map(|b| b.to_string()).collect(),
    }
}

/// The single edit turning `old` into `new`: common prefix and suffix kept.
fn diff_edit(old: &str, new: &str) -> InputEdit {
    let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
    let prefix = old_bytes.iter().zip(new_bytes).take_while(|(a, b)| a == b).count();
    let max_suffix = old_bytes.len().min(new_bytes.len()) - prefix;
    let suffix = old_bytes
        .iter()
        .rev()
        .zip(new_bytes.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let start = prefix;
    let old_end = old_bytes.len() - suffix;
    let new_end = new_bytes.len() - suffix;
    InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(old_bytes, start),
        old_end_position: point_at(old_bytes, old_end),
        new_end_position: point_at(new_bytes, new_end),
    }
}

fn point_at(bytes: &[u8], offset: usize) -> Point {
    let before = &bytes[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = before.iter().rposition(|&b| b == b'\n').map_or(offset, |nl| offset - nl - 1);
    Point { row, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_diff() {
        let edit = diff_edit("fn a() {}\nfn b() {}\n", "fn a() {}\nfn bc() {}\n");
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (14, 14, 15));
        assert_eq!(edit.start_position, Point { row: 1, column: 4 });
    }

    #[test]
    fn diffs_sorted_sets() {
        assert_eq!(sorted_diff(&[1, 2, 4], &[2, 3, 4, 5]), (vec![1], vec![3, 5]));
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("Base<T>"), "Base");
        assert_eq!(base_name("pkg.Base"), "Base");
        assert_eq!(base_name("std::fmt::Display"), "Display");
    }
}
