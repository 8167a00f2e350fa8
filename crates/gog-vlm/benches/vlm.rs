//! `cargo xtask bench vlm`: the CPU quantised kernel on the decoders' shapes.
//!
//! For each linear layer of Qwen2.5-VL-3B's and Qwen3-VL-2B's decoders, one decode step's
//! product y = x·Wᵀ (x: [1, in]) with random weights, timed as:
//! - `reference`: PyTorch fp32 `nn.Linear` on 2 threads (tests/reference/bench_gemv.py, run in
//!   the reference venv in the same run), and `pytorch dynamic int8`;
//! - `burn flex f32`: burn's CPU backend, the result read back;
//! - `gog q8`, `gog q4`: this crate's kernel over per-block Q8/Q4 weights.
//!
//! Weights stay in cache between calls ("warm"), as in the reference.

use burn::tensor::{Tensor, TensorData};
use gog_vlm::ComputeDevice;
use gog_vlm::quant::{QuantFormat, QuantMatrix};
use std::io::Write;
use std::time::Instant;

const CALLS: usize = 30;
const WARM_UP: usize = 5;

/// `(case, in, out)`.
const CASES: [(&str, usize, usize); 6] = [
    ("qwen2.5-vl-3b o_proj 2048→2048", 2048, 2048),
    ("qwen2.5-vl-3b up 2048→11008", 2048, 11008),
    ("qwen2.5-vl-3b down 11008→2048", 11008, 2048),
    ("qwen3-vl-2b k_proj 2048→1024", 2048, 1024),
    ("qwen3-vl-2b up 2048→6144", 2048, 6144),
    ("qwen3-vl-2b down 6144→2048", 6144, 2048),
];

fn timed(mut call: impl FnMut()) -> Vec<f64> {
    for _ in 0..WARM_UP {
        call();
    }
    (0..CALLS)
        .map(|_| {
            let start = Instant::now();
            call();
            start.elapsed().as_secs_f64()
        })
        .collect()
}

fn pseudo_random(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1
        })
        .collect()
}

fn main() {
    let samples = std::env::var_os("GOG_BENCH_SAMPLES")
        .expect("run through `cargo xtask bench vlm`, which sets GOG_BENCH_SAMPLES");
    let python = std::env::var_os("GOG_REFERENCE_PYTHON")
        .expect("run through `cargo xtask bench vlm`, which sets up the PyTorch reference");
    let mut reference = std::process::Command::new(python);
    reference
        .arg("tests/reference/bench_gemv.py")
        .arg("--samples")
        .arg(&samples)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for (case, k, n) in CASES {
        reference.arg("--case").arg(format!("{case}:{k}:{n}"));
    }
    let status = reference.status().expect("the PyTorch reference runs");
    assert!(status.success(), "the PyTorch reference failed: {status}");

    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .open(&samples)
        .expect("the samples file");
    let mut record = |case: &str, variant: &str, seconds: Vec<f64>| {
        let line = serde_json::json!({"case": case, "variant": variant, "seconds": seconds});
        writeln!(out, "{line}").expect("a sample line");
    };
    let cpu = ComputeDevice::cpu();
    for (case, k, n) in CASES {
        let weight = pseudo_random(n * k, 1);
        let x = pseudo_random(k, 2);

        let device = cpu.device();
        let w = Tensor::<2>::from_data(TensorData::new(weight.clone(), [n, k]), device).transpose();
        let w = w.clone() + 0.0; // materialise the transposed layout once
        let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [1, k]), device);
        record(
            case,
            "burn flex f32",
            timed(|| {
                let y = xt.clone().matmul(w.clone());
                std::hint::black_box(y.into_data());
            }),
        );
        for (format, variant) in [(QuantFormat::Q8, "gog q8"), (QuantFormat::Q4, "gog q4")] {
            let matrix = QuantMatrix::quantize(format, &weight, n, k).expect("quantisable");
            record(
                case,
                variant,
                timed(|| {
                    std::hint::black_box(matrix.matmul(&x, 1));
                }),
            );
        }
    }
}
