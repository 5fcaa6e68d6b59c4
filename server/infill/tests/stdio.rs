//! End to end: the built `infill` binary, spoken to over its stdin/stdout.

mod common;

use std::process::Stdio;

use common::Client;
use serde_json::{Value, json};

type StdioClient = Client<tokio::process::ChildStdout, tokio::process::ChildStdin>;

/// Starts the built binary with `args` (no model) and a client on its stdio.
fn spawn(args: &[&str]) -> (tokio::process::Child, StdioClient) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_infill"))
        .args(args)
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
    (child, Client::new(stdout, stdin))
}

#[tokio::test]
async fn the_binary_serves_lsp_over_stdio() {
    let (mut child, mut client) = spawn(&["lsp", "--stdio"]);

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

/// `vscode-languageclient` appends `--stdio` to the configured arguments, so a documented
/// `infill lsp --stdio` arrives as `infill lsp --stdio --stdio`; node transports add
/// `--clientProcessId=N`. The server must start with them, as other servers do.
#[tokio::test]
async fn the_launch_arguments_language_clients_add_are_accepted() {
    for args in [
        &["lsp", "--stdio", "--stdio"][..],
        &["--stdio"][..],
        &["lsp", "--stdio", &format!("--clientProcessId={}", std::process::id())][..],
    ] {
        let (mut child, mut client) = spawn(args);
        let response = client.initialize(json!({}), Value::Null).await;
        assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{args:?}: {response}");
        client.request("shutdown", Value::Null).await;
        client.notify("exit", Value::Null).await;
        let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
            .await
            .expect("the server exits after `exit`")
            .unwrap();
        assert!(status.success(), "{args:?}: {status}");
    }
}

/// The server exits when the client process named by `--clientProcessId` dies, instead of
/// staying behind as an orphan holding the model.
#[cfg(unix)]
#[tokio::test]
async fn the_server_exits_when_the_client_process_dies() {
    let mut editor = std::process::Command::new("sleep").arg("600").spawn().unwrap();
    let (mut child, mut client) =
        spawn(&["lsp", "--stdio", &format!("--clientProcessId={}", editor.id())]);
    let response = client.initialize(json!({}), Value::Null).await;
    assert_eq!(response["result"]["serverInfo"]["name"], "infill", "{response}");
    // Still serving while the editor lives.
    assert!(child.try_wait().unwrap().is_none());
    editor.kill().unwrap();
    editor.wait().unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("the server exits once its client's process is gone")
        .unwrap();
    assert!(status.success(), "{status}");
    drop(client);
}
