//! The refactor agent through the LSP, end to end with a scripted engine: multi-file refactors
//! applied in one `workspace/applyEdit`, and the failure paths (unusable model output, a broken
//! edit, cancellation, a document edited during the run), which leave the workspace untouched
//! and say why.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::workspace::{
    GEOMETRY, Outcome, REPORT, SHAPES, agent_engine, apply_to_disk, block, open, point, refactor,
    run_request, uri, workspace,
};
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

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
