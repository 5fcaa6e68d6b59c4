#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use candle_core::{Context, Device, Result, Storage, Tensor, WithDType};

use half::bf16;
use half::f16;
use rayon::prelude::*;
#[cfg(target_os = "macos")]
use rayon::ThreadPool;

#[cfg(target_os = "macos")]
use std::sync::LazyLock;
use std::{f32, iter::Sum};

use crate::attention::SdpaParams;

#[cfg(target_os = "macos")]
/// Elevate the thread QoS so macOS prefers running it on Performance (P) cores.
unsafe fn set_thread_affinity() {
    // USER_INTERACTIVE has the highest scheduling priority that user code
    // can request and is most likely to be scheduled on P‑cores.
    use libc::{pthread_set_qos_class_self_np, qos_class_t::QOS_CLASS_USER_INTERACTIVE};
    // The second argument is a relative priority within the QoS class (0 = default).
    pthread_set_qos_class_self_np(QOS_CLASS_USER_INTERACTIVE, 0);
}

/// Rayon pool used by the flash‑attention CPU kernels, with a per‑thread
/// start handler that applies our affinity hint exactly once.
#[cfg(target_os = "macos")]
static FLASH_ATTN_POOL: LazyLock<ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .start_handler(|_| unsafe {
            set_thread_affinity();
        })
        .build()
        .expect("Failed to build custom Rayon thread‑pool for flash‑attention")
});

/// Infill patch: elsewhere the kernels run on the global Rayon pool, the one candle's matmuls use.
/// A second pool of as many threads as cores spun (`sched_yield`) between the matmuls and the
/// attention of every layer, taking CPU from the threads doing the work.
#[cfg(target_os = "macos")]
fn attn_install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    FLASH_ATTN_POOL.install(f)
}

#[cfg(not(target_os = "macos"))]
fn attn_install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    f()
}

#[cfg(target_os = "macos")]
fn attn_threads() -> usize {
    FLASH_ATTN_POOL.current_num_threads()
}

#[cfg(not(target_os = "macos"))]
fn attn_threads() -> usize {
    rayon::current_num_threads()
}

// Infill patch: the CPU attention kernels below were rewritten for speed (see vendor/README.md).
// Upstream summed each dot product into one scalar accumulator (a chain of dependent adds the
// compiler may not vectorise) and rescaled the output row at every key position; attention then
// took ~80% of decode time at 2,000 tokens of context and most of prefill. Now dot products use
// independent lanes that compile to SIMD, and softmax is done per block of keys.

/// Independent accumulator lanes of the dot product (two AVX2 registers of f32).
const DOT_LANES: usize = 16;

/// Keys scored together before the running softmax is rescaled.
const KV_BLOCK: usize = 64;

