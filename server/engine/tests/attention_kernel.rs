//! The CPU attention kernels of the vendored mistral.rs (rewritten for speed, see
//! vendor/README.md) against a direct softmax(QKᵀ·scale + mask)·V computed in f64.

#![cfg(feature = "mistralrs")]

use candle_core::{DType, Device, Tensor};
use mistralrs_core::layers::{Sdpa, SdpaParams};

/// A small deterministic generator (xorshift) for test data in [-1, 1).
struct Data(u64);

impl Data {
    fn values(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }
}

struct Case {
    batch: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    q_len: usize,
    kv_len: usize,
    /// Causal mask for queries at the end of the key range (`None`: no mask).
    causal: bool,
    softcap: Option<f32>,
    /// The dtype of q, k and v (the KV cache's dtype).
    dtype: DType,
}

/// softmax(q·kᵀ·scale + mask)·v per (batch, head, query), in f64. Layouts are (b, h, s, d).
fn reference(case: &Case, q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>) -> Vec<f32> {
    let Case { batch, heads, kv_heads, head_dim: d, q_len, kv_len, softcap, .. } = *case;
    let scale = 1.0 / (d as f64).sqrt();
    let group = heads / kv_heads;
    let mut out = vec![0f32; batch * heads * q_len * d];
    for b in 0..batch {
        for h in 0..heads {
            let kh = h / group;
            for i in 0..q_len {
                let q_row = &q[((b * heads + h) * q_len + i) * d..][..d];
                let scores: Vec<f64> = (0..kv_len)
                    .map(|j| {
                        let k_row = &k[((b * kv_heads + kh) * kv_len + j) * d..][..d];
                        let dot: f64 =
                            q_row.iter().zip(k_row).map(|(x, y)| *x as f64 * *y as f64).sum();
                        let mut s = dot * scale;
                        if let Some(cap) = softcap {
                            s = cap as f64 * (s / cap as f64).tanh();
                        }
                        s + mask.map_or(0.0, |m| m[i * kv_len + j] as f64)
                    })
                    .collect();
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let total: f64 = weights.iter().sum();
                let o = &mut out[((b * heads + h) * q_len + i) * d..][..d];
                for (j, w) in weights.iter().enumerate() {
                    let v_row = &v[((b * kv_heads + kh) * kv_len + j) * d..][..d];
                    for (o, x) in o.iter_mut().zip(v_row) {
                        *o += (w / total * *x as f64) as f32;
                    }
                }
            }
        }
    }
    out
}

fn check(case: Case) {
    let mut data = Data(0x9E37_79B9_7F4A_7C15 ^ (case.kv_len as u64 * 31 + case.q_len as u64));
    let Case { batch, heads, kv_heads, head_dim: d, q_len, kv_len, .. } = case;
    let q = data.values(batch * heads * q_len * d);
    let k = data.values(batch * kv_heads * kv_len * d);
    let v = data.values(batch * kv_heads * kv_len * d);
    let past = kv_len - q_len;
    let mask: Option<Vec<f32>> = case.causal.then(|| {
        (0..q_len)
            .flat_map(|i| {
                (0..kv_len).map(move |j| if j > past + i { f32::NEG_INFINITY } else { 0.0 })
            })
            .collect()
    });
    let cpu = Device::Cpu;
    let tensor = |data: Vec<f32>, heads: usize, len: usize| {
        Tensor::from_vec(data, (batch, heads, len, d), &cpu).unwrap().to_dtype(case.dtype).unwrap()
    };
    let q_t = tensor(q, heads, q_len);
    let k_t = tensor(k, kv_heads, kv_len);
    let v_t = tensor(v, kv_heads, kv_len);
    // The reference sees the values as rounded to the dtype.
    let values = |t: &Tensor| {
        t.to_dtype(DType::F32).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
    };
    let expected = reference(&case, &values(&q_t), &values(&k_t), &values(&v_t), mask.as_deref());
    let tolerance = if case.dtype == DType::F32 { 1e-4 } else { 1e-2 };
    let mask_t = mask
        .map(|m| Tensor::from_vec(m, (q_len, kv_len), &cpu).unwrap().to_dtype(case.dtype).unwrap());
    let params = SdpaParams {
        n_kv_groups: heads / kv_heads,
        softcap: case.softcap,
        softmax_scale: 1.0 / (d as f32).sqrt(),
        sliding_window: None,
        sinks: None,
    };
    let got = Sdpa.run_attention(&q_t, &k_t, &v_t, mask_t.as_ref(), None, &params).unwrap();
    assert_eq!(got.dtype(), case.dtype);
    let got = values(&got);
    assert_eq!(got.len(), expected.len());
    let worst = got
        .iter()
        .zip(&expected)
        .map(|(g, e)| {
            assert!(g.is_finite(), "non-finite output {g}");
            (g - e).abs()
        })
        .fold(0f32, f32::max);
    assert!(worst < tolerance, "largest difference from the reference: {worst}");
}

