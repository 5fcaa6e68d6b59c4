//! Parsing entry points: a one-shot parse of a string for callers without a [`Document`]
//! (workspace indexing), and the rope reader that feeds incremental reparses without copying the
//! text.
//!
//! [`Document`]: crate::Document

use std::cell::RefCell;

use ropey::Rope;
use tree_sitter::{Parser, Point, Tree};

use crate::document::DocumentLimits;
use crate::language::Language;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// A fresh parse; `None` when the language has no grammar or the parse runs out of the default
/// [`DocumentLimits::full_parse_budget`] (tree-sitter's error recovery can take seconds on a few
/// hundred bytes of unbalanced brackets). Never panics: syntax errors become ERROR and MISSING
/// nodes in the tree.
pub fn parse(language: &Language, text: &str) -> Option<Tree> {
    parse_included(language, text, None)
}

/// [`parse`] as if the bytes of `skipped` (sorted, disjoint ranges of `text`) were not there,
/// while every node keeps its byte offset and point in `text` (tree-sitter's included ranges):
/// the lexer jumps over them instead of reading them. The workspace index skips function bodies
/// this way. Ranges out of order or out of bounds give a plain [`parse`].
pub fn parse_skipping(
    language: &Language,
    text: &str,
    skipped: &[std::ops::Range<usize>],
) -> Option<Tree> {
    if skipped.is_empty() {
        return parse(language, text);
    }
    let in_order = skipped.windows(2).all(|pair| pair[0].end <= pair[1].start)
        && skipped.iter().all(|range| range.start <= range.end && range.end <= text.len());
    if !in_order {
        return parse(language, text);
    }
    let bytes = text.as_bytes();
    let mut points = PointCounter { bytes, at: 0, point: Point { row: 0, column: 0 } };
    let mut included = Vec::with_capacity(skipped.len() + 1);
    let mut start = 0;
    for range in skipped {
        if range.start > start {
            let start_point = points.at(start);
            included.push(tree_sitter::Range {
                start_byte: start,
                end_byte: range.start,
                start_point,
                end_point: points.at(range.start),
            });
        }
        start = range.end;
    }
    if start < text.len() || included.is_empty() {
        let start_point = points.at(start);
        included.push(tree_sitter::Range {
            start_byte: start,
            end_byte: text.len(),
            start_point,
            end_point: points.at(text.len()),
        });
    }
    parse_included(language, text, Some(&included))
}

/// Points of increasing byte offsets, counted in one pass.
struct PointCounter<'t> {
    bytes: &'t [u8],
    at: usize,
    point: Point,
}

impl PointCounter<'_> {
    fn at(&mut self, byte: usize) -> Point {
        for &b in &self.bytes[self.at..byte] {
            if b == b'\n' {
                self.point = Point { row: self.point.row + 1, column: 0 };
            } else {
                self.point.column += 1;
            }
        }
        self.at = byte;
        self.point
    }
}

fn parse_included(
    language: &Language,
    text: &str,
    included: Option<&[tree_sitter::Range]>,
) -> Option<Tree> {
    let ts_language = language.ts_language()?;
    PARSER.with(|parser| {
        let mut parser = parser.try_borrow_mut().ok()?;
        if let Err(error) = parser.set_language(&ts_language) {
            tracing::warn!(language = %language.name, %error, "grammar does not load");
            return None;
        }
        parser.reset();
        if let Some(included) = included
            && parser.set_included_ranges(included).is_err()
        {
            // Ranges tree-sitter refuses: parse the whole text rather than none of it.
            let _ = parser.set_included_ranges(&[]);
        }
        let budget = DocumentLimits::default().full_parse_budget(text.len());
        let started = std::time::Instant::now();
        let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
        let bytes = text.as_bytes();
        let mut read = |byte: usize, _: Point| bytes.get(byte..).unwrap_or_default();
        let tree = parser.parse_with_options(&mut read, None, Some(options));
        if included.is_some() {
            // Back to the whole text for the next caller on this thread.
            let _ = parser.set_included_ranges(&[]);
        }
        if tree.is_none() {
            parser.reset();
            tracing::warn!(
                language = %language.name,
                len_bytes = text.len(),
                budget_ms = budget.as_millis() as u64,
                "parsing ran out of time"
            );
        }
        tree
    })
}

