//! In-process protocol tests: the real service over an in-memory pipe, with a scripted engine.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::server::*;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

#[tokio::test]
async fn negotiates_the_position_encoding_and_delivery_path() {
    let mut client = start(EngineSource::Configured);
    let response = client.initialize(json!({}), Value::Null).await;
    let capabilities = &response["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert!(capabilities.get("inlineCompletionProvider").is_none());
    assert!(capabilities["completionProvider"].is_object(), "{capabilities}");
    assert_eq!(response["result"]["serverInfo"]["name"], "infill");

    let mut client = start(EngineSource::Configured);
    let response = client
        .initialize(
            json!({"general": {"positionEncodings": ["utf-16", "utf-8"]}, "textDocument": {"inlineCompletion": {}}}),
            Value::Null,
        )
        .await;
    let capabilities = &response["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-8");
    assert_eq!(capabilities["inlineCompletionProvider"], true);
    assert!(capabilities.get("completionProvider").is_none());
}

#[tokio::test]
async fn open_change_close_keep_the_servers_text() {
    let mut client = start(EngineSource::Configured);
    client.initialize(json!({}), Value::Null).await;
    let uri = "file:///work/a.rs";
    open(&mut client, uri, "rust", "fn main() {\n    let x = 1;\n}\n").await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 1, "character": 12}, "end": {"line": 1, "character": 13}}, "text": "😀42"},
                {"range": {"start": {"line": 0, "character": 3}, "end": {"line": 0, "character": 7}}, "text": "start"}
            ]}),
        )
        .await;
    let document = server_text(&mut client, uri).await;
    assert_eq!(document["result"]["text"], "fn start() {\n    let x = 😀42;\n}\n");
    assert_eq!(document["result"]["version"], 2);
    assert_eq!(document["result"]["language"], "rust");
    assert_eq!(document["result"]["has_tree"], true);

    // A stale version is ignored; a change for an unknown document changes nothing.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "stale"}]}),
        )
        .await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": "file:///work/unknown.rs", "version": 9}, "contentChanges": [{"text": "x"}]}),
        )
        .await;
    let document = server_text(&mut client, uri).await;
    assert_eq!(document["result"]["text"], "fn start() {\n    let x = 😀42;\n}\n");

    // Positions past the end of a line or of the file are clamped.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
                {"range": {"start": {"line": 0, "character": 99}, "end": {"line": 0, "character": 120}}, "text": " // main"},
                {"range": {"start": {"line": 40, "character": 0}, "end": {"line": 50, "character": 3}}, "text": "// end\n"}
            ]}),
        )
        .await;
    let document = server_text(&mut client, uri).await;
    assert_eq!(document["result"]["text"], "fn start() { // main\n    let x = 😀42;\n}\n// end\n");

    client.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}})).await;
    let closed = server_text(&mut client, uri).await;
    assert_eq!(closed["error"]["code"], -32602, "{closed}");
}

/// UTF-16 length of a string (what LSP positions count by default).
fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}

#[tokio::test]
async fn a_thousand_incremental_edits_with_emoji_match_a_string_model() {
    let mut client = start(EngineSource::Configured);
    client.initialize(json!({}), Value::Null).await;
    let uri = "file:///work/notes.ts";
    let mut model = String::from("const greeting = \"hi\";\n");
    open(&mut client, uri, "typescript", &model).await;
    let pieces = ["😀", "a", "𐐀", "é", "\n", "日本", "👩‍💻", "x;", " "];
    let mut seed: u64 = 7;
    for version in 2..1002 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let lines: Vec<&str> = model.split('\n').collect();
        let line = (seed >> 33) as usize % lines.len();
        let chars: Vec<char> = lines[line].chars().collect();
        let column = (seed >> 20) as usize % (chars.len() + 1);
        let deleting = seed.is_multiple_of(5) && column < chars.len();
        let character = utf16_len(&chars[..column].iter().collect::<String>());
        let (end_character, text) = if deleting {
            (character + chars[column].len_utf16() as u32, "")
        } else {
            (character, pieces[(seed >> 40) as usize % pieces.len()])
        };
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
                    "range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": end_character}},
                    "text": text
                }]}),
            )
            .await;
        let line_start: usize = lines[..line].iter().map(|l| l.len() + 1).sum();
        let start = line_start + chars[..column].iter().map(|c| c.len_utf8()).sum::<usize>();
        let end = if deleting { start + chars[column].len_utf8() } else { start };
        model.replace_range(start..end, text);
    }
    let document = server_text(&mut client, uri).await;
    assert_eq!(document["result"]["text"].as_str().unwrap(), model);
    assert_eq!(document["result"]["version"], 1001);
    assert!(client.pending.iter().all(|m| m.get("error").is_none()), "{:?}", client.pending);
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_server_keeps_serving() {
    let mut client = start(EngineSource::Configured);
    client.initialize(json!({}), Value::Null).await;
    client.send_raw(b"{this is not json").await;
    let parse_error = client.next_response().await;
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    assert!(parse_error["id"].is_null());
    client.send_raw(b"[1, 2, 3]").await;
    let invalid = client.next_response().await;
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    client.send_raw(b"\xff\xfe not utf-8").await;
    let not_utf8 = client.next_response().await;
    assert_eq!(not_utf8["error"]["code"], -32700, "{not_utf8}");
    let unknown = client.request("infill/noSuchMethod", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let invalid = client.request("infill/document", json!({"uri": 42})).await;
    assert_eq!(invalid["error"]["code"], -32602, "{invalid}");
    let not_open = client.request("infill/document", json!({"uri": "file:///nope.rs"})).await;
    assert_eq!(not_open["error"]["code"], -32602, "{not_open}");
    // Still serving.
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["open_documents"], 0, "{status}");
    let shutdown = client.request("shutdown", Value::Null).await;
    assert!(shutdown.get("error").is_none(), "{shutdown}");
}

