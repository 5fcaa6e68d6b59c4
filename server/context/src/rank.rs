//! Ranking: from a cursor to a token-budgeted list of snippets from other files.
//!
//! Candidates come from four signals, combined into one score per snippet:
//!
//! * **symbols** — identifiers around the cursor that name definitions elsewhere (found through
//!   the inverted index `name → files`), weighted by closeness to the cursor and by how specific
//!   the name is (a name defined in one file beats one defined in fifty);
//! * **graph** — the current file's import edges: definitions in files it imports (and in files
//!   those import, and in files that import it) get a boost, names it imports explicitly most;
//! * **similarity** — line windows of related files whose identifiers overlap the lines before
//!   the cursor (Jaccard), including files found through rare shared identifiers;
//! * **recency** — files the user opened or edited lately.
//!
//! Selection is greedy by score under the token budget, with whole definitions replaced by
//! skeletons when they do not fit and overlapping snippets dropped. The output order keeps the
//! prompt prefix stable: snippets brought by the file's imports (which change only when the
//! import list changes) come first in path order, then the cursor-dependent ones by increasing
//! score, so the most relevant one sits last, nearest the cursor window the caller appends.

use infill_syntax::Language;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::extract::{self, DefKind};
use crate::index::{FileEntry, FileId, POSTINGS_CAP, State, WorkspaceIndex, base_name};
use crate::lexical::{self, Window};
use crate::privacy;
use crate::resolve::{Resolution, normalize};

/// Counts tokens the way the model will; [`approx_tokens`] when no tokenizer is at hand.
pub type TokenCounter<'a> = &'a dyn Fn(&str) -> usize;

/// Bytes / 4, rounded up: a tokenizer-free estimate.
pub fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// Which signals the ranker uses (all by default; switches exist for ablations and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    pub symbols: bool,
    pub graph: bool,
    pub similarity: bool,
    pub recency: bool,
}

impl Default for Signals {
    fn default() -> Self {
        Signals { symbols: true, graph: true, similarity: true, recency: true }
    }
}

/// Knobs of one ranking request.
#[derive(Debug, Clone)]
pub struct RankOptions {
    /// At most this many snippets.
    pub max_snippets: usize,
    /// How many recently opened/edited files count as "recent".
    pub recent_files: usize,
    /// Lines per similarity window (windows overlap by half).
    pub window_lines: usize,
    /// One snippet may take at most this share of the budget as a whole definition; larger
    /// definitions are rendered as skeletons.
    pub max_snippet_share: f32,
    pub signals: Signals,
}

impl Default for RankOptions {
    fn default() -> Self {
        RankOptions {
            max_snippets: 32,
            recent_files: 20,
            window_lines: 24,
            max_snippet_share: 0.5,
            signals: Signals::default(),
        }
    }
}

/// A request for context around a cursor.
pub struct ContextRequest<'a> {
    /// The current file (absolute, or relative to the process's directory).
    pub path: &'a Path,
    /// The live buffer, which may differ from what the index last saw.
    pub text: &'a str,
    /// Byte offset of the cursor in `text`.
    pub cursor: usize,
    /// Tokens the snippets may use together.
    pub token_budget: usize,
    /// Token counter for budget decisions.
    pub count_tokens: TokenCounter<'a>,
    pub options: RankOptions,
}

impl<'a> ContextRequest<'a> {
    /// A request with default options and the bytes/4 token estimate.
    pub fn new(
        path: &'a Path,
        text: &'a str,
        cursor: usize,
        token_budget: usize,
    ) -> ContextRequest<'a> {
        ContextRequest {
            path,
            text,
            cursor,
            token_budget,
            count_tokens: &approx_tokens,
            options: RankOptions::default(),
        }
    }
}

impl std::fmt::Debug for ContextRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextRequest")
            .field("path", &self.path)
            .field("cursor", &self.cursor)
            .field("token_budget", &self.token_budget)
            .field("options", &self.options)
            .finish()
    }
}

/// How a snippet renders its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SnippetKind {
    /// A whole definition with its doc comment.
    Definition,
    /// A definition's signature and doc comment, bodies elided (members listed for containers).
    Skeleton,
    /// A window of lines similar to the cursor's surroundings.
    Window,
}

