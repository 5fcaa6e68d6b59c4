//! The outline of a file for indexing: the byte ranges of its function bodies, which the index
//! has tree-sitter skip (`infill_syntax::parse_skipping`), so the parse and the query walk cover
//! declarations only while every range the index records is that of the real text. What is lost
//! are definitions and imports inside function bodies, which no other file can name; a file that
//! is opened or edited is parsed in full.
//!
//! * `scanner` — tokens past each brace language's comments and literals (strings, raw strings,
//!   character and rune literals, lifetimes, template literals, regular expressions), bracket
//!   groups, and Rust's (`fn`) and Go's (`func`) declarations;
//! * `ecmascript` — JavaScript and TypeScript bodies: the block after `=>`, or after a parameter
//!   list that follows a name (a top-level `if (…) {` block too, whose declarations are
//!   block-scoped), past a TypeScript return type read as a type;
//! * `python` — Python bodies, which keep their first simple statement.
//!
//! A JavaScript file that may hold JSX (`</` or `/>` anywhere), TSX and other languages have no
//! outline and are parsed whole. A body whose closing brace the scanner cannot find ends the
//! outline there, so an odd file costs a fuller parse, never a wrong outline of what precedes its
//! bodies.

use std::ops::Range;

mod ecmascript;
mod python;
mod scanner;
#[cfg(test)]
mod tests;

use scanner::{Lang, Scanner};

/// Bumped when the rules of what is skipped change: part of the on-disk index's fingerprint, so
/// symbols extracted under other rules are not reused.
pub const OUTLINE_VERSION: u32 = 3;

/// The byte ranges of the outermost function bodies to skip, sorted: between the braces, or in
/// Python from the end of a body's first simple statement to the end of the body; empty when the
/// language has no outline.
pub fn function_bodies(language: &str, text: &str) -> Vec<Range<usize>> {
    let lang = match language {
        "rust" => Lang::Rust,
        "go" => Lang::Go,
        // JSX text is not JavaScript (`<p>Don't {`): a file that may hold JSX is parsed whole.
        "javascript" if text.contains("</") || text.contains("/>") => return Vec::new(),
        "javascript" | "typescript" => Lang::Es,
        "python" => return python::function_bodies(text),
        _ => return Vec::new(),
    };
    let mut scanner = Scanner::new(text.as_bytes(), lang);
    let mut bodies = Vec::new();
    while let Some(open) = scanner.next_body() {
        let Some(close) = scanner.matching_brace_from(open) else { break };
        if close > open + 1 {
            bodies.push(open + 1..close);
        }
    }
    bodies
}

/// After extraction from a tree parsed with `skipped` left out: a definition (or its body) whose
/// node ends where skipped text starts, with only whitespace between, really ends where that text
/// ends (Python, whose block's last statement is skipped; a brace language's `}` is never
/// skipped, so nothing ends there).
pub(super) fn restore_ends(
    defs: &mut [crate::extract::Definition],
    skipped: &[Range<usize>],
    text: &str,
) {
    if skipped.is_empty() {
        return;
    }
    let bytes = text.as_bytes();
    let real_end = |end: usize| {
        let next = skipped.partition_point(|range| range.start < end);
        let range = skipped.get(next)?;
        bytes[end..range.start].iter().all(u8::is_ascii_whitespace).then_some(range.end)
    };
    let mut newlines: Option<Vec<usize>> = None;
    for def in defs {
        if let Some(body) = &mut def.body
            && let Some(end) = real_end(body.end)
        {
            body.end = end;
        }
        if let Some(end) = real_end(def.range.end) {
            def.range.end = end;
            let newlines = newlines.get_or_insert_with(|| {
                bytes.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i).collect()
            });
            def.end_line = newlines.partition_point(|&i| i < end) as u32;
        }
    }
}
