//! Runs in a real browser (`cargo xtask test`, the browser tier): the same computation on the WebGPU
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

/// WebGPU reports a rejected shader only through a callback, and the rejected kernel leaves its
/// output buffer as it was. A matmul over Q4 weights with f16 block scales needs `shader-f16`; on
/// an adapter without it (SwiftShader) the readback must fail with the GPU's message rather than
/// return stale numbers, and the device must keep working.
#[wasm_bindgen_test]
async fn gpu_errors_become_rust_errors() {
    use burn::tensor::quantization::{QuantScheme, QuantValue, ScaleDtype};
    use burn::tensor::{Tensor, TensorData};
    use gog_vlm::DeviceError;

    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    let shader_f16 = gpu.adapter().is_some_and(|adapter| adapter.shader_f16);
    let device = gpu.device();
    let values: Vec<f32> = (0..64 * 32).map(|i| (i % 17) as f32 / 17.0 - 0.5).collect();
    let weight = Tensor::<2>::from_data(TensorData::new(values, [64, 32]), device);
    let scheme = QuantScheme::default()
        .with_value(QuantValue::Q4S)
        .per_block([32], ScaleDtype::F16);
    let product = Tensor::<2>::ones([4, 64], device).matmul(weight.quantize_dynamic(&scheme));
    let result = gpu.read_f32(product).await;
    if shader_f16 {
        console_log!("the adapter has shader-f16; f16 scales are valid here");
        result.expect("f16 scales work with shader-f16");
    } else {
        let err = result.expect_err("f16 scales without shader-f16 must fail");
        console_log!("without shader-f16: {err}");
        assert!(matches!(err, DeviceError::Gpu(_)), "{err}");
    }
    // Later work on the device is unaffected.
    let (a, b) = common::inputs();
    let again = gpu
        .read_f32(common::on_device(&a, &b, gpu.device()))
        .await
        .expect("the device still works");
    assert!(common::max_abs_diff(&again, &common::reference(&a, &b)) < 1e-5);
}
