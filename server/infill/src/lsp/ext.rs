//! Infill's own protocol: the params and results of its custom methods, defined here at the edge
//! so that a refactor of a library type cannot change what goes over the wire.
//!
//! | method | direction | params → result |
//! |---|---|---|
//! | `infill/document` | request | [`DocumentParams`] → [`DocumentInfo`] |
//! | `infill/status` | request | anything → [`StatusResult`] |
//! | `infill/context` | request | [`ContextParams`] → [`ContextResponse`] |
//! | `infill/didAccept` | notification | [`AcceptParams`] |
//! | `infill/didFocus` | notification | [`FocusParams`] |
//! | `$/infill/trace` | server → client | [`TraceParams`], only when the client set `trace` |

use infill_context::{ContextResult, SnippetKind};
use infill_engine::Capabilities;
use infill_ide::completion::{CompletionStats, Suggestion, SuggestionSource};
use infill_syntax::PositionEncoding;
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{Position, TextDocumentIdentifier, Uri};

/// Params of `infill/document`.
#[derive(Debug, Deserialize)]
pub struct DocumentParams {
    /// The open document.
    pub uri: Uri,
}

/// Result of `infill/document`: the server's view of an open document.
#[derive(Debug, Serialize)]
pub struct DocumentInfo {
    /// The document.
    pub uri: Uri,
    /// Its whole text as the server holds it.
    pub text: String,
    /// The version of the last change applied.
    pub version: i32,
    /// The language it was opened as, when known.
    pub language: Option<String>,
    /// Whether it has a syntax tree (large files are kept as plain text).
    pub has_tree: bool,
}

/// Params of `infill/context`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextParams {
    /// The open document.
    pub text_document: TextDocumentIdentifier,
    /// The cursor, in the negotiated position encoding.
    pub position: Position,
}

/// Result of `infill/context`: the ranked snippets for a cursor and the prompt they make.
#[derive(Debug, Serialize)]
pub struct ContextResponse {
    /// The file's path.
    pub path: String,
    /// The cursor as a byte offset into the file.
    pub cursor: usize,
    /// In prompt order: stable context first, the most relevant snippet last.
    pub snippets: Vec<ContextSnippet>,
    /// Tokens the snippets use.
    pub tokens_used: usize,
    /// Tokens they may use.
    pub token_budget: usize,
    /// Candidates scored before the budget cut.
    pub candidates: usize,
    /// The completion prompt these snippets make, in the model family's layout.
    pub prompt: String,
}

/// One snippet of `infill/context`.
#[derive(Debug, Serialize)]
pub struct ContextSnippet {
    /// Absolute path of the file.
    pub path: String,
    /// Path relative to its workspace root, with `/` separators.
    pub relative_path: String,
    /// Zero-based first line.
    pub start_line: u32,
    /// Zero-based last line, inclusive.
    pub end_line: u32,
    /// The text, already through the privacy filter.
    pub text: String,
    /// The ranking score.
    pub score: f32,
    /// Which symbol, edge or similarity brought it.
    pub reason: String,
    /// `definition`, `skeleton` or `window`.
    pub kind: &'static str,
    /// Its size in tokens.
    pub tokens: usize,
}

impl ContextResponse {
    /// The wire form of a ranking and its prompt.
    pub fn new(result: &ContextResult, prompt: String) -> ContextResponse {
        ContextResponse {
            path: result.path.to_string_lossy().into_owned(),
            cursor: result.cursor,
            snippets: result
                .snippets
                .iter()
                .map(|snippet| ContextSnippet {
                    path: snippet.path.to_string_lossy().into_owned(),
                    relative_path: snippet.relative_path.clone(),
                    start_line: snippet.start_line,
                    end_line: snippet.end_line,
                    text: snippet.text.clone(),
                    score: snippet.score,
                    reason: snippet.reason.clone(),
                    kind: match snippet.kind {
                        SnippetKind::Definition => "definition",
                        SnippetKind::Skeleton => "skeleton",
                        SnippetKind::Window => "window",
                    },
                    tokens: snippet.tokens,
                })
                .collect(),
            tokens_used: result.tokens_used,
            token_budget: result.token_budget,
            candidates: result.candidates,
            prompt,
        }
    }
}

/// Result of `infill/status`.
#[derive(Debug, Serialize)]
pub struct StatusResult {
    /// The server's version.
    pub version: &'static str,
    /// `loading`, `ready` or `unavailable: <reason>`.
    pub engine: String,
    /// Generations holding the engine now; 0 when it is idle.
    pub engine_busy: usize,
    /// The loaded engine, once it is ready.
    pub capabilities: Option<EngineInfo>,
    /// Documents the client has open.
    pub open_documents: usize,
    /// `utf-8`, `utf-16` or `utf-32`, as negotiated.
    pub position_encoding: &'static str,
    /// Local statistics (they never leave the process).
    pub stats: StatusStats,
    /// A remote engine's token counting and the state of each of its servers; absent for the
    /// in-process engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<infill_engine::RemoteStatus>,
}

