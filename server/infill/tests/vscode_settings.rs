//! The VS Code extension's server settings are the server's configuration: every key it declares
//! in `editors/vscode/package.json` (the `contributes.configuration` categories whose id starts
//! with `infill.server`) is a key of [`Config`], of the same JSON type, with the same default,
//! and is accepted by [`Config::merge_json`], which is how `initializationOptions` arrive.

use std::path::Path;

use infill::config::Config;
use serde_json::{Map, Value, json};

/// The categories of package.json that hold server keys.
const SERVER_CATEGORY_PREFIX: &str = "infill.server";

fn manifest() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/vscode/package.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// Every server setting: its VS Code key, its path in the configuration and its schema.
fn server_settings(manifest: &Value) -> Vec<(String, Vec<String>, Value)> {
    let categories = match &manifest["contributes"]["configuration"] {
        Value::Array(categories) => categories.clone(),
        single => vec![single.clone()],
    };
    let mut settings = Vec::new();
    for category in categories {
        let id = category["id"].as_str().unwrap_or_default();
        if !id.starts_with(SERVER_CATEGORY_PREFIX) {
            continue;
        }
        for (key, schema) in category["properties"].as_object().into_iter().flatten() {
            let path = key.strip_prefix("infill.").unwrap_or(key).split('.').map(String::from);
            settings.push((key.clone(), path.collect(), schema.clone()));
        }
    }
    settings
}

/// The value at `path` in `value`, if every step exists.
fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, part| node.as_object()?.get(part))
}

/// `{a: {b: value}}` for the path `a.b`.
fn nested(path: &[String], value: Value) -> Value {
    path.iter().rev().fold(value, |inner, part| json!({ part.clone(): inner }))
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (base, patch) => *base = patch.clone(),
    }
}

/// The JSON types a schema's `type` allows.
fn declared_types(schema: &Value) -> Vec<String> {
    match &schema["type"] {
        Value::String(name) => vec![name.clone()],
        Value::Array(names) => names.iter().filter_map(|n| n.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks the server settings of `manifest` against the server's configuration; returns one
/// line per problem.
fn problems(manifest: &Value) -> Vec<String> {
    let defaults = serde_json::to_value(Config::default()).expect("the configuration serialises");
    let mut problems = Vec::new();
    let mut declared_defaults = Value::Object(Map::new());
    for (key, path, schema) in server_settings(manifest) {
        let Some(server_default) = lookup(&defaults, &path) else {
            problems.push(format!("{key}: the server has no configuration key {}", path.join(".")));
            continue;
        };
        if server_default.is_object() {
            problems.push(format!("{key}: {} is a section, not a key", path.join(".")));
            continue;
        }
        let types = declared_types(&schema);
        let server_type = json_type(server_default);
        let type_matches = types.iter().any(|t| t == server_type)
            || (server_type == "null" && !types.is_empty())
            || (server_type == "integer" && types.iter().any(|t| t == "number"));
        if !type_matches {
            problems.push(format!(
                "{key}: declared as {types:?}, the server's default {server_default} is {server_type}"
            ));
        }
        // The default shown in VS Code is the server's. An empty string means "unset" (the
        // extension sends nothing), which is right only where the server's default is unset.
        let default = schema.get("default").cloned().unwrap_or(Value::Null);
        let unset = default.is_null() || default == json!("");
        if unset {
            if !server_default.is_null() {
                problems.push(format!(
                    "{key}: the default is unset ({default}), the server's is {server_default}"
                ));
            }
        } else {
            if &default != server_default {
                problems.push(format!(
                    "{key}: the default is {default}, the server's is {server_default}"
                ));
            }
            merge(&mut declared_defaults, &nested(&path, default));
        }
        // Every value the Settings UI offers is one the server reads.
        for value in schema["enum"].as_array().into_iter().flatten() {
            let mut config = defaults.clone();
            merge(&mut config, &nested(&path, value.clone()));
            if let Err(error) = serde_json::from_value::<Config>(config) {
                problems.push(format!("{key}: the server refuses the choice {value}: {error}"));
            }
        }
    }
    // All declared defaults at once, through the path initializationOptions take.
    let mut config = Config::default();
    match config.merge_json(&declared_defaults) {
        Ok(()) => {
            let merged = serde_json::to_value(&config).expect("the configuration serialises");
            if merged != defaults {
                problems.push("the declared defaults change the server's configuration".into());
            }
        }
        Err(error) => problems.push(format!("merge_json refuses the declared defaults: {error:#}")),
    }
    problems
}

#[test]
fn every_server_setting_of_the_extension_is_a_configuration_key_with_its_default() {
    let manifest = manifest();
    let settings = server_settings(&manifest);
    assert!(
        settings.len() >= 20,
        "package.json declares only {} server settings: were the categories renamed?",
        settings.len()
    );
    let problems = problems(&manifest);
    assert!(problems.is_empty(), "editors/vscode/package.json:\n{}", problems.join("\n"));
}

#[test]
fn an_unknown_or_mistyped_setting_is_reported() {
    let manifest = json!({"contributes": {"configuration": [
        {"id": "infill", "properties": {"infill.serverPath": {"type": "string", "default": ""}}},
        {"id": "infill.server.completion", "properties": {
            "infill.completion.max_line": {"type": "integer", "default": 8},
            "infill.completion.max_tokens": {"type": "boolean", "default": true},
            "infill.completion.time_budget_ms": {"type": "integer", "default": 1},
            "infill.completion": {"type": "object", "default": {}},
        }},
        {"id": "infill.server.model", "properties": {
            "infill.model.dtype": {"type": "string", "default": "auto", "enum": ["auto", "int4"]},
            "infill.model.prefix_cache_entries": {"type": "integer", "default": ""},
        }},
    ]}});
    let problems = problems(&manifest);
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(has("infill.completion.max_line: the server has no configuration key"), "{problems:?}");
    assert!(has("infill.completion.max_tokens: declared as [\"boolean\"]"), "{problems:?}");
    assert!(has("infill.completion.time_budget_ms: the default is 1"), "{problems:?}");
    assert!(has("infill.completion: completion is a section"), "{problems:?}");
    assert!(has("infill.model.dtype: the server refuses the choice \"int4\""), "{problems:?}");
    assert!(has("infill.model.prefix_cache_entries: the default is unset"), "{problems:?}");
    assert!(
        !has("infill.serverPath"),
        "the extension's own settings are not checked: {problems:?}"
    );
}
