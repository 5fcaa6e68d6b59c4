//! Run-time detection and helpers shared by the x86-64 kernels.

use std::arch::x86_64::*;

/// Calls the tile instantiated for `t`'s shape (edge tiles are narrower or shorter), or the
/// portable tile for a shape not listed.
macro_rules! dispatch {
    ($tile:ident, $portable:path, $kb:expr, $lhs:expr, $rhs:expr, $t:expr, $out:expr, [$(($r:literal, $c:literal)),*]) => {
        match ($t.rows, $t.cols) {
            // SAFETY: `kernel` hands out this function only when the CPU has the features
            // the tile is compiled for.
            $(($r, $c) => unsafe { $tile::<$r, $c>($kb, $lhs, $rhs, $t, $out) },)*
            _ => $portable($kb, $lhs, $rhs, $t, $out),
        }
    };
}
pub(crate) use dispatch;

pub(crate) fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
}

pub(crate) fn has_avx512_vnni() -> bool {
    has_avx2()
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512vnni")
        && is_x86_feature_detected!("avx512dq")
}

/// The sum of the eight lanes.
#[inline(always)]
pub(crate) unsafe fn hsum(v: __m256) -> f32 {
    // SAFETY (all intrinsics here): the caller runs with AVX enabled (every kernel that calls
    // this is compiled for AVX2 or better and only called after detection).
    unsafe {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps(v, 1);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }
}

/// Loads 32 bytes from `p` (no alignment needed).
#[inline(always)]
pub(crate) unsafe fn load32<T>(p: *const T) -> __m256i {
    // SAFETY: the caller points at 32 readable bytes (a block's values).
    unsafe { _mm256_loadu_si256(p as *const __m256i) }
}