/// Dot product in `f32` over independent lanes, so that it compiles to SIMD.
#[inline(always)]
fn vec_dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; DOT_LANES];
    let mut a_chunks = a.chunks_exact(DOT_LANES);
    let mut b_chunks = b.chunks_exact(DOT_LANES);
    for (ca, cb) in (&mut a_chunks).zip(&mut b_chunks) {
        for l in 0..DOT_LANES {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut tail = 0f32;
    for (x, y) in a_chunks.remainder().iter().zip(b_chunks.remainder()) {
        tail += x * y;
    }
    let mut half = [0f32; DOT_LANES / 2];
    for l in 0..DOT_LANES / 2 {
        half[l] = acc[l] + acc[l + DOT_LANES / 2];
    }
    half.iter().sum::<f32>() + tail
}

/// `acc += w * row`, element-wise in `f32`.
#[inline(always)]
fn axpy_f32(acc: &mut [f32], w: f32, row: &[f32]) {
    for (a, r) in acc.iter_mut().zip(row) {
        *a += w * r;
    }
}

/// Infill patch: explicit AVX2/FMA kernels for the hot loops (x86-64-v3 builds). The portable loops
/// above compiled to two-lane SSE code with separate multiplies and adds, and every key paid a
/// scalar `expf` call and a pass over the output row: attention took ~35% of a decode step at 2,000
/// tokens of context. Here scores are computed eight keys at a time, the block's exponentials are
/// vectorised, and the weighted sum of values keeps 64 output columns in registers across a block.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
mod simd {
    use std::arch::x86_64::*;

    /// Whether the SIMD kernels handle rows of these lengths.
    #[inline(always)]
    pub(super) fn supports(d: usize, dv: usize) -> bool {
        d % 8 == 0 && dv % 64 == 0
    }

    /// Horizontal sums of eight accumulators, as one vector `[sum(s0), ..., sum(s7)]`.
    #[inline(always)]
    unsafe fn hsum8(s: [__m256; 8]) -> __m256 {
        let t0 = _mm256_hadd_ps(s[0], s[1]);
        let t1 = _mm256_hadd_ps(s[2], s[3]);
        let t2 = _mm256_hadd_ps(s[4], s[5]);
        let t3 = _mm256_hadd_ps(s[6], s[7]);
        let u0 = _mm256_hadd_ps(t0, t1);
        let u1 = _mm256_hadd_ps(t2, t3);
        _mm256_add_ps(
            _mm256_permute2f128_ps(u0, u1, 0x20),
            _mm256_permute2f128_ps(u0, u1, 0x31),
        )
    }

    /// `out[j] = q · rows[j * d..(j + 1) * d]` for the eight rows of `rows`; `d` is a multiple of 8.
    #[inline(always)]
    pub(super) fn dot8(q: &[f32], rows: &[f32], d: usize, out: &mut [f32]) {
        assert!(q.len() >= d && rows.len() >= 8 * d && out.len() >= 8 && d % 8 == 0);
        // SAFETY: the target has AVX2 and FMA (cfg above); every load is within the slices
        // checked by the assertion.
        unsafe {
            let mut s = [_mm256_setzero_ps(); 8];
            let mut c = 0;
            while c < d {
                let qv = _mm256_loadu_ps(q.as_ptr().add(c));
                for (j, acc) in s.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_ps(qv, _mm256_loadu_ps(rows.as_ptr().add(j * d + c)), *acc);
                }
                c += 8;
            }
            _mm256_storeu_ps(out.as_mut_ptr(), hsum8(s));
        }
    }

    /// `exp` of 8 lanes: Cephes' range reduction and polynomial (relative error ~2e-7 for
    /// inputs ≤ 0); 0 below -87.3, -inf included.
    #[inline(always)]
    unsafe fn exp8(x: __m256) -> __m256 {
        let lo = _mm256_set1_ps(-87.336_55);
        let xc = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(88.0));
        let n = _mm256_round_ps(
            _mm256_mul_ps(xc, _mm256_set1_ps(std::f32::consts::LOG2_E)),
            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
        );
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), xc);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
        let mut p = _mm256_set1_ps(1.987_569_1e-4);
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.398_199_9e-3));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.333_452e-3));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.166_579_6e-2));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.666_666_5e-1));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5e-1));
        let y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0)));
        let e = _mm256_slli_epi32::<23>(_mm256_add_epi32(
            _mm256_cvtps_epi32(n),
            _mm256_set1_epi32(127),
        ));
        let v = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
        _mm256_andnot_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(x, lo), v)
    }

    /// `p[j] = exp(p[j] - m)` in place (a masked `-inf` gives 0); returns the sum.
    #[inline(always)]
    pub(super) fn exp_sub_sum(p: &mut [f32], m: f32) -> f32 {
        // SAFETY: AVX2 and FMA are enabled (cfg above); loads and stores stay within 8-element
        // chunks of `p`.
        unsafe {
            let mv = _mm256_set1_ps(m);
            let mut sum = _mm256_setzero_ps();
            let mut chunks = p.chunks_exact_mut(8);
            for c in &mut chunks {
                let e = exp8(_mm256_sub_ps(_mm256_loadu_ps(c.as_ptr()), mv));
                _mm256_storeu_ps(c.as_mut_ptr(), e);
                sum = _mm256_add_ps(sum, e);
            }
            let mut lanes = [0f32; 8];
            _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
            let mut total: f32 = lanes.iter().sum();
            for x in chunks.into_remainder() {
                *x = if *x == f32::NEG_INFINITY { 0.0 } else { (*x - m).exp() };
                total += *x;
            }
            total
        }
    }

    /// `acc += Σ_j p[j] * v[j * dv..(j + 1) * dv]`; `dv` is a multiple of 64, and 64 columns of
    /// `acc` stay in registers across all the rows.
    #[inline(always)]
    pub(super) fn weighted_sum(acc: &mut [f32], p: &[f32], v: &[f32], dv: usize) {
        assert!(acc.len() >= dv && v.len() >= p.len() * dv && dv % 64 == 0);
        // SAFETY: AVX2 and FMA are enabled (cfg above); columns `col..col + 64` of `acc` and of
        // each of the `p.len()` rows of `v` are in bounds by the assertion.
        unsafe {
            let mut col = 0;
            while col < dv {
                let mut a = [_mm256_setzero_ps(); 8];
                for (c, reg) in a.iter_mut().enumerate() {
                    *reg = _mm256_loadu_ps(acc.as_ptr().add(col + 8 * c));
                }
                for (j, &pj) in p.iter().enumerate() {
                    let w = _mm256_set1_ps(pj);
                    let row = v.as_ptr().add(j * dv + col);
                    for (c, reg) in a.iter_mut().enumerate() {
                        *reg = _mm256_fmadd_ps(w, _mm256_loadu_ps(row.add(8 * c)), *reg);
                    }
                }
                for (c, reg) in a.iter().enumerate() {
                    _mm256_storeu_ps(acc.as_mut_ptr().add(col + 8 * c), *reg);
                }
                col += 64;
            }
        }
    }
}

