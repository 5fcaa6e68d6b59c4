//! Prompt-chunk matrix products: candle's per-row path (its `matmul` loop: every row hands its
//! columns to Rayon, one `vec_dot` each) against the tiled kernels, on the same blocks.
//!   cargo bench -p infill-kernels --bench gemm
//! Prints a table of medians over `INFILL_BENCH_RUNS` runs (default 15).

#![allow(unsafe_code)]

use std::time::Instant;

use candle_core::quantized::GgmlType;
use candle_core::quantized::k_quants::{
    BlockQ4K as CandleQ4K, BlockQ8_0 as CandleQ8_0, BlockQ8K as CandleQ8K,
};
use rayon::prelude::*;

#[path = "../tests/common/mod.rs"]
mod common;
use common::{cast, quantize, values};

/// candle 0.10's `k_quants::matmul` loop, after the activations are quantized.
fn per_row<W: GgmlType>(
    m: usize,
    n: usize,
    k: usize,
    lhs: &[W::VecDotType],
    rhs: &[W],
    dst: &mut [f32],
) {
    let kb = k / W::BLCK_SIZE;
    for row in 0..m {
        let lhs_row = &lhs[row * kb..(row + 1) * kb];
        dst[row * n..(row + 1) * n]
            .par_iter_mut()
            .enumerate()
            .with_min_len(128)
            .with_max_len(512)
            .for_each(|(col, out)| *out = W::vec_dot(k, &rhs[col * kb..(col + 1) * kb], lhs_row));
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn main() {
    let runs: usize =
        std::env::var("INFILL_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    println!(
        "kernels: {:?}, {} threads, median of {runs} runs",
        infill_kernels::isa(),
        rayon::current_num_threads()
    );
    println!("| type | m × n × k | candle per-row ms | tiled ms | speed-up | tiled GOP/s |");
    println!("|---|---|---:|---:|---:|---:|");
    // SmolLM2-135M's projections (hidden 576, MLP 1536) at a 32-token prompt chunk and a decode
    // step, and a 1.5B-class projection for the K-quant (its blocks need k % 256 == 0).
    for &(m, n, k) in &[
        (32, 576, 576),
        (32, 1536, 576),
        (32, 576, 1536),
        (128, 1536, 576),
        (1, 1536, 576),
        (1, 576, 1536),
    ] {
        let w: Vec<CandleQ8_0> = quantize(&values(n * k, 7, 1.0), 32);
        let a: Vec<CandleQ8_0> = quantize(&values(m * k, 8, 1.0), 32);
        let mut dst = vec![0f32; m * n];
        let base = time(runs, || per_row((m, n, k).0, n, k, &a, &w, &mut dst));
        let ours = time(runs, || {
            infill_kernels::gemm_q8_0((m, n, k), cast(&a), cast(&w), &mut dst).unwrap()
        });
        row("Q8_0", (m, n, k), base, ours);
    }
    for &(m, n, k) in &[(32, 1536, 1536), (32, 8960, 1536), (32, 1536, 8960), (1, 1536, 1536)] {
        let w: Vec<CandleQ4K> = quantize(&values(n * k, 7, 1.0), 256);
        let a: Vec<CandleQ8K> = quantize(&values(m * k, 8, 1.0), 256);
        let mut dst = vec![0f32; m * n];
        let base = time(runs, || per_row(m, n, k, &a, &w, &mut dst));
        let ours = time(runs, || {
            infill_kernels::gemm_q4k((m, n, k), cast(&a), cast(&w), &mut dst).unwrap()
        });
        row("Q4_K", (m, n, k), base, ours);
    }
}

fn row(kind: &str, (m, n, k): (usize, usize, usize), base: f64, ours: f64) {
    let ops = 2.0 * (m * n * k) as f64;
    println!(
        "| {kind} | {m} × {n} × {k} | {base:.3} | {ours:.3} | {:.2}× | {:.1} |",
        base / ours,
        ops / ours / 1e6
    );
}