#[tokio::test]
async fn an_unavailable_model_is_a_clear_error_and_non_ai_requests_work() {
    let mut client = start(EngineSource::Configured);
    client.initialize(inline_capabilities(), Value::Null).await;
    open(&mut client, "file:///work/a.py", "python", "def f():\n    return ").await;
    let mut response = Value::Null;
    for _ in 0..100 {
        response = client
            .request(
                "textDocument/inlineCompletion",
                json!({"textDocument": {"uri": "file:///work/a.py"}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
            )
            .await;
        if !response["error"]["message"].as_str().unwrap_or("").contains("loading") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("model unavailable"), "{response}");
    assert!(message.contains("/nonexistent/model.gguf"), "{response}");
    assert!(message.contains("infill model fetch"), "{response}");
    let document = server_text(&mut client, "file:///work/a.py").await;
    assert_eq!(document["result"]["version"], 1);
}

#[tokio::test]
async fn inline_completion_returns_the_engines_suggestion() {
    let (engine, source) = scripted(&[ScriptedReply::text("a + b\n\nprint(add(1, 2))")]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/math.py";
    open(&mut client, uri, "python", "def add(a, b):\n    return \n").await;
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}}),
        )
        .await;
    let items = response["result"].as_array().expect("a list of items");
    assert_eq!(items.len(), 1, "{response}");
    assert_eq!(items[0]["insertText"], "a + b");
    assert_eq!(items[0]["range"]["start"], json!({"line": 1, "character": 11}));
    // The space typed after `return` stays out of the prompt (the model writes ` a`, and
    // post-processing drops the space the user already typed).
    assert!(engine.prompts()[0].ends_with("def add(a, b):\n    return"), "{:?}", engine.prompts());

    client.notify("infill/didAccept", json!({"kind": "full"})).await;
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["stats"]["accepted"], 1, "{status}");
    assert_eq!(status["result"]["stats"]["engine_requests"], 1, "{status}");
    assert_eq!(status["result"]["engine"], "ready", "{status}");
    assert_eq!(status["result"]["position_encoding"], "utf-16", "{status}");
    assert_eq!(status["result"]["capabilities"]["family"], "prefix-only", "{status}");
    // The client did not ask for traces.
    assert!(
        !client.pending.iter().any(|m| m["method"] == "$/infill/trace"),
        "{:?}",
        client.pending
    );
}

