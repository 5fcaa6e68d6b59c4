//! The workspace index: files, their symbols and imports, the dependency graph and the inverted
//! indexes the ranker reads. It is `Send + Sync` with interior locking. Parsing always happens
//! outside the lock, and writers hold it only to swap in finished entries, so a ranking request
//! never waits behind a long parse.
//!
//! * `options` — [`IndexOptions`] and [`IndexReport`];
//! * `state` — the tables behind the lock, with a read API;
//! * `walk` — indexing a whole root;
//! * `persist` — the on-disk index, so a warm start parses only the files that changed;
//! * `priority` — low priority for the walk's worker threads;
//! * `trees` — the last trees of recently updated files, for incremental updates;
//! * `info` — [`FileInfo`] and friends, for inspection.

mod info;
mod options;
mod persist;
mod priority;
mod state;
mod trees;
mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use infill_syntax::LanguageRegistry;

pub use info::{DefinitionInfo, FileInfo, ImportInfo};
pub use options::{DEFAULT_MAX_FILE_BYTES, IndexOptions, IndexReport, SkipReason, SkippedFile};
pub(crate) use state::{POSTINGS_CAP, State};

use crate::extract::{self, FileSymbols};
use crate::paths::{absolute, normalize};
use crate::privacy::PathFilter;
use state::FileEntry;
use trees::TreeCache;

/// The index proper; [`crate::WorkspaceIndex`] joins it with the ranker.
pub(crate) struct Index {
    registry: Arc<LanguageRegistry>,
    state: RwLock<State>,
    filter: RwLock<Arc<PathFilter>>,
    trees: TreeCache,
    /// [`IndexOptions::max_file_bytes`] of the last [`Index::index_root`], for files that arrive
    /// later by rename.
    max_file_bytes: AtomicU64,
}

impl Index {
    /// An empty index over the languages of `registry`.
    pub fn new(registry: Arc<LanguageRegistry>) -> Index {
        Index {
            registry,
            state: RwLock::new(State::default()),
            filter: RwLock::new(Arc::new(PathFilter::default())),
            trees: TreeCache::default(),
            max_file_bytes: AtomicU64::new(DEFAULT_MAX_FILE_BYTES),
        }
    }

    /// The tables, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
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

    fn set_filter(&self, filter: Arc<PathFilter>) {
        if let Ok(mut slot) = self.filter.write() {
            *slot = filter;
        }
    }

    /// The language registry.
    pub fn registry(&self) -> &Arc<LanguageRegistry> {
        &self.registry
    }

    /// Normalizes an incoming path: absolute, `.`/`..` resolved lexically; when the lexical form
    /// is not under a root, the canonical form is tried (it may be a symlinked root).
    fn normalize_path(&self, path: &Path) -> PathBuf {
        let lexical = absolute(path);
        let state = self.read();
        if state.roots().iter().any(|root| lexical.starts_with(root)) {
            return lexical;
        }
        drop(state);
        std::fs::canonicalize(&lexical).unwrap_or(lexical)
    }

    /// Re-extracts one file from the editor's text; see [`crate::WorkspaceIndex::update_file`].
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
            state.file_at(&path).filter(|entry| &*entry.text == text).map(|e| e.text.clone())
        };
        if let Some(text) = unchanged {
            // didOpen of an indexed file: nothing to re-extract, but keep a tree so the
            // keystrokes that follow reparse and re-extract incrementally.
            if !self.trees.contains(&path) {
                self.trees.parse(&path, &language, &text);
            }
            return true;
        }
        let text: Arc<str> = Arc::from(text);
        let symbols = match self.trees.parse(&path, &language, &text) {
            Some(parsed) => {
                // Splice: re-extract only the top-level items the edit touched, when the index
                // still holds the symbols of exactly the text the cached tree was parsed from.
                let spliced = parsed.incremental.and_then(|incremental| {
                    let state = self.read();
                    let old = state.file_at(&path)?;
                    if *old.text != *incremental.old_text {
                        return None;
                    }
                    extract::extract_incremental(
                        &language,
                        &parsed.tree,
                        &text,
                        &old.symbols,
                        &incremental.old_text,
                        &incremental.edit,
                        &incremental.changed,
                    )
                });
                spliced.unwrap_or_else(|| extract::extract(&language, &parsed.tree, &text))
            }
            None => FileSymbols::default(),
        };
        let mut state = self.write();
        let before = state.file_at(&path).map(|entry| entry.symbols.packages.clone());
        let version = state.tick();
        let mut entry = FileEntry::new(path.clone(), Some(language), text, symbols);
        entry.version = version;
        let packages_changed = before.as_ref().is_some_and(|b| *b != entry.symbols.packages);
        let id = state.insert(entry);
        state.resolve_file(id);
        if before.is_none() || packages_changed {
            state.reresolve_around(std::slice::from_ref(&path), &[]);
        }
        true
    }

    /// Drops a file; see [`crate::WorkspaceIndex::remove_file`].
    pub fn remove_file(&self, path: &Path) -> bool {
        let path = normalize(path);
        self.trees.forget(&path);
        let mut state = self.write();
        let Some(id) = state.id_of(&path) else { return false };
        let importers = state.importers_of(id).to_vec();
        state.remove(id);
        for importer in importers {
            if state.file(importer).is_some() {
                state.resolve_file(importer);
            }
        }
        state.reresolve_around(std::slice::from_ref(&path), &[]);
        true
    }

    /// Moves a file; see [`crate::WorkspaceIndex::rename_file`]. The size limit is that of the
    /// last [`Index::index_root`] (1 MiB before any).
    pub fn rename_file(&self, from: &Path, to: &Path) -> bool {
        let from = normalize(from);
        let to = self.normalize_path(to);
        let known = {
            let state = self.read();
            state.file_at(&from).map(|entry| (entry.text.clone(), entry.opened, entry.edited))
        };
        let removed = self.remove_file(&from);
        let limit = self.max_file_bytes.load(Ordering::Relaxed);
        let (text, opened, edited) = match known {
            Some((text, ..)) if text.len() as u64 > limit => return removed,
            Some(known) => known,
            None => match walk::read_source(&to, limit) {
                Ok(text) => (text, 0, 0),
                Err(_) => return removed,
            },
        };
        let added = self.update_file(&to, &text);
        if added {
            self.write().restore_use(&to, opened, edited);
        }
        removed || added
    }

    /// See [`crate::WorkspaceIndex::note_opened`].
    pub fn note_opened(&self, path: &Path) {
        self.write().note_use(&normalize(path), false);
    }

    /// See [`crate::WorkspaceIndex::note_edited`].
    pub fn note_edited(&self, path: &Path) {
        self.write().note_use(&normalize(path), true);
    }
}
