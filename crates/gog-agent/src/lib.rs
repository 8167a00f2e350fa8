//! The Glance-or-Gaze agent. It knows nothing of burn or the DOM: it drives a language model
//! through a trait and searches through `gog_search::SearchBackend`.
//!
//! * [`protocol`] — what one assistant turn may say: `<think>…</think>`, then exactly one
//!   `<tool_call>{"name": …, "arguments": …}</tool_call>` or `<answer>…</answer>` (the Qwen
//!   tool-call convention), parsed into an [`Action`] or a [`ProtocolError`] the model is shown
//!   so it can correct itself.

//! * [`boxes`] — a box in the model family's coordinates to pixels of the original image.

pub mod boxes;
pub mod protocol;

pub use boxes::{BoxConvention, BoxError, CropRules, PixelBox};
pub use protocol::{Action, ProtocolError, Turn, parse_turn};
