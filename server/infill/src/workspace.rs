//! The workspace as the server uses it: the index of every root, kept current from document
//! events, and the context that goes into completion prompts. Context is "sticky": it is
//! recomputed when the cursor moves to another file or far from where it was computed, not on
//! every keystroke, so the prompt's prefix (and the engine's cache of it) stays put while typing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use infill_context::{ContextRequest, ContextResult, IndexOptions, IndexReport, WorkspaceIndex};
use infill_engine::ContextFile;

use crate::config::ContextConfig;

/// Lines the cursor may move before the context is ranked again.
const STICKY_LINES: usize = 24;

struct Sticky {
    path: PathBuf,
    line: usize,
    files: Vec<ContextFile>,
}

/// The index and the context cache.
pub struct Workspace {
    index: Arc<WorkspaceIndex>,
    roots: RwLock<Vec<PathBuf>>,
    sticky: Mutex<Option<Sticky>>,
    config: RwLock<ContextConfig>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            index: Arc::new(WorkspaceIndex::default()),
            roots: RwLock::new(Vec::new()),
            sticky: Mutex::new(None),
            config: RwLock::new(ContextConfig::default()),
        }
    }
}

impl Workspace {
    pub fn set_config(&self, config: ContextConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    fn config(&self) -> ContextConfig {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self.roots.write().unwrap_or_else(|e| e.into_inner()) = roots;
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn index(&self) -> &Arc<WorkspaceIndex> {
        &self.index
    }

    fn options(&self) -> IndexOptions {
        let config = self.config();
        IndexOptions {
            max_file_bytes: config.max_file_bytes,
            exclude_globs: config.exclude,
            ..IndexOptions::default()
        }
    }

    /// Indexes one root (blocking; run it on a blocking thread).
    pub fn index_root(&self, root: &Path, progress: &dyn Fn(usize, usize)) -> IndexReport {
        let report = self.index.index_root(root, &self.options(), progress);
        tracing::info!(
            root = %root.display(),
            indexed = report.indexed,
            skipped = report.skipped.len(),
            ms = report.elapsed_ms,
            "indexed"
        );
        report
    }

    /// The live text of an open or changed file.
    pub fn update_file(&self, path: &Path, text: &str) {
        if self.config().enabled {
            self.index.update_file(path, text);
        }
    }

    pub fn remove_file(&self, path: &Path) {
        self.index.remove_file(path);
    }

    pub fn opened(&self, path: &Path) {
        self.index.note_opened(path);
    }

    pub fn edited(&self, path: &Path) {
        self.index.note_edited(path);
    }

    /// Ranks context for a cursor (no caching): for `infill/context` and `infill context`.
    pub fn rank(&self, path: &Path, text: &str, cursor: usize) -> ContextResult {
        let budget = self.config().token_budget;
        self.index.rank(&ContextRequest::new(path, text, cursor, budget))
    }

    /// Context files for a completion prompt, least changing first. Reuses the last answer
    /// while the cursor stays within a few lines of where it was computed.
    pub fn context_for_completion(
        &self,
        path: &Path,
        text: &str,
        cursor: usize,
    ) -> Vec<ContextFile> {
        if !self.config().enabled {
            return Vec::new();
        }
        let line = text[..cursor.min(text.len())].matches('\n').count();
        {
            let sticky = self.sticky.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(sticky) = sticky.as_ref()
                && sticky.path == path
                && sticky.line.abs_diff(line) <= STICKY_LINES
            {
                return sticky.files.clone();
            }
        }
        // Bring the index up to the live buffer before ranking from it.
        self.index.update_file(path, text);
        let files = to_context_files(&self.rank(path, text, cursor));
        *self.sticky.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Sticky { path: path.to_path_buf(), line, files: files.clone() });
        files
    }
}

/// Snippets as prompt files, keeping their order (stable first, most relevant last).
pub fn to_context_files(result: &ContextResult) -> Vec<ContextFile> {
    result
        .snippets
        .iter()
        .map(|snippet| ContextFile {
            path: snippet.relative_path.clone(),
            text: snippet.text.clone(),
        })
        .collect()
}

/// The directory to index for a lone file: its nearest ancestor holding `.git`, else its own.
pub fn root_for(file: &Path) -> PathBuf {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let start = file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    start.ancestors().find(|dir| dir.join(".git").exists()).map(Path::to_path_buf).unwrap_or(start)
}
