//! Tiled, multi-row CPU kernels for quantized matrix products: `dst = lhs · rhsᵀ` where `lhs` is
//! a chunk of activation rows quantized to the weights' dot-product type and `rhs` holds the
//! weight rows of a GGUF tensor (Q8_0 or Q4_K).
//!
//! candle computes such a product one activation row at a time: for every row it hands the
//! columns to Rayon and every column reads its whole weight row again, so a prompt chunk of 32
//! rows reads each weight 32 times, and wakes the thread pool 32 times per layer. Here a worker
//! takes a panel of weight columns for all the rows of the chunk, and computes it in register
//! tiles of `R` rows × `C` columns: each weight block loaded (and for Q4_K, unpacked) once serves
//! `R` rows, each activation block serves `C` columns, and the pool is woken once per product.
//!
//! The instruction set is chosen at run time ([`isa`]): AVX-512 VNNI where the CPU has it, AVX2
//! with FMA otherwise, and a portable scalar path elsewhere (the caller keeps its own kernels
//! there: [`accelerated`] says whether these are worth calling). `INFILL_KERNELS=off` turns them
//! off for comparisons, `INFILL_KERNELS=avx2` caps the instruction set.
//!
//! Results match the per-row products within float rounding: integer dot products per block are
//! exact, only the order in which the scaled block sums are added differs.

// SIMD intrinsics and the disjoint writes of worker threads into one output need `unsafe`; each
// block says why it is sound.
#![allow(unsafe_code)]
#![warn(missing_docs)]

use std::sync::OnceLock;

use rayon::prelude::*;

mod q4k;
mod q8_0;
mod quantize;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use half::f16;
pub use quantize::{quantize_q8_0, quantize_q8_0_portable};

/// Values per Q8_0 block.
pub const QK8_0: usize = 32;
/// Values per K-quant super-block.
pub const QK_K: usize = 256;

/// A GGUF Q8_0 block: 32 signed bytes and their scale (the layout of ggml's `block_q8_0`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8_0 {
    /// Scale.
    pub d: f16,
    /// Quantized values.
    pub qs: [i8; QK8_0],
}
const _: () = assert!(std::mem::size_of::<BlockQ8_0>() == 34);

/// A GGUF Q4_K super-block: 256 4-bit values in 8 sub-blocks of 32, each with a 6-bit scale and
/// minimum (the layout of ggml's `block_q4_K`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ4K {
    /// Scale of the sub-block scales.
    pub d: f16,
    /// Scale of the sub-block minimums.
    pub dmin: f16,
    /// Sub-block scales and minimums, 6 bits each, packed.
    pub scales: [u8; 12],
    /// Values, two per byte: bytes `32·i..32·i+32` hold sub-block `2i` in their low nibbles and
    /// sub-block `2i+1` in their high nibbles.
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(std::mem::size_of::<BlockQ4K>() == 144);

/// A Q8_K super-block, the activation side of a Q4_K product: 256 signed bytes, one scale, and
/// the sums of each run of 16 values (the layout of ggml's `block_q8_K`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct BlockQ8K {
    /// Scale.
    pub d: f32,
    /// Quantized values.
    pub qs: [i8; QK_K],
    /// Sums of `qs[16·i..16·i+16]`.
    pub bsums: [i16; QK_K / 16],
}
const _: () = assert!(std::mem::size_of::<BlockQ8K>() == 292);

/// The instruction set the kernels run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX-512 VNNI with 256-bit vectors (32 registers, `vpdpbusd`) and AVX2 for the rest.
    Avx512Vnni,
    /// AVX2 with FMA and F16C.
    Avx2,
    /// Plain Rust, any CPU.
    Portable,
}

/// Why a product was refused: the slices do not hold the shapes given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(
    /// What does not fit.
    pub String,
);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShapeError {}

/// The instruction set detected on this CPU, capped by `INFILL_KERNELS` (`avx2`, `portable`).
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        let setting = std::env::var("INFILL_KERNELS").unwrap_or_default();
        let detected = detect();
        match setting.as_str() {
            "portable" | "off" => Isa::Portable,
            "avx2" if detected != Isa::Portable => Isa::Avx2,
            _ => detected,
        }
    })
}

