//! The end of the block: a multi-line completion stops where its indentation drops below the
//! block it writes into.
//!
//! The *anchor* is the indentation of the completion's first line of content: on an
//! indentation-only cursor line, the typed indentation plus the completion's own; after a block
//! opener (`{$0`, `def f():$0`), the first new line. The *base* is the indentation of the line
//! that opened that block. The first later line indented less than the anchor ends the
//! completion; if it is a closing-bracket line (`}`, `});`) at or right of the base, it is kept
//! as the block's end, because the user may not have typed one (a duplicate is removed later by
//! the suffix and bracket filters).

use super::Context;
use crate::postprocess::Shape;
use crate::postprocess::text::{
    document_lines, indent_width, is_blank, is_closer_only, split_lines, tail_lines,
};

/// How far back the line that opened the block is looked for.
const SCAN_BYTES: usize = 64 * 1024;

pub(super) fn cut_at_block_end(text: &mut String, context: &Context<'_>) {
    if context.shape != Shape::MultiLine {
        return;
    }
    let lines = split_lines(text);
    let Some(first) = lines.iter().position(|line| !is_blank(line)) else { return };
    let (anchor, base) = if is_blank(context.line_prefix) {
        let anchor = indent_width(lines[first])
            + if first == 0 { indent_width(context.line_prefix) } else { 0 };
        let base = (anchor > 0)
            .then(|| {
                document_lines(tail_lines(context.prefix, SCAN_BYTES))
                    .rev()
                    .skip(1)
                    .filter(|line| !is_blank(line))
                    .map(indent_width)
                    .find(|width| *width < anchor)
            })
            .flatten();
        (anchor, base)
    } else {
        let cursor_indent = indent_width(context.line_prefix);
        let Some(body) = lines.iter().skip(1).find(|line| !is_blank(line)) else { return };
        (indent_width(body).max(cursor_indent + 1), Some(cursor_indent))
    };
    let mut line_start = 0;
    for (index, line) in lines.iter().enumerate() {
        let line_end = line_start + line.len();
        if index > first && !is_blank(line) && indent_width(line) < anchor {
            let closes_block =
                is_closer_only(line) && base.is_some_and(|base| indent_width(line) >= base);
            text.truncate(if closes_block { line_end } else { line_start.saturating_sub(1) });
            return;
        }
        line_start = line_end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::apply;
    use super::*;

    fn run(document: &str, raw: &str) -> String {
        apply(cut_at_block_end, document, Shape::MultiLine, raw)
    }

    #[test]
    fn stops_at_the_dedent_after_a_python_style_block() {
        let raw = "\n    return 1\n\nprint(f())";
        assert_eq!(run("def f():$0", raw), "\n    return 1\n");
    }

    #[test]
    fn keeps_one_closing_line_then_stops() {
        let raw = "\n    a();\n}\n\nfn g() {}";
        assert_eq!(run("fn f() {$0", raw), "\n    a();\n}");
    }

    #[test]
    fn anchors_on_the_typed_indentation() {
        let document = "fn f() {\n    if x {\n        $0\n    }\n}";
        let raw = "a();\n        b();\n    }\n    c();";
        assert_eq!(run(document, raw), "a();\n        b();\n    }");
    }

    #[test]
    fn nested_blocks_in_the_completion_are_kept() {
        let document = "fn f() {\n    $0\n}";
        let raw = "if x {\n        a();\n    }\n    b();\n}\nfn g() {}";
        assert_eq!(run(document, raw), "if x {\n        a();\n    }\n    b();\n}");
    }

    #[test]
    fn top_level_has_nothing_to_cut() {
        assert_eq!(run("$0", "fn a() {}\nfn b() {}"), "fn a() {}\nfn b() {}");
    }

    #[test]
    fn single_line_shape_is_untouched() {
        let out = apply(cut_at_block_end, "def f():$0", Shape::SingleLine, "\n    x\ny");
        assert_eq!(out, "\n    x\ny");
    }
}
