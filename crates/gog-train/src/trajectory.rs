//! A trajectory: one oracle run on one scene (or a grounding turn), as synthesis writes it and the
//! export reads it.

use gog_agent::conversation::{Message, Part, Role};
use gog_scenes::{Category, Split};
use serde::{Deserialize, Serialize};

/// One oracle run on one scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// `train-00012.0`: the scene and the trajectory's number on it.
    pub id: String,
    pub scene: String,
    pub split: Split,
    pub category: Category,
    /// What the run did (`gaze+reflect+text`).
    pub behaviour: String,
    /// The scene's image, relative to the scenes file's directory.
    pub image: String,
    /// The whole conversation the model saw and wrote, in the agent's own form.
    pub messages: Vec<Message>,
    /// For each assistant message in order, whether the model is to learn it: a deliberate
    /// mistake (a wrong first crop, a malformed call) is shown but never learned.
    pub learn: Vec<bool>,
    pub answer: String,
}

/// The indices of the assistant messages of `messages`.
pub fn assistant_turns(messages: &[Message]) -> Vec<usize> {
    messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == Role::Assistant)
        .map(|(i, _)| i)
        .collect()
}

/// What `message` says: its text parts, joined.
pub fn text_of(message: &Message) -> String {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            Part::Image { .. } => None,
        })
        .collect()
}
