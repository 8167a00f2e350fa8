//! Routing: one request in, one response out, with CORS applied the same way on every route.

use crate::config::{ConfigError, ProxyConfig};
use crate::error::{ApiError, ErrorCode};
use crate::health::Health;

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

/// What the core needs to know about a request.
#[derive(Debug, Clone)]
pub struct ProxyRequest<'a> {
    pub method: Method,
    /// The URL path, without query.
    pub path: &'a str,
    /// The `Origin` header, if the request came from a browser page.
    pub origin: Option<&'a str>,
}

/// A complete response: the worker adapter copies it field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl ProxyResponse {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(status: u16, body: String) -> Self {
        ProxyResponse {
            status,
            headers: vec![
                ("content-type", "application/json; charset=utf-8".into()),
                ("cache-control", "no-store".into()),
            ],
            body,
        }
    }

    fn error(error: &ApiError) -> Self {
        ProxyResponse::json(error.code.status(), error.to_json())
    }
}

/// The routes and the methods each accepts (besides the `OPTIONS` preflight).
const ROUTES: &[(&str, &[&str])] = &[("/v1/health", &["GET", "HEAD"])];

/// The request headers a browser may send; anything else fails the preflight.
const ALLOWED_REQUEST_HEADERS: &str = "content-type";
/// How long a browser may cache a successful preflight, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// Answers one request. `config` is the result of reading the environment, so that a broken
/// configuration is reported to the caller instead of taking the worker down.
pub fn respond(
    request: &ProxyRequest<'_>,
    config: &Result<ProxyConfig, ConfigError>,
    version: &'static str,
) -> ProxyResponse {
    let config = match config {
        Ok(config) => config,
        Err(err) => {
            return ProxyResponse::error(&ApiError::new(
                ErrorCode::Misconfigured,
                format!("the proxy is misconfigured: {err}"),
            ));
        }
    };
    let origin_allowed = request
        .origin
        .is_some_and(|origin| config.allowed_origins.allows(origin));

    let Some((path, methods)) = ROUTES.iter().find(|(path, _)| *path == request.path) else {
        let error = ApiError::new(
            ErrorCode::NotFound,
            format!("no route {}; see docs/API.md", request.path),
        );
        return with_cors(ProxyResponse::error(&error), request.origin, origin_allowed);
    };

    let mut response = match &request.method {
        Method::Options => return preflight(request, methods, origin_allowed),
        Method::Get | Method::Head if *path == "/v1/health" => {
            let health = Health::of(config, version);
            let body = serde_json::to_string(&health).unwrap_or_default();
            ProxyResponse::json(200, body)
        }
        other => {
            let error = ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{path} accepts {}, not {}",
                    methods.join(", "),
                    other.as_str()
                ),
            );
            let mut response = ProxyResponse::error(&error);
            response.headers.push(("allow", methods.join(", ")));
            response
        }
    };
    if request.method == Method::Head {
        response.body.clear();
    }
    with_cors(response, request.origin, origin_allowed)
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
        body: String::new(),
    }
}

fn with_cors(mut response: ProxyResponse, origin: Option<&str>, allowed: bool) -> ProxyResponse {
    if let Some(origin) = origin.filter(|_| allowed) {
        response
            .headers
            .push(("access-control-allow-origin", origin.to_owned()));
    }
    // Responses differ by origin, so shared caches must key on it.
    response.headers.push(("vary", "Origin".into()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SearchBackendKind;
    use crate::cors::AllowedOrigins;

    const APP: &str = "http://127.0.0.1:8080";

    fn config() -> Result<ProxyConfig, ConfigError> {
        Ok(ProxyConfig {
            backends: vec![SearchBackendKind::Offline],
            allowed_origins: AllowedOrigins::parse_list(APP).unwrap(),
        })
    }

    fn call(method: &str, path: &str, origin: Option<&str>) -> ProxyResponse {
        let request = ProxyRequest {
            method: Method::parse(method),
            path,
            origin,
        };
        respond(&request, &config(), "9.9.9")
    }

    fn body(response: &ProxyResponse) -> serde_json::Value {
        serde_json::from_str(&response.body).expect("JSON body")
    }

    #[test]
    fn health_reports_version_and_backends() {
        let response = call("GET", "/v1/health", None);
        assert_eq!(response.status, 200);
        assert_eq!(
            body(&response),
            serde_json::json!({"status": "ok", "service": "gog-proxy", "version": "9.9.9", "backends": ["offline"]})
        );
        assert_eq!(response.header("access-control-allow-origin"), None);
    }

    #[test]
    fn an_allowed_origin_gets_cors_headers() {
        let response = call("GET", "/v1/health", Some(APP));
        assert_eq!(response.header("access-control-allow-origin"), Some(APP));
        assert_eq!(response.header("vary"), Some("Origin"));
    }

    #[test]
    fn another_origin_gets_no_cors_headers() {
        let response = call("GET", "/v1/health", Some("http://evil.example"));
        assert_eq!(response.status, 200);
        assert_eq!(response.header("access-control-allow-origin"), None);
    }

    #[test]
    fn preflight_from_an_allowed_origin_succeeds() {
        let response = call("OPTIONS", "/v1/health", Some(APP));
        assert_eq!(response.status, 204);
        assert_eq!(response.header("access-control-allow-origin"), Some(APP));
        assert_eq!(
            response.header("access-control-allow-methods"),
            Some("GET, HEAD, OPTIONS")
        );
    }

    #[test]
    fn preflight_from_another_origin_is_refused_with_a_reason() {
        let response = call("OPTIONS", "/v1/health", Some("http://evil.example"));
        assert_eq!(response.status, 403);
        assert_eq!(body(&response)["error"]["code"], "origin_not_allowed");
        assert_eq!(response.header("access-control-allow-origin"), None);
    }

    #[test]
    fn unknown_routes_and_methods_are_typed_errors() {
        let missing = call("GET", "/v1/nothing", Some(APP));
        assert_eq!(missing.status, 404);
        assert_eq!(body(&missing)["error"]["code"], "not_found");
        assert_eq!(missing.header("access-control-allow-origin"), Some(APP));

        let wrong = call("DELETE", "/v1/health", None);
        assert_eq!(wrong.status, 405);
        assert_eq!(wrong.header("allow"), Some("GET, HEAD"));
        assert_eq!(
            body(&wrong)["error"]["message"],
            "/v1/health accepts GET, HEAD, not DELETE"
        );
    }

    #[test]
    fn head_has_headers_but_no_body() {
        let response = call("HEAD", "/v1/health", None);
        assert_eq!(response.status, 200);
        assert!(response.body.is_empty());
    }

    #[test]
    fn a_broken_configuration_is_reported_not_hidden() {
        let broken = ProxyConfig::from_vars(|name| {
            (name == "SEARCH_BACKENDS").then(|| "carrier-pigeon".to_owned())
        });
        let request = ProxyRequest {
            method: Method::Get,
            path: "/v1/health",
            origin: None,
        };
        let response = respond(&request, &broken, "1");
        assert_eq!(response.status, 500);
        let body = body(&response);
        assert_eq!(body["error"]["code"], "misconfigured");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("carrier-pigeon")
        );
    }
}
