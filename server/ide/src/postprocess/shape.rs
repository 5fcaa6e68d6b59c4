//! The shape decision: whether the cursor gets no completion, the rest of one line, or a block.
//!
//! Decided before the model runs, so the completion pipeline can skip generation altogether or
//! stop at the first newline. The rules, in order:
//!
//! 1. Inside a comment or a string literal: suppress, unless configured to complete there (then
//!    single-line). Known from the tree (a named node of a `comment` or `string` kind strictly
//!    around the cursor, or a comment ending at it) or, where the tree cannot tell (unclosed
//!    literals, no grammar), from lexing the cursor line with the language's comment tokens.
//! 2. A word character right after the cursor: suppress (mid-identifier).
//! 3. Text after the cursor on its line: single-line — except an auto-closed block, `{$0}`.
//! 4. An indentation-only cursor line: multi-line, unless the line above ends mid-expression
//!    (`a +`, `x =`).
//! 5. The cursor at the end of a line that opens a block: multi-line. The line ends with `{`, `(`
//!    or `[`; or the tree shows a node that starts on this line and has only its closing token
//!    left, on a later line (`function f()$0 … end`); or the token before the cursor is followed
//!    by an empty node of a `block` kind (`def f():$0`). Without a tree, a trailing `:` or a
//!    trailing keyword of the language's `block_keywords` (`do`, `then`) counts.
//! 6. Otherwise (mid-expression at the end of a line): single-line.
//!
//! Which node kinds are comments, strings, code inside strings and blocks is language data:
//! `[language.node_kinds]` in `grammars/languages.toml`, read through [`Language::node_kinds`].

use infill_syntax::{Language, NodeKinds};
use tree_sitter::Node;

use super::lexer::{self, CommentTokens, LexState};
use super::text::{is_blank, is_closer_only, is_word_char};
use super::{CursorContext, PostprocessConfig, SyntaxAtCursor};

/// What a completion at the cursor may look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// No completion here; the model need not run.
    Suppress(SuppressReason),
    /// The rest of the cursor line only: generation may stop at the first newline.
    SingleLine,
    /// Several lines: a block body, a statement sequence, a multi-line argument list.
    MultiLine,
}

impl Shape {
    /// Whether generation can stop at the first newline.
    pub fn stops_at_newline(self) -> bool {
        matches!(self, Shape::SingleLine)
    }
}

/// Why a cursor gets no completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuppressReason {
    /// The cursor is inside a comment and `allow_in_comments` is off.
    InComment,
    /// The cursor is inside a string literal and `allow_in_strings` is off.
    InString,
    /// A word character follows the cursor: completing would split an identifier.
    MidWord,
}

impl SuppressReason {
    /// A short name for logs and metrics: `in_comment`, `in_string`, `mid_word`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressReason::InComment => "in_comment",
            SuppressReason::InString => "in_string",
            SuppressReason::MidWord => "mid_word",
        }
    }
}

impl std::fmt::Display for SuppressReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decides the shape of a completion at the cursor; see the module docs for the rules.
pub(crate) fn decide(cursor: &CursorContext<'_>, config: &PostprocessConfig) -> Shape {
    let comments = CommentTokens::of(cursor.language);
    match cursor_syntax(cursor, comments) {
        CursorSyntax::Comment if !config.allow_in_comments => {
            return Shape::Suppress(SuppressReason::InComment);
        }
        CursorSyntax::String if !config.allow_in_strings => {
            return Shape::Suppress(SuppressReason::InString);
        }
        CursorSyntax::Comment | CursorSyntax::String => return Shape::SingleLine,
        CursorSyntax::Code => {}
    }
    let line_prefix = cursor.line_prefix();
    let line_rest = cursor.line_rest();
    if line_rest.chars().next().is_some_and(is_word_char) {
        return Shape::Suppress(SuppressReason::MidWord);
    }
    if !config.multiline {
        return Shape::SingleLine;
    }
    if !is_blank(line_rest) {
        let auto_closed_block = line_prefix.trim_end().ends_with('{') && is_closer_only(line_rest);
        return if auto_closed_block { Shape::MultiLine } else { Shape::SingleLine };
    }
    if is_blank(line_prefix) {
        return if previous_line_continues_expression(cursor.prefix, comments) {
            Shape::SingleLine
        } else {
            Shape::MultiLine
        };
    }
    if opens_block(cursor) { Shape::MultiLine } else { Shape::SingleLine }
}

