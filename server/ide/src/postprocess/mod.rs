//! Post-processing: turns a model's raw output into a completion worth showing, or into nothing.
//!
//! Small models ramble. They repeat the indentation already typed, run past the end of the block,
//! re-type the `)` the editor already auto-closed, echo the line above, and loop. This module
//! decides first what *shape* a completion at the cursor should have ([`decide_shape`]: suppress,
//! one line, or a block), then runs the raw text through a pipeline of small filters, each a
//! plain function over the candidate text with one job and its own tests.
//!
//! The pipeline, in order (see `filters/mod.rs`):
//!
//! 1. `normalize_line_endings` — `\r\n` and `\r` become `\n` (the document's line ending is
//!    restored on the way out).
//! 2. `leading_whitespace` — on an indentation-only cursor line, drop leading blank lines and the
//!    indentation the user already typed; after a typed space, drop the model's extra space.
//! 3. `shape_lines` — single-line shape keeps the first line only.
//! 4. `block_end` — multi-line shape: cut at the first line indented less than the block the
//!    completion writes into (keeping one closing-bracket line that ends it).
//! 5. `suffix_duplicate` — drop the tail that repeats what follows the cursor: the rest of the
//!    cursor line (`)`, `");`) or the next line of the document.
//! 6. `bracket_balance` — cut where the completion closes a bracket that the document already
//!    closes after the cursor, or one that was never opened.
//! 7. `repetition` — discard a completion that echoes the line above the cursor; cut a line (or
//!    block of up to four lines) repeated three times in a row down to one copy.
//! 8. `max_lines` — at most [`PostprocessConfig::max_lines`] lines.
//! 9. `trailing_whitespace` — trim line ends and trailing blank lines.
//!
//! Whatever is blank after any step is dropped: [`postprocess`] returns `None`.
//!
//! Architecture invariant: no language's name appears here. Decisions use generic tree-sitter
//! node kinds (kinds containing `comment` or `string`, block-like nodes), indentation and
//! brackets; language facts (comment tokens) come from [`Language`] data.

mod filters;
mod lexer;
mod shape;
mod text;
mod validate;

use std::fmt;

use infill_syntax::Language;
use serde::{Deserialize, Serialize};

use filters::Context;
use lexer::CommentTokens;
pub use shape::{Shape, SuppressReason};
pub use validate::{Repaired, Validity, check as check_syntax, repair as repair_syntax};

/// How completions are shaped and filtered. Part of the server's typed configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostprocessConfig {
    /// The most lines a completion may have (at least 1).
    pub max_lines: usize,
    /// Complete inside comments (single-line) instead of staying quiet.
    pub allow_in_comments: bool,
    /// Complete inside string literals (single-line) instead of staying quiet.
    pub allow_in_strings: bool,
    /// Offer multi-line completions where a block is being written; `false` keeps every
    /// completion to the rest of the cursor line.
    pub multiline: bool,
}

impl Default for PostprocessConfig {
    fn default() -> Self {
        PostprocessConfig {
            max_lines: 8,
            allow_in_comments: false,
            allow_in_strings: false,
            multiline: true,
        }
    }
}

/// A syntax tree of the document with the cursor's byte offset in that tree's coordinates.
#[derive(Clone, Copy)]
pub(crate) struct SyntaxAtCursor<'a> {
    pub tree: &'a tree_sitter::Tree,
    pub cursor_byte: usize,
}

/// Everything known about the cursor before the model runs.
#[derive(Clone, Copy)]
pub(crate) struct CursorContext<'a> {
    pub prefix: &'a str,
    pub suffix: &'a str,
    pub syntax: Option<SyntaxAtCursor<'a>>,
    pub language: Option<&'a Language>,
}

impl<'a> CursorContext<'a> {
    /// A cursor between `prefix` and `suffix`, without a tree or a language.
    #[cfg(test)]
    pub(crate) fn new(prefix: &'a str, suffix: &'a str) -> Self {
        CursorContext { prefix, suffix, syntax: None, language: None }
    }

