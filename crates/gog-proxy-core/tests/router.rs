//! Every route through `respond`, as the worker calls it, over the real offline backend and the
//! real live backend. Test doubles stand at the platform's boundaries only: Workers KV and R2
//! as maps, the rate-limit binding as a counter, and the network as recorded provider
//! responses (`tests/fixtures/providers/`).

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::{MemoryStore, trace_json};
use gog_proxy_core::backend::{AnyBackend, LiveBackend};
use gog_proxy_core::upstream::{HttpRequest, HttpResponse, NetworkError, Upstream};
use gog_proxy_core::{
    ApiError, Bindings, ConfigError, Method, ProxyConfig, ProxyRequest, ProxyResponse, respond,
};
use gog_search::OfflineBackend;
use gog_search::corpus::EntityKind;

const APP: &str = "http://127.0.0.1:8080";
const NOW: u64 = 1_800_000_000;
const TOKEN_SECRET: &str = "a token secret long enough for the proxy";
const KEYS: [(&str, &str); 5] = [
    ("SERPAPI_KEY", "serpapi-key-0001"),
    ("SERPER_KEY", "serper-key-0002"),
    ("BRAVE_KEY", "brave-key-0003"),
    ("GOOGLE_VISION_KEY", "vision-key-0004"),
    ("JINA_KEY", "jina-key-0005"),
];
const UPSTREAM: &str = "http://127.0.0.1:9911";

/// Test double of the network: answers each provider path with its recorded response, or with
/// `failure` for the first `failures` requests.
#[derive(Default)]
struct RecordedUpstream {
    sent: RefCell<Vec<HttpRequest>>,
    failures: Cell<u32>,
    clock: Cell<u64>,
}

impl Upstream for RecordedUpstream {
    async fn send(&self, request: &HttpRequest, _: u64) -> Result<HttpResponse, NetworkError> {
        self.sent.borrow_mut().push(request.clone());
        if self.failures.get() > 0 {
            self.failures.set(self.failures.get() - 1);
            return Ok(HttpResponse {
                status: 500,
                retry_after: None,
                body: b"upstream exploded".to_vec(),
            });
        }
        let path = request
            .url
            .strip_prefix(UPSTREAM)
            .expect("only the test upstream");
        let fixture = [
            ("/search.json?engine=google_lens", "serpapi_lens.json"),
            ("/search.json?engine=google&", "serpapi_google.json"),
            ("/search", "serper_search.json"),
            ("/res/v1/web/search", "brave_web.json"),
            ("/v1/images:annotate", "google_vision_web.json"),
            ("/https://", "jina_reader.json"),
        ]
        .into_iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, name)| name)
        .expect("a known provider path");
        let body = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/providers")
                .join(fixture),
        )
        .expect("a recorded response");
        Ok(HttpResponse {
            status: 200,
            retry_after: None,
            body,
        })
    }
    async fn sleep(&self, ms: u64) {
        self.clock.set(self.clock.get() + ms);
    }
    fn now_ms(&self) -> u64 {
        self.clock.get()
    }
    fn random(&self) -> f64 {
        0.5
    }
}

/// The platform as the core sees it, with a rate limiter that allows `limit` requests.
struct TestBindings {
    offline: Rc<OfflineBackend>,
    upstream: Rc<RecordedUpstream>,
    store: MemoryStore,
    images: MemoryStore,
    limit: usize,
    limited: Cell<usize>,
    /// How many times a search backend was asked for: offline, the corpus would be loaded.
    backends: Cell<usize>,
}

impl TestBindings {
    fn new(limit: usize) -> Self {
        TestBindings {
            offline: Rc::new(OfflineBackend::new(gog_search::fixture::made_up_bundle(&[
                (EntityKind::Flag, 6),
                (EntityKind::Monument, 4),
            ]))),
            upstream: Rc::default(),
            store: MemoryStore::default(),
            images: MemoryStore::default(),
            limit,
            limited: Cell::new(0),
            backends: Cell::new(0),
        }
    }
}

impl<'a> Bindings for &'a TestBindings {
    type Backend = AnyBackend<&'a RecordedUpstream, &'a MemoryStore>;
    type Store = MemoryStore;
    type Images = MemoryStore;

