//! Brave Search web search: `GET /res/v1/web/search` with the key in `X-Subscription-Token`.
//! Descriptions carry `<strong>` highlights, which are dropped.

use gog_types::SearchError;
use gog_types::TextResult;
use serde::Deserialize;
use url::form_urlencoded;

use super::{WebHit, parse_json, web_results};
use crate::upstream::HttpRequest;

pub const NAME: &str = "brave";
pub const ORIGIN: &str = "https://api.search.brave.com";

pub fn web_request(origin: &str, key: &str, query: &str, k: usize) -> HttpRequest {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", query)
        .append_pair("count", &k.to_string())
        .finish();
    HttpRequest::get(format!("{origin}/res/v1/web/search?{query}"))
        .header("accept", "application/json")
        .header("x-subscription-token", key)
}

#[derive(Deserialize)]
struct Response {
    web: Option<Web>,
}

#[derive(Deserialize)]
struct Web {
    #[serde(default)]
    results: Vec<Found>,
}

#[derive(Deserialize)]
struct Found {
    title: String,
    url: String,
    #[serde(default)]
    description: String,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: String,
}

pub fn parse_web(body: &[u8], k: usize) -> Result<Vec<TextResult>, SearchError> {
    let response: Response = parse_json(NAME, body)?;
    let found = response.web.map(|web| web.results).unwrap_or_default();
    let hits = found.into_iter().map(|found| WebHit {
        title: found.title,
        url: found.url,
        snippet: found.description,
        source: found.profile.map_or_else(|| NAME.to_owned(), |p| p.name),
    });
    Ok(web_results(hits, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::recorded::response;

    #[test]
    fn request_encodes_the_query_and_sends_the_key_as_a_header() {
        let request = web_request(ORIGIN, "KEY", "tour eiffel & height", 4);
        assert_eq!(
            request.url,
            "https://api.search.brave.com/res/v1/web/search?q=tour+eiffel+%26+height&count=4"
        );
        assert!(
            request
                .headers
                .contains(&("x-subscription-token", "KEY".into()))
        );
    }

    #[test]
    fn parses_recorded_results_without_markup() {
        let results = parse_web(&response("brave_web.json"), 5).expect("parses");
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].source, "Wikipedia");
        assert!(
            !results[0].snippet.contains("<strong>"),
            "{}",
            results[0].snippet
        );
        assert!(results[0].snippet.contains("Eiffel Tower"));
        // A search with no web results has no `web` section.
        assert!(
            parse_web(br#"{"type": "search"}"#, 5)
                .expect("empty")
                .is_empty()
        );
    }
}
