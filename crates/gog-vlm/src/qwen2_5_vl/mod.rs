//! Qwen2.5-VL: a window-attention vision transformer with a 2×2 patch merger, and a Qwen2
//! decoder with sectioned M-RoPE.

mod config;

pub use config::{Qwen2_5VlConfig, TextConfig, VisionConfig};
