//! [`WorkspaceIndex`]: the crate's one entry point, joining the index (files, symbols, the
//! import graph) with the ranker that reads it. Neither knows the other's internals: the index
//! never ranks, and the ranker only reads the index's tables.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_syntax::LanguageRegistry;

use crate::index::{DefinitionInfo, FileInfo, Index, IndexOptions, IndexReport};
use crate::rank::{ContextRequest, ContextResult, Ranker};

/// The workspace index. See the crate docs for the overall design. `Send + Sync`: share it
/// behind an `Arc`.
pub struct WorkspaceIndex {
    index: Index,
    ranker: Ranker,
}

impl std::fmt::Debug for WorkspaceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.index.read();
        f.debug_struct("WorkspaceIndex")
            .field("roots", &state.roots())
            .field("files", &state.file_count())
            .finish()
    }
}

impl Default for WorkspaceIndex {
    fn default() -> Self {
        WorkspaceIndex::new(LanguageRegistry::builtin())
    }
}

impl WorkspaceIndex {
    /// An empty index over the languages of `registry`.
    pub fn new(registry: Arc<LanguageRegistry>) -> WorkspaceIndex {
        WorkspaceIndex { index: Index::new(registry), ranker: Ranker::default() }
    }

    /// The language registry this index uses.
    pub fn registry(&self) -> &Arc<LanguageRegistry> {
        self.index.registry()
    }

    /// The workspace roots indexed so far.
    pub fn roots(&self) -> Vec<PathBuf> {
        self.index.read().roots().to_vec()
    }

    /// Number of indexed files.
    pub fn len(&self) -> usize {
        self.index.read().file_count()
    }

    /// Whether no file is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        self.index.index_root(root, options, progress)
    }

    /// Re-extracts one file from the editor's text (didOpen/didChange/didSave). Returns false when
    /// the file may not be indexed (outside the roots, a secret, excluded, no known language).
    /// Reparses incrementally from the last tree when it has one.
    pub fn update_file(&self, path: &Path, text: &str) -> bool {
        self.index.update_file(path, text)
    }

    /// Drops a file (deleted on disk or closed outside the roots).
    pub fn remove_file(&self, path: &Path) -> bool {
        self.index.remove_file(path)
    }

    /// Moves a file; its importers are re-resolved (they may now point nowhere) and so are
    /// files whose imports now find it. The moved file is indexed only within the
    /// [`IndexOptions::max_file_bytes`] of the last [`WorkspaceIndex::index_root`].
    pub fn rename_file(&self, from: &Path, to: &Path) -> bool {
        self.index.rename_file(from, to)
    }

    /// Records that the editor opened (or focused) a file, for recency.
    pub fn note_opened(&self, path: &Path) {
        self.index.note_opened(path);
    }

    /// Records that the user edited a file, for recency.
    pub fn note_edited(&self, path: &Path) {
        self.index.note_edited(path);
    }

    /// Everything known about one file, or `None` when it is not indexed.
    pub fn file_info(&self, path: &Path) -> Option<FileInfo> {
        self.index.file_info(path)
    }

    /// Every definition of `name` in the workspace.
    pub fn definitions_named(&self, name: &str) -> Vec<DefinitionInfo> {
        self.index.definitions_named(name)
    }

    /// Every indexed path (sorted).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.index.paths()
    }

    /// The indexed text of a file, or `None` when it is not indexed.
    pub fn text_of(&self, path: &Path) -> Option<std::sync::Arc<str>> {
        self.index.text_of(path)
    }

    /// Files whose text holds `name` as a whole identifier (sorted): its references, its
    /// definitions and its importers, as text sees them.
    pub fn files_mentioning(&self, name: &str) -> Vec<PathBuf> {
        self.index.files_mentioning(name)
    }

    /// Ranks context for a cursor; see the module docs of [`crate::rank`].
    pub fn rank(&self, request: &ContextRequest<'_>) -> ContextResult {
        self.ranker.rank(&self.index.read(), request)
    }
}
