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
    let ts_language = language.ts_language()?;
    PARSER.with(|parser| {
        let mut parser = parser.try_borrow_mut().ok()?;
        if let Err(error) = parser.set_language(&ts_language) {
            tracing::warn!(language = %language.name, %error, "grammar does not load");
            return None;
        }
        parser.reset();
        let budget = DocumentLimits::default().full_parse_budget(text.len());
        let started = std::time::Instant::now();
        let mut out_of_time = |_: &tree_sitter::ParseState| started.elapsed() > budget;
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut out_of_time);
        let bytes = text.as_bytes();
        let mut read = |byte: usize, _: Point| bytes.get(byte..).unwrap_or_default();
        let tree = parser.parse_with_options(&mut read, None, Some(options));
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
