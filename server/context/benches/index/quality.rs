//! The quality section: retrieval on the dataset built by `scripts/context-eval-data.sh`,
//! against a Copilot-style Jaccard baseline (see the bench's module docs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use infill_context::lexical::{self, jaccard, token_set};
use infill_context::{ContextRequest, IndexOptions, WorkspaceIndex, approx_tokens};

/// Budgets of the quality section: the default users get (`DEFAULT_TOKEN_BUDGET` in
/// server/ide/src/workspace.rs), then 2,048.
const QUALITY_BUDGETS: [usize; 2] = [1_024, 2_048];

#[derive(serde::Deserialize)]
struct Row {
    /// `after` (cursor right after the symbol) or `before` (right before it).
    #[serde(default = "after")]
    kind: String,
    lang: String,
    root: String,
    file: String,
    line: usize,
    col: usize,
    symbol: String,
    def_file: String,
    def_line: usize,
}

fn after() -> String {
    "after".into()
}

/// The 20 files nearest to `file` in the directory tree (a stand-in for open editor tabs).
fn recent_files(all: &[PathBuf], file: &Path, count: usize) -> Vec<PathBuf> {
    let depth =
        |p: &Path| p.components().zip(file.components()).take_while(|(a, b)| a == b).count();
    let mut ranked: Vec<&PathBuf> = all.iter().filter(|p| p.as_path() != file).collect();
    ranked.sort_by(|a, b| depth(b).cmp(&depth(a)).then(a.cmp(b)));
    ranked.into_iter().take(count).cloned().collect()
}

/// Copilot-style baseline: Jaccard windows over the recent files, greedily under each budget.
/// Returns, per budget, (defining snippet included, defining file included).
fn baseline_hits(
    recent: &[PathBuf],
    text: &str,
    cursor: usize,
    def: &Path,
    def_line: usize,
) -> [(bool, bool); 2] {
    let starts = lexical::line_starts(text);
    let line = lexical::line_of(&starts, cursor);
    let range = lexical::line_range(text, &starts, line.saturating_sub(24), line);
    let query = token_set(&text[range.start..cursor.max(range.start)]);
    let mut windows = Vec::new();
    for path in recent {
        let Ok(other) = std::fs::read_to_string(path) else { continue };
        let other_starts = lexical::line_starts(&other);
        for window in lexical::windows(&other, 24, 12) {
            let score = jaccard(&query, &window.tokens);
            if score > 0.0 {
                let range =
                    lexical::line_range(&other, &other_starts, window.start_line, window.end_line);
                windows.push((
                    score,
                    path.clone(),
                    window.start_line,
                    window.end_line,
                    approx_tokens(&other[range]),
                ));
            }
        }
    }
    windows.sort_by(|a, b| b.0.total_cmp(&a.0));
    QUALITY_BUDGETS.map(|budget| {
        let mut remaining = budget;
        let mut chosen: Vec<(&PathBuf, usize, usize)> = Vec::new();
        for (_, path, first, last, tokens) in &windows {
            if *tokens > remaining
                || chosen.iter().any(|(p, a, b)| *p == path && *a <= *last && *first <= *b)
            {
                continue;
            }
            remaining -= tokens;
            chosen.push((path, *first, *last));
        }
        let snippet = chosen
            .iter()
            .any(|(p, first, last)| *p == def && *first <= def_line && def_line <= *last);
        (snippet, chosen.iter().any(|(p, _, _)| *p == def))
    })
}

/// Cursors, then per budget [ours, baseline, ours: defining file, baseline: defining file].
type KindStats = (usize, [[usize; 4]; 2]);

