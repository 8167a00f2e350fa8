//! Google Cloud Vision `WEB_DETECTION`: reverse image search that takes the image's bytes, so a
//! crop needs no public URL. The key goes in the `X-Goog-Api-Key` header, not the URL.

use base64::Engine as _;
use gog_types::ImageResult;
use gog_types::SearchError;
use serde::Deserialize;

use super::{ImageHit, image_results, parse_json};
use crate::upstream::HttpRequest;

pub const NAME: &str = "google_vision";
pub const ORIGIN: &str = "https://vision.googleapis.com";

pub fn request(origin: &str, key: &str, image: &[u8], k: usize) -> HttpRequest {
    let content = base64::engine::general_purpose::STANDARD.encode(image);
    HttpRequest::post_json(
        format!("{origin}/v1/images:annotate"),
        &serde_json::json!({
            "requests": [{
                "image": { "content": content },
                "features": [{ "type": "WEB_DETECTION", "maxResults": k }],
            }]
        }),
    )
    .header("x-goog-api-key", key)
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    responses: Vec<Annotation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    web_detection: Option<WebDetection>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebDetection {
    #[serde(default)]
    pages_with_matching_images: Vec<MatchingPage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MatchingPage {
    url: String,
    #[serde(default)]
    page_title: String,
    #[serde(default)]
    full_matching_images: Vec<ImageUrl>,
    #[serde(default)]
    partial_matching_images: Vec<ImageUrl>,
}

#[derive(Deserialize)]
struct ImageUrl {
    url: String,
}

/// Pages showing the image, best first; each with the matching picture as its thumbnail.
pub fn parse(body: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
    let response: Response = parse_json(NAME, body)?;
    let Some(annotation) = response.responses.into_iter().next() else {
        return Ok(Vec::new());
    };
    if annotation.error.is_some() {
        return Err(SearchError::Unavailable(format!(
            "{NAME} could not annotate the image"
        )));
    }
    let pages = annotation
        .web_detection
        .map(|web| web.pages_with_matching_images)
        .unwrap_or_default();
    let hits = pages.into_iter().map(|page| ImageHit {
        title: page.page_title,
        thumbnail: page
            .full_matching_images
            .into_iter()
            .chain(page.partial_matching_images)
            .next()
            .map(|image| image.url),
        url: page.url,
        source: NAME.to_owned(),
    });
    Ok(image_results(hits, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::recorded::response;

    #[test]
    fn request_sends_base64_bytes_and_the_key_as_a_header() {
        let request = request(ORIGIN, "KEY", b"\x89PNG", 4);
        assert_eq!(
            request.url,
            "https://vision.googleapis.com/v1/images:annotate"
        );
        assert!(request.headers.contains(&("x-goog-api-key", "KEY".into())));
        let body: serde_json::Value =
            serde_json::from_slice(request.body.as_deref().expect("a body")).expect("JSON");
        assert_eq!(body["requests"][0]["image"]["content"], "iVBORw==");
        assert_eq!(body["requests"][0]["features"][0]["maxResults"], 4);
    }

    #[test]
    fn parses_recorded_pages_with_matching_images() {
        let results = parse(&response("google_vision_web.json"), 5).expect("parses");
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].title, "Eiffel Tower - Wikipedia");
        assert!(results[0].thumbnail.is_some());
        assert_eq!(results[1].page, "https://www.toureiffel.paris/en");
    }

    #[test]
    fn an_annotation_error_fails_without_echoing_it() {
        let body = br#"{"responses":[{"error":{"code":3,"message":"Bad image data."}}]}"#;
        let err = parse(body, 5).unwrap_err().to_string();
        assert!(!err.contains("Bad image"), "{err}");
    }
}
