//! Completion requests: snapshot the document, run the pipeline on a task that a newer request
//! (or `$/cancelRequest`) aborts, drop a result for a version that changed meanwhile, and
//! answer as ghost text or as a completion item.

use std::sync::Arc;
use std::time::{Duration, Instant};

use infill_engine::EngineError;
use infill_ide::completion::{CompletionError, CompletionInput, FileLabel, SuggestionSource};
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

/// Whether the document at `uri` is private ([`Workspace::is_private`]): it gets no completion,
/// no context and no prompt. A URI that is not a file is judged by its path's name.
///
/// [`Workspace::is_private`]: infill_ide::workspace::Workspace::is_private
pub fn is_private(state: &State, uri: &Uri) -> bool {
    let path = convert::uri_to_path(uri)
        .unwrap_or_else(|| std::path::PathBuf::from(uri.path().to_string()));
    state.workspace.is_private(&path)
}

/// How long the user pauses after a fast first answer before its full prompt starts warming.
const WARM_UP_IDLE: Duration = Duration::from_millis(750);

/// `infill/didFocus`: the user's cursor is at `position` in `uri` (a file just shown, the cursor
/// moved). When prefetching is on and the engine is ready, the full prompt of a completion there
/// starts computing in the background if it is cold ([`Completer::prefetch`]), so that the first
/// suggestion there finds it warm.
///
/// [`Completer::prefetch`]: infill_ide::completion::Completer::prefetch
pub fn prefetch(state: &State, uri: &Uri, position: Position) {
    if !state.config().completion.prefetch || is_private(state, uri) {
        return;
    }
    // Nothing to warm while the model loads, and no reason to wait for it.
    let Ok(completer) = state.engine.completer() else { return };
    let Ok((mut input, _)) = snapshot(state, uri, position) else { return };
    let workspace = Arc::clone(&state.workspace);
    let file = convert::uri_to_path(uri);
    tokio::spawn(async move {
        if let Some(file) = file {
            let (text, cursor) = (input.text.clone(), input.cursor);
            input.context = tokio::task::spawn_blocking(move || {
                workspace.context_for_completion(&file, &text, cursor)
            })
            .await
            .unwrap_or_default();
        }
        if completer.prefetch(input) {
            tracing::debug!("prefetching a cold prompt");
        }
    });
}

/// Runs a completion for `uri` at `position`, cancelling the document's previous one; the
/// result is dropped when the document changed meanwhile. Returns the suggestions (the best
/// first; alternatives only when `wanted` is above 1) and the cursor.
pub async fn run(
    client: &Client,
    state: &State,
    uri: &Uri,
    position: Position,
    wanted: usize,
) -> Result<Option<(Vec<String>, Position)>> {
    // A private file (a secret by its name, or excluded by the user) gets nothing: no prompt is
    // built from its text and the engine is not asked.
    if is_private(state, uri) {
        tracing::debug!(uri = uri.as_str(), "a private file: no completion");
        return Ok(None);
    }
    // A request that arrives while the model loads waits for it (within the time budget)
    // instead of failing; past that it gets no suggestion, and the next keystroke asks again.
    let started = Instant::now();
    let patience = Duration::from_millis(state.config().completion.time_budget_ms);
    let Some(completer) = state.engine.wait_ready(patience).await.map_err(unavailable)? else {
        tracing::debug!("the model is still loading; no suggestion yet");
        return Ok(None);
    };
    let (input, version) = snapshot(state, uri, position)?;
    let cursor = input.cursor;
    let workspace = Arc::clone(&state.workspace);
    let file = convert::uri_to_path(uri);
    let warmer = Arc::clone(&completer);
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
        completer.complete_with(input, wanted).await
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
        // The engine refused this one request (an empty prompt: a PrefixOnly model at the start
        // of a file): no suggestion here, which is no reason to tell the client the AI is down.
        Ok(Err(CompletionError::Engine(EngineError::InvalidRequest(reason)))) => {
            tracing::debug!(%reason, "the engine refused the request; no suggestion");
            return Ok(None);
        }
        Ok(Err(error)) => return Err(unavailable(error.to_string())),
        Err(join) if join.is_cancelled() => return Err(cancelled()),
        Err(join) => {
            tracing::error!(%join, "completion task failed");
            return Err(internal(format!("the completion failed: {join}")));
        }
    };
    if suggestion.as_ref().is_some_and(|s| s.source == SuggestionSource::ShortPrompt) {
        // A fast first answer: warm the full prompt once the user pauses.
        tokio::spawn(async move {
            tokio::time::sleep(WARM_UP_IDLE).await;
            if warmer.warm_up_when_idle(WARM_UP_IDLE) {
                tracing::debug!("warming the full prompt");
            }
        });
    }
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
    let Some(suggestion) = suggestion else { return Ok(None) };
    let mut texts = vec![suggestion.text];
    texts.extend(suggestion.alternatives);
    // A suggestion that would introduce a security finding is dropped or flagged.
    let language = document.language().cloned();
    if !super::diagnostics::filters(state, language.as_ref()) {
        return Ok(Some((texts, position)));
    }
    let text = document.text();
    drop(document);
    texts.retain(|suggestion| {
        match super::diagnostics::filter_suggestion(
            state,
            language.as_ref(),
            &text,
            cursor,
            suggestion,
        ) {
            super::diagnostics::Filtered::Keep => true,
            super::diagnostics::Filtered::Flag(rules) => {
                tracing::warn!(?rules, "showing a suggestion that introduces a security finding");
                true
            }
            super::diagnostics::Filtered::Drop(rules) => {
                tracing::info!(
                    ?rules,
                    "dropped a suggestion that would introduce a security finding"
                );
                false
            }
        }
    });
    Ok((!texts.is_empty()).then_some((texts, position)))
}