/// One query row's mask values, indexed by key position (the last mask dimension is the key
/// position, contiguous, and clamped to its length, as in `mask_offset`).
struct MaskRow<'a> {
    row: &'a [f32],
    slope: f32,
}

impl MaskRow<'_> {
    #[inline(always)]
    fn value(&self, kv_pos: usize) -> f32 {
        let last = self.row.len() - 1;
        self.slope * self.row[kv_pos.min(last)]
    }
}

impl<'a> MaskInfo<'a> {
    /// The mask row for one (batch, head, query) triple, or `None` when the mask has no data for it.
    fn row(&self, b_i: usize, h_i: usize, q_pos: usize, slope: f32) -> Option<MaskRow<'a>> {
        let kv_dim = *self.dims.last()?;
        if kv_dim == 0 {
            return None;
        }
        let base = mask_offset(self.dims, self.b, self.h, b_i, h_i, q_pos, 0)?;
        let row = self.data.get(base..base + kv_dim)?;
        Some(MaskRow { row, slope })
    }
}

/// Online-softmax state of one output row: running max `m`, running sum `l`, and the weighted
/// sum of value rows `acc`.
struct SoftmaxRow {
    m: f32,
    l: f32,
    acc: Vec<f32>,
}

impl SoftmaxRow {
    fn new(dv: usize) -> Self {
        Self { m: f32::NEG_INFINITY, l: 0.0, acc: vec![0f32; dv] }
    }

    /// Fold in a block of scores (`f32::NEG_INFINITY` for masked keys); row j of `v_block`
    /// (`dv` wide) is the value row of the block's j-th key. `scores` is overwritten.
    #[inline(always)]
    fn add_block(&mut self, scores: &mut [f32], v_block: &[f32], dv: usize) {
        let block_max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if block_max == f32::NEG_INFINITY || block_max.is_nan() {
            return;
        }
        if block_max > self.m {
            let factor = if self.m == f32::NEG_INFINITY { 0.0 } else { (self.m - block_max).exp() };
            if factor != 1.0 {
                for a in self.acc.iter_mut() {
                    *a *= factor;
                }
            }
            self.l *= factor;
            self.m = block_max;
        }
        #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
        if simd::supports(8, dv) {
            self.l += simd::exp_sub_sum(scores, self.m);
            simd::weighted_sum(&mut self.acc, scores, v_block, dv);
            return;
        }
        for (j, &s) in scores.iter().enumerate() {
            if s == f32::NEG_INFINITY {
                continue;
            }
            let p = (s - self.m).exp();
            self.l += p;
            axpy_f32(&mut self.acc, p, &v_block[j * dv..(j + 1) * dv]);
        }
    }

    /// Merge another partial row over a disjoint set of keys.
    fn merge(&mut self, other: &SoftmaxRow) {
        if other.m == f32::NEG_INFINITY {
            return;
        }
        if self.m == f32::NEG_INFINITY {
            self.m = other.m;
            self.l = other.l;
            self.acc.copy_from_slice(&other.acc);
            return;
        }
        let m = self.m.max(other.m);
        let fa = (self.m - m).exp();
        let fb = (other.m - m).exp();
        for (a, b) in self.acc.iter_mut().zip(&other.acc) {
            *a = *a * fa + *b * fb;
        }
        self.l = self.l * fa + other.l * fb;
        self.m = m;
    }

    /// Write the normalised row; a row whose keys were all masked is zero.
    fn write<T: DowncastF32>(&self, out: &mut [T]) {
        let inv = if self.l > 0.0 { 1.0 / self.l } else { 0.0 };
        for (o, a) in out.iter_mut().zip(&self.acc) {
            *o = T::cast(*a * inv);
        }
    }
}

/// Soft-capping of a scaled score (none when `logit_softcap` is 0).
#[inline(always)]
fn capped(s: f32, logit_softcap: f32) -> f32 {
    if logit_softcap != 0.0 {
        logit_softcap * (s / logit_softcap).tanh()
    } else {
        s
    }
}

/// Score one key: scaled dot product, soft-capping, then the mask.
#[inline(always)]
fn score(q_row: &[f32], k_row: &[f32], scale: f32, logit_softcap: f32, mask: f32) -> f32 {
    capped(vec_dot_f32(q_row, k_row) * scale, logit_softcap) + mask
}

#[inline]
fn clamp_index(idx: usize, dim: usize) -> usize {
    if dim == 0 {
        0
    } else if idx >= dim {
        dim - 1
    } else {
        idx
    }
}

