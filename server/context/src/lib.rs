//! The workspace index: symbols, imports, the dependency graph, snippet ranking, prompt budget
//! and the privacy filter.
//!
//! # Code map
//!
//! Modules depend on each other in one direction only, top to bottom of this list:
//!
//! * `workspace` — [`WorkspaceIndex`], the entry point: joins the index and the ranker.
//! * [`rank`] — [`WorkspaceIndex::rank`]: candidates from the symbols, graph, similarity and
//!   recency signals, one combined score, token budget, prompt order.
//! * [`index`] — files and their symbols behind one lock: the walker, the tables (definition
//!   name → files, file → importers, rare token → files) with a read API, incremental updates
//!   (through `infill_syntax::Document`'s incremental parsing), inspection records.
//! * `resolve` — import resolution, one strategy per [`ImportStyle`](infill_syntax::ImportStyle)
//!   of `[language.imports]` in `grammars/languages.toml`; project files.
//! * [`extract`] — runs a language's queries over a tree: definitions, imports; renders
//!   skeletons; re-extracts incrementally.
//! * [`privacy`] — secret paths, user exclusions, line redaction.
//! * [`lexical`] — identifier scanning and Jaccard similarity.
//! * `paths`, `ids` — path normalization and workspace roots; file ids.
//!
//! Architecture invariant: no language's name appears here. Languages are data: the query files
//! under `grammars/<lang>/` and the language table; import resolution is chosen by the import
//! *style* named in the table.
//!
//! # Query capture convention
//!
//! Every `grammars/<lang>/*.scm` file follows these capture names; the code reads nothing else.
//!
//! **`definitions.scm`** — one match per definition:
//!
//! | capture | meaning |
//! |---|---|
//! | `@definition.<kind>` | the whole definition node; `<kind>` is `function`, `method`, `class` (struct, union, record), `type` (trait, interface, enum, type alias), `impl` (an `impl` block or similar, named after its type), `constant`, `module` or `macro` |
//! | `@name` | the name node |
//! | `@body` (optional) | the part a skeleton elides (default: the node's `body` field) |
//! | `@extends` (optional, repeatable) | a base class, implemented interface or trait |
//!
//! When several patterns match the same name node, the earliest pattern in the file wins (list
//! `method` patterns before `function` ones).
//!
//! **`imports.scm`** — one match per imported path:
//!
//! | capture | meaning |
//! |---|---|
//! | `@import` | the statement |
//! | `@import.path` | the module path, dotted name or file string (quotes are stripped) |
//! | `@import.submodule` | instead of `@import.path`: a module this file declares whose body lives in another file (`mod x;`) |
//! | `@import.system` | instead of `@import.path`: a system/library include (`#include <x>`) |
//! | `@import.name` (optional) | a symbol imported by name |
//! | `@package` | (no `@import`) the package/namespace the file itself declares |
//!
//! Captures whose names start with `_` are helpers for predicates and are ignored.

#![warn(missing_docs)]

pub mod extract;
mod ids;
pub mod index;
pub mod lexical;
mod paths;
pub mod privacy;
pub mod rank;
mod resolve;
mod workspace;

pub use extract::{DefKind, ImportKind};
pub use ids::FileId;
pub use index::{
    DefinitionInfo, FileInfo, ImportInfo, IndexOptions, IndexReport, SkipReason, SkippedFile,
};
pub use privacy::{is_secret_path, redact};
pub use rank::{
    ContextRequest, ContextResult, EditedLines, RankOptions, Signals, Snippet, SnippetKind,
    TokenCounter, approx_tokens,
};
pub use workspace::WorkspaceIndex;
