//! Work the server starts after `initialized` and runs beside the requests: loading the model,
//! indexing the workspace roots with `$/progress`, and registering file watchers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use infill_ide::completion::{Completer, CompletionSettings};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::*;

use super::EngineSource;
use super::capabilities;
use super::state::State;

/// Loads (or installs) the engine; a model loads on a background task, announced with
/// `$/progress` (`Infill: loading model`) when the client takes a progress token. Requests
/// meanwhile wait for it (`EngineSlot::wait_ready`).
pub fn start_engine(client: &Client, state: &Arc<State>, source: EngineSource) {
    let settings = CompletionSettings::from(&state.config().completion);
    let loading = match source {
        EngineSource::Given(engine) => {
            state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
            return;
        }
        EngineSource::Pending(loading) => loading,
        EngineSource::Configured => {
            let config = state.config();
            Box::pin(crate::engine::load(config.model, config.engine))
        }
    };
    let client = client.clone();
    let state = Arc::clone(state);
    // The load starts now, whatever the client does with the progress token.
    let loaded = tokio::spawn(loading);
    tokio::spawn(async move {
        let progress = match progress_token(&client, &state, "infill/model").await {
            Some(token) => Some(client.progress(token, "Infill: loading model").begin().await),
            None => None,
        };
        let loaded = loaded.await.unwrap_or_else(|join| {
            Err(infill_engine::EngineError::Unavailable(format!("loading failed: {join}")))
        });
        let message = match loaded {
            Ok(engine) => {
                tracing::info!(capabilities = ?engine.capabilities(), "model ready");
                let name = engine.capabilities().name;
                state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
                format!("{name} ready")
            }
            Err(error) => {
                tracing::error!(%error, "model unavailable");
                state.engine.set_unavailable(error.to_string());
                client.show_message(MessageType::WARNING, format!("Infill: {error}")).await;
                format!("model unavailable: {error}")
            }
        };
        if let Some(progress) = progress {
            progress.finish_with_message(message).await;
        }
    });
}

/// Indexes the workspace roots on blocking threads, reporting `$/progress` when the client
/// accepts a progress token. Requests are served meanwhile.
pub fn start_indexing(client: &Client, state: &Arc<State>) {
    let roots = state.workspace.roots();
    if roots.is_empty() || !state.config().context.enabled {
        return;
    }
    let client = client.clone();
    let workspace = Arc::clone(&state.workspace);
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let token = progress_token(&client, &state, "infill/indexing").await;
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
            let Some(token) = token.clone() else {
                let _ = indexing.await;
                continue;
            };
            let progress = client
                .progress(token, "Infill: indexing")
                .with_message(root.display().to_string())
                .with_percentage(0)
                .begin()
                .await;
            while receiver.changed().await.is_ok() {
                let (done, total) = *receiver.borrow_and_update();
                let percent = (done * 100).checked_div(total).unwrap_or(0) as u32;
                progress.report_with_message(format!("{done}/{total} files"), percent).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let message = match indexing.await {
                Ok(report) => {
                    format!("{} files indexed, {} skipped", report.indexed, report.skipped.len())
                }
                Err(_) => "indexing failed".into(),
            };
            progress.finish_with_message(message).await;
        }
    });
}

/// A `$/progress` token the client accepted, when it supports server-initiated progress.
pub(super) async fn progress_token(
    client: &Client,
    state: &State,
    name: &str,
) -> Option<NumberOrString> {
    if !state.work_done_progress.load(Ordering::Acquire) {
        return None;
    }
    let token = NumberOrString::String(name.into());
    let params = WorkDoneProgressCreateParams { token: token.clone() };
    client.send_request::<request::WorkDoneProgressCreate>(params).await.ok().map(|()| token)
}

/// Asks the client to report file changes (it said it can register watchers dynamically).
pub async fn watch_files(client: &Client) {
    if let Err(error) =
        client.register_capability(vec![capabilities::file_watcher_registration()]).await
    {
        tracing::debug!(%error, "the client did not register file watchers");
    }
}
