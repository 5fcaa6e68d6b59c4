//! The LSP handlers. Edits are applied synchronously, in arrival order, before any `.await`;
//! every AI request snapshots the document version and drops a result for an older one; a panic
//! inside a handler is caught and answered as an internal error.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt as _;
use infill_ide::completion::{Completer, CompletionInput, CompletionSettings};
use infill_syntax::{Document, DocumentLimits, PositionEncoding};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::EngineSource;
use super::convert::{self, change_from_lsp, position_from_lsp, position_to_lsp};
use super::state::State;
use crate::config::Config;

/// The language server.
pub struct Backend {
    client: Client,
    state: Arc<State>,
    engine_source: std::sync::Mutex<Option<EngineSource>>,
}

/// Runs a request handler; a panic becomes an internal error and the server keeps serving.
async fn guarded<T>(name: &'static str, future: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            tracing::error!(handler = name, %message, "handler panicked");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("internal error in {name}: {message}").into(),
                data: None,
            })
        }
    }
}

/// Runs a notification handler body; a panic is logged and swallowed.
fn guarded_notification(name: &'static str, body: impl FnOnce()) {
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(body)) {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(handler = name, %message, "notification handler panicked");
    }
}

fn invalid_params(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into().into(), data: None }
}

fn unavailable(message: String) -> Error {
    Error { code: ErrorCode::ServerError(-32001), message: message.into(), data: None }
}

fn cancelled() -> Error {
    Error {
        code: ErrorCode::RequestCancelled,
        message: "superseded by a newer request".into(),
        data: None,
    }
}

/// Params of `infill/document`.
#[derive(Debug, Deserialize)]
pub struct DocumentParams {
    pub uri: Uri,
}

/// Result of `infill/document`.
#[derive(Debug, Serialize)]
pub struct DocumentInfo {
    pub uri: Uri,
    pub text: String,
    pub version: i32,
    pub language: Option<String>,
    pub has_tree: bool,
}

/// Params of `infill/context`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextParams {
    pub text_document: TextDocumentIdentifier,
    pub position: Position,
}

/// Params of `infill/didAccept`.
#[derive(Debug, Deserialize)]
pub struct AcceptParams {
    /// `full` (default) or `partial`.
    #[serde(default)]
    pub kind: Option<String>,
}

fn completion_settings(config: &Config) -> CompletionSettings {
    CompletionSettings {
        max_tokens: config.completion.max_tokens,
        max_lines: config.completion.max_lines,
        time_budget: std::time::Duration::from_millis(config.completion.time_budget_ms),
        in_comments: config.completion.in_comments,
        in_strings: config.completion.in_strings,
        prefix_bytes: config.completion.prefix_bytes,
        suffix_bytes: config.completion.suffix_bytes,
        postprocess: true,
    }
}

impl Backend {
    pub fn new(client: Client, config: Config, engine: EngineSource) -> Backend {
        Backend {
            client,
            state: Arc::new(State::new(config)),
            engine_source: std::sync::Mutex::new(Some(engine)),
        }
    }

    /// Loads (or installs) the engine in the background.
    fn start_engine(&self) {
        let Some(source) = self.engine_source.lock().unwrap_or_else(|e| e.into_inner()).take()
        else {
            return;
        };
        let state = Arc::clone(&self.state);
        let settings = completion_settings(&state.config());
        match source {
            EngineSource::Given(engine) => {
                state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
            }
            EngineSource::Configured => {
                let client = self.client.clone();
                let model = state.config().model;
                tokio::spawn(async move {
                    match crate::engine::load(model).await {
                        Ok(engine) => {
                            tracing::info!(capabilities = ?engine.capabilities(), "model ready");
                            state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
                        }
                        Err(error) => {
                            tracing::error!(%error, "model unavailable");
                            client
                                .show_message(MessageType::WARNING, format!("Infill: {error}"))
                                .await;
                            state.engine.set_unavailable(error.to_string());
                        }
                    }
                });
            }
        }
    }

    /// `infill/document`: the server's view of an open document.
    pub async fn document(&self, params: DocumentParams) -> Result<DocumentInfo> {
        guarded("infill/document", async {
            let document =
                self.state.documents.get(&params.uri).ok_or_else(|| {
                    invalid_params(format!("{} is not open", params.uri.as_str()))
                })?;
            Ok(DocumentInfo {
                uri: params.uri.clone(),
                text: document.text(),
                version: document.version(),
                language: document.language().map(|l| l.name.clone()),
                has_tree: document.tree().is_some(),
            })
        })
        .await
    }

