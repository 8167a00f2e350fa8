//! Downloads inside the worker: bytes streamed into a JavaScript buffer with progress, and Cache
//! Storage, keyed by content hash so that a stale entry can never stand in for a new file.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, ReadableStreamDefaultReader, Response, WorkerGlobalScope};

/// Why a download failed, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url} could not be fetched ({reason}); check the address and the network")]
    Network { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error(
        "{url} sent {got} bytes where its manifest says {expected}; the file is damaged or was replaced"
    )]
    Size {
        url: String,
        expected: u64,
        got: u64,
    },
}

fn scope() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn reason(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

async fn response(url: &str) -> Result<Response, FetchError> {
    let network = |value: JsValue| FetchError::Network {
        url: url.to_owned(),
        reason: reason(&value),
    };
    let response: Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(network)?
        .unchecked_into();
    if response.ok() {
        Ok(response)
    } else {
        Err(FetchError::Status {
            url: url.to_owned(),
            status: response.status(),
        })
    }
}

/// A small file, whole.
pub async fn small(url: &str) -> Result<Uint8Array, FetchError> {
    let response = response(url).await?;
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| FetchError::Network {
        url: url.to_owned(),
        reason: reason(&e),
    })?)
    .await
    .map_err(|e| FetchError::Network {
        url: url.to_owned(),
        reason: reason(&e),
    })?;
    Ok(Uint8Array::new(&buffer))
}

/// A file of `expected` bytes, streamed into one JavaScript buffer (never wasm memory);
/// `progress` hears the bytes received so far after each chunk.
pub async fn streamed(
    url: &str,
    expected: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Uint8Array, FetchError> {
    let network = |value: JsValue| FetchError::Network {
        url: url.to_owned(),
        reason: reason(&value),
    };
    let response = response(url).await?;
    let Some(body) = response.body() else {
        return small(url).await;
    };
    let size = |got: u64| FetchError::Size {
        url: url.to_owned(),
        expected,
        got,
    };
    let target = Uint8Array::new_with_length(u32::try_from(expected).map_err(|_| size(expected))?);
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut done = 0u64;
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(network)?;
        if Reflect::get(&chunk, &"done".into())
            .map_err(network)?
            .is_truthy()
        {
            break;
        }
        let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(network)?
            .unchecked_into();
        let end = done + u64::from(bytes.length());
        if end > expected {
            let _ = reader.cancel();
            return Err(size(end));
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "done < expected, which fits in u32"
        )]
        target.set(&bytes, done as u32);
        done = end;
        progress(done);
    }
    if done == expected {
        Ok(target)
    } else {
        Err(size(done))
    }
}

/// One Cache Storage cache, or nothing where the browser has none (an opaque origin, a private
/// window that refuses it): then every visit downloads again, and nothing else changes.
#[derive(Debug, Clone)]
pub struct ContentCache(Option<Cache>);

impl ContentCache {
    pub async fn open(name: &str) -> Self {
        let Ok(storage) = scope().caches() else {
            return ContentCache(None);
        };
        let cache = JsFuture::from(storage.open(name)).await.ok();
        ContentCache(cache.map(JsCast::unchecked_into))
    }

    /// The key of a file's content: its URL and its SHA-256, so a changed file is a new key.
    pub fn key(url: &str, sha256: &str) -> String {
        format!("{url}?sha256={sha256}")
    }

    pub async fn get(&self, key: &str) -> Option<Uint8Array> {
        let cache = self.0.as_ref()?;
        let found = JsFuture::from(cache.match_with_str(key)).await.ok()?;
        let response: Response = found.dyn_into().ok()?;
        let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
        Some(Uint8Array::new(&buffer))
    }

    /// Keeps `bytes` under `key`; a full or refusing cache only costs a later download.
    pub async fn put(&self, key: &str, bytes: &Uint8Array) {
        let Some(cache) = &self.0 else { return };
        let Ok(response) = Response::new_with_opt_buffer_source(Some(bytes)) else {
            return;
        };
        let _ = JsFuture::from(cache.put_with_str(key, &response)).await;
    }

    pub async fn delete(&self, key: &str) {
        if let Some(cache) = &self.0 {
            let _ = JsFuture::from(cache.delete_with_str(key)).await;
        }
    }
}

/// Bytes between two progress reports: often enough for a smooth bar, rare enough not to flood
/// the page with messages on a gigabyte download.
const REPORT_EVERY: u64 = 256 * 1024;

/// A file of `bytes` bytes whose content has hash `sha256`: from the cache when it holds that
/// content, else streamed from `url` and then cached, so an interrupted download resumes from
/// the files already in hand. `progress` hears the bytes in hand so far (every 256 KiB and at
/// the end) and whether they came from the cache. Callers check the content itself.
pub async fn cached_or_streamed(
    cache: &ContentCache,
    url: &str,
    sha256: &str,
    bytes: u64,
    progress: &mut dyn FnMut(u64, bool),
) -> Result<Uint8Array, FetchError> {
    let key = ContentCache::key(url, sha256);
    if let Some(cached) = cache.get(&key).await
        && u64::from(cached.length()) == bytes
    {
        progress(bytes, true);
        return Ok(cached);
    }
    let mut reported = 0;
    let fetched = streamed(url, bytes, &mut |done| {
        if done - reported >= REPORT_EVERY || done == bytes {
            reported = done;
            progress(done, false);
        }
    })
    .await?;
    cache.put(&key, &fetched).await;
    Ok(fetched)
}

/// A file that may change (a manifest): the network first, so updates are seen, and the cached
/// copy when the network is down.
pub async fn network_first(cache: &ContentCache, url: &str) -> Result<Uint8Array, FetchError> {
    match small(url).await {
        Ok(bytes) => {
            cache.put(url, &bytes).await;
            Ok(bytes)
        }
        Err(error @ FetchError::Network { .. }) => cache.get(url).await.ok_or(error),
        Err(error) => Err(error),
    }
}
