//! Code actions through the LSP, end to end with a scripted engine: the listing (no model),
//! resolving each action into a versioned `WorkspaceEdit`, explanations, and the refusals (a
//! secret file, a stale action); then every action and a refactor with the real default model.
//! The refactor agent's own tests are in `refactor_agent.rs`.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::server::TestClient;
use common::workspace::{GEOMETRY, apply_to_disk, block, open, point, run_request, uri, workspace};
#[cfg(feature = "mistralrs")]
use common::workspace::{SHAPES, refactor, workspace_with};
#[cfg(feature = "mistralrs")]
use infill::config::Config;
#[cfg(feature = "mistralrs")]
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

async fn list_actions(
    client: &mut TestClient,
    path: &Path,
    range: Value,
    diagnostics: Value,
) -> Vec<Value> {
    let response = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(path)}, "range": range, "context": {"diagnostics": diagnostics}}),
        )
        .await;
    response["result"].as_array().cloned().unwrap_or_default()
}

fn titled<'a>(actions: &'a [Value], title: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with(title)))
        .unwrap_or_else(|| panic!("no action `{title}` in {actions:?}"))
}

#[tokio::test]
async fn actions_are_listed_without_the_model_and_resolved_one_at_a_time() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text("```\nThe area of a w by h rectangle.\n```"));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let diagnostic = json!({"range": {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 12}},
                            "message": "undefined name 'h'", "source": "pyflakes", "code": "F821"});
    let actions = list_actions(&mut client, &path, point(1, 4), json!([diagnostic])).await;
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Infill: Fix “undefined name 'h'”",
            "Infill: Explain",
            "Infill: Add documentation",
            "Infill: Generate unit tests",
            "Infill: Refactor with instruction…"
        ]
    );
    assert!(engine.prompts().is_empty(), "listing never runs the model");
    assert_eq!(titled(&actions, "Infill: Fix")["kind"], "quickfix.infill");
    assert!(titled(&actions, "Infill: Fix")["edit"].is_null(), "computed only on resolve");

    let document = titled(&actions, "Infill: Add documentation").clone();
    let resolved = client.request("codeAction/resolve", document).await;
    assert_eq!(engine.prompts().len(), 1);
    let edit = &resolved["result"]["edit"];
    apply_to_disk(edit);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "def area(w, h):\n    \"\"\"The area of a w by h rectangle.\"\"\"\n    return w * h\n"
    );
}

#[tokio::test]
async fn generated_tests_create_a_file_in_the_usual_place() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text(
        "```python\nfrom geometry import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n```",
    ));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let actions = list_actions(&mut client, &path, point(1, 4), json!([])).await;
    let tests = titled(&actions, "Infill: Generate unit tests").clone();
    let resolved = client.request("codeAction/resolve", tests).await;
    let edit = &resolved["result"]["edit"];
    let changes = edit["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "create");
    assert!(changes[0]["uri"].as_str().unwrap().ends_with("/tests/test_geometry.py"));
    apply_to_disk(edit);
    let written = std::fs::read_to_string(root.join("tests/test_geometry.py")).unwrap();
    assert_eq!(
        written,
        "from geometry import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"
    );
    assert!(engine.prompts()[0].contains("pytest"));
}

#[tokio::test]
async fn a_fix_is_anchored_and_checked() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    // The first answer does not parse as Python; the repair round's answer does.
    engine.push(ScriptedReply::text(block("    return w * h\n", "    return (w * h\n")));
    engine.push(ScriptedReply::text(block("    return w * h\n", "    return w * height\n")));
    let text = "def area(w, height):\n    return w * h\n";
    let (dir, mut client) = workspace(&[("geometry.py", text)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let diagnostic = json!({"range": {"start": {"line": 1, "character": 15}, "end": {"line": 1, "character": 16}},
                            "message": "undefined name 'h'", "code": "F821"});
    let actions = list_actions(&mut client, &path, point(1, 15), json!([diagnostic])).await;
    let fix = titled(&actions, "Infill: Fix").clone();
    assert_eq!(fix["diagnostics"][0]["message"], "undefined name 'h'");
    let resolved = client.request("codeAction/resolve", fix).await;
    apply_to_disk(&resolved["result"]["edit"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "def area(w, height):\n    return w * height\n"
    );
    let prompts = engine.prompts();
    assert!(prompts[0].contains("undefined name 'h'") && prompts[0].contains("F821"));
    assert!(prompts[1].contains("syntax error"), "the repair round names the error");
}

#[tokio::test]
async fn explain_opens_a_document_and_folds_the_reasoning() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::text(
        "<think>It multiplies.</think>\nReturns the product of `w` and `h`.",
    ));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let actions = list_actions(&mut client, &path, point(1, 4), json!([])).await;
    let command = titled(&actions, "Infill: Explain")["command"].clone();
    assert_eq!(command["command"], "infill.explain");
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": command["command"], "arguments": command["arguments"]}),
        )
        .await;
    let outcome = run_request(&mut client, id).await;
    let markdown = outcome.response["result"]["markdown"].as_str().unwrap();
    assert!(markdown.starts_with("# Explain: area\n\nReturns the product"), "{markdown}");
    assert!(markdown.contains("<details><summary>Reasoning</summary>\n\nIt multiplies."));
    assert_eq!(outcome.shown_documents.len(), 1);
    let shown = outcome.shown_documents[0]["uri"].as_str().unwrap();
    assert!(shown.ends_with("/explanations/geometry.md"), "{shown}");
    assert!(!shown.starts_with(&uri(&root)), "never written into the workspace");
    let written = Path::new(shown.trim_start_matches("file://"));
    assert!(written.starts_with(common::test_cache_dir()), "{shown} is in the tests' cache");
    assert!(std::fs::read_to_string(written).unwrap().starts_with("# Explain: area"));
}

