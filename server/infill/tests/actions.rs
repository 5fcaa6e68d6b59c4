//! Code actions and the refactor agent through the LSP, end to end with a scripted engine: the
//! listing (no model), resolving each action into a versioned `WorkspaceEdit`, the agent's
//! multi-file refactors applied in one `workspace/applyEdit`, and the failure paths, which leave
//! the workspace untouched and say why.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::server::{TestClient, start_with};
use infill::config::Config;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

/// Client capabilities of an editor with versioned edits, file creation, resolve and
/// server-initiated progress.
fn capabilities() -> Value {
    json!({
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
        "textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}},
        "window": {"workDoneProgress": true, "showDocument": {"support": true}}
    })
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A workspace on disk with `files`, and a server on it; waits until the index is built.
async fn workspace(
    files: &[(&str, &str)],
    engine: Arc<ScriptedEngine>,
) -> (tempfile::TempDir, TestClient) {
    let mut config = Config::default();
    config.model.path = Some("/nonexistent/model.gguf".into());
    workspace_with(files, config, EngineSource::Given(engine)).await
}

async fn workspace_with(
    files: &[(&str, &str)],
    config: Config,
    engine: EngineSource,
) -> (tempfile::TempDir, TestClient) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let mut client = start_with(config, engine);
    let id = client
        .request_async(
            "initialize",
            json!({"processId": null, "rootUri": uri(&root), "capabilities": capabilities()}),
        )
        .await;
    client.response(id).await;
    client.notify("initialized", json!({})).await;
    // Wait for the end of indexing.
    let done = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let message = client.read_message().await;
            if message["method"] == "window/workDoneProgress/create" {
                client.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": null})).await;
            } else if message["method"] == "$/progress"
                && message["params"]["token"] == "infill/indexing"
                && message["params"]["value"]["kind"] == "end"
            {
                return;
            }
        }
    })
    .await;
    done.expect("indexing finished");
    assert!(
        common::index_file_of(&root).is_some(),
        "no index of {} in the tests' cache {}",
        root.display(),
        common::test_cache_dir().display()
    );
    (dir, client)
}

async fn open(client: &mut TestClient, path: &Path, language: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    common::server::open(client, &uri(path), language, &text).await;
}

/// What the client saw while a request ran: its response and the edits the server asked it to
/// apply (each answered `applied: true`).
struct Outcome {
    response: Value,
    apply_edits: Vec<Value>,
    progress: Vec<String>,
    shown_documents: Vec<Value>,
}

async fn run_request(client: &mut TestClient, id: i64) -> Outcome {
    let mut outcome = Outcome {
        response: Value::Null,
        apply_edits: Vec::new(),
        progress: Vec::new(),
        shown_documents: Vec::new(),
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let message = client.read_message().await;
            match message["method"].as_str() {
                Some("workspace/applyEdit") => {
                    outcome.apply_edits.push(message["params"]["edit"].clone());
                    client
                        .send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": {"applied": true}}))
                        .await;
                }
                Some("window/showDocument") => {
                    outcome.shown_documents.push(message["params"].clone());
                    client
                        .send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": {"success": true}}))
                        .await;
                }
                Some(_) if message.get("id").is_some() => {
                    client.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": null})).await;
                }
                Some("$/progress") => {
                    if let Some(text) = message["params"]["value"]["message"].as_str() {
                        outcome.progress.push(text.to_owned());
                    }
                }
                Some(_) => {}
                None if message["id"] == json!(id) => {
                    outcome.response = message;
                    return;
                }
                None => {}
            }
        }
    })
    .await
    .expect("a response within 60 s");
    outcome
}

/// Applies a `WorkspaceEdit`'s `documentChanges` to the files on disk (ASCII texts, so UTF-16
/// columns are bytes), as an editor would; returns the paths it touched.
fn apply_to_disk(edit: &Value) -> Vec<PathBuf> {
    let mut touched = Vec::new();
    for change in edit["documentChanges"].as_array().expect("documentChanges") {
        if change["kind"] == "create" {
            let path = PathBuf::from(change["uri"].as_str().unwrap().trim_start_matches("file://"));
            if !path.exists() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "").unwrap();
            }
            continue;
        }
        let path = PathBuf::from(
            change["textDocument"]["uri"].as_str().unwrap().trim_start_matches("file://"),
        );
        let mut text = std::fs::read_to_string(&path).unwrap();
        let mut edits: Vec<&Value> = change["edits"].as_array().unwrap().iter().collect();
        edits.sort_by_key(|e| {
            std::cmp::Reverse((
                e["range"]["start"]["line"].as_u64(),
                e["range"]["start"]["character"].as_u64(),
            ))
        });
        for edit in edits {
            let offset = |position: &Value| {
                let line = position["line"].as_u64().unwrap() as usize;
                let character = position["character"].as_u64().unwrap() as usize;
                let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
                start + character
            };
            let (start, end) = (offset(&edit["range"]["start"]), offset(&edit["range"]["end"]));
            text.replace_range(start..end, edit["newText"].as_str().unwrap());
        }
        std::fs::write(&path, text).unwrap();
        touched.push(path);
    }
    touched
}

