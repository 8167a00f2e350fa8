//! What this browser's WebGPU adapter is and allows, as the status panel shows it.
//!
//! The model runtime negotiates its own device inside the model worker; this probe only asks the
//! browser, so the start page can say early whether the model will run on the GPU.

use wasm_bindgen::JsCast;

/// The facts about an adapter that decide how a model runs on it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterReport {
    /// A readable name: the description when the browser gives one, else vendor and architecture.
    pub name: String,
    /// A software or otherwise reduced adapter (such as SwiftShader).
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

/// Asks `navigator.gpu` for an adapter.
pub async fn probe() -> WebGpuStatus {
    let Some(window) = web_sys::window() else {
        return WebGpuStatus::Unavailable("no browser window".into());
    };
    let gpu = window.navigator().gpu();
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

/// Bytes as a person reads them: `1 GiB`, `256 MiB`, `4096 B`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
