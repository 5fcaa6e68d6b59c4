//! Suffix duplication: the model writes what already follows the cursor.
//!
//! Two cases. Text after the cursor on its line (`foo($0)`, `"$0");`): the completion's last
//! line must not end with a prefix of that text — `a, b)` becomes `a, b`. Brackets and quotes in
//! the overlap are only dropped when the completion leaves them unmatched, so `f(b)` keeps its
//! `)`. Nothing after the cursor on its line: the completion stops at its first line that repeats
//! the next non-blank line of the document (compared trimmed; closing-bracket lines also by
//! indentation, so an inner `}` is not mistaken for the outer one), or whose last line is the
//! beginning of it.

use super::Context;
use crate::postprocess::lexer;
use crate::postprocess::text::{
    document_lines, indent_width, is_blank, is_closer, is_closer_only, is_opener, is_word_char,
    opener_of, split_lines,
};

pub(super) fn remove_suffix_duplicate(text: &mut String, context: &Context<'_>) {
    let rest = context.line_rest.trim_end();
    if !is_blank(rest) {
        remove_rest_of_line_overlap(text, rest, context);
    } else if let Some(next) = document_lines(context.following).find(|line| !is_blank(line)) {
        cut_at_line_repeating(text, next, context);
    }
}

fn remove_rest_of_line_overlap(text: &mut String, rest: &str, context: &Context<'_>) {
    let end = text.trim_end_matches([' ', '\t']).len();
    let line_start = text[..end].rfind('\n').map_or(0, |newline| newline + 1);
    let last_line = &text[line_start..end];
    let unmatched = unmatched_closers(&text[..end], context);
    for overlap in (1..=rest.len()).rev().filter(|at| rest.is_char_boundary(*at)) {
        let tail = &rest[..overlap];
        if !last_line.ends_with(tail) {
            continue;
        }
        let tail_start = end - overlap;
        let whole_rest = overlap == rest.len();
        // Words in a partial overlap must be whole words on both sides: ` else` in `a if b else`
        // against ` else y`, never the `e` of `name` against `e.x`.
        let whole_words =
            !text[..tail_start].ends_with(is_word_char) || !tail.starts_with(is_word_char);
        let whole_words = whole_words
            && (!rest[overlap..].starts_with(is_word_char) || !tail.ends_with(is_word_char));
        let duplicate = tail.char_indices().all(|(offset, c)| {
            if is_closer(c) {
                unmatched.contains(&(tail_start + offset))
            } else if matches!(c, '"' | '\'' | '`') {
                text[..end].matches(c).count() % 2 == 1
            } else if is_opener(c) {
                whole_rest
            } else {
                whole_rest || whole_words || !is_word_char(c)
            }
        });
        if duplicate {
            text.truncate(tail_start);
            return;
        }
    }
}

/// Byte offsets of the closing brackets in `text` that close nothing opened in `text`. In code
/// the lexer skips strings and comments; elsewhere (completing inside a string) every bracket
/// counts.
fn unmatched_closers(text: &str, context: &Context<'_>) -> Vec<usize> {
    let mut open: Vec<char> = Vec::new();
    let mut unmatched = Vec::new();
    let mut on_bracket = |at: usize, bracket: char| {
        if is_opener(bracket) {
            open.push(bracket);
        } else if let Some(depth) = open.iter().rposition(|c| Some(*c) == opener_of(bracket)) {
            open.truncate(depth);
        } else {
            unmatched.push(at);
        }
    };
    if context.cursor_in_code {
        lexer::lex(text, context.comments, on_bracket);
    } else {
        for (at, c) in text.char_indices().filter(|(_, c)| is_opener(*c) || is_closer(*c)) {
            on_bracket(at, c);
        }
    }
    unmatched
}

fn cut_at_line_repeating(text: &mut String, next: &str, context: &Context<'_>) {
    let lines = split_lines(text);
    let first = if is_blank(context.line_prefix) { 0 } else { 1 };
    let mut line_start: usize = 0;
    for (index, line) in lines.iter().enumerate() {
        if index >= first && !is_blank(line) {
            let indent =
                indent_width(line) + if index == 0 { indent_width(context.line_prefix) } else { 0 };
            let repeats = line.trim() == next.trim()
                && (!is_closer_only(line) || indent == indent_width(next));
            let starts_next = index == lines.len() - 1
                && !is_closer_only(line)
                && line.trim().len() >= 4
                && next.trim().starts_with(line.trim());
            if repeats || starts_next {
                text.truncate(line_start.saturating_sub(1));
                return;
            }
        }
        line_start += line.len() + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::apply;
    use super::*;
    use crate::postprocess::Shape;

    fn single(document: &str, raw: &str) -> String {
        apply(remove_suffix_duplicate, document, Shape::SingleLine, raw)
    }

    fn multi(document: &str, raw: &str) -> String {
        apply(remove_suffix_duplicate, document, Shape::MultiLine, raw)
    }

    #[test]
    fn drops_a_closer_the_line_already_has() {
        assert_eq!(single("foo($0)", "a, b)"), "a, b");
        assert_eq!(single("foo($0);", "a, b);"), "a, b");
        assert_eq!(single("foo($0);", "a, b)"), "a, b");
        assert_eq!(single("x = [$0]", "1, 2] "), "1, 2");
    }

    #[test]
    fn keeps_a_closer_the_completion_opened() {
        assert_eq!(single("foo($0)", "bar(b)"), "bar(b)");
        assert_eq!(single("foo($0)", "bar(b))"), "bar(b)");
    }

    #[test]
    fn drops_a_duplicated_quote_only_when_unmatched() {
        assert_eq!(single("print(\"$0\")", "hello\")"), "hello");
        assert_eq!(single("f($0\")", "\"a\""), "\"a\"");
    }

    #[test]
    fn partial_overlap_needs_whole_words() {
        assert_eq!(single("x = $0 else y", "a if b else"), "a if b");
        assert_eq!(single("x = $0 else y", "a or"), "a or");
        assert_eq!(single("f($0e.x)", "name"), "name");
    }

    #[test]
    fn auto_closed_block_keeps_its_line() {
        assert_eq!(multi("fn f() {$0}", "\n    a();\n}"), "\n    a();\n");
    }

    #[test]
    fn stops_at_the_next_line_of_the_document() {
        let document = "fn f() {\n    $0\n    return x;\n}";
        assert_eq!(multi(document, "let x = 1;\n    return x;\n}"), "let x = 1;");
        assert_eq!(multi(document, "let x = 1;\n    retu"), "let x = 1;");
        assert_eq!(multi(document, "return x;"), "");
    }

    #[test]
    fn closing_lines_compare_with_indentation() {
        let document = "fn f() {\n    $0\n}";
        let raw = "if x {\n        a();\n    }\n}";
        assert_eq!(multi(document, raw), "if x {\n        a();\n    }");
    }
}
