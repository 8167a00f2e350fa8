//! Jina Reader: a page's readable text, asked for as JSON. Only pages a search returned reach
//! here (their read tokens are checked first), and only http(s) URLs without credentials.

use gog_types::Page;
use gog_types::SearchError;
use serde::Deserialize;

use super::parse_json;
use crate::upstream::HttpRequest;

pub const NAME: &str = "jina";
pub const ORIGIN: &str = "https://r.jina.ai";

/// The most characters of a page handed on: a model reads a few thousand at most.
pub const MAX_PAGE_CHARS: usize = 100_000;

/// A request for `page`'s text, or why the page is not readable.
pub fn request(origin: &str, key: Option<&str>, page: &str) -> Result<HttpRequest, SearchError> {
    let url = url::Url::parse(page).map_err(|_| SearchError::UnknownPage(page.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(SearchError::UnknownPage(page.to_owned()));
    }
    let request = HttpRequest::get(format!("{origin}/{url}"))
        .header("accept", "application/json")
        .header("x-return-format", "text");
    Ok(match key {
        Some(key) => request.header("authorization", format!("Bearer {key}")),
        None => request,
    })
}

#[derive(Deserialize)]
struct Response {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    title: String,
    url: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    text: String,
}

pub fn parse(page: &str, body: &[u8]) -> Result<Page, SearchError> {
    let response: Response = parse_json(NAME, body)?;
    let data = response.data;
    let text = if data.content.is_empty() {
        data.text
    } else {
        data.content
    };
    Ok(Page {
        id: page.to_owned(),
        title: data.title,
        text: text.chars().take(MAX_PAGE_CHARS).collect(),
        url: Some(data.url.unwrap_or_else(|| page.to_owned())),
        source: NAME.to_owned(),
        licence: "the page's own terms".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::recorded::response;

    #[test]
    fn request_reads_through_the_reader_with_an_optional_key() {
        let request = request(
            ORIGIN,
            Some("KEY"),
            "https://en.wikipedia.org/wiki/Eiffel_Tower",
        )
        .expect("readable");
        assert_eq!(
            request.url,
            "https://r.jina.ai/https://en.wikipedia.org/wiki/Eiffel_Tower"
        );
        assert!(
            request
                .headers
                .contains(&("authorization", "Bearer KEY".into()))
        );
        let anonymous = super::request(ORIGIN, None, "http://example.org/").expect("readable");
        assert!(
            anonymous
                .headers
                .iter()
                .all(|(name, _)| *name != "authorization")
        );
    }

    #[test]
    fn only_plain_http_pages_are_read() {
        for page in [
            "file:///etc/passwd",
            "https://user:pw@example.org/",
            "not a url",
            "javascript:alert(1)",
        ] {
            assert!(request(ORIGIN, None, page).is_err(), "{page}");
        }
    }

    #[test]
    fn parses_a_recorded_page() {
        let page = parse(
            "https://en.wikipedia.org/wiki/Eiffel_Tower",
            &response("jina_reader.json"),
        )
        .expect("parses");
        assert_eq!(page.title, "Eiffel Tower - Wikipedia");
        assert!(page.text.contains("1889"));
        assert_eq!(page.source, "jina");
    }
}
