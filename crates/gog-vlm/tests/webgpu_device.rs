//! Runs in a real browser (`cargo xtask test`, tier 4): the same computation on the WebGPU
//! adapter and on the CPU must agree, and both must match plain Rust.
#![cfg(target_family = "wasm")]

mod common;

use gog_vlm::{ComputeDevice, DeviceKind};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn webgpu_matches_cpu_and_reference() {
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    assert_eq!(gpu.kind(), DeviceKind::WebGpu);
    let adapter = gpu.adapter().expect("adapter info on a GPU device");
    // xtask reads this line to report which adapter really ran the tier.
    console_log!("webgpu adapter: {adapter}");

    let (a, b) = common::inputs();
    let expected = common::reference(&a, &b);
    let cpu = ComputeDevice::cpu();
    let on_cpu = cpu
        .read_f32(common::on_device(&a, &b, cpu.device()))
        .await
        .expect("CPU readback");
    let on_gpu = gpu
        .read_f32(common::on_device(&a, &b, gpu.device()))
        .await
        .expect("WebGPU readback");

    let gpu_vs_cpu = common::max_abs_diff(&on_gpu, &on_cpu);
    let gpu_vs_reference = common::max_abs_diff(&on_gpu, &expected);
    console_log!("webgpu vs cpu max |diff| = {gpu_vs_cpu:e}; vs reference = {gpu_vs_reference:e}");
    assert!(gpu_vs_cpu < 1e-5, "WebGPU and CPU differ by {gpu_vs_cpu}");
    assert!(
        gpu_vs_reference < 1e-5,
        "WebGPU differs from the reference by {gpu_vs_reference}"
    );
}
