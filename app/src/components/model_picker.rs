//! Which model runs (the shipped package or one loaded by URL), its facts, download and warm-up.

use leptos::{prelude::*, task::spawn_local};

use crate::messages::{DevicePreference, DeviceReport};
use crate::package::PackageSummary;
use crate::webgpu::format_bytes;
use gog_agent::ModelInfo;

/// A model package shipped with the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedModel {
    pub label: &'static str,
    /// Relative to the page.
    pub path: &'static str,
    pub note: &'static str,
}

/// The packages this build ships: GoG-Tiny, trained here (docs/TRAINING.md, MODEL.md).
pub const EMBEDDED: [EmbeddedModel; 1] = [EmbeddedModel {
    label: "GoG-Tiny (Q8, 2.7 M parameters)",
    path: "models/gog-tiny-q8",
    note: "GoG-Tiny was trained here on GoG-Offline: it knows the offline world's flags, \
           animals, monuments and logos, not the open web, and answers only some of its \
           questions right. For real answers, load a real checkpoint made by `gog convert` by URL.",
}];

/// Where the model is, from picking to ready.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    NotLoaded,
    Downloading(Download),
    WarmingUp(DeviceReport),
    Ready {
        model: ModelInfo,
        device: DeviceReport,
        warm_up_ms: f64,
    },
    Failed(String),
}

/// A package download in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub weights: String,
    pub model_type: String,
    pub done: u64,
    pub total: u64,
    /// Bytes that came from the cache rather than the network.
    pub cached: u64,
    pub started_ms: f64,
    pub now_ms: f64,
    pub file: String,
}

impl Download {
    /// Network bytes per second so far.
    pub fn rate(&self) -> Option<f64> {
        let seconds = (self.now_ms - self.started_ms) / 1000.0;
        let fetched = self.done.saturating_sub(self.cached);
        (seconds > 0.2 && fetched > 0).then(|| fetched as f64 / seconds)
    }

    /// Seconds left at the rate so far.
    pub fn eta_seconds(&self) -> Option<f64> {
        self.rate()
            .map(|rate| self.total.saturating_sub(self.done) as f64 / rate)
    }

    /// "1.2 MiB of 3.4 MiB · 850.0 KiB/s · about 3 s left".
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} of {}",
            format_bytes(self.done as f64),
            format_bytes(self.total as f64)
        );
        if let Some(rate) = self.rate() {
            text.push_str(&format!(" · {}/s", format_bytes(rate)));
        }
        if let Some(eta) = self.eta_seconds().filter(|_| self.done < self.total) {
            text.push_str(&format!(" · about {} s left", eta.ceil()));
        }
        if self.cached > 0 {
            text.push_str(&format!(
                " · {} from the cache",
                format_bytes(self.cached as f64)
            ));
        }
        text
    }
}

/// The device choices, as the picker offers them.
const DEVICES: [(DevicePreference, &str, &str); 3] = [
    (
        DevicePreference::Auto,
        "auto",
        "Automatic: the faster for this model here (small models run faster on the CPU)",
    ),
    (
        DevicePreference::WebGpu,
        "webgpu",
        "WebGPU when the browser has it",
    ),
    (DevicePreference::Cpu, "cpu", "The CPU"),
];

/// Choosing a model package and loading it: the shipped ones or any URL.
#[component]
pub fn ModelPicker(
    state: ReadSignal<ModelState>,
    on_load: Callback<(String, DevicePreference)>,
) -> impl IntoView {
    let choice = RwSignal::new(EMBEDDED[0].path.to_owned());
    let url = RwSignal::new(String::new());
    // The URL as last committed (Enter, or leaving the field): its package is described then,
    // not at every keystroke.
    let committed_url = RwSignal::new(String::new());
    let device = RwSignal::new(DevicePreference::Auto);
    let busy = move || {
        matches!(
            state.get(),
            ModelState::Downloading(_) | ModelState::WarmingUp(_)
        )
    };
    let load = move |_| {
        let package = if choice.get() == "url" {
            url.get().trim().to_owned()
        } else {
            choice.get()
        };
        if !package.is_empty() {
            on_load.run((package, device.get()));
        }
    };
    view! {
        <section class="model-picker" aria-labelledby="model-heading">
            <h2 id="model-heading">"Model"</h2>
            <fieldset>
                <legend>"Package"</legend>
                {EMBEDDED.iter().map(|model| view! {
                    <label class="choice">
                        <input type="radio" name="model" value=model.path
                            prop:checked=move || choice.get() == model.path
                            on:change=move |_| choice.set(model.path.to_owned()) />
                        {model.label}
                        <span class="note">{model.note}</span>
                        <PackageFacts package=Signal::derive(move || Some(model.path.to_owned())) />
                    </label>
                }).collect_view()}
                <label class="choice">
                    <input type="radio" name="model" value="url" id="model-by-url"
                        prop:checked=move || choice.get() == "url"
                        on:change=move |_| choice.set("url".into()) />
                    "A package by URL"
                </label>
                <input type="url" id="model-url" aria-label="Model package URL" placeholder="https://…/my-package"
                    prop:value=move || url.get()
                    on:input=move |ev| { url.set(event_target_value(&ev)); choice.set("url".into()); }
                    on:change=move |ev| committed_url.set(event_target_value(&ev).trim().to_owned()) />
                <PackageFacts package=Signal::derive(move || Some(committed_url.get()).filter(|u| !u.is_empty())) />
            </fieldset>
            <fieldset class="device-choice">
                <legend>"Run on"</legend>
                {DEVICES.iter().map(|&(preference, value, label)| view! {
                    <label class="choice">
                        <input type="radio" name="device" value=value
                            prop:checked=move || device.get() == preference
                            on:change=move |_| device.set(preference) />
                        {label}
                    </label>
                }).collect_view()}
            </fieldset>
            <button type="button" id="load-model" on:click=load disabled=busy>"Load model"</button>
            <ModelStatus state=state />
        </section>
    }
}

