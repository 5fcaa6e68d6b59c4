//! The whole LSP edge: client bytes go through the framing guard into tower-lsp-server and the
//! real `Backend` (documents, edits in every position encoding, inline completions and
//! completion items through the real pipeline, Infill's custom methods), with a scripted engine
//! that answers every prompt with text from the input. No handler may panic (the fuzzer aborts
//! on a panic even where the server would turn it into an error reply), the session must end
//! when the client closes its input, and everything the server writes is well-formed JSON-RPC.
//!
//! Input: pieces separated by NUL bytes. The first piece is what the model answers. Each other
//! piece is a message body sent with a correct `Content-Length`, or, when it starts with `!`,
//! raw bytes written as they are (headers and all).
//!
//! The server must not touch the machine's files while fuzzed: `file:` URIs are confined to
//! `file:///fuzz/` (a directory that does not exist), `initialize` loses its workspace roots and
//! the client capabilities that make the server wait for answers (file watchers, progress), and
//! the completion time budget stays short. Raw pieces that could name a file are dropped.

#![no_main]

use std::sync::Arc;
use std::time::Duration;

use infill::config::Config;
use infill::lsp::{EngineSource, serve};
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The longest a completion may wait for the model, so that no input stalls the fuzzer.
const TIME_BUDGET_MS: u64 = 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
    })
}

fn confine_uris(value: &mut Value) {
    match value {
        Value::String(text) => {
            let lower = text.to_ascii_lowercase();
            let allowed = lower.starts_with("file:///fuzz/")
                && !text.contains("..")
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
            if lower.starts_with("file:") && !allowed {
                *text = "file:///fuzz/confined.txt".into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(confine_uris),
        Value::Object(map) => map.values_mut().for_each(confine_uris),
        _ => {}
    }
}

fn confine_initialize(message: &mut Value) {
    if message.get("method").and_then(Value::as_str) != Some("initialize") {
        return;
    }
    let Some(params) = message.get_mut("params").and_then(Value::as_object_mut) else { return };
    for key in ["rootUri", "rootPath", "workspaceFolders"] {
        params.remove(key);
    }
    if let Some(capabilities) = params.get_mut("capabilities").and_then(Value::as_object_mut) {
        if let Some(workspace) = capabilities.get_mut("workspace").and_then(Value::as_object_mut) {
            workspace.remove("didChangeWatchedFiles");
        }
        if let Some(window) = capabilities.get_mut("window").and_then(Value::as_object_mut) {
            window.remove("workDoneProgress");
        }
    }
    let options = params.get_mut("initializationOptions");
    if let Some(budget) = options.and_then(|o| o.pointer_mut("/completion/time_budget_ms"))
        && budget.as_u64().is_none_or(|ms| ms > TIME_BUDGET_MS)
    {
        *budget = json!(TIME_BUDGET_MS);
    }
}

/// The bytes to send for one piece, or `None` when it is dropped.
fn frame(piece: &[u8]) -> Option<Vec<u8>> {
    if let Some(raw) = piece.strip_prefix(b"!") {
        let lower = raw.to_ascii_lowercase();
        let risky = [&b"file"[..], b"root", b"older", b"\\u"];
        if risky.iter().any(|word| lower.windows(word.len()).any(|w| w == *word)) {
            return None;
        }
        return Some(raw.to_vec());
    }
    let body = match serde_json::from_slice::<Value>(piece) {
        Ok(mut message) => {
            confine_uris(&mut message);
            confine_initialize(&mut message);
            message.to_string().into_bytes()
        }
        Err(_) => piece.to_vec(),
    };
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(&body);
    Some(framed)
}

fn family(model_text: &[u8]) -> ModelFamily {
    let families = [
        ModelFamily::PrefixOnly,
        ModelFamily::StarCoder2,
        ModelFamily::QwenCoder,
        ModelFamily::CodeLlama,
        ModelFamily::RepoTokens,
    ];
    let pick = model_text.first().copied().unwrap_or(0) as usize;
    families[pick % families.len()].clone()
}

/// Checks the server's output: `Content-Length` frames of JSON-RPC 2.0 objects.
fn check_output(mut output: &[u8]) {
    while !output.is_empty() {
        let header_end = output
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("every server message has a header");
        let header = std::str::from_utf8(&output[..header_end]).expect("an ASCII header");
        let length: usize = header
            .lines()
            .find_map(|line| line.strip_prefix("Content-Length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("a Content-Length header, got {header:?}"));
        let body = &output[header_end + 4..header_end + 4 + length];
        let message: Value = serde_json::from_slice(body).expect("the server writes JSON");
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        if let Some(error) = message.get("error") {
            assert_ne!(error["code"], -32603, "no internal error (a handler failed): {message}");
        }
        output = &output[header_end + 4 + length..];
    }
}

fuzz_target!(|data: &[u8]| {
    let mut pieces = data.split(|&b| b == 0);
    let model_text = pieces.next().unwrap_or_default();
    let frames: Vec<Vec<u8>> = pieces.filter_map(frame).collect();
    let reply = String::from_utf8_lossy(model_text.get(1..).unwrap_or_default()).into_owned();
    let engine = Arc::new(ScriptedEngine::with_responder(family(model_text), move |_| {
        ScriptedReply::text(reply.clone())
    }));
    let mut config = Config::default();
    config.model.path = Some("/nonexistent/model.gguf".into());
    config.completion.time_budget_ms = TIME_BUDGET_MS;

    runtime().block_on(async move {
        let (client, server) = tokio::io::duplex(1 << 16);
        let (server_read, server_write) = tokio::io::split(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let serving =
            tokio::spawn(serve(server_read, server_write, config, EngineSource::Given(engine)));
        let reading = tokio::spawn(async move {
            let mut output = Vec::new();
            let _ = client_read.read_to_end(&mut output).await;
            output
        });
        for frame in &frames {
            if client_write.write_all(frame).await.is_err() {
                break; // The server ended the session (`exit`).
            }
        }
        let _ = client_write.shutdown().await;
        drop(client_write);
        tokio::time::timeout(Duration::from_secs(20), serving)
            .await
            .expect("the session ends within 20 s of the client closing its input")
            .expect("the server task does not panic");
        let output = tokio::time::timeout(Duration::from_secs(20), reading)
            .await
            .expect("the server closes its output when the session ends")
            .expect("the reader does not panic");
        check_output(&output);
    });
});
