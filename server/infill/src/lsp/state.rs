//! The server's shared state: configuration, open documents, the engine and local statistics.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use dashmap::DashMap;
use infill_engine::Engine;
use infill_ide::completion::{Completer, CompletionStats};
use infill_ide::workspace::Workspace;
use infill_syntax::{Document, LanguageRegistry, PositionEncoding};
use tokio::task::AbortHandle;
use tower_lsp_server::ls_types::Uri;

use crate::config::Config;

/// The engine, once loaded; or why there is none.
#[derive(Default)]
pub struct EngineSlot {
    inner: RwLock<EngineState>,
}

#[derive(Default, Clone)]
enum EngineState {
    #[default]
    Loading,
    Ready(Arc<Completer>),
    Unavailable(String),
}

impl EngineSlot {
    pub fn set_ready(&self, completer: Arc<Completer>) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = EngineState::Ready(completer);
    }

    pub fn set_unavailable(&self, reason: String) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = EngineState::Unavailable(reason);
    }

    /// The completer, or a message saying why AI features are unavailable.
    pub fn completer(&self) -> Result<Arc<Completer>, String> {
        match &*self.inner.read().unwrap_or_else(|e| e.into_inner()) {
            EngineState::Ready(completer) => Ok(Arc::clone(completer)),
            EngineState::Loading => Err("model is still loading".into()),
            EngineState::Unavailable(reason) => Err(format!("model unavailable: {reason}")),
        }
    }

    /// `loading`, `ready` or `unavailable: ...` for `infill/status`.
    pub fn describe(&self) -> (String, Option<Arc<dyn Engine>>) {
        match &*self.inner.read().unwrap_or_else(|e| e.into_inner()) {
            EngineState::Loading => ("loading".into(), None),
            EngineState::Ready(completer) => ("ready".into(), Some(completer.engine())),
            EngineState::Unavailable(reason) => (format!("unavailable: {reason}"), None),
        }
    }
}

/// Everything the handlers share.
pub struct State {
    pub config: RwLock<Config>,
    pub registry: Arc<LanguageRegistry>,
    pub documents: DashMap<Uri, Document>,
    encoding: AtomicU8,
    pub engine: EngineSlot,
    /// The in-flight completion per document; a newer request aborts it.
    pub inflight: DashMap<Uri, AbortHandle>,
    pub stats: Mutex<CompletionStats>,
    pub workspace: Arc<Workspace>,
    /// The client can register file watchers dynamically.
    pub watch_files: AtomicBool,
    /// The client wants `$/infill/trace` notifications (`trace` in `initialize`, `$/setTrace`).
    pub trace: AtomicBool,
}

impl State {
    pub fn new(config: Config) -> State {
        State {
            config: RwLock::new(config),
            registry: LanguageRegistry::builtin(),
            documents: DashMap::new(),
            encoding: AtomicU8::new(1),
            engine: EngineSlot::default(),
            inflight: DashMap::new(),
            stats: Mutex::new(CompletionStats::default()),
            workspace: Arc::new(Workspace::default()),
            watch_files: false.into(),
            trace: false.into(),
        }
    }

    pub fn config(&self) -> Config {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn encoding(&self) -> PositionEncoding {
        match self.encoding.load(Ordering::Acquire) {
            0 => PositionEncoding::Utf8,
            2 => PositionEncoding::Utf32,
            _ => PositionEncoding::Utf16,
        }
    }

    pub fn set_encoding(&self, encoding: PositionEncoding) {
        let value = match encoding {
            PositionEncoding::Utf8 => 0,
            PositionEncoding::Utf16 => 1,
            PositionEncoding::Utf32 => 2,
        };
        self.encoding.store(value, Ordering::Release);
    }
}
