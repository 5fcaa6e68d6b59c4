//! What a ranking request asks for and what it gets back: [`ContextRequest`] with its
//! [`RankOptions`], and [`ContextResult`] with its [`Snippet`]s.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Counts tokens the way the model will; [`approx_tokens`] when no tokenizer is at hand.
pub type TokenCounter<'a> = &'a dyn Fn(&str) -> usize;

/// Bytes / 4, rounded up: a tokenizer-free estimate.
pub fn approx_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// Which signals the ranker uses (all by default; switches exist for ablations and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// Definitions of identifiers used near the cursor.
    pub symbols: bool,
    /// Import edges of the current file.
    pub graph: bool,
    /// Windows of related files similar to the lines before the cursor.
    pub similarity: bool,
    /// Recently opened or edited files.
    pub recency: bool,
    /// Names the next tokens are likely to use before they are typed (imported but unused,
    /// used after the cursor, the enclosing signature, similar sibling functions).
    pub anticipation: bool,
    /// Callers and callees of the enclosing function: the functions it calls and the names
    /// their definitions use, the functions that call it and the names around those calls.
    pub calls: bool,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            symbols: true,
            graph: true,
            similarity: true,
            recency: true,
            anticipation: true,
            calls: true,
        }
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
    /// Which signals to use.
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

/// Lines the user edited lately in some file (zero-based, inclusive), for the ranking signal
/// "recently edited symbols": the definitions they touch are likely to be used next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditedLines {
    /// The edited file.
    pub path: PathBuf,
    /// First edited line.
    pub first_line: u32,
    /// Last edited line, inclusive.
    pub last_line: u32,
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
    /// Knobs.
    pub options: RankOptions,
    /// The user's recent edits, newest last (empty when the caller tracks none).
    pub recent_edits: &'a [EditedLines],
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
            recent_edits: &[],
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
            .field("recent_edits", &self.recent_edits.len())
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
    /// The text (already through [`crate::privacy::redact`]).
    pub text: String,
    /// Its combined score.
    pub score: f32,
    /// Which symbol, edge or similarity brought it.
    pub reason: String,
    /// How it renders its source.
    pub kind: SnippetKind,
    /// Tokens by the request's counter.
    pub tokens: usize,
}

/// The ranked, budgeted context for one cursor; serializable for `infill context --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ContextResult {
    /// The current file, normalized.
    pub path: PathBuf,
    /// The cursor, on a character boundary.
    pub cursor: usize,
    /// In prompt order: stable context first, the most relevant snippet last.
    pub snippets: Vec<Snippet>,
    /// Tokens the snippets use together.
    pub tokens_used: usize,
    /// The request's budget.
    pub token_budget: usize,
    /// Candidates scored before the budget cut.
    pub candidates: usize,
}
