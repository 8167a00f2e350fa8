//! The platform behind [`gog_proxy_core::Bindings`]: Workers KV (`STORE`), R2 (`IMAGES`), the
//! rate-limit binding (`SEARCH_LIMITER`), the corpus assets (`CORPUS`) and `fetch`.

use std::cell::OnceCell;

use gog_proxy_core::backend::{AnyBackend, LiveBackend};
use gog_proxy_core::store::{Store, StoreError};
use gog_proxy_core::{ApiError, Bindings, ErrorCode, ProxyConfig};
use gog_types::wire::SearchMode;
use worker::{Bucket, Env, RateLimiter, kv::KvStore};

use crate::corpus;
use crate::upstream::FetchUpstream;

/// Recorded searches, shared traces and spend counters.
pub struct Kv(KvStore);

impl Store for Kv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(key)
            .bytes()
            .await
            .map_err(|err| StoreError(format!("KV get: {err}")))
    }
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let failed = |err: worker::kv::KvError| StoreError(format!("KV put: {err}"));
        self.0
            .put_bytes(key, value)
            .map_err(failed)?
            .execute()
            .await
            .map_err(failed)
    }
}

/// Crops handed to image providers.
pub struct R2(Bucket);

impl Store for R2 {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let failed = |err: worker::Error| StoreError(format!("R2 get: {err}"));
        let Some(object) = self.0.get(key).execute().await.map_err(failed)? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => body.bytes().await.map(Some).map_err(failed),
            None => Ok(None),
        }
    }
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.0
            .put(key, value.to_vec())
            .execute()
            .await
            .map(drop)
            .map_err(|err| StoreError(format!("R2 put: {err}")))
    }
}

pub struct WorkerBindings<'a> {
    env: &'a Env,
    store: Kv,
    images: R2,
    limiter: RateLimiter,
}

impl<'a> WorkerBindings<'a> {
    pub fn new(env: &'a Env) -> worker::Result<Self> {
        Ok(WorkerBindings {
            env,
            store: Kv(env.kv("STORE")?),
            images: R2(env.bucket("IMAGES")?),
            limiter: env.rate_limiter("SEARCH_LIMITER")?,
        })
    }
}

impl Bindings for WorkerBindings<'_> {
    type Backend = AnyBackend<FetchUpstream, R2>;
    type Store = Kv;
    type Images = R2;

    async fn backend(&self, config: &ProxyConfig) -> Result<Self::Backend, ApiError> {
        if config.mode == SearchMode::Offline {
            return corpus::offline_backend(self.env)
                .await
                .map(AnyBackend::Offline);
        }
        let images = self.env.bucket("IMAGES").map_err(misconfigured)?;
        Ok(AnyBackend::Live(LiveBackend::new(
            config.clone(),
            FetchUpstream,
            R2(images),
            self.now(),
        )))
    }

    fn store(&self) -> &Kv {
        &self.store
    }

    fn images(&self) -> &R2 {
        &self.images
    }

    async fn allow(&self, client: &str) -> Result<bool, ApiError> {
        let outcome = self
            .limiter
            .limit(client.to_owned())
            .await
            .map_err(misconfigured)?;
        Ok(outcome.success)
    }

    fn now(&self) -> u64 {
        worker::Date::now().as_millis() / 1000
    }
}

fn misconfigured(err: worker::Error) -> ApiError {
    ApiError::new(ErrorCode::Misconfigured, format!("a binding failed: {err}"))
}

thread_local! {
    static EPHEMERAL_SECRET: OnceCell<Option<String>> = const { OnceCell::new() };
}

/// A random secret for this worker instance, used offline when `TOKEN_SECRET` is not set; none
/// when the platform gives no randomness, and the proxy then refuses to run (fails closed)
/// rather than sign tokens with something guessable.
pub fn ephemeral_secret() -> Option<String> {
    EPHEMERAL_SECRET.with(|cell| {
        cell.get_or_init(|| {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .ok()
                .map(|()| bytes.iter().map(|b| format!("{b:02x}")).collect())
        })
        .clone()
    })
}
