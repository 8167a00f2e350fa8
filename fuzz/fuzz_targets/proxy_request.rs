//! Any request a client can send the proxy — method, path, query and body — gets a response with
//! a status, never a panic: over the offline corpus (a made-up one) and over live providers that
//! are all down (a test double of the network that always fails).
#![no_main]

use std::rc::Rc;

use gog_proxy_core::backend::{AnyBackend, LiveBackend};
use gog_proxy_core::search_api::SearchMode;
use gog_proxy_core::store::MemoryStore;
use gog_proxy_core::upstream::{HttpRequest, HttpResponse, NetworkError, Upstream};
use gog_proxy_core::{ApiError, Bindings, Method, ProxyConfig, ProxyRequest, respond};
use gog_search::OfflineBackend;
use gog_search::corpus::EntityKind;
use libfuzzer_sys::fuzz_target;

/// Test double of a network where every provider is unreachable.
struct NoNetwork;

impl Upstream for NoNetwork {
    async fn send(&self, _: &HttpRequest, _: u64) -> Result<HttpResponse, NetworkError> {
        Err(NetworkError::Failed)
    }
    async fn sleep(&self, _: u64) {}
    fn now_ms(&self) -> u64 {
        0
    }
    fn random(&self) -> f64 {
        0.5
    }
}

thread_local! {
    static CORPUS: Rc<OfflineBackend> = Rc::new(OfflineBackend::new(
        gog_search::fixture::made_up_bundle(&[(EntityKind::Flag, 4), (EntityKind::Monument, 2)]),
    ));
}

#[derive(Default)]
struct FuzzBindings {
    store: MemoryStore,
    images: MemoryStore,
}

impl Bindings for FuzzBindings {
    type Backend = AnyBackend<NoNetwork, MemoryStore>;
    type Store = MemoryStore;
    type Images = MemoryStore;

    async fn backend(&self, config: &ProxyConfig) -> Result<Self::Backend, ApiError> {
        Ok(match config.mode {
            SearchMode::Offline => AnyBackend::Offline(CORPUS.with(Rc::clone)),
            _ => AnyBackend::Live(LiveBackend::new(config.clone(), NoNetwork, MemoryStore::default(), 0)),
        })
    }
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn images(&self) -> &MemoryStore {
        &self.images
    }
    async fn allow(&self, _: &str) -> Result<bool, ApiError> {
        Ok(true)
    }
    fn now(&self) -> u64 {
        1_800_000_000
    }
}

const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE"];
const MODES: [&str; 4] = ["offline", "live", "record", "replay"];
const PATHS: [&str; 8] = [
    "/v1/health",
    "/v1/search/image",
    "/v1/search/text",
    "/v1/read",
    "/v1/traces",
    "/v1/traces/",
    "/v1/images/",
    "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let head = String::from_utf8_lossy(&rest[..split]);
    let body = rest.get(split + 1..).unwrap_or_default().to_vec();
    let (suffix, query) = head.split_once('?').unwrap_or((&head, ""));
    let path = format!("{}{suffix}", PATHS[usize::from(selector) % PATHS.len()]);
    let method = METHODS[usize::from(selector / 8) % METHODS.len()];
    let mode = MODES[usize::from(selector / 48) % MODES.len()];
    let config = ProxyConfig::from_env(
        |name| (name == "SEARCH_MODE").then(|| mode.to_owned()),
        |name| match name {
            "TOKEN_SECRET" => Some("a token secret long enough for the proxy".to_owned()),
            "BRAVE_KEY" | "GOOGLE_VISION_KEY" => Some("key".to_owned()),
            _ => None,
        },
        Some("ephemeral"),
    );
    let request = ProxyRequest {
        method: Method::parse(method),
        path: &path,
        query,
        origin: Some("http://127.0.0.1:8080"),
        client: "203.0.113.7",
        content_length: Some(body.len() as u64),
    };
    let bindings = FuzzBindings::default();
    let response = pollster::block_on(respond(
        &request,
        async |_limit| Ok(body),
        &config,
        &bindings,
        "0",
    ));
    assert!((200..600).contains(&response.status));
});
