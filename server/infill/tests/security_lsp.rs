//! Security findings in the editor, through the LSP: diagnostics on open and change (debounced),
//! cleared when the code is fixed and on close; "Ignore this finding" silences a finding; and a
//! suggestion that would introduce a finding is dropped (or shown, with the filter off).

mod common;

use std::time::Duration;

use common::server::{inline_capabilities, open, scripted, start, start_with};
use infill::config::{Config, SuggestionFilter};
use infill_engine::ScriptedReply;
use serde_json::{Value, json};

const URI: &str = "file:///project/app/db.py";
const VULNERABLE: &str = "def find(cursor, name):\n    cursor.execute(\"SELECT * FROM users WHERE name = '\" + name + \"'\")\n";
const SAFE: &str = "def find(cursor, name):\n    cursor.execute(\"SELECT * FROM users WHERE name = %s\", (name,))\n";

/// The next `publishDiagnostics` for `uri`.
async fn next_diagnostics<R, W>(client: &mut common::Client<R, W>, uri: &str) -> Value
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let message = client.read_message().await;
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"].clone();
            }
        }
    })
    .await
    .expect("diagnostics within 20 s")
}

#[tokio::test]
async fn findings_are_published_and_cleared_as_the_code_changes() {
    let (_, engine) = scripted(&[]);
    let mut client = start(engine);
    client.initialize(json!({}), json!({})).await;
    open(&mut client, URI, "python", VULNERABLE).await;
    let published = next_diagnostics(&mut client, URI).await;
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["source"], "infill");
    assert_eq!(diagnostic["code"], "sql-injection");
    assert_eq!(
        diagnostic["codeDescription"]["href"],
        "https://cwe.mitre.org/data/definitions/89.html"
    );
    assert_eq!(diagnostic["range"]["start"]["line"], 1);
    assert_eq!(published["version"], 1);

    // The parameterized query is clean.
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": SAFE}]}),
        )
        .await;
    let published = next_diagnostics(&mut client, URI).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    assert_eq!(published["version"], 2);

    client.notify("textDocument/didClose", json!({"textDocument": {"uri": URI}})).await;
    let published = next_diagnostics(&mut client, URI).await;
    assert_eq!(published["diagnostics"], json!([]));
}

#[tokio::test]
async fn ignore_this_finding_inserts_a_comment_the_rules_honour() {
    let (_, engine) = scripted(&[]);
    let mut client = start(engine);
    let capabilities = json!({"workspace": {"workspaceEdit": {"documentChanges": true}}});
    client.initialize(capabilities, json!({})).await;
    open(&mut client, URI, "python", VULNERABLE).await;
    let published = next_diagnostics(&mut client, URI).await;
    let diagnostic = published["diagnostics"][0].clone();
    let response = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
        )
        .await;
    let actions = response["result"].as_array().unwrap();
    let ignore = actions
        .iter()
        .find(|a| a["title"] == "Infill: Ignore this finding (sql-injection)")
        .unwrap_or_else(|| panic!("{actions:?}"));
    let fix =
        actions.iter().find(|a| a["title"].as_str().unwrap().starts_with("Infill: Fix")).unwrap();
    assert!(fix["data"].is_object() || fix["command"].is_object(), "the model fix is offered too");
    let edit = &ignore["edit"]["documentChanges"][0]["edits"][0];
    assert_eq!(edit["newText"], "    # infill-ignore: sql-injection\n");
    assert_eq!(edit["range"]["start"], json!({"line": 1, "character": 0}));
    let ignored = format!(
        "def find(cursor, name):\n{}{}",
        edit["newText"].as_str().unwrap(),
        &VULNERABLE[24..]
    );
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": ignored}]}),
        )
        .await;
    let published = next_diagnostics(&mut client, URI).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
}

async fn suggestion_with(filter: SuggestionFilter) -> Value {
    let insecure = "os.system(\"rm -rf \" + path)";
    let (_, engine) = scripted(&[ScriptedReply::text(insecure)]);
    let mut config = Config::default();
    config.model.path = Some("/nonexistent/model.gguf".into());
    config.security.filter_suggestions = filter;
    let mut client = start_with(config, engine);
    client.initialize(inline_capabilities(), json!({})).await;
    let text = "import os\n\n\ndef clean(path):\n    ";
    open(&mut client, "file:///project/clean.py", "python", text).await;
    let response = client
        .request(
            "textDocument/inlineCompletion",
            json!({"textDocument": {"uri": "file:///project/clean.py"}, "position": {"line": 4, "character": 4},
                   "context": {"triggerKind": 2}}),
        )
        .await;
    // A list (`{items}`) or a bare array of items.
    let result = &response["result"];
    if result.is_array() { result.clone() } else { result["items"].clone() }
}

#[tokio::test]
async fn a_suggestion_that_introduces_a_finding_is_dropped() {
    assert_eq!(suggestion_with(SuggestionFilter::Drop).await, json!([]));
    let shown = suggestion_with(SuggestionFilter::Off).await;
    assert_eq!(shown[0]["insertText"], "os.system(\"rm -rf \" + path)", "{shown}");
    let flagged = suggestion_with(SuggestionFilter::Flag).await;
    assert_eq!(flagged.as_array().map(Vec::len), Some(1), "{flagged}");
}
