//! Planted secrets never leave: the real binary serves a workspace with secrets in it (a `.env`,
//! a private key, a credentials file, token-shaped lines in ordinary code) through a remote
//! backend, so everything that leaves the process crosses a socket this test holds. After
//! completions in ordinary and secret files, an explanation and a refactor attempt, no planted
//! value appears in any request to the model server, in any message to the editor, or in the log
//! at the default level, and that log holds no source code.

#![cfg(feature = "remote")]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const MARKER: &str = "PLANTED";

/// A model server on loopback that records every request and answers with a fixed completion
/// (SSE), or a model list.
async fn model_server(requests: Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body).await;
                let body = String::from_utf8_lossy(&body).into_owned();
                requests.lock().unwrap().push(format!("{head}{body}"));
                let response = if head.starts_with("GET") {
                    let json = r#"{"object":"list","data":[{"id":"fixture","object":"model"}]}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    )
                } else {
                    let chunk = if body.contains("\"messages\"") {
                        r#"{"choices":[{"index":0,"delta":{"content":"It adds the invoice lines."}}]}"#
                    } else {
                        r#"{"choices":[{"index":0,"text":"total"}]}"#
                    };
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {chunk}\n\ndata: [DONE]\n\n"
                    )
                };
                let _ = write.write_all(response.as_bytes()).await;
                let _ = write.shutdown().await;
            });
        }
    });
    format!("http://{address}/v1")
}

fn write(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_never_leave_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap().join("shop");
    write(
        &root,
        ".env",
        "STRIPE_KEY=sk_live_PLANTED0123456789abcdef\nDB_URL=postgres://admin:PLANTEDpw@db/shop\n",
    );
    write(
        &root,
        "deploy/id_rsa",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nPLANTEDb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    write(&root, "config/credentials.json", "{\"password\": \"PLANTED-credentials-file\"}\n");
    write(
        &root,
        "settings.py",
        "AWS_ACCESS_KEY_ID = \"AKIAPLANTED123456789\"\nAWS_SECRET_ACCESS_KEY = \"PLANTEDwJalrXUtnFEMI/K7MDENG/bPxRfiCY\"\nTAX_RATE = 0.2\n",
    );
    let app = "from settings import TAX_RATE\n\nSTRIPE = \"sk_live_PLANTEDabcdef0123456789\"\n\n\ndef compute_invoice_total(lines):\n    subtotal = sum(line.price for line in lines)\n    return subtotal * (1 + TAX_RATE) + ";
    write(&root, "app.py", app);

    let requests = Arc::new(Mutex::new(Vec::new()));
    let endpoint = model_server(Arc::clone(&requests)).await;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let log = dir.path().join("infill.log");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_infill"))
        .args(["lsp", "--log-file", log.to_str().unwrap()])
        .env_remove("INFILL_LOG")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("INFILL_CACHE_DIR", home.join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut client = common::Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let mut seen: Vec<Value> = Vec::new();
    let capabilities = json!({
        "textDocument": {"inlineCompletion": {}},
        "window": {"workDoneProgress": true},
        "general": {"positionEncodings": ["utf-16"]}
    });
    let options =
        json!({"engine": {"backend": "openai", "endpoints": [endpoint], "model": "fixture"}});
    let initialized = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": format!("file://{}", root.display()),
                   "capabilities": capabilities, "initializationOptions": options}),
        )
        .await;
    seen.push(initialized);
    client.notify("initialized", json!({})).await;
    // Wait for the index (the workspace, secrets included, is walked).
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let message = client.read_message().await;
            if message["method"] == "window/workDoneProgress/create" {
                client.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": null})).await;
            }
            let done = message["method"] == "$/progress"
                && message["params"]["token"] == "infill/indexing"
                && message["params"]["value"]["kind"] == "end";
            seen.push(message);
            if done {
                return;
            }
        }
    })
    .await
    .expect("indexing finished");

    let uri = |name: &str| format!("file://{}", root.join(name).display());
    for (name, language) in [("app.py", "python"), (".env", "dotenv"), ("settings.py", "python")] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri(name), "languageId": language, "version": 1, "text": text}}),
            )
            .await;
        let last = text.lines().count().saturating_sub(1) as u32;
        let column = text.lines().last().map_or(0, |l| l.len()) as u32;
        let response = client
            .request(
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": uri(name)}, "position": {"line": last, "character": column},
                       "context": {"triggerKind": 1}}),
            )
            .await;
        seen.push(response);
    }
    let explained = client
        .request(
            "workspace/executeCommand",
            json!({"command": "infill.explain", "arguments": [{"uri": uri("app.py"),
                   "range": {"start": {"line": 5, "character": 0}, "end": {"line": 7, "character": 10}}}]}),
        )
        .await;
    assert!(
        explained["result"]["markdown"].as_str().is_some_and(|m| m.contains("invoice lines")),
        "{explained}"
    );
    seen.push(explained);
    let refused = client
        .request(
            "workspace/executeCommand",
            json!({"command": "infill.explain", "arguments": [{"uri": uri(".env"),
                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}}]}),
        )
        .await;
    seen.push(refused);
    let shutdown = client.request("shutdown", json!(null)).await;
    seen.push(shutdown);
    client.notify("exit", json!(null)).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    seen.append(&mut client.pending);

    let requests = requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(|r| r.contains("compute_invoice_total")),
        "the model server was asked: {requests:?}"
    );
    for request in &requests {
        assert!(!request.contains(MARKER), "a planted secret left the process:\n{request}");
    }
    for message in &seen {
        assert!(
            !message.to_string().contains(MARKER),
            "a planted secret reached the editor: {message}"
        );
    }
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.is_empty(), "the server logged at the default level");
    assert!(!log.contains(MARKER), "a planted secret reached the log:\n{log}");
    for line in app.lines().filter(|l| l.trim().len() > 12) {
        assert!(
            !log.contains(line.trim()),
            "source code reached the log at the default level: {line}\n{log}"
        );
    }
}
