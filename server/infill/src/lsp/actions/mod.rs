//! Code actions and commands: `textDocument/codeAction` lists what applies (no model),
//! `codeAction/resolve` computes the one the user picked, and `workspace/executeCommand` runs
//! `infill.explain`, `infill.refactor` (the agent, with `$/progress` per step, cancellable) and
//! `infill.applyAction` (for clients that cannot resolve an action's edit).
//!
//! Edits go to the editor as versioned `TextDocumentEdit`s (plus `CreateFile` for a new test
//! file) in one `WorkspaceEdit`, so a file changed meanwhile is refused by the client instead of
//! clobbered, and the user undoes the whole change at once. The server never writes a user file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use infill_engine::Engine;
use infill_ide::actions::{
    self, ActionEnv, ActionError, ActionKind, ActionSettings, DiagnosticInfo, SourceText, Sources,
    Target,
};
use infill_ide::edit::ChangeSet;
use infill_syntax::{Document, DocumentLimits, PositionEncoding};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use crate::lsp::convert::{self, position_from_lsp, position_to_lsp};
use crate::lsp::guard::{internal, invalid_params, unavailable};
use crate::lsp::state::State;

mod refactor_command;
pub use refactor_command::cancel_progress;
use refactor_command::run_refactor;

/// The commands the server executes.
pub const COMMANDS: &[&str] = &[EXPLAIN, REFACTOR, APPLY_ACTION];
const EXPLAIN: &str = "infill.explain";
const REFACTOR: &str = "infill.refactor";
const APPLY_ACTION: &str = "infill.applyAction";

/// The code action kinds the server lists.
pub fn kinds() -> Vec<CodeActionKind> {
    [
        ActionKind::Fix,
        ActionKind::Explain,
        ActionKind::Document,
        ActionKind::Tests,
        ActionKind::Refactor,
    ]
    .into_iter()
    .map(|kind| CodeActionKind::from(kind.lsp_kind().to_owned()))
    .collect()
}

/// What the client can do with actions and edits, read once from `initialize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionClient {
    /// `window/showDocument`.
    pub show_document: bool,
    /// `WorkspaceEdit.documentChanges` (versioned edits).
    pub document_changes: bool,
    /// `CreateFile` resource operations.
    pub create_files: bool,
    /// `codeAction/resolve` of the `edit` property.
    pub resolve_edit: bool,
}

impl ActionClient {
    /// Reads the client's capabilities.
    pub fn from_initialize(params: &InitializeParams) -> ActionClient {
        let capabilities = &params.capabilities;
        let edit = capabilities.workspace.as_ref().and_then(|w| w.workspace_edit.as_ref());
        ActionClient {
            show_document: capabilities
                .window
                .as_ref()
                .and_then(|w| w.show_document.as_ref())
                .is_some_and(|s| s.support),
            document_changes: edit.and_then(|e| e.document_changes).unwrap_or(false),
            create_files: edit
                .and_then(|e| e.resource_operations.as_ref())
                .is_some_and(|ops| ops.contains(&ResourceOperationKind::Create)),
            resolve_edit: capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.code_action.as_ref())
                .and_then(|c| c.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
        }
    }
}

/// What a listed action carries to `codeAction/resolve` (and `infill.applyAction`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActionData {
    kind: String,
    uri: Uri,
    range: lsp_types_range::LspRange,
    version: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diagnostic: Option<Diagnostic>,
}

mod lsp_types_range {
    //! `Range` with serde, as resolve data.
    use serde::{Deserialize, Serialize};
    use tower_lsp_server::ls_types::{Position, Range};

    #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
    pub struct LspRange {
        pub start: (u32, u32),
        pub end: (u32, u32),
    }

    impl From<Range> for LspRange {
        fn from(range: Range) -> LspRange {
            LspRange {
                start: (range.start.line, range.start.character),
                end: (range.end.line, range.end.character),
            }
        }
    }

    impl From<LspRange> for Range {
        fn from(range: LspRange) -> Range {
            Range {
                start: Position { line: range.start.0, character: range.start.1 },
                end: Position { line: range.end.0, character: range.end.1 },
            }
        }
    }
}