pub(crate) fn bench_quality() {
    let data = std::env::var("INFILL_EVAL_DATA")
        .unwrap_or_else(|_| "/tmp/infill-context-eval/dataset.jsonl".into());
    let Ok(text) = std::fs::read_to_string(&data) else {
        println!(
            "## Retrieval quality\n\n(no dataset at {data}; run scripts/context-eval-data.sh)\n"
        );
        return;
    };
    // INFILL_EVAL_KINDS=before (or after) measures one kind only.
    let kinds = std::env::var("INFILL_EVAL_KINDS").unwrap_or_else(|_| "after,before".into());
    // INFILL_EVAL_SPAN_ONLY=1 counts a snippet that spans the defining line without showing the
    // name (the measure before the name check).
    let strict_off = std::env::var("INFILL_EVAL_SPAN_ONLY").is_ok();
    let rows: Vec<Row> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Row>(l).ok())
        .filter(|row| kinds.split(',').any(|k| k.trim() == row.kind))
        .collect();
    let mut by_root: HashMap<String, Vec<&Row>> = HashMap::new();
    for row in &rows {
        by_root.entry(row.root.clone()).or_default().push(row);
    }
    // (kind, lang) -> cursors, then per budget [ours, baseline, ours: file, baseline: file]
    let mut stats: HashMap<(String, String), KindStats> = HashMap::new();
    let mut roots: Vec<_> = by_root.into_iter().collect();
    roots.sort_by(|a, b| a.0.cmp(&b.0));
    let mut misses = Vec::new();
    for (root, rows) in roots {
        let index = WorkspaceIndex::default();
        index.index_root(Path::new(&root), &IndexOptions::default(), &|_, _| {});
        let all = index.paths();
        let root = std::fs::canonicalize(&root).unwrap();
        for row in rows {
            let path = root.join(&row.file);
            let def = root.join(&row.def_file);
            let Ok(original) = std::fs::read_to_string(&path) else { continue };
            let starts = lexical::line_starts(&original);
            let Some(&line_start) = starts.get(row.line) else { continue };
            let cursor = line_start + row.col;
            let line_end = original[cursor..].find('\n').map_or(original.len(), |at| cursor + at);
            let masked = format!("{}{}", &original[..cursor], &original[line_end..]);
            let recent = recent_files(&all, &path, 20);
            for file in recent.iter().rev() {
                index.note_opened(file);
            }
            index.update_file(&path, &masked);
            index.note_opened(&path);
            let base = baseline_hits(&recent, &masked, cursor, &def, row.def_line);
            let entry = stats.entry((row.kind.clone(), row.lang.clone())).or_default();
            entry.0 += 1;
            for (at, budget) in QUALITY_BUDGETS.into_iter().enumerate() {
                let result = index.rank(&ContextRequest::new(&path, &masked, cursor, budget));
                // The snippet spans the defining line and shows the name (a container's
                // skeleton cut to its first members spans lines it does not show).
                let ours = result.snippets.iter().any(|s| {
                    s.path == def
                        && s.start_line as usize <= row.def_line
                        && row.def_line <= s.end_line as usize
                        && (strict_off || s.text.contains(row.symbol.as_str()))
                });
                let ours_file = result.snippets.iter().any(|s| s.path == def);
                let counts = &mut entry.1[at];
                counts[0] += usize::from(ours);
                counts[1] += usize::from(base[at].0);
                counts[2] += usize::from(ours_file);
                counts[3] += usize::from(base[at].1);
                if !ours && at == 0 {
                    let mut miss = format!(
                        "{} {}:{} `{}` -> {}:{}",
                        row.kind,
                        row.file,
                        row.line + 1,
                        row.symbol,
                        row.def_file,
                        row.def_line + 1
                    );
                    if std::env::var("INFILL_BENCH_VERBOSE").is_ok_and(|v| v == "3") {
                        for s in result.snippets.iter().filter(|s| s.path == def) {
                            miss.push_str(&format!(
                                "\n  [{}..{}]\n{}",
                                s.start_line + 1,
                                s.end_line + 1,
                                s.text
                            ));
                        }
                    }
                    if std::env::var("INFILL_BENCH_VERBOSE").is_ok_and(|v| v == "2") {
                        for s in &result.snippets {
                            miss.push_str(&format!(
                                "\n    {:?} {} tokens {:.2} {}:{} {}",
                                s.kind,
                                s.tokens,
                                s.score,
                                s.relative_path,
                                s.start_line + 1,
                                s.reason
                            ));
                        }
                    }
                    misses.push(miss);
                }
            }
            index.update_file(&path, &original);
        }
    }
    let mut keys: Vec<_> = stats.keys().cloned().collect();
    keys.sort();
    for kind in ["after", "before"] {
        if !keys.iter().any(|(k, _)| k == kind) {
            continue;
        }
        let [default, large] = QUALITY_BUDGETS;
        println!(
            "## Retrieval quality, cursor {kind} the name (defining snippet inside the context)\n"
        );
        println!(
            "| language | cursors | Infill @{default} | baseline @{default} | difference | Infill @{large} | baseline @{large} | difference | defining file in context @{default} (ours / baseline) |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        let mut total: KindStats = (0, [[0; 4]; 2]);
        let print = |name: &str, (n, counts): &KindStats| {
            let pct = |x: usize| 100.0 * x as f64 / (*n).max(1) as f64;
            let [d, l] = counts;
            println!(
                "| {name} | {n} | {:.1}% | {:.1}% | {:+.1} pts | {:.1}% | {:.1}% | {:+.1} pts | {:.1}% / {:.1}% |",
                pct(d[0]),
                pct(d[1]),
                pct(d[0]) - pct(d[1]),
                pct(l[0]),
                pct(l[1]),
                pct(l[0]) - pct(l[1]),
                pct(d[2]),
                pct(d[3]),
            );
        };
        for key in keys.iter().filter(|(k, _)| k == kind) {
            let value = &stats[key];
            total.0 += value.0;
            for (sum, counts) in total.1.iter_mut().zip(&value.1) {
                for (s, c) in sum.iter_mut().zip(counts) {
                    *s += c;
                }
            }
            print(&key.1, value);
        }
        print("**all**", &total);
        println!();
    }
    if std::env::var("INFILL_BENCH_VERBOSE").is_ok() {
        for miss in misses {
            println!("miss: {miss}");
        }
    }
}
