//! Serper.dev web search: `POST /search` with the key in the `X-API-KEY` header.

use gog_types::SearchError;
use gog_types::TextResult;
use serde::Deserialize;

use super::{WebHit, parse_json, web_results};
use crate::upstream::HttpRequest;

pub const NAME: &str = "serper";
pub const ORIGIN: &str = "https://google.serper.dev";

pub fn web_request(origin: &str, key: &str, query: &str, k: usize) -> HttpRequest {
    HttpRequest::post_json(
        format!("{origin}/search"),
        &serde_json::json!({ "q": query, "num": k, "hl": "en" }),
    )
    .header("x-api-key", key)
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    organic: Vec<Organic>,
}

#[derive(Deserialize)]
struct Organic {
    title: String,
    link: String,
    #[serde(default)]
    snippet: String,
}

pub fn parse_web(body: &[u8], k: usize) -> Result<Vec<TextResult>, SearchError> {
    let response: Response = parse_json(NAME, body)?;
    let hits = response.organic.into_iter().map(|found| WebHit {
        title: found.title,
        url: found.link,
        snippet: found.snippet,
        source: NAME.to_owned(),
    });
    Ok(web_results(hits, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::recorded::response;

    #[test]
    fn request_sends_the_key_as_a_header_not_in_the_url() {
        let request = web_request(ORIGIN, "KEY", "eiffel tower height", 3);
        assert_eq!(request.url, "https://google.serper.dev/search");
        assert!(request.headers.contains(&("x-api-key", "KEY".into())));
        let body: serde_json::Value =
            serde_json::from_slice(request.body.as_deref().expect("a body")).expect("JSON");
        assert_eq!(body["q"], "eiffel tower height");
        assert_eq!(body["num"], 3);
    }

    #[test]
    fn parses_recorded_results() {
        let results = parse_web(&response("serper_search.json"), 2).expect("parses");
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].title, "Eiffel Tower - Wikipedia");
        assert!(results[0].snippet.contains("wrought-iron"));
    }
}
