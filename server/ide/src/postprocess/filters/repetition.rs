//! Repetition: small models echo the line above the cursor and fall into loops.
//!
//! A completion whose first line of content repeats the nearest non-blank line above the cursor
//! (the whole cursor line compared, trimmed) is discarded. A line or block of up to
//! [`MAX_BLOCK`] lines repeated three times in a row is cut down to its first copy. Only lines
//! with substance count (a word, six characters, not a lone closer), so `}` or `end` may repeat.

use super::Context;
use crate::postprocess::text::{document_lines, is_blank, is_substantial_line, split_lines};

/// The longest block of lines looked for as a loop.
const MAX_BLOCK: usize = 4;

/// How many copies in a row make a loop.
const COPIES: usize = 3;

pub(super) fn drop_repetition(text: &mut String, context: &Context<'_>) {
    if echoes_previous_line(text, context) {
        text.clear();
        return;
    }
    cut_repeated_blocks(text);
}

fn echoes_previous_line(text: &str, context: &Context<'_>) -> bool {
    let Some(previous) = document_lines(context.prefix).rev().skip(1).find(|l| !is_blank(l)) else {
        return false;
    };
    let current = if is_blank(context.line_prefix) {
        text.split('\n').find(|line| !is_blank(line)).unwrap_or("").to_owned()
    } else {
        let first = text.split('\n').next().unwrap_or("");
        let rest = if text.contains('\n') { "" } else { context.line_rest };
        format!("{}{first}{rest}", context.line_prefix)
    };
    is_substantial_line(&current) && current.trim() == previous.trim()
}

fn cut_repeated_blocks(text: &mut String) {
    let lines = split_lines(text);
    for start in 0..lines.len() {
        for size in 1..=MAX_BLOCK {
            if start + COPIES * size > lines.len() {
                break;
            }
            let block = &lines[start..start + size];
            if !block.iter().any(|line| is_substantial_line(line)) {
                continue;
            }
            let repeated = (1..COPIES).all(|copy| {
                let other = &lines[start + copy * size..start + (copy + 1) * size];
                other.iter().zip(block).all(|(a, b)| a.trim() == b.trim())
            });
            if repeated {
                let keep: usize = lines[..start + size].iter().map(|line| line.len() + 1).sum();
                text.truncate(keep - 1);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::apply;
    use super::*;
    use crate::postprocess::Shape;

    fn run(document: &str, raw: &str) -> String {
        apply(drop_repetition, document, Shape::MultiLine, raw)
    }

    #[test]
    fn discards_an_echo_of_the_line_above() {
        assert_eq!(run("    let a = 1;\n    $0", "let a = 1;\n    let b = 2;"), "");
        assert_eq!(run("    total += x;\n    total += $0", "x;"), "");
        assert_eq!(run("    let a = 1;\n    $0", "let b = 2;"), "let b = 2;");
    }

    #[test]
    fn short_lines_may_repeat() {
        assert_eq!(run("    }\n    $0", "}"), "}");
    }

    #[test]
    fn cuts_a_line_loop_to_one_copy() {
        assert_eq!(run("$0", "a = f(x)\na = f(x)\na = f(x)\na = f(x)"), "a = f(x)");
        assert_eq!(run("$0", "a = f(x)\na = f(x)\nb = 2"), "a = f(x)\na = f(x)\nb = 2");
    }

    #[test]
    fn cuts_a_block_loop_to_one_copy() {
        let raw = "x = 1\nprint(x)\nprint(x)\nx = 1\nprint(x)\nprint(x)\nx = 1\nprint(x)\nprint(x)";
        assert_eq!(run("$0", raw), "x = 1\nprint(x)\nprint(x)");
    }
}
