//! How the in-process engine is configured: the model file, its family, context, prefix cache,
//! GPU and speculative-decoding settings. Plain data, available without the backend so the
//! binary's configuration always has the same shape.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ModelFamily;

/// How the local engine loads and runs its model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalEngineConfig {
    /// A local GGUF file.
    pub path: Option<PathBuf>,
    /// A Hugging Face repository id and GGUF file name, used when `path` is unset (needs network).
    pub hf_repo: Option<String>,
    /// The GGUF file's name in `hf_repo`.
    pub hf_file: Option<String>,
    /// Override the prompt family detected from the tokenizer.
    pub family: Option<ModelFamily>,
    /// Cap the context length (tokens); defaults to the model's own.
    pub context_length: Option<usize>,
    /// How many prompts' KV caches to keep for reuse. Each costs up to a full context of KV.
    pub prefix_cache_entries: usize,
    /// Run on the CPU even when a GPU is available.
    pub force_cpu: bool,
    /// The dtype of activations and of the KV cache (weights stay quantized).
    pub dtype: ActivationDtype,
    /// PagedAttention (CUDA only): KV memory in MiB, block size, and `fp8` for an FP8 KV cache.
    pub paged_attention: Option<PagedAttentionSettings>,
    /// Speculative decoding: a smaller draft GGUF model with the same tokenizer.
    pub draft_path: Option<PathBuf>,
    /// Tokens the draft model proposes per step.
    pub speculative_gamma: usize,
    /// Prompt-lookup speculation for requests that copy their input (edits): tokens drafted
    /// from the prompt, verified in one forward pass. Used when no draft model is set.
    pub prompt_lookup: bool,
}

impl Default for LocalEngineConfig {
    fn default() -> Self {
        Self {
            path: None,
            hf_repo: None,
            hf_file: None,
            family: None,
            context_length: None,
            prefix_cache_entries: 2,
            force_cpu: !cfg!(feature = "cuda"),
            dtype: ActivationDtype::Auto,
            paged_attention: None,
            draft_path: None,
            speculative_gamma: 4,
            prompt_lookup: true,
        }
    }
}

/// The dtype the model computes in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivationDtype {
    /// What mistral.rs picks for the device: bf16 on the CPU (measured fastest there, with the
    /// smallest KV cache; docs/benchmarks.md), bf16 or f16 on a GPU by compute capability.
    #[default]
    Auto,
    /// 32-bit floats.
    F32,
    /// 16-bit IEEE floats.
    F16,
    /// 16-bit brain floats.
    Bf16,
}

/// PagedAttention settings (CUDA).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagedAttentionSettings {
    /// KV cache memory in MiB; overrides `gpu_utilization`.
    pub memory_mib: Option<usize>,
    /// The share of free GPU memory the KV cache may use, when `memory_mib` is unset.
    pub gpu_utilization: Option<f32>,
    /// Tokens per KV cache block.
    pub block_size: usize,
    /// `auto` (the model's dtype) or `fp8`.
    pub kv_cache_type: String,
}

impl Default for PagedAttentionSettings {
    fn default() -> Self {
        Self {
            memory_mib: None,
            gpu_utilization: Some(0.85),
            block_size: 32,
            kv_cache_type: "auto".into(),
        }
    }
}

/// Which engine serves the model: in process, or a server over HTTP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// mistral.rs in process (`[model]`); opens no network socket.
    #[default]
    Embedded,
    /// An OpenAI-compatible server (`/completions`, `/chat/completions`): llama.cpp's
    /// llama-server, vLLM, TensorRT-LLM's trtllm-serve, LM Studio.
    Openai,
    /// Ollama's native API (`/api/generate` with `raw: true`, `/api/chat`).
    Ollama,
    /// Hugging Face Text Generation Inference (`/generate_stream`; chat through its
    /// OpenAI-compatible `/v1/chat/completions`).
    Tgi,
}

impl Backend {
    /// The name used in configuration.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Openai => "openai",
            Backend::Ollama => "ollama",
            Backend::Tgi => "tgi",
        }
    }
}

