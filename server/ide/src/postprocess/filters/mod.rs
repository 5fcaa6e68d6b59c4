//! The filter pipeline: small functions over the candidate text, run in a fixed order.
//!
//! Each filter is `fn(&mut String, &Context)`: it may shorten or rewrite the candidate and
//! never panics. The order matters and is documented in [`PIPELINE`]: later filters assume the
//! text is `\n`-separated (1), starts where the cursor is (2), and has the cursor's shape (3).

mod brackets;
mod indentation;
mod leading;
mod repetition;
mod suffix;

use super::lexer::CommentTokens;
use super::text::{is_blank, leading_whitespace};
use super::{PostprocessConfig, Shape};

/// What the filters know about the cursor, computed once per completion.
pub(crate) struct Context<'a> {
    pub config: &'a PostprocessConfig,
    /// `SingleLine` or `MultiLine`; suppressed completions never reach the filters.
    pub shape: Shape,
    pub comments: CommentTokens<'a>,
    /// The cursor is in code (not in a comment or string where completing was allowed).
    pub cursor_in_code: bool,
    pub prefix: &'a str,
    pub suffix: &'a str,
    /// The cursor line before the cursor.
    pub line_prefix: &'a str,
    /// The cursor line after the cursor, without its terminator.
    pub line_rest: &'a str,
    /// The document after the cursor line.
    pub following: &'a str,
}

pub(crate) type Filter = fn(&mut String, &Context<'_>);

/// The filters in the order they run, with the names used in trace logs.
pub(crate) const PIPELINE: &[(&str, Filter)] = &[
    ("normalize_line_endings", normalize_line_endings),
    ("leading_whitespace", leading::drop_leading_whitespace_duplication),
    ("shape_lines", keep_first_line_for_single_line),
    ("block_end", indentation::cut_at_block_end),
    ("suffix_duplicate", suffix::remove_suffix_duplicate),
    ("bracket_balance", brackets::balance_brackets),
    ("repetition", repetition::drop_repetition),
    ("max_lines", cap_max_lines),
    ("trailing_whitespace", trim_trailing_whitespace),
];

/// Runs [`PIPELINE`] over `raw`; `None` as soon as nothing but whitespace is left.
pub(crate) fn run(raw: &str, context: &Context<'_>) -> Option<String> {
    let mut text = raw.to_owned();
    for (name, filter) in PIPELINE {
        let before = tracing::enabled!(tracing::Level::TRACE).then(|| text.clone());
        filter(&mut text, context);
        if let Some(before) = before.filter(|before| *before != text) {
            tracing::trace!(filter = name, before, after = text.as_str(), "filter changed text");
        }
        if is_blank(&text) {
            tracing::trace!(filter = name, "nothing useful left");
            return None;
        }
    }
    Some(text)
}

/// `\r\n` and lone `\r` as `\n`.
pub(crate) fn normalize_line_endings_of(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}

fn normalize_line_endings(text: &mut String, _: &Context<'_>) {
    if text.contains('\r') {
        *text = normalize_line_endings_of(text);
    }
}

/// Single-line shape: everything after the first line goes.
fn keep_first_line_for_single_line(text: &mut String, context: &Context<'_>) {
    if context.shape == Shape::SingleLine
        && let Some(newline) = text.find('\n')
    {
        text.truncate(newline);
    }
}

/// At most `max_lines` lines. A completion that starts with a newline (a block body after `{`)
/// does not pay for the empty rest of the cursor line.
fn cap_max_lines(text: &mut String, context: &Context<'_>) {
    let lines = context.config.max_lines.max(1) + usize::from(text.starts_with('\n'));
    if let Some((newline, _)) = text.match_indices('\n').nth(lines - 1) {
        text.truncate(newline);
    }
}

/// Trims every line's end and trailing blank lines. When text follows the cursor on its line,
/// a final indentation-only line stays: it puts that text on a line of its own, where the model
/// placed it (`{` + body + `\n` before an auto-closed `}`).
fn trim_trailing_whitespace(text: &mut String, context: &Context<'_>) {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines[lines.len() - 1];
    let keep_last_indent = lines.len() > 1 && is_blank(last) && !is_blank(context.line_rest);
    let mut trimmed: Vec<&str> = lines.iter().map(|line| line.trim_end()).collect();
    while trimmed.len() > 1 && trimmed[trimmed.len() - 1].is_empty() {
        trimmed.pop();
    }
    let mut result = trimmed.join("\n").trim_end().to_owned();
    if keep_last_indent {
        result.push('\n');
        result.push_str(leading_whitespace(last));
    }
    *text = result;
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A context for filter unit tests: `document` holds the cursor as `$0`.
    pub(crate) fn with_context<R>(
        document: &str,
        shape: Shape,
        body: impl FnOnce(&Context<'_>) -> R,
    ) -> R {
        let config = PostprocessConfig::default();
        let (prefix, suffix) = document.split_once("$0").expect("document has a $0 cursor");
        let cursor = super::super::CursorContext::new(prefix, suffix);
        let comments = CommentTokens { line: Some("//"), block: Some(("/*", "*/")) };
        let context = Context {
            config: &config,
            shape,
            comments,
            cursor_in_code: crate::postprocess::lexer::lex(
                cursor.line_prefix(),
                comments,
                |_, _| {},
            ) == crate::postprocess::lexer::LexState::Code,
            prefix,
            suffix,
            line_prefix: cursor.line_prefix(),
            line_rest: cursor.line_rest(),
            following: cursor.following_lines(),
        };
        body(&context)
    }

    /// Runs one filter over `raw` at the `$0` cursor of `document`.
    pub(crate) fn apply(filter: Filter, document: &str, shape: Shape, raw: &str) -> String {
        with_context(document, shape, |context| {
            let mut text = raw.to_owned();
            filter(&mut text, context);
            text
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::apply;
    use super::*;

    #[test]
    fn single_line_keeps_the_first_line() {
        let out = apply(keep_first_line_for_single_line, "x = $0", Shape::SingleLine, "1\ny = 2");
        assert_eq!(out, "1");
        let out = apply(keep_first_line_for_single_line, "x = $0", Shape::MultiLine, "1\ny = 2");
        assert_eq!(out, "1\ny = 2");
    }

    #[test]
    fn max_lines_does_not_count_an_empty_cursor_line_rest() {
        let many = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj";
        assert_eq!(apply(cap_max_lines, "$0", Shape::MultiLine, many), "a\nb\nc\nd\ne\nf\ng\nh");
        let body = format!("\n{many}");
        assert_eq!(
            apply(cap_max_lines, "{$0", Shape::MultiLine, &body),
            "\na\nb\nc\nd\ne\nf\ng\nh"
        );
    }

    #[test]
    fn trailing_whitespace_keeps_the_line_for_an_auto_closed_bracket() {
        let raw = "\n    body();  \n\n";
        assert_eq!(apply(trim_trailing_whitespace, "{$0", Shape::MultiLine, raw), "\n    body();");
        assert_eq!(
            apply(trim_trailing_whitespace, "{$0}", Shape::MultiLine, "\n    body();\n  "),
            "\n    body();\n  "
        );
    }

    #[test]
    fn line_endings_become_newlines() {
        assert_eq!(normalize_line_endings_of("a\r\nb\rc"), "a\nb\nc");
    }
}
