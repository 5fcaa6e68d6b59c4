//! The tiled kernels against candle's per-row path (its `vec_dot` for every row and column, the
//! code prompt chunks ran through before) on the same quantized blocks, across tile edges.

// The blocks are reinterpreted between candle's types and ours: same `repr(C)` layout, checked
// by size below.
#![allow(unsafe_code)]

use candle_core::quantized::GgmlType;
use candle_core::quantized::k_quants::{
    BlockQ4K as CandleQ4K, BlockQ8_0 as CandleQ8_0, BlockQ8K as CandleQ8K,
};
use infill_kernels::{BlockQ4K, BlockQ8_0, BlockQ8K};

mod common;
use common::{cast, quantize, values};

fn assert_close(ours: &[f32], reference: &[f32], what: &str) {
    assert_eq!(ours.len(), reference.len());
    for (i, (&o, &r)) in ours.iter().zip(reference).enumerate() {
        let tolerance = 1e-4 * r.abs().max(1.0);
        assert!((o - r).abs() <= tolerance, "{what}: element {i}: {o} vs candle's {r}");
    }
}

const Q8_0_SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 32),
    (1, 67, 64),
    (1, 77, 96),
    (2, 5, 288),
    (3, 3, 32),
    (4, 4, 64),
    (5, 7, 96),
    (7, 64, 576),
    (32, 67, 576),
    (33, 130, 128),
];

#[test]
fn q8_0_matches_candles_per_row_products() {
    for (i, &(m, n, k)) in Q8_0_SHAPES.iter().enumerate() {
        let w: Vec<CandleQ8_0> = quantize(&values(n * k, 2 * i as u64, 0.05), 32);
        let a: Vec<CandleQ8_0> = quantize(&values(m * k, 2 * i as u64 + 1, 1.0), 32);
        let kb = k / 32;
        let mut reference = vec![0f32; m * n];
        for r in 0..m {
            for c in 0..n {
                reference[r * n + c] =
                    CandleQ8_0::vec_dot(k, &w[c * kb..][..kb], &a[r * kb..][..kb]);
            }
        }
        let mut ours = vec![f32::NAN; m * n];
        infill_kernels::gemm_q8_0((m, n, k), cast::<_, BlockQ8_0>(&a), cast(&w), &mut ours)
            .unwrap();
        assert_close(&ours, &reference, &format!("q8_0 {m}x{n}x{k} ({:?})", infill_kernels::isa()));
        let mut portable = vec![f32::NAN; m * n];
        infill_kernels::gemm_q8_0_portable((m, n, k), cast(&a), cast(&w), &mut portable).unwrap();
        assert_close(&portable, &reference, &format!("q8_0 portable {m}x{n}x{k}"));
    }
}

const Q4K_SHAPES: &[(usize, usize, usize)] =
    &[(1, 1, 256), (1, 33, 512), (2, 3, 256), (4, 2, 768), (5, 5, 256), (32, 67, 512)];

#[test]
fn q4k_matches_candles_per_row_products() {
    for (i, &(m, n, k)) in Q4K_SHAPES.iter().enumerate() {
        let w: Vec<CandleQ4K> = quantize(&values(n * k, 100 + 2 * i as u64, 0.05), 256);
        let a: Vec<CandleQ8K> = quantize(&values(m * k, 101 + 2 * i as u64, 1.0), 256);
        let kb = k / 256;
        let mut reference = vec![0f32; m * n];
        for r in 0..m {
            for c in 0..n {
                reference[r * n + c] =
                    CandleQ4K::vec_dot(k, &w[c * kb..][..kb], &a[r * kb..][..kb]);
            }
        }
        let mut ours = vec![f32::NAN; m * n];
        infill_kernels::gemm_q4k(
            (m, n, k),
            cast::<_, BlockQ8K>(&a),
            cast::<_, BlockQ4K>(&w),
            &mut ours,
        )
        .unwrap();
        assert_close(&ours, &reference, &format!("q4k {m}x{n}x{k} ({:?})", infill_kernels::isa()));
        let mut portable = vec![f32::NAN; m * n];
        infill_kernels::gemm_q4k_portable((m, n, k), cast(&a), cast(&w), &mut portable).unwrap();
        assert_close(&portable, &reference, &format!("q4k portable {m}x{n}x{k}"));
    }
}

