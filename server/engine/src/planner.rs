//! The memory planner behind `infill doctor`: will this model, at this context length and KV
//! cache type, fit in this device's memory? It refuses a plan that would run out of memory and
//! says what would fit instead: the longest context, or a smaller KV cache type.

use serde::Serialize;

use crate::gguf::GgufInfo;

/// The data type of the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KvDtype {
    /// 32-bit floats.
    F32,
    /// 16-bit IEEE floats.
    F16,
    /// 16-bit brain floats.
    Bf16,
    /// 8-bit floats (PagedAttention on CUDA).
    Fp8,
    /// 8-bit blocks of 32 with a scale each.
    Q8,
    /// 4-bit blocks of 32 with a scale each.
    Q4,
}

impl KvDtype {
    /// Bytes per cached element (block formats include their scales).
    pub fn bytes_per_element(self) -> f64 {
        match self {
            KvDtype::F32 => 4.0,
            KvDtype::F16 | KvDtype::Bf16 => 2.0,
            KvDtype::Fp8 => 1.0,
            KvDtype::Q8 => 34.0 / 32.0,
            KvDtype::Q4 => 18.0 / 32.0,
        }
    }

    /// The type's name as `infill doctor --kv-dtype` takes it.
    pub fn name(self) -> &'static str {
        match self {
            KvDtype::F32 => "f32",
            KvDtype::F16 => "f16",
            KvDtype::Bf16 => "bf16",
            KvDtype::Fp8 => "fp8",
            KvDtype::Q8 => "q8",
            KvDtype::Q4 => "q4",
        }
    }

    /// Parses a name (see [`KvDtype::name`]), ignoring case.
    pub fn from_name(name: &str) -> Option<KvDtype> {
        [KvDtype::F32, KvDtype::F16, KvDtype::Bf16, KvDtype::Fp8, KvDtype::Q8, KvDtype::Q4]
            .into_iter()
            .find(|d| d.name() == name.to_ascii_lowercase())
    }

    /// Smaller types to try, largest first.
    fn smaller(self) -> impl Iterator<Item = KvDtype> {
        [KvDtype::F16, KvDtype::Fp8, KvDtype::Q4]
            .into_iter()
            .filter(move |d| d.bytes_per_element() < self.bytes_per_element())
    }
}

/// The numbers of a model that decide its memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelShape {
    /// The model's name (`general.name`).
    pub name: String,
    /// Transformer blocks.
    pub layers: u64,
    /// Attention (query) heads.
    pub heads: u64,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: u64,
    /// Elements per head.
    pub head_dim: u64,
    /// The context length the model was trained for.
    pub max_context: u64,
    /// Bytes of all weights, as stored.
    pub weight_bytes: u64,
}

impl ModelShape {
    /// Reads the shape of a GGUF model.
    pub fn from_gguf(info: &GgufInfo) -> Option<ModelShape> {
        let layers = info.arch_u64("block_count")?;
        let heads = info.arch_u64("attention.head_count")?;
        let kv_heads = info.arch_u64("attention.head_count_kv").unwrap_or(heads);
        let embedding = info.arch_u64("embedding_length")?;
        let head_dim = info.arch_u64("attention.key_length").unwrap_or(embedding / heads.max(1));
        Some(ModelShape {
            name: info.get_str("general.name").unwrap_or("model").to_string(),
            layers,
            heads,
            kv_heads,
            head_dim,
            max_context: info.arch_u64("context_length").unwrap_or(2048),
            weight_bytes: info.weight_bytes(),
        })
    }

    /// KV cache bytes for one token. In floating point: a header's counts may be absurd.
    pub fn kv_bytes_per_token(&self, dtype: KvDtype) -> f64 {
        2.0 * self.layers as f64
            * self.kv_heads as f64
            * self.head_dim as f64
            * dtype.bytes_per_element()
    }