/// Reads files for actions: open documents first (with their versions), then the disk (UTF-8
/// files within the size limit; anything else is treated as unreadable).
pub struct EdgeSources<'a> {
    state: &'a State,
    max_bytes: u64,
}

impl<'a> EdgeSources<'a> {
    /// Sources over `state`'s documents and the disk.
    pub fn new(state: &'a State) -> EdgeSources<'a> {
        EdgeSources { state, max_bytes: state.config().context.max_file_bytes }
    }
}

impl Sources for EdgeSources<'_> {
    fn read(&self, path: &Path) -> Option<SourceText> {
        for document in self.state.documents.iter() {
            if convert::uri_to_path(document.key()).as_deref() == Some(path) {
                return Some(SourceText {
                    text: document.text(),
                    version: Some(document.version()),
                });
            }
        }
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() || metadata.len() > self.max_bytes {
            return None;
        }
        let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
        Some(SourceText { text, version: None })
    }
}

/// The target of an action: the open document at `uri` with `range` selected.
fn target(state: &State, uri: &Uri, range: Range) -> Result<Target> {
    let document = state
        .documents
        .get(uri)
        .ok_or_else(|| invalid_params(format!("{} is not open", uri.as_str())))?;
    let path =
        convert::uri_to_path(uri).ok_or_else(|| invalid_params("code actions need a file: URI"))?;
    let encoding = state.encoding();
    let start = document.byte_offset(position_from_lsp(range.start), encoding);
    let end = document.byte_offset(position_from_lsp(range.end), encoding);
    Ok(Target {
        path,
        text: document.text(),
        version: Some(document.version()),
        language: document.language().cloned(),
        selection: start.min(end)..start.max(end),
    })
}

fn byte_range(text: &str, range: Range, encoding: PositionEncoding) -> std::ops::Range<usize> {
    let document = Document::new(text, 0, None, &DocumentLimits::default());
    let start = document.byte_offset(position_from_lsp(range.start), encoding);
    let end = document.byte_offset(position_from_lsp(range.end), encoding);
    start.min(end)..start.max(end)
}

fn diagnostic_info(
    text: &str,
    diagnostic: &Diagnostic,
    encoding: PositionEncoding,
) -> DiagnosticInfo {
    DiagnosticInfo {
        message: diagnostic.message.clone(),
        code: diagnostic.code.as_ref().map(|code| match code {
            NumberOrString::Number(n) => n.to_string(),
            NumberOrString::String(s) => s.clone(),
        }),
        source: diagnostic.source.clone(),
        range: byte_range(text, diagnostic.range, encoding),
    }
}

/// `textDocument/codeAction`: the actions for the selection, listed without the model.
pub fn list(
    state: &State,
    client: ActionClient,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    if !state.config().actions.enabled {
        return Ok(None);
    }
    let uri = &params.text_document.uri;
    if crate::lsp::completion::is_private(state, uri) {
        return Ok(Some(Vec::new()));
    }
    let target = target(state, uri, params.range)?;
    let encoding = state.encoding();
    let diagnostics: Vec<DiagnosticInfo> = params
        .context
        .diagnostics
        .iter()
        .map(|d| diagnostic_info(&target.text, d, encoding))
        .collect();
    let only = params.context.only.unwrap_or_default();
    let wanted = |kind: &str| {
        only.is_empty()
            || only
                .iter()
                .any(|o| kind == o.as_str() || kind.starts_with(&format!("{}.", o.as_str())))
    };
    let version = target.version.unwrap_or(0);
    let mut response = Vec::new();
    for offer in actions::offers(&target, &diagnostics) {
        if !wanted(offer.kind.lsp_kind()) {
            continue;
        }
        let kind = CodeActionKind::from(offer.kind.lsp_kind().to_owned());
        let range_args = json!({"uri": uri, "range": params.range});
        let mut action =
            CodeAction { title: offer.title.clone(), kind: Some(kind), ..Default::default() };
        match offer.kind {
            ActionKind::Explain => {
                action.command =
                    Some(Command::new(offer.title, EXPLAIN.into(), Some(vec![range_args])));
            }
            ActionKind::Refactor => {
                let mut args = range_args;
                args["scope"] = json!("selection");
                action.command = Some(Command::new(offer.title, REFACTOR.into(), Some(vec![args])));
            }
            ActionKind::Document | ActionKind::Tests | ActionKind::Fix => {
                let diagnostic = offer.diagnostic.map(|i| params.context.diagnostics[i].clone());
                action.diagnostics = diagnostic.clone().map(|d| vec![d]);
                let data = ActionData {
                    kind: offer.kind.name().into(),
                    uri: uri.clone(),
                    range: params.range.into(),
                    version,
                    diagnostic,
                };
                let data = serde_json::to_value(&data).map_err(|e| internal(e.to_string()))?;
                if client.resolve_edit {
                    action.data = Some(data);
                } else {
                    action.command =
                        Some(Command::new(offer.title, APPLY_ACTION.into(), Some(vec![data])));
                }
            }
        }
        response.push(CodeActionOrCommand::CodeAction(action));
    }
    if wanted(ActionKind::Fix.lsp_kind()) {
        for diagnostic in &params.context.diagnostics {
            if let Some(action) = ignore_finding(state, uri, &target, diagnostic) {
                response.push(CodeActionOrCommand::CodeAction(action));
            }
        }
    }
    Ok(Some(response))
}