fn block(search: &str, replace: &str) -> String {
    format!("<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n")
}

/// An engine that plays the agent's model: it answers the planner with `plan` (file names in
/// order, read back from the numbered listing in the prompt) and each file's edit prompt with
/// `edits[file]` (or NO CHANGES).
fn agent_engine(plan: &[&str], edits: HashMap<&'static str, String>) -> Arc<ScriptedEngine> {
    let plan: Vec<String> = plan.iter().map(|s| s.to_string()).collect();
    Arc::new(ScriptedEngine::with_responder(ModelFamily::PrefixOnly, move |prompt| {
        if prompt.contains("Which files must change") {
            let mut numbers = Vec::new();
            for name in &plan {
                for line in prompt.lines() {
                    if let Some((number, rest)) = line.split_once(". ")
                        && (rest == name || rest.starts_with(&format!("{name} ")))
                        && let Ok(number) = number.trim().parse::<usize>()
                    {
                        numbers.push(number.to_string());
                    }
                }
            }
            return ScriptedReply::text(format!("FILES: {}", numbers.join(", ")));
        }
        let file = prompt
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("The file to edit now, "))
            .map(|rest| rest.trim_end_matches(':').to_owned())
            .unwrap_or_default();
        match edits.get(file.as_str()) {
            Some(answer) => ScriptedReply::text(answer.clone()),
            None => ScriptedReply::text("NO CHANGES"),
        }
    }))
}

async fn refactor(
    client: &mut TestClient,
    path: &Path,
    instruction: &str,
    range: Value,
) -> Outcome {
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": "infill.refactor", "arguments": [{
                "instruction": instruction, "uri": uri(path), "range": range, "scope": "selection"
            }]}),
        )
        .await;
    run_request(client, id).await
}

fn point(line: u32, character: u32) -> Value {
    json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character}})
}

const GEOMETRY: &str = "def area(w, h):\n    return w * h\n";
const SHAPES: &str = "from geometry import area\n\n\ndef square(s):\n    return area(s, s)\n";
const REPORT: &str = "from geometry import area\n\nprint(area(2, 3))\n";

#[tokio::test]
async fn rename_a_function_used_in_three_files() {
    let edits = HashMap::from([
        ("geometry.py", block("def area(w, h):\n", "def surface(w, h):\n")),
        (
            "shapes.py",
            block("from geometry import area\n", "from geometry import surface\n")
                + &block("    return area(s, s)\n", "    return surface(s, s)\n"),
        ),
        (
            "report.py",
            block(
                "from geometry import area\n\nprint(area(2, 3))\n",
                "from geometry import surface\n\nprint(surface(2, 3))\n",
            ),
        ),
    ]);
    let engine = agent_engine(&["geometry.py", "shapes.py", "report.py"], edits);
    let files = [("geometry.py", GEOMETRY), ("shapes.py", SHAPES), ("report.py", REPORT)];
    let (dir, mut client) = workspace(&files, Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("geometry.py"), "python").await;
    let outcome =
        refactor(&mut client, &root.join("geometry.py"), "rename area to surface", point(0, 5))
            .await;
    assert!(outcome.response["error"].is_null(), "{}", outcome.response);
    assert_eq!(outcome.response["result"]["applied"], true);
    assert_eq!(outcome.apply_edits.len(), 1, "one applyEdit for the whole change");
    let edit = &outcome.apply_edits[0];
    let documents: Vec<&Value> = edit["documentChanges"].as_array().unwrap().iter().collect();
    assert_eq!(documents.len(), 3);
    // The open document's edit carries its version; closed files have none.
    assert_eq!(documents[0]["textDocument"]["version"], 1);
    assert!(documents[1]["textDocument"]["version"].is_null());
    apply_to_disk(edit);
    assert_eq!(
        std::fs::read_to_string(root.join("geometry.py")).unwrap(),
        "def surface(w, h):\n    return w * h\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("shapes.py")).unwrap(),
        "from geometry import surface\n\n\ndef square(s):\n    return surface(s, s)\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("report.py")).unwrap(),
        "from geometry import surface\n\nprint(surface(2, 3))\n"
    );
    let steps: Vec<&str> = outcome.response["result"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"plan"));
    assert!(steps.contains(&"edit") && steps.contains(&"verify"));
    assert!(
        outcome
            .progress
            .iter()
            .any(|p| p.starts_with("plan: plan: geometry.py, shapes.py, report.py")),
        "{:?}",
        outcome.progress
    );
}

