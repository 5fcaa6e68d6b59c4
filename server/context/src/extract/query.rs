//! Running queries: one reusable query cursor per thread, matches collected as `(capture name,
//! node)` pairs, and the definitions and imports queries compiled together so one traversal of
//! a tree serves both.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use infill_syntax::Language;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor};

thread_local! {
    static CURSOR: std::cell::RefCell<QueryCursor> = std::cell::RefCell::new(QueryCursor::new());
}

fn with_cursor<R>(max_depth: Option<u32>, f: impl FnOnce(&mut QueryCursor) -> R) -> R {
    CURSOR.with(|cursor| match cursor.try_borrow_mut() {
        Ok(mut cursor) => {
            cursor.set_max_start_depth(max_depth);
            f(&mut cursor)
        }
        Err(_) => {
            let mut cursor = QueryCursor::new();
            cursor.set_max_start_depth(max_depth);
            f(&mut cursor)
        }
    })
}

/// One query match: its pattern and `(capture name, node)` pairs.
pub(super) type Match<'q, 't> = (usize, Vec<(&'q str, Node<'t>)>);

/// Runs `query` once over `root`, collecting every match that starts at most `depth` levels
/// down and, when `range` is given, intersects that byte range.
pub(super) fn collect<'q, 't>(
    query: &'q Query,
    root: Node<'t>,
    text: &str,
    depth: u32,
    range: Option<Range<usize>>,
) -> Vec<Match<'q, 't>> {
    let names = query.capture_names();
    let mut out = Vec::new();
    with_cursor(Some(depth), |cursor| {
        if let Some(range) = &range {
            cursor.set_byte_range(range.clone());
        }
        let mut matches = cursor.matches(query, root, text.as_bytes());
        while let Some(found) = matches.next() {
            let captures =
                found.captures.iter().map(|c| (names[c.index as usize], c.node)).collect();
            out.push((found.pattern_index, captures));
        }
        if range.is_some() {
            cursor.set_byte_range(0..usize::MAX);
        }
    });
    out
}

/// The definitions and imports queries of a language compiled together, so one traversal
/// serves both (definitions first, so their pattern order still decides ties).
pub(super) fn combined_query(language: &Language) -> Option<Arc<Query>> {
    static COMBINED: OnceLock<Mutex<HashMap<String, Option<Arc<Query>>>>> = OnceLock::new();
    let cache = COMBINED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().ok()?;
    cache
        .entry(language.name.clone())
        .or_insert_with(|| {
            let ts_language = language.ts_language()?;
            let definitions = language.query_source("definitions").unwrap_or_default();
            let imports = language.query_source("imports").unwrap_or_default();
            Query::new(&ts_language, &format!("{definitions}\n{imports}")).ok().map(Arc::new)
        })
        .clone()
}