/// "Ignore this finding" for one of Infill's own security diagnostics: an `infill-ignore:`
/// comment on the line before, which the rules honour. No model; the edit is in the listing.
fn ignore_finding(
    state: &State,
    uri: &Uri,
    target: &Target,
    diagnostic: &Diagnostic,
) -> Option<CodeAction> {
    if diagnostic.source.as_deref() != Some(crate::lsp::diagnostics::SOURCE) {
        return None;
    }
    let NumberOrString::String(rule) = diagnostic.code.as_ref()? else { return None };
    let language = target.language.as_ref()?;
    let line = diagnostic.range.start.line;
    let document = Document::new(&target.text, 0, None, &DocumentLimits::default());
    let line_start = document
        .byte_offset(infill_syntax::Position { line, character: 0 }, PositionEncoding::Utf8);
    let rest = &target.text[line_start..];
    let indent: String = rest.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let comment = match (&language.line_comment, &language.block_comment) {
        (Some(token), _) => format!("{indent}{token} {} {rule}\n", infill_security::IGNORE_MARKER),
        (None, Some((open, close))) => {
            format!("{indent}{open} {} {rule} {close}\n", infill_security::IGNORE_MARKER)
        }
        (None, None) => return None,
    };
    let at = Position { line, character: 0 };
    let edit = TextEdit { range: Range { start: at, end: at }, new_text: comment };
    let workspace_edit = if state.action_client().document_changes {
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri.clone(),
                    version: target.version,
                },
                edits: vec![OneOf::Left(edit)],
            }])),
            ..Default::default()
        }
    } else {
        WorkspaceEdit {
            changes: Some([(uri.clone(), vec![edit])].into_iter().collect()),
            ..Default::default()
        }
    };
    Some(CodeAction {
        title: format!("Infill: Ignore this finding ({rule})"),
        kind: Some(CodeActionKind::from(ActionKind::Fix.lsp_kind().to_owned())),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit),
        ..Default::default()
    })
}

/// The engine for an action, waiting while the model loads (within the action's budget).
async fn engine(state: &State, settings: &ActionSettings) -> Result<Arc<dyn Engine>> {
    let patience = settings.time_budget.unwrap_or(std::time::Duration::from_secs(120));
    match state.engine.wait_ready(patience).await {
        Ok(Some(completer)) => Ok(completer.engine()),
        Ok(None) => Err(unavailable("the model is still loading; try again in a moment")),
        Err(reason) => Err(unavailable(reason)),
    }
}

/// What an action on `path` runs with: the engine (waiting while the model loads), the files,
/// the languages, the workspace root and the configured limits.
async fn action_env<'a>(
    state: &'a State,
    sources: &'a EdgeSources<'a>,
    path: &Path,
) -> Result<ActionEnv<'a>> {
    let settings = ActionSettings::from(&state.config().actions);
    let engine = engine(state, &settings).await?;
    Ok(ActionEnv {
        engine,
        sources,
        registry: &state.registry,
        root: root_of(state, path),
        settings,
    })
}

