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

/// A store in memory: what the native tests and fuzz targets use in place of Workers KV.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: std::cell::RefCell<std::collections::HashMap<String, Vec<u8>>>,
    writes: std::cell::Cell<usize>,
}

impl MemoryStore {
    /// How many writes it has taken.
    pub fn writes(&self) -> usize {
        self.writes.get()
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.values.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.writes.set(self.writes.get() + 1);
        self.values.borrow_mut().insert(key.into(), value.to_vec());
        Ok(())
    }
}
