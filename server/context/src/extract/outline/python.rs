//! Python's function bodies for the outline (see `outline`). A block cannot be empty in Python,
//! so what is skipped starts after the body's first simple statement (its docstring, usually),
//! reached through the first line of each nested block when the body opens with one
//! (`with …:` / `for …:` / `x = 1`), and runs to the end of the body's last token: the parser
//! still sees a well-formed function whose block holds one statement. The function's node then
//! ends where the skipped text starts; `outline::restore_ends` gives definitions their real end.

use std::ops::Range;

/// One logical line: physical lines joined by brackets, strings and backslashes.
struct Line {
    /// Just past its line break (or the end of the text).
    end: usize,
    /// Just past its last non-blank byte (a trailing comment included; tree-sitter's block
    /// ends there).
    trimmed_end: usize,
    /// Width of its leading whitespace (a tab counts 8).
    indent: usize,
    /// Only whitespace and comments.
    blank: bool,
    /// A comment and nothing else.
    comment: bool,
    /// Ends with `:` outside brackets and strings: a compound statement's header.
    header: bool,
    /// Starts with `@`.
    decorator: bool,
    /// Starts with `def` or `async def`.
    def: bool,
    /// Starts with `class`.
    class: bool,
}

/// The byte ranges of Python function bodies to skip, sorted.
pub(super) fn function_bodies(text: &str) -> Vec<Range<usize>> {
    let lines = logical_lines(text.as_bytes());
    let mut bodies = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if !(line.def && line.header) {
            i += 1;
            continue;
        }
        // The body: the lines after the header indented deeper (blank ones in between).
        let mut last = None;
        let mut j = i + 1;
        // A comment indented as deep as the block's first statement belongs to the block in
        // tree-sitter's tree, unless a shallower comment came first.
        let mut block_indent = None;
        let mut shallow_comment = false;
        while j < lines.len() && (lines[j].blank || lines[j].indent > line.indent) {
            if !lines[j].blank {
                last = Some(j);
                block_indent.get_or_insert(lines[j].indent);
                shallow_comment = false;
            } else if lines[j].comment {
                let deep = block_indent.is_some_and(|indent| lines[j].indent >= indent);
                if deep && !shallow_comment {
                    last = Some(j);
                }
                shallow_comment |= !deep;
            }
            j += 1;
        }
        let Some(last) = last else {
            i += 1;
            continue;
        };
        if let Some(kept) = first_simple_statement(&lines, i, last)
            && kept < last
        {
            // Up to the body's last byte: the function's node ends there in a full parse, and
            // `restore_ends` gives it back that end.
            bodies.push(lines[kept].end..lines[last].trimmed_end);
        }
        i = last + 1;
    }
    bodies
}

/// From the header at `header`: the first simple statement of its body, through decorators and
/// the first line of nested blocks; `None` when the lines do not nest as Python's must.
fn first_simple_statement(lines: &[Line], header: usize, last: usize) -> Option<usize> {
    let next = |from: usize| (from + 1..=last).find(|&k| !lines[k].blank);
    let mut k = next(header)?;
    loop {
        let line = &lines[k];
        if line.decorator || line.def || line.class {
            // A nested definition would be kept with its real end cut: skip nothing.
            return None;
        } else if line.header {
            let following = next(k)?;
            if lines[following].indent <= line.indent {
                return None;
            }
            k = following;
        } else {
            return Some(k);
        }
    }
}

fn logical_lines(text: &[u8]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let mut indent = 0;
        while let Some(&c) = text.get(at) {
            match c {
                b' ' => indent += 1,
                b'\t' => indent += 8,
                b'\x0c' => {}
                _ => break,
            }
            at += 1;
        }
        let first = at;
        let mut depth = 0usize;
        let mut last_significant = None;
        while let Some(&c) = text.get(at) {
            match c {
                b'\n' => {
                    at += 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'#' => {
                    while at < text.len() && text[at] != b'\n' {
                        at += 1;
                    }
                }
                b'\\' => at += 2,
                b'\'' | b'"' => {
                    at = skip_string(text, at);
                    last_significant = Some(c);
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    at += 1;
                    last_significant = Some(c);
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    at += 1;
                    last_significant = Some(c);
                }
                c if c.is_ascii_whitespace() => at += 1,
                _ => {
                    last_significant = Some(c);
                    at += 1;
                }
            }
        }
        let at_first = |word: &[u8]| {
            text[first..].starts_with(word)
                && text.get(first + word.len()).is_some_and(|c| c.is_ascii_whitespace())
        };
        let def = at_first(b"def")
            || at_first(b"async")
                && text[first + 5..].iter().position(|c| !c.is_ascii_whitespace()).is_some_and(
                    |p| {
                        let rest = &text[first + 5 + p..];
                        rest.starts_with(b"def")
                            && rest.get(3).is_some_and(|c| c.is_ascii_whitespace())
                    },
                );
        let end = at.min(text.len());
        let trimmed_end = text[first..end]
            .iter()
            .rposition(|c| !c.is_ascii_whitespace())
            .map_or(first, |i| first + i + 1);
        lines.push(Line {
            end,
            trimmed_end,
            comment: last_significant.is_none() && text.get(first) == Some(&b'#'),
            class: at_first(b"class"),
            indent,
            blank: last_significant.is_none(),
            header: last_significant == Some(b':'),
            decorator: text.get(first) == Some(&b'@'),
            def,
        });
    }
    lines
}

/// Past the string literal whose opening quote is at `at` (prefixes such as `r`, `b`, `f` are
/// ordinary letters before it, which change nothing here: a backslash always keeps a quote from
/// ending the string). A one-quote string ends at an unescaped line break at the latest.
fn skip_string(text: &[u8], at: usize) -> usize {
    let quote = text[at];
    let triple = text.get(at + 1) == Some(&quote) && text.get(at + 2) == Some(&quote);
    let mut i = at + if triple { 3 } else { 1 };
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'\n' if !triple => return i,
            c if c == quote => {
                if !triple {
                    return i + 1;
                }
                if text.get(i + 1) == Some(&quote) && text.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    text.len()
}