#[tokio::test]
async fn an_invoked_inline_completion_gets_alternatives_and_typing_gets_one() {
    let replies = ["a + b", "a + b", "a - b", "a * b", "b + a", "a"].map(ScriptedReply::text);
    let (engine, source) = scripted(&replies);
    let mut client = start(source);
    let options = json!({"completion": {"candidates": 4}});
    client.initialize(inline_capabilities(), options).await;
    let uri = "file:///work/math.py";
    open(&mut client, uri, "python", "def add(a, b):\n    return \n").await;
    let at = json!({"line": 1, "character": 11});
    // Typing (an automatic trigger): one suggestion, one generation.
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": at, "context": {"triggerKind": 2}}),
        )
        .await;
    let texts: Vec<_> =
        response["result"].as_array().unwrap().iter().map(|i| i["insertText"].clone()).collect();
    assert_eq!(texts, [json!("a + b")], "{response}");
    assert_eq!(engine.prompts().len(), 1);
    // The user asks for alternatives (an explicit trigger): the greedy one first (from the
    // identical-request cache), then the sampled ones, without the duplicate.
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": at, "context": {"triggerKind": 1}}),
        )
        .await;
    let texts: Vec<_> =
        response["result"].as_array().unwrap().iter().map(|i| i["insertText"].clone()).collect();
    assert_eq!(texts, [json!("a + b"), json!("a - b"), json!("a * b")], "{response}");
    assert_eq!(engine.prompts().len(), 4, "the cached greedy answer and three samples");
}

/// A Python file whose prompt is cold for a new server (some 6 KB before the cursor, which is at
/// the end of `    return ` on the returned line).
fn long_math_file() -> (String, u32) {
    let mut text = String::new();
    for i in 0..150 {
        text.push_str(&format!("def helper_{i}(x):\n    return x + {i}\n\n"));
    }
    text.push_str("def add(a, b):\n    return \n");
    (text, 451)
}

async fn prompts_after(engine: &ScriptedEngine, count: usize) -> Vec<String> {
    for _ in 0..1000 {
        if engine.prompts().len() >= count {
            return engine.prompts();
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the engine got {:?}", engine.prompts());
}

#[tokio::test]
async fn did_focus_prefetches_a_cold_prompt_that_the_first_request_then_finds_warm() {
    let (engine, source) = scripted(&[ScriptedReply::text("x"), ScriptedReply::text("a + b")]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/math.py";
    let (text, line) = long_math_file();
    open(&mut client, uri, "python", &text).await;
    // The engine is ready once a request has been answered.
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["engine"], "ready", "{status}");
    let at = json!({"line": line, "character": 11});
    client.notify("infill/didFocus", json!({"textDocument": {"uri": uri}, "position": at})).await;
    let prompts = prompts_after(&engine, 1).await;
    assert!(prompts[0].ends_with("def add(a, b):\n    return"), "{prompts:?}");
    assert!(prompts[0].contains("def helper_0"), "the full prompt, not a short one");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": at, "context": {"triggerKind": 2}}),
        )
        .await;
    assert_eq!(response["result"][0]["insertText"], "a + b", "{response}");
    assert_eq!(engine.prompts().len(), 2);
    assert_eq!(engine.prompts()[1], prompts[0], "the prefetched prompt answered");
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["stats"]["short_prompt"], 0, "{status}");
}

#[tokio::test]
async fn without_a_focus_a_cold_first_request_is_answered_from_a_short_prompt() {
    let (engine, source) = scripted(&[ScriptedReply::text("a + b"), ScriptedReply::text("x")]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/math.py";
    let (text, line) = long_math_file();
    open(&mut client, uri, "python", &text).await;
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 11}, "context": {"triggerKind": 2}}),
        )
        .await;
    assert_eq!(response["result"][0]["insertText"], "a + b", "{response}");
    let prompts = prompts_after(&engine, 2).await;
    assert!(prompts[0].len() < 700 && !prompts[0].contains("def helper_0"), "{:?}", prompts[0]);
    assert!(prompts[1].contains("def helper_0"), "then the full prompt warms");
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["stats"]["short_prompt"], 1, "{status}");
}

#[tokio::test]
async fn recent_edits_elsewhere_go_into_the_prompt_and_edits_at_the_cursor_do_not() {
    let (engine, source) = scripted(&[ScriptedReply::text("a + b")]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let (pricing, math) = ("file:///work/pricing.py", "file:///work/math.py");
    open(&mut client, pricing, "python", "def price(item):\n    return item.cost\n").await;
    open(&mut client, math, "python", "def add(a, b):\n    return \n").await;
    // The user renames a field in pricing.py, one keystroke at a time...
    let mut version = 1;
    for (at, text) in [(20, "_"), (21, "c"), (22, "e")] {
        version += 1;
        let range =
            json!({"start": {"line": 1, "character": at}, "end": {"line": 1, "character": at}});
        client
            .notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": pricing, "version": version}, "contentChanges": [{"range": range, "text": text}]}),
            )
            .await;
    }
    // ...then types in math.py, at the cursor.
    let range = json!({"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 11}});
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": math, "version": 2}, "contentChanges": [{"range": range, "text": " "}]}),
        )
        .await;
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": math}, "position": {"line": 1, "character": 12}, "context": {"triggerKind": 1}}),
        )
        .await;
    assert_eq!(response["result"][0]["insertText"], "a + b", "{response}");
    let prompt = &engine.prompts()[0];
    let diff = "pricing.py:2 @@\n-    return item.cost\n+    return item.cost_ce\n";
    assert!(prompt.contains(diff), "{prompt}");
    assert!(prompt.find(diff) < prompt.find("def add(a, b)"), "before the file: {prompt}");
    assert!(!prompt.contains("math.py:2 @@"), "the edit at the cursor stays out: {prompt}");
}