#[inline]
fn mask_offset(
    dims: &[usize],
    b: usize,
    h: usize,
    b_i: usize,
    h_i: usize,
    q_pos: usize,
    kv_pos: usize,
) -> Option<usize> {
    if dims.is_empty() {
        return Some(0);
    }

    match dims.len() {
        1 => {
            let kv_dim = dims[0];
            if kv_dim == 0 {
                None
            } else {
                Some(clamp_index(kv_pos, kv_dim))
            }
        }
        2 => {
            let q_dim = dims[0];
            let kv_dim = dims[1];
            if q_dim == 0 || kv_dim == 0 {
                None
            } else {
                let q_idx = clamp_index(q_pos, q_dim);
                let kv_idx = clamp_index(kv_pos, kv_dim);
                Some(q_idx * kv_dim + kv_idx)
            }
        }
        3 => {
            let d0 = dims[0];
            let d1 = dims[1];
            let d2 = dims[2];
            if d0 == 0 || d1 == 0 || d2 == 0 {
                return None;
            }
            let q_idx = clamp_index(q_pos, d1);
            let kv_idx = clamp_index(kv_pos, d2);
            if d0 == b || d0 == 1 {
                let b_idx = if d0 == 1 { 0 } else { clamp_index(b_i, d0) };
                Some((b_idx * d1 + q_idx) * d2 + kv_idx)
            } else if d0 == h || d0 == 1 {
                let h_idx = if d0 == 1 { 0 } else { clamp_index(h_i, d0) };
                Some((h_idx * d1 + q_idx) * d2 + kv_idx)
            } else if d0 == b.saturating_mul(h) {
                let combined_idx = clamp_index(b_i * h + h_i, d0);
                Some((combined_idx * d1 + q_idx) * d2 + kv_idx)
            } else {
                Some(q_idx * d2 + kv_idx)
            }
        }
        4 => {
            let d0 = dims[0];
            let d1 = dims[1];
            let d2 = dims[2];
            let d3 = dims[3];
            if d0 == 0 || d1 == 0 || d2 == 0 || d3 == 0 {
                return None;
            }
            let b_idx = if d0 == 1 {
                0
            } else if d0 == b {
                clamp_index(b_i, d0)
            } else if d0 == b.saturating_mul(h) {
                clamp_index(b_i * h + h_i, d0)
            } else {
                clamp_index(b_i, d0)
            };
            let h_idx = if d1 == 1 {
                0
            } else if d1 == h {
                clamp_index(h_i, d1)
            } else if d1 == b {
                clamp_index(b_i, d1)
            } else {
                clamp_index(h_i, d1)
            };
            let q_idx = clamp_index(q_pos, d2);
            let kv_idx = clamp_index(kv_pos, d3);
            Some(((b_idx * d1 + h_idx) * d2 + q_idx) * d3 + kv_idx)
        }
        _ => {
            let q_dim = *dims.get(dims.len().saturating_sub(2))?;
            let kv_dim = *dims.last()?;
            if q_dim == 0 || kv_dim == 0 {
                return None;
            }
            let q_idx = clamp_index(q_pos, q_dim);
            let kv_idx = clamp_index(kv_pos, kv_dim);
            let mut prefix_dim = 1usize;
            for &dim in &dims[..dims.len() - 2] {
                if dim == 0 {
                    return None;
                }
                prefix_dim = prefix_dim.saturating_mul(dim);
            }
            let combined_idx = if prefix_dim == 0 {
                0
            } else {
                let idx_val = b_i * h + h_i;
                idx_val.min(prefix_dim - 1)
            };
            Some((combined_idx * q_dim + q_idx) * kv_dim + kv_idx)
        }
    }
}

struct MaskInfo<'a> {
    data: &'a [f32],
    dims: &'a [usize],
    b: usize,
    h: usize,
}

pub(crate) trait DowncastF32 {
    fn cast(x: f32) -> Self;
}

impl DowncastF32 for f32 {
    fn cast(x: f32) -> Self {
        x
    }
}

impl DowncastF32 for f16 {
    fn cast(x: f32) -> Self {
        f16::from_f32(x)
    }
}

impl DowncastF32 for bf16 {
    fn cast(x: f32) -> Self {
        bf16::from_f32(x)
    }
}

/// Up‑cast helper: convert any supported element type to `f32` once so that the
/// hot kernels can run entirely in `f32` and only down‑cast when writing out.
pub trait UpcastF32: Sized + Copy {
    fn to_f32(self) -> f32;

    /// Infill patch: converts a whole row at once, in a form that compiles to SIMD.
    #[inline(always)]
    fn to_f32_slice(src: &[Self], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s.to_f32();
        }
    }
}

impl UpcastF32 for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }

    #[inline(always)]
    fn to_f32_slice(src: &[Self], dst: &mut [f32]) {
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
    }
}

impl UpcastF32 for f16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self.to_f32()
    }

    #[inline(always)]
    fn to_f32_slice(src: &[Self], dst: &mut [f32]) {
        use half::slice::HalfFloatSliceExt;
        let n = src.len().min(dst.len());
        src[..n].convert_to_f32_slice(&mut dst[..n]);
    }
}

impl UpcastF32 for bf16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self.to_f32()
    }

    /// bf16 is the upper half of an f32: a shift, branch-free so that it vectorises (NaNs stay
    /// NaNs).
    #[inline(always)]
    fn to_f32_slice(src: &[Self], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = f32::from_bits(u32::from(s.to_bits()) << 16);
        }
    }
}

