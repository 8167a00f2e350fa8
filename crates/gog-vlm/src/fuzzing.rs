//! Entry points for fuzzing the parsers of user-supplied files (`fuzz/`, and the mutation test
//! `tests/parsers_survive_garbage.rs`). Each reads arbitrary input the way the runtime would and
//! must return, with a value or a typed error, but never panic.

use crate::chat_template::{ChatMessage, ChatTemplate};
use crate::checkpoint::Checkpoint;
use crate::image_processor::ImageProcessorConfig;
use crate::qwen_vl::QwenVlConfig;

/// A `config.json`.
pub fn model_config(text: &str) {
    let _ = QwenVlConfig::from_json(text);
}

/// A safetensors shard: open it, read every tensor it describes, finish.
pub fn checkpoint(bytes: &[u8]) {
    let Ok(mut checkpoint) =
        Checkpoint::from_buffers([("fuzz.safetensors".into(), bytes.to_vec())])
    else {
        return;
    };
    for (name, shape) in checkpoint.tensors() {
        let _ = checkpoint.take(&name, &shape);
    }
    let _ = checkpoint.finish();
}

/// A `preprocessor_config.json`, then a small image processed with it.
pub fn preprocessor_config(text: &str) {
    let Ok(config) =
        ImageProcessorConfig::from_preprocessor_json(text, ImageProcessorConfig::qwen2_5_vl())
    else {
        return;
    };
    let image = image::RgbImage::from_fn(45, 31, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let _ = config.process(&image);
}

/// A chat template in a `tokenizer_config.json`, rendered for a short conversation.
pub fn chat_template(text: &str) {
    let Ok(template) = ChatTemplate::from_config_json(text) else {
        return;
    };
    let messages = [
        ChatMessage::user_with_images(1, "When was the tower finished?"),
        ChatMessage {
            role: "assistant".into(),
            content: crate::chat_template::MessageContent::Text("<think>1889</think>".into()),
        },
    ];
    let _ = template.render(&messages, true);
}
