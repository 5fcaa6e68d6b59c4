//! Faults: what the server does when its surroundings misbehave. A client that goes away in the
//! middle of a request, `exit` without `shutdown`, a burst of requests sent without waiting, a
//! workspace folder deleted under the index, a model file that is garbage. In process where the
//! process does not matter; the built binary where it does (exit, exit codes, orphans).
//!
//! There is no test of a read-only cache directory: nothing the language server runs writes
//! there. The only writes under the cache directory (`server/infill/src/models.rs`: the model and
//! pip's wheels) belong to `infill model fetch`, a separate command; `server/engine/src` and the
//! LSP edge write no file at run time (the log file, when configured, is the user's path).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::server::*;
use common::spawn_binary;
use infill::config::Config;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

/// Waits up to 10 s for the child to exit; panics if it does not (an orphan).
async fn exits(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the server exits within 10 s")
        .unwrap()
}

/// A client that disconnects while a completion is pending: the request waits for a model that
/// is still loading (its file is a FIFO nobody writes, so the load blocks), the client closes
/// the server's stdin, and the process exits by itself, not killed by a signal.
#[tokio::test]
async fn a_client_that_disconnects_mid_request_leaves_no_orphan() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("blocked.gguf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (mut child, mut client) =
        spawn_binary(&["lsp", "--stdio"], &[("INFILL_MODEL", fifo.to_str().unwrap())]);
    client
        .initialize(inline_capabilities(), json!({"completion": {"time_budget_ms": 600_000}}))
        .await;
    let uri = "file:///project/a.py";
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = \n"}}),
        )
        .await;
    let id = client
        .request_async(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 1}}),
        )
        .await;
    // The server is alive and the completion is still pending: the status (sent after it) is
    // answered first, and says the model is loading.
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["engine"], "loading", "{status}");
    assert!(client.pending.iter().all(|m| m["id"] != json!(id)), "{:?}", client.pending);

    drop(client); // closes stdin (and our end of stdout)
    let status = exits(&mut child).await;
    assert!(status.code().is_some(), "killed by a signal: {status}");
    // Per the LSP spec the session did not end with `shutdown`: exit code 1.
    assert_eq!(status.code(), Some(1), "{status}");
}

/// `exit` without `shutdown`: the LSP spec says the server exits with code 1 (0 only after a
/// `shutdown`). tower-lsp-server ends the session on `exit` either way and leaves the code to
/// the binary, which reports whether `shutdown` came first.
#[tokio::test]
async fn exit_without_shutdown_exits_with_code_1() {
    let (mut child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);
    client.initialize(json!({}), Value::Null).await;
    client.notify("exit", Value::Null).await;
    let status = exits(&mut child).await;
    assert_eq!(status.code(), Some(1), "{status}");

    // And with `shutdown` first, 0.
    let (mut child, mut client) = spawn_binary(&["lsp", "--stdio"], &[]);
    client.initialize(json!({}), Value::Null).await;
    let shutdown = client.request("shutdown", Value::Null).await;
    assert!(shutdown.get("error").is_none(), "{shutdown}");
    client.notify("exit", Value::Null).await;
    let status = exits(&mut child).await;
    assert_eq!(status.code(), Some(0), "{status}");
}

/// A thousand requests (status, document, completion) and some edits sent without reading a
/// reply: every request is answered, and the document is what the edits made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_a_thousand_requests_is_answered_in_full() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("42")
    }));
    let mut client = start(EngineSource::Given(engine));
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/burst.py";
    let mut text = String::from("x = \n");
    open(&mut client, uri, "python", &text).await;
    let mut sent = Vec::new();
    let mut version = 1;
    for i in 0..1000 {
        let (method, params) = match i % 3 {
            0 => ("infill/status", json!({})),
            1 => ("infill/document", json!({"uri": uri})),
            _ => (
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}}),
            ),
        };
        sent.push((client.request_async(method, params).await, method));
        if i % 50 == 0 {
            // An edit at the end of the file, away from the completions' cursor.
            version += 1;
            let line = text.matches('\n').count();
            client
                .notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [
                        {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": "y😀 = 1\n"}
                    ]}),
                )
                .await;
            text.push_str("y😀 = 1\n");
        }
    }
    let mut completed = 0;
    for (id, method) in sent {
        let response = client.response(id).await;
        match (method, response.get("error")) {
            ("textDocument/inlineCompletion", Some(error)) => {
                // A newer completion for the same document superseded it.
                assert_eq!(error["code"], -32800, "{response}");
            }
            ("textDocument/inlineCompletion", None) => completed += 1,
            ("infill/status", None) => {
                assert_eq!(response["result"]["open_documents"], 1, "{response}")
            }
            ("infill/document", None) => assert!(response["result"]["text"].is_string()),
            (_, _) => panic!("{method} failed: {response}"),
        }
    }
    assert!(completed >= 1, "the last completion is superseded by none");
    let document = server_text(&mut client, uri).await;
    assert_eq!(document["result"]["text"].as_str(), Some(text.as_str()));
    assert_eq!(document["result"]["version"], version);
}

