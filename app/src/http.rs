//! Plain GETs of the app's own files (the gallery, package manifests), with errors worded for the
//! page.

use gloo_net::http::{Request, Response};

/// `url`, whatever status it answered with.
pub async fn get_any(url: &str) -> Result<Response, String> {
    Request::get(url)
        .send()
        .await
        .map_err(|err| format!("{url} could not be fetched: {err}"))
}

/// `response` from `url` if its status is a success.
pub fn checked(url: &str, response: Response) -> Result<Response, String> {
    if response.ok() {
        Ok(response)
    } else {
        Err(format!("{url} answered HTTP {}", response.status()))
    }
}

/// `url`, answered with a success status.
pub async fn get(url: &str) -> Result<Response, String> {
    checked(url, get_any(url).await?)
}

/// The body of `response` from `url` as text.
pub async fn text(url: &str, response: Response) -> Result<String, String> {
    response
        .text()
        .await
        .map_err(|err| format!("{url} could not be read: {err}"))
}
