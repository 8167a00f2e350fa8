//! `PUT /v1/traces` and `GET /v1/traces/{id}`: shared traces, stored under their content id.
//! A trace is accepted only when its content matches its id, it is of the version this proxy
//! reads and it holds nothing the schema lacks; it is stored as its canonical JSON, the bytes
//! its id is the hash of, so one id names exactly one byte string. What is stored under an id
//! never changes: sharing the same trace again writes nothing.

use crate::error::{ApiError, ErrorCode};
use crate::input::check_trace;
use crate::store::{Store, StoreError};

fn store_key(id: &str) -> String {
    format!("trace:{id}")
}

fn store_failed(err: StoreError) -> ApiError {
    ApiError::new(ErrorCode::UpstreamFailed, err.to_string())
}

/// Stores a trace, unless it is stored already, and returns its id.
pub async fn put(store: &impl Store, body: &[u8]) -> Result<String, ApiError> {
    let trace = check_trace(body)?;
    let canonical = trace.canonical_json().into_bytes();
    let key = store_key(&trace.id);
    match store.get(&key).await.map_err(store_failed)? {
        Some(stored) if stored == canonical => {}
        // Only bytes stored by an older proxy, which kept the body as sent, can differ.
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::TraceConflict,
                format!("{} is stored already, as other bytes; they stay", trace.id),
            ));
        }
        None => store.put(&key, &canonical).await.map_err(store_failed)?,
    }
    Ok(trace.id)
}

/// A stored trace's JSON by its id (`sha256:` and 64 lower-case hex digits).
pub async fn get(store: &impl Store, id: &str) -> Result<Vec<u8>, ApiError> {
    let digest = id.strip_prefix("sha256:").unwrap_or_default();
    let well_formed = digest.len() == 64
        && digest
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "a trace id is sha256: and 64 lower-case hex digits",
        ));
    }
    store
        .get(&store_key(id))
        .await
        .map_err(store_failed)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no trace {id} is stored here")))
}