pub fn run_flash_attn_cpu<T>(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    sdpa_params: &SdpaParams,
) -> Result<Tensor>
where
    T: WithDType + Sum + num_traits::real::Real + DowncastF32 + UpcastF32 + Copy,
{
    // Inline CPU slice extraction for q, k, v, and optional mask
    let (q_guard, q_layout) = q.storage_and_layout();
    let q_data: &[T] = if let Storage::Cpu(cpu) = &*q_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for q")?;
        &data[q_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for q".into()));
    };
    let (k_guard, k_layout) = k.storage_and_layout();
    let k_data: &[T] = if let Storage::Cpu(cpu) = &*k_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for k")?;
        &data[k_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for k".into()));
    };
    let (v_guard, v_layout) = v.storage_and_layout();
    let v_data: &[T] = if let Storage::Cpu(cpu) = &*v_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for v")?;
        &data[v_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for v".into()));
    };
    // Infill patch: the mask is read as f32 in place (a cast only when it is another dtype)
    // instead of being copied into a new vector by every layer of every forward pass.
    let mask_f32 = mask.map(|m| m.to_dtype(candle_core::DType::F32)).transpose()?;
    let mask_dims: Option<Vec<usize>> = mask_f32.as_ref().map(|m| m.shape().dims().to_vec());
    let mask_storage = mask_f32.as_ref().map(|m| m.storage_and_layout());
    let mask_buffer: Option<&[f32]> = match &mask_storage {
        None => None,
        Some((guard, layout)) => match &**guard {
            Storage::Cpu(cpu) => Some(
                &cpu.as_slice::<f32>()
                    .context("Expected f32 storage for mask")?[layout.start_offset()..],
            ),
            _ => {
                return Err(candle_core::Error::Msg(
                    "Expected CPU storage for mask".into(),
                ))
            }
        },
    };
    // q_guard, k_guard, v_guard, and m_guard (if any) are kept in scope to hold storage alive

    let q_stride = q.stride();
    let k_stride = k.stride();
    let v_stride = v.stride();

    // Fast path for decode: q_len == 1
    let mask_dims_ref = mask_dims.as_deref();
    let mask_slice = mask_buffer;

    if q.shape().dims()[1] == 1 {
        return flash_attn_cpu_single_q(
            q_data,
            k_data,
            v_data,
            mask_slice,
            mask_dims_ref,
            q.shape().dims(),
            k.shape().dims(),
            v.shape().dims(),
            q_stride,
            k_stride,
            v_stride,
            sdpa_params.softmax_scale,
            0.0,
            sdpa_params.softcap.unwrap_or(0.0),
        );
    }

    flash_attn_cpu(
        q_data,
        k_data,
        v_data,
        mask_slice,
        mask_dims_ref,
        q.shape().dims(),
        k.shape().dims(),
        v.shape().dims(),
        q_stride,
        k_stride,
        v_stride,
        sdpa_params.softmax_scale,
        0.0,
        sdpa_params.softcap.unwrap_or(0.0),
    )
}

/// Key positions per parallel job in the decode kernel.
const DECODE_TILE_KV: usize = 256;

/// Query positions per parallel job in the prefill kernel.
const PREFILL_TILE_Q: usize = 16;

/// ALiBi slope of head `h_i` (1.0 without ALiBi).
#[inline]
fn alibi_slope(max_bias: f32, h_i: usize, n2: usize) -> f32 {
    if max_bias > 0.0 {
        2.0f32.powf(-max_bias * ((h_i + 1) as f32) / n2 as f32)
    } else {
        1.0
    }
}

/// One query row of an attention job: the query in f32, its mask row, and its softmax state.
struct QueryRow<'a> {
    q: Vec<f32>,
    mask: Option<MaskRow<'a>>,
    state: SoftmaxRow,
}

impl QueryRow<'_> {
    #[inline(always)]
    fn mask(&self, kv_pos: usize) -> f32 {
        self.mask.as_ref().map_or(0.0, |m| m.value(kv_pos))
    }
}

/// Where one key/value head's rows are: row `p` starts at `offset + p * stride`.
#[derive(Clone, Copy)]
struct HeadRows {
    offset: usize,
    stride: usize,
}