    async fn backend(&self, config: &ProxyConfig) -> Result<Self::Backend, ApiError> {
        self.backends.set(self.backends.get() + 1);
        Ok(match config.mode {
            gog_types::wire::SearchMode::Offline => AnyBackend::Offline(self.offline.clone()),
            _ => AnyBackend::Live(LiveBackend::new(
                config.clone(),
                &*self.upstream,
                &self.images,
                NOW,
            )),
        })
    }
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn images(&self) -> &MemoryStore {
        &self.images
    }
    async fn allow(&self, _client: &str) -> Result<bool, ApiError> {
        self.limited.set(self.limited.get() + 1);
        Ok(self.limited.get() <= self.limit)
    }
    fn now(&self) -> u64 {
        NOW
    }
}

fn config(vars: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
    let vars: Vec<(String, String)> = [("ALLOWED_ORIGINS", APP), ("TEST_UPSTREAM", UPSTREAM)]
        .iter()
        .chain(vars)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ProxyConfig::from_env(
        |name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        },
        |name| {
            (name == "TOKEN_SECRET")
                .then(|| TOKEN_SECRET.to_owned())
                .or_else(|| {
                    KEYS.iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| (*v).to_owned())
                })
        },
        Some("ephemeral"),
    )
}

/// A request as the worker would make it.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    origin: Option<&'a str>,
    body: Vec<u8>,
    content_length: Option<u64>,
}

fn call<'a>(method: &'a str, path: &'a str) -> Call<'a> {
    Call {
        method,
        path,
        query: "",
        origin: None,
        body: Vec::new(),
        content_length: None,
    }
}

impl Call<'_> {
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.content_length = Some(self.body.len() as u64);
        self
    }

    fn send(
        self,
        config: &Result<ProxyConfig, ConfigError>,
        bindings: &TestBindings,
    ) -> ProxyResponse {
        let request = ProxyRequest {
            method: Method::parse(self.method),
            path: self.path,
            query: self.query,
            origin: self.origin,
            client: "203.0.113.7",
            content_length: self.content_length,
        };
        let body = self.body;
        pollster::block_on(respond(
            &request,
            async |_limit| Ok(body),
            config,
            &bindings,
            "9.9.9",
        ))
    }
}

fn json(response: &ProxyResponse) -> serde_json::Value {
    serde_json::from_slice(&response.body).expect("a JSON body")
}

fn error_code(response: &ProxyResponse) -> String {
    json(response)["error"]["code"]
        .as_str()
        .expect("an error code")
        .to_owned()
}

fn picture() -> Vec<u8> {
    gog_types::image::encode_png(&gog_search::fixture::picture(2, 96, 80))
}

#[test]
fn health_reports_version_mode_and_backends() {
    let bindings = TestBindings::new(100);
    let response = call("GET", "/v1/health").send(&config(&[]), &bindings);
    assert_eq!(response.status, 200);
    assert_eq!(
        json(&response),
        serde_json::json!({"status": "ok", "service": "gog-proxy", "version": "9.9.9", "mode": "offline", "backends": ["offline"]})
    );
    let live = call("GET", "/v1/health").send(&config(&[("SEARCH_MODE", "record")]), &bindings);
    assert_eq!(
        json(&live)["backends"],
        serde_json::json!(["google_vision", "brave", "jina"])
    );
    let head = call("HEAD", "/v1/health").send(&config(&[]), &bindings);
    assert_eq!((head.status, head.body.len()), (200, 0));
}

#[test]
fn cors_allows_listed_origins_only() {
    let bindings = TestBindings::new(100);
    let allowed = Call {
        origin: Some(APP),
        ..call("GET", "/v1/health")
    }
    .send(&config(&[]), &bindings);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(APP));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    let other = Call {
        origin: Some("http://evil.example"),
        ..call("GET", "/v1/health")
    }
    .send(&config(&[]), &bindings);
    assert_eq!(other.header("access-control-allow-origin"), None);

    let preflight = Call {
        origin: Some(APP),
        ..call("OPTIONS", "/v1/search/text")
    }
    .send(&config(&[]), &bindings);
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    let refused = Call {
        origin: Some("http://evil.example"),
        ..call("OPTIONS", "/v1/read")
    }
    .send(&config(&[]), &bindings);
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (403, "origin_not_allowed")
    );
}

