//! Leading whitespace: the model often re-types what the user already has.
//!
//! On an indentation-only cursor line the completion is inserted after that indentation, so a
//! completion that starts with blank lines or with the same indentation would double it. A first
//! line that starts with less whitespace than that is a token-boundary artefact: a prompt that
//! ends in eight spaces makes the model continue with ` if` (its vocabulary splits eight spaces
//! and `if` as seven spaces and ` if`), which would put the code one column too far; that
//! whitespace goes. After a typed space (`let x = $0`), a leading space would make two.

use super::Context;
use crate::postprocess::text::is_blank;

pub(super) fn drop_leading_whitespace_duplication(text: &mut String, context: &Context<'_>) {
    let typed = context.line_prefix;
    if is_blank(typed) {
        while let Some(newline) = text.find('\n') {
            if !is_blank(&text[..newline]) {
                break;
            }
            text.drain(..=newline);
        }
        if !typed.is_empty() {
            if text.starts_with(typed) {
                text.drain(..typed.len());
            } else {
                let kept = text.trim_start_matches([' ', '\t']).len();
                text.drain(..text.len() - kept);
            }
        }
    } else if typed.ends_with([' ', '\t']) {
        let kept = text.trim_start_matches([' ', '\t']).len();
        text.drain(..text.len() - kept);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::apply;
    use super::*;
    use crate::postprocess::Shape;

    fn run(document: &str, raw: &str) -> String {
        apply(drop_leading_whitespace_duplication, document, Shape::MultiLine, raw)
    }

    #[test]
    fn drops_the_typed_indentation_when_repeated() {
        assert_eq!(run("fn f() {\n    $0\n}", "    return 1;"), "return 1;");
        assert_eq!(run("fn f() {\n    $0\n}", "return 1;"), "return 1;");
        assert_eq!(run("fn f() {\n$0\n}", "    return 1;"), "    return 1;");
    }

    #[test]
    fn drops_a_partial_indentation_left_by_a_token_boundary() {
        assert_eq!(run("if x:\n        $0", " if y:\n            z()"), "if y:\n            z()");
        assert_eq!(run("if x:\n    $0", "        deeper()"), "    deeper()");
    }

    #[test]
    fn drops_leading_blank_lines_on_an_indentation_line() {
        assert_eq!(run("if x:\n    $0", "\n  \n    y = 1\n    z = 2"), "y = 1\n    z = 2");
    }

    #[test]
    fn keeps_a_leading_newline_after_code() {
        assert_eq!(run("fn f() {$0", "\n    x\n}"), "\n    x\n}");
    }

    #[test]
    fn drops_a_second_space() {
        assert_eq!(run("let x = $0", " 1;"), "1;");
        assert_eq!(run("let x =$0", " 1;"), " 1;");
    }
}
