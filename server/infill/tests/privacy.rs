//! Privacy through the protocol: an open secret or excluded file gets nothing, and secret lines
//! of other files never reach a prompt.

mod common;

use std::sync::Arc;

use common::server::*;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

/// An engine that answers every prompt, so a request that reaches it shows in its prompts.
fn answering() -> (Arc<ScriptedEngine>, EngineSource) {
    let engine = Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, |_| {
        ScriptedReply::text("42")
    }));
    (Arc::clone(&engine), EngineSource::Given(engine))
}

/// An inline completion as an editor asks for one while the user types (an automatic trigger:
/// one suggestion, one generation).
async fn inline_at(client: &mut TestClient, uri: &str, line: u32, character: u32) -> Value {
    client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}, "context": {"triggerKind": 2}}),
        )
        .await
}

#[tokio::test]
async fn an_open_secret_or_excluded_file_gets_no_completion_and_its_text_no_prompt() {
    let root = tempfile::tempdir().unwrap();
    let root_path = std::fs::canonicalize(root.path()).unwrap();
    std::fs::create_dir_all(root_path.join("secret")).unwrap();
    std::fs::create_dir_all(root_path.join("src")).unwrap();
    let root_uri = format!("file://{}", root_path.display());
    let (engine, source) = answering();
    let mut client = start(source);
    let response = client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": inline_capabilities(),
                   "initializationOptions": {"context": {"exclude": ["secret/**"]}}}),
        )
        .await;
    assert!(response.get("error").is_none(), "{response}");
    client.notify("initialized", json!({})).await;

    let private = [
        // A secret by its name, inside the root.
        (format!("{root_uri}/.env"), "plaintext", "DATABASE_URL=postgres://app@db/app\nAPI_"),
        // Excluded by the configured globs.
        (
            format!("{root_uri}/secret/plan.py"),
            "python",
            "PLAN = 'launch'\ndef plan():\n    return ",
        ),
        // A secret by its name, outside every root.
        ("file:///elsewhere/.env.local".to_string(), "plaintext", "SESSION=abc\nTOKEN_"),
    ];
    for (uri, language, text) in &private {
        open(&mut client, uri, language, text).await;
        let line = text.lines().count() as u32 - 1;
        let character = text.lines().last().unwrap().len() as u32;
        let response = inline_at(&mut client, uri, line, character).await;
        assert_eq!(response["result"], json!([]), "{uri}: {response}");
        let context = client
            .request(
                "infill/context",
                json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
            )
            .await;
        assert_eq!(context["result"]["snippets"], json!([]), "{uri}: {context}");
        assert_eq!(context["result"]["prompt"], "", "{uri}: {context}");
    }
    assert!(engine.prompts().is_empty(), "the engine saw {:?}", engine.prompts());

    // An ordinary file of the same workspace is completed, and nothing private is in its prompt.
    let uri = format!("{root_uri}/src/app.py");
    open(&mut client, &uri, "python", "def answer():\n    return ").await;
    let response = inline_at(&mut client, &uri, 1, 11).await;
    assert_eq!(response["result"][0]["insertText"], "42", "{response}");
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    assert!(!prompts[0].contains("postgres") && !prompts[0].contains("launch"), "{prompts:?}");
}

#[tokio::test]
async fn secret_lines_of_an_open_file_are_redacted_from_the_prompt() {
    let (engine, source) = answering();
    let mut client = start(source);
    client.initialize(inline_capabilities(), Value::Null).await;
    let uri = "file:///work/client.py";
    let text = "import requests\n\nAPI_KEY = \"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"\n\ndef fetch(url):\n    return \n";
    open(&mut client, uri, "python", text).await;
    let response = inline_at(&mut client, uri, 5, 11).await;
    assert_eq!(response["result"][0]["insertText"], "42", "{response}");
    let prompts = engine.prompts();
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    assert!(!prompts[0].contains("ghp_"), "the token reached the engine: {prompts:?}");
    assert!(prompts[0].contains("import requests\n\n<redacted>\n\ndef fetch(url):"), "{prompts:?}");
    assert!(prompts[0].ends_with("def fetch(url):\n    return"), "{prompts:?}");
    // `infill/context` shows the same prompt.
    let context = client
        .request(
            "infill/context",
            json!({"textDocument": {"uri": uri}, "position": {"line": 5, "character": 11}}),
        )
        .await;
    let prompt = context["result"]["prompt"].as_str().expect("a prompt");
    assert!(!prompt.contains("ghp_") && prompt.contains("<redacted>"), "{context}");
}