    /// `infill/status`: engine state and local statistics.
    pub async fn status(&self, _: Value) -> Result<Value> {
        guarded("infill/status", async {
            let (engine, capabilities) = self.state.engine.describe();
            let stats = self.state.stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
            Ok(serde_json::json!({
                "version": env!("CARGO_PKG_VERSION"),
                "engine": engine,
                "engine_busy": capabilities.as_ref().map(|e| e.busy()).unwrap_or(0),
                "capabilities": capabilities.map(|e| e.capabilities()),
                "open_documents": self.state.documents.len(),
                "position_encoding": format!("{:?}", self.state.encoding()),
                "stats": {
                    "requests": stats.requests,
                    "suggestions": stats.suggestions,
                    "engine_requests": stats.engine_requests,
                    "typed_through": stats.typed_through,
                    "cache_hits": stats.cache_hits,
                    "accepted": stats.accepted,
                    "partially_accepted": stats.partially_accepted,
                    "acceptance_rate": stats.acceptance_rate(),
                    "median_latency_ms": stats.median_latency_ms(),
                },
            }))
        })
        .await
    }

    /// `infill/context`: the ranked snippets for a cursor and the prompt they would make.
    pub async fn context(&self, params: ContextParams) -> Result<Value> {
        guarded("infill/context", async {
            let uri = &params.text_document.uri;
            let (input, _) = self.snapshot(uri, params.position)?;
            let file = convert::uri_to_path(uri)
                .ok_or_else(|| invalid_params("infill/context needs a file: URI"))?;
            let workspace = Arc::clone(&self.state.workspace);
            let (text, cursor) = (input.text.clone(), input.cursor);
            let result = tokio::task::spawn_blocking(move || {
                workspace.index().update_file(&file, &text);
                workspace.rank(&file, &text, cursor)
            })
            .await
            .map_err(|_| Error::internal_error())?;
            let family = match self.state.engine.completer() {
                Ok(completer) => completer.engine().capabilities().family,
                Err(_) => Default::default(),
            };
            let mut input = input;
            input.context = crate::workspace::to_context_files(&result);
            let prompt = infill_ide::completion::render_prompt(
                &family,
                &input,
                &completion_settings(&self.state.config()),
            );
            let mut value = serde_json::to_value(&result).map_err(|_| Error::internal_error())?;
            value["prompt"] = Value::String(prompt);
            Ok(value)
        })
        .await
    }

