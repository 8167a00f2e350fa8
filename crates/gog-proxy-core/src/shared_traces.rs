//! `PUT /v1/traces` and `GET /v1/traces/{id}`: shared traces, stored under their content id.
//! A trace is accepted only when its content matches its id and it is of the version this
//! proxy reads, so a link always shows exactly what was run.

use crate::error::{ApiError, ErrorCode};
use crate::input::check_trace;
use crate::store::{Store, StoreError};

fn store_key(id: &str) -> String {
    format!("trace:{id}")
}

fn store_failed(err: StoreError) -> ApiError {
    ApiError::new(ErrorCode::UpstreamFailed, err.to_string())
}

/// Stores a trace and returns its id.
pub async fn put(store: &impl Store, body: &[u8]) -> Result<String, ApiError> {
    let trace = check_trace(body)?;
    store
        .put(&store_key(&trace.id), body)
        .await
        .map_err(store_failed)?;
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
