//! Inputs shared by the tests and the bench: deterministic values and candle's quantization.

// The blocks are reinterpreted between candle's types and ours: same `repr(C)` layout, checked
// by size and alignment.
#![allow(unsafe_code, dead_code)]

use candle_core::quantized::GgmlType;

/// Deterministic values in about [-scale, scale], with a few outliers like real activations.
pub fn values(len: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let unit = ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
            if i % 97 == 13 { unit * scale * 8.0 } else { unit * scale }
        })
        .collect()
}

pub fn quantize<T: GgmlType>(xs: &[f32], block: usize) -> Vec<T> {
    let mut blocks = vec![T::zeros(); xs.len() / block];
    T::from_float(xs, &mut blocks);
    blocks
}

pub fn cast<A, B>(xs: &[A]) -> &[B] {
    assert_eq!(std::mem::size_of::<A>(), std::mem::size_of::<B>());
    assert_eq!(std::mem::align_of::<A>(), std::mem::align_of::<B>());
    // SAFETY: both types are `repr(C)` with the same fields (ggml's block layout), same size and
    // alignment, and every bit pattern is a valid value of either.
    unsafe { std::slice::from_raw_parts(xs.as_ptr() as *const B, xs.len()) }
}
