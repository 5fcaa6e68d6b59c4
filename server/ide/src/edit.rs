//! Change sets: the multi-file edits that code actions and refactors produce, in byte offsets of
//! the text they were computed from, with the version of that text, so the edge can send them as
//! versioned edits the editor refuses when a file changed meanwhile. Also a unified diff for the
//! command line.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// One replacement in a file's text: `range` (bytes of the original text) becomes `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    /// The replaced bytes of the original text.
    pub range: Range<usize>,
    /// What replaces them.
    pub new_text: String,
}

impl TextEdit {
    /// Inserts `text` at `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> TextEdit {
        TextEdit { range: at..at, new_text: text.into() }
    }
}

/// The edits of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file.
    pub path: PathBuf,
    /// The text the edits were computed from (empty for a new file).
    pub original: String,
    /// The editor's version of that text when it was an open document; `None` for a file read
    /// from disk or a new one.
    pub version: Option<i32>,
    /// Whether the file does not exist yet (it is created, then filled by the edits).
    pub create: bool,
    /// Non-overlapping edits, sorted by position.
    pub edits: Vec<TextEdit>,
}

impl FileChange {
    /// The text after the edits.
    pub fn new_text(&self) -> String {
        apply(&self.original, &self.edits)
    }
}

/// A multi-file change, applied by the editor in one step the user can undo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// The changed files, in the order they were planned.
    pub files: Vec<FileChange>,
}

impl ChangeSet {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.files.iter().all(|file| file.edits.is_empty() && !file.create)
    }

    /// The change of `path`, if any.
    pub fn file(&self, path: &Path) -> Option<&FileChange> {
        self.files.iter().find(|file| file.path == path)
    }

    /// A unified diff of every file (`--- a/...`, `+++ b/...`), paths relative to `root`.
    pub fn unified_diff(&self, root: &Path) -> String {
        let mut out = String::new();
        for file in &self.files {
            let name = file.path.strip_prefix(root).unwrap_or(&file.path).to_string_lossy();
            let old_name = if file.create { "/dev/null".to_owned() } else { format!("a/{name}") };
            out.push_str(&unified_diff(
                &file.original,
                &file.new_text(),
                &old_name,
                &format!("b/{name}"),
            ));
        }
        out
    }
}

/// Applies sorted, non-overlapping `edits` to `text`. Edits out of bounds or overlapping are
/// clamped so this never panics; producers validate them before (see [`validate`]).
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        let start = floor_boundary(text, edit.range.start.max(at));
        let end = floor_boundary(text, edit.range.end.max(start));
        out.push_str(&text[at..start]);
        out.push_str(&edit.new_text);
        at = end;
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Checks that `edits` are sorted, non-overlapping, in bounds and on character boundaries.
pub fn validate(text: &str, edits: &[TextEdit]) -> Result<(), String> {
    let mut at = 0;
    for edit in edits {
        let Range { start, end } = edit.range;
        if start < at || end < start || end > text.len() {
            return Err(format!("edit {start}..{end} overlaps another or leaves the text"));
        }
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return Err(format!("edit {start}..{end} splits a character"));
        }
        at = end;
    }
    Ok(())
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Lines with their terminators.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// A unified diff with three lines of context. The line diff is an LCS over lines that differ
/// after the common head and tail are removed; files too large for that are shown as one hunk.
pub fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    let a = lines(old);
    let b = lines(new);
    let ops = diff_lines(&a, &b);
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    // Group the ops into hunks with 3 lines of context.
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut index = 0;
    while index < changed.len() {
        let first = changed[index];
        let mut last = first;
        while index + 1 < changed.len() && changed[index + 1] <= last + 2 * CONTEXT + 1 {
            index += 1;
            last = changed[index];
        }
        index += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        let (mut old_start, mut new_start) = (1, 1);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    old_start += 1;
                    new_start += 1;
                }
                Op::Delete(_) => old_start += 1,
                Op::Insert(_) => new_start += 1,
            }
        }
        let old_len = ops[start..end].iter().filter(|op| !matches!(op, Op::Insert(_))).count();
        let new_len = ops[start..end].iter().filter(|op| !matches!(op, Op::Delete(_))).count();
        let old_start = if old_len == 0 { old_start - 1 } else { old_start };
        let new_start = if new_len == 0 { new_start - 1 } else { new_start };
        out.push_str(&format!("@@ -{old_start},{old_len} +{new_start},{new_len} @@\n"));
        for op in &ops[start..end] {
            let (sign, line) = match op {
                Op::Same(line) => (' ', *line),
                Op::Delete(line) => ('-', *line),
                Op::Insert(line) => ('+', *line),
            };
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Op<'a> {
    Same(&'a str),
    Delete(&'a str),
    Insert(&'a str),
}

fn diff_lines<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail =
        a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op<'a>> = a[..head].iter().zip(&b[..head]).map(|(x, _)| Op::Same(x)).collect();
    if a_mid.len().saturating_mul(b_mid.len()) > 4_000_000 {
        ops.extend(a_mid.iter().map(|line| Op::Delete(line)));
        ops.extend(b_mid.iter().map(|line| Op::Insert(line)));
    } else {
        // LCS table from the end.
        let (n, m) = (a_mid.len(), b_mid.len());
        let mut table = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                table[i * (m + 1) + j] = if a_mid[i] == b_mid[j] {
                    table[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    table[(i + 1) * (m + 1) + j].max(table[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a_mid[i] == b_mid[j] {
                ops.push(Op::Same(a_mid[i]));
                i += 1;
                j += 1;
            } else if i < n
                && (j == m || table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1])
            {
                ops.push(Op::Delete(a_mid[i]));
                i += 1;
            } else {
                ops.push(Op::Insert(b_mid[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - tail..].iter().zip(&b[b.len() - tail..]).map(|(x, _)| Op::Same(x)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_sorted_edits() {
        let edits =
            vec![TextEdit::insert(0, "# a\n"), TextEdit { range: 4..7, new_text: "y".into() }];
        assert_eq!(apply("def xyz():\n", &edits), "# a\ndef y():\n");
        assert!(validate("def xyz():\n", &edits).is_ok());
        assert!(validate("ab", &[TextEdit { range: 1..5, new_text: String::new() }]).is_err());
        let overlapping =
            [TextEdit { range: 0..3, new_text: String::new() }, TextEdit::insert(1, "x")];
        assert!(validate("abcdef", &overlapping).is_err());
        assert!(validate("é", &[TextEdit::insert(1, "x")]).is_err());
    }

    #[test]
    fn unified_diff_has_hunks_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk\n";
        let diff = unified_diff(old, new, "a/x", "b/x");
        assert_eq!(
            diff,
            "--- a/x\n+++ b/x\n@@ -1,6 +1,6 @@\n a\n b\n-c\n+C\n d\n e\n f\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n"
        );
        assert_eq!(unified_diff("x\n", "x\n", "a", "b"), "");
        let created = unified_diff("", "new\n", "/dev/null", "b/n");
        assert_eq!(created, "--- /dev/null\n+++ b/n\n@@ -0,0 +1,1 @@\n+new\n");
    }
}