    /// Indexes the workspace roots in the background, reporting `$/progress`.
    fn start_indexing(&self) {
        let roots = self.state.workspace.roots();
        if roots.is_empty() || !self.state.config().context.enabled {
            return;
        }
        let client = self.client.clone();
        let workspace = Arc::clone(&self.state.workspace);
        tokio::spawn(async move {
            let token = NumberOrString::String("infill/indexing".into());
            let created = client
                .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                    token: token.clone(),
                })
                .await
                .is_ok();
            for root in roots {
                let (sender, mut receiver) = tokio::sync::watch::channel((0usize, 0usize));
                let indexing = {
                    let workspace = Arc::clone(&workspace);
                    let root = root.clone();
                    tokio::task::spawn_blocking(move || {
                        workspace.index_root(&root, &|done, total| {
                            let _ = sender.send((done, total));
                        })
                    })
                };
                if created {
                    let progress = client
                        .progress(token.clone(), "Infill: indexing")
                        .with_message(root.display().to_string())
                        .with_percentage(0)
                        .begin()
                        .await;
                    while receiver.changed().await.is_ok() {
                        let (done, total) = *receiver.borrow_and_update();
                        let percent = (done * 100).checked_div(total).unwrap_or(0) as u32;
                        progress
                            .report_with_message(format!("{done}/{total} files"), percent)
                            .await;
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    let report = indexing.await;
                    let message = match report {
                        Ok(report) => format!(
                            "{} files indexed, {} skipped",
                            report.indexed,
                            report.skipped.len()
                        ),
                        Err(_) => "indexing failed".into(),
                    };
                    progress.finish_with_message(message).await;
                } else {
                    let _ = indexing.await;
                }
            }
        });
    }

    /// Asks the client to report file changes, when it can register watchers dynamically.
    async fn watch_files(&self) {
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher {
                glob_pattern: GlobPattern::String("**/*".into()),
                kind: None,
            }],
        };
        let registration = Registration {
            id: "infill/watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::debug!(%error, "the client did not register file watchers");
        }
    }

    /// A message the client sent that was not well-formed (see `framing`).
    pub async fn malformed_message(&self, params: super::framing::Malformed) -> Result<Value> {
        let code =
            if params.kind == "parse" { ErrorCode::ParseError } else { ErrorCode::InvalidRequest };
        Err(Error { code, message: params.reason.into(), data: None })
    }

    /// `infill/didAccept`: the user accepted (part of) a suggestion. Local statistics only.
    pub async fn did_accept(&self, params: AcceptParams) {
        let mut stats = self.state.stats.lock().unwrap_or_else(|e| e.into_inner());
        match params.kind.as_deref() {
            Some("partial") => stats.partially_accepted += 1,
            _ => stats.accepted += 1,
        }
    }

    /// Snapshots the document at `position` for a completion.
    fn snapshot(&self, uri: &Uri, position: Position) -> Result<(CompletionInput, i32)> {
        let mut document = self
            .state
            .documents
            .get_mut(uri)
            .ok_or_else(|| invalid_params(format!("{} is not open", uri.as_str())))?;
        let encoding = self.state.encoding();
        let tree = document.parsed_tree().cloned();
        let cursor = document.byte_offset(position_from_lsp(position), encoding);
        let absolute = convert::uri_to_path(uri);
        let roots = self.state.workspace.roots();
        let root = absolute.as_ref().and_then(|p| roots.iter().find(|r| p.starts_with(r)));
        let path = match (&absolute, root) {
            (Some(p), Some(root)) => {
                p.strip_prefix(root).unwrap_or(p).to_string_lossy().into_owned()
            }
            (Some(p), None) => relative_path(p),
            (None, _) => uri.path().to_string(),
        };
        let repo_name = root
            .and_then(|r| r.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((
            CompletionInput {
                path,
                repo_name,
                text: document.text(),
                cursor,
                tree,
                language: document.language().cloned(),
                context: Vec::new(),
            },
            document.version(),
        ))
    }

    /// Runs a completion for `uri` at `position`, cancelling the document's previous one; the
    /// result is dropped when the document changed meanwhile. Returns the text and the cursor.
    async fn run_completion(
        &self,
        uri: &Uri,
        position: Position,
    ) -> Result<Option<(String, Position)>> {
        let completer = self.state.engine.completer().map_err(unavailable)?;
        let (input, version) = self.snapshot(uri, position)?;
        let cursor = input.cursor;
        let started = Instant::now();
        let workspace = Arc::clone(&self.state.workspace);
        let file = convert::uri_to_path(uri);
        let task = tokio::spawn(async move {
            let mut input = input;
            if let Some(file) = file {
                let (text, cursor) = (input.text.clone(), input.cursor);
                input.context = tokio::task::spawn_blocking(move || {
                    workspace.context_for_completion(&file, &text, cursor)
                })
                .await
                .unwrap_or_default();
            }
            completer.complete(input).await
        });
        if let Some(previous) = self.state.inflight.insert(uri.clone(), task.abort_handle()) {
            previous.abort();
        }
        // `$/cancelRequest` drops this future; the spawned task (and with it the generation)
        // must stop too, or the engine stays busy until the whole answer is written.
        let _cancel_with_request = AbortOnDrop(task.abort_handle());
        let outcome = task.await;
        let elapsed = started.elapsed();
        let suggestion = match outcome {
            Ok(Ok(suggestion)) => suggestion,
            Ok(Err(error)) => return Err(unavailable(error.to_string())),
            Err(join) if join.is_cancelled() => return Err(cancelled()),
            Err(join) => {
                tracing::error!(%join, "completion task failed");
                return Err(Error::internal_error());
            }
        };
        self.state
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(suggestion.as_ref(), elapsed);
        let Some(document) = self.state.documents.get(uri) else { return Ok(None) };
        if document.version() != version {
            tracing::debug!(version, now = document.version(), "dropping a stale completion");
            return Ok(None);
        }
        let position = position_to_lsp(document.position_of(cursor, self.state.encoding()));
        if let Some(stats) = suggestion.as_ref().and_then(|s| s.stats.as_ref()) {
            tracing::info!(
                ms = elapsed.as_millis() as u64,
                prompt = stats.prompt_tokens,
                computed = stats.computed_tokens,
                "completion"
            );
        }
        Ok(suggestion.map(|s| (s.text, position)))
    }

    /// `textDocument/inlineCompletion` (LSP 3.18).
    pub async fn inline_completion(
        &self,
        params: InlineCompletionParams,
    ) -> Result<Option<InlineCompletionResponse>> {
        guarded("textDocument/inlineCompletion", async {
            let uri = params.text_document_position.text_document.uri;
            let position = params.text_document_position.position;
            let Some((text, cursor)) = self.run_completion(&uri, position).await? else {
                return Ok(Some(InlineCompletionResponse::Array(Vec::new())));
            };
            let item = InlineCompletionItem {
                insert_text: text,
                filter_text: None,
                range: Some(Range { start: cursor, end: cursor }),
                command: None,
                insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
            };
            Ok(Some(InlineCompletionResponse::Array(vec![item])))
        })
        .await
    }
}

