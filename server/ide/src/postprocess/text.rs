//! Line and character helpers shared by the shape decision and the filters.
//!
//! Everything here is language-agnostic: indentation widths, bracket pairs, and what counts as a
//! line with content, so no filter re-invents them slightly differently.

/// Columns a tab counts for when indentation widths are compared. Only relative widths matter,
/// and they are compared within one document, so any fixed value works.
pub(crate) const TAB_WIDTH: usize = 4;

/// Width of the leading whitespace of `line`, tabs counting [`TAB_WIDTH`] columns.
pub(crate) fn indent_width(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { TAB_WIDTH } else { 1 })
        .sum()
}

/// The leading spaces and tabs of `line`.
pub(crate) fn leading_whitespace(line: &str) -> &str {
    let end = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..end]
}

/// Whether `text` holds nothing but whitespace.
pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Characters that make up identifiers in practically every language.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Opening brackets and their closers.
pub(crate) const BRACKETS: [(char, char); 3] = [('(', ')'), ('[', ']'), ('{', '}')];

pub(crate) fn is_opener(c: char) -> bool {
    BRACKETS.iter().any(|(open, _)| *open == c)
}

pub(crate) fn is_closer(c: char) -> bool {
    BRACKETS.iter().any(|(_, close)| *close == c)
}

/// The opener that `close` closes.
pub(crate) fn opener_of(close: char) -> Option<char> {
    BRACKETS.iter().find(|(_, c)| *c == close).map(|(open, _)| *open)
}

/// A line made only of closing brackets, optionally followed by `;` or `,` — `}`, `});`, `],`.
/// Such lines end blocks and are compared with their indentation, never by text alone.
pub(crate) fn is_closer_only(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.starts_with(is_closer) && trimmed.chars().all(|c| is_closer(c) || c == ';' || c == ',')
}

/// A line worth comparing for repetition: it carries a word and is more than a closer or a
/// one-token statement like `end` or `pass`.
pub(crate) fn is_substantial_line(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.chars().count() >= 6 && trimmed.chars().any(is_word_char) && !is_closer_only(trimmed)
}

/// Splits at `\n`, keeping empty segments (`"a\n"` is `["a", ""]`).
pub(crate) fn split_lines(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

/// The lines of a document text, without their terminators (`\r\n` or `\n`).
pub(crate) fn document_lines(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// The end of `text`: at most `max_bytes`, starting at a line start (or at a character boundary
/// when one line is longer than that). Bounds the work per keystroke in huge files.
pub(crate) fn tail_lines(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut start = text.len() - max_bytes;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    match text[start..].find('\n') {
        Some(newline) => &text[start + newline + 1..],
        None => &text[start..],
    }
}

/// The start of `text`: at most `max_bytes`, ending at a character boundary.
pub(crate) fn head(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_counts_tabs_as_four_columns() {
        assert_eq!(indent_width("\t  x"), 6);
        assert_eq!(indent_width("x"), 0);
        assert_eq!(leading_whitespace(" \tx "), " \t");
    }

    #[test]
    fn bounded_slices_respect_lines_and_characters() {
        assert_eq!(tail_lines("ab\ncd\nef", 4), "ef");
        assert_eq!(tail_lines("ab\ncd\nef", 100), "ab\ncd\nef");
        assert_eq!(tail_lines("ééé", 3), "é");
        assert_eq!(head("ééé", 3), "é");
    }

    #[test]
    fn closer_only_lines() {
        assert!(is_closer_only("  });"));
        assert!(is_closer_only("],"));
        assert!(!is_closer_only("end"));
        assert!(!is_closer_only(";"));
        assert!(!is_closer_only("} else {"));
    }

    #[test]
    fn substantial_lines_carry_words() {
        assert!(is_substantial_line("    let x = 1;"));
        assert!(!is_substantial_line("  });"));
        assert!(!is_substantial_line("end"));
    }
}