#[tokio::test]
async fn a_secret_file_gets_no_actions() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    let (dir, mut client) = workspace(&[(".env", "API_KEY=abc\n")], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join(".env"), "dotenv").await;
    assert!(list_actions(&mut client, &root.join(".env"), point(0, 3), json!([])).await.is_empty());
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": "infill.explain", "arguments": [{"uri": uri(&root.join(".env")), "range": point(0, 3)}]}),
        )
        .await;
    let outcome = run_request(&mut client, id).await;
    assert!(outcome.response["error"]["message"].as_str().unwrap().contains("private"));
    assert!(engine.prompts().is_empty());
}

#[tokio::test]
async fn a_stale_action_is_refused() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let actions = list_actions(&mut client, &path, point(1, 4), json!([])).await;
    let document = titled(&actions, "Infill: Add documentation").clone();
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&path), "version": 2},
                   "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# x\n"}]}),
        )
        .await;
    let resolved = client.request("codeAction/resolve", document).await;
    assert!(resolved["error"]["message"].as_str().unwrap().contains("changed"), "{resolved}");
    assert!(engine.prompts().is_empty());
}

/// Whether `text` parses as Python without errors.
#[cfg(feature = "mistralrs")]
fn python_parses(text: &str) -> bool {
    let python = infill_syntax::LanguageRegistry::builtin().by_name("python").unwrap();
    infill_syntax::parse(&python, text).is_some_and(|tree| !tree.root_node().has_error())
}

/// Every file an applied `WorkspaceEdit` touched parses.
#[cfg(feature = "mistralrs")]
fn edits_parse(edit: &Value) -> Result<usize, String> {
    let touched = apply_to_disk(edit);
    for path in &touched {
        let text = std::fs::read_to_string(path).unwrap();
        if !python_parses(&text) {
            return Err(format!("{} does not parse after the edit:\n{text}", path.display()));
        }
    }
    Ok(touched.len())
}

/// A well-formed answer: a result, or an error that says why (never a crash or an empty error).
#[cfg(feature = "mistralrs")]
fn outcome_of(response: &Value) -> Result<&Value, String> {
    if let Some(message) = response["error"]["message"].as_str() {
        assert!(!message.trim().is_empty(), "an error without a reason: {response}");
        assert!(
            response["error"]["code"].as_i64() != Some(-32603),
            "an internal error: {response}"
        );
        return Err(message.to_owned());
    }
    assert!(!response["result"].is_null(), "neither result nor error: {response}");
    Ok(&response["result"])
}

/// Every action and one refactor with the real default model (135M parameters: the quality of
/// its answers is not asserted, their shape is): each answer is well-formed, and every edit it
/// returns re-parses.
#[cfg(feature = "mistralrs")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_model_runs_every_action_and_a_refactor() {
    let Some(model) = infill_engine::models::test_model_or_skip() else { return };
    let mut config = Config::default();
    config.model.path = Some(model);
    config.actions.max_tokens = 160;
    let files = [("geometry.py", GEOMETRY), ("shapes.py", SHAPES)];
    let (dir, mut client) = workspace_with(&files, config, EngineSource::Configured).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let diagnostic = json!({"range": {"start": {"line": 1, "character": 15}, "end": {"line": 1, "character": 16}},
                            "message": "'h' may be undefined", "source": "lint"});
    let actions = list_actions(&mut client, &path, point(1, 4), json!([diagnostic])).await;
    assert_eq!(actions.len(), 5, "{actions:?}");
    let mut report = Vec::new();
    for title in ["Infill: Add documentation", "Infill: Generate unit tests", "Infill: Fix"] {
        let action = titled(&actions, title).clone();
        let id = client.request_async("codeAction/resolve", action).await;
        let outcome = run_request(&mut client, id).await;
        match outcome_of(&outcome.response) {
            Ok(result) => {
                let files =
                    edits_parse(&result["edit"]).unwrap_or_else(|error| panic!("{title}: {error}"));
                report.push(format!("{title}: an edit of {files} file(s) that parses"));
            }
            Err(reason) => report.push(format!("{title}: refused: {reason}")),
        }
        // Later actions start from the original text again.
        std::fs::write(&path, GEOMETRY).unwrap();
        let _ = std::fs::remove_dir_all(root.join("tests"));
    }
    let explain = titled(&actions, "Infill: Explain")["command"].clone();
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": explain["command"], "arguments": explain["arguments"]}),
        )
        .await;
    let outcome = run_request(&mut client, id).await;
    match outcome_of(&outcome.response) {
        Ok(result) => {
            let markdown = result["markdown"].as_str().unwrap();
            assert!(
                markdown.starts_with("# Explain: area\n\n") && markdown.len() > 20,
                "{markdown}"
            );
            report.push(format!("Explain: {} characters of Markdown", markdown.len()));
        }
        Err(reason) => report.push(format!("Explain: refused: {reason}")),
    }
    let outcome = refactor(&mut client, &path, "rename area to surface", point(0, 5)).await;
    match outcome_of(&outcome.response) {
        Ok(result) if result["applied"] == true => {
            assert_eq!(outcome.apply_edits.len(), 1);
            let files = edits_parse(&outcome.apply_edits[0])
                .unwrap_or_else(|error| panic!("refactor: {error}"));
            report.push(format!("Refactor: applied to {files} file(s), all parse"));
        }
        Ok(result) => panic!("the refactor returned without applying: {result}"),
        Err(reason) => {
            assert!(outcome.apply_edits.is_empty(), "a refused refactor sent an edit");
            report.push(format!("Refactor: refused: {reason}"));
        }
    }
    eprintln!("default model, every action:\n  {}", report.join("\n  "));
}
