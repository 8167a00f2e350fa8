//! `preprocessor_config.json`, then processing a small image with the result.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    gog_vlm::fuzzing::preprocessor_config(text);
});