/// Whether the tiled kernels beat the caller's own per-row path here: true with AVX2 or better,
/// false on the portable path (and with `INFILL_KERNELS=off`).
pub fn accelerated() -> bool {
    isa() != Isa::Portable
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if x86::has_avx512_vnni() {
            return Isa::Avx512Vnni;
        }
        if x86::has_avx2() {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// `dst[i·n + j] = Σ lhs row i · rhs row j` for Q8_0 weights: `lhs` holds `m` rows and `rhs` `n`
/// rows of `k / 32` blocks each; `dst` is `m × n`, row-major.
pub fn gemm_q8_0(
    mnk: (usize, usize, usize),
    lhs: &[BlockQ8_0],
    rhs: &[BlockQ8_0],
    dst: &mut [f32],
) -> Result<(), ShapeError> {
    gemm(q8_0::kernel(isa()), QK8_0, mnk, lhs, rhs, dst)
}

/// The same product for Q4_K weights and Q8_K activations (`k` a multiple of 256).
pub fn gemm_q4k(
    mnk: (usize, usize, usize),
    lhs: &[BlockQ8K],
    rhs: &[BlockQ4K],
    dst: &mut [f32],
) -> Result<(), ShapeError> {
    gemm(q4k::kernel(isa()), QK_K, mnk, lhs, rhs, dst)
}

/// The portable path of [`gemm_q8_0`], whatever the CPU: the reference the tests compare with.
pub fn gemm_q8_0_portable(
    mnk: (usize, usize, usize),
    lhs: &[BlockQ8_0],
    rhs: &[BlockQ8_0],
    dst: &mut [f32],
) -> Result<(), ShapeError> {
    gemm(q8_0::kernel(Isa::Portable), QK8_0, mnk, lhs, rhs, dst)
}

/// The portable path of [`gemm_q4k`].
pub fn gemm_q4k_portable(
    mnk: (usize, usize, usize),
    lhs: &[BlockQ8K],
    rhs: &[BlockQ4K],
    dst: &mut [f32],
) -> Result<(), ShapeError> {
    gemm(q4k::kernel(Isa::Portable), QK_K, mnk, lhs, rhs, dst)
}

/// Checks the shapes and runs `kernel` over the whole output.
fn gemm<L: Sync, W: Sync>(
    kernel: Kernel<L, W>,
    block: usize,
    (m, n, k): (usize, usize, usize),
    lhs: &[L],
    rhs: &[W],
    dst: &mut [f32],
) -> Result<(), ShapeError> {
    let kb = blocks(k, block)?;
    check((m, n, kb), lhs.len(), rhs.len(), dst.len())?;
    drive((m, n), dst, kernel.cols, |t, out| (kernel.run)(kb, lhs, rhs, t, out));
    Ok(())
}

fn blocks(k: usize, block: usize) -> Result<usize, ShapeError> {
    if !k.is_multiple_of(block) {
        return Err(ShapeError(format!(
            "inner dimension {k} is not a multiple of the block size {block}"
        )));
    }
    Ok(k / block)
}

fn check(
    (m, n, kb): (usize, usize, usize),
    lhs: usize,
    rhs: usize,
    dst: usize,
) -> Result<(), ShapeError> {
    let want = |what: &str, have: usize, rows: usize, per_row: usize| {
        if rows.checked_mul(per_row) == Some(have) {
            Ok(())
        } else {
            Err(ShapeError(format!(
                "{what} holds {have} elements, the shape needs {rows} × {per_row}"
            )))
        }
    };
    want("lhs", lhs, m, kb)?;
    want("rhs", rhs, n, kb)?;
    want("dst", dst, m, n)
}

/// Rows `r0..r0+rows` × columns `c0..c0+cols` of the output, computed into `out` (row-major,
/// `cols` wide).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tile {
    pub r0: usize,
    pub rows: usize,
    pub c0: usize,
    pub cols: usize,
}

/// A tile kernel and the widest tile it computes at once (`cols` columns; rows come in fours).
pub(crate) struct Kernel<L, W> {
    pub cols: usize,
    #[allow(clippy::type_complexity)]
    pub run: fn(usize, &[L], &[W], Tile, &mut [f32]),
}

/// Rows per register tile.
pub(crate) const ROWS: usize = 4;

/// The output pointer shared by the workers.
#[derive(Clone, Copy)]
struct Out(*mut f32);
// SAFETY: every worker writes a disjoint set of columns (its panel) of the output, and the
// output outlives the parallel loop (`drive` borrows it mutably for the whole call).
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

impl Out {
    /// The pointer (a method, so that closures capture the `Send` wrapper, not its field).
    fn ptr(self) -> *mut f32 {
        self.0
    }
}

/// Splits the columns into panels, one Rayon task each, and walks each panel in tiles of
/// [`ROWS`] rows × `tile_cols` columns. `tile(t, out)` computes tile `t` into `out`.
fn drive(
    (m, n): (usize, usize),
    dst: &mut [f32],
    tile_cols: usize,
    tile: impl Fn(Tile, &mut [f32]) + Sync,
) {
    if m == 0 || n == 0 {
        return;
    }
    let threads = rayon::current_num_threads().max(1);
    // Enough panels for every thread to take several (load balance on a busy machine), each a
    // whole number of tiles, and never so narrow that the pool's overhead shows.
    let per_panel = n.div_ceil(threads * 4).next_multiple_of(tile_cols).max(tile_cols * 4);
    let panels = n.div_ceil(per_panel);
    let out = Out(dst.as_mut_ptr());
    let work = |panel: usize| {
        let c_start = panel * per_panel;
        let c_end = (c_start + per_panel).min(n);
        let mut buf = vec![0f32; ROWS * tile_cols];
        let mut c0 = c_start;
        while c0 < c_end {
            let cols = tile_cols.min(c_end - c0);
            let mut r0 = 0;
            while r0 < m {
                let rows = ROWS.min(m - r0);
                let t = Tile { r0, rows, c0, cols };
                tile(t, &mut buf[..rows * cols]);
                for r in 0..rows {
                    for c in 0..cols {
                        // SAFETY: (r0 + r, c0 + c) is inside the m × n output, and column c0 + c
                        // belongs to this panel only.
                        unsafe { *out.ptr().add((r0 + r) * n + c0 + c) = buf[r * cols + c] };
                    }
                }
                r0 += rows;
            }
            c0 += cols;
        }
    };
    if panels == 1 {
        work(0);
    } else {
        (0..panels).into_par_iter().for_each(work);
    }
}
