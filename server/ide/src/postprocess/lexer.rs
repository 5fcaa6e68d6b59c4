//! A tiny lexer that tells code from comments and strings, so bracket counting and the cursor
//! checks do not trip over a `)` inside `"(:"` or a `{` in a comment.
//!
//! It knows no language: comment tokens come from the language registry ([`CommentTokens`]),
//! and strings are the shapes most languages share — `"…"` and `` `…` `` (with `${…}`
//! substitutions), triple-quoted `"""…"""` / `'''…'''`, and `'…'` only where it cannot be a
//! lifetime or label (`'a`, `'outer:`). A `"` string ends at the end of its line whether closed or
//! not, so one stray quote cannot swallow a whole file.

use infill_syntax::Language;

/// The comment tokens of the document's language; both absent for plain text.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CommentTokens<'a> {
    pub line: Option<&'a str>,
    pub block: Option<(&'a str, &'a str)>,
}

impl<'a> CommentTokens<'a> {
    pub(crate) fn of(language: Option<&'a Language>) -> Self {
        let Some(language) = language else { return CommentTokens::default() };
        CommentTokens {
            line: language.line_comment.as_deref().filter(|token| !token.is_empty()),
            block: language
                .block_comment
                .as_ref()
                .filter(|(open, close)| !open.is_empty() && !close.is_empty())
                .map(|(open, close)| (open.as_str(), close.as_str())),
        }
    }
}

/// Where the lexer stands at the end of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LexState {
    Code,
    LineComment,
    BlockComment,
    String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    LineComment,
    BlockComment,
    Quoted { quote: u8, triple: bool },
    Template,
}

/// Lexes `text` from a code position, calling `on_bracket(byte_offset, bracket)` for every
/// bracket in code, and returns the state at the end of `text`.
pub(crate) fn lex(
    text: &str,
    comments: CommentTokens<'_>,
    mut on_bracket: impl FnMut(usize, char),
) -> LexState {
    let bytes = text.as_bytes();
    let mut mode = Mode::Code;
    // One entry per open `${` substitution: the depth of `{` opened inside it.
    let mut substitutions: Vec<u32> = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let rest = &text[index..];
        let byte = bytes[index];
        match mode {
            Mode::Code => {
                if let Some((open, _)) = comments.block.filter(|(open, _)| rest.starts_with(open)) {
                    mode = Mode::BlockComment;
                    index += open.len();
                    continue;
                }
                if let Some(line) = comments.line.filter(|line| rest.starts_with(line)) {
                    mode = Mode::LineComment;
                    index += line.len();
                    continue;
                }
                match byte {
                    b'"' | b'\'' if rest.as_bytes().starts_with(&[byte; 3]) => {
                        mode = Mode::Quoted { quote: byte, triple: true };
                        index += 3;
                    }
                    b'"' => {
                        mode = Mode::Quoted { quote: byte, triple: false };
                        index += 1;
                    }
                    b'`' => {
                        mode = Mode::Template;
                        index += 1;
                    }
                    b'\'' => index += single_quoted_len(rest).unwrap_or(1),
                    b'{' | b'}' if !substitutions.is_empty() => {
                        let depth = substitutions.last_mut().expect("checked non-empty");
                        if byte == b'{' {
                            *depth += 1;
                        } else if *depth == 0 {
                            substitutions.pop();
                            mode = Mode::Template;
                        } else {
                            *depth -= 1;
                        }
                        index += 1;
                    }
                    b'(' | b')' | b'[' | b']' | b'{' | b'}' => {
                        if substitutions.is_empty() {
                            on_bracket(index, char::from(byte));
                        }
                        index += 1;
                    }
                    _ => index += char_len(rest),
                }
            }
            Mode::LineComment => match rest.find('\n') {
                Some(newline) => {
                    mode = Mode::Code;
                    index += newline + 1;
                }
                None => index = bytes.len(),
            },
            Mode::BlockComment => {
                let close = comments.block.map_or("", |(_, close)| close);
                match rest.find(close) {
                    Some(at) => {
                        mode = Mode::Code;
                        index += at + close.len();
                    }
                    None => index = bytes.len(),
                }
            }
            Mode::Quoted { quote, triple } => {
                if byte == b'\\' {
                    index += 1 + rest.get(1..).map_or(0, char_len);
                } else if triple && rest.as_bytes().starts_with(&[quote; 3]) {
                    mode = Mode::Code;
                    index += 3;
                } else if !triple && (byte == quote || byte == b'\n') {
                    mode = Mode::Code;
                    index += 1;
                } else {
                    index += char_len(rest);
                }
            }
            Mode::Template => {
                if byte == b'\\' {
                    index += 1 + rest.get(1..).map_or(0, char_len);
                } else if byte == b'`' {
                    mode = Mode::Code;
                    index += 1;
                } else if rest.starts_with("${") {
                    substitutions.push(0);
                    mode = Mode::Code;
                    index += 2;
                } else {
                    index += char_len(rest);
                }
            }
        }
    }
    match mode {
        Mode::Code => LexState::Code,
        Mode::LineComment => LexState::LineComment,
        Mode::BlockComment => LexState::BlockComment,
        Mode::Quoted { .. } | Mode::Template => LexState::String,
    }
}

