//! Calling search providers: requests as plain data, the platform's HTTP client behind the
//! [`Upstream`] trait (the worker's `fetch` with an abort timer; recorded responses in tests),
//! and one retry policy for every provider.

mod retry;

pub use retry::{RetryPolicy, send_with_retries};

/// An HTTP request to a provider, built by a provider module from fixed parts and the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    /// Headers; an API key sent as a header is here, which is why this type is never logged.
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    pub fn get(url: String) -> Self {
        HttpRequest {
            method: "GET",
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post_json(url: String, body: &serde_json::Value) -> Self {
        HttpRequest {
            method: "POST",
            url,
            headers: vec![("content-type", "application/json".into())],
            body: Some(body.to_string().into_bytes()),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The request as it may be shown: scheme, host and path, never the query (SerpApi and
    /// Vision take keys there) nor headers.
    pub fn redacted(&self) -> String {
        let end = self.url.find('?').unwrap_or(self.url.len());
        format!("{} {}", self.method, &self.url[..end])
    }
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// `Retry-After`, when the provider sent one.
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    #[error("no answer within {0} ms")]
    Timeout(u64),
    #[error("the connection failed")]
    Failed,
}

/// The platform's HTTP client and clock, as the retry policy needs them.
#[allow(
    async_fn_in_trait,
    reason = "a worker handles one request on one thread; its futures hold JavaScript values"
)]
pub trait Upstream {
    /// Sends `request`, giving up after `timeout_ms` (the whole exchange, body included).
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, NetworkError>;
    /// Waits `ms` milliseconds.
    async fn sleep(&self, ms: u64);
    /// Unix milliseconds: `Retry-After` may be an HTTP date, measured against this clock.
    fn now_ms(&self) -> u64;
    /// A random number in `[0, 1)` for backoff jitter.
    fn random(&self) -> f64;
}

impl<U: Upstream> Upstream for &U {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, NetworkError> {
        (**self).send(request, timeout_ms).await
    }
    async fn sleep(&self, ms: u64) {
        (**self).sleep(ms).await
    }
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
    fn random(&self) -> f64 {
        (**self).random()
    }
}