#[tokio::test]
async fn a_rename_that_misses_a_file_is_repaired_from_the_graph() {
    // The plan forgets report.py; verification finds `area` still referenced there and runs one
    // repair round on it.
    let edits = HashMap::from([
        ("geometry.py", block("def area(w, h):\n", "def surface(w, h):\n")),
        (
            "shapes.py",
            block("from geometry import area\n", "from geometry import surface\n")
                + &block("    return area(s, s)\n", "    return surface(s, s)\n"),
        ),
        (
            "report.py",
            block(
                "from geometry import area\n\nprint(area(2, 3))\n",
                "from geometry import surface\n\nprint(surface(2, 3))\n",
            ),
        ),
    ]);
    let engine = agent_engine(&["geometry.py", "shapes.py"], edits);
    let files = [("geometry.py", GEOMETRY), ("shapes.py", SHAPES), ("report.py", REPORT)];
    let (dir, mut client) = workspace(&files, Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("geometry.py"), "python").await;
    let outcome =
        refactor(&mut client, &root.join("geometry.py"), "rename area to surface", point(0, 5))
            .await;
    assert_eq!(outcome.response["result"]["applied"], true, "{}", outcome.response);
    let touched = apply_to_disk(&outcome.apply_edits[0]);
    assert_eq!(touched.len(), 3);
    assert_eq!(
        std::fs::read_to_string(root.join("report.py")).unwrap(),
        "from geometry import surface\n\nprint(surface(2, 3))\n"
    );
    let steps = outcome.response["result"]["steps"].to_string();
    assert!(steps.contains("still referenced in report.py"), "{steps}");
}

#[tokio::test]
async fn add_a_parameter_and_update_every_caller() {
    let greet = "def greet(name):\n    return 'Hello ' + name\n";
    let app = "from greet import greet\n\nprint(greet('Ada'))\n";
    let cli = "import sys\nfrom greet import greet\n\nprint(greet(sys.argv[1]))\n";
    let edits = HashMap::from([
        (
            "greet.py",
            block(
                greet,
                "def greet(name, punctuation):\n    return 'Hello ' + name + punctuation\n",
            ),
        ),
        ("app.py", block("print(greet('Ada'))\n", "print(greet('Ada', '!'))\n")),
        ("cli.py", block("print(greet(sys.argv[1]))\n", "print(greet(sys.argv[1], '.'))\n")),
    ]);
    let engine = agent_engine(&["greet.py", "app.py", "cli.py"], edits);
    let (dir, mut client) =
        workspace(&[("greet.py", greet), ("app.py", app), ("cli.py", cli)], engine).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("greet.py"), "python").await;
    let outcome =
        refactor(&mut client, &root.join("greet.py"), "add a punctuation parameter", point(0, 6))
            .await;
    assert_eq!(outcome.response["result"]["applied"], true, "{}", outcome.response);
    apply_to_disk(&outcome.apply_edits[0]);
    assert!(
        std::fs::read_to_string(root.join("greet.py"))
            .unwrap()
            .contains("def greet(name, punctuation):")
    );
    assert!(std::fs::read_to_string(root.join("app.py")).unwrap().contains("greet('Ada', '!')"));
    assert!(
        std::fs::read_to_string(root.join("cli.py")).unwrap().contains("greet(sys.argv[1], '.')")
    );
}

