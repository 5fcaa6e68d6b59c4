//! Infill's configuration: one typed struct with defaults, read from a TOML file and overridden
//! by the editor's `initializationOptions` (same shape, as JSON).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use infill_engine::{EngineConfig, LocalEngineConfig};
use infill_ide::actions::ActionSettings;
use infill_ide::completion::CompletionSettings;
use infill_ide::workspace::ContextSettings;
use infill_syntax::DocumentLimits;
use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Which backend serves completions: `embedded` (the default: `[model]` in process, no
    /// network socket) or a server over HTTP (`openai`, `ollama`) with its endpoints and model.
    pub engine: EngineConfig,
    /// The model and how it runs (the embedded backend).
    pub model: LocalEngineConfig,
    /// Inline completions.
    pub completion: CompletionConfig,
    /// Workspace context.
    pub context: ContextConfig,
    /// Documents.
    pub documents: DocumentConfig,
    /// Code actions and refactors.
    pub actions: ActionsConfig,
    /// Security checks in the editor.
    pub security: SecurityConfig,
    /// Logging: a `tracing` filter such as `info` or `infill=debug` (`INFILL_LOG` wins).
    pub log_level: Option<String>,
    /// Log to this file instead of stderr.
    pub log_file: Option<PathBuf>,
}

/// Inline completion settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompletionConfig {
    /// Serve `textDocument/inlineCompletion` to clients that support it.
    pub inline: bool,
    /// Serve completion items (`textDocument/completion`) to clients without inline completion.
    pub items: bool,
    /// Most tokens one suggestion may generate.
    pub max_tokens: usize,
    /// Most lines one suggestion may have.
    pub max_lines: usize,
    /// Wall-clock budget for one suggestion, in milliseconds.
    pub time_budget_ms: u64,
    /// Offer completions inside comments.
    pub in_comments: bool,
    /// Offer completions inside strings.
    pub in_strings: bool,
    /// Bytes of the current file before the cursor that go into the prompt.
    pub prefix_bytes: usize,
    /// Bytes after the cursor (FIM models, and post-processing).
    pub suffix_bytes: usize,
    /// A fast first answer while the full prompt is cold: this many bytes before the cursor and
    /// no workspace context; the full prompt is computed in the background once the user pauses,
    /// for the next keystrokes. 0 always waits for the full prompt.
    pub fast_first_prefix_bytes: usize,
    /// Compute the prompt at the cursor in the background when a plugin says where the cursor
    /// is (`infill/didFocus`: a file shown, the cursor resting somewhere new).
    pub prefetch: bool,
    /// Check that a suggestion parses where it goes before showing it: repair its indentation
    /// or cut the lines that break, else try another candidate, else show nothing.
    pub check_syntax: bool,
    /// The most candidates one request makes: further ones are sampled when the first breaks
    /// the syntax, and an explicit request (the user invoked completion, or cycles through
    /// suggestions) gets up to this many alternatives.
    pub candidates: usize,
}

/// The defaults are the pipeline's own ([`CompletionSettings::default`]): one source of truth.
impl Default for CompletionConfig {
    fn default() -> Self {
        let settings = CompletionSettings::default();
        Self {
            inline: true,
            items: true,
            max_tokens: settings.max_tokens,
            max_lines: settings.max_lines,
            time_budget_ms: settings.time_budget.as_millis() as u64,
            in_comments: settings.in_comments,
            in_strings: settings.in_strings,
            prefix_bytes: settings.prefix_bytes,
            suffix_bytes: settings.suffix_bytes,
            fast_first_prefix_bytes: settings.fast_first_prefix_bytes,
            prefetch: true,
            check_syntax: settings.validate,
            candidates: settings.candidates,
        }
    }
}

/// The one conversion from the configuration to the pipeline's settings.
impl From<&CompletionConfig> for CompletionSettings {
    fn from(config: &CompletionConfig) -> CompletionSettings {
        CompletionSettings {
            max_tokens: config.max_tokens,
            max_lines: config.max_lines,
            time_budget: Duration::from_millis(config.time_budget_ms),
            in_comments: config.in_comments,
            in_strings: config.in_strings,
            prefix_bytes: config.prefix_bytes,
            suffix_bytes: config.suffix_bytes,
            postprocess: true,
            stop_at_cut: true,
            fast_first_prefix_bytes: config.fast_first_prefix_bytes,
            validate: config.check_syntax,
            candidates: config.candidates.max(1),
        }
    }
}

