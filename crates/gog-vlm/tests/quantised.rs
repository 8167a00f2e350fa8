//! The decoder with Q8 and Q4 weights on the CPU kernel stays close to the reference logits
//! (f32 stays within 1e-4). Runs natively and, on the browser's CPU fallback, in headless
//! Chromium (wasm simd128).

mod fixture;

use fixture::tiny_models;
use gog_vlm::ComputeDevice;
use gog_vlm::checkpoint::Checkpoint;
use gog_vlm::quant::QuantFormat;
use gog_vlm::qwen_vl::{QwenVl, QwenVlConfig};
use gog_vlm::reference::check_logits;

/// `(weights, smallest logit cosine, smallest top-1 agreement)` over every fixture case.
const BOUNDS: [(Option<QuantFormat>, f64, f32); 3] = [
    (None, 0.999_999, 1.0),
    (Some(QuantFormat::Q8), 0.9999, 0.95),
    (Some(QuantFormat::Q4), 0.95, 0.7),
];

async fn check() {
    let device = ComputeDevice::cpu();
    for model in tiny_models() {
        let config = QwenVlConfig::from_json(model.config).expect("a config");
        for (quant, min_cosine, min_top1) in BOUNDS {
            let checkpoint =
                Checkpoint::from_buffers([("model.safetensors".into(), model.weights.to_vec())])
                    .expect("a checkpoint");
            let qwen = QwenVl::load(&config, checkpoint, device.device(), quant).expect("loads");
            let bytes = model.fixture.bytes();
            let reports = check_logits(&qwen, &device, bytes).await.expect("checks");
            for report in reports {
                let label = format!("{} {quant:?} {}", model.family, report.case);
                println!(
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

#[cfg(not(target_family = "wasm"))]
#[test]
fn quantised_decoders_stay_close_to_the_reference() {
    pollster::block_on(check());
}

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_family = "wasm")]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn quantised_decoders_stay_close_to_the_reference_in_the_browser() {
    check().await;
}
