//! Activation rows to Q8_0 blocks, the left side of a Q8_0 product.
//!
//! The result is bit for bit candle's (`BlockQ8_0::from_float`, which the model's weights and the
//! per-row path use): scale `d = max|x| / 127`, values `round(x / d)` rounded half away from zero
//! (Rust's `f32::round`, not the ties-to-even of ggml's SIMD code), and NaN values stored as 0.

use crate::{BlockQ8_0, Isa, QK8_0, ShapeError, f16};

/// Quantizes `xs` (a multiple of 32 values) into `ys` (one block per 32 values).
pub fn quantize_q8_0(xs: &[f32], ys: &mut [BlockQ8_0]) -> Result<(), ShapeError> {
    quantize_with(crate::isa(), xs, ys)
}

/// The portable path of [`quantize_q8_0`], whatever the CPU: the reference the tests compare with.
pub fn quantize_q8_0_portable(xs: &[f32], ys: &mut [BlockQ8_0]) -> Result<(), ShapeError> {
    quantize_with(Isa::Portable, xs, ys)
}

fn quantize_with(isa: Isa, xs: &[f32], ys: &mut [BlockQ8_0]) -> Result<(), ShapeError> {
    if xs.len() != ys.len() * QK8_0 {
        return Err(ShapeError(format!(
            "{} values do not fill {} blocks of {QK8_0}",
            xs.len(),
            ys.len()
        )));
    }
    for (x, y) in xs.chunks_exact(QK8_0).zip(ys.iter_mut()) {
        match isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `isa()` reports AVX2 (or better) only after detecting AVX2, FMA and F16C.
            Isa::Avx2 | Isa::Avx512Vnni => unsafe { x86::block(x, y) },
            _ => portable(x, y),
        }
    }
    Ok(())
}

/// One block in plain Rust, as candle computes it.
fn portable(xs: &[f32], y: &mut BlockQ8_0) {
    let amax = xs.iter().fold(0f32, |amax, x| amax.max(x.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    y.d = f16::from_f32(d);
    for (q, &x) in y.qs.iter_mut().zip(xs) {
        *q = f32::round(x * id) as i8;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use crate::{BlockQ8_0, f16};

    /// One block with AVX2: four vectors of eight values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn block(xs: &[f32], y: &mut BlockQ8_0) {
        debug_assert_eq!(xs.len(), 32);
        // SAFETY (all intrinsics): the caller detected AVX2; `xs` holds 32 values and `y.qs` 32
        // bytes, so every load and the store stay in bounds.
        unsafe {
            let sign = _mm256_set1_ps(-0.0);
            let v = [0, 8, 16, 24].map(|o| _mm256_loadu_ps(xs.as_ptr().add(o)));
            // max(|x|, acc) keeps `acc` where x is NaN, as f32::max does.
            let mut amax = _mm256_setzero_ps();
            for &x in &v {
                amax = _mm256_max_ps(_mm256_andnot_ps(sign, x), amax);
            }
            let m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
            let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
            let m = _mm_max_ss(m, _mm_movehdup_ps(m));
            let amax = _mm_cvtss_f32(m);
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            y.d = f16::from_f32(d);
            let id = _mm256_set1_ps(id);
            let half = _mm256_set1_ps(0.5);
            let one = _mm256_set1_ps(1.0);
            let low = _mm256_set1_ps(-128.0);
            let high = _mm256_set1_ps(127.0);
            let q = v.map(|x| {
                let s = _mm256_mul_ps(x, id);
                // Half away from zero: floor |s|, plus one where the fraction (exact) is ≥ ½,
                // then the sign back.
                let a = _mm256_andnot_ps(sign, s);
                let f = _mm256_floor_ps(a);
                let up = _mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_sub_ps(a, f), half);
                let r = _mm256_add_ps(f, _mm256_and_ps(up, one));
                let r = _mm256_or_ps(r, _mm256_and_ps(s, sign));
                // Saturate as `as i8` does (an infinite quotient when the scale is subnormal),
                // and NaN (from a NaN value, or ∞ · 0) becomes 0, as `as i8` makes it.
                let r = _mm256_min_ps(_mm256_max_ps(r, low), high);
                let r = _mm256_and_ps(r, _mm256_cmp_ps::<_CMP_ORD_Q>(s, s));
                _mm256_cvttps_epi32(r)
            });
            // 4 × 8 i32 → 32 i8 (saturating, like `as i8` for these in-range values); the packs
            // interleave 128-bit lanes, the permutation puts them back in order.
            let lo = _mm256_packs_epi32(q[0], q[1]);
            let hi = _mm256_packs_epi32(q[2], q[3]);
            let bytes = _mm256_packs_epi16(lo, hi);
            let bytes =
                _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256(y.qs.as_mut_ptr() as *mut __m256i, bytes);
        }
    }
}