    /// Text of the cursor line before the cursor.
    pub(crate) fn line_prefix(&self) -> &'a str {
        let start = self.prefix.rfind('\n').map_or(0, |newline| newline + 1);
        &self.prefix[start..]
    }

    /// Text of the cursor line after the cursor, without the line terminator.
    pub(crate) fn line_rest(&self) -> &'a str {
        let end = self.suffix.find('\n').unwrap_or(self.suffix.len());
        let rest = &self.suffix[..end];
        rest.strip_suffix('\r').unwrap_or(rest)
    }

    /// The document after the cursor line (empty when the cursor is on the last line).
    pub(crate) fn following_lines(&self) -> &'a str {
        self.suffix.find('\n').map_or("", |newline| &self.suffix[newline + 1..])
    }

    /// Whether the document ends its lines with `\r\n`, judged by the line ending nearest to the
    /// cursor.
    pub(crate) fn uses_crlf(&self) -> bool {
        if let Some(newline) = self.prefix.rfind('\n') {
            return self.prefix[..newline].ends_with('\r');
        }
        self.suffix.find('\n').is_some_and(|newline| self.suffix[..newline].ends_with('\r'))
    }
}

/// A raw model output to post-process, with what is known about its cursor.
#[derive(Clone)]
pub struct PostprocessInput<'a> {
    /// Document text before the cursor: the whole of it, or a window that starts at a line
    /// start.
    pub prefix: &'a str,
    /// Document text after the cursor: the whole of it, or a window.
    pub suffix: &'a str,
    /// The document's syntax tree, current with `prefix` and `suffix`, where the language has a
    /// grammar.
    pub tree: Option<&'a tree_sitter::Tree>,
    /// The cursor as a byte offset into the document `tree` was parsed from (`prefix.len()` when
    /// `prefix` is the whole text before the cursor). Only used with `tree`.
    pub cursor: usize,
    /// The document's language, for its comment tokens.
    pub language: Option<&'a Language>,
    /// The model's output as generated (the engine has already removed stop sequences).
    pub raw: &'a str,
    /// The shape [`decide_shape`] chose before generating.
    pub shape: Shape,
    /// The limits and switches the filters follow.
    pub config: PostprocessConfig,
}

impl fmt::Debug for PostprocessInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostprocessInput")
            .field("prefix_bytes", &self.prefix.len())
            .field("suffix_bytes", &self.suffix.len())
            .field("tree", &self.tree.is_some())
            .field("cursor", &self.cursor)
            .field("language", &self.language.map(|language| language.name.as_str()))
            .field("raw", &self.raw)
            .field("shape", &self.shape)
            .field("config", &self.config)
            .finish()
    }
}

impl<'a> PostprocessInput<'a> {
    fn cursor_context(&self) -> CursorContext<'a> {
        CursorContext {
            prefix: self.prefix,
            suffix: self.suffix,
            syntax: self.tree.map(|tree| SyntaxAtCursor { tree, cursor_byte: self.cursor }),
            language: self.language,
        }
    }
}

/// Decides what a completion at the cursor may look like, before the model runs. In order: in
/// a comment or string, suppress (single-line where allowed by the config); a word character
/// right after the cursor, suppress; other text after the cursor on its line, single-line (but
/// `{$0}` is multi-line); an indentation-only line, multi-line unless the line above ends
/// mid-expression; the end of a line that opens a block, multi-line; otherwise single-line.
///
/// `prefix` and `suffix` split the document at the cursor; with a `tree`, `prefix` must be the
/// whole text before the cursor, since `prefix.len()` is taken as the cursor's byte offset in
/// the tree.
pub fn decide_shape(
    prefix: &str,
    suffix: &str,
    tree: Option<&tree_sitter::Tree>,
    language: Option<&Language>,
    config: &PostprocessConfig,
) -> Shape {
    let cursor = CursorContext {
        prefix,
        suffix,
        syntax: tree.map(|tree| SyntaxAtCursor { tree, cursor_byte: prefix.len() }),
        language,
    };
    shape::decide(&cursor, config)
}

