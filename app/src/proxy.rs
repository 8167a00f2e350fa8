//! Talking to the search proxy: where it is, and whether it answers.

use gog_types::wire::{ErrorBody, HealthReport, SharedTrace};

/// Where the proxy is when nothing else says: the local `wrangler dev` of `cargo xtask demo`,
/// unless the build sets `GOG_PROXY_URL`.
pub const DEFAULT_PROXY_URL: &str = match option_env!("GOG_PROXY_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8787",
};

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
    #[error("{url} answered something GoG cannot read: {reason}")]
    Unreadable { url: String, reason: String },
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
        .map_err(|err| unreachable(&url, &err))?;
    let text = body_text(&url, response).await?;
    serde_json::from_str(&text).map_err(|err| ProxyError::Unreadable {
        url,
        reason: err.to_string(),
    })
}

/// The body of a successful answer, or the proxy's error message as a [`ProxyError::Status`].
async fn body_text(url: &str, response: gloo_net::http::Response) -> Result<String, ProxyError> {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if response.ok() {
        return Ok(text);
    }
    let message = ErrorBody::message_of(text.as_bytes()).unwrap_or(text);
    Err(ProxyError::Status {
        url: url.to_owned(),
        status,
        message,
    })
}

fn unreachable(url: &str, err: &gloo_net::Error) -> ProxyError {
    ProxyError::Unreachable {
        url: url.to_owned(),
        reason: err.to_string(),
    }
}

/// Stores a sealed trace through the proxy (`PUT /v1/traces`); its id comes back.
pub async fn share_trace(base: &str, canonical_json: String) -> Result<String, ProxyError> {
    let url = format!("{base}/v1/traces");
    let request = gloo_net::http::Request::put(&url)
        .header("content-type", "application/json")
        .body(canonical_json)
        .map_err(|err| unreachable(&url, &err))?;
    let response = request
        .send()
        .await
        .map_err(|err| unreachable(&url, &err))?;
    let text = body_text(&url, response).await?;
    serde_json::from_str::<SharedTrace>(&text)
        .map(|stored| stored.id)
        .map_err(|err| ProxyError::Unreadable {
            url,
            reason: err.to_string(),
        })
}

/// A shared trace's JSON (`GET /v1/traces/{id}`), unchecked: the caller reads it with
/// `Trace::from_json`, which checks it against its id.
pub async fn shared_trace(base: &str, id: &str) -> Result<String, ProxyError> {
    let url = format!("{base}/v1/traces/{id}");
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|err| unreachable(&url, &err))?;
    body_text(&url, response).await
}
