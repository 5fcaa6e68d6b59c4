//! A workspace on disk with a server on it, for the tests of code actions and the refactor agent:
//! the client's capabilities, a request run to its end (with the edits the server asked to
//! apply), those edits applied to the files, and a scripted engine that plays the agent's model.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use infill::config::Config;
use infill::lsp::EngineSource;
use infill_engine::{ModelFamily, ScriptedEngine, ScriptedReply};
use serde_json::{Value, json};

use super::server::{TestClient, start_with};

/// Client capabilities of an editor with versioned edits, file creation, resolve and
/// server-initiated progress.
pub fn capabilities() -> Value {
    json!({
        "general": {"positionEncodings": ["utf-16"]},
        "workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
        "textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}},
        "window": {"workDoneProgress": true, "showDocument": {"support": true}}
    })
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A workspace on disk with `files`, and a server on it; waits until the index is built.
pub async fn workspace(
    files: &[(&str, &str)],
    engine: Arc<ScriptedEngine>,
) -> (tempfile::TempDir, TestClient) {
    let mut config = Config::default();
    config.model.path = Some("/nonexistent/model.gguf".into());
    workspace_with(files, config, EngineSource::Given(engine)).await
}

pub async fn workspace_with(
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
        super::index_file_of(&root).is_some(),
        "no index of {} in the tests' cache {}",
        root.display(),
        super::test_cache_dir().display()
    );
    (dir, client)
}

pub async fn open(client: &mut TestClient, path: &Path, language: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    super::server::open(client, &uri(path), language, &text).await;
}

/// What the client saw while a request ran: its response and the edits the server asked it to
/// apply (each answered `applied: true`).
pub struct Outcome {
    pub response: Value,
    pub apply_edits: Vec<Value>,
    pub progress: Vec<String>,
    pub shown_documents: Vec<Value>,
}

pub async fn run_request(client: &mut TestClient, id: i64) -> Outcome {
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
pub fn apply_to_disk(edit: &Value) -> Vec<PathBuf> {
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

pub fn block(search: &str, replace: &str) -> String {
    format!("<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n")
}

/// An engine that plays the agent's model: it answers the planner with `plan` (file names in
/// order, read back from the numbered listing in the prompt) and each file's edit prompt with
/// `edits[file]` (or NO CHANGES).
pub fn agent_engine(plan: &[&str], edits: HashMap<&'static str, String>) -> Arc<ScriptedEngine> {
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

pub async fn refactor(
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

pub fn point(line: u32, character: u32) -> Value {
    json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character}})
}

pub const GEOMETRY: &str = "def area(w, h):\n    return w * h\n";
pub const SHAPES: &str = "from geometry import area\n\n\ndef square(s):\n    return area(s, s)\n";
pub const REPORT: &str = "from geometry import area\n\nprint(area(2, 3))\n";