/// What the cursor is in, lexically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CursorSyntax {
    Code,
    Comment,
    String,
}

/// Whether the cursor is in code, a comment or a string literal.
pub(crate) fn cursor_syntax(
    cursor: &CursorContext<'_>,
    comments: CommentTokens<'_>,
) -> CursorSyntax {
    if let Some(found) = cursor.syntax.and_then(|syntax| syntax_from_tree(syntax, cursor, comments))
    {
        return found;
    }
    match lexer::lex(cursor.line_prefix(), comments, |_, _| {}) {
        LexState::Code => CursorSyntax::Code,
        LexState::LineComment | LexState::BlockComment => CursorSyntax::Comment,
        LexState::String => CursorSyntax::String,
    }
}

/// The node kinds of the cursor's language; none for plain text.
fn node_kinds(language: Option<&Language>) -> &NodeKinds {
    static NONE: NodeKinds = NodeKinds {
        comment: Vec::new(),
        string: Vec::new(),
        string_code: Vec::new(),
        block: Vec::new(),
    };
    language.map_or(&NONE, |language| &language.node_kinds)
}

/// The tree's verdict where it has one: a comment or string node around the cursor, or code
/// substituted into a string (`${…}`, `{…}` in an f-string).
fn syntax_from_tree(
    syntax: SyntaxAtCursor<'_>,
    cursor: &CursorContext<'_>,
    comments: CommentTokens<'_>,
) -> Option<CursorSyntax> {
    let kinds = node_kinds(cursor.language);
    let at = syntax.cursor_byte;
    let root = syntax.tree.root_node();
    if at > root.end_byte() {
        return None;
    }
    let mut node = root.descendant_for_byte_range(at, at);
    while let Some(current) = node {
        if current.is_named() && current.start_byte() < at && at < current.end_byte() {
            let kind = current.kind();
            if kinds.is_string_code(kind) {
                return Some(CursorSyntax::Code);
            }
            if kinds.is_comment(kind) {
                return Some(CursorSyntax::Comment);
            }
            if kinds.is_string(kind) {
                return Some(CursorSyntax::String);
            }
        }
        node = current.parent();
    }
    // A line comment ends where its line does, so a cursor at its end is not strictly inside.
    let mut node = at.checked_sub(1).and_then(|before| root.descendant_for_byte_range(before, at));
    while let Some(current) = node.filter(|current| current.end_byte() == at) {
        if current.is_named() && kinds.is_comment(current.kind()) {
            let closed_block =
                comments.block.is_some_and(|(_, close)| cursor.prefix.ends_with(close));
            return (!closed_block).then_some(CursorSyntax::Comment);
        }
        node = current.parent();
    }
    None
}

/// An indentation-only line after `a +` or `x =` continues an expression: one line is enough.
/// A line ending in a comment (`// Sum them.`) continues nothing.
fn previous_line_continues_expression(prefix: &str, comments: CommentTokens<'_>) -> bool {
    let Some(previous) = super::text::document_lines(prefix).rev().skip(1).find(|l| !is_blank(l))
    else {
        return false;
    };
    let previous = previous.trim_end();
    if lexer::lex(previous, comments, |_, _| {}) != LexState::Code
        || comments.block.is_some_and(|(_, close)| previous.ends_with(close))
        || previous.ends_with("++")
        || previous.ends_with("--")
        || previous.ends_with("=>")
    {
        return false;
    }
    previous.ends_with(['+', '-', '*', '/', '%', '=', '&', '|', '^', '.', '\\'])
}

