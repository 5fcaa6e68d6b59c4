//! What one completion needs, snapshotted from a document: the text, the cursor, the tree, the
//! language and the file's label; built in one place for the server, the CLI and benchmarks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_engine::ContextFile;
use infill_syntax::{Document, Language};

use super::prompt::floor_char_boundary;

/// A snapshot of everything one completion needs.
#[derive(Debug, Clone)]
pub struct CompletionInput {
    /// The current file's workspace-relative path (shown to the model).
    pub path: String,
    /// The name of the workspace root holding the file (shown to repository-aware models).
    pub repo_name: String,
    /// The document text at the requested version.
    pub text: String,
    /// Cursor as a byte offset into `text`.
    pub cursor: usize,
    /// The syntax tree of `text`, where the language has a grammar.
    pub tree: Option<tree_sitter::Tree>,
    /// The document's language, when known.
    pub language: Option<Arc<Language>>,
    /// Workspace context, least changing first.
    pub context: Vec<ContextFile>,
}

/// What the model is told about where the current file lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileLabel {
    /// The file's path relative to its workspace root (see [`FileLabel::for_path`]).
    pub path: String,
    /// The workspace root's directory name; empty when no root holds the file.
    pub repo_name: String,
}

impl FileLabel {
    /// The label of `file` among the workspace `roots`: its path relative to the first root
    /// that holds it, with that root's directory name as the repository name. A file outside
    /// every root is named relative to the process's current directory when it is inside it,
    /// else as given, with no repository name.
    pub fn for_path(file: &Path, roots: &[PathBuf]) -> FileLabel {
        let root = roots.iter().find(|root| file.starts_with(root));
        let path = match root {
            Some(root) => file.strip_prefix(root).unwrap_or(file).to_string_lossy().into_owned(),
            None => relative_to_current_dir(file),
        };
        let repo_name = root
            .and_then(|root| root.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        FileLabel { path, repo_name }
    }

    /// A label with `path` as given and no repository (a buffer with no file, a synthetic task).
    pub fn named(path: impl Into<String>) -> FileLabel {
        FileLabel { path: path.into(), repo_name: String::new() }
    }
}

/// `path` relative to the current directory when it is inside it, else as given.
fn relative_to_current_dir(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

impl CompletionInput {
    /// The input for `cursor` (a byte offset into `text`, clamped into it and onto a character
    /// boundary) in a file labelled `label`, with no workspace context yet.
    pub fn new(
        label: FileLabel,
        text: String,
        cursor: usize,
        tree: Option<tree_sitter::Tree>,
        language: Option<Arc<Language>>,
    ) -> CompletionInput {
        let cursor = floor_char_boundary(&text, cursor);
        CompletionInput {
            path: label.path,
            repo_name: label.repo_name,
            text,
            cursor,
            tree,
            language,
            context: Vec::new(),
        }
    }

    /// The input for byte offset `cursor` in `document`: its text, its tree (finishing a reparse
    /// an edit left pending) and its language, with no workspace context yet.
    pub fn from_document(
        document: &mut Document,
        cursor: usize,
        label: FileLabel,
    ) -> CompletionInput {
        let tree = document.parsed_tree().cloned();
        CompletionInput::new(label, document.text(), cursor, tree, document.language().cloned())
    }
}
