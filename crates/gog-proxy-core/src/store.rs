//! Where the proxy keeps what must outlive a request: recorded search results and shared
//! traces. The worker backs it with Workers KV; the core only needs get and put.

/// A store that could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the store failed: {0}")]
pub struct StoreError(pub String);

/// Bytes by key.
#[allow(
    async_fn_in_trait,
    reason = "a worker handles one request on one thread; its futures hold JavaScript values"
)]
pub trait Store {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
}

impl<S: Store> Store for &S {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key).await
    }
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put(key, value).await
    }
}
