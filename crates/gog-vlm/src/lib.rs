//! GoG's vision-language model runtime on burn.
//!
//! The runtime picks its compute device when it runs, never at compile time: burn's `flex`
//! backend on the CPU (natively, and as the in-browser fallback) and WebGPU in the browser. The
//! Qwen-VL model families build on the [`device`] module.

pub mod device;
pub mod image_processor;
mod resize;
pub mod rope_index;

pub use device::{AdapterInfo, ComputeDevice, DeviceError, DeviceKind};
