//! What one assistant turn says once parsed — its reasoning and the [`Action`] it asks for — and
//! why a turn could not be acted on ([`ProtocolError`]). `protocol` reads turns into these; the
//! tools check their own arguments; the trace records them.

use serde::{Deserialize, Serialize};

/// What a turn asks the agent to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Reverse image search: of the whole image (a glance) when `bbox_2d` is absent, of the
    /// region it bounds (a gaze) when present, in the model family's coordinates.
    ImageSearch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bbox_2d: Option<[f64; 4]>,
        /// What the model says the region shows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    TextSearch {
        query: String,
    },
    /// The page behind result number `result` (from 1) of the latest search.
    Read {
        result: u32,
    },
    Answer {
        text: String,
    },
}

/// A parsed turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// The reasoning inside `<think>`, if the model wrote any.
    pub think: Option<String>,
    pub action: Action,
}

/// Why a turn could not be acted on; the message is shown to the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the turn has neither a <tool_call> nor an <answer>; end every turn with exactly one")]
    NoAction,
    #[error(
        "the turn has {0} actions; give exactly one <tool_call> or one <answer>, then wait for the result"
    )]
    SeveralActions(usize),
    #[error("<{0}> is opened but never closed with </{0}>")]
    Unclosed(&'static str),
    #[error("the turn goes on after </{0}>; end it there")]
    TextAfterAction(&'static str),
    #[error(
        "the tool call is not a JSON object {{\"name\": …, \"arguments\": {{…}}}} and nothing else: {0}"
    )]
    MalformedCall(String),
    #[error("there is no tool {0:?}; the tools are image_search, text_search and read")]
    UnknownTool(String),
    #[error("{tool}: {reason}")]
    BadArguments { tool: &'static str, reason: String },
    #[error("the answer is empty; write the answer between <answer> and </answer>")]
    EmptyAnswer,
}
