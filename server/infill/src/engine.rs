//! Chooses and loads the engine the configuration names: the model in process (`[model]`), or a
//! server over HTTP (`[engine] backend = "openai" | "ollama" | "tgi"`). Only a remote backend
//! opens a socket.

use std::sync::Arc;

use infill_engine::{Backend, Engine, EngineConfig, EngineError, LocalEngineConfig};

/// Loads the engine `engine.backend` names: `model` in process, or a remote server.
pub async fn load(
    model: LocalEngineConfig,
    engine: EngineConfig,
) -> Result<Arc<dyn Engine>, EngineError> {
    match engine.backend {
        Backend::Embedded => load_local(model).await,
        Backend::Openai | Backend::Ollama | Backend::Tgi => load_remote(&engine).await,
    }
}

/// A remote server: its endpoints are checked and asked for their tokenizer, family and context
/// length (what the configuration leaves out); a server that is down only leaves counts
/// approximate.
#[cfg(feature = "remote")]
async fn load_remote(engine: &EngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    let remote = infill_engine::RemoteEngine::new(engine)?;
    let report = remote.probe().await;
    tracing::info!(?report, "remote engine probed");
    Ok(Arc::new(remote))
}

/// Without the `remote` feature there are no HTTP backends.
#[cfg(not(feature = "remote"))]
async fn load_remote(engine: &EngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    Err(EngineError::Unavailable(format!(
        "backend \"{}\" needs a build of infill with the `remote` feature",
        engine.backend.name()
    )))
}

/// Loads the configured model in process.
#[cfg(feature = "mistralrs")]
async fn load_local(config: LocalEngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    let engine = infill_engine::LocalEngine::load(config).await?;
    Ok(Arc::new(engine))
}

/// Without the `mistralrs` feature there is no in-process engine.
#[cfg(not(feature = "mistralrs"))]
async fn load_local(config: LocalEngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    if let Some(path) = &config.path {
        infill_engine::models::check_model_file(path)
            .map_err(|e| EngineError::Unavailable(e.to_string()))?;
    }
    Err(EngineError::Unavailable(
        "this build of infill has no in-process engine (built without the `mistralrs` feature)"
            .into(),
    ))
}
