//! Suggestions that parse: a suggestion is inserted into a copy of the document's syntax tree
//! (an incremental reparse, [`infill_syntax::parse_with_insertion`]) and must not add syntax
//! defects there; one that does is repaired (re-indented to the block at the cursor, or cut to
//! its longest leading lines that parse) or dropped.
//!
//! A *defect* is, in the new tree against the document's:
//!
//! * an `ERROR` or `MISSING` node (counted over the whole tree), or error recovery spreading
//!   over more text than the suggestion brought (the bytes inside `ERROR` nodes grow by more
//!   than its length: an error that was there swallows the next line);
//! * an empty block: a node of one of the language's block kinds with no text (`def f():` with
//!   no body, where a block is its indented lines) or, where indentation is syntax, with nothing
//!   but comments, whose construct the suggestion starts (a whole `def` header with no body);
//!   and, whatever the document had, an empty block that the suggestion was to fill and left
//!   empty (the block comes before the suggestion in the construct that holds it: a comment
//!   alone under an `if`). A header the user started and the suggestion finishes
//!   (`def f(` + `a, b):`) opens the block the user writes next: no defect;
//! * where indentation is syntax ([`Language::significant_indentation`]), a statement out of its
//!   block's column: the named children of a block (or of the root) that start their lines must
//!   all start in one column, which grammars with error recovery do not check (`x = 1` followed
//!   by a deeper `y = 2` parses as two statements).
//!
//! Empty blocks and columns are counted near the cursor only: from the start of the line before
//! the cursor's to the end of the line after the suggestion.
//!
//! Architecture invariant: no language's name appears here; block kinds, comment kinds and the
//! offside rule are language data.

use std::ops::Range;
use std::time::Duration;

use infill_syntax::Language;
use tree_sitter::{Node, Tree};

use super::PostprocessInput;
use super::text::{indent_width, is_blank, split_lines};

/// The longest one check's reparse may take; a check that runs out says [`Validity::Unchecked`].
const REPARSE_BUDGET: Duration = Duration::from_millis(50);

/// The most trailing lines that [`repair`] cuts, one at a time, to find a part that parses.
const MAX_CUTS: usize = 8;

/// What inserting a suggestion at the cursor does to the document's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// No new syntax defect.
    Parses,
    /// At least one new syntax defect.
    Breaks,
    /// Not checked: no syntax tree or grammar, a prefix that is only a window of the document,
    /// or a reparse that ran out of time.
    Unchecked,
}

/// What [`repair`] made of a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repaired {
    /// The suggestion parses as it is, or could not be checked.
    AsIs(String),
    /// A changed suggestion that parses: re-indented, or cut to its leading lines.
    Changed(String),
    /// Nothing of the suggestion parses: show nothing.
    Broken,
}

impl Repaired {
    /// The text to show, if any.
    pub fn into_text(self) -> Option<String> {
        match self {
            Repaired::AsIs(text) | Repaired::Changed(text) => Some(text),
            Repaired::Broken => None,
        }
    }
}

/// Whether inserting `text` at the cursor of `input` adds syntax defects to the document.
/// `input.prefix` must be the whole text before the cursor (`input.cursor == prefix.len()`),
/// else the check is [`Validity::Unchecked`].
pub fn check(input: &PostprocessInput<'_>, text: &str) -> Validity {
    Checker::new(input).map_or(Validity::Unchecked, |checker| checker.check(text))
}

/// `text` (a post-processed suggestion for `input`) as it parses: as it is, else re-indented to
/// the block at the cursor (where indentation is syntax), else cut to its longest run of leading
/// lines that parses; [`Repaired::Broken`] when none does.
pub fn repair(input: &PostprocessInput<'_>, text: &str) -> Repaired {
    let Some(checker) = Checker::new(input) else { return Repaired::AsIs(text.to_owned()) };
    match checker.check(text) {
        Validity::Parses | Validity::Unchecked => return Repaired::AsIs(text.to_owned()),
        Validity::Breaks => {}
    }
    let mut variants = Vec::new();
    if checker.language.significant_indentation
        && let Some(relevelled) =
            relevel(text, input.cursor_context().line_prefix(), &checker.indent_unit())
        && relevelled != text
    {
        variants.push(relevelled);
    }
    variants.push(text.to_owned());
    for variant in &variants {
        if variant != text && checker.check(variant) != Validity::Breaks {
            return Repaired::Changed(variant.clone());
        }
        let mut lines: Vec<&str> = split_lines(variant);
        for _ in 0..MAX_CUTS {
            lines.pop();
            while lines.last().is_some_and(|line| is_blank(line)) {
                lines.pop();
            }
            if lines.is_empty() {
                break;
            }
            let cut = lines.join("\n");
            if checker.check(&cut) != Validity::Breaks {
                return Repaired::Changed(cut);
            }
        }
    }
    Repaired::Broken
}

/// The document, its tree and language, ready to check insertions at the cursor.
struct Checker<'a> {
    prefix: &'a str,
    suffix: &'a str,
    tree: &'a Tree,
    language: &'a Language,
    /// The document's own defects near the cursor.
    before: Defects,
}

