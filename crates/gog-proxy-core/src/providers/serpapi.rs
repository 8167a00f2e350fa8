//! SerpApi: `google_lens` for reverse image search (it takes an image URL, not bytes) and
//! `google` for web search. The key travels in the query string, as SerpApi requires; requests
//! are never logged with their query for that reason.

use gog_types::SearchError;
use gog_types::{ImageResult, TextResult};
use serde::Deserialize;
use url::form_urlencoded;

use super::{ImageHit, WebHit, image_results, parse_json, web_results};
use crate::upstream::HttpRequest;

pub const NAME: &str = "serpapi";
pub const LENS_NAME: &str = "serpapi_lens";
pub const ORIGIN: &str = "https://serpapi.com";

fn search_url(origin: &str, params: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{origin}/search.json?{query}")
}

/// A Google Lens search for the image at `image_url`.
pub fn lens_request(origin: &str, key: &str, image_url: &str) -> HttpRequest {
    HttpRequest::get(search_url(
        origin,
        &[
            ("engine", "google_lens"),
            ("url", image_url),
            ("type", "visual_matches"),
            ("hl", "en"),
            ("api_key", key),
        ],
    ))
}

/// A Google web search.
pub fn web_request(origin: &str, key: &str, query: &str, k: usize) -> HttpRequest {
    HttpRequest::get(search_url(
        origin,
        &[
            ("engine", "google"),
            ("q", query),
            ("num", &k.to_string()),
            ("hl", "en"),
            ("api_key", key),
        ],
    ))
}

#[derive(Deserialize)]
struct LensResponse {
    #[serde(default)]
    visual_matches: Vec<VisualMatch>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct VisualMatch {
    title: String,
    link: String,
    source: Option<String>,
    thumbnail: Option<String>,
}

#[derive(Deserialize)]
struct WebResponse {
    #[serde(default)]
    organic_results: Vec<Organic>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Organic {
    title: String,
    link: String,
    #[serde(default)]
    snippet: String,
    source: Option<String>,
}

/// SerpApi answers "no results" as an `error` with status 200; that is an empty list, not a
/// failure. Other errors are failures, reported without SerpApi's text.
fn check_error(provider: &str, error: Option<String>) -> Result<(), SearchError> {
    match error {
        Some(message) if !message.contains("hasn't returned any results") => Err(
            SearchError::Unavailable(format!("{provider} reported an error")),
        ),
        _ => Ok(()),
    }
}

pub fn parse_lens(body: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
    let response: LensResponse = parse_json(LENS_NAME, body)?;
    check_error(LENS_NAME, response.error)?;
    let hits = response.visual_matches.into_iter().map(|found| ImageHit {
        title: found.title,
        url: found.link,
        thumbnail: found.thumbnail,
        source: found.source.unwrap_or_else(|| LENS_NAME.to_owned()),
    });
    Ok(image_results(hits, k))
}

pub fn parse_web(body: &[u8], k: usize) -> Result<Vec<TextResult>, SearchError> {
    let response: WebResponse = parse_json(NAME, body)?;
    check_error(NAME, response.error)?;
    let hits = response.organic_results.into_iter().map(|found| WebHit {
        title: found.title,
        url: found.link,
        snippet: found.snippet,
        source: found.source.unwrap_or_else(|| NAME.to_owned()),
    });
    Ok(web_results(hits, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::recorded::response;

    #[test]
    fn lens_request_carries_the_image_url_and_key_in_the_query() {
        let request = lens_request(
            ORIGIN,
            "KEY",
            "https://proxy.example/v1/images/ab?exp=1&sig=x",
        );
        assert_eq!(request.method, "GET");
        assert!(request.url.starts_with("https://serpapi.com/search.json?engine=google_lens&url=https%3A%2F%2Fproxy.example%2Fv1%2Fimages%2Fab%3Fexp%3D1%26sig%3Dx"), "{}", request.url);
        assert!(request.url.ends_with("&api_key=KEY"));
        assert_eq!(request.redacted(), "GET https://serpapi.com/search.json");
    }

    #[test]
    fn parses_recorded_lens_matches() {
        let results = parse_lens(&response("serpapi_lens.json"), 2).expect("parses");
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].title, "Eiffel Tower - Wikipedia");
        assert_eq!(
            results[0].page,
            "https://en.wikipedia.org/wiki/Eiffel_Tower"
        );
        assert_eq!(results[0].source, "Wikipedia");
        assert!(
            results[0]
                .thumbnail
                .as_deref()
                .is_some_and(|t| t.starts_with("https://"))
        );
        assert!(results[0].score > results[1].score);
    }

    #[test]
    fn parses_recorded_web_results_as_plain_text() {
        let results = parse_web(&response("serpapi_google.json"), 5).expect("parses");
        assert_eq!(results.len(), 3);
        assert_eq!(
            results[0].url.as_deref(),
            Some("https://en.wikipedia.org/wiki/Eiffel_Tower")
        );
        assert!(!results[0].snippet.contains('<'), "{}", results[0].snippet);
    }

    #[test]
    fn no_results_is_empty_and_other_errors_fail_quietly() {
        let empty = br#"{"error": "Google Lens hasn't returned any results for this query."}"#;
        assert!(parse_lens(empty, 5).expect("empty").is_empty());
        let invalid = br#"{"error": "Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key"}"#;
        let err = parse_web(invalid, 5).unwrap_err().to_string();
        assert!(
            err.contains("serpapi reported an error") && !err.contains("Invalid"),
            "{err}"
        );
        assert!(parse_web(b"<html>", 5).is_err());
    }
}