fn char_len(text: &str) -> usize {
    text.chars().next().map_or(1, char::len_utf8)
}

/// Length of the `'…'` literal that `text` starts with, or `None` when the quote is better read
/// as a lone character: a lifetime or label (`'a>`, `'outer:`), a prime, or an unclosed quote.
fn single_quoted_len(text: &str) -> Option<usize> {
    let line = &text[..text.find('\n').unwrap_or(text.len())];
    let body = &line[1..];
    let mut chars = body.char_indices();
    let (_, first) = chars.next()?;
    if first == '\\' {
        // An escaped character literal: '\n', '\'', '\u{1F600}'.
        let mut escaped = false;
        for (at, c) in body.char_indices().skip(1) {
            if at > 12 {
                return None;
            }
            if c == '\'' && !escaped {
                return Some(1 + at + 1);
            }
            escaped = !escaped && c == '\\';
        }
        return None;
    }
    if body[first.len_utf8()..].starts_with('\'') {
        return Some(1 + first.len_utf8() + 1);
    }
    if super::text::is_word_char(first) {
        // 'word' is a string; 'word followed by anything else is a lifetime or label.
        let word_end =
            body.char_indices().find(|(_, c)| !super::text::is_word_char(*c)).map(|(at, _)| at)?;
        return body[word_end..].starts_with('\'').then_some(1 + word_end + 1);
    }
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        if c == '\'' && !escaped {
            return Some(1 + at + 1);
        }
        escaped = !escaped && c == '\\';
    }
    None
}

/// The brackets still open at the end of `text`, outermost first, as `(byte_offset, bracket)`.
/// A closer that does not match the innermost opener closes the nearest one it matches (the
/// ones above it were left open by mistake); a closer matching nothing is ignored.
pub(crate) fn open_brackets(text: &str, comments: CommentTokens<'_>) -> Vec<(usize, char)> {
    let mut stack: Vec<(usize, char)> = Vec::new();
    lex(text, comments, |at, bracket| {
        if super::text::is_opener(bracket) {
            stack.push((at, bracket));
        } else if let Some(open) = super::text::opener_of(bracket)
            && let Some(depth) = stack.iter().rposition(|(_, c)| *c == open)
        {
            stack.truncate(depth);
        }
    });
    stack
}

#[cfg(test)]
mod tests {
    use super::*;

    const C_LIKE: CommentTokens<'static> =
        CommentTokens { line: Some("//"), block: Some(("/*", "*/")) };
    const LUA: CommentTokens<'static> =
        CommentTokens { line: Some("--"), block: Some(("--[[", "]]")) };

    fn brackets(text: &str, comments: CommentTokens<'_>) -> String {
        let mut seen = String::new();
        lex(text, comments, |_, c| seen.push(c));
        seen
    }

    #[test]
    fn skips_brackets_in_strings_and_comments() {
        assert_eq!(brackets(r#"f("(", ')') // (("#, C_LIKE), "()");
        assert_eq!(brackets("a /* { */ [b]", C_LIKE), "[]");
        assert_eq!(brackets("x = '(' + \"\\\")\"", C_LIKE), "");
        assert_eq!(brackets("--[[ ( ]] f(x) -- )", LUA), "()");
    }

    #[test]
    fn lifetimes_are_not_strings() {
        assert_eq!(brackets("fn f<'a>(x: &'a str) -> &'a str {", C_LIKE), "(){");
        assert_eq!(brackets("'outer: loop {", C_LIKE), "{");
        assert_eq!(brackets("s = '(is' + f(", C_LIKE), "(");
    }

    #[test]
    fn template_substitutions_are_code_but_balanced() {
        assert_eq!(brackets("`a ${f({x: 1})} (` + g(", C_LIKE), "(");
        assert_eq!(lex("`abc ${x}", C_LIKE, |_, _| {}), LexState::String);
        assert_eq!(lex("`abc ${x", C_LIKE, |_, _| {}), LexState::Code);
    }

    #[test]
    fn end_states() {
        assert_eq!(lex("x = 1 // note", C_LIKE, |_, _| {}), LexState::LineComment);
        assert_eq!(lex("x = \"http://a", C_LIKE, |_, _| {}), LexState::String);
        assert_eq!(lex("x = \"a\" + \"b\"", C_LIKE, |_, _| {}), LexState::Code);
        assert_eq!(lex("/* a", C_LIKE, |_, _| {}), LexState::BlockComment);
        assert_eq!(lex("\"\"\"Doc", CommentTokens::default(), |_, _| {}), LexState::String);
        assert_eq!(lex("s = \"a\nb", C_LIKE, |_, _| {}), LexState::Code);
        assert_eq!(lex("it's", CommentTokens::default(), |_, _| {}), LexState::Code);
    }

    #[test]
    fn open_brackets_recovers_from_mismatches() {
        let open = open_brackets("fn f() {\n    g(a, [1, 2)", C_LIKE);
        let kinds: String = open.iter().map(|(_, c)| *c).collect();
        assert_eq!(kinds, "{");
        let open = open_brackets("if (x {", C_LIKE);
        assert_eq!(open.iter().map(|(_, c)| *c).collect::<String>(), "({");
    }
}