/// Workspace context settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContextConfig {
    /// Index the workspace and put related code from other files into prompts.
    pub enabled: bool,
    /// Tokens of workspace context per prompt.
    pub token_budget: usize,
    /// Files larger than this are not indexed (bytes).
    pub max_file_bytes: u64,
    /// Extra globs never to read or send (on top of `.infillignore`).
    pub exclude: Vec<String>,
    /// Bytes of the user's recent edits elsewhere (other files, far in this one) that go into a
    /// prompt as a small diff; 0 leaves them out.
    pub recent_edits_bytes: usize,
    /// Keep the index on disk (`index/` in the cache directory, one file per workspace root), so
    /// a restart parses only the files that changed.
    pub persist_index: bool,
}

/// The defaults are the workspace's own ([`ContextSettings::default`]).
impl Default for ContextConfig {
    fn default() -> Self {
        let settings = ContextSettings::default();
        Self {
            enabled: settings.enabled,
            token_budget: settings.token_budget,
            max_file_bytes: settings.max_file_bytes,
            exclude: settings.exclude,
            recent_edits_bytes: settings.recent_edits_bytes,
            persist_index: true,
        }
    }
}

/// The one conversion from the configuration to the workspace's settings.
impl From<&ContextConfig> for ContextSettings {
    fn from(config: &ContextConfig) -> ContextSettings {
        ContextSettings {
            enabled: config.enabled,
            token_budget: config.token_budget,
            max_file_bytes: config.max_file_bytes,
            exclude: config.exclude.clone(),
            recent_edits_bytes: config.recent_edits_bytes,
            index_dir: config.persist_index.then(index_dir),
        }
    }
}

/// Where the on-disk index lives: `index/` in the cache directory.
pub fn index_dir() -> std::path::PathBuf {
    infill_engine::models::cache_dir().join("index")
}

/// Code action and refactor settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionsConfig {
    /// Offer code actions (`textDocument/codeAction`) and `infill.refactor`.
    pub enabled: bool,
    /// Most tokens one model answer of an action may have.
    pub max_tokens: usize,
    /// Wall-clock budget for one answer's decoding, in seconds.
    pub time_budget_secs: u64,
    /// Files larger than this (bytes) are not sent to the model by an action.
    pub max_file_bytes: usize,
}

/// The defaults are the actions' own ([`ActionSettings::default`]).
impl Default for ActionsConfig {
    fn default() -> Self {
        let settings = ActionSettings::default();
        Self {
            enabled: true,
            max_tokens: settings.max_tokens,
            time_budget_secs: settings.time_budget.map_or(0, |budget| budget.as_secs()),
            max_file_bytes: settings.max_file_chars,
        }
    }
}

/// The one conversion from the configuration to the actions' settings.
impl From<&ActionsConfig> for ActionSettings {
    fn from(config: &ActionsConfig) -> ActionSettings {
        ActionSettings {
            max_tokens: config.max_tokens,
            time_budget: (config.time_budget_secs > 0)
                .then(|| Duration::from_secs(config.time_budget_secs)),
            max_file_chars: config.max_file_bytes,
        }
    }
}

/// Security checks in the editor: findings as diagnostics, and suggestions that would introduce
/// one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Publish findings as diagnostics (source `infill`) on open and change.
    pub diagnostics: bool,
    /// Milliseconds after the last change before a document is checked.
    pub debounce_ms: u64,
    /// A suggestion that would introduce a finding: `drop` it, `flag` it, or `off` (show it).
    pub filter_suggestions: SuggestionFilter,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self { diagnostics: true, debounce_ms: 300, filter_suggestions: SuggestionFilter::Drop }
    }
}

/// What happens to a suggestion that would introduce a security finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionFilter {
    /// It is not shown.
    Drop,
    /// It is shown, flagged (the completion item's detail names the rule; ghost text cannot
    /// carry a flag, so the trace and the log do).
    Flag,
    /// It is shown as it is.
    Off,
}

