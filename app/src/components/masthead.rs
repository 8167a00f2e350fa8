//! The page's heading: the product's name and what it does.

use leptos::prelude::*;

/// The product's name and what it does, in one line.
#[component]
pub fn Masthead() -> impl IntoView {
    view! {
        <header class="masthead">
            <h1 id="title">"GoG "<span class="subtitle">"Glance or Gaze"</span></h1>
            <p class="pitch">
                "Ask a question about an image. A vision-language model in your browser looks at the whole picture, "
                "then searches the image, a region of it, or the web, and answers with its evidence."
            </p>
        </header>
    }
}
