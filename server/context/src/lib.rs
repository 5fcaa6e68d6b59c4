//! The workspace index: symbols, imports, the dependency graph, snippet ranking, prompt budget
//! and the privacy filter.
//!
//! # Code map
//!
//! * [`index`] — [`WorkspaceIndex`]: the walker, per-file entries, inverted indexes
//!   (definition name → files, file → importers, rare token → files) and incremental updates.
//! * [`extract`] — runs a language's queries over a tree: definitions, imports, references,
//!   scopes; renders skeletons.
//! * [`resolve`](crate::resolve) — import resolution strategies keyed by the `style` string of
//!   `[language.imports]` in `grammars/languages.toml`.
//! * [`rank`] — [`WorkspaceIndex::rank`]: candidates, one combined score, token budget, prompt
//!   order.
//! * [`privacy`] — secret paths, user exclusions, line redaction.
//! * [`lexical`] — identifier scanning and Jaccard similarity.
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
//! **`references.scm`** — `@reference` on identifiers, type identifiers and call names.
//!
//! **`scopes.scm`** — `@scope` on nodes that open a scope (functions, classes, blocks).
//!
//! Captures whose names start with `_` are helpers for predicates and are ignored.

pub mod extract;
pub mod index;
pub mod lexical;
pub mod privacy;
pub mod rank;
mod resolve;

pub use extract::{DefKind, ImportKind};
pub use index::{
    DefinitionInfo, FileId, FileInfo, ImportInfo, IndexOptions, IndexReport, SkipReason,
    SkippedFile, WorkspaceIndex,
};
pub use privacy::{is_secret_path, redact};
pub use rank::{
    ContextRequest, ContextResult, RankOptions, Signals, Snippet, SnippetKind, TokenCounter,
    approx_tokens,
};
