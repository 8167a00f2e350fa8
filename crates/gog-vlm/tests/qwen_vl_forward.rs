//! The Qwen-VL models in burn compute what transformers computes, on the reference fixtures of
//! both families: every vision block, the merger and DeepStack features, every decoder layer's
//! hidden state, the logits (within 1e-4), and greedy decoding through the KV cache.
//! Runs natively on the CPU (`cargo test`) and in headless Chromium on WebGPU (the browser tier).

mod fixture;

use burn::tensor::{Tensor, TensorData};
use fixture::{TinyModel, tiny_models};
use gog_vlm::ComputeDevice;
use gog_vlm::checkpoint::Checkpoint;
use gog_vlm::qwen_vl::{DecoderInput, QwenVl, QwenVlConfig, VisionTrace};
use gog_vlm::sampling::argmax;

/// Logits and hidden states may differ from the reference by this much, relative to the
/// reference's largest magnitude (f32 on both sides, different summation orders).
const TOLERANCE: f32 = 1e-4;

/// How far one of the model's results is from the reference's.
struct Comparison {
    name: String,
    max_diff: f32,
    scale: f32,
}

impl Comparison {
    fn within_tolerance(&self) -> bool {
        self.max_diff <= TOLERANCE * self.scale.max(1.0)
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: max |diff| {:.2e} (largest |reference| {:.2})",
            self.name, self.max_diff, self.scale
        )
    }
}

async fn compare<const D: usize>(
    device: &ComputeDevice,
    name: String,
    tensor: Tensor<D>,
    expected: (Vec<usize>, Vec<f32>),
) -> Comparison {
    let dims = tensor.dims().to_vec();
    assert_eq!(dims, expected.0, "{name}: shape");
    let got = device.read_f32(tensor).await.expect("readback");
    let max_diff = got
        .iter()
        .zip(&expected.1)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let scale = expected.1.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    Comparison {
        name,
        max_diff,
        scale,
    }
}

fn load(model: &TinyModel, device: &ComputeDevice) -> QwenVl {
    let config = QwenVlConfig::from_json(model.config).expect("a valid config");
    let checkpoint =
        Checkpoint::from_buffers([("model.safetensors".to_owned(), model.weights.to_vec())])
            .expect("a readable checkpoint");
    QwenVl::load(&config, checkpoint, device.device(), None).expect("the tiny model loads")
}

/// Runs every case of one family on `device`; returns each comparison and the greedy tokens
/// next to the reference's.
async fn run_family(
    model: &TinyModel,
    device: &ComputeDevice,
) -> (Vec<Comparison>, Vec<(String, Vec<u32>, Vec<u32>)>) {
    let qwen = load(model, device);
    let fixture = &model.fixture;
    let family = model.family;
    let mut comparisons = Vec::new();
    let mut greedy = Vec::new();
    for case in ["one_image", "two_images"] {
        let key = |name: &str| format!("{case}.{name}");
        let label = |name: &str| format!("{family} {case} {name}");
        let (shape, pixels) = fixture.f32(&key("pixel_values"));
        let patches = Tensor::<2>::from_data(TensorData::new(pixels, shape), device.device());
        let (_, grids) = fixture.i64(&key("image_grid_thw"));
        let grids: Vec<[usize; 3]> = grids
            .chunks_exact(3)
            .map(|g| [g[0] as usize, g[1] as usize, g[2] as usize])
            .collect();

        let mut trace = VisionTrace::default();
        let images = qwen
            .encode_images(patches, &grids, Some(&mut trace))
            .expect("the fixture's patches fit its grids");
        for (k, block) in trace.blocks.into_iter().enumerate() {
            let name = format!("vision_block{k}");
            comparisons.push(compare(device, label(&name), block, fixture.f32(&key(&name))).await);
        }
        let merger = trace.merger.expect("the merger's output");
        comparisons
            .push(compare(device, label("merger"), merger, fixture.f32(&key("merger"))).await);
        for (k, features) in images.deepstack.iter().enumerate() {
            let name = format!("deepstack{k}");
            comparisons.push(
                compare(
                    device,
                    label(&name),
                    features.clone(),
                    fixture.f32(&key(&name)),
                )
                .await,
            );
        }

        let (_, ids) = fixture.i64(&key("input_ids"));
        let tokens: Vec<u32> = ids.iter().map(|&id| id as u32).collect();
        let (_, positions) = fixture.i64(&key("position_ids"));
        let axes: Vec<&[i64]> = positions.chunks_exact(tokens.len()).collect();
        let mut cache = qwen.new_cache();
        let mut hidden_states = Vec::new();
        let hidden = qwen
            .decode(
                DecoderInput {
                    tokens: &tokens,
                    positions: [axes[0], axes[1], axes[2]],
                    images: Some(&images),
                },
                &mut cache,
                Some(&mut hidden_states),
            )
            .expect("the prompt runs");
        // transformers records the embeddings and each layer's output, except that the last
        // entry is the final norm's output rather than the last layer's.
        let layers = hidden_states.len() - 1;
        hidden_states[layers] = hidden.clone();
        for (layer, state) in hidden_states.into_iter().enumerate() {
            let name = format!("hidden_state{layer}");
            comparisons.push(compare(device, label(&name), state, fixture.f32(&key(&name))).await);
        }
        let logits = qwen.logits(hidden);
        let [prompt_len, vocab] = logits.dims();
        let last = logits.clone().narrow(0, prompt_len - 1, 1);
        comparisons
            .push(compare(device, label("logits"), logits, fixture.f32(&key("logits"))).await);

        // Greedy decoding through the cache, one token at a time.
        let (_, delta) = fixture.i64(&key("rope_delta"));
        let (_, expected) = fixture.i64(&key("greedy_tokens"));
        let expected: Vec<u32> = expected.iter().map(|&t| t as u32).collect();
        let mut scores = device.read_f32(last).await.expect("readback");
        let mut generated = Vec::new();
        while generated.len() < expected.len() {
            let next = argmax(&scores[..vocab]);
            generated.push(next);
            let hidden = qwen
                .decode_step(next, delta[0], &mut cache)
                .expect("a decode step");
            scores = device
                .read_f32(qwen.logits(hidden))
                .await
                .expect("readback");
        }
        greedy.push((label("greedy"), generated, expected));
    }
    (comparisons, greedy)
}

/// Checks one device against the fixtures of both families.
async fn check_device(device: &ComputeDevice) {
    let mut failures = Vec::new();
    for model in tiny_models() {
        let (comparisons, greedy) = run_family(&model, device).await;
        for comparison in comparisons {
            log(&format!("{:?} {comparison}", device.kind()));
            if !comparison.within_tolerance() {
                failures.push(comparison.to_string());
            }
        }
        for (name, got, expected) in greedy {
            log(&format!(
                "{:?} {name}: {got:?} (reference {expected:?})",
                device.kind()
            ));
            if got != expected {
                failures.push(format!("{name}: {got:?} instead of {expected:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "differs from the reference:\n{}",
        failures.join("\n")
    );
}

#[cfg(not(target_family = "wasm"))]
fn log(line: &str) {
    println!("{line}");
}

#[cfg(target_family = "wasm")]
fn log(line: &str) {
    wasm_bindgen_test::console_log!("{line}");
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn matches_the_reference_on_the_cpu() {
    pollster::block_on(check_device(&ComputeDevice::cpu()));
}

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_family = "wasm")]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn matches_the_reference_on_webgpu() {
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    check_device(&gpu).await;
}
