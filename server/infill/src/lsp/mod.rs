//! The LSP edge: tower-lsp-server over stdio, open documents, and the requests that reach the
//! features. Only this module knows LSP and JSON-RPC types.

pub mod convert;
mod handlers;
mod state;

use std::sync::Arc;

use infill_engine::Engine;
use tower_lsp_server::{LspService, Server};

pub use handlers::Backend;
pub use state::{EngineSlot, State};

use crate::config::Config;

/// How the server gets its engine.
pub enum EngineSource {
    /// Load the configured model in the background after `initialized`.
    Configured,
    /// Use this engine (tests, embedding).
    Given(Arc<dyn Engine>),
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
        .finish()
}

/// Serves LSP on stdin/stdout until the client exits.
pub async fn serve_stdio(config: Config) {
    let (service, socket) = service(config, EngineSource::Configured);
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
}
