//! Documents under arbitrary edits (`infill_syntax::Document`): positions in UTF-8, UTF-16 and
//! UTF-32, past the end of a line or of the file, inside surrogate pairs and multi-byte
//! characters, reversed ranges, whole-text replacements, and documents that cross the syntax
//! tree's size limit. Nothing panics, and after every edit the text equals a plain `String` that
//! applied the same edit as the LSP spec describes it (written here from the spec, not from
//! the rope). Position conversions agree with the same reference, and an incrementally
//! reparsed tree equals a fresh parse wherever the fresh parse has no syntax errors.

#![no_main]

use arbitrary::Arbitrary;
use infill_syntax::{
    Document, DocumentLimits, LanguageRegistry, Position, PositionEncoding, Range, TextChange,
};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Coordinate {
    line: u8,
    character: u8,
    /// A line or character far past the end (`u32::MAX`), which the spec clamps.
    huge: u8,
}

impl Coordinate {
    fn position(&self) -> Position {
        let line = if self.huge & 1 != 0 { u32::MAX } else { u32::from(self.line % 32) };
        let character = if self.huge & 2 != 0 { u32::MAX } else { u32::from(self.character) };
        Position::new(line, character)
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Range { start: Coordinate, end: Coordinate, text: String },
    Whole { text: String },
    ReplaceText { text: String },
    Probe { at: Coordinate, byte: u16 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    text: String,
    language: u8,
    encoding: u8,
    small_tree_limit: Option<u8>,
    edits: Vec<Edit>,
}

/// Code units of `c` in `encoding`.
fn width(c: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => c.len_utf8(),
        PositionEncoding::Utf16 => c.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

/// The byte offset of `position` in `text` as the LSP spec defines it: lines end at `\n` (a
/// `\r` before it belongs to the line break); a character past the line's end is its end; a line
/// past the last is the end of the text; inside a character rounds down to its start.
fn reference_offset(text: &str, position: Position, encoding: PositionEncoding) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(newline) => line_start += newline + 1,
            None => return text.len(),
        }
    }
    let line = &text[line_start..];
    let content = match line.find('\n') {
        Some(newline) => line[..newline].strip_suffix('\r').unwrap_or(&line[..newline]),
        None => line,
    };
    let mut units = 0usize;
    for (offset, c) in content.char_indices() {
        if units + width(c, encoding) > position.character as usize {
            return line_start + offset;
        }
        units += width(c, encoding);
    }
    line_start + content.len()
}

fn apply_reference(text: &mut String, change: &TextChange, encoding: PositionEncoding) {
    let Some(range) = change.range else {
        *text = change.text.clone();
        return;
    };
    let start = reference_offset(text, range.start, encoding);
    let end = reference_offset(text, range.end, encoding);
    text.replace_range(start.min(end)..start.max(end), &change.text);
}

fn check_tree(document: &mut Document, text: &str) {
    let Some(language) = document.language().cloned() else { return };
    let Some(tree) = document.parsed_tree() else { return };
    let root = tree.root_node();
    assert!(root.end_byte() <= text.len(), "the tree ends inside the text");
    let incremental = root.to_sexp();
    let Some(grammar) = language.ts_language() else { return };
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&grammar).expect("the grammar loads");
    let Some(fresh) = parser.parse(text, None) else { return };
    if !fresh.root_node().has_error() {
        assert_eq!(incremental, fresh.root_node().to_sexp(), "incremental reparse != fresh parse");
    }
}

fuzz_target!(|input: Input| {
    let registry = LanguageRegistry::builtin();
    let languages: Vec<_> = registry.languages().cloned().collect();
    let language = languages.get(input.language as usize % (languages.len() + 1)).cloned();
    let encoding = [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32]
        [input.encoding as usize % 3];
    let mut limits = DocumentLimits::default();
    if let Some(limit) = input.small_tree_limit {
        limits.max_tree_bytes = usize::from(limit);
    }
    let mut document = Document::new(&input.text, 1, language, &limits);
    let mut model = input.text.clone();
    for edit in input.edits.iter().take(64) {
        match edit {
            Edit::Range { start, end, text } => {
                let change = TextChange {
                    range: Some(Range::new(start.position(), end.position())),
                    text: text.clone(),
                };
                apply_reference(&mut model, &change, encoding);
                document.apply_change(&change, encoding);
            }
            Edit::Whole { text } => {
                let change = TextChange { range: None, text: text.clone() };
                apply_reference(&mut model, &change, encoding);
                document.apply_change(&change, encoding);
            }
            Edit::ReplaceText { text } => {
                model = text.clone();
                let _ = document.replace_text(text);
            }
            Edit::Probe { at, byte } => {
                let position = at.position();
                let offset = document.byte_offset(position, encoding);
                assert_eq!(offset, reference_offset(&model, position, encoding), "{position:?}");
                let byte = usize::from(*byte) % (model.len() + 2);
                let back = document.position_of(byte, encoding);
                let floor = (0..=byte.min(model.len()))
                    .rev()
                    .find(|&b| model.is_char_boundary(b))
                    .unwrap_or(0);
                let in_line_break =
                    floor > 0 && model[..floor].ends_with('\r') && model[floor..].starts_with('\n');
                if !in_line_break {
                    assert_eq!(document.byte_offset(back, encoding), floor, "{back:?}");
                }
                let end = usize::from(at.character) % (model.len() + 2);
                let slice = document.slice(floor..end);
                if end >= floor && model.is_char_boundary(end.min(model.len())) {
                    assert_eq!(slice, model[floor..end.min(model.len())]);
                }
            }
        }
        assert_eq!(document.text(), model, "the document and the reference disagree");
        assert_eq!(document.len_bytes(), model.len());
    }
    check_tree(&mut document, &model);
});