/// Aborts a spawned task when the request that waits for it is dropped (cancelled).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A path relative to the current directory when it is inside it (what the model sees).
fn relative_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// The word before the cursor on its line: what clients filter completion items by.
fn word_before(line_prefix: &str) -> &str {
    let start = line_prefix
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    &line_prefix[start..]
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guarded("initialize", async {
            let encoding = convert::negotiate_encoding(
                params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref()),
            );
            self.state.set_encoding(encoding);
            if let Some(options) = &params.initialization_options {
                let mut config = self.state.config();
                if let Err(error) = config.merge_json(options) {
                    tracing::warn!(%error, "ignoring invalid initializationOptions");
                } else {
                    config.fill_model_default();
                    *self.state.config.write().unwrap_or_else(|e| e.into_inner()) = config;
                }
            }
            let config = self.state.config();
            self.state.workspace.set_config(config.context.clone());
            #[allow(deprecated)]
            let mut roots: Vec<std::path::PathBuf> = params
                .workspace_folders
                .iter()
                .flatten()
                .filter_map(|folder| convert::uri_to_path(&folder.uri))
                .collect();
            #[allow(deprecated)]
            if roots.is_empty() {
                roots.extend(params.root_uri.as_ref().and_then(convert::uri_to_path));
            }
            self.state.workspace.set_roots(roots);
            let dynamic_watchers = params
                .capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false);
            self.state.watch_files.store(dynamic_watchers, std::sync::atomic::Ordering::Release);
            let client_inline = params
                .capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.inline_completion.as_ref())
                .is_some();
            self.state
                .client_inline_completion
                .store(client_inline, std::sync::atomic::Ordering::Release);
            let inline = config.completion.inline && client_inline;
            let items = config.completion.items && !inline;
            tracing::info!(?encoding, inline, items, "initialize");
            Ok(InitializeResult {
                offset_encoding: None,
                server_info: Some(ServerInfo {
                    name: "infill".into(),
                    version: Some(env!("CARGO_PKG_VERSION").into()),
                }),
                capabilities: ServerCapabilities {
                    position_encoding: Some(convert::encoding_to_lsp(encoding)),
                    text_document_sync: Some(TextDocumentSyncCapability::Options(
                        TextDocumentSyncOptions {
                            open_close: Some(true),
                            change: Some(TextDocumentSyncKind::INCREMENTAL),
                            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                            ..Default::default()
                        },
                    )),
                    inline_completion_provider: inline.then_some(OneOf::Left(true)),
                    completion_provider: items.then(|| CompletionOptions {
                        resolve_provider: Some(false),
                        trigger_characters: Some(vec![".".into(), "(".into(), " ".into()]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            })
        })
        .await
    }

    async fn initialized(&self, _: InitializedParams) {
        self.start_engine();
        self.start_indexing();
        if self.state.watch_files.load(std::sync::atomic::Ordering::Acquire) {
            self.watch_files().await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let workspace = Arc::clone(&self.state.workspace);
        let open: Vec<std::path::PathBuf> = self
            .state
            .documents
            .iter()
            .filter_map(|entry| convert::uri_to_path(entry.key()))
            .collect();
        let _ = tokio::task::spawn_blocking(move || {
            for change in params.changes {
                let Some(path) = convert::uri_to_path(&change.uri) else { continue };
                if change.typ == FileChangeType::DELETED {
                    workspace.remove_file(&path);
                } else if !open.contains(&path) {
                    // Open documents are kept current from the editor's buffer instead.
                    match std::fs::read(&path) {
                        Ok(bytes) => workspace.update_file(&path, &String::from_utf8_lossy(&bytes)),
                        Err(_) => workspace.remove_file(&path),
                    }
                }
            }
        })
        .await;
    }

    async fn shutdown(&self) -> Result<()> {
        for entry in self.state.inflight.iter() {
            entry.value().abort();
        }
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        guarded_notification("didOpen", || {
            let item = params.text_document;
            let language = self.state.registry.by_name(&item.language_id).or_else(|| {
                convert::uri_to_path(&item.uri).and_then(|p| self.state.registry.for_path(&p))
            });
            let limits = DocumentLimits {
                max_tree_bytes: self.state.config().documents.max_tree_bytes,
                ..Default::default()
            };
            let document = Document::new(&item.text, item.version, language, &limits);
            if let Some(path) = convert::uri_to_path(&item.uri) {
                self.state.workspace.opened(&path);
                self.state.workspace.update_file(&path, &item.text);
            }
            self.state.documents.insert(item.uri, document);
        });
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        guarded_notification("didChange", || {
            let uri = &params.text_document.uri;
            let version = params.text_document.version;
            let Some(mut document) = self.state.documents.get_mut(uri) else {
                tracing::warn!(uri = uri.as_str(), "didChange for a document that is not open");
                return;
            };
            if version <= document.version() {
                tracing::warn!(
                    uri = uri.as_str(),
                    version,
                    current = document.version(),
                    "ignoring a stale didChange"
                );
                return;
            }
            let encoding = self.state.encoding();
            for change in params.content_changes {
                document.apply_change(&change_from_lsp(change), encoding);
            }
            document.set_version(version);
            if let Some(path) = convert::uri_to_path(uri) {
                self.state.workspace.edited(&path);
            }
        });
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(path) = convert::uri_to_path(&uri) else { return };
        let Some(text) = self.state.documents.get(&uri).map(|d| d.text()) else { return };
        let workspace = Arc::clone(&self.state.workspace);
        let _ = tokio::task::spawn_blocking(move || workspace.update_file(&path, &text)).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        if let Some((_, task)) = self.state.inflight.remove(&uri) {
            task.abort();
        }
        self.state.documents.remove(&uri);
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        guarded("textDocument/completion", async {
            let uri = params.text_document_position.text_document.uri;
            let position = params.text_document_position.position;
            let Some((text, cursor)) = self.run_completion(&uri, position).await? else {
                return Ok(None);
            };
            let line_prefix = {
                let document = self.state.documents.get(&uri).ok_or_else(Error::internal_error)?;
                let line_start = document.byte_offset(
                    infill_syntax::Position { line: cursor.line, character: 0 },
                    PositionEncoding::Utf8,
                );
                let at = document.byte_offset(position_from_lsp(cursor), self.state.encoding());
                document.slice(line_start..at)
            };
            // Replace the word being typed, so the client's filter (by that word) keeps the item.
            let word = word_before(&line_prefix);
            let start = Position {
                line: cursor.line,
                character: cursor.character - units(word, self.state.encoding()),
            };
            let label_line = text.lines().next().unwrap_or_default().trim().to_string();
            let item = CompletionItem {
                label: format!("{word}{label_line}"),
                kind: Some(CompletionItemKind::TEXT),
                detail: Some("Infill (model suggestion)".into()),
                documentation: Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: format!("```\n{word}{text}\n```"),
                })),
                filter_text: Some(format!("{word}{label_line}")),
                sort_text: Some("0".into()),
                preselect: Some(true),
                // A snippet with nothing but escaped text: clients that insert a plain-text
                // item's first word only (Neovim's `vim.lsp.completion` stops at whitespace)
                // expand a snippet's whole text.
                text_edit: Some(CompletionTextEdit::Edit(TextEdit {
                    range: Range { start, end: position_to_lsp(position_from_lsp(cursor)) },
                    new_text: snippet_text(&format!("{word}{text}")),
                })),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                ..Default::default()
            };
            Ok(Some(CompletionResponse::List(CompletionList {
                is_incomplete: true,
                items: vec![item],
            })))
        })
        .await
    }
}

/// `text` as a snippet that inserts exactly `text`: `\`, `$` and `}` escaped.
fn snippet_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '$' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The length of `text` in the position encoding's units.
fn units(text: &str, encoding: PositionEncoding) -> u32 {
    match encoding {
        PositionEncoding::Utf8 => text.len() as u32,
        PositionEncoding::Utf16 => text.encode_utf16().count() as u32,
        PositionEncoding::Utf32 => text.chars().count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_inserts_exactly_the_suggestion() {
        assert_eq!(snippet_text("total + 1"), "total + 1");
        assert_eq!(snippet_text("f\"${x}\" \\n"), "f\"\\${x\\}\" \\\\n");
    }

    #[test]
    fn the_word_before_the_cursor() {
        assert_eq!(word_before("    let total = compu"), "compu");
        assert_eq!(word_before("foo("), "");
        assert_eq!(word_before("naïve_wörd"), "naïve_wörd");
    }
}