/// The `[engine]` section: which backend serves completions, and where a remote one lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// `embedded` (the default: `[model]` in process), `openai`, `ollama` or `tgi`.
    pub backend: Backend,
    /// Base URLs of the servers, all serving the same model: `http://host:8000/v1` for
    /// OpenAI-compatible servers, `http://host:11434` for Ollama, `http://host:8080` for TGI. A
    /// request goes to the healthy one with the fewest requests outstanding and fails over to
    /// the next.
    pub endpoints: Vec<String>,
    /// The model's name on the server (`Qwen/Qwen2.5-Coder-7B`, `qwen2.5-coder:7b`...).
    pub model: Option<String>,
    /// The environment variable holding the API key (sent as `Authorization: Bearer`); the key
    /// itself never goes in a file. Nothing is sent when the variable is unset.
    pub api_key_env: String,
    /// The prompt family (`qwen-coder`, `starcoder2`, ...): which FIM template to render. Without
    /// it, completions are prefix-only.
    pub family: Option<String>,
    /// The server's context length in tokens (default 8192).
    pub context_length: Option<usize>,
    /// The model's `tokenizer.json` (Hugging Face format), for exact token counts and for
    /// detecting the family when the server exposes no tokenizer. Without it (and without a
    /// server-side tokenizer), counts are approximate.
    pub tokenizer: Option<PathBuf>,
    /// A PEM file of extra root certificates trusted for `https://` endpoints, besides the
    /// system's (a private CA on the LAN).
    pub ca_file: Option<PathBuf>,
    /// Milliseconds to wait for a TCP (and TLS) connection to an endpoint.
    pub connect_timeout_ms: u64,
    /// Milliseconds to wait for the first bytes of an answer (prefill included), and then for
    /// each next chunk of the stream.
    pub first_byte_timeout_ms: u64,
    /// Milliseconds before an endpoint that failed is checked again (a health request in the
    /// background); until it answers, requests go to the others first.
    pub health_interval_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Embedded,
            endpoints: Vec::new(),
            model: None,
            api_key_env: "INFILL_API_KEY".into(),
            family: None,
            context_length: None,
            tokenizer: None,
            ca_file: None,
            connect_timeout_ms: 2000,
            first_byte_timeout_ms: 30_000,
            health_interval_ms: 5000,
        }
    }
}

impl EngineConfig {
    /// Checks the section; the error names the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.backend == Backend::Embedded {
            return Ok(());
        }
        let backend = self.backend.name();
        if self.endpoints.is_empty() {
            return Err(format!(
                "engine.endpoints is empty: backend \"{backend}\" needs at least one server URL, \
                 e.g. endpoints = [\"http://127.0.0.1:8080/v1\"]"
            ));
        }
        for endpoint in &self.endpoints {
            check_url(endpoint).map_err(|why| {
                format!("engine.endpoints: `{endpoint}` is not an http(s) URL: {why}")
            })?;
        }
        if self.model.as_deref().is_none_or(|m| m.trim().is_empty()) {
            return Err(format!(
                "engine.model is not set: backend \"{backend}\" needs the server's model name"
            ));
        }
        if let Some(family) = &self.family
            && ModelFamily::from_name(family).is_none()
        {
            return Err(format!("engine.family: unknown model family `{family}`"));
        }
        if self.api_key_env.trim().is_empty() {
            return Err("engine.api_key_env is empty: name an environment variable".into());
        }
        if self.context_length == Some(0) {
            return Err("engine.context_length must be positive".into());
        }
        if self.connect_timeout_ms == 0
            || self.first_byte_timeout_ms == 0
            || self.health_interval_ms == 0
        {
            return Err("engine.connect_timeout_ms, first_byte_timeout_ms and health_interval_ms \
                 must be positive"
                .into());
        }
        for (key, path) in [("tokenizer", &self.tokenizer), ("ca_file", &self.ca_file)] {
            if let Some(path) = path
                && !path.is_file()
            {
                return Err(format!("engine.{key}: `{}` is not a readable file", path.display()));
            }
        }
        Ok(())
    }

    /// The configured family, or prefix-only completion.
    pub fn family(&self) -> ModelFamily {
        self.family.as_deref().and_then(ModelFamily::from_name).unwrap_or(ModelFamily::PrefixOnly)
    }
}

/// A light check of an endpoint URL: `http://` or `https://`, a host, no spaces.
fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it must start with http:// or https://")?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces");
    }
    if url.contains(['?', '#']) {
        return Err("it must be a base URL, without a query or fragment");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((addr, port)) => (addr, port.strip_prefix(':')),
            None => return Err("an IPv6 host lacks its closing `]`"),
        },
        None => match host.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host, None),
        },
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err("its port is not a number from 0 to 65535");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(endpoints: &[&str]) -> EngineConfig {
        EngineConfig {
            backend: Backend::Openai,
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            model: Some("m".into()),
            ..EngineConfig::default()
        }
    }

    #[test]
    fn endpoint_urls_are_checked() {
        assert!(
            remote(&["http://gpu-1:8000/v1", "https://[::1]:8080", "http://h"]).validate().is_ok()
        );
        for bad in ["gpu-1:8000/v1", "http://", "http://h:99999/v1", "http://h /v1", "ftp://h"] {
            let error = remote(&[bad]).validate().unwrap_err();
            assert!(error.contains("engine.endpoints") && error.contains(bad), "{error}");
        }
    }
}