/// The workspace root that holds `path` (for test paths), else its project root.
fn root_of(state: &State, path: &Path) -> PathBuf {
    state
        .workspace
        .roots()
        .into_iter()
        .filter(|root| path.starts_with(root))
        .max_by_key(|root| root.as_os_str().len())
        .unwrap_or_else(|| infill_ide::workspace::root_for(path))
}

fn action_error(error: ActionError) -> Error {
    match error {
        ActionError::Engine(error) => unavailable(error.to_string()),
        ActionError::Conflict(message) => {
            Error { code: ErrorCode::ServerError(-32801), message: message.into(), data: None }
        }
        other => Error {
            code: ErrorCode::ServerError(-32803),
            message: other.to_string().into(),
            data: None,
        },
    }
}

/// Computes the edit of a listed action (`codeAction/resolve`, `infill.applyAction`).
async fn compute(state: &State, data: &ActionData) -> Result<ChangeSet> {
    let kind = ActionKind::from_name(&data.kind)
        .ok_or_else(|| invalid_params(format!("unknown action `{}`", data.kind)))?;
    if crate::lsp::completion::is_private(state, &data.uri) {
        return Err(invalid_params("this file is private: Infill does not read it"));
    }
    let target = target(state, &data.uri, data.range.into())?;
    if target.version != Some(data.version) {
        return Err(action_error(ActionError::Conflict(
            "the document changed since the actions were listed; ask again".into(),
        )));
    }
    let sources = EdgeSources::new(state);
    let env = action_env(state, &sources, &target.path).await?;
    let result = match kind {
        ActionKind::Document => actions::document(&env, &target).await,
        ActionKind::Tests => actions::tests(&env, &target).await,
        ActionKind::Fix => {
            let diagnostic = data
                .diagnostic
                .as_ref()
                .ok_or_else(|| invalid_params("a fix needs its diagnostic"))?;
            let info = diagnostic_info(&target.text, diagnostic, state.encoding());
            actions::fix(&env, &target, &info).await
        }
        ActionKind::Explain | ActionKind::Refactor => {
            return Err(invalid_params(format!("`{}` runs as a command", data.kind)));
        }
    };
    result.map_err(action_error)
}

/// `codeAction/resolve`: fills in the edit of the action the user picked.
pub async fn resolve(
    state: &State,
    client: ActionClient,
    mut action: CodeAction,
) -> Result<CodeAction> {
    let data: ActionData = action
        .data
        .clone()
        .ok_or_else(|| invalid_params("the action carries no data"))
        .and_then(|d| serde_json::from_value(d).map_err(|e| invalid_params(e.to_string())))?;
    let changes = compute(state, &data).await?;
    action.edit = Some(workspace_edit(state, client, &changes)?);
    Ok(action)
}

/// Turns a change set into a `WorkspaceEdit`: versioned edits (and `CreateFile`) when the client
/// supports them, else plain `changes`.
pub fn workspace_edit(
    state: &State,
    client: ActionClient,
    changes: &ChangeSet,
) -> Result<WorkspaceEdit> {
    let encoding = state.encoding();
    let mut operations = Vec::new();
    let mut plain = std::collections::HashMap::new();
    for file in &changes.files {
        let uri = Uri::from_file_path(&file.path)
            .ok_or_else(|| internal(format!("{} is not an absolute path", file.path.display())))?;
        let document = Document::new(&file.original, 0, None, &DocumentLimits::default());
        let edits: Vec<TextEdit> = file
            .edits
            .iter()
            .map(|edit| TextEdit {
                range: Range {
                    start: position_to_lsp(document.position_of(edit.range.start, encoding)),
                    end: position_to_lsp(document.position_of(edit.range.end, encoding)),
                },
                new_text: edit.new_text.clone(),
            })
            .collect();
        if file.create && !(client.document_changes && client.create_files) {
            return Err(invalid_params(format!(
                "the editor cannot create files, and this action creates {}",
                file.path.display()
            )));
        }
        if client.document_changes {
            if file.create {
                operations.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: uri.clone(),
                    options: Some(CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(true),
                    }),
                    annotation_id: None,
                })));
            }
            operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri,
                    version: file.version,
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }));
        } else {
            plain.insert(uri, edits);
        }
    }
    Ok(if client.document_changes {
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(operations)),
            ..Default::default()
        }
    } else {
        WorkspaceEdit { changes: Some(plain), ..Default::default() }
    })
}

