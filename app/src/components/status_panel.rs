//! What a run needs, shown before it starts: the WebGPU adapter and the search proxy's health.

use crate::proxy;
use crate::webgpu::{self, WebGpuStatus, format_bytes};
use gog_types::wire::HealthReport;
use leptos::prelude::*;

/// Whether the two things a run needs are there: a GPU for the model and the search proxy.
#[component]
pub fn StatusPanel(proxy_url: String) -> impl IntoView {
    view! {
        <aside class="status-panel" aria-label="System status">
            <h2>"Status"</h2>
            <dl>
                <WebGpuStatusRow />
                <ProxyStatus url=proxy_url />
            </dl>
        </aside>
    }
}

/// The browser's WebGPU adapter and the limits that matter for model weights.
#[component]
pub fn WebGpuStatusRow() -> impl IntoView {
    let status = LocalResource::new(webgpu::probe);
    view! {
        <dt>"WebGPU"</dt>
        <dd id="webgpu-status" data-state=move || match status.get() {
            None => "checking",
            Some(WebGpuStatus::Available(_)) => "available",
            Some(WebGpuStatus::Unavailable(_)) => "unavailable",
        }>
            {move || match status.get() {
                None => view! { <span>"Checking…"</span> }.into_any(),
                Some(WebGpuStatus::Available(adapter)) => view! {
                    <span class="ok">"Available"</span>
                    <ul class="facts">
                        <li>"Adapter: "<span id="adapter-name">{adapter.name.clone()}</span>
                            {adapter.is_fallback.then_some(" (software fallback: slow)")}</li>
                        <li>"shader-f16: "<span id="shader-f16">{if adapter.shader_f16 { "yes" } else { "no (f32 weights)" }}</span></li>
                        <li>"maxBufferSize: "<span id="max-buffer-size">{format_bytes(adapter.max_buffer_size)}</span></li>
                        <li>"maxStorageBufferBindingSize: "<span id="max-binding-size">{format_bytes(adapter.max_storage_buffer_binding_size)}</span></li>
                    </ul>
                }.into_any(),
                Some(WebGpuStatus::Unavailable(reason)) => view! {
                    <span class="warn">"Not available"</span>
                    <p class="note">{reason}" The model will run on the CPU instead, much more slowly."</p>
                }.into_any(),
            }}
        </dd>
    }
}

/// Whether the search proxy answers its health check, with a button to ask again.
#[component]
pub fn ProxyStatus(url: String) -> impl IntoView {
    let shown_url = url.clone();
    let health = LocalResource::new(move || {
        let url = url.clone();
        async move { proxy::health(&url).await }
    });
    let state = move || match health.get() {
        None => "checking",
        Some(Ok(HealthReport { ref status, .. })) if status == "ok" => "ok",
        Some(_) => "error",
    };
    view! {
        <dt>"Search proxy"</dt>
        <dd id="proxy-status" data-state=state>
            {move || match health.get() {
                None => view! { <span>"Checking…"</span> }.into_any(),
                Some(Ok(report)) => view! {
                    <span class=if report.status == "ok" { "ok" } else { "warn" } id="proxy-health">{report.status.clone()}</span>
                    <ul class="facts">
                        <li>"Version: "{report.version.clone()}</li>
                        <li>"Backends: "<span id="proxy-backends">{report.backends.join(", ")}</span></li>
                    </ul>
                }.into_any(),
                Some(Err(err)) => view! {
                    <span class="warn" id="proxy-health">"unreachable"</span>
                    <p class="note" id="proxy-error">{err.to_string()}</p>
                }.into_any(),
            }}
            <p class="note">"At "<code>{shown_url}</code></p>
            <button type="button" id="proxy-retry" on:click=move |_| health.refetch()>"Check again"</button>
        </dd>
    }
}