/// Whether the cursor, at the end of a non-blank line, sits where a block begins.
fn opens_block(cursor: &CursorContext<'_>) -> bool {
    let trimmed = cursor.line_prefix().trim_end();
    if trimmed.ends_with(['{', '(', '[']) {
        return true;
    }
    match cursor.syntax {
        Some(syntax) => {
            node_awaits_only_its_closer(syntax, cursor)
                || token_precedes_empty_block(syntax, cursor)
        }
        None => {
            let last_word = trimmed.rsplit(|c: char| !is_word_char(c)).next().unwrap_or("");
            let keywords = cursor.language.map_or(&[][..], |language| &language.block_keywords);
            trimmed.ends_with(':') || keywords.iter().any(|keyword| keyword == last_word)
        }
    }
}

/// The innermost node around the cursor starts on the cursor line, holds no named node after
/// the cursor, and ends with a closing token on a later line: `if x then$0 … end`.
fn node_awaits_only_its_closer(syntax: SyntaxAtCursor<'_>, cursor: &CursorContext<'_>) -> bool {
    let at = syntax.cursor_byte;
    let Some(line_start) = at.checked_sub(cursor.line_prefix().len()) else { return false };
    let line_end = at + cursor.suffix.find('\n').unwrap_or(cursor.suffix.len());
    let root = syntax.tree.root_node();
    let mut node = root.descendant_for_byte_range(at, at);
    while let Some(current) = node {
        if current.start_byte() < at && at < current.end_byte() {
            break;
        }
        node = current.parent();
    }
    let Some(node) = node.filter(|node| node.parent().is_some() && node.start_byte() >= line_start)
    else {
        return false;
    };
    let kinds = node_kinds(cursor.language);
    let mut walker = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut walker).collect();
    let Some((closer, inner)) = children.split_last() else { return false };
    let content_after_cursor = inner
        .iter()
        .any(|child| child.is_named() && child.end_byte() > at && !kinds.is_comment(child.kind()));
    !closer.is_named()
        && !closer.is_missing()
        && closer.start_byte() > line_end
        && !content_after_cursor
}

/// The token before the cursor is followed by an empty block-like node: `def f():$0`.
fn token_precedes_empty_block(syntax: SyntaxAtCursor<'_>, cursor: &CursorContext<'_>) -> bool {
    let kinds = node_kinds(cursor.language);
    let line_prefix = cursor.line_prefix();
    let trailing = line_prefix.len() - line_prefix.trim_end().len();
    let Some(text_end) = syntax.cursor_byte.checked_sub(trailing).filter(|end| *end > 0) else {
        return false;
    };
    let mut node = syntax.tree.root_node().descendant_for_byte_range(text_end - 1, text_end);
    while let Some(current) = node.filter(|current| current.end_byte() == text_end) {
        if let Some(next) = following_sibling(&current) {
            return next.is_named()
                && kinds.is_block(next.kind())
                && next.start_byte() >= text_end
                && !has_content(&next, kinds);
        }
        node = current.parent();
    }
    false
}

/// The sibling after `node`. Unlike `Node::next_sibling`, this also finds a zero-width sibling
/// at the same position (Python's empty `block` after `def f():`).
fn following_sibling<'tree>(node: &Node<'tree>) -> Option<Node<'tree>> {
    let parent = node.parent()?;
    let mut walker = parent.walk();
    let mut children = parent.children(&mut walker);
    children.find(|child| child.id() == node.id())?;
    children.next()
}

/// Whether `node` holds a named node other than a comment.
fn has_content(node: &Node<'_>, kinds: &NodeKinds) -> bool {
    let mut walker = node.walk();
    node.named_children(&mut walker).any(|child| !kinds.is_comment(child.kind()))
}
