//! The offline corpus, read from the `CORPUS` assets binding on the first search and kept for
//! the life of the worker instance.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gog_proxy_core::{ApiError, ErrorCode};
use gog_search::bundle::Manifest;
use gog_search::{Bundle, OfflineBackend};
use worker::Env;

thread_local! {
    static LOADED: RefCell<Option<Rc<OfflineBackend>>> = const { RefCell::new(None) };
}

/// The assets binding answers any URL; only the path matters.
const ASSETS_ORIGIN: &str = "https://corpus.assets";

async fn asset(env: &Env, name: &str) -> Result<Vec<u8>, ApiError> {
    let failed =
        |err: worker::Error| unavailable(format!("cannot read the corpus file {name}: {err}"));
    let assets = env.assets("CORPUS").map_err(failed)?;
    let mut response = assets
        .fetch(format!("{ASSETS_ORIGIN}/{name}"), None)
        .await
        .map_err(failed)?;
    if response.status_code() != 200 {
        return Err(unavailable(format!(
            "the corpus file {name} is missing (status {}); build it with `cargo xtask corpus`",
            response.status_code()
        )));
    }
    response.bytes().await.map_err(failed)
}

fn unavailable(message: String) -> ApiError {
    ApiError::new(ErrorCode::Misconfigured, message)
}

/// The offline backend, loading the bundle on first use.
pub async fn offline_backend(env: &Env) -> Result<Rc<OfflineBackend>, ApiError> {
    if let Some(loaded) = LOADED.with(|cell| cell.borrow().clone()) {
        return Ok(loaded);
    }
    let manifest_bytes = asset(env, "manifest.json").await?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|err| unavailable(format!("the corpus manifest is unreadable: {err}")))?;
    let mut files = HashMap::new();
    for name in manifest.files.keys() {
        files.insert(name.clone(), asset(env, name).await?);
    }
    let bundle = Bundle::load(&manifest_bytes, |name| {
        files
            .remove(name)
            .ok_or_else(|| gog_types::SearchError::Bundle(format!("{name} was not fetched")))
    })
    .map_err(|err| unavailable(err.to_string()))?;
    let backend = Rc::new(OfflineBackend::new(bundle));
    LOADED.with(|cell| *cell.borrow_mut() = Some(backend.clone()));
    // Once per instance: tests check that refused requests never get this far.
    worker::console_log!(
        "offline corpus {} loaded",
        backend.bundle().manifest.corpus_version
    );
    Ok(backend)
}
