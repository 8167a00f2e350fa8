//! The image a person asks about: dropped, pasted or picked, checked, and previewed.

use crate::image_input::{self, ImageFacts};
use leptos::{ev, prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, File, Url};

/// An image the person chose, checked and ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct PickedImage {
    pub file_name: String,
    pub facts: ImageFacts,
    /// A `blob:` URL for the preview; revoked when the image is replaced.
    pub object_url: String,
    /// The file's bytes, sent to the model's worker with a question.
    pub bytes: std::sync::Arc<[u8]>,
}

impl PickedImage {
    /// Checks `bytes` and makes the preview; the error is the message to show.
    pub fn from_bytes(file_name: String, bytes: Vec<u8>) -> Result<Self, String> {
        let facts = image_input::inspect(&bytes).map_err(|err| format!("{file_name}: {err}"))?;
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        let options = BlobPropertyBag::new();
        options.set_type(image_input::mime_type(facts.format));
        let object_url = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            .and_then(|blob| Url::create_object_url_with_blob(&blob))
            .map_err(|_| "the browser refused to show this image".to_owned())?;
        Ok(PickedImage {
            file_name,
            facts,
            object_url,
            bytes: bytes.into(),
        })
    }

    /// Makes this the image asked about, releasing the preview of the one it replaces.
    pub fn show_in(self, image: RwSignal<Option<PickedImage>>) {
        if let Some(old) = image.get_untracked() {
            let _ = Url::revoke_object_url(&old.object_url);
        }
        image.set(Some(self));
    }
}

/// Where an image comes in: drop it, pick it, or paste it anywhere on the page.
#[component]
pub fn ImageDropZone(image: RwSignal<Option<PickedImage>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);

    let accept = move |file: File| {
        spawn_local(async move {
            match read_image(&file).await {
                Ok(picked) => {
                    error.set(None);
                    picked.show_in(image);
                }
                // The previous image, if any, stays: a bad file loses nothing.
                Err(message) => error.set(Some(message)),
            }
        });
    };

    let _paste = window_event_listener(ev::paste, move |ev| {
        let file = ev
            .clipboard_data()
            .and_then(|data| data.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file {
            ev.prevent_default();
            accept(file);
        }
    });

    view! {
        <div
            id="drop-zone"
            class="drop-zone"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: ev::DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                    accept(file);
                }
            }
        >
            {move || match image.get() {
                Some(picked) => view! {
                    <figure class="preview">
                        <img id="image-preview" src=picked.object_url.clone() alt=format!("The image to ask about: {}", picked.file_name) />
                        <figcaption id="image-facts">
                            {format!(
                                "{} · {} · {}×{}",
                                picked.file_name, picked.facts.format_name(), picked.facts.width, picked.facts.height
                            )}
                        </figcaption>
                    </figure>
                }.into_any(),
                None => view! {
                    <p class="drop-hint">"Drop an image here, paste one, or choose a file."</p>
                }.into_any(),
            }}
            <label class="pick" for="image-input">"Choose an image"</label>
            <input
                id="image-input"
                type="file"
                accept="image/png,image/jpeg,image/webp,image/gif"
                on:change=move |ev| {
                    let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                    if let Some(file) = input.as_ref().and_then(|i| i.files()).and_then(|f| f.get(0)) {
                        accept(file);
                    }
                    // Let the same file be picked again after an error.
                    if let Some(input) = input {
                        input.set_value("");
                    }
                }
            />
            <p id="image-error" class="error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// Reads and checks a file; the error is the message to show.
async fn read_image(file: &File) -> Result<PickedImage, String> {
    let buffer = file
        .array_buffer()
        .await
        .map_err(|_| format!("{} could not be read", file.name()))?;
    PickedImage::from_bytes(file.name(), js_sys::Uint8Array::new(&buffer).to_vec())
}
