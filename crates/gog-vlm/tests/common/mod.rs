//! A small attention-shaped computation, `softmax(A·B / √k)`, with an independent plain-Rust
//! reference, shared by the CPU and WebGPU device tests.

use burn::tensor::{Tensor, TensorData, activation::softmax};

pub const M: usize = 24;
pub const K: usize = 40;
pub const N: usize = 16;

/// Deterministic inputs in [-1, 1) with no two rows alike (a cheap LCG; no RNG dependency).
pub fn inputs() -> (Vec<f32>, Vec<f32>) {
    let mut state: u32 = 0x9E37_79B9;
    let mut next = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    };
    let a = (0..M * K).map(|_| next()).collect();
    let b = (0..K * N).map(|_| next()).collect();
    (a, b)
}

/// The computation in plain Rust, in f64.
pub fn reference(a: &[f32], b: &[f32]) -> Vec<f32> {
    let scale = 1.0 / (K as f64).sqrt();
    let mut out = Vec::with_capacity(M * N);
    for i in 0..M {
        let logits: Vec<f64> = (0..N)
            .map(|j| {
                (0..K)
                    .map(|k| f64::from(a[i * K + k]) * f64::from(b[k * N + j]))
                    .sum::<f64>()
                    * scale
            })
            .collect();
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = logits.iter().map(|x| (x - max).exp()).collect();
        let sum: f64 = exp.iter().sum();
        out.extend(exp.iter().map(|e| (e / sum) as f32));
    }
    out
}

/// The computation as burn tensors on `device`.
pub fn on_device(a: &[f32], b: &[f32], device: &burn::tensor::Device) -> Tensor<2> {
    let a = Tensor::<2>::from_data(TensorData::new(a.to_vec(), [M, K]), device);
    let b = Tensor::<2>::from_data(TensorData::new(b.to_vec(), [K, N]), device);
    softmax(a.matmul(b) / (K as f32).sqrt(), 1)
}

/// The largest absolute difference between two equally long slices.
pub fn max_abs_diff(x: &[f32], y: &[f32]) -> f32 {
    assert_eq!(x.len(), y.len(), "length mismatch");
    x.iter()
        .zip(y)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max)
}
