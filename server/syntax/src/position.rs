//! Converts between byte offsets and `(line, character)` positions in one place, so that every
//! other crate works in byte offsets and the editor's position encoding is handled exactly once.
//!
//! Lines end at `\n`; a `\r` right before the `\n` belongs to the line break, not to the line's
//! content. A lone `\r`, U+2028 and friends are ordinary characters: this matches tree-sitter's
//! notion of rows, so positions and tree points always agree. Every conversion is O(log n) via the
//! rope's indices.

use ropey::Rope;

/// The unit an LSP client counts `character` in (negotiated as `positionEncoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    /// UTF-8 code units (bytes).
    Utf8,
    /// UTF-16 code units; the LSP default.
    #[default]
    Utf16,
    /// Unicode scalar values (Rust `char`s).
    Utf32,
}

/// A zero-based line and a zero-based offset into that line, counted in the code units of some
/// [`PositionEncoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based offset into the line, in code units of the encoding.
    pub character: u32,
}

impl Position {
    /// A position at `line`, `character`.
    pub fn new(line: u32, character: u32) -> Position {
        Position { line, character }
    }
}

/// A half-open span between two positions, as in LSP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// Where the range starts (inclusive).
    pub start: Position,
    /// Where it ends (exclusive).
    pub end: Position,
}

impl Range {
    /// The range from `start` to `end`.
    pub fn new(start: Position, end: Position) -> Range {
        Range { start, end }
    }
}

/// Byte offset of `pos` in `rope`, clamped per the LSP spec: a character past the end of its line
/// means the end of the line (before the line break; `\n` and `\r\n` are line breaks), a line
/// past the last line means the end of the text; a position inside a UTF-16 surrogate pair or
/// inside a multi-byte UTF-8 character rounds down to the character boundary. Never panics.
pub fn byte_offset(rope: &Rope, pos: Position, encoding: PositionEncoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start_char = rope.line_to_char(line);
    let content_end_char = line_start_char + line_content_chars(rope, line);
    let character = pos.character as usize;
    let char_index = match encoding {
        PositionEncoding::Utf32 => {
            line_start_char + character.min(content_end_char - line_start_char)
        }
        PositionEncoding::Utf16 => {
            let line_start_unit = rope.char_to_utf16_cu(line_start_char);
            let content_end_unit = rope.char_to_utf16_cu(content_end_char);
            let target_unit = line_start_unit.saturating_add(character);
            if target_unit >= content_end_unit {
                content_end_char
            } else {
                // Ropey maps a unit inside a surrogate pair to the char that owns it: round down.
                rope.utf16_cu_to_char(target_unit)
            }
        }
        PositionEncoding::Utf8 => {
            let line_start_byte = rope.char_to_byte(line_start_char);
            let content_end_byte = rope.char_to_byte(content_end_char);
            let target_byte = line_start_byte.saturating_add(character);
            if target_byte >= content_end_byte {
                content_end_char
            } else {
                // A byte inside a multi-byte char maps to the char that owns it: round down.
                rope.byte_to_char(target_byte)
            }
        }
    };
    rope.char_to_byte(char_index)
}

/// The position of a byte offset, clamped to the text length and rounded down to a character
/// boundary. The inverse of [`byte_offset`] for every offset that is a character boundary outside
/// a line break.
pub fn position_of(rope: &Rope, byte: usize, encoding: PositionEncoding) -> Position {
    let char_index = rope.byte_to_char(byte.min(rope.len_bytes()));
    let line = rope.char_to_line(char_index);
    let line_start_char = rope.line_to_char(line);
    let character = match encoding {
        PositionEncoding::Utf32 => char_index - line_start_char,
        PositionEncoding::Utf16 => {
            rope.char_to_utf16_cu(char_index) - rope.char_to_utf16_cu(line_start_char)
        }
        PositionEncoding::Utf8 => rope.char_to_byte(char_index) - rope.line_to_byte(line),
    };
    Position { line: saturating_u32(line), character: saturating_u32(character) }
}

/// The tree-sitter point (row, byte column) of a byte offset that is a char boundary.
pub(crate) fn tree_sitter_point(rope: &Rope, byte: usize) -> tree_sitter::Point {
    let byte = byte.min(rope.len_bytes());
    let row = rope.byte_to_line(byte);
    tree_sitter::Point { row, column: byte - rope.line_to_byte(row) }
}

/// Number of chars in `line` excluding its line break (`\n` or `\r\n`).
fn line_content_chars(rope: &Rope, line: usize) -> usize {
    let slice = rope.line(line);
    let mut length = slice.len_chars();
    if length > 0 && slice.char(length - 1) == '\n' {
        length -= 1;
        if length > 0 && slice.char(length - 1) == '\r' {
            length -= 1;
        }
    }
    length
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tree-sitter rows end at `\n` only and columns count bytes; `InputEdit` points must agree.
    #[test]
    fn tree_sitter_points_count_newlines_and_bytes() {
        let text = "a😀\r\nb\r日\u{2028}x\n\nz";
        let rope = Rope::from_str(text);
        for byte in (0..=text.len()).filter(|&byte| text.is_char_boundary(byte)) {
            let before = &text[..byte];
            let row = before.matches('\n').count();
            let column = byte - before.rfind('\n').map_or(0, |newline| newline + 1);
            assert_eq!(
                tree_sitter_point(&rope, byte),
                tree_sitter::Point { row, column },
                "{byte}"
            );
        }
    }
}
