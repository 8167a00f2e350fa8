//! The conversation the agent holds with the model, independent of any runtime: turns of text
//! and images, where images are the question's image and the pictures tool results show.

use image::RgbImage;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// A piece of a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    /// The conversation's image number `index` (0 is the question's image).
    Image {
        index: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

impl Message {
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            parts: vec![Part::Text { text: text.into() }],
        }
    }
}

/// Turns and the images they refer to.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub messages: Vec<Message>,
    pub images: Vec<RgbImage>,
}

impl Conversation {
    /// Adds an image and returns the part that shows it.
    pub fn add_image(&mut self, image: RgbImage) -> Part {
        self.images.push(image);
        Part::Image {
            index: self.images.len() - 1,
        }
    }

    /// The conversation as plain text, images as `<image N>`: what golden tests compare and
    /// what `gog replay` prints.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for message in &self.messages {
            let role = match message.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            out.push_str(&format!("=== {role}\n"));
            for part in &message.parts {
                match part {
                    Part::Text { text } => out.push_str(text),
                    Part::Image { index } => out.push_str(&format!("<image {index}>")),
                }
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out
    }
}
