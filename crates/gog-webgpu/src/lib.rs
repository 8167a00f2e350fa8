//! What the browser says about its WebGPU adapter, asked through `navigator.gpu` from a page or
//! from a Web Worker (where the model runs).
//!
//! wgpu passes on only the adapter's description, which browsers often leave empty, so both the
//! app's status panel and the model runtime ask the browser here. Natively this crate is empty.
#![cfg(target_family = "wasm")]

use wasm_bindgen::JsCast;

/// The facts about an adapter that decide how a model runs on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterReport {
    /// A readable name: the description when the browser gives one, else vendor, architecture
    /// and device.
    pub name: String,
    /// A software or otherwise reduced adapter, such as SwiftShader.
    pub is_fallback: bool,
    pub shader_f16: bool,
    pub max_buffer_size: f64,
    pub max_storage_buffer_binding_size: f64,
}

/// The outcome of asking the browser for an adapter.
#[derive(Debug, Clone, PartialEq)]
pub enum WebGpuStatus {
    Available(AdapterReport),
    /// No WebGPU here; the reason says what the person can do about it.
    Unavailable(String),
}

/// Asks `navigator.gpu` for an adapter and describes it.
pub async fn probe() -> WebGpuStatus {
    let global = js_sys::global();
    let gpu = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.navigator().gpu()
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.navigator().gpu()
    } else {
        return WebGpuStatus::Unavailable("neither a page nor a Web Worker".into());
    };
    if gpu.is_undefined() {
        return WebGpuStatus::Unavailable(
            "this browser has no WebGPU (navigator.gpu is missing); use a recent Chrome, Edge or Safari, or enable WebGPU".into(),
        );
    }
    let adapter = match gpu.request_adapter().await {
        Ok(adapter) => adapter.into_option(),
        Err(err) => {
            let reason = err
                .dyn_ref::<js_sys::Error>()
                .map(|err| String::from(err.message()))
                .unwrap_or_else(|| format!("{err:?}"));
            return WebGpuStatus::Unavailable(format!("requesting an adapter failed: {reason}"));
        }
    };
    let Some(adapter) = adapter else {
        return WebGpuStatus::Unavailable(
            "WebGPU is present but offers no adapter (GPU blocked or disabled)".into(),
        );
    };
    let info = adapter.info();
    let limits = adapter.limits();
    let description = info.description();
    let name = if description.is_empty() {
        [info.vendor(), info.architecture(), info.device()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        description
    };
    WebGpuStatus::Available(AdapterReport {
        name: if name.is_empty() {
            "unnamed adapter".into()
        } else {
            name
        },
        is_fallback: info.is_fallback_adapter(),
        shader_f16: adapter.features().has("shader-f16"),
        max_buffer_size: limits.max_buffer_size(),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size(),
    })
}
