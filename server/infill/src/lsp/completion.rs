//! Completion requests: snapshot the document, run the pipeline on a task that a newer request
//! (or `$/cancelRequest`) aborts, drop a result for a version that changed meanwhile, and
//! answer as ghost text or as a completion item.

use std::sync::Arc;
use std::time::Instant;

use infill_ide::completion::{CompletionInput, FileLabel};
use infill_syntax::PositionEncoding;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use super::convert::{self, position_from_lsp, position_to_lsp};
use super::ext::{Trace, TraceParams};
use super::guard::{cancelled, internal, invalid_params, unavailable};
use super::state::State;
use super::to_proto;

/// Snapshots the document at `position` for a completion; returns the input and its version.
pub fn snapshot(state: &State, uri: &Uri, position: Position) -> Result<(CompletionInput, i32)> {
    let mut document = state
        .documents
        .get_mut(uri)
        .ok_or_else(|| invalid_params(format!("{} is not open", uri.as_str())))?;
    let cursor = document.byte_offset(position_from_lsp(position), state.encoding());
    let label = match convert::uri_to_path(uri) {
        Some(file) => FileLabel::for_path(&file, &state.workspace.roots()),
        None => FileLabel::named(uri.path().to_string()),
    };
    let input = CompletionInput::from_document(&mut document, cursor, label);
    Ok((input, document.version()))
}

/// Runs a completion for `uri` at `position`, cancelling the document's previous one; the
/// result is dropped when the document changed meanwhile. Returns the text and the cursor.
pub async fn run(
    client: &Client,
    state: &State,
    uri: &Uri,
    position: Position,
) -> Result<Option<(String, Position)>> {
    let completer = state.engine.completer().map_err(unavailable)?;
    let (input, version) = snapshot(state, uri, position)?;
    let cursor = input.cursor;
    let started = Instant::now();
    let workspace = Arc::clone(&state.workspace);
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
    if let Some(previous) = state.inflight.insert(uri.clone(), task.abort_handle()) {
        previous.abort();
    }
    // `$/cancelRequest` drops this future; the spawned task (and with it the generation) must
    // stop too, or the engine stays busy until the whole answer is written.
    let _cancel_with_request = AbortOnDrop(task.abort_handle());
    let outcome = task.await;
    let elapsed = started.elapsed();
    let suggestion = match outcome {
        Ok(Ok(suggestion)) => suggestion,
        Ok(Err(error)) => return Err(unavailable(error.to_string())),
        Err(join) if join.is_cancelled() => return Err(cancelled()),
        Err(join) => {
            tracing::error!(%join, "completion task failed");
            return Err(internal(format!("the completion failed: {join}")));
        }
    };
    state.stats.lock().unwrap_or_else(|e| e.into_inner()).record(suggestion.as_ref(), elapsed);
    if state.trace.load(std::sync::atomic::Ordering::Acquire) {
        let trace =
            TraceParams::new(uri.clone(), version, elapsed.as_millis() as u64, suggestion.as_ref());
        client.send_notification::<Trace>(trace).await;
    }
    if let Some(stats) = suggestion.as_ref().and_then(|s| s.stats.as_ref()) {
        tracing::debug!(
            ms = elapsed.as_millis() as u64,
            prompt = stats.prompt_tokens,
            computed = stats.computed_tokens,
            "completion"
        );
    }
    let Some(document) = state.documents.get(uri) else { return Ok(None) };
    if document.version() != version {
        tracing::debug!(version, now = document.version(), "dropping a stale completion");
        return Ok(None);
    }
    let position = position_to_lsp(document.position_of(cursor, state.encoding()));
    Ok(suggestion.map(|s| (s.text, position)))
}

/// [`run`] at a request's document and position; returns the document too.
async fn run_at(
    client: &Client,
    state: &State,
    at: TextDocumentPositionParams,
) -> Result<(Uri, Option<(String, Position)>)> {
    let suggestion = run(client, state, &at.text_document.uri, at.position).await?;
    Ok((at.text_document.uri, suggestion))
}

/// `textDocument/inlineCompletion` (LSP 3.18): ghost text.
pub async fn inline(
    client: &Client,
    state: &State,
    params: InlineCompletionParams,
) -> Result<Option<InlineCompletionResponse>> {
    let (_, suggestion) = run_at(client, state, params.text_document_position).await?;
    Ok(Some(to_proto::inline_completion(suggestion)))
}

/// `textDocument/completion`: the suggestion as a completion item.
pub async fn items(
    client: &Client,
    state: &State,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    let (uri, suggestion) = run_at(client, state, params.text_document_position).await?;
    let Some((text, cursor)) = suggestion else { return Ok(None) };
    let line_prefix = {
        let document = state
            .documents
            .get(&uri)
            .ok_or_else(|| invalid_params(format!("{} was closed", uri.as_str())))?;
        let line_start = document.byte_offset(
            infill_syntax::Position { line: cursor.line, character: 0 },
            PositionEncoding::Utf8,
        );
        let at = document.byte_offset(position_from_lsp(cursor), state.encoding());
        document.slice(line_start..at)
    };
    Ok(Some(to_proto::completion_list(&text, cursor, &line_prefix, state.encoding())))
}

/// Aborts a spawned task when the request that waits for it is dropped (cancelled).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
