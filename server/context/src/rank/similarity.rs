//! The similarity signal: line windows of related files whose identifiers overlap the lines
//! before the cursor (Jaccard), among imported, recent and importing files and files that share
//! rare identifiers with those lines.

use std::collections::HashMap;

use super::candidate::{Candidate, Source};
use super::region::Region;
use super::relations::Relations;
use super::windows::WindowCache;
use crate::ids::FileId;
use crate::index::{POSTINGS_CAP, State};
use crate::lexical;

const W_SIM: f32 = 3.0;
const MIN_JACCARD: f32 = 0.1;
const MAX_SIMILARITY_FILES: usize = 14;
/// Files larger than this are not split into similarity windows (generated code, mostly).
const MAX_WINDOW_FILE_BYTES: usize = 100_000;
/// Tokens in at most this many files count as rare, for finding similar files.
const RARE_DF: u32 = 32;

/// The best window of each related file, when it is similar enough.
pub(super) fn similarity_candidates(
    state: &State,
    windows: &WindowCache,
    region: &Region<'_>,
    window_lines: usize,
    current: Option<FileId>,
    relations: &Relations,
    candidates: &mut Vec<Candidate>,
) {
    let before_start = region.cursor_line.saturating_sub(window_lines);
    let range = lexical::line_range(region.text, &region.lines, before_start, region.cursor_line);
    let query = lexical::token_set(&region.text[range.start..region.cursor.max(range.start)]);
    for file in similar_files(state, &query, current, relations) {
        let Some(entry) = state.file(file) else { continue };
        if entry.text.len() > MAX_WINDOW_FILE_BYTES {
            continue;
        }
        let Some(windows) = windows.get(state, file, window_lines.max(4)) else { continue };
        let best = windows
            .iter()
            .map(|window| (lexical::jaccard(&query, &window.tokens), window))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.start_line.cmp(&a.1.start_line)));
        let Some((similarity, window)) = best else { continue };
        if similarity < MIN_JACCARD {
            continue;
        }
        let (graph, relation) = relations.boost(state, file);
        candidates.push(Candidate {
            file,
            source: Source::Window { start_line: window.start_line, end_line: window.end_line },
            score: W_SIM * similarity * graph,
            reason: format!(
                "similar to the lines before the cursor (jaccard {similarity:.2}; {relation})"
            ),
            stable: false,
        });
    }
}

/// The files to look for similar windows in: imported, recent and importing files first, then
/// files sharing the query's rare identifiers (by summed idf).
fn similar_files(
    state: &State,
    query: &[lexical::Token],
    current: Option<FileId>,
    relations: &Relations,
) -> Vec<FileId> {
    let mut files: Vec<FileId> = Vec::new();
    let add = |file: FileId, files: &mut Vec<FileId>| {
        if Some(file) != current && !files.contains(&file) && files.len() < MAX_SIMILARITY_FILES {
            files.push(file);
        }
    };
    for &file in relations.imports.iter().take(6) {
        add(file, &mut files);
    }
    for &file in relations.recent.iter().take(8) {
        add(file, &mut files);
    }
    for &file in relations.importers.iter().take(2) {
        add(file, &mut files);
    }
    let mut shared: HashMap<FileId, f32> = HashMap::new();
    for &token in query {
        if let Some(postings) = state.postings(token)
            && postings.df <= RARE_DF.min(POSTINGS_CAP)
            && postings.df > 0
        {
            let idf = (1.0 + state.file_count() as f32 / postings.df as f32).ln();
            for &file in &postings.files {
                *shared.entry(file).or_default() += idf;
            }
        }
    }
    let mut shared: Vec<(FileId, f32)> =
        shared.into_iter().filter(|(f, _)| Some(*f) != current).collect();
    shared.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (file, _) in shared.into_iter().take(4) {
        add(file, &mut files);
    }
    files
}
