//! The browser half of `cargo xtask bench search`, not a test: ignored by `cargo xtask test`,
//! run by the bench (`--include-ignored`), which serves on 127.0.0.1 the corpus bundle and the
//! queries its native half made. The bundle is loaded as the offline app loads it (downloaded,
//! checked against its manifest, indexed in wasm), then every query is timed through the same
//! synchronous cores as natively, so the rows compare wasm with native code on the same work.
#![cfg(target_family = "wasm")]

use std::collections::{BTreeMap, HashMap};

use gog_search::{Bundle, OfflineBackend};
use gog_types::SearchError;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

// In a worker, as the offline app searches: a page's own thread would stop answering the test
// driver during the minutes of queries.
wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Where the bench serves `bundle/`, `queries.json` and `queries.bin`; set when it builds this.
const SERVED: Option<&str> = option_env!("GOG_BENCH_SERVE_URL");

/// Results each query asks for, as natively.
const K: usize = 5;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_url(url: &str) -> js_sys::Promise;

    type Response;
    #[wasm_bindgen(method, getter)]
    fn ok(this: &Response) -> bool;
    #[wasm_bindgen(method, js_name = arrayBuffer)]
    fn array_buffer(this: &Response) -> js_sys::Promise;

    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// One query as the native half wrote it.
#[derive(serde::Deserialize)]
struct ServedQuery {
    case: String,
    text: Option<String>,
    offset: usize,
    len: usize,
}

async fn get(base: &str, path: &str) -> Vec<u8> {
    let url = format!("{base}/{path}");
    let response: Response = JsFuture::from(fetch_url(&url))
        .await
        .unwrap_or_else(|err| panic!("{url}: {err:?}"))
        .unchecked_into();
    assert!(response.ok(), "{url}: the server refused it");
    let buffer = JsFuture::from(response.array_buffer())
        .await
        .unwrap_or_else(|err| panic!("{url}: {err:?}"));
    js_sys::Uint8Array::new(&buffer).to_vec()
}

#[wasm_bindgen_test]
#[ignore = "the browser half of `cargo xtask bench search`, which serves its files"]
async fn search_in_wasm() {
    let base = SERVED.expect("GOG_BENCH_SERVE_URL: run this through `cargo xtask bench search`");
    let manifest = get(base, "bundle/manifest.json").await;
    let mut files = HashMap::new();
    for name in gog_search::bundle::LOADED_FILES {
        files.insert(name, get(base, &format!("bundle/{name}")).await);
    }
    let started = performance_now();
    let bundle = Bundle::load(&manifest, |name| {
        files
            .remove(name)
            .ok_or_else(|| SearchError::Bundle(format!("{name} was not served")))
    })
    .expect("the served bundle");
    console_log!(
        "search: bundle checked and indexed in wasm in {:.1} s",
        (performance_now() - started) / 1e3
    );
    let backend = OfflineBackend::new(bundle);

    let queries: Vec<ServedQuery> =
        serde_json::from_slice(&get(base, "queries.json").await).expect("queries.json");
    let bytes = get(base, "queries.bin").await;
    let mut seconds: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for query in &queries {
        let started = performance_now();
        match &query.text {
            Some(text) => drop(backend.text_results(text, K).expect("a valid query")),
            None => drop(
                backend
                    .image_results(&bytes[query.offset..query.offset + query.len], K)
                    .expect("a valid query"),
            ),
        }
        seconds
            .entry(&query.case)
            .or_default()
            .push((performance_now() - started) / 1e3);
    }
    for (case, seconds) in seconds {
        let line = serde_json::json!({"case": case, "variant": "wasm", "seconds": seconds});
        console_log!("GOG_BENCH_SAMPLE {line}");
    }
}
