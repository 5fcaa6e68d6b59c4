//! The language server: `initialize` and the lifecycle, and the dispatch of every standard and
//! custom method to the module that does the work. Each handler runs under [`guarded`].

use std::sync::Arc;
use std::sync::atomic::Ordering;

use infill_context::ContextResult;
use infill_ide::completion::CompletionSettings;
use infill_ide::workspace::{ContextSettings, to_context_files};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::EngineSource;
use super::capabilities::{self, ClientFeatures, Delivery};
use super::ext::{
    AcceptParams, ContextParams, ContextResponse, DocumentInfo, DocumentParams, EngineInfo,
    FocusParams, StatusResult, StatusStats, encoding_name,
};
use super::guard::{guarded, guarded_notification, internal, invalid_params};
use super::state::State;
use super::{background, completion, convert, sync};
use crate::config::Config;

/// The language server.
pub struct Backend {
    client: Client,
    pub(super) state: Arc<State>,
    engine_source: std::sync::Mutex<Option<EngineSource>>,
}

impl Backend {
    /// A server for `client` with `config`, getting its engine from `engine`.
    pub fn new(client: Client, config: Config, engine: EngineSource) -> Backend {
        Backend {
            client,
            state: Arc::new(State::new(config)),
            engine_source: std::sync::Mutex::new(Some(engine)),
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
    pub async fn status(&self, _: Value) -> Result<StatusResult> {
        guarded("infill/status", async {
            let (engine, loaded) = self.state.engine.describe();
            let stats = self.state.stats.lock().unwrap_or_else(|e| e.into_inner());
            Ok(StatusResult {
                version: env!("CARGO_PKG_VERSION"),
                engine,
                engine_busy: loaded.as_ref().map(|e| e.busy()).unwrap_or(0),
                capabilities: loaded.as_ref().map(|e| EngineInfo::from(e.capabilities())),
                open_documents: self.state.documents.len(),
                position_encoding: encoding_name(self.state.encoding()),
                stats: StatusStats::from(&*stats),
                remote: loaded.as_ref().and_then(|e| e.remote_status()),
            })
        })
        .await
    }

    /// `infill/context`: the ranked snippets for a cursor and the prompt they would make.
    ///
    /// A private file (`Workspace::is_private`: a secret's name, or excluded by the user) gets
    /// an answer of the usual shape with no snippets and an empty prompt, just as it gets no
    /// completion: its text is neither ranked nor rendered (an empty answer, not an error, so a
    /// client's context view stays quiet).
    pub async fn context(&self, params: ContextParams) -> Result<ContextResponse> {
        guarded("infill/context", async {
            let uri = &params.text_document.uri;
            let (mut input, _) = completion::snapshot(&self.state, uri, params.position)?;
            let file = convert::uri_to_path(uri)
                .ok_or_else(|| invalid_params("infill/context needs a file: URI"))?;
            if completion::is_private(&self.state, uri) {
                let nothing = ContextResult {
                    path: file,
                    cursor: input.cursor,
                    snippets: Vec::new(),
                    tokens_used: 0,
                    token_budget: self.state.workspace.settings().token_budget,
                    candidates: 0,
                };
                return Ok(ContextResponse::new(&nothing, String::new()));
            }
            let workspace = Arc::clone(&self.state.workspace);
            let (text, cursor) = (input.text.clone(), input.cursor);
            let result = tokio::task::spawn_blocking(move || {
                workspace.index().update_file(&file, &text);
                workspace.rank(&file, &text, cursor)
            })
            .await
            .map_err(|error| internal(format!("ranking failed: {error}")))?;
            let family = match self.state.engine.completer() {
                Ok(completer) => completer.engine().capabilities().family,
                Err(_) => Default::default(),
            };
            input.context = to_context_files(&result);
            let settings = CompletionSettings::from(&self.state.config().completion);
            let prompt = infill_ide::completion::render_prompt(&family, &input, &settings);
            Ok(ContextResponse::new(&result, prompt))
        })
        .await
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

    /// `infill/didFocus`: the cursor is at a position (a file shown, the cursor moved); prefetch
    /// the prompt of a completion there.
    pub async fn did_focus(&self, params: FocusParams) {
        super::completion::prefetch(&self.state, &params.text_document.uri, params.position);
    }

    /// `$/setTrace`: turns `$/infill/trace` notifications on (`messages`, `verbose`) or off.
    pub async fn set_trace(&self, params: SetTraceParams) {
        self.state.trace.store(params.value != TraceValue::Off, Ordering::Release);
    }

    /// `textDocument/inlineCompletion` (LSP 3.18).
    pub async fn inline_completion(
        &self,
        params: InlineCompletionParams,
    ) -> Result<Option<InlineCompletionResponse>> {
        guarded(
            "textDocument/inlineCompletion",
            completion::inline(&self.client, &self.state, params),
        )
        .await
    }

    /// `window/workDoneProgress/cancel`: the cancel button of a refactor's progress.
    pub async fn work_done_progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        super::actions::cancel_progress(&self.state, &params.token);
    }

    /// Applies the client's `initializationOptions` over the configuration.
    fn apply_initialization_options(&self, options: Option<&Value>) {
        let Some(options) = options else { return };
        let mut config = self.state.config();
        if let Err(error) = config.merge_json(options) {
            tracing::warn!(%error, "ignoring invalid initializationOptions");
            return;
        }
        config.fill_model_default();
        *self.state.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }
}

impl LanguageServer for Backend {
    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        guarded("textDocument/codeAction", async {
            super::actions::list(&self.state, self.state.action_client(), params)
        })
        .await
    }

    async fn code_action_resolve(&self, action: CodeAction) -> Result<CodeAction> {
        guarded(
            "codeAction/resolve",
            super::actions::resolve(&self.state, self.state.action_client(), action),
        )
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        guarded(
            "workspace/executeCommand",
            super::actions::execute(&self.client, &self.state, self.state.action_client(), params),
        )
        .await
    }

    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guarded("initialize", async {
            let client = ClientFeatures::from_initialize(&params);
            self.state.set_encoding(client.encoding);
            self.state.watch_files.store(client.dynamic_watchers, Ordering::Release);
            self.state.trace.store(client.trace, Ordering::Release);
            self.state.work_done_progress.store(client.work_done_progress, Ordering::Release);
            self.apply_initialization_options(params.initialization_options.as_ref());
            let config = self.state.config();
            self.state.workspace.set_settings(ContextSettings::from(&config.context));
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
            let delivery = Delivery::choose(&config.completion, &client);
            tracing::info!(encoding = ?client.encoding, ?delivery, "initialize");
            *self.state.action_client.write().unwrap_or_else(|e| e.into_inner()) =
                super::actions::ActionClient::from_initialize(&params);
            Ok(capabilities::initialize_result(&client, delivery, config.actions.enabled))
        })
        .await
    }

    async fn initialized(&self, _: InitializedParams) {
        let source = self.engine_source.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(source) = source {
            background::start_engine(&self.client, &self.state, source);
        }
        background::start_indexing(&self.client, &self.state);
        if self.state.watch_files.load(Ordering::Acquire) {
            background::watch_files(&self.client).await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shutdown_requested.store(true, Ordering::Release);
        for entry in self.state.inflight.iter() {
            entry.value().abort();
        }
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let uri = params.text_document.uri.clone();
        guarded_notification("didOpen", || sync::did_open(&self.state, params));
        super::diagnostics::schedule(&self.client, &self.state, &uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri.clone();
        guarded_notification("didChange", || sync::did_change(&self.state, params));
        super::diagnostics::schedule(&self.client, &self.state, &uri);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        sync::did_save(&self.state, params).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri.clone();
        guarded_notification("didClose", || sync::did_close(&self.state, params));
        super::diagnostics::clear(&self.client, &self.state, uri).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        sync::did_change_watched_files(&self.state, params).await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        guarded("textDocument/completion", completion::items(&self.client, &self.state, params))
            .await
    }
}