/// Runs the filter pipeline for `input.shape`: the text to insert at the cursor, or `None` when
/// the shape suppresses completion or nothing useful remains.
pub fn postprocess(input: &PostprocessInput<'_>) -> Option<String> {
    if let Shape::Suppress(reason) = input.shape {
        tracing::trace!(%reason, "completion suppressed");
        return None;
    }
    let cursor = input.cursor_context();
    let comments = CommentTokens::of(input.language);
    let context = Context {
        config: &input.config,
        shape: input.shape,
        comments,
        cursor_in_code: shape::cursor_syntax(&cursor, comments) == shape::CursorSyntax::Code,
        prefix: input.prefix,
        suffix: input.suffix,
        line_prefix: cursor.line_prefix(),
        line_rest: cursor.line_rest(),
        following: cursor.following_lines(),
    };
    let text = filters::run(input.raw, &context)?;
    Some(restore_line_endings(text, cursor.uses_crlf()))
}

/// Whether the model may stop: `Some(raw.len())` once post-processing has cut `input.raw` so
/// that nothing the model writes next can reach the suggestion. Checked after every token while
/// generating ([`infill_engine::OutputCut`]), so that decoding follows what the user will see
/// instead of running to `max_tokens`.
///
/// The filters decide line by line from what precedes (indentation against the block, the line
/// count, brackets, repeats), so the suggestion of the output so far settles when:
///
/// * right after a newline, it does not end with the last complete line as written (a dropped
///   line, a shortened one, `max_lines` reached);
/// * on a line that has its first character (so its indentation is known), it leaves that line
///   out (a dedent past the block, a new top-level definition). Not when the line starts with a
///   closing bracket (the block's end, kept or not by what follows it on the line), nor when it
///   could still become the rest of the cursor's line or the document's next line, which the
///   suffix filter drops only when it repeats them whole.
///
/// `None` for the single-line shape, whose stop sequence is the newline, while the suggestion is
/// empty, and on its first line.
pub fn settled_end(input: &PostprocessInput<'_>) -> Option<usize> {
    if input.shape != Shape::MultiLine {
        return None;
    }
    let normalized = filters::normalize_line_endings_of(input.raw);
    let (complete, partial) = normalized.rsplit_once('\n')?;
    let complete_line = last_line_of(complete)?;
    let suggestion = postprocess(input)?;
    let shown = last_line_of(&suggestion)?;
    let partial = partial.trim();
    let cursor = input.cursor_context();
    let line_rest = cursor.line_rest().trim();
    let next_line =
        cursor.following_lines().lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    let cut = if partial.is_empty() {
        shown != complete_line
    } else {
        // A shortened line (a repeat of the suffix cut off its end) may grow back, and a closing
        // bracket may end the block (kept) or start a dropped line: wait for the line.
        !partial.starts_with(shown)
            && !partial.starts_with([')', ']', '}'])
            && ![line_rest, next_line]
                .iter()
                .any(|text| !text.is_empty() && text.starts_with(partial))
    };
    if !cut {
        return None;
    }
    // The suffix filter reads the output's tail: check that what the model could write next
    // (the suffix's own text above all) leaves the suggestion as it is.
    let settled = ["x", "\n", line_rest, next_line].iter().all(|more| {
        let longer = format!("{}{more}", input.raw);
        postprocess(&PostprocessInput { raw: &longer, ..input.clone() }).as_ref()
            == Some(&suggestion)
    });
    settled.then_some(input.raw.len())
}

/// The last non-blank line of `text`, trimmed.
fn last_line_of(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|line| !line.is_empty())
}

/// The "post-processing off" arm of the quality benchmark: only the stop/newline rule. The raw
/// text is cut to its first line, or to `max_lines` lines where `input.shape` is multi-line;
/// nothing is suppressed, deduplicated or re-indented. `None` only when the result is blank.
pub fn postprocess_off(input: &PostprocessInput<'_>) -> Option<String> {
    let mut text = filters::normalize_line_endings_of(input.raw);
    let keep = if input.shape == Shape::MultiLine { input.config.max_lines.max(1) } else { 1 };
    if let Some((newline, _)) = text.match_indices('\n').nth(keep - 1) {
        text.truncate(newline);
    }
    if text::is_blank(&text) {
        return None;
    }
    Some(restore_line_endings(text, input.cursor_context().uses_crlf()))
}

fn restore_line_endings(text: String, crlf: bool) -> String {
    if crlf { text.replace('\n', "\r\n") } else { text }
}
