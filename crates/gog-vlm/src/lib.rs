//! GoG's vision-language model runtime on burn.
//!
//! The runtime picks its compute device when it runs, never at compile time: burn's `flex`
//! backend on the CPU (natively, and as the in-browser fallback) and WebGPU in the browser
//! ([`device`]). Inputs are prepared exactly as the reference does: [`image_processor`] turns an
//! image into patches, [`rope_index`] gives every token its M-RoPE position, and each family's
//! configuration is read straight from its `config.json`. [`qwen_vl`] runs both Qwen-VL families
//! on weights read from a Hugging Face [`checkpoint`], built from the layers in [`nn`].

pub mod chat_template;
pub mod checkpoint;
mod config_error;
pub mod convert;
pub mod device;
pub mod device_choice;
pub mod fuzzing;
pub mod image_processor;
pub mod nn;
pub mod package;
pub mod prompt;
pub mod quant;
pub mod qwen_vl;
pub mod reference;
mod resize;
pub mod rope_index;
pub mod sampling;
pub mod tokenizer;
pub mod vlm;

pub use config_error::ConfigError;
pub use device::{AdapterInfo, ComputeDevice, DeviceError, DeviceKind};
pub use vlm::{GenerateRequest, Generated, Generation, LoadOptions, ModelFiles, StopReason, Vlm};
