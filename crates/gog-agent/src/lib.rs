//! The Glance-or-Gaze agent. It knows nothing of burn or the DOM: it drives a language model
//! through a trait and searches through `gog_types::SearchBackend`.
//!
//! * [`protocol`] — what one assistant turn may say: `<think>…</think>`, then exactly one
//!   `<tool_call>{"name": …, "arguments": …}</tool_call>` or `<answer>…</answer>` (the Qwen
//!   tool-call convention), parsed into a [`Turn`].
//! * [`turn`] — a parsed turn: its [`Action`], or the [`ProtocolError`] the model is shown so it
//!   can correct itself.
//! * [`tools`] — the tools, one module each: name, arguments, budget, what they search and how
//!   the results are shown.
//! * [`settings`] — how a run is allowed to go: mode, turns, budgets, crop rules.
//! * [`boxes`] — a box in the model family's coordinates to pixels of the original image.
//! * [`prompts`] — the prompt data files, per model family.
//! * [`conversation`] — the turns the model sees, runtime-independent.
//! * [`policy`] — the language model as a trait.
//! * [`agent`] — the loop: it asks the model, runs the tool called, and records every step.
//! * [`trace`] — the run's versioned, content-addressed record.
//! * [`replay`] — rendering a trace, and re-running it against its recorded searches.
//! * [`judge`] — normalised exact match and token F1 against the gold answers.

pub mod agent;
pub mod boxes;
pub mod conversation;
pub mod judge;
pub mod policy;
pub mod prompts;
pub mod protocol;
pub mod replay;
pub mod settings;
pub mod tools;
pub mod trace;
pub mod turn;

pub use agent::{Agent, Event, Question};
pub use boxes::{BoxConvention, BoxError, CropRules, PixelBox};
pub use policy::{ModelInfo, Policy, PolicyError, Reply, ReplyEnd, Replying, SamplingParams};
pub use prompts::{Family, Prompts};
pub use protocol::parse_turn;
pub use settings::{AgentConfig, Budgets, Mode, Settings};
pub use trace::{Outcome, Trace, TraceSink};
pub use turn::{Action, ProtocolError, Turn};