/// [`run`] at a request's document and position; returns the document too.
async fn run_at(
    client: &Client,
    state: &State,
    at: TextDocumentPositionParams,
    wanted: usize,
) -> Result<(Uri, Option<(Vec<String>, Position)>)> {
    let suggestion = run(client, state, &at.text_document.uri, at.position, wanted).await?;
    Ok((at.text_document.uri, suggestion))
}

/// How many suggestions a request gets: alternatives to cycle through when the user asked
/// (an explicit invocation), one while typing.
fn wanted(state: &State, invoked: bool) -> usize {
    if invoked { state.config().completion.candidates.max(1) } else { 1 }
}

/// `textDocument/inlineCompletion` (LSP 3.18): ghost text; alternatives to cycle through when
/// the user invoked it.
pub async fn inline(
    client: &Client,
    state: &State,
    params: InlineCompletionParams,
) -> Result<Option<InlineCompletionResponse>> {
    let invoked = params.context.trigger_kind == InlineCompletionTriggerKind::INVOKED;
    let wanted = wanted(state, invoked);
    let (_, suggestion) = run_at(client, state, params.text_document_position, wanted).await?;
    Ok(Some(to_proto::inline_completion(suggestion)))
}

/// How many times a completion-item request follows the user's typing (see [`items`]).
const FOLLOW_TYPING_RETRIES: usize = 2;

/// `textDocument/completion`: the suggestion as a completion item.
///
/// Unlike ghost text, an item outlives a keystroke: the client filters it by the typed word and
/// re-anchors it. So when the user typed (or deleted) at the cursor while the model worked, the
/// stale result is not the end: the request follows the cursor and completes the document as it
/// is now (the engine's prefix cache is warm, or typed-through reuse answers at once), up to
/// [`FOLLOW_TYPING_RETRIES`] times. Helix asks once per pause and never again for the same
/// word, so an empty answer there meant no suggestion at all while the user kept typing.
pub async fn items(
    client: &Client,
    state: &State,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    let uri = params.text_document_position.text_document.uri;
    let mut position = params.text_document_position.position;
    // One suggestion: `CompletionTriggerKind::INVOKED` also means "typing an identifier", so
    // nothing here says that the user asked for alternatives.
    let wanted = 1;
    let mut retries = 0;
    let (texts, cursor) = loop {
        let before = TextAround::at(state, &uri, position)?;
        if let Some(suggestion) = run(client, state, &uri, position, wanted).await? {
            break suggestion;
        }
        let Some(followed) = before.followed(state, &uri) else { return Ok(None) };
        let Some(next) = followed.filter(|_| retries < FOLLOW_TYPING_RETRIES) else {
            // Still typing, or an edit away from the cursor: an empty list that is incomplete,
            // so the client asks again on the next keystroke.
            return Ok(Some(CompletionResponse::List(CompletionList {
                is_incomplete: true,
                items: Vec::new(),
            })));
        };
        retries += 1;
        tracing::debug!(
            retries,
            line = next.line,
            character = next.character,
            "following the typing"
        );
        position = next;
    };
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
    Ok(Some(to_proto::completion_list(&texts, cursor, &line_prefix, state.encoding())))
}

/// A document's version and its text split at a completion's cursor, taken when the request
/// starts, to find the cursor again after the user typed at it.
struct TextAround {
    version: i32,
    before: String,
    after: String,
}

impl TextAround {
    fn at(state: &State, uri: &Uri, position: Position) -> Result<TextAround> {
        let document = state
            .documents
            .get(uri)
            .ok_or_else(|| invalid_params(format!("{} is not open", uri.as_str())))?;
        let mut text = document.text();
        let cursor = document.byte_offset(position_from_lsp(position), state.encoding());
        let after = text.split_off(cursor.min(text.len()));
        Ok(TextAround { version: document.version(), before: text, after })
    }

    /// `None` when the document did not change (the model had nothing to say, or it closed);
    /// `Some(None)` when it changed elsewhere than at the cursor; `Some(Some(position))` when
    /// the user only typed or deleted at the cursor, which is now at `position`.
    fn followed(&self, state: &State, uri: &Uri) -> Option<Option<Position>> {
        let document = state.documents.get(uri)?;
        if document.version() == self.version {
            return None;
        }
        let text = document.text();
        let Some(now_before) = text.strip_suffix(self.after.as_str()) else { return Some(None) };
        let at_cursor =
            now_before.starts_with(self.before.as_str()) || self.before.starts_with(now_before);
        Some(
            at_cursor
                .then(|| position_to_lsp(document.position_of(now_before.len(), state.encoding()))),
        )
    }
}

/// Aborts a spawned task when the request that waits for it is dropped (cancelled).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
