//! Search results as cards: image and text results and read pages, shown as text, never markup.

use gog_types::{ImageResult, Page, TextResult};
use leptos::prelude::*;

/// An address safe to link to: only http(s). Result text and URLs come from the web, so nothing
/// of theirs is ever rendered as markup or followed as `javascript:`.
fn web_link(url: Option<&str>) -> Option<String> {
    url.filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(str::to_owned)
}

/// A thumbnail safe to show: an image `data:` URL (the offline corpus) or an https picture.
fn thumbnail_src(url: Option<&str>) -> Option<String> {
    url.filter(|url| url.starts_with("data:image/") || url.starts_with("https://"))
        .map(str::to_owned)
}

/// The title, linked to its source in a new tab when it has a web address.
#[component]
fn SourceTitle(title: String, url: Option<String>) -> impl IntoView {
    match web_link(url.as_deref()) {
        Some(href) => view! {
            <a class="result-title" href=href target="_blank" rel="noopener noreferrer">{title}</a>
        }
        .into_any(),
        None => view! { <span class="result-title">{title}</span> }.into_any(),
    }
}

/// One reverse-image-search result.
#[component]
pub fn ImageResultCard(rank: usize, result: ImageResult) -> impl IntoView {
    view! {
        <li class="result-card image-result">
            {thumbnail_src(result.thumbnail.as_deref()).map(|src| view! {
                <img class="thumbnail" src=src alt=format!("Result {rank}: {}", result.title) loading="lazy" />
            })}
            <div>
                <span class="rank">{rank}". "</span>
                <SourceTitle title=result.title.clone() url=result.page_url.clone() />
                <p class="meta">{format!("score {:.3} · {}", result.score, result.source)}</p>
            </div>
        </li>
    }
}

/// One text-search result with its snippet.
#[component]
pub fn TextResultCard(rank: usize, result: TextResult) -> impl IntoView {
    view! {
        <li class="result-card text-result">
            <div>
                <span class="rank">{rank}". "</span>
                <SourceTitle title=result.title.clone() url=result.url.clone() />
                <p class="snippet">{result.snippet.clone()}</p>
                <p class="meta">{format!("score {:.2} · {}", result.score, result.source)}</p>
            </div>
        </li>
    }
}

/// A page the agent read.
#[component]
pub fn PageCard(page: Page) -> impl IntoView {
    view! {
        <div class="result-card page-read">
            <SourceTitle title=page.title.clone() url=page.url.clone() />
            <p class="page-text">{page.text.clone()}</p>
            <p class="meta">{format!("{} · {}", page.source, page.licence)}</p>
        </div>
    }
}
