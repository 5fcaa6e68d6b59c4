//! Inspection: what the index knows about a file or a name, as serializable records for tests,
//! `infill context` and the `infill/context` request.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Index;
use super::state::FileEntry;
use crate::extract::{self, DefKind, Import, base_name};
use crate::ids::FileId;
use crate::paths::normalize;
use crate::resolve::Resolution;

/// A definition as the index reports it.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionInfo {
    /// The file that defines it.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// What it defines.
    pub kind: DefKind,
    /// Zero-based first line (its doc comment included).
    pub start_line: u32,
    /// Zero-based last line, inclusive.
    pub end_line: u32,
    /// Byte range of the definition node.
    pub byte_range: (usize, usize),
    /// The enclosing definition's name (a method's class or impl).
    pub container: Option<String>,
    /// Bases it extends or implements, as written.
    pub extends: Vec<String>,
}

/// An import and what it resolved to.
#[derive(Debug, Clone, Serialize)]
pub struct ImportInfo {
    /// The import as extracted.
    #[serde(flatten)]
    pub import: Import,
    /// `resolved`, `external` or `unresolved`.
    pub status: &'static str,
    /// The workspace files it resolved to.
    pub files: Vec<PathBuf>,
}

/// What the index knows about one file (for inspection, tests and `infill context`).
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    /// The file.
    pub path: PathBuf,
    /// Its language's name.
    pub language: Option<String>,
    /// Its definitions, in order.
    pub definitions: Vec<DefinitionInfo>,
    /// Its imports, in order.
    pub imports: Vec<ImportInfo>,
    /// Files that import this one.
    pub importers: Vec<PathBuf>,
    /// Packages or namespaces it declares.
    pub packages: Vec<String>,
    /// Definitions elsewhere that this file's classes extend or implement, `(name, file)`.
    pub extends: Vec<(String, PathBuf)>,
}

impl Index {
    /// See [`crate::WorkspaceIndex::file_info`].
    pub fn file_info(&self, path: &Path) -> Option<FileInfo> {
        let path = normalize(path);
        let state = self.read();
        let id = state.id_of(&path)?;
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
        let mut importers: Vec<PathBuf> =
            state.importers_of(id).iter().filter_map(path_of).collect();
        importers.sort();
        let mut extends = Vec::new();
        for def in &entry.symbols.definitions {
            for base in &def.extends {
                let name = base_name(base);
                for file in state.files_defining(name).iter().filter_map(path_of) {
                    extends.push((name.to_owned(), file));
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

    /// See [`crate::WorkspaceIndex::definitions_named`].
    pub fn definitions_named(&self, name: &str) -> Vec<DefinitionInfo> {
        let state = self.read();
        state
            .files_defining(name)
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

    /// See [`crate::WorkspaceIndex::text_of`].
    pub fn text_of(&self, path: &Path) -> Option<std::sync::Arc<str>> {
        let path = normalize(path);
        let state = self.read();
        state.file_at(&path).map(|entry| std::sync::Arc::clone(&entry.text))
    }

    /// See [`crate::WorkspaceIndex::files_mentioning`]. The posting list narrows the search while
    /// the name is rare; a common name is searched in every file.
    pub fn files_mentioning(&self, name: &str) -> Vec<PathBuf> {
        let state = self.read();
        let mentions = |entry: &FileEntry| {
            crate::lexical::identifiers(&entry.text).any(|(_, token)| token == name)
        };
        let listed = state
            .postings(crate::lexical::token_hash(name))
            .filter(|postings| postings.files.len() as u32 == postings.df);
        let mut paths: Vec<PathBuf> = match listed {
            Some(postings) => postings
                .files
                .iter()
                .filter_map(|&id| state.file(id))
                .filter(|entry| mentions(entry))
                .map(|entry| entry.path.clone())
                .collect(),
            None => state
                .paths()
                .filter_map(|path| state.file_at(path))
                .filter(|entry| mentions(entry))
                .map(|entry| entry.path.clone())
                .collect(),
        };
        paths.sort();
        paths.dedup();
        paths
    }

    /// See [`crate::WorkspaceIndex::paths`].
    pub fn paths(&self) -> Vec<PathBuf> {
        let state = self.read();
        let mut paths: Vec<PathBuf> = state.paths().cloned().collect();
        paths.sort();
        paths
    }
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
