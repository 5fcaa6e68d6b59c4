//! The server's shared state: configuration, open documents, the engine and local statistics.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use infill_engine::Engine;
use infill_ide::completion::{Completer, CompletionStats};
use infill_ide::workspace::Workspace;
use infill_syntax::{Document, LanguageRegistry, PositionEncoding};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tower_lsp_server::ls_types::Uri;

use crate::config::Config;

/// The engine, once loaded; or why there is none. Requests that arrive while the model loads
/// wait for it (see [`EngineSlot::wait_ready`]) instead of failing.
#[derive(Default)]
pub struct EngineSlot {
    inner: RwLock<EngineState>,
    /// Woken whenever the state leaves `Loading`.
    changed: Notify,
}

#[derive(Default, Clone)]
enum EngineState {
    #[default]
    Loading,
    Ready(Arc<Completer>),
    Unavailable(String),
}

impl EngineSlot {
    /// The model loaded: requests get this completer.
    pub fn set_ready(&self, completer: Arc<Completer>) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = EngineState::Ready(completer);
        self.changed.notify_waiters();
    }

    /// The model failed to load: requests get `reason`.
    pub fn set_unavailable(&self, reason: String) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = EngineState::Unavailable(reason);
        self.changed.notify_waiters();
    }

    /// The completer, or a message saying why AI features are unavailable.
    pub fn completer(&self) -> Result<Arc<Completer>, String> {
        match &*self.inner.read().unwrap_or_else(|e| e.into_inner()) {
            EngineState::Ready(completer) => Ok(Arc::clone(completer)),
            EngineState::Loading => Err("model is still loading".into()),
            EngineState::Unavailable(reason) => Err(format!("model unavailable: {reason}")),
        }
    }

    /// The completer, waiting up to `patience` while the model loads. `Ok(None)` when it is
    /// still loading after that (the request gets no suggestion, not an error); `Err` when the
    /// model is unavailable.
    pub async fn wait_ready(&self, patience: Duration) -> Result<Option<Arc<Completer>>, String> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            // Registered before the state is read, so a change in between is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.completer() {
                Ok(completer) => return Ok(Some(completer)),
                Err(_) if self.is_loading() => {}
                Err(reason) => return Err(reason),
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return Ok(None);
            }
        }
    }

    fn is_loading(&self) -> bool {
        matches!(&*self.inner.read().unwrap_or_else(|e| e.into_inner()), EngineState::Loading)
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
    /// The client takes server-initiated `$/progress` (`window.workDoneProgress`).
    pub work_done_progress: AtomicBool,
    /// The client wants `$/infill/trace` notifications (`trace` in `initialize`, `$/setTrace`).
    pub trace: AtomicBool,
    /// The client sent `shutdown`: the session ends as the protocol asks (exit code 0).
    pub shutdown_requested: AtomicBool,
    /// What the client can do with code actions and edits.
    pub action_client: RwLock<super::actions::ActionClient>,
    /// The security rules (diagnostics and the suggestion filter).
    pub security: Arc<infill_security::SecurityRules>,
    /// The pending (debounced) security check per document.
    pub diagnostics_pending: DashMap<Uri, AbortHandle>,
    /// Running refactors by their progress token, for the progress cancel button.
    pub cancellable: DashMap<tower_lsp_server::ls_types::NumberOrString, AbortHandle>,
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
            work_done_progress: false.into(),
            trace: false.into(),
            shutdown_requested: false.into(),
            action_client: RwLock::default(),
            security: infill_security::SecurityRules::builtin(),
            diagnostics_pending: DashMap::new(),
            cancellable: DashMap::new(),
        }
    }

    pub fn config(&self) -> Config {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn action_client(&self) -> super::actions::ActionClient {
        *self.action_client.read().unwrap_or_else(|e| e.into_inner())
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