    /// KV cache bytes for `context` tokens.
    pub fn kv_bytes(&self, context: u64, dtype: KvDtype) -> u64 {
        (self.kv_bytes_per_token(dtype) * context as f64).ceil() as u64
    }
}

/// Working memory beyond weights and KV cache: activations, scratch buffers, the runtime.
pub fn overhead_bytes(shape: &ModelShape) -> u64 {
    256 * 1024 * 1024 + shape.weight_bytes / 20
}

/// What the planner concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The context length planned for, in tokens.
    pub context: u64,
    /// The KV cache type planned for.
    pub kv_dtype: KvDtype,
    /// Bytes of the weights.
    pub weight_bytes: u64,
    /// Bytes of the KV cache at `context`.
    pub kv_bytes: u64,
    /// Bytes of working memory (see [`overhead_bytes`]).
    pub overhead_bytes: u64,
    /// Weights, KV cache and overhead together.
    pub total_bytes: u64,
    /// Bytes of memory available.
    pub available_bytes: u64,
    /// Whether `total_bytes` fits in `available_bytes`.
    pub fits: bool,
    /// The longest context that fits with `kv_dtype` (0 when even the weights do not fit).
    pub max_context_that_fits: u64,
    /// The largest smaller KV type that fits the requested context, if any.
    pub kv_dtype_that_fits: Option<KvDtype>,
}

impl Plan {
    /// A one-paragraph verdict for people.
    pub fn verdict(&self) -> String {
        if self.fits {
            return format!(
                "fits: {} of {} available",
                format_bytes(self.total_bytes),
                format_bytes(self.available_bytes)
            );
        }
        let mut advice = format!(
            "does not fit: needs {} but {} is available",
            format_bytes(self.total_bytes),
            format_bytes(self.available_bytes)
        );
        if self.max_context_that_fits > 0 {
            advice.push_str(&format!(
                "; with a {} KV cache the longest context that fits is {} tokens",
                self.kv_dtype.name(),
                self.max_context_that_fits
            ));
        } else {
            advice.push_str("; the weights alone do not fit: use a smaller quantization or model");
        }
        if let Some(dtype) = self.kv_dtype_that_fits {
            advice.push_str(&format!("; a {} KV cache fits {} tokens", dtype.name(), self.context));
        }
        advice
    }
}

/// Plans `context` tokens of `kv_dtype` cache for `shape` within `available_bytes`.
pub fn plan(shape: &ModelShape, context: u64, kv_dtype: KvDtype, available_bytes: u64) -> Plan {
    let overhead = overhead_bytes(shape);
    let kv_bytes = shape.kv_bytes(context, kv_dtype);
    // Sums saturate: a header's counts may be absurd, and "more than there is" is the answer.
    let total = shape.weight_bytes.saturating_add(kv_bytes).saturating_add(overhead);
    let fixed = shape.weight_bytes.saturating_add(overhead);
    let max_context_that_fits = if available_bytes > fixed {
        let per_token = shape.kv_bytes_per_token(kv_dtype).max(1.0);
        (((available_bytes - fixed) as f64 / per_token) as u64).min(shape.max_context.max(context))
    } else {
        0
    };
    let kv_dtype_that_fits = kv_dtype
        .smaller()
        .find(|d| fixed.saturating_add(shape.kv_bytes(context, *d)) <= available_bytes);
    Plan {
        context,
        kv_dtype,
        weight_bytes: shape.weight_bytes,
        kv_bytes,
        overhead_bytes: overhead,
        total_bytes: total,
        available_bytes,
        fits: total <= available_bytes,
        max_context_that_fits,
        kv_dtype_that_fits,
    }
}

/// Bytes as GiB/MiB for tables.
pub fn format_bytes(bytes: u64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= GIB {
        format!("{:.1} GiB", b / GIB)
    } else {
        format!("{:.0} MiB", b / (1024.0 * 1024.0))
    }
}

