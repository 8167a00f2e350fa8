//! The tokenizer and chat-template renderer reproduce transformers byte for byte on the tiny
//! models' goldens: token ids of a dozen strings (CJK, digits, emoji, special tokens, empty) and
//! rendered chat prompts with images, a system turn and a generation prompt.
//! Runs natively and in headless Chromium.

mod fixture;

use fixture::tiny_models;
use gog_vlm::chat_template::{ChatMessage, ChatTemplate};
use gog_vlm::tokenizer::{TextStream, TextTokenizer};
use serde::Deserialize;
#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize)]
struct Goldens {
    encodings: Vec<Encoding>,
    chats: Vec<Chat>,
}

#[derive(Deserialize)]
struct Encoding {
    text: String,
    ids: Vec<u32>,
}

#[derive(Deserialize)]
struct Chat {
    messages: Vec<ChatMessage>,
    add_generation_prompt: bool,
    rendered: String,
    ids: Vec<u32>,
}

#[test]
fn token_ids_and_decoding_match_transformers() {
    for model in tiny_models() {
        let tokenizer = TextTokenizer::from_json(model.tokenizer).expect("a tokenizer");
        let goldens: Goldens = serde_json::from_str(model.tokenizer_goldens).expect("goldens");
        for golden in &goldens.encodings {
            let ids = tokenizer.encode(&golden.text).expect("encodable");
            assert_eq!(ids, golden.ids, "{}: {:?}", model.family, golden.text);
            let text = tokenizer.decode(&ids).expect("decodable");
            // Every golden string is already in NFC, the normaliser's form.
            assert_eq!(text, golden.text, "{}: round trip", model.family);
            // Streaming gives the same text, only in whole characters.
            let mut stream = TextStream::default();
            let mut streamed = String::new();
            for &id in &ids {
                if let Some(piece) = stream.push(&tokenizer, id).expect("decodable") {
                    assert!(!piece.contains(char::REPLACEMENT_CHARACTER));
                    streamed.push_str(&piece);
                }
            }
            assert_eq!(streamed, text, "{}: streamed", model.family);
        }
        assert_eq!(
            tokenizer
                .token_id("<|image_pad|>")
                .expect("a special token"),
            502
        );
        assert!(tokenizer.token_id("<|no_such_token|>").is_err());
    }
}

#[test]
fn chat_prompts_render_like_transformers() {
    for model in tiny_models() {
        let tokenizer = TextTokenizer::from_json(model.tokenizer).expect("a tokenizer");
        let template =
            ChatTemplate::from_config_json(model.tokenizer_config).expect("a chat template");
        let goldens: Goldens = serde_json::from_str(model.tokenizer_goldens).expect("goldens");
        for chat in &goldens.chats {
            let rendered = template
                .render(&chat.messages, chat.add_generation_prompt)
                .expect("renders");
            assert_eq!(rendered, chat.rendered, "{}", model.family);
            assert_eq!(tokenizer.encode(&rendered).expect("encodable"), chat.ids);
        }
    }
}