#[tokio::test]
async fn extract_a_function() {
    let text = "def total(items):\n    s = 0\n    for item in items:\n        s += item.price * item.qty\n    return s\n";
    let edits = HashMap::from([(
        "orders.py",
        block(
            "def total(items):\n",
            "def line_total(item):\n    return item.price * item.qty\n\n\ndef total(items):\n",
        ) + &block("        s += item.price * item.qty\n", "        s += line_total(item)\n"),
    )]);
    let engine = agent_engine(&["orders.py"], edits);
    let (dir, mut client) = workspace(&[("orders.py", text)], engine).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("orders.py"), "python").await;
    let range = json!({"start": {"line": 3, "character": 13}, "end": {"line": 3, "character": 34}});
    let outcome = refactor(
        &mut client,
        &root.join("orders.py"),
        "extract the line total into a function",
        range,
    )
    .await;
    assert_eq!(outcome.response["result"]["applied"], true, "{}", outcome.response);
    apply_to_disk(&outcome.apply_edits[0]);
    let after = std::fs::read_to_string(root.join("orders.py")).unwrap();
    assert!(after.starts_with("def line_total(item):\n    return item.price * item.qty\n"));
    assert!(after.contains("        s += line_total(item)\n"));
}

#[tokio::test]
async fn turn_a_callback_api_into_async_await() {
    let api = "function load(url, callback) {\n  fetch(url).then((r) => callback(null, r)).catch((e) => callback(e));\n}\n\nmodule.exports = { load };\n";
    let main = "const { load } = require('./api');\n\nload('/x', (err, r) => {\n  console.log(err, r);\n});\n";
    let edits = HashMap::from([
        (
            "api.js",
            block(
                "function load(url, callback) {\n  fetch(url).then((r) => callback(null, r)).catch((e) => callback(e));\n}\n",
                "async function load(url) {\n  return await fetch(url);\n}\n",
            ),
        ),
        (
            "main.js",
            block(
                "load('/x', (err, r) => {\n  console.log(err, r);\n});\n",
                "(async () => {\n  const r = await load('/x');\n  console.log(null, r);\n})();\n",
            ),
        ),
    ]);
    let engine = agent_engine(&["api.js", "main.js"], edits);
    let (dir, mut client) = workspace(&[("api.js", api), ("main.js", main)], engine).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("api.js"), "javascript").await;
    let outcome = refactor(
        &mut client,
        &root.join("api.js"),
        "use async/await instead of callbacks",
        point(0, 10),
    )
    .await;
    assert_eq!(outcome.response["result"]["applied"], true, "{}", outcome.response);
    apply_to_disk(&outcome.apply_edits[0]);
    assert!(
        std::fs::read_to_string(root.join("api.js"))
            .unwrap()
            .starts_with("async function load(url) {")
    );
    assert!(std::fs::read_to_string(root.join("main.js")).unwrap().contains("await load('/x')"));
}

#[tokio::test]
async fn move_a_function_to_another_module_and_fix_the_imports() {
    let utils = "import re\n\n\ndef slugify(s):\n    return re.sub('[^a-z]+', '-', s.lower())\n\n\ndef shout(s):\n    return s.upper()\n";
    let text = "def words(s):\n    return s.split()\n";
    let models = "from utils import slugify, shout\n\nprint(slugify('A b'), shout('x'))\n";
    let edits = HashMap::from([
        (
            "utils.py",
            block("def slugify(s):\n    return re.sub('[^a-z]+', '-', s.lower())\n\n\n", ""),
        ),
        (
            "text.py",
            block(
                "def words(s):\n",
                "import re\n\n\ndef slugify(s):\n    return re.sub('[^a-z]+', '-', s.lower())\n\n\ndef words(s):\n",
            ),
        ),
        (
            "models.py",
            block(
                "from utils import slugify, shout\n",
                "from text import slugify\nfrom utils import shout\n",
            ),
        ),
    ]);
    let engine = agent_engine(&["text.py", "utils.py", "models.py"], edits);
    let files = [("utils.py", utils), ("text.py", text), ("models.py", models)];
    let (dir, mut client) = workspace(&files, engine).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("utils.py"), "python").await;
    let outcome =
        refactor(&mut client, &root.join("utils.py"), "move slugify to text.py", point(3, 5)).await;
    assert_eq!(outcome.response["result"]["applied"], true, "{}", outcome.response);
    apply_to_disk(&outcome.apply_edits[0]);
    let utils_after = std::fs::read_to_string(root.join("utils.py")).unwrap();
    assert!(!utils_after.contains("def slugify"), "{utils_after}");
    assert!(std::fs::read_to_string(root.join("text.py")).unwrap().contains("def slugify(s):"));
    let models_after = std::fs::read_to_string(root.join("models.py")).unwrap();
    assert_eq!(
        models_after,
        "from text import slugify\nfrom utils import shout\n\nprint(slugify('A b'), shout('x'))\n"
    );
}

