//! The text around the cursor that ranking reads: about 120 lines before it and 30 after, with a
//! line table, so the signals agree on one window of the live buffer.

use crate::lexical;

/// Bytes before the cursor the region reaches back (about 120 lines).
const BYTES_BEFORE: usize = 6000;
/// Bytes after the cursor the region reaches (about 30 lines).
const BYTES_AFTER: usize = 1500;

/// The region of the live buffer around the cursor.
pub(super) struct Region<'t> {
    /// The region's text, starting at a line start.
    pub text: &'t str,
    /// Where `text` starts in the whole text.
    pub start: usize,
    /// The cursor, relative to `text`.
    pub cursor: usize,
    /// Line starts of `text`.
    pub lines: Vec<usize>,
    /// The cursor's line in `text`.
    pub cursor_line: usize,
}

impl<'t> Region<'t> {
    /// The region of `text` around `cursor` (a character boundary).
    pub fn around(text: &'t str, cursor: usize) -> Region<'t> {
        let start = floor_char_boundary(text, cursor.saturating_sub(BYTES_BEFORE));
        let start = if start == 0 { 0 } else { text[..start].rfind('\n').map_or(0, |nl| nl + 1) };
        let end = floor_char_boundary(text, cursor.saturating_add(BYTES_AFTER));
        let region = &text[start..end];
        let cursor = cursor - start;
        let lines = lexical::line_starts(region);
        let cursor_line = lexical::line_of(&lines, cursor);
        Region { text: region, start, cursor, lines, cursor_line }
    }
}

/// `at`, clamped to the text and moved back to a character boundary.
pub(super) fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_a_line_and_keeps_the_cursor() {
        let text = format!("{}let x = 1;\nfoo(\n", "ab\n".repeat(3000));
        let cursor = text.len() - 1;
        let region = Region::around(&text, cursor);
        assert!(region.text.starts_with("ab\n") && region.text.len() <= 6001);
        assert_eq!(&region.text[region.cursor..], "\n");
        assert_eq!(&region.text[region.lines[region.cursor_line]..], "foo(\n");
        assert_eq!(floor_char_boundary("é", 1), 0);
    }
}
