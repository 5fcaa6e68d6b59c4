//! The index's tables and their upkeep: file entries in reusable slots, the inverted indexes
//! (path, directory, package, definition name, importers, identifier postings) and the import
//! graph, re-resolved around every change. Everything else reads them through the read API.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_syntax::{ImportStyle, Language};

use crate::extract::FileSymbols;
use crate::ids::FileId;
use crate::lexical::Token;
use crate::resolve::project::Project;
use crate::resolve::{self, Lookup, Resolution};

/// One indexed file. A record the ranker and the inspection code read; only [`State`] changes
/// entries once they are inserted.
pub(crate) struct FileEntry {
    pub path: PathBuf,
    pub language: Option<Arc<Language>>,
    pub text: Arc<str>,
    pub symbols: FileSymbols,
    /// Parallel to `symbols.imports`.
    pub resolved: Vec<Resolution>,
    /// Union of resolved import targets.
    pub imports: Vec<FileId>,
    /// Logical clock value of the last change of its content.
    pub version: u64,
    /// Logical clock values of the last open and edit (0 = never).
    pub opened: u64,
    pub edited: u64,
}

impl FileEntry {
    /// A fresh entry for `path`, not yet linked or resolved.
    pub fn new(
        path: PathBuf,
        language: Option<Arc<Language>>,
        text: Arc<str>,
        symbols: FileSymbols,
    ) -> FileEntry {
        FileEntry {
            path,
            language,
            text,
            symbols,
            resolved: Vec::new(),
            imports: Vec::new(),
            version: 0,
            opened: 0,
            edited: 0,
        }
    }
}

/// A posting list that stops listing files once a token is common.
#[derive(Default)]
pub(crate) struct Postings {
    /// Files that hold the token.
    pub df: u32,
    /// Those files, while `df` ≤ [`POSTINGS_CAP`]; empty after.
    pub files: Vec<FileId>,
}

/// How many recently used files the index remembers.
const RECENT_FILES_KEPT: usize = 64;

/// Tokens in more files than this are "common": only their count is kept.
pub(crate) const POSTINGS_CAP: u32 = 256;

/// The index's tables, behind the index's lock. Read through the methods below; changed only by
/// the index module.
#[derive(Default)]
pub(crate) struct State {
    files: Vec<Option<FileEntry>>,
    free: Vec<FileId>,
    by_path: HashMap<PathBuf, FileId>,
    dir_files: HashMap<PathBuf, Vec<FileId>>,
    packages: HashMap<String, Vec<FileId>>,
    /// Definition name → files that define it (each once).
    defs_by_name: FastMap<Box<str>, Vec<FileId>>,
    /// File → files that import it.
    importers: FastMap<FileId, Vec<FileId>>,
    /// Referenced-token hash → files.
    postings: FastMap<Token, Postings>,
    project: Project,
    roots: Vec<PathBuf>,
    /// Path segment or imported name of a not-yet-resolved import → files waiting on it; a new
    /// file whose stem, directory or package matches a key re-resolves them.
    waiting: FastMap<Box<str>, HashSet<FileId>>,
    clock: u64,
    live_files: usize,
    /// Most recently opened or edited files, newest first.
    recent: Vec<FileId>,
}

/// The read API.
impl State {
    /// The entry of a file id, if it is live.
    pub fn file(&self, id: FileId) -> Option<&FileEntry> {
        self.files.get(id as usize).and_then(Option::as_ref)
    }

    /// The id of an indexed (normalized) path.
    pub fn id_of(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// The entry of an indexed (normalized) path.
    pub fn file_at(&self, path: &Path) -> Option<&FileEntry> {
        self.id_of(path).and_then(|id| self.file(id))
    }

    /// Every indexed path, in no particular order.
    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.by_path.keys()
    }

    /// Files directly in the directory `dir`, in the order they were indexed.
    pub fn files_in_dir(&self, dir: &Path) -> &[FileId] {
        self.dir_files.get(dir).map_or(&[], Vec::as_slice)
    }