/// Starts a refactor of geometry.py whose model answers `answer` to every edit prompt.
async fn failing_refactor(answer: &str) -> (Outcome, Arc<ScriptedEngine>) {
    let edits = HashMap::from([("geometry.py", answer.to_owned())]);
    let engine = agent_engine(&["geometry.py"], edits);
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("geometry.py"), "python").await;
    let outcome =
        refactor(&mut client, &root.join("geometry.py"), "rename area to surface", point(0, 5))
            .await;
    assert_eq!(std::fs::read_to_string(root.join("geometry.py")).unwrap(), GEOMETRY);
    (outcome, engine)
}

#[tokio::test]
async fn model_output_without_blocks_is_refused_after_one_repair() {
    let (outcome, engine) = failing_refactor("I would rename it to surface.").await;
    assert!(outcome.apply_edits.is_empty());
    let message = outcome.response["error"]["message"].as_str().unwrap();
    assert!(message.contains("neither") && message.contains("geometry.py"), "{message}");
    // One edit prompt and one repair prompt (a single candidate needs no plan).
    assert_eq!(engine.prompts().len(), 2);
    assert!(engine.prompts()[1].contains("could not be used"));
}

#[tokio::test]
async fn an_edit_that_breaks_the_syntax_is_refused() {
    let (outcome, _) = failing_refactor(&block("def area(w, h):\n", "def surface(w, h:\n")).await;
    assert!(outcome.apply_edits.is_empty());
    let message = outcome.response["error"]["message"].as_str().unwrap();
    assert!(message.contains("syntax error"), "{message}");
}

#[tokio::test]
async fn an_anchor_that_is_not_in_the_file_is_refused() {
    let (outcome, _) =
        failing_refactor(&block("def area(width, height):\n", "def surface(w, h):\n")).await;
    assert!(outcome.apply_edits.is_empty());
    let message = outcome.response["error"]["message"].as_str().unwrap();
    assert!(message.contains("is not in the file"), "{message}");
}

#[tokio::test]
async fn a_cancelled_refactor_stops_the_model_and_changes_nothing() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::slow("x".repeat(2000), Duration::from_millis(20)));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("geometry.py"), "python").await;
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": "infill.refactor", "arguments": [{
                "instruction": "rename area", "uri": uri(&root.join("geometry.py")), "range": point(0, 5)
            }]}),
        )
        .await;
    common::server::wait_until_generating(&engine).await;
    client.notify("$/cancelRequest", json!({"id": id})).await;
    let outcome = run_request(&mut client, id).await;
    assert!(outcome.apply_edits.is_empty());
    assert!(!outcome.response["error"].is_null(), "{}", outcome.response);
    for _ in 0..200 {
        if engine.running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(engine.running(), 0, "the generation stopped");
}

#[tokio::test]
async fn a_document_edited_during_the_run_is_not_clobbered() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    engine.push(ScriptedReply::slow(
        block("def area(w, h):\n", "def surface(w, h):\n"),
        Duration::from_millis(20),
    ));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let path = root.join("geometry.py");
    open(&mut client, &path, "python").await;
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": "infill.refactor", "arguments": [{
                "instruction": "rename area to surface", "uri": uri(&path), "range": point(0, 5)
            }]}),
        )
        .await;
    common::server::wait_until_generating(&engine).await;
    client
        .notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&path), "version": 2},
                   "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 0}}, "text": "# edited\n"}]}),
        )
        .await;
    let outcome = run_request(&mut client, id).await;
    assert!(outcome.apply_edits.is_empty(), "nothing is applied over the user's edit");
    let message = outcome.response["error"]["message"].as_str().unwrap();
    assert!(message.contains("changed while the refactor ran"), "{message}");
}

#[tokio::test]
async fn a_refactor_without_an_instruction_says_what_is_missing() {
    let engine = Arc::new(ScriptedEngine::new(ModelFamily::PrefixOnly));
    let (dir, mut client) = workspace(&[("geometry.py", GEOMETRY)], Arc::clone(&engine)).await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    open(&mut client, &root.join("geometry.py"), "python").await;
    let id = client
        .request_async(
            "workspace/executeCommand",
            json!({"command": "infill.refactor", "arguments": [{"uri": uri(&root.join("geometry.py"))}]}),
        )
        .await;
    let outcome = run_request(&mut client, id).await;
    assert!(
        outcome.response["error"]["message"].as_str().unwrap().contains("needs an instruction")
    );
    assert!(engine.prompts().is_empty());
}

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
