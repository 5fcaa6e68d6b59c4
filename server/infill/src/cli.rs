//! The command-line commands besides `lsp`: `complete`, `model fetch|convert`, `doctor`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use infill_context::IndexReport;
use infill_engine::ActivationDtype;
use infill_engine::gguf::{GgufInfo, ggml_type_name};
use infill_engine::planner::{KvDtype, ModelShape, format_bytes, plan};
use infill_ide::completion::{Completer, CompletionInput, CompletionSettings, FileLabel};
use infill_ide::workspace::{ContextSettings, Workspace, root_for, to_context_files};
use infill_syntax::{Document, DocumentLimits, LanguageRegistry, Position, PositionEncoding};

use crate::config::{CompletionConfig, Config};
use crate::lsp::ext::ContextResponse;

/// `FILE:LINE:COL` with a 1-based line and a 1-based column in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl std::str::FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse::<u32>().ok());
        let line = parts.next().and_then(|l| l.parse::<u32>().ok());
        let path = parts.next();
        match (path, line, column) {
            (Some(path), Some(line), Some(column))
                if line > 0 && column > 0 && !path.is_empty() =>
            {
                Ok(Location { path: PathBuf::from(path), line, column })
            }
            _ => Err(format!("expected FILE:LINE:COL with 1-based numbers, got `{text}`")),
        }
    }
}

/// Reads a file as a document; invalid UTF-8 is replaced, so any file can be completed.
pub fn open_document(path: &Path, registry: &LanguageRegistry) -> anyhow::Result<Document> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(Document::new(&text, 0, registry.for_path(path), &DocumentLimits::default()))
}

/// The completion input for a location in a file, named by the path as given (no workspace
/// context, no repository name).
pub fn completion_input(location: &Location) -> anyhow::Result<CompletionInput> {
    let registry = LanguageRegistry::builtin();
    let mut document = open_document(&location.path, &registry)?;
    let cursor = document.byte_offset(
        Position { line: location.line - 1, character: location.column - 1 },
        PositionEncoding::Utf32,
    );
    let label = FileLabel::named(location.path.to_string_lossy().trim_start_matches("./"));
    Ok(CompletionInput::from_document(&mut document, cursor, label))
}