#[tokio::test]
async fn a_client_that_asks_for_traces_gets_one_per_completion() {
    let (_, source) = scripted(&[ScriptedReply::text("a + b"), ScriptedReply::text("a * b")]);
    let mut client = start(source);
    let response = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": inline_capabilities(), "trace": "verbose"}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    client.notify("initialized", json!({})).await;
    let uri = "file:///work/math.py";
    open(&mut client, uri, "python", "def add(a, b):\n    return \n").await;
    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 11}, "context": {"triggerKind": 1}});
    client.request("textDocument/inlineCompletion", params.clone()).await;
    // The same request again is answered from the identical-request cache.
    client.request("textDocument/inlineCompletion", params.clone()).await;
    let count = |client: &TestClient| {
        client.pending.iter().filter(|m| m["method"] == "$/infill/trace").count()
    };
    // Notifications and responses travel on separate queues inside the server; read on until
    // both traces are in.
    for _ in 0..100 {
        if count(&client) >= 2 {
            break;
        }
        client.request("infill/status", json!({})).await;
    }
    let traces: Vec<&Value> = client
        .pending
        .iter()
        .filter(|m| m["method"] == "$/infill/trace")
        .map(|m| &m["params"])
        .collect();
    assert_eq!(traces.len(), 2, "{:?}", client.pending);
    assert_eq!(traces[0]["uri"], uri);
    assert_eq!(traces[0]["version"], 1);
    assert_eq!(traces[0]["source"], "engine", "{}", traces[0]);
    assert!(traces[0]["prompt_tokens"].as_u64().unwrap() > 0, "{}", traces[0]);
    assert!(traces[0]["generated_tokens"].as_u64().unwrap() > 0, "{}", traces[0]);
    assert_eq!(traces[1]["source"], "cache", "{}", traces[1]);
    assert!(traces[1]["prompt_tokens"].is_null(), "{}", traces[1]);

    // `$/setTrace` turns them off.
    client.notify("$/setTrace", json!({"value": "off"})).await;
    let before = client.pending.len();
    client.request("textDocument/inlineCompletion", params).await;
    client.request("infill/status", json!({})).await;
    assert!(
        !client.pending[before..].iter().any(|m| m["method"] == "$/infill/trace"),
        "{:?}",
        client.pending
    );
}

#[tokio::test]
async fn a_newer_request_cancels_the_previous_one_and_stale_results_are_dropped() {
    let slow = ScriptedReply::slow("value".repeat(50), Duration::from_millis(20));
    let (engine, source) = scripted(&[slow.clone(), ScriptedReply::text("42"), slow]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/x.py";
    open(&mut client, uri, "python", "x = \nz = \n").await;
    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}});
    let first = client.request_async("textDocument/inlineCompletion", params.clone()).await;
    wait_until_generating(&engine).await;
    let second = client.request_async("textDocument/inlineCompletion", params.clone()).await;
    let first = client.response(first).await;
    assert_eq!(first["error"]["code"], -32800, "{first}");
    let second = client.response(second).await;
    assert_eq!(second["result"][0]["insertText"], "42", "{second}");
    // The cancelled generation stopped decoding.
    for _ in 0..100 {
        if engine.running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(engine.running(), 0);

    // A result for a version that changed meanwhile is dropped.
    let elsewhere = json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}, "context": {"triggerKind": 2}});
    let third = client.request_async("textDocument/inlineCompletion", elsewhere).await;
    wait_until_generating(&engine).await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "y = \nz = \n"}]}),
        )
        .await;
    let third = client.response(third).await;
    assert_eq!(third["result"], json!([]), "{third}");
}

