//! Qwen-VL: one core for the Qwen2.5-VL and Qwen3-VL families.
//!
//! [`config`] reads either family's `config.json`; [`QwenVl`] loads the weights from a
//! [`Checkpoint`](crate::checkpoint::Checkpoint) and runs the [`vision`] tower and the decoder
//! ([`text`]) with a [`KvCache`].

pub mod config;
mod config_checks;
pub mod kv_cache;
mod model;
pub mod tensors;
pub mod text;
pub mod vision;
mod windows;

pub use config::{Family, QwenVlConfig};
pub use kv_cache::KvCache;
pub use model::{DecoderInput, ForwardError, QwenVl, TokenEmbedding};
pub use vision::{VisionOutput, VisionTrace};
