//! Q4_K weights × Q8_K activations.

use crate::{BlockQ4K, BlockQ8K, Isa, Kernel, Tile};

pub(crate) fn kernel(isa: Isa) -> Kernel<BlockQ8K, BlockQ4K> {
    match isa {
        // AVX-512 VNNI runs the AVX2 tile too: a `vpdpwssd` tile on 16-bit values pre-scaled per
        // sub-block measured slower (44 vs 75 GOP/s at 32 × 8960 × 1536, benches/gemm.rs).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni | Isa::Avx2 => Kernel { cols: 2, run: x86::run_avx2 },
        _ => Kernel { cols: 4, run: portable },
    }
}

/// The eight 6-bit sub-block scales and minimums of a super-block.
fn scales_mins(q: &[u8; 12]) -> ([u8; 8], [u8; 8]) {
    let mut scales = [0u8; 8];
    let mut mins = [0u8; 8];
    for j in 0..8 {
        (scales[j], mins[j]) = if j < 4 {
            (q[j] & 63, q[j + 4] & 63)
        } else {
            ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
        };
    }
    (scales, mins)
}

/// Σ minimum × (sum of the sub-block's 32 activations), the part of a super-block's product
/// that the minimums subtract.
fn min_sum(mins: &[u8; 8], bsums: &[i16; 16]) -> i32 {
    (0..8).map(|j| mins[j] as i32 * (bsums[2 * j] as i32 + bsums[2 * j + 1] as i32)).sum()
}

/// One tile in plain Rust: the reference the SIMD tiles are tested against.
fn portable(kb: usize, lhs: &[BlockQ8K], rhs: &[BlockQ4K], t: Tile, out: &mut [f32]) {
    for r in 0..t.rows {
        let a = &lhs[(t.r0 + r) * kb..][..kb];
        for c in 0..t.cols {
            let w = &rhs[(t.c0 + c) * kb..][..kb];
            let mut sum = 0f32;
            for (y, x) in a.iter().zip(w) {
                let (scales, mins) = scales_mins(&x.scales);
                let mut isum = 0i32;
                for (j, &scale) in scales.iter().enumerate() {
                    let bytes = &x.qs[32 * (j / 2)..][..32];
                    let dot: i32 = bytes
                        .iter()
                        .zip(&y.qs[32 * j..][..32])
                        .map(|(&byte, &q)| {
                            let v = if j % 2 == 0 { byte & 0xF } else { byte >> 4 };
                            v as i32 * q as i32
                        })
                        .sum();
                    isum += scale as i32 * dot;
                }
                sum += x.d.to_f32() * y.d * isum as f32
                    - x.dmin.to_f32() * y.d * min_sum(&mins, &y.bsums) as f32;
            }
            out[r * t.cols + c] = sum;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{min_sum, scales_mins};
    use crate::x86::{dispatch, hsum, load32};
    use crate::{BlockQ4K, BlockQ8K, Tile};

    pub(super) fn run_avx2(
        kb: usize,
        lhs: &[BlockQ8K],
        rhs: &[BlockQ4K],
        t: Tile,
        out: &mut [f32],
    ) {
        dispatch!(
            tile,
            super::portable,
            kb,
            lhs,
            rhs,
            t,
            out,
            [(4, 2), (4, 1), (3, 2), (3, 1), (2, 2), (2, 1), (1, 2), (1, 1)]
        )
    }

    /// `R` activation rows × `C` weight columns: each 64-value chunk of a weight super-block is
    /// unpacked to bytes once for all `R` rows; `vpmaddubsw` (values 0..15 × activations) and
    /// `vpmaddwd` with the sub-block's scale give integer sums per super-block, scaled in f32.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn tile<const R: usize, const C: usize>(
        kb: usize,
        lhs: &[BlockQ8K],
        rhs: &[BlockQ4K],
        t: Tile,
        out: &mut [f32],
    ) {
        let a: [&[BlockQ8K]; R] = std::array::from_fn(|r| &lhs[(t.r0 + r) * kb..][..kb]);
        let w: [&[BlockQ4K]; C] = std::array::from_fn(|c| &rhs[(t.c0 + c) * kb..][..kb]);
        let low = _mm256_set1_epi8(0x0F);
        let zero = _mm256_setzero_si256();
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        let mut min_part = [[0f32; C]; R];
        for b in 0..kb {
            let mut scales = [[0u8; 8]; C];
            let mut mins = [[0u8; 8]; C];
            for c in 0..C {
                (scales[c], mins[c]) = scales_mins(&w[c][b].scales);
            }
            let mut isum = [[zero; C]; R];
            for chunk in 0..4 {
                let mut lo = [zero; C];
                let mut hi = [zero; C];
                let mut scale_lo = [zero; C];
                let mut scale_hi = [zero; C];
                for c in 0..C {
                    // SAFETY: 32 of the block's 128 value bytes.
                    let q = unsafe { load32(w[c][b].qs[32 * chunk..].as_ptr()) };
                    lo[c] = _mm256_and_si256(q, low);
                    hi[c] = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
                    scale_lo[c] = _mm256_set1_epi16(scales[c][2 * chunk] as i16);
                    scale_hi[c] = _mm256_set1_epi16(scales[c][2 * chunk + 1] as i16);
                }
                for r in 0..R {
                    let qs = &a[r][b].qs[64 * chunk..];
                    // SAFETY: 64 of the activation block's 256 value bytes.
                    let (ql, qh) = unsafe { (load32(qs.as_ptr()), load32(qs[32..].as_ptr())) };
                    for c in 0..C {
                        let pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo[c], ql), scale_lo[c]);
                        let ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi[c], qh), scale_hi[c]);
                        isum[r][c] = _mm256_add_epi32(isum[r][c], _mm256_add_epi32(pl, ph));
                    }
                }
            }
            for r in 0..R {
                let y = &a[r][b];
                for c in 0..C {
                    let x = &w[c][b];
                    acc[r][c] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(isum[r][c]),
                        _mm256_set1_ps(x.d.to_f32() * y.d),
                        acc[r][c],
                    );
                    min_part[r][c] += x.dmin.to_f32() * y.d * min_sum(&mins[c], &y.bsums) as f32;
                }
            }
        }
        for r in 0..R {
            for c in 0..C {
                // SAFETY: AVX is enabled in this function.
                out[r * C + c] = unsafe { hsum(acc[r][c]) } - min_part[r][c];
            }
        }
    }
}