impl<'a> Checker<'a> {
    fn new(input: &PostprocessInput<'a>) -> Option<Checker<'a>> {
        let tree = input.tree?;
        let language = input.language?;
        language.ts_language()?;
        if input.cursor != input.prefix.len() {
            return None;
        }
        let region = region_start(input.prefix)..input.prefix.len() + two_lines(input.suffix);
        let document = Text { parts: [input.prefix, "", input.suffix] };
        let at = input.prefix.len();
        let before = Defects::of(tree, &document, region, at..at, language);
        Some(Checker { prefix: input.prefix, suffix: input.suffix, tree, language, before })
    }

    fn check(&self, text: &str) -> Validity {
        let at = self.prefix.len();
        let whole = format!("{}{}", self.prefix, self.suffix);
        let Some(tree) = infill_syntax::parse_with_insertion(
            self.language,
            self.tree,
            &whole,
            at,
            text,
            REPARSE_BUDGET,
        ) else {
            return Validity::Unchecked;
        };
        let end = at + text.len();
        let region = region_start(self.prefix)..end + two_lines(self.suffix);
        let document = Text { parts: [self.prefix, text, self.suffix] };
        let after = Defects::of(&tree, &document, region, at..end, self.language);
        if after.worse_than(&self.before, text.len()) { Validity::Breaks } else { Validity::Parses }
    }

    /// The document's indentation step: the smallest positive difference between the
    /// indentation of consecutive lines before the cursor, else four spaces.
    fn indent_unit(&self) -> String {
        let mut unit: Option<usize> = None;
        let mut tabs = false;
        let mut previous = None;
        for line in self.prefix.lines().rev().take(400) {
            if is_blank(line) {
                continue;
            }
            let width = indent_width(line);
            if let Some(previous) = previous
                && previous > width
            {
                unit =
                    Some(unit.map_or(previous - width, |unit: usize| unit.min(previous - width)));
            }
            tabs |= line.starts_with('\t');
            previous = Some(width);
        }
        if tabs { "\t".to_owned() } else { " ".repeat(unit.unwrap_or(4).clamp(1, 8)) }
    }
}

/// Syntax defects of a tree (see the module documentation).
#[derive(Debug, Default, PartialEq, Eq)]
struct Defects {
    errors: usize,
    error_bytes: usize,
    empty_blocks: usize,
    /// Empty blocks the suggestion was to fill (counted in the new tree only).
    left_empty: usize,
    misaligned: usize,
}

impl Defects {
    /// The defects of `tree` (of `text`, where `inserted` is the suggestion's range, empty for
    /// the document as it is), empty blocks and columns counted over `region`.
    fn of(
        tree: &Tree,
        text: &Text<'_>,
        region: Range<usize>,
        inserted: Range<usize>,
        language: &Language,
    ) -> Defects {
        let mut defects = Defects {
            errors: infill_syntax::syntax_error_count(tree),
            error_bytes: infill_syntax::syntax_error_bytes(tree),
            ..Defects::default()
        };
        let near = Near { text, region, inserted, language };
        defects.visit(tree.root_node(), true, &near);
        defects
    }

    /// Whether these defects, after inserting `inserted` bytes, are worse than `before`.
    fn worse_than(&self, before: &Defects, inserted: usize) -> bool {
        self.left_empty > 0
            || self.errors > before.errors
            || self.error_bytes > before.error_bytes + inserted
            || self.empty_blocks > before.empty_blocks
            || self.misaligned > before.misaligned
    }

