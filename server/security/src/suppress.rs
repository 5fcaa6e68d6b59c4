//! Inline suppression: a comment `infill-ignore: <rule-id>[, <rule-id>...]` (or `all`) on the
//! first line of a finding, on its last line, or on the line before it silences that rule there.

use std::ops::Range;

/// The marker that starts a suppression.
pub const IGNORE_MARKER: &str = "infill-ignore:";

/// Whether a finding of `rule_id` at `range` of `text` is suppressed.
pub(crate) fn is_suppressed(text: &str, range: Range<usize>, rule_id: &str) -> bool {
    if !text.contains(IGNORE_MARKER) {
        return false;
    }
    let first = line_around(text, range.start);
    let last = line_around(text, range.end.saturating_sub(1).max(range.start));
    let before = (first.start > 0).then(|| line_around(text, first.start - 1));
    [Some(first), Some(last), before]
        .into_iter()
        .flatten()
        .any(|line| line_ignores(text.get(line).unwrap_or_default(), rule_id))
}

/// The byte range of the line holding `byte`, without its newline.
fn line_around(text: &str, byte: usize) -> Range<usize> {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    let start = text[..byte].rfind('\n').map_or(0, |at| at + 1);
    let end = text[byte..].find('\n').map_or(text.len(), |at| byte + at);
    start..end
}

/// Whether one line's `infill-ignore:` list names `rule_id` (or `all`).
fn line_ignores(line: &str, rule_id: &str) -> bool {
    line.match_indices(IGNORE_MARKER).any(|(at, _)| {
        // Ids are separated by commas; the first segment with more than one word ends the list.
        for segment in line[at + IGNORE_MARKER.len()..].split(',') {
            let mut words = segment.split_whitespace();
            let Some(id) = words.next() else { return false };
            if id == rule_id || id == "all" {
                return true;
            }
            if words.next().is_some() {
                return false;
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_marker_on_the_line_or_the_line_before() {
        let text = "a()\n# infill-ignore: x, y\nrun()\nrun()  // infill-ignore: z\n";
        let first_run = text.find("run").unwrap();
        assert!(is_suppressed(text, first_run..first_run + 5, "y"));
        assert!(!is_suppressed(text, first_run..first_run + 5, "z"));
        let second_run = text.rfind("run").unwrap();
        assert!(is_suppressed(text, second_run..second_run + 5, "z"));
        assert!(!is_suppressed(text, 0..3, "x"));
    }

    #[test]
    fn the_list_ends_at_prose() {
        assert!(line_ignores("# infill-ignore: all", "anything"));
        assert!(line_ignores("/* infill-ignore: a-b */", "a-b"));
        assert!(!line_ignores("# infill-ignore: a because b-c is fine", "b-c"));
        assert!(!line_ignores("# infill-ignore:", "a"));
    }
}
