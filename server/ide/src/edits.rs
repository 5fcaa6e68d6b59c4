//! The user's recent edits, as a prompt section: what the user just changed elsewhere is often
//! what the next lines use (a renamed field, a new parameter, a function just written).
//!
//! Each edit is a line range of one file, its text before the first change and after the last:
//! keystrokes that keep changing the same lines grow one entry instead of adding more. The
//! section lists them oldest first, newest last, as small diffs, within a byte budget. Edits near
//! the cursor are left out: the prompt already holds that text, and leaving them out keeps the
//! section (and the engine's cache of the prompt up to it) unchanged while the user types there.
//! Nothing here knows LSP: paths are file-system paths and lines are 0-based.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use infill_context::EditedLines;
use infill_engine::ContextFile;

/// How many edits are kept.
const KEEP: usize = 16;

/// Bytes of one edit's before or after text in the section; longer ones are cut at a line end.
const SIDE_BYTES: usize = 300;

/// Lines around the cursor whose edits stay out of the section.
pub const NEAR_LINES: usize = 30;

/// The path under which the section goes into a prompt.
pub const SECTION_PATH: &str = "recent_edits.diff";

/// One edited line range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    path: PathBuf,
    /// The path as prompts show it (relative to its root).
    label: String,
    /// The first line of the range.
    first_line: usize,
    /// The range's lines before the first change.
    before: String,
    /// The range's lines now.
    after: String,
}

impl Edit {
    /// The last line of the range as it is now.
    fn last_line(&self) -> usize {
        self.first_line + self.after.matches('\n').count().saturating_sub(1)
    }
}

/// One change as the document saw it, by whole lines.
#[derive(Debug, Clone)]
pub struct LineChange<'a> {
    /// The file.
    pub path: &'a Path,
    /// The file's path as prompts show it.
    pub label: &'a str,
    /// The first changed line.
    pub first_line: usize,
    /// Lines `first_line..` that the change replaced, as they were (each ending in `\n`, the
    /// last one too).
    pub before: &'a str,
    /// The lines that replaced them, as they are now (same convention).
    pub after: &'a str,
}

/// Recent edits, newest last.
#[derive(Debug, Default)]
pub struct RecentEdits {
    edits: Mutex<VecDeque<Edit>>,
}

impl RecentEdits {
    /// Records a change. A change within the newest edit's lines (or right next to them, as
    /// typing a new line is) grows that edit; another starts a new one.
    pub fn record(&self, change: &LineChange<'_>) {
        let mut edits = self.edits.lock().unwrap_or_else(|e| e.into_inner());
        let old_lines = change.before.matches('\n').count().max(1);
        let old_last = change.first_line + old_lines - 1;
        if let Some(newest) = edits.back_mut()
            && newest.path == change.path
            && change.first_line >= newest.first_line
            && old_last <= newest.last_line()
        {
            // Replace the changed lines inside the edit's `after`.
            let skip = change.first_line - newest.first_line;
            let start = nth_line_start(&newest.after, skip);
            let end = nth_line_start(&newest.after, skip + old_lines);
            newest.after.replace_range(start..end, change.after);
            if newest.after.is_empty() {
                newest.after.push('\n');
            }
            return;
        }
        edits.push_back(Edit {
            path: change.path.to_path_buf(),
            label: change.label.to_string(),
            first_line: change.first_line,
            before: change.before.to_string(),
            after: change.after.to_string(),
        });
        while edits.len() > KEEP {
            edits.pop_front();
        }
    }

    /// The line ranges of the edits that changed something, newest last, for the ranker's
    /// "recently edited symbols" signal.
    pub fn edited_lines(&self) -> Vec<EditedLines> {
        let edits = self.edits.lock().unwrap_or_else(|e| e.into_inner());
        edits
            .iter()
            .filter(|edit| edit.before != edit.after)
            .map(|edit| EditedLines {
                path: edit.path.clone(),
                first_line: u32::try_from(edit.first_line).unwrap_or(u32::MAX),
                last_line: u32::try_from(edit.last_line()).unwrap_or(u32::MAX),
            })
            .collect()
    }

    /// Forgets the edits of `path` (a closed or deleted file keeps none).
    pub fn forget(&self, path: &Path) {
        self.edits.lock().unwrap_or_else(|e| e.into_inner()).retain(|edit| edit.path != path);
    }

    /// The section for a cursor on line `cursor_line` of `path`: the edits that changed
    /// something, except those within [`NEAR_LINES`] of the cursor, oldest first, as many of
    /// the newest as fit in `budget` bytes. `None` when there is none.
    pub fn section(&self, path: &Path, cursor_line: usize, budget: usize) -> Option<ContextFile> {
        let edits = self.edits.lock().unwrap_or_else(|e| e.into_inner());
        let mut parts: Vec<String> = Vec::new();
        let mut used = 0;
        for edit in edits.iter().rev() {
            if edit.before == edit.after {
                continue;
            }
            let near = edit.path == path
                && edit.first_line <= cursor_line + NEAR_LINES
                && edit.last_line() + NEAR_LINES >= cursor_line;
            if near {
                continue;
            }
            let part = render(edit);
            if used + part.len() > budget {
                break;
            }
            used += part.len();
            parts.push(part);
        }
        if parts.is_empty() {
            return None;
        }
        parts.reverse();
        Some(ContextFile { path: SECTION_PATH.into(), text: parts.concat() })
    }
}