#[tokio::test]
async fn cancel_request_stops_the_generation() {
    let slow = ScriptedReply::slow("value".repeat(50), Duration::from_millis(20));
    let (engine, source) = scripted(&[slow]);
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/x.py";
    open(&mut client, uri, "python", "x = \n").await;
    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}, "context": {"triggerKind": 2}});
    let id = client.request_async("textDocument/inlineCompletion", params).await;
    wait_until_generating(&engine).await;
    client.notify("$/cancelRequest", json!({"id": id})).await;
    let reply = client.response(id).await;
    assert_eq!(reply["error"]["code"], -32800, "{reply}");
    // The generation behind the cancelled request stopped, long before its 50 slow tokens.
    for _ in 0..100 {
        if engine.running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(engine.running(), 0, "the cancelled request's generation kept running");
}

#[tokio::test]
async fn completion_items_for_clients_without_inline_completion() {
    let (_, source) = scripted(&[ScriptedReply::text("ute_total(items)\n")]);
    let mut client = start(source);
    client.initialize(json!({}), Value::Null).await;
    let uri = "file:///work/cart.py";
    open(&mut client, uri, "python", "total = comp\n").await;
    let response = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 12}}),
        )
        .await;
    let item = &response["result"]["items"][0];
    assert_eq!(item["textEdit"]["newText"], "compute_total(items)", "{response}");
    assert_eq!(item["textEdit"]["range"]["start"], json!({"line": 0, "character": 8}));
    assert_eq!(item["textEdit"]["range"]["end"], json!({"line": 0, "character": 12}));
    assert!(item["filterText"].as_str().unwrap().starts_with("comp"));
    assert!(item["detail"].as_str().unwrap().contains("model suggestion"));
}

#[tokio::test]
async fn a_panicking_engine_is_answered_as_an_internal_error() {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |prompt| {
        if prompt.contains("boom") {
            panic!("scripted failure");
        }
        ScriptedReply::text("ok")
    }));
    let mut client = start(EngineSource::Given(engine));
    client.initialize(inline_capabilities(), Value::Null).await;
    open(&mut client, "file:///work/p.py", "python", "boom = \nfine = \n").await;
    let boom = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": "file:///work/p.py"}, "position": {"line": 0, "character": 7}, "context": {"triggerKind": 1}}),
        )
        .await;
    assert_eq!(boom["error"]["code"], -32603, "{boom}");
    let status = client.request("infill/status", json!({})).await;
    assert_eq!(status["result"]["open_documents"], 1, "{status}");
}

#[tokio::test]
async fn indexes_the_workspace_with_progress_and_serves_ranked_context() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("pricing.py"),
        "def unit_price(item):\n    \"\"\"Price of one unit.\"\"\"\n    return item[\"price\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.path().join(".env"),
        "API_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
    )
    .unwrap();
    let orders = "from pricing import unit_price\n\ndef total(items):\n    return sum(unit_price(i) for i in items)\n";
    std::fs::write(src.join("orders.py"), orders).unwrap();
    let root_uri = format!("file://{}", root.path().display());
    let uri = format!("{root_uri}/src/orders.py");

    let mut client = start(EngineSource::Configured);
    let response = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": {"window": {"workDoneProgress": true}}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    client.notify("initialized", json!({})).await;
    open(&mut client, &uri, "python", orders).await;

    let params = json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 15}});
    let mut context = Value::Null;
    for _ in 0..200 {
        context = client.request("infill/context", params.clone()).await;
        if context["result"]["snippets"].as_array().is_some_and(|s| !s.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let snippets = context["result"]["snippets"].as_array().expect("snippets");
    let last = snippets.last().unwrap();
    assert_eq!(last["relative_path"], "src/pricing.py", "{context}");
    assert!(last["text"].as_str().unwrap().contains("def unit_price"));
    assert!(last["reason"].as_str().unwrap().contains("unit_price"), "{last}");
    let prompt = context["result"]["prompt"].as_str().unwrap();
    assert!(prompt.contains("def unit_price") && prompt.ends_with("    return sum("), "{prompt}");
    assert!(!context.to_string().contains("ghp_"), "a secret reached the context");

    // Indexing reported $/progress: begin, then end.
    let ended = |client: &TestClient| {
        client
            .pending
            .iter()
            .any(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
    };
    for _ in 0..100 {
        if ended(&client) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let _ = client.request("infill/status", json!({})).await;
    }
    let progress: Vec<&Value> =
        client.pending.iter().filter(|m| m["method"] == "$/progress").collect();
    assert!(
        progress.iter().any(|m| m["params"]["value"]["kind"] == "begin"),
        "{:?}",
        client.pending
    );
    assert!(progress.iter().any(|m| m["params"]["value"]["kind"] == "end"), "{:?}", client.pending);
}