/// Attends every row of `rows` (queries that share one key/value head) to the keys in `range`.
/// Keys and values are converted to f32 a block at a time, once for all the rows; blocks that a
/// row's mask hides entirely are skipped for that row, and not converted if every row skips them.
#[allow(clippy::too_many_arguments)]
fn attend_rows<T: UpcastF32>(
    rows: &mut [QueryRow<'_>],
    k_data: &[T],
    v_data: &[T],
    k_rows: HeadRows,
    v_rows: HeadRows,
    d: usize,
    dv: usize,
    range: std::ops::Range<usize>,
    scale: f32,
    logit_softcap: f32,
) {
    let mut k_block = vec![0f32; KV_BLOCK * d];
    let mut v_block = vec![0f32; KV_BLOCK * dv];
    let mut scores = [0f32; KV_BLOCK];
    let mut block_start = range.start;
    while block_start < range.end {
        let n = (range.end - block_start).min(KV_BLOCK);
        let mut converted = false;
        for row in rows.iter_mut() {
            let mut any = false;
            for (j, slot) in scores[..n].iter_mut().enumerate() {
                *slot = row.mask(block_start + j);
                any |= *slot != f32::NEG_INFINITY;
            }
            if !any {
                continue;
            }
            if !converted {
                for j in 0..n {
                    let k = k_rows.offset + (block_start + j) * k_rows.stride;
                    T::to_f32_slice(&k_data[k..k + d], &mut k_block[j * d..(j + 1) * d]);
                    let v = v_rows.offset + (block_start + j) * v_rows.stride;
                    T::to_f32_slice(&v_data[v..v + dv], &mut v_block[j * dv..(j + 1) * dv]);
                }
                converted = true;
            }
            let mut j = 0;
            #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
            if simd::supports(d, dv) {
                let mut dots = [0f32; 8];
                while j + 8 <= n {
                    simd::dot8(&row.q, &k_block[j * d..(j + 8) * d], d, &mut dots);
                    for (slot, dot) in scores[j..j + 8].iter_mut().zip(dots) {
                        if *slot != f32::NEG_INFINITY {
                            *slot += capped(dot * scale, logit_softcap);
                        }
                    }
                    j += 8;
                }
            }
            for (j, slot) in scores[..n].iter_mut().enumerate().skip(j) {
                if *slot != f32::NEG_INFINITY {
                    *slot = score(&row.q, &k_block[j * d..(j + 1) * d], scale, logit_softcap, *slot);
                }
            }
            row.state.add_block(&mut scores[..n], &v_block[..n * dv], dv);
        }
        block_start += n;
    }
}

/// The shapes and strides shared by both kernels.
struct Layout<'a> {
    b: usize,
    h: usize,
    d: usize,
    dv: usize,
    kv_len: usize,
    /// Query heads per key/value head.
    group: usize,
    k_heads: usize,
    qstride: &'a [usize],
    kstride: &'a [usize],
    vstride: &'a [usize],
    n2: usize,
    max_bias: f32,
}

impl Layout<'_> {
    fn query_row<'m, T: UpcastF32>(
        &self,
        q_data: &[T],
        mask: Option<&MaskInfo<'m>>,
        b_i: usize,
        h_i: usize,
        q_pos: usize,
    ) -> QueryRow<'m> {
        let base = b_i * self.qstride[0] + q_pos * self.qstride[1] + h_i * self.qstride[2];
        let mut q = vec![0f32; self.d];
        T::to_f32_slice(&q_data[base..base + self.d], &mut q);
        let slope = alibi_slope(self.max_bias, h_i, self.n2);
        QueryRow {
            q,
            mask: mask.and_then(|m| m.row(b_i, h_i, q_pos, slope)),
            state: SoftmaxRow::new(self.dv),
        }
    }

    fn k_rows(&self, b_i: usize, kv_head: usize) -> HeadRows {
        HeadRows {
            offset: b_i * self.kstride[0] + kv_head * self.kstride[2],
            stride: self.kstride[1],
        }
    }

    fn v_rows(&self, b_i: usize, kv_head: usize) -> HeadRows {
        HeadRows {
            offset: b_i * self.vstride[0] + kv_head * self.vstride[2],
            stride: self.vstride[1],
        }
    }
}

/// Checks the head counts and builds the shared layout.
#[allow(clippy::too_many_arguments)]
fn layout<'a>(
    qshape: &[usize],
    kshape: &[usize],
    vshape: &[usize],
    qstride: &'a [usize],
    kstride: &'a [usize],
    vstride: &'a [usize],
    max_bias: f32,
) -> Result<Layout<'a>> {
    let (b, h, d) = (qshape[0], qshape[2], qshape[3]);
    let (kv_len, k_heads) = (kshape[1], kshape[2]);
    if k_heads == 0 || h % k_heads != 0 || vshape[2] != k_heads {
        candle_core::bail!(
            "attention: {h} query heads cannot share {k_heads} key and {} value heads",
            vshape[2]
        );
    }
    if qstride[3] != 1 || kstride[3] != 1 || vstride[3] != 1 {
        candle_core::bail!("attention: q, k and v need contiguous rows");
    }
    Ok(Layout {
        b,
        h,
        d,
        dv: d,
        kv_len,
        group: h / k_heads,
        k_heads,
        qstride,
        kstride,
        vstride,
        n2: 2_usize.pow((h as f32).log2().ceil() as u32),
        max_bias,
    })
}

