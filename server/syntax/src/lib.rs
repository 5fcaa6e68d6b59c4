//! Documents, position encodings, edits, the language registry and incremental tree-sitter parsing.
//!
//! Everything here works in byte offsets; [`PositionEncoding`] conversions happen once, at the
//! edge, through [`byte_offset`] and [`position_of`].

#![warn(missing_docs)]

mod document;
mod grammar;
mod language;
mod parse;
mod position;
mod queries;
mod table;

pub use document::{Document, DocumentLimits, Reparse, TextChange};
pub use grammar::grammar_names;
pub use language::{Language, LanguageError, LanguageRegistry, QUERY_KINDS};
pub use parse::{
    parse, parse_skipping, parse_with_insertion, syntax_error_bytes, syntax_error_count,
};
pub use position::{Position, PositionEncoding, Range, byte_offset, position_of};
pub use table::{
    ActionRules, DocStyle, ImportRules, ImportStyle, NodeKinds, TestPlacement, TestRules,
    UnknownImportStyle,
};
