//! Where searches go (the offline corpus or the proxy) and the run's settings.

use gog_agent::Mode;
use leptos::prelude::*;

use crate::messages::{RunSettings, SearchChoice};

/// Where the offline corpus is served, relative to the page.
pub const OFFLINE_CORPUS: &str = "corpus";

/// Choosing where searches go: the corpus inside the browser (no network once downloaded) or
/// the search proxy (whatever it serves: its own offline corpus, live providers, or a replay).
#[component]
pub fn SearchPicker(choice: RwSignal<SearchChoice>, proxy_url: RwSignal<String>) -> impl IntoView {
    let is_proxy = move || matches!(choice.get(), SearchChoice::Proxy { .. });
    view! {
        <fieldset class="search-picker">
            <legend>"Search"</legend>
            <label class="choice">
                <input type="radio" name="search" id="search-offline"
                    prop:checked=move || !is_proxy()
                    on:change=move |_| choice.set(SearchChoice::Offline { url: OFFLINE_CORPUS.into() }) />
                "Offline corpus in this browser (no network once downloaded)"
            </label>
            <label class="choice">
                <input type="radio" name="search" id="search-proxy"
                    prop:checked=is_proxy
                    on:change=move |_| choice.set(SearchChoice::Proxy { url: proxy_url.get() }) />
                "The search proxy (its offline, live or replay mode)"
            </label>
            <input type="url" id="proxy-url" aria-label="Search proxy URL"
                prop:value=move || proxy_url.get()
                on:input=move |ev| {
                    proxy_url.set(event_target_value(&ev));
                    if is_proxy() {
                        choice.set(SearchChoice::Proxy { url: proxy_url.get() });
                    }
                } />
        </fieldset>
    }
}

/// The run's mode and limits.
#[component]
pub fn RunSettingsForm(settings: RwSignal<RunSettings>) -> impl IntoView {
    let mode_name = move || super::trace_view::mode_name(settings.get().mode);
    view! {
        <details class="run-settings">
            <summary>"Run settings"</summary>
            <label for="run-mode">"Mode"</label>
            <select id="run-mode" prop:value=mode_name on:change=move |ev| {
                let mode = match event_target_value(&ev).as_str() {
                    "direct" => Mode::Direct,
                    "full-search" => Mode::FullSearch,
                    _ => Mode::Gog,
                };
                settings.update(|s| s.mode = mode);
            }>
                <option value="gog">"Glance or gaze (the model decides)"</option>
                <option value="full-search">"Full search (always glance first)"</option>
                <option value="direct">"Direct (no search)"</option>
            </select>
            <WholeNumberInput id="max-turns" label="Most turns" max=20
                value=Signal::derive(move || settings.get().max_turns as usize)
                on_set=Callback::new(move |n: usize| settings.update(|s| s.max_turns = n as u32)) />
            <WholeNumberInput id="max-new-tokens" label="Most tokens per turn" max=4096
                value=Signal::derive(move || settings.get().max_new_tokens)
                on_set=Callback::new(move |n| settings.update(|s| s.max_new_tokens = n)) />
        </details>
    }
}

/// A labelled whole number from 1 to `max`; other input is clamped or ignored.
#[component]
fn WholeNumberInput(
    id: &'static str,
    label: &'static str,
    max: usize,
    value: Signal<usize>,
    on_set: Callback<usize>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input type="number" id=id min="1" max=max
            prop:value=move || value.get().to_string()
            on:change=move |ev| {
                if let Ok(n) = event_target_value(&ev).parse::<usize>() {
                    on_set.run(n.clamp(1, max));
                }
            } />
    }
}