/// The byte offset where line `n` (0-based) of `text` starts; `text.len()` past its end.
fn nth_line_start(text: &str, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    text.match_indices('\n').nth(n - 1).map_or(text.len(), |(at, _)| at + 1)
}

/// One edit as a small diff: a header with the file and the line, then `-` and `+` lines.
fn render(edit: &Edit) -> String {
    let mut out = format!("@@ {}:{} @@\n", edit.label, edit.first_line + 1);
    for (sign, side) in [('-', &edit.before), ('+', &edit.after)] {
        let mut written = 0;
        for line in side.lines() {
            if written + line.len() > SIDE_BYTES {
                break;
            }
            written += line.len() + 1;
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change<'a>(path: &'a str, line: usize, before: &'a str, after: &'a str) -> LineChange<'a> {
        LineChange { path: Path::new(path), label: path, first_line: line, before, after }
    }

    #[test]
    fn keystrokes_on_the_same_lines_grow_one_edit() {
        let edits = RecentEdits::default();
        edits.record(&change("a.py", 4, "    total = 0\n", "    total = s\n"));
        edits.record(&change("a.py", 4, "    total = s\n", "    total = sum(items)\n"));
        // Enter, then a new line typed below: still the same edit.
        edits.record(&change("a.py", 4, "    total = sum(items)\n", "    total = sum(items)\n\n"));
        edits.record(&change("a.py", 5, "\n", "    return total\n"));
        let section = edits.section(Path::new("b.py"), 0, 1000).expect("one edit");
        assert_eq!(section.path, SECTION_PATH);
        assert_eq!(
            section.text,
            "@@ a.py:5 @@\n-    total = 0\n+    total = sum(items)\n+    return total\n"
        );
    }

    #[test]
    fn edited_lines_list_the_changed_ranges_newest_last() {
        let edits = RecentEdits::default();
        edits.record(&change("a.py", 3, "x = 1\n", "x = 2\ny = 3\n"));
        edits.record(&change("b.py", 9, "c = 1\n", "c = 1\n"));
        edits.record(&change("c.py", 7, "def f():\n", "def f(limit):\n"));
        let lines = edits.edited_lines();
        let seen: Vec<(&str, u32, u32)> =
            lines.iter().map(|l| (l.path.to_str().unwrap(), l.first_line, l.last_line)).collect();
        assert_eq!(
            seen,
            [("a.py", 3, 4), ("c.py", 7, 7)],
            "an edit that changed nothing is left out"
        );
    }

    #[test]
    fn edits_elsewhere_come_oldest_first_and_the_newest_win_the_budget() {
        let edits = RecentEdits::default();
        edits.record(&change("a.py", 0, "x = 1\n", "x = 2\n"));
        edits.record(&change("b.py", 9, "def f():\n", "def f(limit):\n"));
        edits.record(&change("a.py", 100, "y = 1\n", "y = 3\n"));
        let all = edits.section(Path::new("c.py"), 0, 1000).expect("edits").text;
        let a = all.find("x = 2").expect("the first edit");
        let b = all.find("def f(limit)").expect("the second");
        let c = all.find("y = 3").expect("the third");
        assert!(a < b && b < c, "{all}");
        let two = edits.section(Path::new("c.py"), 0, 60).expect("the newest fit").text;
        assert!(two.contains("y = 3") && !two.contains("x = 2"), "{two}");
    }

    #[test]
    fn edits_near_the_cursor_and_undone_edits_stay_out() {
        let edits = RecentEdits::default();
        edits.record(&change("a.py", 10, "a = 1\n", "a = 2\n"));
        edits.record(&change("a.py", 200, "b = 1\n", "b = 2\n"));
        edits.record(&change("b.py", 3, "c = 1\n", "c = 2\n"));
        edits.record(&change("b.py", 3, "c = 2\n", "c = 1\n"));
        let section = edits.section(Path::new("a.py"), 20, 1000).expect("the far edit").text;
        assert_eq!(section, "@@ a.py:201 @@\n-b = 1\n+b = 2\n");
        assert!(edits.section(Path::new("a.py"), 190, 1000).unwrap().text.contains("a = 2"));
        edits.forget(Path::new("a.py"));
        assert!(edits.section(Path::new("c.py"), 0, 1000).is_none(), "b.py's edit was undone");
    }

    #[test]
    fn a_long_edit_is_cut_at_a_line_and_the_list_is_bounded() {
        let edits = RecentEdits::default();
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        edits.record(&change("a.py", 0, "\n", &long));
        let text = edits.section(Path::new("b.py"), 0, 10_000).unwrap().text;
        assert!(text.len() < SIDE_BYTES + 100 && text.ends_with('\n'), "{}", text.len());
        for i in 0..40 {
            let path = format!("f{i}.py");
            edits.record(&change(&path, 0, "a\n", "b\n"));
        }
        assert_eq!(edits.edits.lock().unwrap().len(), KEEP);
    }
}
