//! The LSP edge: tower-lsp-server over stdio, open documents, and the requests that reach the
//! features. Only this module knows LSP and JSON-RPC types.
//!
//! * `backend` — `initialize`, the lifecycle and the dispatch of every method.
//! * [`capabilities`] — what the client supports and what the server advertises.
//! * `sync` — document open/change/save/close and watched files.
//! * `completion` — completion requests: snapshot, cancel-previous, stale-result drop.
//! * `to_proto` — suggestions as inline completion items and completion items.
//! * [`ext`] — Infill's custom methods and notifications, their wire types.
//! * `background` — model loading, workspace indexing with `$/progress`, file watchers.
//! * `guard` — panics become error replies; the JSON-RPC errors the handlers use.
//! * [`convert`] — positions, ranges, encodings and paths between LSP and our types.
//! * [`framing`] — answers malformed messages instead of ending the session.
//! * `state` — what the handlers share.

pub mod actions;
mod backend;
mod background;
pub mod capabilities;
mod completion;
pub mod convert;
mod diagnostics;
pub mod ext;
pub mod framing;
mod guard;
mod state;
mod sync;
mod to_proto;

use std::sync::Arc;

use futures::future::BoxFuture;
use infill_engine::{Engine, EngineError};
use tower_lsp_server::{LspService, Server};

pub use backend::Backend;
pub use state::{EngineSlot, State};

use crate::config::Config;

/// How long requests still pending when the client closes its input may take to finish.
const HANGUP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How the server gets its engine.
pub enum EngineSource {
    /// Load the configured model in the background after `initialized`.
    Configured,
    /// Use this engine (tests, embedding).
    Given(Arc<dyn Engine>),
    /// Use the engine this future loads, in the background after `initialized` (tests of the
    /// loading path, embedding).
    Pending(BoxFuture<'static, Result<Arc<dyn Engine>, EngineError>>),
}

/// Builds the service; the caller drives it with a transport.
pub fn service(
    config: Config,
    engine: EngineSource,
) -> (LspService<Backend>, tower_lsp_server::ClientSocket) {
    LspService::build(move |client| Backend::new(client, config, engine))
        .custom_method("infill/document", Backend::document)
        .custom_method("infill/status", Backend::status)
        .custom_method("textDocument/inlineCompletion", Backend::inline_completion)
        .custom_method("infill/didAccept", Backend::did_accept)
        .custom_method("infill/didFocus", Backend::did_focus)
        .custom_method("infill/context", Backend::context)
        .custom_method("$/setTrace", Backend::set_trace)
        .custom_method("window/workDoneProgress/cancel", Backend::work_done_progress_cancel)
        .custom_method(framing::MALFORMED_METHOD, Backend::malformed_message)
        .finish()
}

/// Serves LSP on `input`/`output` until the client exits or closes `input`. Malformed messages
/// are answered with errors and the session goes on (see [`framing`]). Returns whether the
/// client sent `shutdown` first: the LSP spec asks for exit code 0 then, and 1 otherwise (an
/// `exit` without `shutdown`, or a client that closed the stream).
pub async fn serve<R, W>(input: R, output: W, config: Config, engine: EngineSource) -> bool
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (service, socket) = service(config, engine);
    let state = Arc::clone(&service.inner().state);
    let (pumped, server_input) = tokio::io::duplex(1 << 20);
    let (closed, input_closed) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        if let Err(error) = framing::pump(input, pumped).await {
            tracing::warn!(%error, "reading the client's messages failed");
        }
        drop(closed);
    });
    let serving = Server::new(server_input, output, socket).serve(service);
    tokio::pin!(serving);
    tokio::select! {
        () = &mut serving => {}
        _ = input_closed => {
            // The client hung up. tower-lsp-server would wait for every pending request (a
            // completion waits up to its time budget, or for a model still loading); the
            // messages already sent get a moment to be handled, then pending requests are
            // dropped, which stops their generations, and the process can exit: no orphan.
            if tokio::time::timeout(HANGUP_GRACE, &mut serving).await.is_err() {
                tracing::info!("the client closed its input; dropping the pending requests");
            }
        }
    }
    state.shutdown_requested.load(std::sync::atomic::Ordering::Acquire)
}

/// Serves LSP on stdin/stdout; returns whether the client sent `shutdown` (see [`serve`]).
pub async fn serve_stdio(config: Config) -> bool {
    serve(tokio::io::stdin(), tokio::io::stdout(), config, EngineSource::Configured).await
}
