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
