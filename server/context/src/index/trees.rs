//! The last syntax tree of recently updated files, so the next update of the same file reparses
//! and re-extracts incrementally. Each cached file is an `infill_syntax::Document`: the index
//! reuses the documents' incremental parsing (whole-text replacement included) instead of
//! keeping its own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use infill_syntax::{Document, DocumentLimits, Language};
use tree_sitter::{InputEdit, Tree};

/// How many files keep a tree.
const TREE_CACHE_FILES: usize = 32;

/// A parse of a file's new text.
pub(super) struct Parsed {
    pub tree: Tree,
    /// Present when the tree came from the file's previous tree.
    pub incremental: Option<Incremental>,
}

/// What an incremental reparse knows beyond the tree.
pub(super) struct Incremental {
    pub edit: InputEdit,
    /// The text the previous tree was parsed from.
    pub old_text: Arc<str>,
    /// Ranges whose syntax changed.
    pub changed: Vec<tree_sitter::Range>,
}

struct Cached {
    path: PathBuf,
    /// The text `document` holds, shared with the index entry.
    text: Arc<str>,
    document: Document,
}

/// Documents of recently updated files, least recently parsed first.
#[derive(Default)]
pub(super) struct TreeCache {
    entries: Mutex<Vec<Cached>>,
}

impl TreeCache {
    /// Whether `path` has a cached tree.
    pub fn contains(&self, path: &Path) -> bool {
        self.entries.lock().is_ok_and(|entries| entries.iter().any(|cached| cached.path == path))
    }

    /// Drops the tree of `path`.
    pub fn forget(&self, path: &Path) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|cached| cached.path != path);
        }
    }

    /// Parses `text`, reusing the cached tree of the file's previous text (in the same language)
    /// when there is one. `None` when the language has no grammar or the parse failed.
    pub fn parse(&self, path: &Path, language: &Arc<Language>, text: &Arc<str>) -> Option<Parsed> {
        language.ts_language()?;
        let previous = self.entries.lock().ok().and_then(|mut entries| {
            let at = entries.iter().position(|cached| {
                cached.path == path
                    && cached.document.language().is_some_and(|known| known.name == language.name)
            })?;
            Some(entries.swap_remove(at))
        });
        let (document, incremental) = match previous {
            Some(mut cached) => {
                let reparse = cached.document.replace_text(text);
                let incremental = reparse.map(|reparse| Incremental {
                    edit: reparse.edit,
                    old_text: cached.text,
                    changed: reparse.changed_ranges,
                });
                (cached.document, incremental)
            }
            None => {
                // The index parses whatever size it accepted: no tree limit here.
                let limits = DocumentLimits { max_tree_bytes: usize::MAX, ..Default::default() };
                (Document::new(text, 0, Some(language.clone()), &limits), None)
            }
        };
        let tree = document.tree()?.clone();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TREE_CACHE_FILES {
                entries.remove(0);
            }
            entries.push(Cached { path: path.to_path_buf(), text: text.clone(), document });
        }
        Some(Parsed { tree, incremental })
    }
}
