//! The app in a real browser (`cargo xtask test`, the browser tier).
#![cfg(target_family = "wasm")]
// wasm_bindgen_test functions are tests, but clippy does not know them as such.
#![allow(clippy::unwrap_used)]

use gog_app::image_input::{self, ImageError};
use gog_app::package::PackageSummary;
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

/// The share fixture the e2e tests open: a glance, a gaze, a text search, a read, an answer.
const SHARED_TRACE: &str = include_str!("../../tests/fixtures/trace/glance-and-gaze.json");

#[wasm_bindgen_test]
fn a_trace_survives_its_link_and_a_damaged_link_says_why() {
    use gog_app::share::{self, ShareError, SharedLink};
    let trace = gog_agent::Trace::from_json(SHARED_TRACE).expect("the fixture reads");
    let fragment = share::inline_fragment(&trace);
    let Some(SharedLink::Inline(encoded)) = share::parse_fragment(&format!("#{fragment}")) else {
        panic!("an inline link: {fragment}");
    };
    assert_eq!(share::decode_inline(&encoded).expect("decodes"), trace);
    assert!(
        fragment.len() <= share::MAX_FRAGMENT_CHARS,
        "{} chars",
        fragment.len()
    );

    let cut = &encoded[..encoded.len() - 30];
    assert!(matches!(
        share::decode_inline(cut),
        Err(ShareError::NotDeflate | ShareError::NotBase64)
    ));
    assert!(matches!(
        share::decode_inline("not*base64"),
        Err(ShareError::NotBase64)
    ));

    let mut edited = trace.clone();
    edited.question.push('!');
    let fragment = share::inline_fragment(&edited);
    let encoded = fragment.trim_start_matches("trace=");
    let err = share::decode_inline(encoded).expect_err("an edited trace");
    assert!(err.to_string().contains("was edited"), "{err}");

    assert_eq!(
        share::parse_fragment("#trace-id=sha256:abc"),
        Some(SharedLink::Stored("sha256:abc".into()))
    );
    assert!(share::checked_id("sha256:abc").is_err());
    assert!(share::checked_id(&trace.id).is_ok());
    assert_eq!(share::parse_fragment("#section-2"), None);
}

#[wasm_bindgen_test]
fn the_trace_view_draws_a_glance_and_numbered_gazes_where_they_were_searched() {
    let trace = gog_agent::Trace::from_json(SHARED_TRACE).expect("the fixture reads");
    let drawn = gog_app::components::regions(&trace);
    assert_eq!(drawn.len(), 2, "{drawn:?}");
    assert_eq!(drawn[0].gaze_number, None);
    assert_eq!(
        (drawn[0].region.x2, drawn[0].region.y2),
        (trace.image.width, trace.image.height)
    );
    assert_eq!(drawn[1].gaze_number, Some(1));
    assert_eq!(
        (
            drawn[1].region.x1,
            drawn[1].region.y1,
            drawn[1].region.x2,
            drawn[1].region.y2
        ),
        (20, 40, 148, 136)
    );
    let summaries: Vec<_> = trace
        .steps
        .iter()
        .map(gog_app::components::step_summary)
        .collect();
    assert_eq!(summaries[0], "Glance: image search of the whole image");
    assert_eq!(
        summaries[1],
        "Gaze: image search of the region (20, 40)–(148, 136)"
    );
    assert!(
        gog_app::components::evidence(&trace)
            .iter()
            .any(|line| line.starts_with("read "))
    );
}

#[wasm_bindgen_test]
fn result_text_from_the_web_is_shown_as_text_and_never_as_markup_or_a_script_link() {
    use gog_app::components::TextResultCard;
    use gog_types::TextResult;
    use wasm_bindgen::JsCast;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let host: web_sys::HtmlElement = document
        .create_element("div")
        .expect("a div")
        .unchecked_into();
    document
        .body()
        .expect("a body")
        .append_child(&host)
        .expect("attached");
    let result = TextResult {
        title: "<img src=x onerror=alert(1)>".into(),
        page: "page:1".into(),
        url: Some("javascript:alert(1)".into()),
        snippet: "<b>bold</b> & <script>alert(2)</script>".into(),
        source: "a hostile provider".into(),
        score: 1.0,
    };
    let mounted = leptos::mount::mount_to(host.clone(), move || {
        leptos::view! { <TextResultCard rank=1 result=result.clone() /> }
    });
    assert!(
        host.query_selector("img, b, script")
            .expect("a query")
            .is_none()
    );
    assert!(
        host.query_selector("a").expect("a query").is_none(),
        "no link to javascript:"
    );
    let text = host.text_content().unwrap_or_default();
    assert!(text.contains("<img src=x onerror=alert(1)>"), "{text}");
    assert!(
        text.contains("<b>bold</b> & <script>alert(2)</script>"),
        "{text}"
    );
    drop(mounted);
}

/// The tiny random-weight test model's manifest: its sizes are small and fixed.
const FIXTURE_MANIFEST: &str =
    include_str!("../../tests/fixtures/models/tiny-qwen3-vl-q8/manifest.json");

#[wasm_bindgen_test]
fn the_picker_reads_size_weights_and_memory_from_a_package_manifest() {
    let summary = PackageSummary::from_json(FIXTURE_MANIFEST).unwrap();
    assert_eq!(summary.download_bytes(), 593_047);
    assert_eq!(
        summary.describe(),
        "579.1 KiB to download · Q8 weights · qwen3_vl"
    );
    assert_eq!(
        summary.requirements(),
        "Runs on any WebGPU adapter or on the CPU; needs between 579.1 KiB and 1.1 MiB of memory \
         (quantised layers stay packed; the rest is widened to f32)."
    );
    let f16 = FIXTURE_MANIFEST.replace(r#""weights": "q8""#, r#""weights": "f16""#);
    assert!(
        PackageSummary::from_json(&f16)
            .unwrap()
            .requirements()
            .ends_with("needs about 1.1 MiB of memory (its weights are widened to f32).")
    );
}

#[wasm_bindgen_test]
fn a_file_that_is_not_a_package_manifest_is_refused_with_a_reason() {
    let gallery = r#"{"scenes": []}"#;
    assert!(
        PackageSummary::from_json(gallery)
            .unwrap_err()
            .starts_with("this is not a GoG model package manifest: missing field")
    );
    // The shards renamed away and an empty list in their place.
    let weightless = FIXTURE_MANIFEST
        .replace("\"shards\": [", "\"old_shards\": [")
        .replacen("\"files\": [", "\"shards\": [], \"files\": [", 1);
    assert_eq!(
        PackageSummary::from_json(&weightless).unwrap_err(),
        "this model package lists no weights"
    );
}
