//! The browser's own description of its WebGPU adapter, read from `navigator.gpu` in a page or
//! in a Web Worker (where the model runs).

use wasm_bindgen::JsCast;

/// What the browser says about its adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrowserAdapter {
    /// The description, or `vendor architecture device` when the description is empty.
    pub name: String,
    pub is_fallback: bool,
}

/// Asks the browser for an adapter and describes it; `None` where there is no WebGPU.
pub(crate) async fn describe() -> Option<BrowserAdapter> {
    let global = js_sys::global();
    let gpu = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.navigator().gpu()
    } else {
        global
            .dyn_ref::<web_sys::WorkerGlobalScope>()?
            .navigator()
            .gpu()
    };
    if gpu.is_undefined() {
        return None;
    }
    let adapter = gpu.request_adapter().await.ok()?.into_option()?;
    let info = adapter.info();
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
    Some(BrowserAdapter {
        name,
        is_fallback: info.is_fallback_adapter(),
    })
}
