//! Routing: one request in, one response out. Limits are applied in the order that costs least
//! — route, method, rate limit, declared length — before the body is read, and CORS the same
//! way on every route.

use serde::Serialize;

use crate::config::{ConfigError, ProxyConfig};
use crate::error::{ApiError, ErrorCode};
use crate::health;
use crate::input::{self, MAX_IMAGE_BYTES, MAX_JSON_BYTES, MAX_TRACE_BYTES};
use crate::search_api::{self, Checked, ImageQuery, SearchApi, TextQuery};
use crate::spend::Priced;
use crate::store::Store;
use crate::{image_url, shared_traces};
use gog_types::SearchBackend;
use gog_types::wire::SharedTrace;

/// An HTTP method, as far as routing cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Options,
    Other(String),
}

impl Method {
    pub fn parse(method: &str) -> Self {
        match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "OPTIONS" => Method::Options,
            _ => Method::Other(method.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }
}

/// What the core needs to know about a request before reading its body.
#[derive(Debug, Clone)]
pub struct ProxyRequest<'a> {
    pub method: Method,
    /// The URL path.
    pub path: &'a str,
    /// The URL query, without `?` (empty when there is none).
    pub query: &'a str,
    /// The `Origin` header, if the request came from a browser page.
    pub origin: Option<&'a str>,
    /// Who is asking, for the rate limit (`cf-connecting-ip`).
    pub client: &'a str,
    /// The declared `Content-Length`, checked before the body is read.
    pub content_length: Option<u64>,
}

/// A complete response: the worker adapter copies it field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl ProxyResponse {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn bytes(status: u16, content_type: &str, cache: &str, body: Vec<u8>) -> Self {
        ProxyResponse {
            status,
            headers: vec![
                ("content-type", content_type.to_owned()),
                ("cache-control", cache.to_owned()),
                ("x-content-type-options", "nosniff".into()),
            ],
            body,
        }
    }

    fn json(status: u16, value: &impl Serialize) -> Self {
        let body = serde_json::to_vec(value).expect("API values are plain data");
        ProxyResponse::bytes(status, JSON, "no-store", body)
    }

    fn error(error: &ApiError) -> Self {
        let mut response = ProxyResponse::bytes(
            error.code.status(),
            JSON,
            "no-store",
            error.to_json().into_bytes(),
        );
        if let Some(seconds) = error.retry_after {
            response.headers.push(("retry-after", seconds.to_string()));
        }
        response
    }
}

const JSON: &str = "application/json; charset=utf-8";

/// The platform services a request may use. The worker provides Workers KV, R2, the rate-limit
/// binding and `fetch`; tests provide doubles.
#[allow(
    async_fn_in_trait,
    reason = "a worker handles one request on one thread; its futures hold JavaScript values"
)]
pub trait Bindings {
    type Backend: SearchBackend + Priced;
    type Store: Store;
    type Images: Store;
    /// The backend `config` asks for; called only by the search routes, so the offline corpus
    /// is loaded only when a search needs it.
    async fn backend(&self, config: &ProxyConfig) -> Result<Self::Backend, ApiError>;
    /// Recorded searches, shared traces and spend counters (Workers KV).
    fn store(&self) -> &Self::Store;
    /// Crops served to image providers (R2).
    fn images(&self) -> &Self::Images;
    /// Whether `client` may make another rate-limited request now.
    async fn allow(&self, client: &str) -> Result<bool, ApiError>;
    /// Unix seconds now.
    fn now(&self) -> u64;
}