#[test]
fn prefill_with_a_causal_mask_after_cached_tokens_matches_the_reference() {
    // 37 new queries after 263 cached keys, grouped-query heads, a key range that is not a
    // multiple of the kernel's blocks.
    check(Case {
        batch: 1,
        heads: 4,
        kv_heads: 2,
        head_dim: 64,
        q_len: 37,
        kv_len: 300,
        causal: true,
        softcap: None,
        dtype: DType::F32,
    });
}

#[test]
fn prefill_of_a_whole_prompt_matches_the_reference() {
    check(Case {
        batch: 2,
        heads: 3,
        kv_heads: 3,
        head_dim: 24,
        q_len: 70,
        kv_len: 70,
        causal: true,
        softcap: None,
        dtype: DType::F32,
    });
}

#[test]
fn decode_over_a_long_cache_matches_the_reference() {
    // Many tiles, merged at the end; the head dimension has a remainder after the SIMD lanes.
    check(Case {
        batch: 1,
        heads: 9,
        kv_heads: 3,
        head_dim: 70,
        q_len: 1,
        kv_len: 2_049,
        causal: false,
        softcap: None,
        dtype: DType::F32,
    });
}

#[test]
fn decode_with_a_mask_and_softcap_matches_the_reference() {
    check(Case {
        batch: 2,
        heads: 2,
        kv_heads: 1,
        head_dim: 5,
        q_len: 1,
        kv_len: 130,
        causal: true,
        softcap: Some(30.0),
        dtype: DType::F32,
    });
}

/// Head sizes the AVX2 kernels take (scores eight keys at a time, 64 value columns per pass),
/// with a softcap, a mask and a key count that leaves a remainder after the last group of eight.
#[test]
fn vectorised_head_sizes_match_the_reference() {
    for (head_dim, q_len, softcap) in [(128, 1, Some(30.0)), (64, 19, Some(50.0)), (128, 9, None)] {
        check(Case {
            batch: 1,
            heads: 4,
            kv_heads: 2,
            head_dim,
            q_len,
            kv_len: 1_029,
            causal: true,
            softcap,
            dtype: DType::F32,
        });
    }
}

#[test]
fn prefill_with_softcap_and_no_mask_matches_the_reference() {
    check(Case {
        batch: 1,
        heads: 2,
        kv_heads: 2,
        head_dim: 16,
        q_len: 5,
        kv_len: 9,
        causal: false,
        softcap: Some(50.0),
        dtype: DType::F32,
    });
}

#[test]
fn bf16_and_f16_caches_match_the_reference() {
    for dtype in [DType::BF16, DType::F16] {
        // Prefill after cached tokens, then decode over a long cache.
        check(Case {
            batch: 1,
            heads: 9,
            kv_heads: 3,
            head_dim: 64,
            q_len: 40,
            kv_len: 333,
            causal: true,
            softcap: None,
            dtype,
        });
        check(Case {
            batch: 1,
            heads: 9,
            kv_heads: 3,
            head_dim: 64,
            q_len: 1,
            kv_len: 1_500,
            causal: false,
            softcap: None,
            dtype,
        });
    }
}

#[test]
fn a_query_whose_keys_are_all_masked_gets_zeros_not_nan() {
    let cpu = Device::Cpu;
    let q = Tensor::ones((1, 2, 3, 8), DType::F32, &cpu).unwrap();
    let k = Tensor::ones((1, 1, 5, 8), DType::F32, &cpu).unwrap();
    let v = Tensor::ones((1, 1, 5, 8), DType::F32, &cpu).unwrap();
    // The second query sees no key at all.
    let mask: Vec<f32> = (0..3)
        .flat_map(|i| {
            (0..5).map(move |j| if i == 1 || j > i + 2 { f32::NEG_INFINITY } else { 0.0 })
        })
        .collect();
    let mask = Tensor::from_vec(mask, (3, 5), &cpu).unwrap();
    let params = SdpaParams {
        n_kv_groups: 2,
        softcap: None,
        softmax_scale: 0.5,
        sliding_window: None,
        sinks: None,
    };
    let out = Sdpa.run_attention(&q, &k, &v, Some(&mask), None, &params).unwrap();
    let rows = out.flatten_to(2).unwrap().to_vec2::<f32>().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let expected = if i % 3 == 1 { 0.0 } else { 1.0 };
        assert!(row.iter().all(|x| (x - expected).abs() < 1e-6), "row {i}: {row:?}");
    }
}
