//! `tokenizer_config.json` chat templates: compiling and rendering a conversation.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    gog_vlm::fuzzing::chat_template(text);
});
