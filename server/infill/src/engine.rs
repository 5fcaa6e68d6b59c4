//! Chooses and loads the engine the configuration names.

use std::sync::Arc;

use infill_engine::{Engine, EngineError, LocalEngineConfig};

/// Loads the configured model in process.
#[cfg(feature = "mistralrs")]
pub async fn load(config: LocalEngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    let engine = infill_engine::LocalEngine::load(config).await?;
    Ok(Arc::new(engine))
}

/// Without the `mistralrs` feature there is no in-process engine.
#[cfg(not(feature = "mistralrs"))]
pub async fn load(config: LocalEngineConfig) -> Result<Arc<dyn Engine>, EngineError> {
    if let Some(path) = &config.path {
        infill_engine::models::check_model_file(path)
            .map_err(|e| EngineError::Unavailable(e.to_string()))?;
    }
    Err(EngineError::Unavailable(
        "this build of infill has no in-process engine (built without the `mistralrs` feature)"
            .into(),
    ))
}
