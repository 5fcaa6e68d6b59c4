//! Logging through `tracing`, to stderr or a file and never to stdout (stdout is the protocol).

use std::path::Path;

use tracing_subscriber::EnvFilter;

/// Installs the subscriber. `INFILL_LOG` wins over the configured level.
pub fn init(level: Option<&str>, file: Option<&Path>) -> anyhow::Result<()> {
    let filter = std::env::var("INFILL_LOG")
        .ok()
        .or_else(|| level.map(str::to_string))
        .unwrap_or_else(|| "info".into());
    // mistral.rs and its dependencies log a lot at info; keep them at warn unless asked.
    let filter = if filter.contains("mistralrs") {
        filter
    } else {
        format!(
            "warn,infill={filter},infill_engine={filter},infill_ide={filter},infill_context={filter},infill_syntax={filter}"
        )
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(false);
    let result = match file {
        Some(path) => {
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            builder.with_writer(std::sync::Mutex::new(file)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}
