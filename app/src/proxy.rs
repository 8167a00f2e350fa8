//! Talking to the search proxy: where it is, and whether it answers.

use serde::Deserialize;

/// Where the proxy is when nothing else says: the local `wrangler dev` of `cargo xtask demo`,
/// unless the build sets `GOG_PROXY_URL`.
pub const DEFAULT_PROXY_URL: &str = match option_env!("GOG_PROXY_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8787",
};

/// The proxy's `GET /v1/health` answer, read leniently so newer proxies stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HealthReport {
    pub status: String,
    pub version: String,
    #[serde(default)]
    pub backends: Vec<String>,
}

/// Why the proxy could not be asked, or what it said instead of "ok".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "no answer from {url} ({reason}); is the proxy running, and does it allow this page's origin?"
    )]
    Unreachable { url: String, reason: String },
    #[error("{url} answered HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url} answered something that is not a GoG health report: {reason}")]
    NotAHealthReport { url: String, reason: String },
}

/// The proxy base URL: the page's `?proxy=` parameter when it is an http(s) URL, otherwise
/// [`DEFAULT_PROXY_URL`].
pub fn base_url(page_search: &str) -> String {
    web_sys::UrlSearchParams::new_with_str(page_search)
        .ok()
        .and_then(|params| params.get("proxy"))
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
        .unwrap_or_else(|| DEFAULT_PROXY_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// Asks the proxy at `base` for its health.
pub async fn health(base: &str) -> Result<HealthReport, ProxyError> {
    let url = format!("{base}/v1/health");
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|err| ProxyError::Unreachable {
            url: url.clone(),
            reason: err.to_string(),
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !response.ok() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|body| body["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(text);
        return Err(ProxyError::Status {
            url,
            status,
            message,
        });
    }
    serde_json::from_str(&text).map_err(|err| ProxyError::NotAHealthReport {
        url,
        reason: err.to_string(),
    })
}
