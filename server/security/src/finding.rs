//! A finding: which rule, what it means, where, and the flagged text that identifies it apart
//! from its position.

use infill_syntax::Position;

use crate::rules::Severity;

/// Where a finding is: byte offsets into the checked text and 0-based lines with columns in
/// UTF-8 bytes (convert with [`infill_syntax::position_of`] for another encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRange {
    /// First byte of the flagged text.
    pub start_byte: usize,
    /// One past its last byte.
    pub end_byte: usize,
    /// Line and UTF-8 column of `start_byte`.
    pub start: Position,
    /// Line and UTF-8 column of `end_byte`.
    pub end: Position,
}

/// One rule's match in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule's id, e.g. `sql-injection`.
    pub rule_id: String,
    /// The rule's short name.
    pub title: String,
    /// How serious it is.
    pub severity: Severity,
    /// The CWE number.
    pub cwe: u32,
    /// The OWASP Top 10 (2021) category.
    pub owasp: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, in this language's terms where the rule has them.
    pub fix_hint: String,
    /// Where it is.
    pub range: TextRange,
    /// The flagged text with every run of whitespace made one space (at most
    /// [`SNIPPET_MAX_CHARS`] characters): with the rule, what identifies a finding across edits
    /// that move it.
    pub snippet: String,
}

/// The longest [`Finding::snippet`], in characters.
pub const SNIPPET_MAX_CHARS: usize = 400;

/// `text[range]` with whitespace runs collapsed, cut at [`SNIPPET_MAX_CHARS`].
pub(crate) fn snippet_of(text: &str, range: std::ops::Range<usize>) -> String {
    let flagged = text.get(range).unwrap_or_default();
    let mut out = String::new();
    for (index, word) in flagged.split_whitespace().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= SNIPPET_MAX_CHARS {
            return out.chars().take(SNIPPET_MAX_CHARS).collect();
        }
    }
    out
}

impl Finding {
    /// What identifies the finding apart from its position: the rule and the flagged text.
    pub fn identity(&self) -> (&str, &str) {
        (&self.rule_id, &self.snippet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_ignore_layout() {
        assert_eq!(snippet_of("a(\n    b,\tc)\n", 0..12), "a( b, c)");
        assert_eq!(snippet_of("abc", 5..9), "");
        assert_eq!(snippet_of(&"x ".repeat(1000), 0..2000).chars().count(), SNIPPET_MAX_CHARS);
    }
}
