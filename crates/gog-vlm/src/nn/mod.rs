//! The layers both Qwen-VL families are built from, loaded from a [`Checkpoint`](crate::checkpoint::Checkpoint).

pub mod attention;
pub mod linear;
pub mod mlp;
pub mod norm;
pub mod rotary;
pub mod vocab_head;
