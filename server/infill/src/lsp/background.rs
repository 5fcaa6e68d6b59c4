//! Work the server starts after `initialized` and runs beside the requests: loading the model,
//! indexing the workspace roots with `$/progress`, and registering file watchers.

use std::sync::Arc;
use std::time::Duration;

use infill_ide::completion::{Completer, CompletionSettings};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::*;

use super::EngineSource;
use super::capabilities;
use super::state::State;

/// Loads (or installs) the engine; a configured model loads on a background task.
pub fn start_engine(client: &Client, state: &Arc<State>, source: EngineSource) {
    let settings = CompletionSettings::from(&state.config().completion);
    match source {
        EngineSource::Given(engine) => {
            state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
        }
        EngineSource::Configured => {
            let client = client.clone();
            let state = Arc::clone(state);
            let model = state.config().model;
            tokio::spawn(async move {
                match crate::engine::load(model).await {
                    Ok(engine) => {
                        tracing::info!(capabilities = ?engine.capabilities(), "model ready");
                        state.engine.set_ready(Arc::new(Completer::new(engine, settings)));
                    }
                    Err(error) => {
                        tracing::error!(%error, "model unavailable");
                        client.show_message(MessageType::WARNING, format!("Infill: {error}")).await;
                        state.engine.set_unavailable(error.to_string());
                    }
                }
            });
        }
    }
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
            if !created {
                let _ = indexing.await;
                continue;
            }
            let progress = client
                .progress(token.clone(), "Infill: indexing")
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

/// Asks the client to report file changes (it said it can register watchers dynamically).
pub async fn watch_files(client: &Client) {
    if let Err(error) =
        client.register_capability(vec![capabilities::file_watcher_registration()]).await
    {
        tracing::debug!(%error, "the client did not register file watchers");
    }
}
