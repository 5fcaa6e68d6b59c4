//! The fixture harness shared by the context tests: a small project written to a temporary
//! directory from one string with `//- /path` headers, then indexed; and a one-line description
//! of a definition, for tests that compare extractions.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use infill_context::{ContextRequest, ContextResult, IndexOptions, IndexReport, WorkspaceIndex};

/// An indexed fixture project; the directory lives as long as the fixture.
pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub index: WorkspaceIndex,
    pub report: IndexReport,
}

/// Writes `//- /path` sections under a fresh temporary root.
pub fn write_fixture(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let mut current: Option<(PathBuf, String)> = None;
    let flush = |current: &mut Option<(PathBuf, String)>| {
        if let Some((path, text)) = current.take() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    };
    for line in spec.lines() {
        if let Some(path) = line.strip_prefix("//- /") {
            flush(&mut current);
            current = Some((root.join(path.trim()), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(&mut current);
    (dir, root)
}

pub fn fixture(spec: &str) -> Fixture {
    fixture_with(spec, &IndexOptions::default())
}

pub fn fixture_with(spec: &str, options: &IndexOptions) -> Fixture {
    let (dir, root) = write_fixture(spec);
    let index = WorkspaceIndex::default();
    let report = index.index_root(&root, options, &|_, _| {});
    Fixture { _dir: dir, root, index, report }
}

impl Fixture {
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Resolved import targets of a file, relative to the root, sorted.
    pub fn resolved(&self, relative: &str) -> Vec<String> {
        let info = self
            .index
            .file_info(&self.path(relative))
            .unwrap_or_else(|| panic!("{relative} not indexed"));
        let mut out: Vec<String> = info
            .imports
            .iter()
            .flat_map(|import| import.files.iter())
            .map(|file| self.rel(file))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap().to_string_lossy().into_owned()
    }

    /// Ranks with the cursor placed right after the first occurrence of `marker` in `relative`'s
    /// text on disk (the marker itself stays in the text).
    pub fn rank_after(&self, relative: &str, marker: &str, budget: usize) -> ContextResult {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let cursor = text.find(marker).unwrap_or_else(|| panic!("{marker} not in {relative}"))
            + marker.len();
        self.index.rank(&ContextRequest::new(&path, &text, cursor, budget))
    }

    /// Rank (0 = best score) of the first snippet from `relative` whose text contains `needle`.
    pub fn rank_of(&self, result: &ContextResult, relative: &str, needle: &str) -> Option<usize> {
        let path = self.path(relative);
        let mut by_score: Vec<_> = result.snippets.iter().collect();
        by_score.sort_by(|a, b| b.score.total_cmp(&a.score));
        by_score.iter().position(|s| s.path == path && s.text.contains(needle))
    }
}

pub fn assert_top(
    fixture: &Fixture,
    result: &ContextResult,
    relative: &str,
    needle: &str,
    within: usize,
) {
    let rank = fixture.rank_of(result, relative, needle);
    let listing: Vec<String> = result
        .snippets
        .iter()
        .map(|s| format!("{}:{} {:.2} {}", fixture.rel(&s.path), s.start_line, s.score, s.reason))
        .collect();
    assert!(
        rank.is_some_and(|rank| rank < within),
        "expected `{needle}` from {relative} among the best {within} snippets, got {rank:?}:\n{}",
        listing.join("\n")
    );
}

/// Every field of a definition on one line, its parent as the caller identifies it (an index, or
/// a range where indices differ between the extractions compared).
pub fn describe_definition(
    def: &infill_context::extract::Definition,
    parent: impl std::fmt::Debug,
) -> String {
    format!(
        "{} {:?} {:?} header {} body {:?} lines {}-{} parent {:?} extends {:?}",
        def.name,
        def.kind,
        def.range,
        def.header_start,
        def.body,
        def.start_line,
        def.end_line,
        parent,
        def.extends
    )
}
