//! A remote engine whose server stalls after its headers never blocks the editor: while a
//! completion waits on it, document sync and other requests are answered, and `infill/status`
//! shows the endpoint.

#![cfg(feature = "remote")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::server::{inline_capabilities, open, server_text, start};
use infill::lsp::EngineSource;
use infill_engine::{Backend, EngineConfig, RemoteEngine};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future).await.expect("the server hung")
}

#[tokio::test]
async fn a_stalled_server_does_not_block_sync_or_other_requests() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
                    .await;
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    let config = EngineConfig {
        backend: Backend::Openai,
        endpoints: vec![url.clone()],
        model: Some("m".into()),
        family: Some("qwen-coder".into()),
        first_byte_timeout_ms: 30_000,
        ..EngineConfig::default()
    };
    let engine = Arc::new(RemoteEngine::with_api_key(&config, None).unwrap());
    let mut client = start(EngineSource::Given(engine));
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/a.py";
    open(&mut client, uri, "python", "def f():\n    return \n").await;
    let pending = client
        .request_async(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2},
                   "contentChanges": [{"range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 11}}, "text": "1"}]}),
        )
        .await;
    let document = bounded(server_text(&mut client, uri)).await;
    assert_eq!(document["result"]["version"], 2, "{document}");
    assert!(
        document["result"]["text"].as_str().unwrap_or_default().contains("return 1"),
        "{document}"
    );
    let status = bounded(client.request("infill/status", json!({}))).await;
    let endpoints = &status["result"]["remote"]["endpoints"];
    assert_eq!(endpoints[0]["url"], url.as_str(), "{status}");
    assert_eq!(endpoints[0]["outstanding"], 1, "the completion is still waiting: {status}");
    assert!(status["result"]["remote"]["token_counts"].is_string(), "{status}");
    client.notify("$/cancelRequest", json!({"id": pending})).await;
}
