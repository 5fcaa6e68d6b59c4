//! Document synchronisation: open, change, save, close and watched-file events.
//!
//! Architecture invariant: `didChange` edits are applied here, in arrival order and
//! synchronously, before any `.await`; a change for a stale version is ignored.

use std::path::PathBuf;
use std::sync::Arc;

use infill_ide::completion::FileLabel;
use infill_ide::edits::LineChange;
use infill_syntax::{Document, DocumentLimits, Position, PositionEncoding};
use tower_lsp_server::ls_types::*;

use super::convert::{self, change_from_lsp};
use super::state::State;

/// `textDocument/didOpen`: the document starts to live in the server; the index learns its text.
pub fn did_open(state: &State, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    let language = state.registry.by_name(&item.language_id).or_else(|| {
        convert::uri_to_path(&item.uri).and_then(|path| state.registry.for_path(&path))
    });
    let limits = DocumentLimits::from(&state.config().documents);
    let document = Document::new(&item.text, item.version, language, &limits);
    if let Some(path) = convert::uri_to_path(&item.uri) {
        state.workspace.opened(&path);
        state.workspace.update_file(&path, &item.text);
    }
    state.documents.insert(item.uri, document);
}

/// `textDocument/didChange`: applies the changes in order, now.
pub fn did_change(state: &State, params: DidChangeTextDocumentParams) {
    let uri = &params.text_document.uri;
    let version = params.text_document.version;
    let Some(mut document) = state.documents.get_mut(uri) else {
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
    let encoding = state.encoding();
    let path = convert::uri_to_path(uri);
    let label = path.as_ref().map(|path| FileLabel::for_path(path, &state.workspace.roots()).path);
    for change in params.content_changes {
        let change = change_from_lsp(change);
        // The changed lines before and after, for the recent-edits section of prompts (small
        // edits only: a paste of a whole file is no small diff).
        let lines = change.range.filter(|_| change.text.len() <= EDIT_BYTES).and_then(|range| {
            let first = range.start.line.min(range.end.line);
            let last = range.start.line.max(range.end.line);
            (last - first < EDIT_LINES).then(|| (first, lines_of(&document, first, last)))
        });
        document.apply_change(&change, encoding);
        if let (Some((first, before)), Some(path), Some(label)) = (lines, &path, &label) {
            let new_last = first.saturating_add(change.text.matches('\n').count() as u32);
            let after = lines_of(&document, first, new_last);
            state.workspace.record_edit(&LineChange {
                path,
                label,
                first_line: first as usize,
                before: &before,
                after: &after,
            });
        }
    }
    document.set_version(version);
    if let Some(path) = path {
        state.workspace.edited(&path);
    }
}

/// The largest change text, in bytes, and the most lines, that count as a recent edit.
const EDIT_BYTES: usize = 16 * 1024;
const EDIT_LINES: u32 = 64;

/// Lines `first..=last` of `document`, each ending in a newline.
fn lines_of(document: &Document, first: u32, last: u32) -> String {
    let start =
        document.byte_offset(Position { line: first, character: 0 }, PositionEncoding::Utf8);
    let line_after = Position { line: last.saturating_add(1), character: 0 };
    let end = document.byte_offset(line_after, PositionEncoding::Utf8);
    let mut text = document.slice(start..end);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// `textDocument/didSave`: the index takes the saved text.
pub async fn did_save(state: &State, params: DidSaveTextDocumentParams) {
    let uri = params.text_document.uri;
    let Some(path) = convert::uri_to_path(&uri) else { return };
    if path.file_name().is_some_and(|name| name == infill_context::privacy::IGNORE_FILE_NAME) {
        state.workspace.forget_ignore_files();
    }
    let Some(text) = state.documents.get(&uri).map(|d| d.text()) else { return };
    let workspace = Arc::clone(&state.workspace);
    let _ = tokio::task::spawn_blocking(move || workspace.update_file(&path, &text)).await;
}

/// `textDocument/didClose`: its in-flight completion stops and the server forgets it.
pub fn did_close(state: &State, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if let Some((_, task)) = state.inflight.remove(&uri) {
        task.abort();
    }
    state.documents.remove(&uri);
}

/// `workspace/didChangeWatchedFiles`: files changed on disk outside the editor's buffers.
pub async fn did_change_watched_files(state: &State, params: DidChangeWatchedFilesParams) {
    let ignore_file = infill_context::privacy::IGNORE_FILE_NAME;
    if params.changes.iter().any(|change| change.uri.path().as_str().ends_with(ignore_file)) {
        state.workspace.forget_ignore_files();
    }
    let workspace = Arc::clone(&state.workspace);
    let open: Vec<PathBuf> =
        state.documents.iter().filter_map(|entry| convert::uri_to_path(entry.key())).collect();
    let _ = tokio::task::spawn_blocking(move || {
        for change in params.changes {
            let Some(path) = convert::uri_to_path(&change.uri) else { continue };
            if change.typ == FileChangeType::DELETED {
                workspace.remove_file(&path);
                workspace.forget_edits(&path);
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