/// One piece of context.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Path relative to its workspace root, with `/` separators (for prompt file headers).
    pub relative_path: String,
    /// Zero-based first line.
    pub start_line: u32,
    /// Zero-based last line, inclusive.
    pub end_line: u32,
    /// The text (already through [`privacy::redact`]).
    pub text: String,
    pub score: f32,
    /// Which symbol, edge or similarity brought it.
    pub reason: String,
    pub kind: SnippetKind,
    /// Tokens by the request's counter.
    pub tokens: usize,
}

/// The ranked, budgeted context for one cursor; serializable for `infill context --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ContextResult {
    pub path: PathBuf,
    pub cursor: usize,
    /// In prompt order: stable context first, the most relevant snippet last.
    pub snippets: Vec<Snippet>,
    pub tokens_used: usize,
    pub token_budget: usize,
    /// Candidates scored before the budget cut.
    pub candidates: usize,
}

/// `(file version, window size, windows)`.
type CachedWindows = (u64, usize, Arc<Vec<Window>>);

/// Window token sets per file version, so keystroke after keystroke reuses them.
#[derive(Default)]
pub(crate) struct WindowCache {
    entries: Mutex<HashMap<FileId, CachedWindows>>,
}

const WINDOW_CACHE_FILES: usize = 512;

impl WindowCache {
    fn get(&self, id: FileId, entry: &FileEntry, lines: usize) -> Arc<Vec<Window>> {
        if let Ok(cache) = self.entries.lock()
            && let Some((version, size, windows)) = cache.get(&id)
            && *version == entry.version
            && *size == lines
        {
            return windows.clone();
        }
        let windows = Arc::new(lexical::windows(&entry.text, lines, (lines / 2).max(1)));
        if let Ok(mut cache) = self.entries.lock() {
            if cache.len() >= WINDOW_CACHE_FILES {
                cache.clear();
            }
            cache.insert(id, (entry.version, lines, windows.clone()));
        }
        windows
    }
}

/// One way an identifier near the cursor is used.
#[derive(Debug, Default)]
struct NameUse<'t> {
    weight: f32,
    qualifiers: Vec<&'t str>,
}

#[derive(Debug)]
enum Source {
    Def { def: u32 },
    Window { start_line: usize, end_line: usize },
}

#[derive(Debug)]
struct Candidate {
    file: FileId,
    source: Source,
    score: f32,
    reason: String,
    /// Depends on the file's imports rather than on the cursor.
    stable: bool,
}