/// Optimised path for the common decode case: q_len == 1 but kv_len ≫ 1.
/// Jobs are (key tile, batch, key/value head); each scores the tile for all the query heads that
/// share the head, keeping a partial softmax per head; the partials are merged at the end.
#[allow(clippy::too_many_arguments)]
fn flash_attn_cpu_single_q<T>(
    q_data: &[T],
    k_data: &[T],
    v_data: &[T],
    mask_vec: Option<&[f32]>,
    mask_dims: Option<&[usize]>,
    qshape: &[usize],
    kshape: &[usize],
    vshape: &[usize],
    qstride: &[usize],
    kstride: &[usize],
    vstride: &[usize],
    scale: f32,
    max_bias: f32,
    logit_softcap: f32,
) -> Result<Tensor>
where
    T: WithDType + Copy + UpcastF32 + DowncastF32,
{
    let l = layout(qshape, kshape, vshape, qstride, kstride, vstride, max_bias)?;
    let mask_info = match (mask_vec, mask_dims) {
        (Some(data), Some(dims)) => Some(MaskInfo { data, dims, b: l.b, h: l.h }),
        _ => None,
    };

    // Enough tiles to keep every thread busy, none shorter than one softmax block.
    let threads = attn_threads().max(1);
    let tile = l.kv_len.div_ceil(threads * 2).clamp(KV_BLOCK, DECODE_TILE_KV.max(KV_BLOCK));
    let kv_tiles = l.kv_len.div_ceil(tile).max(1);
    let heads_jobs = l.b * l.k_heads;

    // partials[tile * heads_jobs + b * k_heads + kv_head] holds that job's `group` query rows.
    let partials: Vec<Vec<SoftmaxRow>> = attn_install(|| {
        (0..kv_tiles * heads_jobs)
            .into_par_iter()
            .map(|job| {
                let (tile_idx, rest) = (job / heads_jobs, job % heads_jobs);
                let (b_i, kv_head) = (rest / l.k_heads, rest % l.k_heads);
                let start = tile_idx * tile;
                let end = (start + tile).min(l.kv_len);
                let mut rows: Vec<QueryRow> = (0..l.group)
                    .map(|g| l.query_row(q_data, mask_info.as_ref(), b_i, kv_head * l.group + g, 0))
                    .collect();
                attend_rows(
                    &mut rows,
                    k_data,
                    v_data,
                    l.k_rows(b_i, kv_head),
                    l.v_rows(b_i, kv_head),
                    l.d,
                    l.dv,
                    start..end,
                    scale,
                    logit_softcap,
                );
                rows.into_iter().map(|r| r.state).collect()
            })
            .collect()
    });

    let mut out = vec![T::cast(0.0); l.b * l.h * l.dv];
    for (job, rows) in partials.iter().enumerate().take(heads_jobs) {
        let (b_i, kv_head) = (job / l.k_heads, job % l.k_heads);
        for (g, row) in rows.iter().enumerate() {
            let mut merged = SoftmaxRow::new(l.dv);
            merged.merge(row);
            for tile_idx in 1..kv_tiles {
                merged.merge(&partials[tile_idx * heads_jobs + job][g]);
            }
            let h_i = kv_head * l.group + g;
            merged.write(&mut out[(b_i * l.h + h_i) * l.dv..][..l.dv]);
        }
    }
    Tensor::from_vec(out, (l.b, l.h, 1, l.dv), &Device::Cpu)
}

