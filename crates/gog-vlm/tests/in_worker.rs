//! The model runs inside a dedicated Web Worker, as the app runs it: a converted Q8 package of
//! the tiny Qwen3-VL model, held in JavaScript buffers, is loaded on WebGPU from within the worker (its blocks multiplied by
//! burn's quantised matmul), warmed up, and streams the same tokens as the worker's CPU fallback
//! (the blocks on the CPU kernel). Browser-only (the browser tier).
#![cfg(target_family = "wasm")]

mod fixture;

use gog_vlm::chat_template::ChatMessage;
use gog_vlm::checkpoint::ShardSource;
use gog_vlm::package::{self, PackageWeights};
use gog_vlm::sampling::Sampling;
use gog_vlm::{ComputeDevice, GenerateRequest, Generated, LoadOptions, ModelFiles, Vlm};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn a_package_streams_tokens_on_webgpu_inside_a_worker() {
    let model = fixture::tiny_models()
        .into_iter()
        .nth(1)
        .expect("the Qwen3-VL model");
    let package =
        gog_vlm::convert::convert(model.files(), PackageWeights::Q8, package::MAX_SHARD_BYTES)
            .expect("converts");
    // As the app holds a download: each file in a JavaScript buffer, outside wasm memory, read
    // tensor by tensor while the model loads.
    let open = || {
        ModelFiles::from_package(
            &package.manifest,
            |file| {
                let (_, bytes) = package
                    .files
                    .iter()
                    .find(|(name, _)| *name == file.name)
                    .expect("every file is in the package");
                let buffer = js_sys::Uint8Array::from(bytes.as_slice());
                Ok(Box::new(buffer) as Box<dyn ShardSource>)
            },
            |_| {},
        )
        .expect("the package opens")
    };
    let gpu = ComputeDevice::webgpu().await.expect("WebGPU in a worker");
    console_log!("worker adapter: {}", gpu.adapter().expect("an adapter"));
    let image = model.fixture.image("one_image.image0");
    let messages = [ChatMessage::user_with_images(
        1,
        "When was the tower on the left finished?",
    )];
    let mut replies = Vec::new();
    for device in [gpu, ComputeDevice::cpu()] {
        let mut vlm = Vlm::load(open(), device, LoadOptions::default()).expect("loads");
        vlm.warm_up().await.expect("warms up");
        let mut pieces = 0;
        let generation = vlm
            .generate(
                GenerateRequest {
                    messages: &messages,
                    images: std::slice::from_ref(&image),
                    sampling: Sampling::Greedy,
                    max_new_tokens: 5,
                },
                |event| pieces += usize::from(matches!(event, Generated::Text(_))),
            )
            .await
            .expect("generates");
        console_log!(
            "{:?} in a worker: {:?}",
            vlm.device().kind(),
            generation.tokens
        );
        assert!(pieces > 0 || generation.text.is_empty());
        replies.push(generation.tokens);
    }
    assert_eq!(replies[0], replies[1], "WebGPU and the CPU disagree");
}
