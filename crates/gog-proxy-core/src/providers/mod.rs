//! The live providers, each as pure functions: build the HTTP request for a search, parse the
//! provider's JSON into the shared result types. Nothing here touches the network, so every
//! provider is tested natively against recorded responses (`tests/fixtures/providers/`).

pub mod brave;
pub mod google_vision;
pub mod jina;
pub mod serpapi;
pub mod serper;

use gog_types::SearchError;
use gog_types::{ImageResult, TextResult};
use serde::de::DeserializeOwned;

/// A provider's origin, or the test upstream standing in for every provider.
pub fn origin(default: &'static str, test_upstream: Option<&str>) -> String {
    test_upstream.unwrap_or(default).to_owned()
}

/// A provider's list price per request, in millionths of a US dollar, for the daily spend cap.
/// Late-2026 list prices of the cheapest paid plan; docs/DEPLOY.md shows the arithmetic.
pub fn price_micro_usd(provider: &str) -> u64 {
    match provider {
        serpapi::LENS_NAME | serpapi::NAME => 15_000,
        google_vision::NAME => 3_500,
        brave::NAME => 5_000,
        serper::NAME => 1_000,
        jina::NAME => 500,
        _ => 0,
    }
}

/// Parses a provider's JSON body; a body that is not the documented shape is the provider's
/// failure, reported without echoing the body.
fn parse_json<T: DeserializeOwned>(provider: &str, body: &[u8]) -> Result<T, SearchError> {
    serde_json::from_slice(body).map_err(|err| {
        SearchError::Unavailable(format!(
            "{provider} answered with JSON of an unexpected shape ({err})"
        ))
    })
}

/// Text from a provider's HTML fragment (`<b>`, `<strong>`, entities): results carry plain text,
/// never markup.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = html_escape::decode_html_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A score for the result at 1-based `position`: providers rank but do not score.
fn rank_score(position: usize) -> f32 {
    1.0 / position.max(1) as f32
}

/// A web page a text search found, as the provider lists it (titles and snippets may hold
/// markup).
struct WebHit {
    title: String,
    url: String,
    snippet: String,
    source: String,
}

/// The first `k` hits as results, in the provider's order, as plain text.
fn web_results(hits: impl IntoIterator<Item = WebHit>, k: usize) -> Vec<TextResult> {
    hits.into_iter()
        .take(k)
        .enumerate()
        .map(|(i, hit)| TextResult {
            title: plain_text(&hit.title),
            page: hit.url.clone(),
            url: Some(hit.url),
            snippet: plain_text(&hit.snippet),
            source: hit.source,
            score: rank_score(i + 1),
        })
        .collect()
}

/// A page showing the searched picture, as the provider lists it.
struct ImageHit {
    title: String,
    url: String,
    thumbnail: Option<String>,
    source: String,
}

/// The first `k` hits as results, in the provider's order; a page without a title is shown by
/// its URL.
fn image_results(hits: impl IntoIterator<Item = ImageHit>, k: usize) -> Vec<ImageResult> {
    hits.into_iter()
        .take(k)
        .enumerate()
        .map(|(i, hit)| {
            let title = plain_text(&hit.title);
            ImageResult {
                title: if title.is_empty() {
                    hit.url.clone()
                } else {
                    title
                },
                page: hit.url.clone(),
                page_url: Some(hit.url),
                thumbnail: hit.thumbnail,
                source: hit.source,
                score: rank_score(i + 1),
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod recorded {
    //! Recorded provider responses, kept in `tests/fixtures/providers/`.

    pub fn response(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/providers")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_markup_and_decodes_entities() {
        assert_eq!(
            plain_text("The <strong>Eiffel&nbsp;Tower</strong> &amp; its\n  <b>height</b>"),
            "The Eiffel Tower & its height"
        );
    }
}