/// Main forward flash-attention CPU routine (prefill: q_len > 1).
/// Shapes follow Candle convention: (B, S, H, D). Jobs are (batch, key/value head, tile of
/// query positions); each walks the keys a block at a time for all its query rows, so a block of
/// keys and values is read and converted once per tile rather than once per row.
#[allow(clippy::too_many_arguments)]
fn flash_attn_cpu<T>(
    q_data: &[T],
    k_data: &[T],
    v_data: &[T],
    mask_vec: Option<&[f32]>,
    mask_dims: Option<&[usize]>,
    qshape: &[usize],
    kshape: &[usize],
    vshape: &[usize],
    qstride: &[usize],
    kstride: &[usize],
    vstride: &[usize],
    scale: f32,
    max_bias: f32,
    logit_softcap: f32,
) -> Result<Tensor>
where
    T: WithDType + Copy + UpcastF32 + DowncastF32,
{
    let l = layout(qshape, kshape, vshape, qstride, kstride, vstride, max_bias)?;
    let q_len = qshape[1];
    let mask_info = match (mask_vec, mask_dims) {
        (Some(data), Some(dims)) => Some(MaskInfo { data, dims, b: l.b, h: l.h }),
        _ => None,
    };
    let q_tiles = q_len.div_ceil(PREFILL_TILE_Q);
    let jobs = l.b * l.k_heads * q_tiles;

    let results: Vec<Vec<SoftmaxRow>> = attn_install(|| {
        (0..jobs)
            .into_par_iter()
            .map(|job| {
                let (b_i, rest) = (job / (l.k_heads * q_tiles), job % (l.k_heads * q_tiles));
                let (kv_head, q_tile) = (rest / q_tiles, rest % q_tiles);
                let q_start = q_tile * PREFILL_TILE_Q;
                let q_end = (q_start + PREFILL_TILE_Q).min(q_len);
                // Rows ordered (query position, head within the group).
                let mut rows: Vec<QueryRow> = (q_start..q_end)
                    .flat_map(|q_pos| (0..l.group).map(move |g| (q_pos, g)))
                    .map(|(q_pos, g)| {
                        l.query_row(q_data, mask_info.as_ref(), b_i, kv_head * l.group + g, q_pos)
                    })
                    .collect();
                attend_rows(
                    &mut rows,
                    k_data,
                    v_data,
                    l.k_rows(b_i, kv_head),
                    l.v_rows(b_i, kv_head),
                    l.d,
                    l.dv,
                    0..l.kv_len,
                    scale,
                    logit_softcap,
                );
                rows.into_iter().map(|r| r.state).collect()
            })
            .collect()
    });

    let mut out = vec![T::cast(0.0); l.b * q_len * l.h * l.dv];
    for (job, rows) in results.iter().enumerate() {
        let (b_i, rest) = (job / (l.k_heads * q_tiles), job % (l.k_heads * q_tiles));
        let (kv_head, q_tile) = (rest / q_tiles, rest % q_tiles);
        for (i, row) in rows.iter().enumerate() {
            let q_pos = q_tile * PREFILL_TILE_Q + i / l.group;
            let h_i = kv_head * l.group + i % l.group;
            let at = ((b_i * l.h + h_i) * q_len + q_pos) * l.dv;
            row.write(&mut out[at..at + l.dv]);
        }
    }
    Tensor::from_vec(out, (l.b, l.h, q_len, l.dv), &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::SdpaParams;
    use candle_core::{Device, Tensor, D};
    use candle_nn::ops::softmax;

    use candle_core::Result as CandleResult;

    const EPS: f32 = 1e-4;

    #[test]
    fn test_flash_attn_cpu_single_q() -> CandleResult<()> {
        // Test for q_len == 1 (single Q)
        let b = 1;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, 1, h, d) filled with ones
        let q_vec = vec![1.0f32; b * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, 1, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, no softcap
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: None,
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, 1, d)
        assert_eq!(out.shape().dims(), &[b, h, 1, d]);

        // Naive attention
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, 1, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;
        let weights = softmax(&logits, D::Minus1)?;

        let attn_out = weights.matmul(&v_resh)?;

        let naive_out = attn_out.reshape(&[b, h, 1, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }

        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_full_q() -> CandleResult<()> {
        // Test for q_len > 1 (full Q)
        let b = 1;
        let q_len = 2;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, q_len, h, d) filled with ones
        let q_vec = vec![1.0f32; b * q_len * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, q_len, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, no softcap
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: None,
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, q_len, d)
        assert_eq!(out.shape().dims(), &[b, h, q_len, d]);

        // Naive attention
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, q_len, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;
        let weights = softmax(&logits, D::Minus1)?;

        let attn_out = weights.matmul(&v_resh)?;

        let naive_out = attn_out.reshape(&[b, h, q_len, d])?;

        // 7) Compare element‐by‐element
        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }

        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_single_q_softcap() -> CandleResult<()> {
        // Test for q_len == 1 (single Q) with softcap
        let b = 1;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, 1, h, d) filled with ones
        let q_vec = vec![1.0f32; b * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, 1, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, softcap = Some(0.5)
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: Some(0.5),
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;
        let sc = sdpa.softcap.unwrap();

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, 1, d)
        assert_eq!(out.shape().dims(), &[b, h, 1, d]);

        // Naive attention with softcap
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, 1, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;

        let logits = (logits / sc as f64)?;
        let logits = logits.tanh()?;
        let logits = (logits * sc as f64)?;

        let weights = softmax(&logits, D::Minus1)?;
        let attn_out = weights.matmul(&v_resh)?;
        let naive_out = attn_out.reshape(&[b, h, 1, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }
        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_full_q_softcap() -> CandleResult<()> {
        // Test for q_len > 1 (full Q) with softcap
        let b = 1;
        let q_len = 2;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, q_len, h, d) filled with ones
        let q_vec = vec![1.0f32; b * q_len * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, q_len, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, softcap = Some(0.5)
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: Some(0.5),
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;
        let sc = sdpa.softcap.unwrap();

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, q_len, d)
        assert_eq!(out.shape().dims(), &[b, h, q_len, d]);

        // Naive attention with softcap
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, q_len, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;

        let logits = (logits / sc as f64)?;
        let logits = logits.tanh()?;
        let logits = (logits * sc as f64)?;

        let weights = softmax(&logits, D::Minus1)?;
        let attn_out = weights.matmul(&v_resh)?;
        let naive_out = attn_out.reshape(&[b, h, q_len, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }
        Ok(())
    }
}
