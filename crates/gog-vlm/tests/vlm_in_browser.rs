//! The browser half of `cargo xtask bench vlm`, not a test: ignored by `cargo xtask test`, run by
//! the bench (`--include-ignored`), which serves on 127.0.0.1 the packages its native half
//! converted from the random real-size checkpoints, and reads the samples printed here.
//!
//! Inside a dedicated Web Worker, as the app runs the model: each package is downloaded into
//! JavaScript buffers, checked and loaded onto WebGPU (its quantised layers on burn's quantised
//! matmul), then timed on the native rows' decode case: each decode step, its logits read back,
//! after one untimed step (shader compilation and autotuning). Only decode: on the software
//! adapter one pass of the vision encoder or of the image prompt's prefill takes over ten
//! minutes. The cache holds the prompt's text rather than its image as well (33 positions rather
//! than 289), which changes a 2B model's decode step by well under one per cent of its work. The wasm memory after the
//! run is reported too: weights live on the GPU and downloads in JavaScript, so it stays far
//! below the package's size.
#![cfg(target_family = "wasm")]

use gog_vlm::checkpoint::ShardSource;
use gog_vlm::nn::linear::Quantization;
use gog_vlm::package::Manifest;
use gog_vlm::qwen_vl::{DecoderInput, QwenVl, QwenVlConfig};
use gog_vlm::rope_index::rope_positions;
use gog_vlm::{ComputeDevice, ModelFiles};
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Where the bench serves `runs.json` and the packages; set when the bench builds this.
const SERVED: Option<&str> = option_env!("GOG_BENCH_SERVE_URL");

/// One run, as the native half describes it in `runs.json`.
#[derive(serde::Deserialize)]
struct Run {
    package: String,
    variant: String,
    decode_case: String,
    decode_steps: usize,
    /// The text of the native rows' prompt, prefilled before decoding.
    prompt: Vec<u32>,
}

/// Calls the JavaScript method `name` of `target` and awaits the promise it returns.
async fn call_async(target: &JsValue, name: &str, args: &js_sys::Array) -> JsValue {
    let method: js_sys::Function = js_sys::Reflect::get(target, &name.into())
        .expect("a method")
        .unchecked_into();
    let promise: js_sys::Promise = method
        .apply(target, args)
        .unwrap_or_else(|err| panic!("{name}: {err:?}"))
        .unchecked_into();
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap_or_else(|err| panic!("{name}: {err:?}"))
}

/// A file from the bench's server, left in a JavaScript buffer (the worker's own `fetch`).
async fn download(url: &str) -> js_sys::Uint8Array {
    let response = call_async(&js_sys::global(), "fetch", &js_sys::Array::of1(&url.into())).await;
    let ok = js_sys::Reflect::get(&response, &"ok".into()).expect("a response");
    assert_eq!(ok, JsValue::TRUE, "{url}: the server refused it");
    let buffer = call_async(&response, "arrayBuffer", &js_sys::Array::new()).await;
    js_sys::Uint8Array::new(&buffer)
}

async fn download_text(url: &str) -> String {
    String::from_utf8(download(url).await.to_vec()).expect("UTF-8")
}

fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

fn sample(case: &str, variant: &str, seconds: &[f64]) {
    let line = serde_json::json!({"case": case, "variant": variant, "seconds": seconds});
    console_log!("GOG_BENCH_SAMPLE {line}");
}

fn wasm_memory_mib() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
    f64::from(buffer.byte_length()) / (1024.0 * 1024.0)
}

#[wasm_bindgen_test]
#[ignore = "the browser half of `cargo xtask bench vlm`"]
async fn vlm_in_browser() {
    let base = SERVED.expect("run by `cargo xtask bench vlm`, which sets GOG_BENCH_SERVE_URL");
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    console_log!("webgpu adapter: {}", gpu.adapter().expect("an adapter"));
    let runs: Vec<Run> =
        serde_json::from_str(&download_text(&format!("{base}/runs.json")).await).expect("runs");
    for run in runs {
        let url = format!("{base}/{}", run.package);
        let started = now_seconds();
        let manifest = Manifest::from_json(&download_text(&format!("{url}/manifest.json")).await)
            .expect("a manifest");
        let mut downloads = HashMap::new();
        for file in manifest.all_files() {
            let bytes = download(&format!("{url}/{}", file.name)).await;
            downloads.insert(file.name.clone(), bytes);
        }
        let files = ModelFiles::from_package(
            &manifest,
            |file| {
                let bytes = downloads.remove(&file.name).expect("downloaded");
                Ok(Box::new(bytes) as Box<dyn ShardSource>)
            },
            |_| {},
        )
        .expect("the package opens");
        let config = QwenVlConfig::from_json(&files.config).expect("a config");
        let quant = manifest.weights.quant().map(Quantization::device);
        let model =
            QwenVl::load(&config, files.checkpoint, gpu.device(), quant).expect("the model loads");
        console_log!(
            "{}: downloaded, checked and loaded in {:.0} s",
            run.package,
            now_seconds() - started
        );
        time_run(&run, &model, &config, &gpu).await;
        let line = serde_json::json!({
            "case": run.package,
            "variant": run.variant,
            "wasm_memory_mib": wasm_memory_mib().round(),
            "package_mib": (manifest.total_bytes() as f64 / (1024.0 * 1024.0)).round(),
        });
        console_log!("GOG_BENCH_MEMORY {line}");
    }
}

async fn time_run(run: &Run, model: &QwenVl, config: &QwenVlConfig, gpu: &ComputeDevice) {
    let positions = rope_positions(
        &run.prompt,
        config.tokens.image,
        &[],
        config.vision.spatial_merge_size as u32,
    )
    .expect("positions");
    let mut cache = model.new_cache();
    let hidden = model
        .decode(
            DecoderInput {
                tokens: &run.prompt,
                positions: [&positions.axes[0], &positions.axes[1], &positions.axes[2]],
                images: None,
            },
            &mut cache,
            None,
        )
        .expect("prefills");
    let scores = gpu
        .read_f32(model.next_token_logits(hidden))
        .await
        .expect("read back");
    let mut token = gog_vlm::sampling::argmax(&scores);
    let mut steps = Vec::with_capacity(run.decode_steps);
    // The first step compiles and tunes the single-row kernels; it is not counted.
    for step in 0..=run.decode_steps {
        let start = now_seconds();
        let hidden = model
            .decode_step(token, positions.delta, &mut cache)
            .expect("a decode step");
        let scores = gpu.read_f32(model.logits(hidden)).await.expect("read back");
        token = gog_vlm::sampling::argmax(&scores);
        if step > 0 {
            steps.push(now_seconds() - start);
        }
    }
    sample(&run.decode_case, &run.variant, &steps);
}
