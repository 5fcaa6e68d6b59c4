//! Q8_0 weights × Q8_0 activations.

use crate::{BlockQ8_0, Isa, Kernel, Tile};

pub(crate) fn kernel(isa: Isa) -> Kernel<BlockQ8_0, BlockQ8_0> {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512Vnni => Kernel { cols: 4, run: x86::run_vnni },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => Kernel { cols: 2, run: x86::run_avx2 },
        _ => Kernel { cols: 4, run: portable },
    }
}

/// One tile in plain Rust: the reference the SIMD tiles are tested against.
fn portable(kb: usize, lhs: &[BlockQ8_0], rhs: &[BlockQ8_0], t: Tile, out: &mut [f32]) {
    for r in 0..t.rows {
        let a = &lhs[(t.r0 + r) * kb..][..kb];
        for c in 0..t.cols {
            let w = &rhs[(t.c0 + c) * kb..][..kb];
            let mut sum = 0f32;
            for (x, y) in a.iter().zip(w) {
                let dot: i32 = x.qs.iter().zip(&y.qs).map(|(&p, &q)| p as i32 * q as i32).sum();
                sum += dot as f32 * x.d.to_f32() * y.d.to_f32();
            }
            out[r * t.cols + c] = sum;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use crate::x86::{dispatch, hsum, load32};
    use crate::{BlockQ8_0, Tile};

    pub(super) fn run_avx2(
        kb: usize,
        lhs: &[BlockQ8_0],
        rhs: &[BlockQ8_0],
        t: Tile,
        out: &mut [f32],
    ) {
        dispatch!(
            tile_avx2,
            super::portable,
            kb,
            lhs,
            rhs,
            t,
            out,
            [(4, 2), (4, 1), (3, 2), (3, 1), (2, 2), (2, 1), (1, 2), (1, 1)]
        )
    }

    pub(super) fn run_vnni(
        kb: usize,
        lhs: &[BlockQ8_0],
        rhs: &[BlockQ8_0],
        t: Tile,
        out: &mut [f32],
    ) {
        dispatch!(
            tile_vnni,
            super::portable,
            kb,
            lhs,
            rhs,
            t,
            out,
            [
                (4, 4),
                (4, 3),
                (4, 2),
                (4, 1),
                (3, 4),
                (3, 3),
                (3, 2),
                (3, 1),
                (2, 4),
                (2, 3),
                (2, 2),
                (2, 1),
                (1, 4),
                (1, 3),
                (1, 2),
                (1, 1)
            ]
        )
    }

    /// `R` activation rows × `C` weight columns with AVX2: per block, |w| × (a signed like w)
    /// with `vpmaddubsw` (no overflow: both sides stay within ±127), pairs summed by
    /// `vpmaddwd`, scaled and accumulated in f32.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn tile_avx2<const R: usize, const C: usize>(
        kb: usize,
        lhs: &[BlockQ8_0],
        rhs: &[BlockQ8_0],
        t: Tile,
        out: &mut [f32],
    ) {
        let a: [&[BlockQ8_0]; R] = std::array::from_fn(|r| &lhs[(t.r0 + r) * kb..][..kb]);
        let w: [&[BlockQ8_0]; C] = std::array::from_fn(|c| &rhs[(t.c0 + c) * kb..][..kb]);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); C]; R];
        for b in 0..kb {
            let mut wq = [_mm256_setzero_si256(); C];
            let mut wa = [_mm256_setzero_si256(); C];
            let mut wd = [0f32; C];
            for c in 0..C {
                let block = &w[c][b];
                // SAFETY: a block holds 32 value bytes.
                wq[c] = unsafe { load32(block.qs.as_ptr()) };
                wa[c] = _mm256_sign_epi8(wq[c], wq[c]);
                wd[c] = block.d.to_f32();
            }
            for r in 0..R {
                let block = &a[r][b];
                // SAFETY: as above.
                let aq = unsafe { load32(block.qs.as_ptr()) };
                let ad = block.d.to_f32();
                for c in 0..C {
                    let signed = _mm256_sign_epi8(aq, wq[c]);
                    let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wa[c], signed), ones);
                    acc[r][c] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(dot),
                        _mm256_set1_ps(ad * wd[c]),
                        acc[r][c],
                    );
                }
            }
        }
        for r in 0..R {
            for c in 0..C {
                // SAFETY: AVX is enabled in this function.
                out[r * C + c] = unsafe { hsum(acc[r][c]) };
            }
        }
    }

    /// `R` × `C` with AVX-512 VNNI, two blocks per 512-bit vector: the weights are shifted to
    /// unsigned bytes (w + 128) so that one `vpdpbusd` per pair computes w·a + 128·Σa for two
    /// blocks at once, starting from −128·Σa (computed once per activation block pair); each
    /// half's eight sums are scaled by their own block's scales. An odd last block pairs with
    /// zeros. Shifting the weights rather than the activations costs a `vpxor` per weight block
    /// and a `vpdpbusd` per activation block (the other way round, a `vpdpbusd` per weight
    /// block): a decode step has one activation row and many weight columns. The integer sums
    /// are the same either way.
    #[target_feature(enable = "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,avx512dq")]
    fn tile_vnni<const R: usize, const C: usize>(
        kb: usize,
        lhs: &[BlockQ8_0],
        rhs: &[BlockQ8_0],
        t: Tile,
        out: &mut [f32],
    ) {
        let a: [&[BlockQ8_0]; R] = std::array::from_fn(|r| &lhs[(t.r0 + r) * kb..][..kb]);
        let w: [&[BlockQ8_0]; C] = std::array::from_fn(|c| &rhs[(t.c0 + c) * kb..][..kb]);
        let bias = _mm512_set1_epi8(-128);
        let zero = _mm512_setzero_si512();
        // Two blocks' values in one vector (the second all zero past the end).
        let values = |blocks: &[BlockQ8_0], b: usize| {
            // SAFETY: a block holds 32 value bytes.
            let lo = unsafe { load32(blocks[b].qs.as_ptr()) };
            let hi = match blocks.get(b + 1) {
                // SAFETY: as above.
                Some(block) => unsafe { load32(block.qs.as_ptr()) },
                None => _mm256_setzero_si256(),
            };
            _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1)
        };
        // Two blocks' scales, eight lanes each.
        let scales = |blocks: &[BlockQ8_0], b: usize| {
            let lo = _mm256_set1_ps(blocks[b].d.to_f32());
            let hi = _mm256_set1_ps(blocks.get(b + 1).map_or(0.0, |block| block.d.to_f32()));
            _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1)
        };
        let mut acc = [[_mm512_setzero_ps(); C]; R];
        for b in (0..kb).step_by(2) {
            let mut wu = [zero; C];
            let mut wd = [_mm512_setzero_ps(); C];
            for c in 0..C {
                wu[c] = _mm512_xor_si512(values(w[c], b), bias);
                wd[c] = scales(w[c], b);
            }
            for r in 0..R {
                let aq = values(a[r], b);
                let start = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, bias, aq));
                let ad = scales(a[r], b);
                for c in 0..C {
                    let dot = _mm512_dpbusd_epi32(start, wu[c], aq);
                    acc[r][c] = _mm512_fmadd_ps(
                        _mm512_cvtepi32_ps(dot),
                        _mm512_mul_ps(ad, wd[c]),
                        acc[r][c],
                    );
                }
            }
        }
        for r in 0..R {
            for c in 0..C {
                out[r * C + c] = _mm512_reduce_add_ps(acc[r][c]);
            }
        }
    }
}
