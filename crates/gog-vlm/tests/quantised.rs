//! The decoder with Q8 and Q4 weights stays close to the reference logits (f32 stays within
//! 1e-4), with its blocks on the CPU kernel and with its blocks on the device under burn's
//! quantised matmul. Runs natively (flex) and in headless Chromium: the CPU kernel on the
//! browser's CPU fallback (wasm simd128), the device blocks on WebGPU.

mod fixture;

use burn::tensor::{Tensor, TensorData};
use fixture::tiny_models;
use gog_vlm::ComputeDevice;
use gog_vlm::checkpoint::Checkpoint;
use gog_vlm::nn::linear::{Projection, QuantKernel, Quantization, WeightView};
use gog_vlm::quant::QuantFormat;
use gog_vlm::quant::QuantMatrix;
use gog_vlm::qwen_vl::{QwenVl, QwenVlConfig};
use gog_vlm::reference::check_logits;

/// Prints natively, and to the browser console (which the test runner shows) in wasm.
macro_rules! report {
    ($($arg:tt)*) => {{
        #[cfg(target_family = "wasm")]
        wasm_bindgen_test::console_log!($($arg)*);
        #[cfg(not(target_family = "wasm"))]
        println!($($arg)*);
    }};
}

/// `(weights, smallest logit cosine, smallest top-1 agreement)` over every fixture case. The
/// quantised rows include the Q8 token embedding. Random tiny models have nearly flat logits, so
/// top-1 flips at the smallest perturbation; the cosine is the tighter check.
const BOUNDS: [(Option<QuantFormat>, f64, f32); 3] = [
    (None, 0.999_999, 1.0),
    (Some(QuantFormat::Q8), 0.9999, 0.9),
    (Some(QuantFormat::Q4), 0.95, 0.65),
];

/// Every fixture case through the tiny models with the decoder's blocks where `kernel` says.
async fn check(device: &ComputeDevice, kernel: QuantKernel) {
    for model in tiny_models() {
        let config = QwenVlConfig::from_json(model.config).expect("a config");
        for (quant, min_cosine, min_top1) in BOUNDS {
            let checkpoint =
                Checkpoint::from_buffers([("model.safetensors".into(), model.weights.to_vec())])
                    .expect("a checkpoint");
            let qwen = QwenVl::load(
                &config,
                checkpoint,
                device.device(),
                quant.map(|format| Quantization { format, kernel }),
            )
            .expect("loads");
            let bytes = model.fixture.bytes();
            let reports = check_logits(&qwen, device, bytes).await.expect("checks");
            for report in reports {
                let label = format!("{} {quant:?} {kernel:?} {}", model.family, report.case);
                report!(
                    "{label}: max |diff| {:.3e}, cosine {:.6}, top-1 {:.1}%",
                    report.max_abs_diff,
                    report.cosine,
                    100.0 * report.top1_agreement
                );
                assert!(
                    report.cosine >= min_cosine,
                    "{label}: cosine {}",
                    report.cosine
                );
                assert!(
                    report.top1_agreement >= min_top1,
                    "{label}: top-1 {}",
                    report.top1_agreement
                );
                if quant.is_none() {
                    assert!(
                        report.max_abs_diff <= 1e-4,
                        "{label}: {}",
                        report.max_abs_diff
                    );
                }
            }
        }
    }
}

/// A layer whose blocks are on the device computes the product with the dequantised weight,
/// for one row of activations (a decode step) and for a prompt's worth.
async fn device_blocks_match_the_dequantised_product(device: &ComputeDevice) {
    let (rows, cols) = (96, 128);
    let mut state: u32 = 7;
    let mut values = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    };
    let weight = values(rows * cols);
    let bias = values(rows);
    for format in [QuantFormat::Q8, QuantFormat::Q4] {
        let matrix = QuantMatrix::quantize(format, &weight, rows, cols).expect("quantises");
        let dequantized = matrix.dequantize();
        let projection = Projection::build(
            WeightView::Blocks(std::sync::Arc::new(matrix)),
            [cols, rows],
            Some(Tensor::from_data(
                TensorData::new(bias.clone(), [rows]),
                device.device(),
            )),
            Some(Quantization::device(format)),
            device.device(),
        );
        for m in [1, 20] {
            let x = values(m * cols);
            let input =
                Tensor::<2>::from_data(TensorData::new(x.clone(), [m, cols]), device.device());
            let got = device
                .read_f32(projection.forward(input))
                .await
                .expect("readback");
            let mut worst = 0.0f64;
            for i in 0..m {
                for r in 0..rows {
                    let exact: f64 = f64::from(bias[r])
                        + (0..cols)
                            .map(|c| {
                                f64::from(x[i * cols + c]) * f64::from(dequantized[r * cols + c])
                            })
                            .sum::<f64>();
                    worst = worst.max((f64::from(got[i * rows + r]) - exact).abs());
                }
            }
            report!(
                "{format:?} device blocks, {m} rows on {:?}: max |diff| {worst:.3e}",
                device.kind()
            );
            assert!(worst < 1e-4, "{format:?} × {m} rows differs by {worst}");
        }
    }
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn quantised_decoders_stay_close_to_the_reference() {
    let cpu = ComputeDevice::cpu();
    pollster::block_on(check(&cpu, QuantKernel::Host));
    pollster::block_on(check(&cpu, QuantKernel::Device));
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn device_blocks_on_the_cpu_backend() {
    pollster::block_on(device_blocks_match_the_dequantised_product(
        &ComputeDevice::cpu(),
    ));
}

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_family = "wasm")]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn quantised_decoders_stay_close_to_the_reference_in_the_browser() {
    check(&ComputeDevice::cpu(), QuantKernel::Host).await;
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    device_blocks_match_the_dequantised_product(&gpu).await;
    check(&gpu, QuantKernel::Device).await;
}