/// The workspace folder is deleted right after `initialized` (while the index walks it, or
/// after), then the client reports its files deleted: completions and context requests on the
/// still-open buffer are answered, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_workspace_folder_is_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    for i in 0..50 {
        std::fs::write(
            root.join(format!("pkg/m{i}.py")),
            format!("from pkg.m{} import f{}\n\ndef f{i}(x):\n    return x + {i}\n", i / 2, i / 2),
        )
        .unwrap();
    }
    std::fs::write(root.join("main.py"), "from pkg.m3 import f3\n\nprint(f3(1))\n").unwrap();
    let root_uri = format!("file://{}", root.display());
    let main_uri = format!("{root_uri}/main.py");
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text(" + 1")
    }));
    let mut client = start(EngineSource::Given(engine));
    client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": inline_capabilities(),
                   "workspaceFolders": [{"uri": root_uri, "name": "project"}]}),
        )
        .await;
    client.notify("initialized", json!({})).await;
    open(&mut client, &main_uri, "python", "from pkg.m3 import f3\n\nprint(f3(1))\n").await;
    std::fs::remove_dir_all(&root).unwrap();
    let changes: Vec<Value> = (0..50)
        .map(|i| json!({"uri": format!("{root_uri}/pkg/m{i}.py"), "type": 3}))
        .chain([json!({"uri": main_uri, "type": 3}), json!({"uri": root_uri, "type": 3})])
        .collect();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": changes})).await;

    let at = json!({"textDocument": {"uri": main_uri}, "position": {"line": 2, "character": 11}});
    let completion = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": at["textDocument"], "position": at["position"], "context": {"triggerKind": 1}}),
        )
        .await;
    assert_eq!(completion["result"][0]["insertText"], " + 1", "{completion}");
    let context = client.request("infill/context", at.clone()).await;
    assert!(context.get("error").is_none(), "{context}");
    // Which snippets come back is not asserted: a delete reported while the first walk still
    // runs can be undone by the walk, which read the file before it was deleted (a known race of
    // the index, not of this edge).
    assert!(context["result"]["snippets"].is_array(), "{context}");
    // A change reported for a file that no longer exists is a removal, not a failure.
    client
        .notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": format!("{root_uri}/pkg/m1.py"), "type": 2}]}),
        )
        .await;
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["open_documents"], 1, "{status}");
    let document = server_text(&mut client, &main_uri).await;
    assert_eq!(document["result"]["text"], "from pkg.m3 import f3\n\nprint(f3(1))\n");
    assert!(client.pending.iter().all(|m| m.get("error").is_none()), "{:?}", client.pending);
}

/// A model file that is garbage (random bytes, or a GGUF magic and then garbage): completions get
/// the "model unavailable" error naming the file, the status says so, and the requests that
/// need no model keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_model_file_is_a_clear_error_and_non_ai_requests_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut garbage = vec![0u8; 4096];
    let mut seed: u32 = 7;
    for byte in &mut garbage {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        *byte = seed as u8;
    }
    let mut truncated = b"GGUF\x03\x00\x00\x00".to_vec();
    truncated.extend_from_slice(&garbage[..100]);
    for (name, bytes) in [("x.gguf", &garbage), ("truncated.gguf", &truncated)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut config = Config::default();
        config.model.path = Some(path.clone());
        let mut client = start_with(config, EngineSource::Configured);
        client.initialize(inline_capabilities(), Value::Null).await;
        let uri = "file:///work/a.py";
        open(&mut client, uri, "python", "def f():\n    return ").await;
        let mut response = Value::Null;
        for _ in 0..500 {
            response = client
                .request(
                    "textDocument/inlineCompletion",
                    json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
                )
                .await;
            if response.get("error").is_some() {
                break;
            }
            // Still loading: no suggestion yet.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(response["error"]["code"], -32001, "{name}: {response}");
        let message = response["error"]["message"].as_str().unwrap();
        assert!(message.contains("model unavailable"), "{name}: {message}");
        assert!(message.contains(name), "{name}: the message names the file: {message}");
        let status = client.request("infill/status", json!({})).await;
        let engine = status["result"]["engine"].as_str().unwrap();
        assert!(engine.starts_with("unavailable"), "{name}: {status}");
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "y = 1\n"}]}),
            )
            .await;
        let document = server_text(&mut client, uri).await;
        assert_eq!(document["result"]["text"], "y = 1\n", "{name}");
        let context = client
            .request(
                "infill/context",
                json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}),
            )
            .await;
        assert!(context.get("error").is_none(), "{name}: {context}");
    }
}
