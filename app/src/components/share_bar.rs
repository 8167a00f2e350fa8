//! Sharing a finished run: a link, a JSON file out and in, and a re-run.

use gog_agent::Trace;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::proxy;
use crate::share::{self, MAX_FRAGMENT_CHARS};

/// Sharing a finished trace: a link (the trace inside it when small enough, else stored through
/// the proxy), a JSON file out and in, and a re-run against its recorded searches.
#[component]
pub fn ShareBar(
    trace: Signal<Option<Trace>>,
    proxy_url: Signal<String>,
    can_rerun: Signal<bool>,
    on_import: Callback<Trace>,
    on_rerun: Callback<Trace>,
) -> impl IntoView {
    let link = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<(bool, String)>);
    let finished = move || trace.with(|t| t.as_ref().is_some_and(|t| t.outcome.is_some()));

    let copy_link = move |_| {
        let Some(trace) = trace.get_untracked() else {
            return;
        };
        let fragment = share::inline_fragment(&trace);
        let base = page_address();
        if fragment.len() <= MAX_FRAGMENT_CHARS {
            publish(
                link,
                message,
                format!("{base}#{fragment}"),
                "The trace is inside the link: it opens with no server.",
            );
            return;
        }
        let proxy_base = proxy_url.get_untracked();
        spawn_local(async move {
            match proxy::share_trace(&proxy_base, trace.canonical_json()).await {
                Ok(id) => {
                    let query = if proxy_base == proxy::DEFAULT_PROXY_URL { String::new() } else { format!("?proxy={proxy_base}") };
                    let base = base.split('?').next().unwrap_or(&base).to_owned();
                    publish(link, message, format!("{base}{query}#{}", share::stored_fragment(&id)), "The trace is stored by the search proxy under its content id.");
                }
                Err(error) => message.set(Some((false, format!(
                    "This trace is too large for a link ({} KiB), and the proxy could not store it: {error}. Export it as a file instead.",
                    fragment.len() / 1024
                )))),
            }
        });
    };

    let export = move |_| {
        if let Some(trace) = trace.get_untracked() {
            match download_json(&trace) {
                Ok(name) => message.set(Some((true, format!("Saved {name}.")))),
                Err(error) => message.set(Some((false, error))),
            }
        }
    };

    let import = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        if let Some(input) = input {
            input.set_value("");
        }
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string());
            match text.map(|text| Trace::from_json(&text)) {
                Some(Ok(trace)) => {
                    message.set(Some((true, format!("Opened {}.", file.name()))));
                    on_import.run(trace);
                }
                Some(Err(error)) => message.set(Some((
                    false,
                    format!("{} cannot be opened: {error}", file.name()),
                ))),
                None => message.set(Some((
                    false,
                    format!("{} could not be read as text", file.name()),
                ))),
            }
        });
    };

    view! {
        <section class="share-bar" aria-label="Share this run">
            <button type="button" id="copy-link" disabled=move || !finished() on:click=copy_link>"Copy link"</button>
            <button type="button" id="export-trace" disabled=move || !finished() on:click=export>"Export JSON"</button>
            <label class="button" for="import-trace">"Import JSON"</label>
            <input type="file" id="import-trace" accept="application/json,.json" class="visually-hidden" on:change=import />
            <button type="button" id="rerun" disabled=move || !finished() || !can_rerun.get()
                on:click=move |_| if let Some(trace) = trace.get_untracked() { on_rerun.run(trace) }>
                "Re-run"
            </button>
            {move || link.get().map(|link| view! {
                <input type="text" id="share-link" readonly aria-label="Share link" prop:value=link />
            })}
            {move || message.get().map(|(ok, text)| view! {
                <p id="share-message" class=if ok { "note" } else { "error" } role="status">{text}</p>
            })}
        </section>
    }
}

/// The page's address without its fragment.
fn page_address() -> String {
    let location = web_sys::window().map(|w| w.location());
    location
        .and_then(|l| {
            Some(format!(
                "{}{}{}",
                l.origin().ok()?,
                l.pathname().ok()?,
                l.search().ok()?
            ))
        })
        .unwrap_or_default()
}

/// Shows the link and puts it on the clipboard when the browser allows it.
fn publish(
    link: RwSignal<Option<String>>,
    message: RwSignal<Option<(bool, String)>>,
    url: String,
    how: &str,
) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&url);
    }
    link.set(Some(url));
    message.set(Some((true, format!("Link copied. {how}"))));
}

/// Saves the trace as `gog-trace-….json` through a download link.
fn download_json(trace: &Trace) -> Result<String, String> {
    let json = serde_json::to_string_pretty(trace).map_err(|e| e.to_string())?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser refused to make the file".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser refused to make the file".to_owned())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no link element")?
        .unchecked_into();
    let hex = trace.id.trim_start_matches("sha256:");
    let name = format!("gog-trace-{}.json", &hex[..hex.len().min(12)]);
    anchor.set_href(&url);
    anchor.set_download(&name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(name)
}
