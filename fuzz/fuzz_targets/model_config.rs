//! `config.json`: any text gives a config or a `ConfigError`, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = gog_vlm::qwen_vl::QwenVlConfig::from_json(text);
});