#[test]
fn shapes_that_do_not_fit_are_refused() {
    let blocks = [BlockQ8_0 { d: infill_kernels::f16::ONE, qs: [1; 32] }; 4];
    let mut dst = vec![0f32; 4];
    // k not a multiple of the block size.
    assert!(infill_kernels::gemm_q8_0((2, 2, 48), &blocks[..2], &blocks[..2], &mut dst).is_err());
    // lhs too short for m rows.
    assert!(
        infill_kernels::gemm_q8_0((3, 1, 32), &blocks[..2], &blocks[..1], &mut dst[..3]).is_err()
    );
    // dst too short.
    assert!(
        infill_kernels::gemm_q8_0((2, 2, 32), &blocks[..2], &blocks[..2], &mut dst[..3]).is_err()
    );
    // The right shapes: all ones, 32 per dot product.
    infill_kernels::gemm_q8_0((2, 2, 32), &blocks[..2], &blocks[2..], &mut dst).unwrap();
    assert_eq!(dst, vec![32.0; 4]);
}

#[test]
fn candles_quantized_matmul_gives_the_per_row_products() {
    use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
    use candle_core::{Device, Module, Tensor};
    // A prompt chunk through candle's `QMatMul` (the call mistral.rs makes for every linear
    // layer), which the vendored candle routes to the tiled kernel: same values as per-row
    // `vec_dot`s, with m, n and k in their places.
    let (m, n, k) = (9, 70, 576);
    let weights = values(n * k, 5, 0.05);
    let inputs = values(m * k, 6, 1.0);
    let w = Tensor::from_vec(weights.clone(), (n, k), &Device::Cpu).unwrap();
    let x = Tensor::from_vec(inputs.clone(), (m, k), &Device::Cpu).unwrap();
    let layer = QMatMul::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap()).unwrap();
    let ours: Vec<f32> = layer.forward(&x).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    let w: Vec<CandleQ8_0> = quantize(&weights, 32);
    let a: Vec<CandleQ8_0> = quantize(&inputs, 32);
    let kb = k / 32;
    let mut reference = vec![0f32; m * n];
    for r in 0..m {
        for c in 0..n {
            reference[r * n + c] = CandleQ8_0::vec_dot(k, &w[c * kb..][..kb], &a[r * kb..][..kb]);
        }
    }
    assert_close(&ours, &reference, "QMatMul Q8_0 9x70x576");
}

/// Quantizes with ours (the CPU's path and the portable one) and with candle's `from_float`, and
/// requires the same blocks bit for bit.
fn assert_quantized_like_candle(xs: &[f32], what: &str) {
    let reference: Vec<CandleQ8_0> = quantize(xs, 32);
    let reference: &[BlockQ8_0] = cast(&reference);
    let mut ours = vec![BlockQ8_0 { d: infill_kernels::f16::ZERO, qs: [99; 32] }; xs.len() / 32];
    infill_kernels::quantize_q8_0(xs, &mut ours).unwrap();
    let mut portable = ours.clone();
    infill_kernels::quantize_q8_0_portable(xs, &mut portable).unwrap();
    for (i, ((o, p), r)) in ours.iter().zip(&portable).zip(reference).enumerate() {
        let bits = |b: &BlockQ8_0| (b.d.to_bits(), b.qs);
        assert_eq!(bits(o), bits(r), "{what}: block {i} ({:?})", infill_kernels::isa());
        assert_eq!(bits(p), bits(r), "{what}: block {i} (portable)");
    }
}

#[test]
fn q8_0_quantization_is_candles_bit_for_bit() {
    for (seed, scale) in [(1, 1.0), (2, 0.01), (3, 300.0), (4, 1e-30)] {
        assert_quantized_like_candle(&values(32 * 40, seed, scale), &format!("scale {scale}"));
    }
    // Ties: with max|x| = 127 the scale is 1, so x.5 sits halfway; candle rounds away from zero.
    let mut ties: Vec<f32> = (0..32).map(|i| i as f32 - 15.5).collect();
    ties[31] = 127.0;
    ties[30] = -2.5;
    assert_quantized_like_candle(&ties, "halves");
    // Zeros, signed zeros, NaN and infinities, subnormal scales.
    let mut odd = vec![0.0f32; 32];
    odd[1] = -0.0;
    odd.extend((0..32).map(|i| if i == 3 { f32::NAN } else { i as f32 * 0.25 - 4.0 }));
    odd.extend((0..32).map(|i| if i == 7 { f32::INFINITY } else { -(i as f32) }));
    odd.extend((0..32).map(|i| if i == 0 { f32::NEG_INFINITY } else { 1.0 }));
    odd.extend((0..32).map(|i| f32::from_bits(1 + i as u32 * 7)));
    odd.extend((0..32).map(|i| if i % 2 == 0 { 1e-38 } else { -3e-39 }));
    assert_quantized_like_candle(&odd, "edge values");
}

#[test]
fn quantizing_a_partial_block_is_refused() {
    let mut ys = vec![BlockQ8_0 { d: infill_kernels::f16::ZERO, qs: [0; 32] }; 1];
    assert!(infill_kernels::quantize_q8_0(&[1.0; 31], &mut ys).is_err());
    assert!(infill_kernels::quantize_q8_0(&[1.0; 64], &mut ys).is_err());
}