/// A route, with its path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Health,
    SearchImage,
    SearchText,
    Read,
    Traces,
    Trace(&'a str),
    Image(&'a str),
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        Some(match path {
            "/v1/health" => Route::Health,
            "/v1/search/image" => Route::SearchImage,
            "/v1/search/text" => Route::SearchText,
            "/v1/read" => Route::Read,
            "/v1/traces" => Route::Traces,
            _ => {
                if let Some(id) = path.strip_prefix("/v1/traces/") {
                    Route::Trace(id)
                } else {
                    Route::Image(path.strip_prefix("/v1/images/")?)
                }
            }
        })
    }

    /// The methods the route accepts, besides the `OPTIONS` preflight.
    fn methods(self) -> &'static [&'static str] {
        match self {
            Route::Health | Route::Trace(_) => &["GET", "HEAD"],
            Route::SearchImage | Route::SearchText | Route::Read => &["POST"],
            Route::Traces => &["PUT"],
            Route::Image(_) => &["GET"],
        }
    }

    /// Routes that spend search budget or storage are rate-limited per client; reading a
    /// shared trace, an image URL a provider fetches, and health are not.
    fn rate_limited(self) -> bool {
        matches!(
            self,
            Route::SearchImage | Route::SearchText | Route::Read | Route::Traces
        )
    }

    fn body_limit(self) -> usize {
        match self {
            Route::SearchImage => MAX_IMAGE_BYTES,
            Route::Traces => MAX_TRACE_BYTES,
            _ => MAX_JSON_BYTES,
        }
    }
}

/// The request headers a browser may send; anything else fails the preflight.
const ALLOWED_REQUEST_HEADERS: &str = "content-type";
/// How long a browser may cache a successful preflight, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";
/// Results an image search returns when `?k=` is not given.
const DEFAULT_K: usize = 5;

/// Answers one request. `config` is the result of reading the environment, so that a broken
/// configuration is reported to the caller instead of taking the worker down; `read_body` is
/// called at most once, after every check that needs no body, with the route's limit: it may
/// stop reading once it has more bytes than that (the answer is then 413).
pub async fn respond<B: Bindings>(
    request: &ProxyRequest<'_>,
    read_body: impl AsyncFnOnce(usize) -> Result<Vec<u8>, String>,
    config: &Result<ProxyConfig, ConfigError>,
    bindings: &B,
    version: &'static str,
) -> ProxyResponse {
    let config = match config {
        Ok(config) => config,
        Err(err) => {
            let error = ApiError::new(
                ErrorCode::Misconfigured,
                format!("the proxy is misconfigured: {err}"),
            );
            // Without a configuration there is no allow-list; the error names variables, never
            // secret values, so any page may read it and tell its user what is wrong.
            return with_cors(ProxyResponse::error(&error), request.origin, true);
        }
    };
    let origin_allowed = request
        .origin
        .is_some_and(|origin| config.allowed_origins.allows(origin));
    let Some(route) = Route::parse(request.path) else {
        let error = ApiError::new(
            ErrorCode::NotFound,
            format!("no route {}; see docs/API.md", request.path),
        );
        return with_cors(ProxyResponse::error(&error), request.origin, origin_allowed);
    };
    if request.method == Method::Options {
        return preflight(request, route.methods(), origin_allowed);
    }
    let mut response = match answer(request, route, read_body, config, bindings, version).await {
        Ok(response) => response,
        Err(error) => {
            let mut response = ProxyResponse::error(&error);
            if error.code == ErrorCode::MethodNotAllowed {
                response.headers.push(("allow", route.methods().join(", ")));
            }
            response
        }
    };
    if request.method == Method::Head {
        response.body.clear();
    }
    with_cors(response, request.origin, origin_allowed)
}

