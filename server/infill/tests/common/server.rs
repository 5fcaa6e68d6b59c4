//! The in-process server for protocol tests: the real service over an in-memory pipe, with a
//! scripted engine, and the requests most tests send.

use std::sync::{Arc, Once};
use std::time::Duration;

use infill::config::Config;
use infill::lsp::{EngineSource, serve};
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};
use tokio::io::{DuplexStream, ReadHalf, WriteHalf};

use super::Client;

pub type TestClient = Client<ReadHalf<DuplexStream>, WriteHalf<DuplexStream>>;

/// Points the servers of this test process at [`super::test_cache_dir`]: sets
/// `INFILL_CACHE_DIR` once, before the first server starts. The model tests still find the
/// user's fetched model: `INFILL_TEST_MODEL` is set first to where the real cache holds it,
/// unless it is set already.
pub fn isolate_cache() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = super::test_cache_dir();
        let model = std::env::var_os("INFILL_TEST_MODEL")
            .unwrap_or_else(|| infill_engine::models::default_model_path().into_os_string());
        set_env("INFILL_TEST_MODEL", model);
        set_env("INFILL_CACHE_DIR", dir.as_os_str().to_owned());
    });
}

#[allow(unsafe_code)]
fn set_env(key: &str, value: std::ffi::OsString) {
    // SAFETY: called once per process, from `isolate_cache`; the other threads of the test
    // harness read the environment only through `std::env`, whose lock orders those reads
    // with this write.
    unsafe { std::env::set_var(key, value) };
}

pub fn start(engine: EngineSource) -> TestClient {
    isolate_cache();
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_side);
    let (client_read, client_write) = tokio::io::split(client_side);
    let mut config = Config::default();
    config.model.path = Some("/nonexistent/model.gguf".into());
    tokio::spawn(serve(server_read, server_write, config, engine));
    Client::new(client_read, client_write)
}

pub fn scripted(replies: &[ScriptedReply]) -> (Arc<ScriptedEngine>, EngineSource) {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    for reply in replies {
        engine.push(reply.clone());
    }
    (Arc::clone(&engine), EngineSource::Given(engine))
}

pub fn inline_capabilities() -> Value {
    json!({"textDocument": {"inlineCompletion": {}}, "general": {"positionEncodings": ["utf-16"]}})
}

pub async fn open(client: &mut TestClient, uri: &str, language: &str, text: &str) {
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        )
        .await;
}

pub async fn server_text(client: &mut TestClient, uri: &str) -> Value {
    client.request("infill/document", json!({"uri": uri})).await
}

/// Waits (up to 5 s) until the engine is generating: the request reached it.
pub async fn wait_until_generating(engine: &ScriptedEngine) {
    for _ in 0..1000 {
        if engine.running() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the request never reached the engine");
}

/// [`start`] with a configuration of the test's own (a model path, budgets).
pub fn start_with(config: Config, engine: EngineSource) -> TestClient {
    isolate_cache();
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_side);
    let (client_read, client_write) = tokio::io::split(client_side);
    tokio::spawn(serve(server_read, server_write, config, engine));
    Client::new(client_read, client_write)
}