#[test]
fn unknown_routes_methods_and_configurations_are_typed_errors() {
    let bindings = TestBindings::new(100);
    let missing = call("GET", "/v1/nothing").send(&config(&[]), &bindings);
    assert_eq!(
        (missing.status, error_code(&missing).as_str()),
        (404, "not_found")
    );
    let wrong = call("DELETE", "/v1/health").send(&config(&[]), &bindings);
    assert_eq!(
        (wrong.status, wrong.header("allow")),
        (405, Some("GET, HEAD"))
    );
    let get_search = call("GET", "/v1/search/text").send(&config(&[]), &bindings);
    assert_eq!(get_search.header("allow"), Some("POST"));

    let broken = Call {
        origin: Some("http://any.example"),
        ..call("GET", "/v1/health")
    }
    .send(&config(&[("SEARCH_MODE", "carrier-pigeon")]), &bindings);
    assert_eq!(
        broken.header("access-control-allow-origin"),
        Some("http://any.example")
    );
    assert_eq!(
        (broken.status, error_code(&broken).as_str()),
        (500, "misconfigured")
    );
    assert!(
        json(&broken)["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("carrier-pigeon")
    );
}

#[test]
fn offline_search_then_read_through_the_routes() {
    let bindings = TestBindings::new(100);
    let config = config(&[]);
    let found = call("POST", "/v1/search/text")
        .body(r#"{"query": "Country 2", "k": 2}"#)
        .send(&config, &bindings);
    assert_eq!(
        found.status,
        200,
        "{}",
        String::from_utf8_lossy(&found.body)
    );
    let reply = json(&found);
    assert_eq!(reply["provider"], "offline");
    assert_eq!(reply["results"].as_array().map(Vec::len), Some(2));
    let token = reply["results"][0]["token"].as_str().expect("a token");

    let page = call("POST", "/v1/read")
        .body(serde_json::json!({ "token": token }).to_string())
        .send(&config, &bindings);
    assert_eq!(page.status, 200);
    assert_eq!(json(&page)["id"], reply["results"][0]["page"]);

    let images = Call {
        query: "k=3",
        ..call("POST", "/v1/search/image").body(picture())
    }
    .send(&config, &bindings);
    assert_eq!(images.status, 200);
    assert_eq!(json(&images)["results"].as_array().map(Vec::len), Some(3));
    let bad_k = Call {
        query: "k=lots",
        ..call("POST", "/v1/search/image").body(picture())
    }
    .send(&config, &bindings);
    assert_eq!(
        (bad_k.status, error_code(&bad_k).as_str()),
        (400, "bad_request")
    );
    let gif = call("POST", "/v1/search/image")
        .body(&b"GIF89a......"[..])
        .send(&config, &bindings);
    assert_eq!(gif.status, 415);
}

#[test]
fn a_declared_oversized_body_is_refused_before_it_is_read() {
    let bindings = TestBindings::new(100);
    let request = ProxyRequest {
        method: Method::Post,
        path: "/v1/search/image",
        query: "",
        origin: None,
        client: "203.0.113.7",
        content_length: Some(5 << 20),
    };
    let read = Cell::new(false);
    let response = pollster::block_on(respond(
        &request,
        async |_limit| {
            read.set(true);
            Ok(Vec::new())
        },
        &config(&[]),
        &&bindings,
        "1",
    ));
    assert_eq!(
        (response.status, error_code(&response).as_str()),
        (413, "payload_too_large")
    );
    assert!(!read.get(), "the body was read");
    // A body longer than it declared is measured too.
    let sneaky = Call {
        content_length: Some(10),
        ..call("POST", "/v1/read").body(vec![b' '; 20 << 10])
    }
    .send(&config(&[]), &bindings);
    assert_eq!(sneaky.status, 413);
}

#[test]
fn what_the_request_alone_shows_is_refused_before_the_corpus_is_loaded() {
    let bindings = TestBindings::new(100);
    let config = config(&[]);
    let signature = &picture()[..8];
    let junk_png = [signature, b"<html>not a picture</html>"].concat();
    let refusals: [(Call, u16); 6] = [
        (
            Call {
                query: "k=0",
                ..call("POST", "/v1/search/image")
            }
            .body(picture()),
            400,
        ),
        (call("POST", "/v1/search/image").body(junk_png), 415),
        (
            call("POST", "/v1/search/image")
                .body(gog_types::image::encode_png(&image::RgbImage::new(4, 64))),
            400,
        ),
        (
            call("POST", "/v1/search/text").body(r#"["Eiffel Tower", 2]"#),
            400,
        ),
        (
            call("POST", "/v1/read").body(r#"{"token": "not.a-token"}"#),
            403,
        ),
        (call("PROPFIND", "/v1/health"), 405),
    ];
    for (request, status) in refusals {
        let (method, path, query) = (request.method, request.path, request.query);
        let response = request.send(&config, &bindings);
        assert_eq!(response.status, status, "{method} {path}?{query}");
    }
    assert_eq!(bindings.backends.get(), 0, "no refusal loaded the corpus");
    // A request that passes every check does load it.
    let text = call("POST", "/v1/search/text")
        .body(r#"{"query": "Country 3"}"#)
        .send(&config, &bindings);
    assert_eq!((text.status, bindings.backends.get()), (200, 1));
}

#[test]
fn the_rate_limit_answers_429_with_retry_after_on_spending_routes_only() {
    let bindings = TestBindings::new(2);
    let config = config(&[("RATE_LIMIT_PERIOD", "10")]);
    let search = || call("POST", "/v1/search/text").body(r#"{"query": "Country 1"}"#);
    assert_eq!(search().send(&config, &bindings).status, 200);
    assert_eq!(search().send(&config, &bindings).status, 200);
    let limited = search().send(&config, &bindings);
    assert_eq!(
        (limited.status, error_code(&limited).as_str()),
        (429, "rate_limited")
    );
    assert_eq!(limited.header("retry-after"), Some("10"));
    assert_eq!(
        call("GET", "/v1/health").send(&config, &bindings).status,
        200
    );
}

#[test]
fn traces_are_shared_by_content_id() {
    let bindings = TestBindings::new(100);
    let config = config(&[]);
    let trace = trace_json("When was the tower finished?");
    let stored = call("PUT", "/v1/traces")
        .body(trace.clone())
        .send(&config, &bindings);
    assert_eq!(stored.status, 201);
    let url = json(&stored)["url"].as_str().expect("a url").to_owned();
    let fetched = call("GET", &url).send(&config, &bindings);
    assert_eq!(
        (fetched.status, fetched.body.as_slice()),
        (200, trace.as_bytes())
    );
    assert_eq!(
        fetched.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let edited = trace.replace("tower", "bridge");
    let refused = call("PUT", "/v1/traces")
        .body(edited)
        .send(&config, &bindings);
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (400, "invalid_trace")
    );
}

/// Every answer the clients read (the model's worker: search replies, pages, error bodies; the
/// page: health, shared traces, error messages) parses with the `gog_types::wire` types they
/// read it with, and the requests they send with those types are accepted.
#[test]
fn every_answer_reads_with_the_wire_types_the_clients_use() {
    use gog_types::wire::{
        ErrorBody, ErrorCode, HealthReport, ReadRequest, SearchReply, Served, SharedTrace,
        TextRequest,
    };
    use gog_types::{ImageResult, Page, TextResult};
    fn read<T: serde::de::DeserializeOwned>(response: &ProxyResponse) -> T {
        serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&response.body)))
    }
    let bindings = TestBindings::new(100);
    let config = config(&[]);

    let health: HealthReport = read(&call("GET", "/v1/health").send(&config, &bindings));
    assert_eq!(
        (
            health.status.as_str(),
            health.mode.as_str(),
            health.backends
        ),
        ("ok", "offline", vec!["offline".to_string()])
    );

    let request = TextRequest {
        query: "flag".into(),
        k: 3,
    };
    let text = call("POST", "/v1/search/text")
        .body(serde_json::to_vec(&request).expect("a request is plain data"))
        .send(&config, &bindings);
    let text: SearchReply<TextResult> = read(&text);
    assert_eq!((text.served, text.results.len()), (Served::Backend, 3));
    let images = call("POST", "/v1/search/image")
        .body(picture())
        .send(&config, &bindings);
    let images: SearchReply<ImageResult> = read(&images);
    assert!(!images.results.is_empty());

    let first = &text.results[0];
    let read_request = ReadRequest {
        token: first.token.clone(),
    };
    let page = call("POST", "/v1/read")
        .body(serde_json::to_vec(&read_request).expect("a request is plain data"))
        .send(&config, &bindings);
    let page: Page = read(&page);
    assert_eq!(page.id, first.result.page);

    let stored: SharedTrace = read(
        &call("PUT", "/v1/traces")
            .body(trace_json("Which flag is this?"))
            .send(&config, &bindings),
    );
    assert_eq!(stored.url, format!("/v1/traces/{}", stored.id));

    let refused = call("POST", "/v1/search/text")
        .body(r#"{"query": ""}"#)
        .send(&config, &bindings);
    let body: ErrorBody = read(&refused);
    assert_eq!(body.error.code, ErrorCode::BadRequest);
    assert_eq!(refused.status, body.error.code.status());
    assert_eq!(
        ErrorBody::message_of(&refused.body).as_deref(),
        Some(body.error.message.as_str())
    );
    // A newer proxy's code is still read for its message.
    let newer = br#"{"error": {"code": "something_new", "message": "try later"}}"#;
    assert_eq!(ErrorBody::message_of(newer).as_deref(), Some("try later"));
    assert_eq!(ErrorBody::message_of(b"<html>502</html>"), None);
}

fn assert_no_key_in(response: &ProxyResponse) {
    let body = String::from_utf8_lossy(&response.body);
    for (name, key) in KEYS {
        assert!(!body.contains(key), "{name} leaked into {body}");
        assert!(
            response.headers.iter().all(|(_, v)| !v.contains(key)),
            "{name} leaked into headers"
        );
    }
    assert!(!body.contains(TOKEN_SECRET));
}

#[test]
fn live_mode_searches_and_reads_through_the_configured_providers() {
    let bindings = TestBindings::new(100);
    let config = config(&[("SEARCH_MODE", "live")]);
    let images = call("POST", "/v1/search/image")
        .body(picture())
        .send(&config, &bindings);
    assert_eq!(
        images.status,
        200,
        "{}",
        String::from_utf8_lossy(&images.body)
    );
    let reply = json(&images);
    assert_eq!(reply["provider"], "google_vision+brave+jina");
    assert_eq!(reply["results"][0]["title"], "Eiffel Tower - Wikipedia");
    assert_no_key_in(&images);

    let texts = call("POST", "/v1/search/text")
        .body(r#"{"query": "eiffel tower completed", "k": 2}"#)
        .send(&config, &bindings);
    assert_eq!(texts.status, 200);
    assert_eq!(json(&texts)["results"][0]["source"], "Wikipedia");
    let token = json(&texts)["results"][0]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let page = call("POST", "/v1/read")
        .body(serde_json::json!({ "token": token }).to_string())
        .send(&config, &bindings);
    assert_eq!(page.status, 200);
    assert!(
        json(&page)["text"]
            .as_str()
            .unwrap_or_default()
            .contains("1889")
    );
    assert_no_key_in(&page);

    let sent = bindings.upstream.sent.borrow();
    assert_eq!(sent.len(), 3);
    assert!(
        sent[0]
            .headers
            .contains(&("x-goog-api-key", "vision-key-0004".into()))
    );
    assert!(
        sent[1]
            .headers
            .contains(&("x-subscription-token", "brave-key-0003".into()))
    );
    assert_eq!(
        sent[2].url,
        format!("{UPSTREAM}/https://en.wikipedia.org/wiki/Eiffel_Tower")
    );
    drop(sent);

    // Live mode reuses what it stored: the same search calls no provider.
    let again = call("POST", "/v1/search/image")
        .body(picture())
        .send(&config, &bindings);
    assert_eq!(json(&again)["served"], "store");
    assert_eq!(bindings.upstream.sent.borrow().len(), 3);
}

#[test]
fn serpapi_lens_fetches_the_crop_from_a_signed_url_this_proxy_serves() {
    let bindings = TestBindings::new(100);
    let config = config(&[
        ("SEARCH_MODE", "record"),
        ("IMAGE_PROVIDER", "serpapi_lens"),
        ("TEXT_PROVIDER", "serper"),
        ("PUBLIC_URL", "https://proxy.example"),
    ]);
    let found = call("POST", "/v1/search/image")
        .body(picture())
        .send(&config, &bindings);
    assert_eq!(
        found.status,
        200,
        "{}",
        String::from_utf8_lossy(&found.body)
    );
    assert_eq!(
        json(&found)["results"][1]["title"],
        "The Eiffel Tower: history & facts"
    );

    let lens_url = bindings.upstream.sent.borrow()[0].url.clone();
    let image_url: String = url::Url::parse(&lens_url)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "url")
        .map(|(_, value)| value.into_owned())
        .expect("the image URL");
    let image_url = image_url
        .strip_prefix("https://proxy.example")
        .expect("our public URL");
    let (path, query) = image_url.split_once('?').expect("signed");
    let served = Call {
        query,
        ..call("GET", path)
    }
    .send(&config, &bindings);
    assert_eq!(
        (served.status, served.header("content-type")),
        (200, Some("image/png"))
    );
    assert_eq!(served.body, picture());

    let forged = Call {
        query: "exp=9999999999&sig=AAAA",
        ..call("GET", path)
    }
    .send(&config, &bindings);
    assert_eq!(
        (forged.status, error_code(&forged).as_str()),
        (403, "invalid_signature")
    );
}

#[test]
fn the_daily_spend_cap_refuses_calls_past_it_until_midnight() {
    let bindings = TestBindings::new(100);
    // Brave's list price is $0.005 a search: a cap of $0.01 allows two.
    let config = config(&[("SEARCH_MODE", "record"), ("DAILY_SPEND_CAP_USD", "0.01")]);
    let search = || call("POST", "/v1/search/text").body(r#"{"query": "eiffel"}"#);
    assert_eq!(search().send(&config, &bindings).status, 200);
    assert_eq!(search().send(&config, &bindings).status, 200);
    let capped = search().send(&config, &bindings);
    assert_eq!(
        (capped.status, error_code(&capped).as_str()),
        (503, "daily_cap_reached")
    );
    let until_midnight = 86_400 - NOW % 86_400;
    assert_eq!(
        capped.header("retry-after"),
        Some(until_midnight.to_string().as_str())
    );
    assert_eq!(
        bindings.upstream.sent.borrow().len(),
        2,
        "a capped call is not made"
    );
    // Other providers have their own budget.
    assert_eq!(
        call("POST", "/v1/search/image")
            .body(picture())
            .send(&config, &bindings)
            .status,
        200
    );
}

#[test]
fn a_failing_provider_is_retried_then_reported_without_its_key() {
    let bindings = TestBindings::new(100);
    let config = config(&[("SEARCH_MODE", "live"), ("TEXT_PROVIDER", "serpapi")]);
    bindings.upstream.failures.set(2);
    let recovered = call("POST", "/v1/search/text")
        .body(r#"{"query": "eiffel"}"#)
        .send(&config, &bindings);
    assert_eq!(recovered.status, 200);
    assert_eq!(bindings.upstream.sent.borrow().len(), 3);

    bindings.upstream.failures.set(3);
    let failed = call("POST", "/v1/search/text")
        .body(r#"{"query": "tower"}"#)
        .send(&config, &bindings);
    assert_eq!(
        (failed.status, error_code(&failed).as_str()),
        (502, "upstream_failed")
    );
    let message = json(&failed)["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("serpapi failed 3 times; last: answered 500"),
        "{message}"
    );
    assert_no_key_in(&failed);
    assert!(
        !message.contains("exploded"),
        "the provider's body is not echoed"
    );
}