/// The tree of `old_text` with `inserted` put in at byte `at`, reparsed incrementally from
/// `old_tree` (parsed from `old_text`): what a suggestion would make of the document, without
/// touching it. `None` when the language has no grammar, `at` is not a character boundary of
/// `old_text`, or the reparse runs out of `budget`.
pub fn parse_with_insertion(
    language: &Language,
    old_tree: &Tree,
    old_text: &str,
    at: usize,
    inserted: &str,
    budget: std::time::Duration,
) -> Option<Tree> {
    if !old_text.is_char_boundary(at) {
        return None;
    }
    let ts_language = language.ts_language()?;
    let start = point_after(Point { row: 0, column: 0 }, &old_text[..at]);
    let edit = tree_sitter::InputEdit {
        start_byte: at,
        old_end_byte: at,
        new_end_byte: at + inserted.len(),
        start_position: start,
        old_end_position: start,
        new_end_position: point_after(start, inserted),
    };
    let mut tree = old_tree.clone();
    tree.edit(&edit);
    let (before, after) = old_text.split_at(at);
    PARSER.with(|parser| {
        let mut parser = parser.try_borrow_mut().ok()?;
        parser.set_language(&ts_language).ok()?;
        parser.reset();
        let started = std::time::Instant::now();
        let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
        let parts = [before.as_bytes(), inserted.as_bytes(), after.as_bytes()];
        let mut read = |byte: usize, _: Point| {
            let mut offset = byte;
            for part in parts {
                if offset < part.len() {
                    return &part[offset..];
                }
                offset -= part.len();
            }
            &[][..]
        };
        let reparsed = parser.parse_with_options(&mut read, Some(&tree), Some(options));
        if reparsed.is_none() {
            parser.reset();
        }
        reparsed
    })
}

/// The number of syntax errors in `tree`: its `ERROR` and `MISSING` nodes (an error node's
/// inside is not counted again).
pub fn syntax_error_count(tree: &Tree) -> usize {
    let mut count = 0;
    visit_errors(tree, |_| count += 1);
    count
}

/// The bytes of `tree`'s text inside its `ERROR` nodes (outermost ones): how much of the text
/// error recovery could not place.
pub fn syntax_error_bytes(tree: &Tree) -> usize {
    let mut bytes = 0;
    visit_errors(tree, |node| bytes += node.end_byte() - node.start_byte());
    bytes
}

/// Calls `found` for each outermost `ERROR` or `MISSING` node, skipping error-free subtrees.
fn visit_errors(tree: &Tree, mut found: impl FnMut(tree_sitter::Node<'_>)) {
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let error = node.is_error() || node.is_missing();
        if error {
            found(node);
        }
        if !error && node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The position after `text` when it starts at `start`.
fn point_after(start: Point, text: &str) -> Point {
    match text.rfind('\n') {
        Some(last) => Point {
            row: start.row + text.bytes().filter(|byte| *byte == b'\n').count(),
            column: text.len() - last - 1,
        },
        None => Point { row: start.row, column: start.column + text.len() },
    }
}

/// A parser set up for `language`, or `None` when it has no grammar that loads.
pub(crate) fn parser_for(language: &Language) -> Option<Parser> {
    let ts_language = language.ts_language()?;
    let mut parser = Parser::new();
    match parser.set_language(&ts_language) {
        Ok(()) => Some(parser),
        Err(error) => {
            tracing::warn!(language = %language.name, %error, "grammar does not load");
            None
        }
    }
}

/// Parses the rope chunk by chunk, reusing `old_tree` (already edited to match the rope).
/// Gives up (returns `None`) once `budget` runs out; the caller must then `reset` the parser
/// before parsing other text.
pub(crate) fn parse_rope(
    parser: &mut Parser,
    rope: &Rope,
    old_tree: Option<&Tree>,
    budget: std::time::Duration,
) -> Option<Tree> {
    let mut read = rope_reader(rope);
    let started = std::time::Instant::now();
    let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
    parser.parse_with_options(&mut read, old_tree, Some(options))
}

/// The tree-sitter input callback: the rest of the rope chunk that holds `byte`.
fn rope_reader<'rope>(rope: &'rope Rope) -> impl FnMut(usize, Point) -> &'rope [u8] {
    move |byte, _point| {
        if byte >= rope.len_bytes() {
            return &[];
        }
        let (chunk, chunk_start_byte, _, _) = rope.chunk_at_byte(byte);
        chunk.as_bytes().get(byte - chunk_start_byte..).unwrap_or_default()
    }
}