async fn answer<B: Bindings>(
    request: &ProxyRequest<'_>,
    route: Route<'_>,
    read_body: impl AsyncFnOnce(usize) -> Result<Vec<u8>, String>,
    config: &ProxyConfig,
    bindings: &B,
    version: &'static str,
) -> Result<ProxyResponse, ApiError> {
    let method = request.method.as_str();
    let head_as_get = request.method == Method::Head && route.methods().contains(&"HEAD");
    if !route.methods().contains(&method) && !head_as_get {
        return Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!(
                "{} accepts {}, not {method}",
                request.path,
                route.methods().join(", ")
            ),
        ));
    }
    if route.rate_limited() && !bindings.allow(request.client).await? {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many requests from this address; wait and try again",
        )
        .retry_after(config.rate_limit_period));
    }
    let limit = route.body_limit();
    if let Some(declared) = request.content_length {
        input::check_size(usize::try_from(declared).unwrap_or(usize::MAX), limit)?;
    }
    // An image search's `k` is in its URL: checked before its body is read.
    let k = if route == Route::SearchImage {
        k_of(request.query)?
    } else {
        DEFAULT_K
    };
    let body = if matches!(request.method, Method::Post | Method::Put) {
        let body = read_body(limit).await.map_err(|err| {
            ApiError::new(ErrorCode::BadRequest, format!("unreadable body: {err}"))
        })?;
        input::check_size(body.len(), limit)?;
        body
    } else {
        Vec::new()
    };

    let now = bindings.now();
    match route {
        Route::Health => Ok(ProxyResponse::json(200, &health::report(config, version))),
        Route::SearchImage | Route::SearchText | Route::Read => {
            let secret = config.token_secret.expose().as_bytes();
            // Everything the request alone can show is checked before the corpus is loaded.
            let checked = match route {
                Route::SearchImage => Checked::Image(ImageQuery::check(&body, k)?),
                Route::SearchText => Checked::Text(TextQuery::parse(&body)?),
                _ => Checked::Read(search_api::check_read(&body, secret, now)?),
            };
            let backend = bindings.backend(config).await?;
            let api = SearchApi {
                backend: &backend,
                store: bindings.store(),
                mode: config.mode,
                secret,
                now,
                daily_cap_micro_usd: config.daily_cap_micro_usd,
            };
            Ok(ProxyResponse::json(200, &api.run(checked).await?))
        }
        Route::Traces => {
            let id = shared_traces::put(bindings.store(), &body).await?;
            let url = format!("/v1/traces/{id}");
            Ok(ProxyResponse::json(201, &SharedTrace { id, url }))
        }
        Route::Trace(id) => {
            let trace = shared_traces::get(bindings.store(), id).await?;
            // A trace's id is its content hash: what is stored under it never changes.
            Ok(ProxyResponse::bytes(
                200,
                JSON,
                "public, max-age=31536000, immutable",
                trace,
            ))
        }
        Route::Image(sha256) => {
            image_url::verify(
                config.token_secret.expose().as_bytes(),
                sha256,
                request.query,
                now,
            )?;
            let bytes = bindings
                .images()
                .get(&image_url::store_key(sha256))
                .await
                .map_err(|err| ApiError::new(ErrorCode::UpstreamFailed, err.to_string()))?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such image is stored"))?;
            let header = input::check_image(&bytes)?;
            Ok(ProxyResponse::bytes(
                200,
                header.format.to_mime_type(),
                "private, max-age=600",
                bytes,
            ))
        }
    }
}

/// `?k=` of an image search: a whole number from 1 to `MAX_K`, default 5.
fn k_of(query: &str) -> Result<usize, ApiError> {
    let Some((_, value)) =
        url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "k")
    else {
        return Ok(DEFAULT_K);
    };
    let k = value.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("k must be a whole number, not {value:?}"),
        )
    })?;
    input::check_k(k)?;
    Ok(k)
}

fn preflight(request: &ProxyRequest<'_>, methods: &[&str], origin_allowed: bool) -> ProxyResponse {
    let Some(origin) = request.origin.filter(|_| origin_allowed) else {
        let error = ApiError::new(
            ErrorCode::OriginNotAllowed,
            format!(
                "origin {} is not allowed; add it to ALLOWED_ORIGINS",
                request.origin.unwrap_or("(none)")
            ),
        );
        return ProxyResponse::error(&error);
    };
    let mut allowed_methods = methods.to_vec();
    allowed_methods.push("OPTIONS");
    ProxyResponse {
        status: 204,
        headers: vec![
            ("access-control-allow-origin", origin.to_owned()),
            ("access-control-allow-methods", allowed_methods.join(", ")),
            (
                "access-control-allow-headers",
                ALLOWED_REQUEST_HEADERS.into(),
            ),
            ("access-control-max-age", PREFLIGHT_MAX_AGE.into()),
            ("vary", "Origin".into()),
        ],
        body: Vec::new(),
    }
}

fn with_cors(mut response: ProxyResponse, origin: Option<&str>, allowed: bool) -> ProxyResponse {
    if let Some(origin) = origin.filter(|_| allowed) {
        response
            .headers
            .push(("access-control-allow-origin", origin.to_owned()));
        // Lets the app read when to retry after a 429 or a spent cap.
        response
            .headers
            .push(("access-control-expose-headers", "retry-after".into()));
    }
    // Responses differ by origin, so shared caches must key on it.
    response.headers.push(("vary", "Origin".into()));
    response
}
