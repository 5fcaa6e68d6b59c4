//! The model-loading path through the protocol: requests wait for a loading model, within
//! the time budget, and `$/progress` announces the load.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::server::*;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

/// A model that loads when the test says so.
fn loading_later(engine: Arc<ScriptedEngine>) -> (tokio::sync::oneshot::Sender<()>, EngineSource) {
    let (release, loaded) = tokio::sync::oneshot::channel::<()>();
    let source = EngineSource::Pending(Box::pin(async move {
        let _ = loaded.await;
        Ok(engine as Arc<dyn infill_engine::Engine>)
    }));
    (release, source)
}

#[tokio::test]
async fn a_request_while_the_model_loads_waits_for_it_and_progress_says_so() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("a + b"));
    let (release, source) = loading_later(Arc::clone(&engine));
    let mut client = start(source);
    let mut capabilities = inline_capabilities();
    capabilities["window"] = json!({"workDoneProgress": true});
    client.initialize(capabilities, Value::Null).await;
    let uri = "file:///work/math.py";
    open(&mut client, uri, "python", "def add(a, b):\n    return \n").await;
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["engine"], "loading", "{status}");
    let id = client
        .request_async(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
        )
        .await;
    // Let the request reach the server while the model is still loading; a server that
    // answered "still loading" would have done so by now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    release.send(()).unwrap();
    let response = client.response(id).await;
    assert_eq!(response["result"][0]["insertText"], "a + b", "{response}");
    let progress: Vec<&Value> = client
        .pending
        .iter()
        .filter(|m| m["method"] == "$/progress" && m["params"]["token"] == "infill/model")
        .collect();
    assert_eq!(progress.first().map(|m| &m["params"]["value"]["kind"]), Some(&json!("begin")));
    assert_eq!(progress.first().unwrap()["params"]["value"]["title"], "Infill: loading model");
    for _ in 0..100 {
        if client.pending.iter().any(|m| {
            m["params"]["token"] == "infill/model" && m["params"]["value"]["kind"] == "end"
        }) {
            return;
        }
        client.request("infill/status", json!({})).await;
    }
    panic!("no end of the loading progress: {:?}", client.pending);
}

#[tokio::test]
async fn a_model_that_loads_longer_than_the_budget_gives_no_suggestion_not_an_error() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    let (_release, source) = loading_later(Arc::clone(&engine));
    let mut client = start(source);
    client.initialize(inline_capabilities(), json!({"completion": {"time_budget_ms": 50}})).await;
    let uri = "file:///work/math.py";
    open(&mut client, uri, "python", "def add(a, b):\n    return \n").await;
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    assert_eq!(response["result"], json!([]), "{response}");
    assert!(engine.prompts().is_empty());
}