/// How `file` relates to the current one in the graph and in recency, as a multiplier ≥ 1 and a
/// short description.
struct Relations {
    imports: Vec<FileId>,
    imports2: Vec<FileId>,
    importers: Vec<FileId>,
    /// name → files that an import statement names it from.
    imported_names: HashMap<String, Vec<FileId>>,
    recent: Vec<FileId>,
    current_dir: Option<PathBuf>,
    /// Every related file with its boost, built once per request.
    boosts: HashMap<FileId, (f32, &'static str)>,
}

impl Relations {
    /// Fills `boosts`; stronger relations win.
    fn finish(&mut self) {
        let groups: [(&[FileId], f32, &'static str); 4] = [
            (&self.recent, 1.3, "recent file"),
            (&self.imports2, 1.5, "imported by an imported file"),
            (&self.importers, 1.6, "imports this file"),
            (&self.imports, 2.5, "imported file"),
        ];
        for (files, boost, why) in groups {
            for &file in files {
                self.boosts.insert(file, (boost, why));
            }
        }
    }

    fn boost(&self, state: &State, file: FileId) -> (f32, &'static str) {
        if let Some(&found) = self.boosts.get(&file) {
            found
        } else if self.current_dir.is_some()
            && state.file(file).and_then(|e| e.path.parent()) == self.current_dir.as_deref()
        {
            (1.2, "same directory")
        } else {
            (1.0, "by name")
        }
    }
}

/// Whether code of `other` can define what code of `current` uses: the same import style
/// (C and C++, or JavaScript and TypeScript, share one), or the same language.
fn same_family(current: Option<&Language>, other: Option<&Language>) -> bool {
    fn style(language: &Language) -> &str {
        language
            .imports
            .as_ref()
            .and_then(|imports| imports.get("style"))
            .and_then(|style| style.as_str())
            .unwrap_or(&language.name)
    }
    match (current, other) {
        (Some(current), Some(other)) => style(current) == style(other),
        _ => true,
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn relative_path(state: &State, path: &Path) -> String {
    let root = state
        .roots
        .iter()
        .filter(|root| path.starts_with(root))
        .max_by_key(|root| root.as_os_str().len());
    let relative = root.and_then(|root| path.strip_prefix(root).ok()).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

/// The identifier directly before `offset` if the text there is `ident.` / `ident::` / `ident->`.
fn qualifier_before(text: &str, offset: usize) -> Option<&str> {
    let before = &text[..offset];
    let stripped = before
        .strip_suffix("::")
        .or_else(|| before.strip_suffix("->"))
        .or_else(|| before.strip_suffix('.'))
        .or_else(|| before.strip_suffix(':'))?;
    let start = stripped
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
        .last()
        .map(|(at, _)| at)?;
    Some(&stripped[start..])
}

fn kind_factor(kind: DefKind) -> f32 {
    match kind {
        DefKind::Function | DefKind::Method | DefKind::Class | DefKind::Type | DefKind::Macro => {
            1.0
        }
        DefKind::Impl => 0.8,
        DefKind::Constant => 0.8,
        DefKind::Other => 0.6,
        DefKind::Module => 0.4,
    }
}

const W_DEF: f32 = 4.0;
const W_SIM: f32 = 3.0;
const W_EXTENDS: f32 = 2.0;
const MAX_NAMES: usize = 64;
const MAX_FILES_PER_NAME: usize = 48;
const MIN_JACCARD: f32 = 0.1;
const MAX_SIMILARITY_FILES: usize = 14;
/// Files larger than this are not split into similarity windows (generated code, mostly).
const MAX_WINDOW_FILE_BYTES: usize = 100_000;
/// Tokens in at most this many files count as rare, for finding similar files.
const RARE_DF: u32 = 32;

impl WorkspaceIndex {
    /// Ranks context for a cursor; see the module docs of [`crate::rank`].
    pub fn rank(&self, request: &ContextRequest<'_>) -> ContextResult {
        let options = &request.options;
        let signals = options.signals;
        let absolute = if request.path.is_absolute() {
            request.path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(request.path))
                .unwrap_or_else(|_| request.path.to_path_buf())
        };
        let path = normalize(&absolute);
        let state = self.read();
        let current = state.by_path.get(&path).copied();
        let current_entry = current.and_then(|id| state.file(id));
        let text = request.text;
        let cursor = floor_char_boundary(text, request.cursor);

        // The region around the cursor: ~120 lines before, ~30 after.
        let region_start = floor_char_boundary(text, cursor.saturating_sub(6000));
        let region_start = if region_start == 0 {
            0
        } else {
            text[..region_start].rfind('\n').map_or(0, |nl| nl + 1)
        };
        let region_end = floor_char_boundary(text, cursor.saturating_add(1500));
        let region = &text[region_start..region_end];
        let local_cursor = cursor - region_start;
        let region_lines = lexical::line_starts(region);
        let cursor_line = lexical::line_of(&region_lines, local_cursor);

        // Identifiers near the cursor.
        let mut names: HashMap<&str, NameUse<'_>> = HashMap::new();
        for (offset, token) in lexical::identifiers(region) {
            if token.len() < 2 {
                continue;
            }
            let line = lexical::line_of(&region_lines, offset);
            let weight = if line <= cursor_line {
                1.0 / (1.0 + (cursor_line - line) as f32 / 8.0)
            } else {
                0.5 / (1.0 + (line - cursor_line) as f32 / 4.0)
            };
            let entry = names.entry(token).or_default();
            entry.weight = entry.weight.max(weight);
            if let Some(qualifier) = qualifier_before(region, offset)
                && !entry.qualifiers.contains(&qualifier)
            {
                entry.qualifiers.push(qualifier);
            }
        }

        // The graph around the current file.
        let mut relations = Relations {
            imports: Vec::new(),
            imports2: Vec::new(),
            importers: Vec::new(),
            imported_names: HashMap::new(),
            recent: Vec::new(),
            current_dir: path.parent().map(Path::to_path_buf),
            boosts: HashMap::new(),
        };
        if signals.graph
            && let (Some(id), Some(entry)) = (current, current_entry)
        {
            relations.imports = entry.imports.clone();
            relations.importers = state.importers.get(&id).cloned().unwrap_or_default();
            relations.importers.truncate(64);
            for &imported in relations.imports.iter().take(32) {
                if let Some(next) = state.file(imported) {
                    for &two in next.imports.iter().take(32) {
                        if two != id
                            && !relations.imports.contains(&two)
                            && !relations.imports2.contains(&two)
                        {
                            relations.imports2.push(two);
                        }
                    }
                }
            }
            for (import, resolution) in entry.symbols.imports.iter().zip(&entry.resolved) {
                if let Resolution::Files(files) = resolution {
                    for name in &import.names {
                        relations
                            .imported_names
                            .entry(base_name(name).to_owned())
                            .or_default()
                            .extend(files);
                    }
                }
            }
        }
        if signals.recency {
            relations.recent = state
                .recent
                .iter()
                .copied()
                .filter(|&id| Some(id) != current)
                .take(options.recent_files)
                .collect();
        }
        relations.finish();

        let mut candidates: Vec<Candidate> = Vec::new();

        // Symbols: definitions of names used near the cursor.
        if signals.symbols {
            let mut ranked: Vec<(&str, &NameUse<'_>)> =
                names.iter().map(|(n, u)| (*n, u)).collect();
            ranked.sort_by(|a, b| b.1.weight.total_cmp(&a.1.weight).then(a.0.cmp(b.0)));
            let current_language = current_entry.and_then(|e| e.language.as_deref());
            let local_names: Vec<&str> = current_entry
                .map(|e| e.symbols.definitions.iter().map(|d| &*d.name).collect())
                .unwrap_or_default();
            for (name, usage) in ranked.into_iter().take(MAX_NAMES) {
                let Some(files) = state.defs_by_name.get(name) else { continue };
                let imported_from = relations.imported_names.get(name);
                let specificity = 1.0 / (1.0 + (files.len() as f32).ln());
                let local = if local_names.contains(&name) { 0.35 } else { 1.0 };
                let considered: Vec<FileId> = if files.len() > MAX_FILES_PER_NAME {
                    // A common name: only the related files that define it (checked through
                    // their own name index, not by scanning the long list).
                    let mut related: Vec<FileId> = relations.boosts.keys().copied().collect();
                    related.extend(imported_from.into_iter().flatten().copied());
                    related.sort_unstable();
                    related.dedup();
                    related
                        .into_iter()
                        .filter(|&file| {
                            state
                                .file(file)
                                .is_some_and(|e| e.symbols.definitions_named(name).next().is_some())
                        })
                        .collect()
                } else {
                    files.clone()
                };
                for file in considered {
                    if Some(file) == current {
                        continue;
                    }
                    let Some(entry) = state.file(file) else { continue };
                    let explicitly = imported_from.is_some_and(|f| f.contains(&file));
                    if !explicitly && !same_family(current_language, entry.language.as_deref()) {
                        // A name shared with another language's code is a coincidence.
                        continue;
                    }
                    let (graph, relation) = if explicitly {
                        (4.0, "named in an import")
                    } else if signals.graph || signals.recency {
                        relations.boost(&state, file)
                    } else {
                        (1.0, "by name")
                    };
                    let stem = entry.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                    for at in entry.symbols.definitions_named(name) {
                        let def = &entry.symbols.definitions[at];
                        let container =
                            def.parent.and_then(|p| entry.symbols.definitions.get(p as usize));
                        let qualified = usage.qualifiers.iter().any(|q| {
                            container.is_some_and(|c| &*c.name == *q)
                                || stem.eq_ignore_ascii_case(q)
                        });
                        let score = W_DEF
                            * usage.weight
                            * specificity
                            * kind_factor(def.kind)
                            * graph
                            * local
                            * if qualified { 1.5 } else { 1.0 };
                        let container =
                            container.map(|c| format!(" in `{}`", c.name)).unwrap_or_default();
                        candidates.push(Candidate {
                            file,
                            source: Source::Def { def: at as u32 },
                            score,
                            reason: format!("definition of `{name}`{container} ({relation})"),
                            stable: explicitly,
                        });
                    }
                }
            }
            // Bases of the current file's classes.
            if let Some(entry) = current_entry {
                for def in &entry.symbols.definitions {
                    for base in &def.extends {
                        let base = base_name(base);
                        let Some(files) = state.defs_by_name.get(base) else { continue };
                        if files.len() > MAX_FILES_PER_NAME {
                            continue;
                        }
                        for &file in files {
                            if Some(file) == current {
                                continue;
                            }
                            let Some(other) = state.file(file) else { continue };
                            let (graph, _) = relations.boost(&state, file);
                            for (at, candidate) in other.symbols.definitions.iter().enumerate() {
                                if &*candidate.name == base && candidate.kind != DefKind::Impl {
                                    candidates.push(Candidate {
                                        file,
                                        source: Source::Def { def: at as u32 },
                                        score: W_EXTENDS * graph / (files.len() as f32),
                                        reason: format!("`{}` extends `{base}`", def.name),
                                        stable: true,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }

        // Similarity: windows of related files that share identifiers with the lines before
        // the cursor.
        if signals.similarity {
            let before_start = cursor_line.saturating_sub(options.window_lines);
            let range = lexical::line_range(region, &region_lines, before_start, cursor_line);
            let query = lexical::token_set(&region[range.start..local_cursor.max(range.start)]);
            let mut files: Vec<FileId> = Vec::new();
            let add = |file: FileId, files: &mut Vec<FileId>| {
                if Some(file) != current
                    && !files.contains(&file)
                    && files.len() < MAX_SIMILARITY_FILES
                {
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
            // Files sharing rare identifiers with the query.
            let mut shared: HashMap<FileId, f32> = HashMap::new();
            for token in &query {
                if let Some(postings) = state.postings.get(token)
                    && postings.df <= RARE_DF.min(POSTINGS_CAP)
                    && postings.df > 0
                {
                    let idf = (1.0 + state.live_files as f32 / postings.df as f32).ln();
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
            for file in files {
                let Some(entry) = state.file(file) else { continue };
                if entry.text.len() > MAX_WINDOW_FILE_BYTES {
                    continue;
                }
                let windows = self.windows.get(file, entry, options.window_lines.max(4));
                let best = windows
                    .iter()
                    .map(|window| (lexical::jaccard(&query, &window.tokens), window))
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.start_line.cmp(&a.1.start_line)));
                let Some((similarity, window)) = best else { continue };
                if similarity < MIN_JACCARD {
                    continue;
                }
                let (graph, relation) = relations.boost(&state, file);
                candidates.push(Candidate {
                    file,
                    source: Source::Window { start_line: window.start_line, end_line: window.end_line },
                    score: W_SIM * similarity * graph,
                    reason: format!("similar to the lines before the cursor (jaccard {similarity:.2}; {relation})"),
                    stable: false,
                });
            }
        }

        let considered = candidates.len();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.file.cmp(&b.file)));
        let snippets = select(&state, &candidates, request);
        let tokens_used = snippets.iter().map(|s| s.tokens).sum();
        ContextResult {
            path,
            cursor,
            snippets,
            tokens_used,
            token_budget: request.token_budget,
            candidates: considered,
        }
    }
}

/// The leading lines of `text` that fit in `cap` tokens, with a `...` line marking the cut;
/// `None` when not even the first line fits.
fn truncate_lines(text: &str, cap: usize, count: TokenCounter<'_>) -> Option<(String, usize)> {
    let marker = "    ...\n";
    let budget = cap.checked_sub(count(marker))?;
    let mut out = String::new();
    let mut used = 0;
    for line in text.split_inclusive('\n') {
        let cost = count(line);
        if used + cost > budget {
            break;
        }
        used += cost;
        out.push_str(line);
    }
    if out.is_empty() {
        return None;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(marker);
    let tokens = count(&out);
    (tokens <= cap).then_some((out, tokens))
}

/// Greedy selection under the budget, then prompt ordering.
fn select(state: &State, candidates: &[Candidate], request: &ContextRequest<'_>) -> Vec<Snippet> {
    let options = &request.options;
    let budget = request.token_budget;
    let per_snippet = ((budget as f32) * options.max_snippet_share.clamp(0.05, 1.0)) as usize;
    let mut remaining = budget;
    let mut chosen: Vec<(Snippet, bool, FileId)> = Vec::new();
    for candidate in candidates {
        if chosen.len() >= options.max_snippets || remaining < 8 {
            break;
        }
        let Some(entry) = state.file(candidate.file) else { continue };
        if privacy::is_secret_path(&entry.path) {
            continue;
        }
        let text = &*entry.text;
        let overlaps = |first: u32, last: u32| {
            chosen.iter().any(|(s, _, f)| {
                *f == candidate.file && s.start_line <= last && first <= s.end_line
            })
        };
        let rendered = match candidate.source {
            Source::Def { def } => {
                let defs = &entry.symbols.definitions;
                let Some(definition) = defs.get(def as usize) else { continue };
                let (first, last) = (definition.start_line, definition.end_line);
                if overlaps(first, last) {
                    continue;
                }
                let (full, _) = extract::full_text(text, definition);
                let full = privacy::redact(full);
                let tokens = (request.count_tokens)(&full);
                if tokens <= per_snippet.min(remaining) {
                    Some((full.into_owned(), tokens, SnippetKind::Definition, first, last))
                } else {
                    let skeleton = extract::skeleton(text, defs, def as usize);
                    let skeleton = privacy::redact(&skeleton).into_owned();
                    let cap = per_snippet.min(remaining);
                    let tokens = (request.count_tokens)(&skeleton);
                    if tokens <= cap {
                        Some((skeleton, tokens, SnippetKind::Skeleton, first, last))
                    } else {
                        // A huge container: its header and as many members as fit.
                        truncate_lines(&skeleton, cap, request.count_tokens)
                            .map(|(cut, tokens)| (cut, tokens, SnippetKind::Skeleton, first, last))
                    }
                }
            }
            Source::Window { start_line, end_line } => {
                let (first, last) = (start_line as u32, end_line as u32);
                if overlaps(first, last) {
                    continue;
                }
                let starts = lexical::line_starts(text);
                let range = lexical::line_range(text, &starts, start_line, end_line);
                let window = privacy::redact(&text[range]).into_owned();
                let tokens = (request.count_tokens)(&window);
                (tokens <= remaining.min(per_snippet)).then_some((
                    window,
                    tokens,
                    SnippetKind::Window,
                    first,
                    last,
                ))
            }
        };
        let Some((text, tokens, kind, start_line, end_line)) = rendered else { continue };
        if text.trim().is_empty() {
            continue;
        }
        remaining -= tokens;
        let snippet = Snippet {
            path: entry.path.clone(),
            relative_path: relative_path(state, &entry.path),
            start_line,
            end_line,
            text,
            score: candidate.score,
            reason: candidate.reason.clone(),
            kind,
            tokens,
        };
        chosen.push((snippet, candidate.stable, candidate.file));
    }
    // Prompt order: stable snippets by path, then the rest by increasing score.
    chosen.sort_by(|a, b| match (a.1, b.1) {
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (true, true) => a.0.path.cmp(&b.0.path).then(a.0.start_line.cmp(&b.0.start_line)),
        (false, false) => {
            a.0.score
                .total_cmp(&b.0.score)
                .then(a.0.path.cmp(&b.0.path))
                .then(a.0.start_line.cmp(&b.0.start_line))
        }
    });
    chosen.into_iter().map(|(snippet, _, _)| snippet).collect()
}
