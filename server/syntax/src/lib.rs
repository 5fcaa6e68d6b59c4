//! Documents, position encodings, edits, the language registry and incremental tree-sitter parsing.
//!
//! Everything here works in byte offsets; [`PositionEncoding`] conversions happen once, at the
//! edge, through [`byte_offset`] and [`position_of`].

mod document;
mod grammar;
mod language;
mod parse;
mod position;

pub use document::{Document, DocumentLimits, TextChange};
pub use grammar::GRAMMAR_NAMES;
pub use language::{Language, LanguageError, LanguageRegistry, QUERY_KINDS};
pub use parse::parse;
pub use position::{Position, PositionEncoding, Range, byte_offset, position_of};
