//! Symbol extraction: runs a language's `definitions` and `imports` queries over a parsed tree and
//! keeps what the index needs. Nothing here knows a language; the capture names (see the crate
//! docs) carry all meaning.
//!
//! * [`types`](self) — [`Definition`], [`Import`], [`FileSymbols`]: the records the index stores;
//! * `query` — one traversal for both queries, a reusable cursor per thread;
//! * `definitions`, `imports` — from matches to records;
//! * `incremental` — [`extract_incremental`]: re-extract only around an edit;
//! * `skeleton` — [`full_text`] and [`skeleton`]: rendering a definition for a prompt;
//! * `outline` — [`function_bodies`]: what the index skips when it parses a file that is not open.

mod definitions;
mod imports;
mod incremental;
mod outline;
mod query;
mod skeleton;
mod types;

use infill_syntax::Language;
use tree_sitter::Tree;

pub use incremental::extract_incremental;
pub use outline::{OUTLINE_VERSION, function_bodies};
pub use skeleton::{full_text, skeleton};
pub use types::{DefKind, Definition, FileSymbols, Import, ImportKind};
pub(crate) use types::{base_name, index_names};

/// Definitions deeper than this (closures inside closures inside functions) are not indexed;
/// the limit lets the query cursor skip function bodies, which is most of a file.
pub const DEFINITION_DEPTH: u32 = 7;
/// Imports deeper than this are not indexed when the imports query runs alone (top level,
/// modules, functions, `try` blocks); run together with definitions, the deeper limit applies.
pub const IMPORT_DEPTH: u32 = 5;

/// [`extract`] from a tree parsed with the ranges `skipped` left out (the function bodies of
/// [`function_bodies`]): definitions that end where skipped text starts get their real end back.
pub fn extract_skipping(
    language: &Language,
    tree: &Tree,
    text: &str,
    skipped: &[std::ops::Range<usize>],
) -> FileSymbols {
    let mut symbols = extract(language, tree, text);
    outline::restore_ends(&mut symbols.definitions, skipped, text);
    symbols
}

/// Runs the `definitions` and `imports` queries and scans identifier tokens. Missing queries
/// yield empty lists; nothing here panics on odd trees.
pub fn extract(language: &Language, tree: &Tree, text: &str) -> FileSymbols {
    let root = tree.root_node();
    let mut symbols = FileSymbols::default();
    if let Some(query) = query::combined_query(language) {
        let matches = query::collect(&query, root, text, DEFINITION_DEPTH, None);
        symbols.definitions = definitions::definitions(&matches, text);
        (symbols.imports, symbols.packages) = imports::imports(&matches, text);
    } else {
        if let Some(query) = language.query("definitions") {
            let matches = query::collect(query, root, text, DEFINITION_DEPTH, None);
            symbols.definitions = definitions::definitions(&matches, text);
        }
        if let Some(query) = language.query("imports") {
            let matches = query::collect(query, root, text, IMPORT_DEPTH, None);
            (symbols.imports, symbols.packages) = imports::imports(&matches, text);
        }
    }
    symbols.tokens = crate::lexical::token_set(text);
    symbols.def_index = types::index_names(&symbols.definitions);
    symbols
}
