//! End to end: the built `infill` binary, spoken to over its stdin/stdout.

mod common;

use std::process::Stdio;

use common::Client;
use serde_json::{Value, json};

#[tokio::test]
async fn the_binary_serves_lsp_over_stdio() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_infill"))
        .args(["lsp", "--stdio"])
        .env("INFILL_MODEL", "/nonexistent/model.gguf")
        .env("INFILL_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the infill binary starts");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut client = Client::new(stdout, stdin);

    let response = client.initialize(json!({}), Value::Null).await;
    assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{response}");
    let uri = "file:///project/notes.py";
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}, "text": "\"日本😀\""}
            ]}),
        )
        .await;
    client.send_raw(b"{\"broken\": ").await;
    let document = client.request("infill/document", json!({"uri": uri})).await;
    assert_eq!(document["result"]["text"], "x = \"日本😀\"\n", "{document}");
    assert_eq!(document["result"]["language"], "python");

    let shutdown = client.request("shutdown", Value::Null).await;
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    client.notify("exit", Value::Null).await;
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits after `exit`")
        .unwrap();
    assert!(status.success(), "{status}");
}
