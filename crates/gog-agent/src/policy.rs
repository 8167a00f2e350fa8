//! The language model the agent drives, as a trait: the CLI and the browser implement it over
//! the burn runtime, tests with a scripted test double. The agent never sees tensors.

use serde::{Deserialize, Serialize};

use crate::boxes::BoxConvention;
use crate::conversation::Conversation;
use crate::prompts::Family;

/// What a trace records about the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// A name for people (`Qwen3-VL-2B-Instruct`, `scripted test double`).
    pub id: String,
    pub family: Family,
    /// `f32`, `q8`, `q4`, or `none` for a test double.
    pub quantisation: String,
    /// sha256 of each weight file, by file name.
    pub weights: std::collections::BTreeMap<String, String>,
    /// The most language-model tokens one image may take (larger images are shrunk): it
    /// changes what the model sees, so a re-run must use the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_image_tokens: Option<u64>,
}

/// How replies are sampled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u64,
    pub max_new_tokens: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
            max_new_tokens: 512,
        }
    }
}

/// Why a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyEnd {
    /// The model ended its turn.
    EndOfTurn,
    /// It reached `max_new_tokens` without ending it.
    Length,
}

/// One reply of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    /// The generated token ids (empty for a test double that has none).
    pub tokens: Vec<u32>,
    /// The token ids of the prompt the reply continued: exactly what the model was fed (empty
    /// for a test double that has none).
    pub prompt: Vec<u32>,
    pub end: ReplyEnd,
}

/// What a policy reports while it replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replying<'a> {
    /// `done` of the prompt's `total` tokens have been read.
    Reading { done: usize, total: usize },
    /// A piece of the reply's text, as soon as it is generated.
    Text(&'a str),
}

/// A model that could not reply (a runtime error), as text for the trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the model failed: {0}")]
pub struct PolicyError(pub String);

#[allow(
    async_fn_in_trait,
    reason = "the agent runs on one thread: in the browser's worker, or blocked on natively"
)]
pub trait Policy {
    fn info(&self) -> ModelInfo;

    /// How the model writes boxes about an image of `size` original pixels (Qwen2.5-VL's
    /// pixels depend on how it resizes that image).
    fn box_convention(&self, size: (u32, u32)) -> BoxConvention;

    /// The next assistant turn, telling `on_event` how far the prompt has been read and each
    /// piece of text as it is generated.
    async fn reply(
        &mut self,
        conversation: &Conversation,
        sampling: &SamplingParams,
        on_event: &mut dyn FnMut(Replying<'_>),
    ) -> Result<Reply, PolicyError>;
}
