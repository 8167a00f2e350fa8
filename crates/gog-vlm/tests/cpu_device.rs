//! The CPU device computes what plain Rust computes.
#![cfg(not(target_family = "wasm"))]

mod common;

use gog_vlm::{ComputeDevice, DeviceKind};

#[test]
fn cpu_device_matches_the_plain_rust_reference() {
    let cpu = ComputeDevice::cpu();
    assert_eq!(cpu.kind(), DeviceKind::Cpu);
    assert!(cpu.adapter().is_none());

    let (a, b) = common::inputs();
    let expected = common::reference(&a, &b);
    let got = pollster::block_on(cpu.read_f32(common::on_device(&a, &b, cpu.device())))
        .expect("CPU readback");
    let diff = common::max_abs_diff(&got, &expected);
    assert!(
        diff < 1e-5,
        "CPU result differs from the reference by {diff}"
    );
}