/// Document settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentConfig {
    /// Documents larger than this are kept as plain text, without a syntax tree (bytes).
    pub max_tree_bytes: usize,
}

/// The defaults are the document store's own ([`DocumentLimits::default`]).
impl Default for DocumentConfig {
    fn default() -> Self {
        Self { max_tree_bytes: DocumentLimits::default().max_tree_bytes }
    }
}

/// The one conversion from the configuration to the document store's limits.
impl From<&DocumentConfig> for DocumentLimits {
    fn from(config: &DocumentConfig) -> DocumentLimits {
        DocumentLimits { max_tree_bytes: config.max_tree_bytes, ..DocumentLimits::default() }
    }
}

impl Config {
    /// The default config file: `$XDG_CONFIG_HOME/infill/config.toml` or `~/.config/infill/...`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("infill").join("config.toml"))
    }

    /// Reads `path`, or the default file when `path` is None and it exists, else the defaults.
    /// The model defaults to the fetched default model when no model is configured.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let file = match path {
            Some(path) => Some(path.to_path_buf()),
            None => Self::default_path().filter(|p| p.exists()),
        };
        let mut config = match file {
            Some(file) => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read config file {}", file.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("invalid config file {}", file.display()))?
            }
            None => Config::default(),
        };
        config.validate()?;
        config.fill_model_default();
        Ok(config)
    }

    /// Points the model at the default model's cache path when nothing else is configured.
    pub fn fill_model_default(&mut self) {
        if self.model.path.is_none() && self.model.hf_repo.is_none() {
            if let Some(path) = std::env::var_os("INFILL_MODEL") {
                self.model.path = Some(PathBuf::from(path));
            } else {
                self.model.path = Some(infill_engine::models::default_model_path());
            }
        }
    }

    /// Applies the editor's `initializationOptions` (the same shape as the file, as JSON).
    pub fn merge_json(&mut self, options: &serde_json::Value) -> anyhow::Result<()> {
        if options.is_null() {
            return Ok(());
        }
        let mut current = serde_json::to_value(&*self)?;
        merge(&mut current, options);
        let merged: Config =
            serde_json::from_value(current).context("invalid initializationOptions")?;
        merged.validate().context("invalid initializationOptions")?;
        *self = merged;
        Ok(())
    }

    /// Checks what types cannot: a remote backend needs endpoints that parse and a model.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.engine.validate().map_err(|error| anyhow::anyhow!("invalid [engine] section: {error}"))
    }
}

fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key.clone()).or_insert(serde_json::Value::Null), value);
            }
        }
        (base, patch) => *base = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialization_options_override_nested_fields() {
        let mut config = Config::default();
        config
            .merge_json(
                &serde_json::json!({"completion": {"max_lines": 3}, "model": {"path": "/m.gguf"}}),
            )
            .unwrap();
        assert_eq!(config.completion.max_lines, 3);
        assert_eq!(config.completion.max_tokens, CompletionConfig::default().max_tokens);
        assert_eq!(config.model.path.as_deref(), Some(Path::new("/m.gguf")));
    }

    #[test]
    fn unknown_keys_are_an_error_not_a_silent_default() {
        let mut config = Config::default();
        let error = config.merge_json(&serde_json::json!({"completion": {"max_line": 3}}));
        assert!(error.is_err());
        assert!(toml::from_str::<Config>("[completion]\nmax_line = 3\n").is_err());
    }

    #[test]
    fn defaults_are_the_libraries_defaults() {
        let config = Config::default();
        let settings = CompletionSettings::from(&config.completion);
        let library = CompletionSettings::default();
        assert_eq!(settings.max_tokens, library.max_tokens);
        assert_eq!(settings.max_lines, library.max_lines);
        assert_eq!(settings.time_budget, library.time_budget);
        assert_eq!(settings.prefix_bytes, library.prefix_bytes);
        assert_eq!(settings.suffix_bytes, library.suffix_bytes);
        assert_eq!((settings.in_comments, settings.in_strings), (false, false));
        assert!(settings.postprocess);
        let limits = DocumentLimits::from(&config.documents);
        assert_eq!(limits.max_tree_bytes, DocumentLimits::default().max_tree_bytes);
        assert_eq!(
            config.context.max_file_bytes,
            infill_context::IndexOptions::default().max_file_bytes
        );
        assert_eq!(
            ContextSettings::from(&config.context),
            ContextSettings { index_dir: Some(index_dir()), ..ContextSettings::default() },
            "the server keeps its index on disk; the library alone does not"
        );
    }

    #[test]
    fn the_context_configuration_becomes_the_settings_field_by_field() {
        let config = ContextConfig {
            enabled: false,
            token_budget: 77,
            max_file_bytes: 1234,
            exclude: vec!["vendor/**".into()],
            recent_edits_bytes: 99,
            persist_index: false,
        };
        assert_eq!(
            ContextSettings::from(&config),
            ContextSettings {
                enabled: false,
                token_budget: 77,
                max_file_bytes: 1234,
                exclude: vec!["vendor/**".into()],
                recent_edits_bytes: 99,
                index_dir: None,
            }
        );
    }

    #[test]
    fn a_remote_engine_section_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        let write = |engine: &str| std::fs::write(&file, format!("[engine]\n{engine}")).unwrap();
        write(
            "backend = \"openai\"\nendpoints = [\"http://gpu-1:8000/v1\", \"http://gpu-2:8000/v1\"]\n\
             model = \"Qwen/Qwen2.5-Coder-7B\"\nfamily = \"qwen-coder\"\nfirst_byte_timeout_ms = 5000\n",
        );
        let config = Config::load(Some(&file)).unwrap();
        assert_eq!(config.engine.backend, infill_engine::Backend::Openai);
        assert_eq!(config.engine.endpoints.len(), 2);
        assert_eq!(config.engine.api_key_env, "INFILL_API_KEY");
        assert_eq!(config.engine.first_byte_timeout_ms, 5000);
        assert_eq!(config.engine.family(), infill_engine::ModelFamily::QwenCoder);

        let error_for = |engine: &str| {
            write(engine);
            format!("{:#}", Config::load(Some(&file)).unwrap_err())
        };
        let error = error_for("backend = \"openai\"\nmodel = \"m\"\n");
        assert!(error.contains("engine.endpoints"), "{error}");
        let error = error_for("backend = \"ollama\"\nendpoints = [\"http://127.0.0.1:11434\"]\n");
        assert!(error.contains("engine.model"), "{error}");
        let error =
            error_for("backend = \"openai\"\nendpoints = [\"gpu-1:8000\"]\nmodel = \"m\"\n");
        assert!(error.contains("engine.endpoints") && error.contains("gpu-1:8000"), "{error}");
        let error = error_for(
            "backend = \"openai\"\nendpoints = [\"http://h\"]\nmodel = \"m\"\nfamily = \"qwen\"\n",
        );
        assert!(error.contains("engine.family"), "{error}");
        let error = error_for("backend = \"vllm\"\n");
        assert!(error.contains("backend") || error.contains("vllm"), "{error}");
        let error = error_for("api_key = \"sk-123\"\n");
        assert!(error.contains("api_key"), "the key itself is not a configuration key: {error}");

        let mut config = Config::default();
        let error = config.merge_json(&serde_json::json!({"engine": {"backend": "ollama"}}));
        assert!(format!("{:#}", error.unwrap_err()).contains("engine.endpoints"));
        assert_eq!(config.engine.backend, infill_engine::Backend::Embedded, "unchanged on error");
        config
            .merge_json(&serde_json::json!({"engine": {"backend": "ollama",
                "endpoints": ["http://127.0.0.1:11434"], "model": "qwen2.5-coder:7b"}}))
            .unwrap();
        assert_eq!(config.engine.model.as_deref(), Some("qwen2.5-coder:7b"));
    }

    #[test]
    fn a_file_sets_what_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[model]\npath = \"/models/x.gguf\"\n[completion]\ninline = false\n")
            .unwrap();
        let config = Config::load(Some(&file)).unwrap();
        assert!(!config.completion.inline);
        assert_eq!(config.model.path.as_deref(), Some(Path::new("/models/x.gguf")));
    }
}