    /// Files that import `id`.
    pub fn importers_of(&self, id: FileId) -> &[FileId] {
        self.importers.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Files that define `name` (each once); empty when none does.
    pub fn files_defining(&self, name: &str) -> &[FileId] {
        self.defs_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The posting list of an identifier token.
    pub fn postings(&self, token: Token) -> Option<&Postings> {
        self.postings.get(&token)
    }

    /// Number of indexed files.
    pub fn file_count(&self) -> usize {
        self.live_files
    }

    /// The workspace roots, in the order they were added.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Most recently opened or edited files, newest first.
    pub fn recent(&self) -> &[FileId] {
        &self.recent
    }
}

/// Changes, made by the index module only.
impl State {
    /// Adds a root (once).
    pub(super) fn add_root(&mut self, root: &Path) {
        if !self.roots.iter().any(|known| known == root) {
            self.roots.push(root.to_path_buf());
        }
    }

    /// Reads a project file for a style that understands it.
    pub(super) fn note_project_file(&mut self, style: ImportStyle, path: &Path, text: &str) {
        self.project.note_file(style, path, text);
    }

    /// Records that the editor opened (`edited == false`) or edited a file, for recency.
    pub(super) fn note_use(&mut self, path: &Path, edited: bool) {
        let now = self.tick();
        if let Some(id) = self.id_of(path)
            && let Some(entry) = self.files.get_mut(id as usize).and_then(Option::as_mut)
        {
            if edited {
                entry.edited = now;
            } else {
                entry.opened = now;
            }
            self.touch(id);
        }
    }

    /// Carries a file's recency over to the file at `path` (after a rename).
    pub(super) fn restore_use(&mut self, path: &Path, opened: u64, edited: u64) {
        if let Some(id) = self.id_of(path)
            && let Some(entry) = self.files.get_mut(id as usize).and_then(Option::as_mut)
        {
            entry.opened = opened;
            entry.edited = edited;
            if opened.max(edited) > 0 {
                self.touch(id);
            }
        }
    }

    fn alloc(&mut self) -> FileId {
        if let Some(id) = self.free.pop() {
            return id;
        }
        self.files.push(None);
        (self.files.len() - 1) as FileId
    }

    pub(super) fn tick(&mut self) -> u64 {
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
    pub(super) fn resolutions(&self, id: FileId) -> Vec<Resolution> {
        let Some(entry) = self.file(id) else { return Vec::new() };
        let rules = entry.language.as_ref().and_then(|language| language.imports.as_ref());
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
            .map(|import| resolve::resolve(rules, &lookup, &entry.path, import))
            .collect()
    }

    /// Stores resolutions for `id` and updates edges.
    pub(super) fn apply_resolutions(&mut self, id: FileId, resolved: Vec<Resolution>) {
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

    pub(super) fn resolve_file(&mut self, id: FileId) {
        let resolved = self.resolutions(id);
        self.apply_resolutions(id, resolved);
    }

    /// After files appear or disappear: re-resolve files whose resolution could change — those
    /// waiting on the new file's stem, directory or package, the importers of removed files and
    /// of files in the same directories (package-style imports resolve to a directory).
    pub(super) fn reresolve_around(&mut self, changed: &[PathBuf], removed_ids: &[FileId]) {
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

    pub(super) fn insert(&mut self, mut entry: FileEntry) -> FileId {
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
        // Most edits leave every definition's name as it was: nothing to diff then.
        let (old_defs, new_defs) = (&old.symbols.definitions, &entry.symbols.definitions);
        let same_names = old_defs.len() == new_defs.len()
            && old_defs.iter().zip(new_defs).all(|(old, new)| old.name == new.name);
        if !same_names {
            let old_names: HashSet<&str> = def_names(&old.symbols).collect();
            let new_names: HashSet<&str> = def_names(&entry.symbols).collect();
            let gone: Vec<String> =
                old_names.difference(&new_names).map(|s| (*s).to_owned()).collect();
            let added: Vec<String> =
                new_names.difference(&old_names).map(|s| (*s).to_owned()).collect();
            self.remove_names(id, gone.iter().map(String::as_str));
            self.add_names(id, added.iter().map(String::as_str));
        }
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

    pub(super) fn remove(&mut self, id: FileId) -> Option<FileEntry> {
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

/// The tables keyed by token hashes, names and file ids hash with [`FastHasher`]: their keys
/// come from the user's own files, and inserting every file's tokens is most of a warm start.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// FxHash (rustc's hasher): a rotate, xor and multiply per word. Not DoS-resistant, which
/// these tables do not need.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

fn remove_from<K: std::hash::Hash + Eq, S: std::hash::BuildHasher>(
    map: &mut HashMap<K, Vec<FileId>, S>,
    key: &K,
    id: FileId,
) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|&other| other != id);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_sorted_sets() {
        assert_eq!(sorted_diff(&[1, 2, 4], &[2, 3, 4, 5]), (vec![1], vec![3, 5]));
    }

    fn entry(path: &str, definitions: &[&str]) -> FileEntry {
        let mut symbols = FileSymbols::default();
        for name in definitions {
            symbols.definitions.push(crate::extract::Definition {
                name: (*name).into(),
                kind: crate::extract::DefKind::Function,
                range: 0..1,
                header_start: 0,
                body: None,
                start_line: 0,
                end_line: 0,
                parent: None,
                extends: Vec::new(),
            });
        }
        symbols.tokens = vec![1, 2];
        FileEntry::new(PathBuf::from(path), None, Arc::from(""), symbols)
    }

    #[test]
    fn insert_replace_and_remove_keep_the_tables_right() {
        let mut state = State::default();
        let a = state.insert(entry("/w/a.x", &["f", "g"]));
        let b = state.insert(entry("/w/b.x", &["g"]));
        assert_eq!(state.file_count(), 2);
        assert_eq!(state.files_defining("g"), [a, b]);
        assert_eq!(state.postings(1).map(|p| p.df), Some(2));
        assert_eq!(state.insert(entry("/w/a.x", &["h"])), a, "same path, same slot");
        assert!(state.files_defining("f").is_empty());
        assert_eq!(state.files_defining("h"), [a]);
        state.remove(b);
        assert_eq!(state.file_count(), 1);
        assert!(state.file_at(Path::new("/w/b.x")).is_none());
        assert_eq!(state.files_defining("g"), [] as [FileId; 0]);
        assert_eq!(state.insert(entry("/w/c.x", &[])), b, "a freed slot is reused");
    }

    #[test]
    fn recency_is_newest_first() {
        let mut state = State::default();
        let a = state.insert(entry("/w/a.x", &[]));
        let b = state.insert(entry("/w/b.x", &[]));
        state.note_use(Path::new("/w/a.x"), false);
        state.note_use(Path::new("/w/b.x"), true);
        assert_eq!(state.recent(), [b, a]);
        assert!(state.file(b).is_some_and(|e| e.edited > 0 && e.opened == 0));
    }
}
