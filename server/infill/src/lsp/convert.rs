//! Conversions between LSP types and Infill's own: positions, ranges, encodings, paths.
//!
//! Architecture invariant: this is the one place where LSP positions meet our byte offsets.

use std::path::PathBuf;

use infill_syntax::{Position, PositionEncoding, Range, TextChange};
use tower_lsp_server::ls_types as lsp;

pub fn position_from_lsp(position: lsp::Position) -> Position {
    Position { line: position.line, character: position.character }
}

pub fn position_to_lsp(position: Position) -> lsp::Position {
    lsp::Position { line: position.line, character: position.character }
}

pub fn range_to_lsp(range: Range) -> lsp::Range {
    lsp::Range { start: position_to_lsp(range.start), end: position_to_lsp(range.end) }
}

pub fn change_from_lsp(change: lsp::TextDocumentContentChangeEvent) -> TextChange {
    TextChange {
        range: change
            .range
            .map(|r| Range { start: position_from_lsp(r.start), end: position_from_lsp(r.end) }),
        text: change.text,
    }
}

/// Picks the position encoding from what the client offers: UTF-8 when offered (cheapest for
/// us), else UTF-16 (the protocol's default). UTF-32 is used only when it is all the client has.
pub fn negotiate_encoding(offered: Option<&[lsp::PositionEncodingKind]>) -> PositionEncoding {
    let Some(offered) = offered else { return PositionEncoding::Utf16 };
    if offered.contains(&lsp::PositionEncodingKind::UTF8) {
        PositionEncoding::Utf8
    } else if offered.contains(&lsp::PositionEncodingKind::UTF16) || offered.is_empty() {
        PositionEncoding::Utf16
    } else if offered.contains(&lsp::PositionEncodingKind::UTF32) {
        PositionEncoding::Utf32
    } else {
        PositionEncoding::Utf16
    }
}

pub fn encoding_to_lsp(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

/// The file system path of a `file:` URI.
pub fn uri_to_path(uri: &lsp::Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_utf8_then_utf16() {
        use lsp::PositionEncodingKind as K;
        assert_eq!(negotiate_encoding(None), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(Some(&[K::UTF16, K::UTF8])), PositionEncoding::Utf8);
        assert_eq!(negotiate_encoding(Some(&[K::UTF16])), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(Some(&[K::UTF32])), PositionEncoding::Utf32);
        assert_eq!(negotiate_encoding(Some(&[])), PositionEncoding::Utf16);
    }
}
