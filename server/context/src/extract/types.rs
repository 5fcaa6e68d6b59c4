//! The records extraction produces and the index stores per file: definitions, imports and the
//! file's token sets. Plain data, shared by the index, the resolvers and the ranker.

use std::ops::Range;

use serde::Serialize;

use crate::lexical::{Token, token_hash};

/// What a definition defines, from the suffix of its `@definition.<kind>` capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefKind {
    /// A free function.
    Function,
    /// A method, constructor or property.
    Method,
    /// A class, struct, union or record.
    Class,
    /// A trait, interface, enum or type alias.
    Type,
    /// An `impl` block or similar, named after its type.
    Impl,
    /// A constant, static, top-level variable or field.
    Constant,
    /// A module, namespace or package.
    Module,
    /// A macro.
    Macro,
    /// Any other capture suffix.
    Other,
}

impl DefKind {
    /// Maps a capture suffix (`function`, `struct`, `interface`, …) to a kind.
    pub fn from_capture(suffix: &str) -> DefKind {
        match suffix {
            "function" => DefKind::Function,
            "method" | "constructor" | "property" => DefKind::Method,
            "class" | "struct" | "union" | "record" => DefKind::Class,
            "type" | "interface" | "trait" | "enum" | "alias" => DefKind::Type,
            "impl" | "implementation" => DefKind::Impl,
            "constant" | "const" | "variable" | "static" | "field" => DefKind::Constant,
            "module" | "namespace" | "package" => DefKind::Module,
            "macro" => DefKind::Macro,
            _ => DefKind::Other,
        }
    }

    /// Whether this kind contains other definitions worth listing in a skeleton.
    pub fn is_container(self) -> bool {
        matches!(self, DefKind::Class | DefKind::Type | DefKind::Impl | DefKind::Module)
    }
}

/// One definition found by the `definitions` query.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The name as written.
    pub name: Box<str>,
    /// What it defines.
    pub kind: DefKind,
    /// Byte range of the `@definition.*` node.
    pub range: Range<usize>,
    /// Where its leading doc comments, attributes or decorators start (≤ `range.start`).
    pub header_start: usize,
    /// The part elided in a skeleton (`@body`, or the node's `body` field).
    pub body: Option<Range<usize>>,
    /// Zero-based line of `header_start`.
    pub start_line: u32,
    /// Zero-based line of `range.end`.
    pub end_line: u32,
    /// Index of the innermost enclosing definition in the same file.
    pub parent: Option<u32>,
    /// Names it extends or implements (`@extends`), as written.
    pub extends: Vec<Box<str>>,
}

/// How an import names its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    /// `@import.path`: a module path or file path, resolved by the language's import style.
    Path,
    /// `@import.submodule`: a module this file declares whose body lives in another file.
    Submodule,
    /// `@import.system`: a system/library include that is not expected in the workspace.
    System,
}

/// One import found by the `imports` query.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    /// The module path as written, without quotes or angle brackets.
    pub path: String,
    /// Symbols imported by name (`@import.name`).
    pub names: Vec<String>,
    /// How the import names its target.
    pub kind: ImportKind,
    /// Zero-based line of the statement.
    pub line: u32,
    /// Byte offset where the statement starts.
    #[serde(skip)]
    pub byte: usize,
    /// Byte offset where the statement ends.
    #[serde(skip)]
    pub end_byte: usize,
    /// The statement's first line up to the path (e.g. `require_relative`), for styles that care.
    pub head: String,
}

/// Everything the index keeps about one file's syntax.
#[derive(Debug, Clone, Default)]
pub struct FileSymbols {
    /// Definitions, sorted by start (an enclosing definition before its members).
    pub definitions: Vec<Definition>,
    /// Imports in statement order.
    pub imports: Vec<Import>,
    /// Packages or namespaces the file declares (`@package`).
    pub packages: Vec<String>,
    /// Sorted, deduplicated hashes of its identifier tokens (a lexical scan).
    pub tokens: Vec<Token>,
    /// `(name hash, index into definitions)`, sorted, to find a name's definitions quickly.
    pub def_index: Vec<(Token, u32)>,
}

impl FileSymbols {
    /// Indexes into `definitions` of the definitions named `name`.
    pub fn definitions_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = usize> + 'a {
        let hash = token_hash(name);
        let start = self.def_index.partition_point(|&(h, _)| h < hash);
        self.def_index[start..]
            .iter()
            .take_while(move |&&(h, _)| h == hash)
            .map(|&(_, at)| at as usize)
            .filter(move |&at| self.definitions.get(at).is_some_and(|d| &*d.name == name))
    }
}

/// `(name hash, index)` for each definition, sorted: the [`FileSymbols::def_index`] of a list.
pub(crate) fn index_names(definitions: &[Definition]) -> Vec<(Token, u32)> {
    let mut index: Vec<_> = definitions
        .iter()
        .enumerate()
        .map(|(at, def)| (token_hash(&def.name), at as u32))
        .collect();
    index.sort_unstable();
    index
}

/// `Base<T>` / `pkg.Base` / `a::B` → the last plain identifier.
pub(crate) fn base_name(written: &str) -> &str {
    let head = written.split(['<', '(', '[']).next().unwrap_or(written);
    let last = head.rsplit(['.', ':', ' ']).next().unwrap_or(head);
    last.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(base_name("Base<T>"), "Base");
        assert_eq!(base_name("pkg.Base"), "Base");
        assert_eq!(base_name("std::fmt::Display"), "Display");
    }
}
