//! The start page, one component per thing it shows.

mod image_drop_zone;
mod masthead;
mod question_box;
mod status_panel;

pub use image_drop_zone::{ImageDropZone, PickedImage};
pub use masthead::Masthead;
pub use question_box::QuestionBox;
pub use status_panel::{ProxyStatus, StatusPanel, WebGpuStatusRow};

use leptos::prelude::*;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let image = RwSignal::new(None::<PickedImage>);
    let question = RwSignal::new(String::new());
    let proxy_url = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .map(|search| crate::proxy::base_url(&search))
        .unwrap_or_else(|| crate::proxy::DEFAULT_PROXY_URL.to_owned());

    view! {
        <Masthead />
        <main class="layout">
            <section class="ask" aria-label="Ask about an image">
                <ImageDropZone image=image />
                <QuestionBox question=question image=image />
            </section>
            <StatusPanel proxy_url=proxy_url />
        </main>
    }
}