/// Arguments of `infill.explain`.
#[derive(Debug, Deserialize)]
struct ExplainArgs {
    uri: Uri,
    range: Range,
}

fn first_argument<T: serde::de::DeserializeOwned>(params: &ExecuteCommandParams) -> Result<T> {
    let argument =
        params.arguments.first().cloned().ok_or_else(|| {
            invalid_params(format!("{} needs an argument object", params.command))
        })?;
    serde_json::from_value(argument).map_err(|error| {
        invalid_params(format!("invalid arguments for {}: {error}", params.command))
    })
}

/// `workspace/executeCommand`.
pub async fn execute(
    client: &Client,
    state: &Arc<State>,
    features: ActionClient,
    params: ExecuteCommandParams,
) -> Result<Option<Value>> {
    if !state.config().actions.enabled {
        return Err(invalid_params("code actions are turned off (`actions.enabled = false`)"));
    }
    match params.command.as_str() {
        EXPLAIN => explain(client, state, features, first_argument(&params)?).await.map(Some),
        REFACTOR => run_refactor(client, state, features, first_argument(&params)?).await.map(Some),
        APPLY_ACTION => {
            let data: ActionData = first_argument(&params)?;
            let changes = compute(state, &data).await?;
            apply(client, state, features, &changes, "Infill").await.map(Some)
        }
        other => Err(invalid_params(format!(
            "unknown command `{other}`; known: {}",
            COMMANDS.join(", ")
        ))),
    }
}

async fn explain(
    client: &Client,
    state: &State,
    features: ActionClient,
    args: ExplainArgs,
) -> Result<Value> {
    if crate::lsp::completion::is_private(state, &args.uri) {
        return Err(invalid_params("this file is private: Infill does not read it"));
    }
    let target = target(state, &args.uri, args.range)?;
    let sources = EdgeSources::new(state);
    let env = action_env(state, &sources, &target.path).await?;
    let explanation = actions::explain(&env, &target).await.map_err(action_error)?;
    let markdown = explanation.to_markdown();
    let mut shown = false;
    if features.show_document
        && let Some(file) = write_explanation(&target.path, &markdown)
        && let Some(uri) = Uri::from_file_path(&file)
    {
        let params = ShowDocumentParams {
            uri,
            external: Some(false),
            take_focus: Some(true),
            selection: None,
        };
        shown = client.show_document(params).await.unwrap_or(false);
    }
    if !shown {
        let mut message = markdown.clone();
        if message.len() > 4000 {
            let mut end = 4000;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        client.show_message(MessageType::INFO, message).await;
    }
    Ok(json!({"title": explanation.title, "markdown": markdown, "shownAsDocument": shown}))
}

/// Writes an explanation to `<cache>/explanations/<name>.md` (never into the workspace).
fn write_explanation(source: &Path, markdown: &str) -> Option<PathBuf> {
    let dir = infill_engine::models::cache_dir().join("explanations");
    std::fs::create_dir_all(&dir).ok()?;
    let stem = source
        .file_stem()
        .map_or_else(|| "explanation".into(), |s| s.to_string_lossy().into_owned());
    let file = dir.join(format!("{stem}.md"));
    std::fs::write(&file, markdown).ok()?;
    Some(file)
}

/// Sends `changes` to the client with `workspace/applyEdit`.
async fn apply(
    client: &Client,
    state: &State,
    features: ActionClient,
    changes: &ChangeSet,
    label: &str,
) -> Result<Value> {
    let edit = workspace_edit(state, features, changes)?;
    let files: Vec<String> = changes.files.iter().map(|f| f.path.display().to_string()).collect();
    let params = ApplyWorkspaceEditParams { label: Some(label.to_owned()), edit };
    let response = client
        .send_request::<request::ApplyWorkspaceEdit>(params)
        .await
        .map_err(|error| internal(format!("workspace/applyEdit failed: {}", error.message)))?;
    Ok(json!({
        "applied": response.applied,
        "failureReason": response.failure_reason,
        "files": files,
    }))
}
