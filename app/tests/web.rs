//! The app in a real browser (`cargo xtask test`, tier 4).
#![cfg(target_family = "wasm")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(clippy::unwrap_used)]

use gog_app::image_input::{self, ImageError};
use gog_app::webgpu::{self, WebGpuStatus, format_bytes};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &[u8] = include_bytes!("../../tests/fixtures/two-landmarks.png");

/// A PNG with no pixel data whose header declares `width`×`height`: enough to read its size.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", header.as_slice()), (b"IDAT", &[]), (b"IEND", &[])] {
        let mut chunk = kind.to_vec();
        chunk.extend(data);
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(&chunk);
        png.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    png
}

#[wasm_bindgen_test]
fn a_png_is_recognised_with_its_size() {
    let facts = image_input::inspect(FIXTURE).expect("the fixture is a PNG");
    assert_eq!((facts.width, facts.height), (64, 48));
    assert_eq!(facts.format, image::ImageFormat::Png);
}

#[wasm_bindgen_test]
fn text_is_not_an_image() {
    assert_eq!(
        image_input::inspect(b"hello, world"),
        Err(ImageError::NotAnImage)
    );
    assert_eq!(image_input::inspect(b""), Err(ImageError::NotAnImage));
}

#[wasm_bindgen_test]
fn a_50_megapixel_image_is_refused_from_its_header() {
    let err = image_input::inspect(&png_header(10_000, 5_000)).unwrap_err();
    assert!(matches!(
        err,
        ImageError::TooManyPixels {
            width: 10_000,
            height: 5_000,
            ..
        }
    ));
    assert!(err.to_string().contains("50.0 MP"), "{err}");
}

#[wasm_bindgen_test]
fn a_truncated_image_is_reported_as_damaged() {
    let err = image_input::inspect(&FIXTURE[..20]).unwrap_err();
    assert!(matches!(err, ImageError::Unreadable { .. }), "{err:?}");
}

#[wasm_bindgen_test]
fn byte_sizes_read_naturally() {
    assert_eq!(format_bytes(1_073_741_824.0), "1 GiB");
    assert_eq!(format_bytes(134_217_728.0), "128 MiB");
    assert_eq!(format_bytes(1536.0), "1.5 KiB");
    assert_eq!(format_bytes(12.0), "12 B");
}

#[wasm_bindgen_test]
async fn the_probe_finds_the_software_adapter() {
    match webgpu::probe().await {
        WebGpuStatus::Available(adapter) => {
            assert!(!adapter.name.is_empty());
            assert!(adapter.max_storage_buffer_binding_size >= 128.0 * 1024.0 * 1024.0);
        }
        WebGpuStatus::Unavailable(reason) => {
            panic!("WebGPU should be available in the test browser: {reason}")
        }
    }
}
