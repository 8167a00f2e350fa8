//! Test doubles at the proxy core's boundaries: a provider that is down, and a finished trace
//! as the agent writes one. Workers KV is the core's own `MemoryStore`.

#![allow(dead_code, reason = "each test file uses part of the shared doubles")]

use gog_proxy_core::spend::{Operation, Priced};
pub use gog_proxy_core::store::MemoryStore;
use gog_types::{ImageResult, Page, TextResult};
use gog_types::{SearchBackend, SearchError};

/// Test double of a provider that is down, under the offline backend's name.
#[derive(Debug)]
pub struct DownBackend;

impl SearchBackend for DownBackend {
    fn name(&self) -> &str {
        "offline"
    }
    async fn search_image(&self, _: &[u8], _: usize) -> Result<Vec<ImageResult>, SearchError> {
        Err(SearchError::Unavailable("the provider timed out".into()))
    }
    async fn search_text(&self, _: &str, _: usize) -> Result<Vec<TextResult>, SearchError> {
        Err(SearchError::Unavailable("the provider timed out".into()))
    }
    async fn read(&self, _: &str) -> Result<Page, SearchError> {
        Err(SearchError::Unavailable("the provider timed out".into()))
    }
}

impl Priced for DownBackend {
    fn provider_for(&self, _: Operation) -> Option<&'static str> {
        None
    }
}

/// A finished, sealed trace as the agent writes one.
pub fn trace_json(question: &str) -> String {
    let value = serde_json::json!({
        "version": 1, "id": "",
        "model": {"id": "scripted test double", "family": "qwen3_vl", "quantisation": "none", "weights": {}},
        "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": 0, "max_new_tokens": 512},
        "settings": {
            "mode": "gog", "max_turns": 6,
            "budgets": {"image_search": 4, "text_search": 4, "read": 2},
            "results_per_search": 5, "show_thumbnails": false,
            "crop": {"margin": 0.05, "min_side": 32},
            "box_convention": {"kind": "thousandths"},
            "prompts_sha256": "00"
        },
        "question": question,
        "image": {"sha256": "ab", "width": 4, "height": 4},
        "steps": [],
        "outcome": {"kind": "answered", "answer": "1889"}
    });
    let mut trace: gog_agent::Trace = serde_json::from_value(value).expect("a trace");
    trace.seal();
    trace.canonical_json()
}
