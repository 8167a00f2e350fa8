//! The inputs processor matches transformers on the reference fixtures of both families:
//! preprocessing (`Qwen2VLImageProcessorPil`) and M-RoPE positions (`get_rope_index`).
//! Runs natively (`cargo test`) and in headless Chromium (`cargo xtask test`, the browser tier).

mod fixture;

use fixture::Fixture;
use gog_vlm::image_processor::ImageProcessorConfig;
#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Each family's fixture with the processor settings the fixture script saved.
fn families() -> Vec<(&'static str, Fixture, ImageProcessorConfig)> {
    fixture::tiny_models()
        .into_iter()
        .map(|model| {
            let defaults = match model.family {
                "qwen2_5_vl" => ImageProcessorConfig::qwen2_5_vl(),
                _ => ImageProcessorConfig::qwen3_vl(),
            };
            let processor =
                ImageProcessorConfig::from_preprocessor_json(model.preprocessor_config, defaults)
                    .expect("a valid preprocessor_config.json");
            (model.family, model.fixture, processor)
        })
        .collect()
}

#[test]
fn resized_pixels_grids_and_patches_match_the_reference() {
    for (family, fixture, processor) in families() {
        for (case, images) in [("one_image", 1), ("two_images", 2)] {
            let case_name = format!("{family} {case}");
            let mut patches = Vec::new();
            let mut grids = Vec::new();
            for i in 0..images {
                let source = fixture.image(&format!("{case}.image{i}"));
                let processed = processor.process(&source).expect("a processable image");
                let expected = fixture.image(&format!("{case}.resized{i}"));
                assert_eq!(
                    processed.resized.dimensions(),
                    expected.dimensions(),
                    "{case_name} image {i}"
                );
                let differing = processed
                    .resized
                    .as_raw()
                    .iter()
                    .zip(expected.as_raw())
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(
                    differing, 0,
                    "{case_name} image {i}: resized bytes differ from Pillow's"
                );
                grids.extend(processed.grid_thw.map(i64::from));
                patches.extend(processed.patches);
            }
            let (_, expected_grids) = fixture.i64(&format!("{case}.image_grid_thw"));
            assert_eq!(grids, expected_grids, "{case_name}");

            let (shape, expected) = fixture.f32(&format!("{case}.pixel_values"));
            assert_eq!(shape[1], processor.patch_len(), "{case_name}");
            assert_eq!(patches.len(), expected.len(), "{case_name}");
            let max_diff = patches
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                max_diff <= 1e-6,
                "{case_name}: pixel values differ by up to {max_diff}"
            );
        }
    }
}

#[test]
fn rope_positions_match_the_reference_exactly() {
    const IMAGE_PAD: u32 = 502;
    for (family, fixture, _) in families() {
        for case in ["one_image", "two_images"] {
            let case_name = format!("{family} {case}");
            let (_, ids) = fixture.i64(&format!("{case}.input_ids"));
            let tokens: Vec<u32> = ids.iter().map(|&id| id as u32).collect();
            let (_, grids) = fixture.i64(&format!("{case}.image_grid_thw"));
            let grids: Vec<[u32; 3]> = grids
                .chunks_exact(3)
                .map(|g| [g[0] as u32, g[1] as u32, g[2] as u32])
                .collect();
            let positions = gog_vlm::rope_index::rope_positions(&tokens, IMAGE_PAD, &grids, 2)
                .expect("the fixture's prompt fits its images");
            let (shape, expected) = fixture.i64(&format!("{case}.position_ids"));
            assert_eq!(shape, [3, tokens.len()], "{case_name}");
            assert_eq!(positions.axes.concat(), expected, "{case_name}");
            let (_, delta) = fixture.i64(&format!("{case}.rope_delta"));
            assert_eq!(positions.delta, delta[0], "{case_name}");
        }
    }
}

#[test]
fn the_tiny_model_config_is_read() {
    let config = gog_vlm::qwen_vl::QwenVlConfig::from_json(fixture::QWEN2_5_VL_CONFIG)
        .expect("a valid config");
    assert_eq!(config.text.hidden_size, 32);
    assert_eq!(config.text.mrope_section, [2, 3, 3]);
    assert_eq!(config.family, gog_vlm::qwen_vl::Family::Qwen2_5Vl);
    assert_eq!(config.tokens.image, 502);
    assert!(config.tie_word_embeddings);
}