/// The engine in `infill/status`.
#[derive(Debug, Serialize)]
pub struct EngineInfo {
    /// A name for logs.
    pub name: String,
    /// Maximum context in tokens.
    pub context_length: usize,
    /// The prompt family, e.g. `qwen-coder` or `prefix-only`.
    pub family: &'static str,
    /// Whether it has a chat template.
    pub chat: bool,
    /// Whether it reuses the KV of a shared prompt prefix.
    pub prefix_cache: bool,
}

impl From<Capabilities> for EngineInfo {
    fn from(capabilities: Capabilities) -> EngineInfo {
        EngineInfo {
            name: capabilities.name,
            context_length: capabilities.context_length,
            family: capabilities.family.name(),
            chat: capabilities.chat,
            prefix_cache: capabilities.prefix_cache,
        }
    }
}

/// Completion statistics in `infill/status`.
#[derive(Debug, Serialize)]
pub struct StatusStats {
    /// Completion requests answered.
    pub requests: u64,
    /// Of those, with a suggestion.
    pub suggestions: u64,
    /// Suggestions the engine generated.
    pub engine_requests: u64,
    /// Of those, from the short prompt of a fast first answer while the full prompt was cold.
    pub short_prompt: u64,
    /// Suggestions reused while the user typed their start.
    pub typed_through: u64,
    /// Suggestions from the identical-request cache.
    pub cache_hits: u64,
    /// `infill/didAccept` with kind `full`.
    pub accepted: u64,
    /// `infill/didAccept` with kind `partial`.
    pub partially_accepted: u64,
    /// Accepted per suggestion.
    pub acceptance_rate: f64,
    /// Median latency of recent requests, milliseconds.
    pub median_latency_ms: Option<u64>,
}

impl From<&CompletionStats> for StatusStats {
    fn from(stats: &CompletionStats) -> StatusStats {
        StatusStats {
            requests: stats.requests,
            suggestions: stats.suggestions,
            engine_requests: stats.engine_requests,
            short_prompt: stats.short_prompt,
            typed_through: stats.typed_through,
            cache_hits: stats.cache_hits,
            accepted: stats.accepted,
            partially_accepted: stats.partially_accepted,
            acceptance_rate: stats.acceptance_rate(),
            median_latency_ms: stats.median_latency_ms(),
        }
    }
}

/// The wire name of a position encoding.
pub fn encoding_name(encoding: PositionEncoding) -> &'static str {
    match encoding {
        PositionEncoding::Utf8 => "utf-8",
        PositionEncoding::Utf16 => "utf-16",
        PositionEncoding::Utf32 => "utf-32",
    }
}

/// Params of `infill/didAccept`.
#[derive(Debug, Deserialize)]
pub struct AcceptParams {
    /// `full` (default) or `partial`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// Params of `infill/didFocus`: where the user's cursor is (sent by plugins when a file is
/// shown and when the cursor rests somewhere new).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusParams {
    /// The document.
    pub text_document: TextDocumentIdentifier,
    /// The cursor.
    pub position: Position,
}

/// `$/infill/trace`: what one completion request cost. Sent after every answered completion
/// request, only to clients that asked for traces (`trace` in `initialize`, or `$/setTrace`).
#[derive(Debug)]
pub enum Trace {}

impl Notification for Trace {
    type Params = TraceParams;
    const METHOD: &'static str = "$/infill/trace";
}

/// Params of `$/infill/trace`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TraceParams {
    /// The document.
    pub uri: Uri,
    /// The version the request was answered for.
    pub version: i32,
    /// Milliseconds from the request to its answer.
    pub ms: u64,
    /// `engine`, `typed_through` or `cache`; null when nothing was suggested.
    pub source: Option<String>,
    /// Tokens in the prompt (engine answers only).
    pub prompt_tokens: Option<usize>,
    /// Prompt tokens the engine computed, the rest came from its cache.
    pub computed_tokens: Option<usize>,
    /// Tokens generated.
    pub generated_tokens: Option<usize>,
}

impl TraceParams {
    /// The trace of one answered request.
    pub fn new(uri: Uri, version: i32, ms: u64, suggestion: Option<&Suggestion>) -> TraceParams {
        let stats = suggestion.and_then(|s| s.stats.as_ref());
        TraceParams {
            uri,
            version,
            ms,
            source: suggestion.map(|s| {
                match s.source {
                    SuggestionSource::Engine => "engine",
                    SuggestionSource::ShortPrompt => "short_prompt",
                    SuggestionSource::TypedThrough => "typed_through",
                    SuggestionSource::Cache => "cache",
                }
                .to_string()
            }),
            prompt_tokens: stats.map(|s| s.prompt_tokens),
            computed_tokens: stats.map(|s| s.computed_tokens),
            generated_tokens: stats.map(|s| s.generated_tokens),
        }
    }
}