/// `infill complete FILE:LINE:COL`.
pub async fn complete(config: &Config, location: &Location, json: bool) -> anyhow::Result<()> {
    let mut input = completion_input(location)?;
    if config.context.enabled {
        let AroundFile { workspace, root, file, .. } = workspace_around(config, location)?;
        input.context = workspace.context_for_completion(&file, &input.text, input.cursor);
        let label = FileLabel::for_path(&file, &[root]);
        input.path = label.path;
        input.repo_name = label.repo_name;
    }
    let engine = crate::engine::load(config.model.clone(), config.engine.clone()).await?;
    let settings = explicit_request_settings(&config.completion);
    let completer = Completer::new(Arc::clone(&engine), settings);
    let suggestion = completer.complete(input).await?;
    if json {
        let value = serde_json::json!({
            "text": suggestion.as_ref().map(|s| s.text.clone()),
            "stats": suggestion.as_ref().and_then(|s| s.stats.clone()),
            "elapsed_ms": suggestion.as_ref().map(|s| s.elapsed.as_millis() as u64),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        match &suggestion {
            Some(s) => println!("{}", s.text),
            None => eprintln!("(no suggestion at this position)"),
        }
        if let Some(stats) = suggestion.as_ref().and_then(|s| s.stats.as_ref()) {
            eprintln!(
                "prompt {} tokens ({} computed), {} generated, first token after {} ms, {} ms in all",
                stats.prompt_tokens,
                stats.computed_tokens,
                stats.generated_tokens,
                stats.time_to_first_token.as_millis(),
                stats.total_time.as_millis()
            );
        }
    }
    Ok(())
}

/// The settings of `infill complete`. It is an explicit request at a position the user chose,
/// like an editor's manual trigger, so it differs from the configuration in two documented ways:
/// it completes inside comments and strings too, its time budget is at least 60 s (a cold
/// prompt on a slow CPU must still answer), and it always answers from the full prompt (no fast
/// first answer: there is no next keystroke to warm it for). Everything else is the
/// `[completion]` configuration.
pub fn explicit_request_settings(config: &CompletionConfig) -> CompletionSettings {
    let mut settings = CompletionSettings::from(config);
    settings.in_comments = true;
    settings.in_strings = true;
    settings.time_budget = settings.time_budget.max(std::time::Duration::from_secs(60));
    settings.fast_first_prefix_bytes = 0;
    settings
}

/// A workspace indexed around a file given on the command line.
struct AroundFile {
    workspace: Workspace,
    /// The indexed root (see [`root_for`]).
    root: PathBuf,
    /// The file, canonicalized.
    file: PathBuf,
    report: IndexReport,
}

/// Indexes the workspace around `location` (its git root, else its directory; see
/// [`root_for`]) with the `[context]` settings.
fn workspace_around(config: &Config, location: &Location) -> anyhow::Result<AroundFile> {
    let root = root_for(&location.path);
    let file = std::fs::canonicalize(&location.path)
        .with_context(|| format!("cannot resolve {}", location.path.display()))?;
    let workspace = Workspace::default();
    workspace.set_settings(ContextSettings::from(&config.context));
    let report = workspace.index_root(&root, &|_, _| {});
    Ok(AroundFile { workspace, root, file, report })
}

/// `infill context FILE:LINE:COL`: indexes the workspace around the file and prints the ranked
/// snippets for the cursor and the prompt they make.
pub fn context(config: &Config, location: &Location, json: bool) -> anyhow::Result<()> {
    let mut input = completion_input(location)?;
    let AroundFile { workspace, root, file, report } = workspace_around(config, location)?;
    let result = workspace.rank(&file, &input.text, input.cursor);
    let family = config
        .model
        .family
        .clone()
        .or_else(|| {
            config.model.path.as_deref().and_then(|p| GgufInfo::read(p).ok()).map(|i| i.family())
        })
        .unwrap_or_default();
    let label = FileLabel::for_path(&file, std::slice::from_ref(&root));
    input.path = label.path;
    input.repo_name = label.repo_name;
    input.context = to_context_files(&result);
    let settings = CompletionSettings::from(&config.completion);
    let prompt = infill_ide::completion::render_prompt(&family, &input, &settings);
    if json {
        let mut value = serde_json::to_value(ContextResponse::new(&result, prompt))?;
        value["root"] = serde_json::json!(root);
        value["indexed_files"] = serde_json::json!(report.indexed);
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "indexed {} files under {} in {} ms ({} skipped); {} candidates, {} of {} tokens used",
        report.indexed,
        root.display(),
        report.elapsed_ms,
        report.skipped.len(),
        result.candidates,
        result.tokens_used,
        result.token_budget
    );
    println!("\nsnippets, in prompt order (most relevant last):");
    for snippet in &result.snippets {
        println!(
            "  {}:{}-{}  score {:.3}  {}",
            snippet.relative_path,
            snippet.start_line + 1,
            snippet.end_line + 1,
            snippet.score,
            snippet.reason
        );
    }
    println!("\n----- prompt ({}) -----\n{prompt}", family.name());
    Ok(())
}

/// `infill model fetch`.
pub fn model_fetch() -> anyhow::Result<()> {
    let path = crate::models::fetch_default(&|line| eprintln!("{line}"))?;
    println!("{}", path.display());
    Ok(())
}

/// `infill model convert IN OUT --type TYPE`.
#[cfg(feature = "mistralrs")]
pub fn model_convert(input: &Path, output: &Path, target: &str) -> anyhow::Result<()> {
    use infill_engine::convert::{TargetType, convert};
    let target = TargetType::from_name(target)
        .with_context(|| format!("unknown type `{target}` (q8_0, q4_0, q4_k, q6_k, f16)"))?;
    let report = convert(input, output, target)?;
    eprintln!("converted {} tensors, kept {}", report.converted, report.kept);
    Ok(())
}

#[cfg(not(feature = "mistralrs"))]
pub fn model_convert(_: &Path, _: &Path, _: &str) -> anyhow::Result<()> {
    anyhow::bail!("this build has no model conversion (built without the `mistralrs` feature)")
}

/// Options of `infill doctor`.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub context: Option<u64>,
    pub kv_dtype: Option<String>,
    pub memory_gib: Option<f64>,
}

/// `infill doctor`: the build, the CPU, the model and whether it fits.
pub fn doctor(config: &Config, options: &DoctorOptions) -> anyhow::Result<bool> {
    println!("infill {}", env!("CARGO_PKG_VERSION"));
    println!(
        "in-process engine: {}",
        if cfg!(feature = "mistralrs") {
            "mistral.rs (compiled in)"
        } else {
            "none (no mistralrs feature)"
        }
    );
    println!("cuda: {}", if cfg!(feature = "cuda") { "compiled in" } else { "not compiled in" });
    let remote = &config.engine;
    println!("backend: {}", remote.backend.name());
    if remote.backend != infill_engine::Backend::Embedded {
        if !cfg!(feature = "remote") {
            println!("  this binary was built without the `remote` feature: it cannot use it");
        }
        println!("  endpoints: {}", remote.endpoints.join(", "));
        println!("  model: {}", remote.model.as_deref().unwrap_or("(not set)"));
        println!("  family: {}", remote.family().name());
        let key = std::env::var_os(&remote.api_key_env).is_some_and(|k| !k.is_empty());
        println!("  api key: {} {}", remote.api_key_env, if key { "is set" } else { "is unset" });
        let reachable = doctor_remote(remote);
        println!("  no model file or memory plan: the server holds the model");
        return Ok(config.validate().is_ok() && reachable);
    }
    #[cfg(target_arch = "x86_64")]
    {
        println!(
            "cpu: avx2 {} / fma {}; this binary was compiled {} AVX2",
            std::arch::is_x86_feature_detected!("avx2"),
            std::arch::is_x86_feature_detected!("fma"),
            if cfg!(target_feature = "avx2") { "with" } else { "WITHOUT (slow kernels)" }
        );
    }
    let Some(path) = config.model.path.as_ref() else {
        println!(
            "model: {} (Hugging Face, not checked offline)",
            config.model.hf_repo.as_deref().unwrap_or("none")
        );
        return Ok(true);
    };
    let info = match infill_engine::models::check_model_file(path) {
        Ok(info) => info,
        Err(error) => {
            println!("model: {error}");
            return Ok(false);
        }
    };
    print_model(&info);
    let Some(shape) = ModelShape::from_gguf(&info) else {
        println!("plan: the model's metadata lacks layer or head counts; cannot plan memory");
        return Ok(true);
    };
    let available = match options.memory_gib {
        Some(gib) => (gib * 1024.0 * 1024.0 * 1024.0) as u64,
        None => infill_engine::planner::available_system_memory().unwrap_or(0),
    };
    let dtype = match options.kv_dtype.as_deref() {
        Some(name) => {
            KvDtype::from_name(name).with_context(|| format!("unknown KV type `{name}`"))?
        }
        // The dtype the engine will run with (`model.dtype`; bf16 on the CPU by default).
        None => match config.model.dtype {
            ActivationDtype::F32 => KvDtype::F32,
            ActivationDtype::F16 => KvDtype::F16,
            ActivationDtype::Bf16 => KvDtype::Bf16,
            ActivationDtype::Auto if cfg!(feature = "cuda") => KvDtype::F16,
            ActivationDtype::Auto => KvDtype::Bf16,
        },
    };
    let context = options
        .context
        .or(config.model.context_length.map(|c| c as u64))
        .unwrap_or(shape.max_context);
    println!("\nmemory available: {}", format_bytes(available));
    println!("| context | KV type | weights | KV cache | overhead | total | fits |");
    println!("|---:|---|---:|---:|---:|---:|---|");
    let mut contexts = vec![2048, 8192, shape.max_context, context];
    contexts.sort_unstable();
    contexts.dedup();
    for ctx in contexts {
        for d in [KvDtype::F32, KvDtype::F16, KvDtype::Fp8] {
            let p = plan(&shape, ctx, d, available);
            println!(
                "| {ctx} | {} | {} | {} | {} | {} | {} |",
                d.name(),
                format_bytes(p.weight_bytes),
                format_bytes(p.kv_bytes),
                format_bytes(p.overhead_bytes),
                format_bytes(p.total_bytes),
                if p.fits { "yes" } else { "no" }
            );
        }
    }
    let chosen = plan(&shape, context, dtype, available);
    println!("\nplan: {} tokens of {} KV cache: {}", context, dtype.name(), chosen.verdict());
    Ok(chosen.fits)
}

/// The remote part of `infill doctor`: each endpoint's health, where token counts come from,
/// the family and context length in use. Returns whether some endpoint answered.
#[cfg(feature = "remote")]
fn doctor_remote(remote: &infill_engine::EngineConfig) -> bool {
    let engine = match infill_engine::RemoteEngine::new(remote) {
        Ok(engine) => engine,
        Err(error) => {
            println!("  {error}");
            return false;
        }
    };
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::block_in_place(|| handle.block_on(engine.probe()));
    let mut any_up = false;
    let status = infill_engine::Engine::remote_status(&engine);
    for endpoint in status.map(|s| s.endpoints).unwrap_or_default() {
        any_up |= endpoint.state == infill_engine::EndpointState::Up;
        let state = serde_json::to_value(endpoint.state).unwrap_or_default();
        println!(
            "  endpoint {}: {}{}",
            endpoint.url,
            state.as_str().unwrap_or("?"),
            endpoint.last_error.map(|e| format!(" ({e})")).unwrap_or_default()
        );
    }
    println!("  token counts: {}", report.token_counts);
    println!(
        "  family in use: {}{}",
        report.family.name(),
        if report.family_detected { " (detected from the vocabulary)" } else { "" }
    );
    println!(
        "  context length: {}{}",
        report.context_length,
        if report.context_from_server { " (reported by the server)" } else { "" }
    );
    any_up
}

#[cfg(not(feature = "remote"))]
fn doctor_remote(_: &infill_engine::EngineConfig) -> bool {
    false
}

fn print_model(info: &GgufInfo) {
    println!("model: {}", info.path.display());
    println!(
        "  {} ({}), family {}, {} tensors, mostly {}, {} of weights",
        info.get_str("general.name").unwrap_or("unnamed"),
        info.architecture().unwrap_or("unknown architecture"),
        info.family().name(),
        info.tensors.len(),
        info.dominant_type().map(ggml_type_name).unwrap_or("?"),
        format_bytes(info.weight_bytes())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_request_completes_everywhere_with_a_longer_budget() {
        let config = CompletionConfig { max_tokens: 7, time_budget_ms: 500, ..Default::default() };
        let settings = explicit_request_settings(&config);
        assert!(settings.in_comments && settings.in_strings);
        assert_eq!(settings.time_budget, std::time::Duration::from_secs(60));
        assert_eq!(settings.max_tokens, 7);
        let patient = CompletionConfig { time_budget_ms: 90_000, ..Default::default() };
        assert_eq!(
            explicit_request_settings(&patient).time_budget,
            std::time::Duration::from_secs(90)
        );
    }

    #[test]
    fn parses_locations() {
        let location: Location = "src/main.rs:12:5".parse().unwrap();
        assert_eq!(location, Location { path: "src/main.rs".into(), line: 12, column: 5 });
        let windows: Location = "C:/x/a.py:1:1".parse().unwrap();
        assert_eq!(windows.path, PathBuf::from("C:/x/a.py"));
        assert!("src/main.rs:0:5".parse::<Location>().is_err());
        assert!("src/main.rs:12".parse::<Location>().is_err());
        assert!(":1:1".parse::<Location>().is_err());
    }
}
