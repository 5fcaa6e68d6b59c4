//! Helix's path, replayed: its `initialize` capabilities and request shapes (completion items,
//! no inline completion), and a user who keeps typing while the model works.

mod common;

use std::time::Duration;

use common::server::*;
use infill::lsp::EngineSource;
use infill_engine::ScriptedReply;
use serde_json::{Value, json};

/// The client capabilities Helix 25.07 sends (helix-lsp's `Client::initialize`): completion
/// items with snippets and insert/replace edits, no inline completion, and every position
/// encoding with UTF-8 first.
fn helix_capabilities() -> Value {
    json!({
        "workspace": {
            "configuration": true,
            "didChangeConfiguration": {"dynamicRegistration": false},
            "workspaceFolders": true,
            "applyEdit": true,
            "symbol": {"dynamicRegistration": false},
            "executeCommand": {"dynamicRegistration": false},
            "inlayHint": {"refreshSupport": false},
            "workspaceEdit": {
                "documentChanges": true,
                "resourceOperations": ["create", "rename", "delete"],
                "failureHandling": "abort",
                "normalizesLineEndings": false
            },
            "didChangeWatchedFiles": {"dynamicRegistration": true, "relativePatternSupport": false},
            "fileOperations": {"willRename": true, "didRename": true},
            "diagnostic": {"refreshSupport": true}
        },
        "textDocument": {
            "completion": {
                "completionItem": {
                    "snippetSupport": true,
                    "resolveSupport": {"properties": ["documentation", "detail", "additionalTextEdits"]},
                    "insertReplaceSupport": true,
                    "deprecatedSupport": true,
                    "tagSupport": {"valueSet": [1]}
                },
                "completionItemKind": {}
            },
            "hover": {"contentFormat": ["markdown"]},
            "signatureHelp": {
                "signatureInformation": {
                    "documentationFormat": ["markdown"],
                    "parameterInformation": {"labelOffsetSupport": true},
                    "activeParameterSupport": true
                }
            },
            "rename": {"dynamicRegistration": false, "prepareSupport": true, "honorsChangeAnnotations": false},
            "codeAction": {
                "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
                    "", "quickfix", "refactor", "refactor.extract", "refactor.inline",
                    "refactor.rewrite", "source", "source.organizeImports"
                ]}},
                "isPreferredSupport": true,
                "disabledSupport": true,
                "dataSupport": true,
                "resolveSupport": {"properties": ["edit", "command"]}
            },
            "publishDiagnostics": {"versionSupport": true, "tagSupport": {"valueSet": [1, 2]}},
            "inlayHint": {"dynamicRegistration": false},
            "diagnostic": {"dynamicRegistration": false, "relatedDocumentSupport": true}
        },
        "window": {"workDoneProgress": true, "showDocument": {"support": true}},
        "general": {"positionEncodings": ["utf-8", "utf-32", "utf-16"]}
    })
}

/// Initializes as Helix does (process id, root, workspace folders, client info) and opens `text`.
async fn start_as_helix(source: EngineSource, uri: &str, text: &str) -> TestClient {
    let mut client = start(source);
    let response = client
        .request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "clientInfo": {"name": "helix", "version": "25.07"},
                "rootPath": null,
                "rootUri": null,
                "workspaceFolders": [],
                "capabilities": helix_capabilities(),
                "initializationOptions": null
            }),
        )
        .await;
    let capabilities = &response["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-8", "{response}");
    assert!(capabilities.get("inlineCompletionProvider").is_none(), "{response}");
    assert!(capabilities["completionProvider"].is_object(), "{response}");
    client.notify("initialized", json!({})).await;
    open(&mut client, uri, "python", text).await;
    client
}

/// Helix's `textDocument/completion` shape: an explicit (or idle-timer) invocation.
fn helix_completion(uri: &str, line: u32, character: u32) -> Value {
    json!({
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 1}
    })
}

#[tokio::test]
async fn helix_gets_an_item_whose_filter_text_starts_with_the_typed_word() {
    let (_, source) = scripted(&[ScriptedReply::text("ute_total(items)\n")]);
    let uri = "file:///work/cart.py";
    // "é" is two bytes: with UTF-8 positions the word starts at 14 (byte), not 13 (character).
    let mut client = start_as_helix(source, uri, "s = \"é\"; t = comp\n").await;
    let response = client.request("textDocument/completion", helix_completion(uri, 0, 18)).await;
    let list = &response["result"];
    assert_eq!(list["isIncomplete"], true, "{response}");
    let item = &list["items"][0];
    assert_eq!(item["filterText"], "compute_total(items)", "{response}");
    assert!(item["filterText"].as_str().unwrap().starts_with("comp"));
    assert_eq!(item["textEdit"]["newText"], "compute_total(items)", "{response}");
    assert_eq!(item["textEdit"]["range"]["start"], json!({"line": 0, "character": 14}));
    assert_eq!(item["textEdit"]["range"]["end"], json!({"line": 0, "character": 18}));
    assert_eq!(item["insertTextFormat"], 2, "a snippet: {response}");
}

#[tokio::test]
async fn helix_typing_while_the_model_works_still_gets_an_item_for_the_new_text() {
    // Regression: the result for version 0 was dropped as stale once the user typed on, and
    // Helix, which does not ask again for the same word, never showed a suggestion.
    let slow = ScriptedReply::slow("ute_total(items)\n", Duration::from_millis(50));
    let slower = ScriptedReply::slow("len(items)\n", Duration::from_millis(50));
    let (engine, source) = scripted(&[slow, slower, ScriptedReply::text("um_items(cart)\n")]);
    let uri = "file:///work/cart.py";
    let mut client = start_as_helix(source, uri, "total = comp\ncount = \n").await;
    let id = client.request_async("textDocument/completion", helix_completion(uri, 0, 12)).await;
    wait_until_generating(&engine).await;
    // Helix sends incremental changes; the user typed "u" (the start of the suggestion).
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": 0, "character": 12}, "end": {"line": 0, "character": 12}}, "text": "u"}
            ]}),
        )
        .await;
    let response = client.response(id).await;
    let list = &response["result"];
    assert_eq!(list["isIncomplete"], true, "{response}");
    let item = &list["items"][0];
    assert_eq!(item["textEdit"]["newText"], "compute_total(items)", "{response}");
    assert_eq!(item["textEdit"]["range"]["start"], json!({"line": 0, "character": 8}));
    assert_eq!(item["textEdit"]["range"]["end"], json!({"line": 0, "character": 13}));
    assert!(item["filterText"].as_str().unwrap().starts_with("compu"), "{response}");

    // Typing something the old suggestion did not foresee asks the model again, for the
    // document as it is now.
    let id = client.request_async("textDocument/completion", helix_completion(uri, 1, 8)).await;
    wait_until_generating(&engine).await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
                {"range": {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 8}}, "text": "n"}
            ]}),
        )
        .await;
    let response = client.response(id).await;
    let item = &response["result"]["items"][0];
    assert_eq!(item["textEdit"]["newText"], "num_items(cart)", "{response}");
    assert_eq!(item["textEdit"]["range"]["start"], json!({"line": 1, "character": 8}));
    assert_eq!(item["textEdit"]["range"]["end"], json!({"line": 1, "character": 9}));
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 3, "{prompts:?}");
    assert!(prompts[2].ends_with("count = n"), "{prompts:?}");
}
