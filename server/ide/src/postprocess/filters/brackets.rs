//! Bracket balance: a completion ends where it closes a bracket it should not.
//!
//! The brackets still open before the cursor are found by lexing the prefix; lexing the suffix
//! tells which of them the document already closes after the cursor. Scanning the completion,
//! a closer that matches a bracket the completion opened is fine. One that closes a bracket
//! opened before the cursor is kept only when the document does not close that bracket itself;
//! otherwise — or when it closes a bracket never opened — the completion is cut right there.
//! Both sides are lexed within [`SCAN_BYTES`] of the cursor.

use super::Context;
use crate::postprocess::lexer::{self, CommentTokens};
use crate::postprocess::text::{head, is_opener, opener_of, tail_lines};

/// How much of the document on each side of the cursor is lexed for brackets. Blocks longer
/// than this are rare; huge files stay cheap per keystroke.
const SCAN_BYTES: usize = 64 * 1024;

pub(super) fn balance_brackets(text: &mut String, context: &Context<'_>) {
    if !context.cursor_in_code {
        return;
    }
    let open = lexer::open_brackets(tail_lines(context.prefix, SCAN_BYTES), context.comments);
    let closed_after_cursor = closed_by(head(context.suffix, SCAN_BYTES), &open, context.comments);
    let mut closed_by_completion = vec![false; open.len()];
    let mut opened: Vec<char> = Vec::new();
    let mut cut = None;
    lexer::lex(text, context.comments, |at, bracket| {
        if cut.is_some() {
            return;
        }
        if is_opener(bracket) {
            opened.push(bracket);
            return;
        }
        let opener = opener_of(bracket);
        if let Some(depth) = opened.iter().rposition(|c| Some(*c) == opener) {
            opened.truncate(depth);
            return;
        }
        let target = (0..open.len())
            .rev()
            .find(|index| !closed_by_completion[*index] && Some(open[*index].1) == opener);
        match target {
            Some(index) if !closed_after_cursor[index] => {
                closed_by_completion[index..].iter_mut().for_each(|closed| *closed = true);
            }
            _ => cut = Some(at),
        }
    });
    if let Some(at) = cut {
        text.truncate(at);
    }
}

/// Which of the `open` brackets (outermost first) `suffix` closes.
fn closed_by(suffix: &str, open: &[(usize, char)], comments: CommentTokens<'_>) -> Vec<bool> {
    let mut closed = vec![false; open.len()];
    // Brackets at and above this index are still waiting for a closer.
    let mut waiting = open.len();
    let mut opened: Vec<char> = Vec::new();
    lexer::lex(suffix, comments, |_, bracket| {
        if waiting == 0 {
            return;
        }
        if is_opener(bracket) {
            opened.push(bracket);
            return;
        }
        let opener = opener_of(bracket);
        if let Some(depth) = opened.iter().rposition(|c| Some(*c) == opener) {
            opened.truncate(depth);
        } else if let Some(index) = (0..waiting).rev().find(|index| Some(open[*index].1) == opener)
        {
            closed[index] = true;
            waiting = index;
        }
    });
    closed
}

#[cfg(test)]
mod tests {
    use super::super::test_support::apply;
    use super::*;
    use crate::postprocess::Shape;

    fn run(document: &str, raw: &str) -> String {
        apply(balance_brackets, document, Shape::MultiLine, raw)
    }

    #[test]
    fn cuts_where_the_document_already_closes() {
        assert_eq!(run("f(g($0))", "x)) + 1"), "x");
        assert_eq!(run("fn f() {\n    $0\n}", "a();\n}\nfn g() {}"), "a();\n");
    }

    #[test]
    fn keeps_a_closer_the_document_lacks() {
        assert_eq!(run("if (x$0\n    y();\n}", ") {"), ") {");
        assert_eq!(run("let v = vec![1, $0", "2, 3];\nlet w = 1;"), "2, 3];\nlet w = 1;");
    }

    #[test]
    fn cuts_a_closer_that_was_never_opened() {
        assert_eq!(run("x = $0", "1)\ny = 2"), "1");
    }

    #[test]
    fn ignores_brackets_in_strings_and_comments() {
        assert_eq!(run("f($0)", "\")\" /* ) */"), "\")\" /* ) */");
    }

    #[test]
    fn suffix_closers_resolve_innermost_first() {
        let open = lexer::open_brackets("a { b ( c [", CommentTokens::default());
        assert_eq!(closed_by("] ) }", &open, CommentTokens::default()), [true, true, true]);
        assert_eq!(closed_by("}", &open, CommentTokens::default()), [true, false, false]);
        assert_eq!(closed_by("(x) ]", &open, CommentTokens::default()), [false, false, true]);
    }
}