/// A package's download size, weights and what it needs, read from its manifest as soon as the
/// package is named.
#[component]
fn PackageFacts(
    /// The package's directory URL, or none to describe.
    package: Signal<Option<String>>,
) -> impl IntoView {
    let facts = RwSignal::new(None::<Result<PackageSummary, String>>);
    Effect::new(move |_| {
        let Some(wanted) = package.get() else {
            facts.set(None);
            return;
        };
        spawn_local(async move {
            let read = crate::package::summary(&wanted).await;
            // Unless another package was named meanwhile.
            if package.get_untracked().as_deref() == Some(wanted.as_str()) {
                facts.set(Some(read));
            }
        });
    });
    view! {
        <span class="package-facts" data-package=move || package.get().unwrap_or_default()>
            {move || facts.get().map(|read| match read {
                Ok(summary) => view! {
                    <span class="facts-line">{summary.describe()}</span>
                    <span class="note">{summary.requirements()}</span>
                }.into_any(),
                Err(error) => view! { <span class="error">{error}</span> }.into_any(),
            })}
        </span>
    }
}

/// Download progress, the device chosen and why, the warm-up and readiness.
#[component]
fn ModelStatus(state: ReadSignal<ModelState>) -> impl IntoView {
    let data_state = move || match state.get() {
        ModelState::NotLoaded => "none",
        ModelState::Downloading(_) => "downloading",
        ModelState::WarmingUp(_) => "warming-up",
        ModelState::Ready { .. } => "ready",
        ModelState::Failed(_) => "failed",
    };
    view! {
        <div id="model-status" data-state=data_state role="status">
            {move || match state.get() {
                ModelState::NotLoaded => view! { <p class="note">"No model loaded."</p> }.into_any(),
                ModelState::Downloading(download) if download.total == 0 => view! {
                    <p>"Reading the package's manifest…"</p>
                }.into_any(),
                ModelState::Downloading(download) => view! {
                    <p>{format!("Downloading {} ({}, {})", download.file, download.model_type, download.weights)}</p>
                    <progress id="download-progress" max=download.total as f64 value=download.done as f64></progress>
                    <p class="note" id="download-facts">{download.describe()}</p>
                }.into_any(),
                ModelState::WarmingUp(device) => view! {
                    <p>"Warming up (compiling kernels)…"</p>
                    <DeviceNote device=device />
                }.into_any(),
                ModelState::Ready { model, device, warm_up_ms } => view! {
                    <p class="ok" id="model-ready">{format!("Ready: {} ({}), warmed up in {:.1} s", model.id, model.quantisation, warm_up_ms / 1000.0)}</p>
                    <DeviceNote device=device />
                }.into_any(),
                ModelState::Failed(error) => view! {
                    <p class="error" id="model-error" role="alert">{error}</p>
                }.into_any(),
            }}
        </div>
    }
}

/// Where the model runs, and why there.
#[component]
fn DeviceNote(device: DeviceReport) -> impl IntoView {
    view! {
        <p class="note" id="model-device" data-device=device.kind.clone()>
            {match &device.adapter {
                Some(adapter) => format!("Running on WebGPU ({adapter}): {}.", device.reason),
                None if device.kind == "webgpu" => format!("Running on WebGPU: {}.", device.reason),
                None => format!("Running on the CPU: {}.", device.reason),
            }}
        </p>
    }
}