/// Memory available to a CPU model: `MemAvailable` from /proc/meminfo (Linux).
pub fn available_system_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix("MemAvailable:")?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * 1024 * 1024;

    #[test]
    fn fuzz_gguf_header_absurd_shape_plans_without_overflow() {
        // A GGUF header's counts are whatever the file says: their products and sums overflowed.
        let shape = ModelShape {
            name: "absurd".into(),
            layers: u64::MAX,
            heads: 1,
            kv_heads: 1 << 40,
            head_dim: 1 << 40,
            max_context: u64::MAX,
            weight_bytes: u64::MAX - 1,
        };
        assert!(shape.kv_bytes_per_token(KvDtype::F16) > 1e30);
        for context in [0, 2048, u64::MAX] {
            let plan = plan(&shape, context, KvDtype::F16, 8 * GIB);
            assert!(!plan.fits);
            assert_eq!(plan.total_bytes, u64::MAX);
            assert_eq!(plan.max_context_that_fits, 0);
            assert!(plan.verdict().contains("does not fit"));
        }
    }

    /// SmolLM2-135M: 30 layers, 9 heads, 3 KV heads, head dim 64.
    fn smollm2() -> ModelShape {
        ModelShape {
            name: "SmolLM2-135M".into(),
            layers: 30,
            heads: 9,
            kv_heads: 3,
            head_dim: 64,
            max_context: 8192,
            weight_bytes: 144_000_000,
        }
    }

    /// Llama 3 70B: 80 layers, 64 heads, 8 KV heads, head dim 128; weights as Q4_K_M (~40 GiB).
    fn llama3_70b() -> ModelShape {
        ModelShape {
            name: "Llama-3-70B".into(),
            layers: 80,
            heads: 64,
            kv_heads: 8,
            head_dim: 128,
            max_context: 131_072,
            weight_bytes: 40 * GIB,
        }
    }

    #[test]
    fn kv_bytes_match_hand_computation() {
        // 2 (K,V) x 30 x 3 x 64 x 4 bytes = 46,080 bytes per token in f32.
        assert_eq!(smollm2().kv_bytes_per_token(KvDtype::F32), 46_080.0);
        assert_eq!(smollm2().kv_bytes(2048, KvDtype::F32), 94_371_840);
        // 2 x 80 x 8 x 128 x 2 bytes = 327,680 bytes (320 KiB) per token in f16: 40 GiB at 128k.
        assert_eq!(llama3_70b().kv_bytes_per_token(KvDtype::F16), 327_680.0);
        assert_eq!(llama3_70b().kv_bytes(131_072, KvDtype::F16), 40 * GIB);
        assert_eq!(llama3_70b().kv_bytes(131_072, KvDtype::Fp8), 20 * GIB);
    }

    #[test]
    fn a_70b_model_at_128k_needs_fp8_on_an_80_gb_gpu() {
        let f16 = plan(&llama3_70b(), 131_072, KvDtype::F16, 80 * GIB);
        assert!(!f16.fits);
        assert_eq!(f16.kv_dtype_that_fits, Some(KvDtype::Fp8));
        // 80 GiB - 40 GiB weights - (256 MiB + 2 GiB) overhead = 37.75 GiB of KV at 320 KiB/token.
        assert_eq!(f16.max_context_that_fits, 123_699);
        let fp8 = plan(&llama3_70b(), 131_072, KvDtype::Fp8, 80 * GIB);
        assert!(fp8.fits, "{}", fp8.verdict());
    }

    #[test]
    fn weights_that_do_not_fit_are_named() {
        let p = plan(&llama3_70b(), 4096, KvDtype::F16, 24 * GIB);
        assert!(!p.fits);
        assert_eq!(p.max_context_that_fits, 0);
        assert!(p.verdict().contains("weights alone do not fit"));
    }

    #[test]
    fn kv_dtype_names_round_trip() {
        assert_eq!(KvDtype::from_name("FP8"), Some(KvDtype::Fp8));
        assert_eq!(KvDtype::from_name("f16"), Some(KvDtype::F16));
        assert_eq!(KvDtype::from_name("int3"), None);
    }
}