    fn visit(&mut self, node: Node<'_>, root: bool, near: &Near<'_, '_>) {
        let language = near.language;
        let kinds = &language.node_kinds;
        let block = root || kinds.is_block(node.kind());
        if block && !root && !node.is_missing() && near.is_empty_block(node) {
            let inserted = &near.inserted;
            let parent = node.parent();
            if parent.is_some_and(|parent| parent.start_byte() >= inserted.start) {
                self.empty_blocks += 1;
            } else if !inserted.is_empty()
                && node.end_byte() <= inserted.start
                && parent.is_some_and(|parent| parent.end_byte() >= inserted.end)
            {
                self.left_empty += 1;
            }
        }
        if block && language.significant_indentation {
            self.misaligned += misaligned_children(node, near.text, kinds);
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.start_byte() <= near.region.end && child.end_byte() >= near.region.start {
                self.visit(child, false, near);
            }
        }
    }
}

/// What [`Defects::visit`] reads: the text, the region it counts in, the suggestion's range
/// (empty for the document as it is) and the language.
struct Near<'t, 'a> {
    text: &'t Text<'a>,
    region: Range<usize>,
    inserted: Range<usize>,
    language: &'t Language,
}

impl Near<'_, '_> {
    /// A block with no text, or, where indentation is syntax, with nothing but comments.
    fn is_empty_block(&self, block: Node<'_>) -> bool {
        if block.start_byte() == block.end_byte() {
            return true;
        }
        if !self.language.significant_indentation {
            return false;
        }
        let mut cursor = block.walk();
        let mut children = block.named_children(&mut cursor);
        children.all(|child| self.language.node_kinds.is_comment(child.kind()))
    }
}

/// The named children of `block` that start their lines, not in the column of the first of them
/// (comments aside).
fn misaligned_children(
    block: Node<'_>,
    text: &Text<'_>,
    kinds: &infill_syntax::NodeKinds,
) -> usize {
    let mut column = None;
    let mut misaligned = 0;
    let mut cursor = block.walk();
    for child in block.named_children(&mut cursor) {
        if kinds.is_comment(child.kind()) || child.start_byte() == child.end_byte() {
            continue;
        }
        let start = child.start_byte();
        let line_start = start - child.start_position().column;
        if !text.is_blank(line_start..start) {
            continue;
        }
        match column {
            None => column = Some(start - line_start),
            Some(column) if column != start - line_start => misaligned += 1,
            Some(_) => {}
        }
    }
    misaligned
}

/// A document made of parts (before the cursor, the suggestion, after it), read by byte offset.
struct Text<'a> {
    parts: [&'a str; 3],
}

impl Text<'_> {
    /// Whether the bytes in `range` are all spaces or tabs.
    fn is_blank(&self, range: Range<usize>) -> bool {
        let mut offset = 0;
        for part in self.parts {
            let part_range = offset..offset + part.len();
            let start = range.start.max(part_range.start);
            let end = range.end.min(part_range.end);
            if start < end
                && !part.as_bytes()[start - offset..end - offset]
                    .iter()
                    .all(|byte| matches!(byte, b' ' | b'\t'))
            {
                return false;
            }
            offset += part.len();
        }
        true
    }
}

/// Where the region checked for empty blocks and columns starts: the line before the cursor's
/// (which may open the block the cursor is in).
fn region_start(prefix: &str) -> usize {
    let line = prefix.rfind('\n').unwrap_or(0);
    prefix[..line].rfind('\n').map_or(0, |newline| newline + 1)
}

/// The length of `suffix`'s first two lines (the rest of the cursor's line and the next one).
fn two_lines(suffix: &str) -> usize {
    suffix.match_indices('\n').nth(1).map_or(suffix.len(), |(newline, _)| newline)
}

/// `text`, inserted after `line_prefix` (the cursor's line before the cursor), with its later
/// lines' indentation mapped onto steps of `unit` from its first line's: each deeper indentation
/// than the line before opens one step, and a shallower one returns to the step of the line it
/// lines up with. `None` for a single line.
fn relevel(text: &str, line_prefix: &str, unit: &str) -> Option<String> {
    let lines = split_lines(text);
    if lines.len() < 2 {
        return None;
    }
    let mut first_indent = leading(line_prefix).to_owned();
    if is_blank(line_prefix) {
        first_indent = format!("{line_prefix}{}", leading(lines[0]));
    }
    // (the model's indentation width, our indentation) for the open levels, innermost last.
    let mut levels = vec![(indent_width(&first_indent), first_indent)];
    let mut out = vec![lines[0].to_owned()];
    for line in &lines[1..] {
        if is_blank(line) {
            out.push(String::new());
            continue;
        }
        let width = indent_width(line);
        while levels.len() > 1 && levels.last().is_some_and(|(level, _)| *level > width) {
            levels.pop();
        }
        let (top_width, top_indent) = levels.last().cloned().unwrap_or((0, String::new()));
        let indent = if width > top_width {
            let deeper = format!("{top_indent}{unit}");
            levels.push((width, deeper.clone()));
            deeper
        } else if width < top_width {
            // Shallower than the suggestion's first line: keep the model's own dedent.
            line[..line.len() - line.trim_start().len()].to_owned()
        } else {
            top_indent
        };
        out.push(format!("{indent}{}", line.trim_start()));
    }
    Some(out.join("\n"))
}

fn leading(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevel_maps_each_deeper_indentation_to_one_step() {
        let text = "if x:\n          y = 1\n          if z:\n                   w\nv";
        assert_eq!(relevel(text, "", "    ").unwrap(), "if x:\n    y = 1\n    if z:\n        w\nv");
        // After typed indentation, the first line sits in the typed column.
        let text = "if x:\n          y = 1\n    z";
        assert_eq!(relevel(text, "    ", "  ").unwrap(), "if x:\n      y = 1\n    z");
    }

    #[test]
    fn relevel_leaves_a_single_line_alone() {
        assert_eq!(relevel("x = 1", "", "    "), None);
    }

    #[test]
    fn the_region_starts_at_the_line_before_the_cursors() {
        assert_eq!(region_start("a\nif x:\n    "), 2);
        assert_eq!(region_start("if x:\n    "), 0);
        assert_eq!(region_start("x = "), 0);
    }

    #[test]
    fn two_lines_stops_after_the_next_line() {
        assert_eq!(two_lines(")\n    return x\n    y\n"), ")\n    return x".len());
        assert_eq!(two_lines(""), 0);
    }
}
