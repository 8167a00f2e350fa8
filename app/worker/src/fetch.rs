//! Downloads inside the worker: bytes streamed into a JavaScript buffer with progress, resumed
//! where they stopped, and Cache Storage, keyed by content hash so that a stale entry can never
//! stand in for a new file.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Cache, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response, WorkerGlobalScope,
};

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

    /// Keeps `bytes` under `key`, and says whether it did; a full or refusing cache only costs a
    /// later download.
    pub async fn put(&self, key: &str, bytes: &Uint8Array) -> bool {
        let Some(cache) = &self.0 else { return false };
        let Ok(response) = Response::new_with_opt_buffer_source(Some(bytes)) else {
            return false;
        };
        JsFuture::from(cache.put_with_str(key, &response))
            .await
            .is_ok()
    }

    /// Drops `key`, and says whether the cache held it.
    pub async fn delete(&self, key: &str) -> bool {
        let Some(cache) = &self.0 else { return false };
        JsFuture::from(cache.delete_with_str(key))
            .await
            .is_ok_and(|found| found.is_truthy())
    }
}

/// Bytes between two progress reports: often enough for a smooth bar, rare enough not to flood
/// the page with messages on a gigabyte download.
const REPORT_EVERY: u64 = 256 * 1024;
/// How many times in a row one download asks again, after a break with nothing received since
/// the last, before giving up.
const RESUMES: u32 = 3;

/// The piece size for a file of `bytes`: about 32 pieces, from 64 KiB to 8 MiB each.
fn piece_size(bytes: u64) -> u64 {
    (bytes / 32).clamp(64 * 1024, 8 * 1024 * 1024)
}

/// A file of `bytes` bytes whose content has hash `sha256`: from the cache when it holds that
/// content, else streamed from `url` into one JavaScript buffer (never wasm memory) and then
/// cached. `progress` hears the bytes in hand so far (every 256 KiB and at the end) and whether
/// they came from the cache. Callers check the content itself.
///
/// A download picks up where it stopped: after a broken connection, with an HTTP range request
/// for the rest; after a visit that ended mid-file, from the whole pieces it kept in the cache
/// on the way.
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
        // Pieces a tab closed too soon to drop.
        forget_pieces(cache, &key).await;
        progress(bytes, true);
        return Ok(cached);
    }
    let size = |got: u64| FetchError::Size {
        url: url.to_owned(),
        expected: bytes,
        got,
    };
    let mut download = Download {
        cache,
        url,
        key,
        target: Uint8Array::new_with_length(u32::try_from(bytes).map_err(|_| size(bytes))?),
        bytes,
        piece: piece_size(bytes),
        done: 0,
        pieces: 0,
    };
    download.take_kept_pieces().await;
    if download.done > 0 {
        progress(download.done, true);
    }
    let mut reported = download.done;
    let mut report = |done: u64| {
        if done.abs_diff(reported) >= REPORT_EVERY || done == bytes {
            reported = done;
            progress(done, false);
        }
    };
    // Breaks in a row with nothing received between them.
    let mut breaks = 0;
    while download.done < bytes {
        let before = download.done;
        match download.receive(&mut report).await {
            Ok(()) => {}
            Err(Interruption::Broken(error)) => {
                breaks = if download.done > before {
                    1
                } else {
                    breaks + 1
                };
                if breaks > RESUMES {
                    return Err(error);
                }
                sleep_ms(500 * breaks).await;
            }
            Err(Interruption::Failed(error)) => return Err(error),
        }
    }
    // The pieces go only once the whole file is kept in their place.
    if cache.put(&download.key, &download.target).await {
        forget_pieces(cache, &download.key).await;
    }
    Ok(download.target)
}

/// The key a piece of the file under `key` is kept under.
fn piece_key(key: &str, index: u64) -> String {
    format!("{key}&piece={index}")
}

/// Drops the pieces kept of the file under `key`: the leading ones, up to the first missing.
async fn forget_pieces(cache: &ContentCache, key: &str) {
    let mut index = 0;
    while cache.delete(&piece_key(key, index)).await {
        index += 1;
    }
}

/// One file on its way in.
struct Download<'a> {
    cache: &'a ContentCache,
    url: &'a str,
    /// The whole file's cache key; its pieces are kept under this key with `&piece=N`.
    key: String,
    target: Uint8Array,
    bytes: u64,
    piece: u64,
    /// Bytes in `target` so far, from the start of the file.
    done: u64,
    /// Leading pieces already in the cache.
    pieces: u64,
}

/// Why one request ended before the file did.
enum Interruption {
    /// The connection broke or the body ended early: worth asking for the rest.
    Broken(FetchError),
    /// Asking again would not help.
    Failed(FetchError),
}

impl Download<'_> {
    /// Starts from the leading whole pieces an earlier, cut-off download kept.
    async fn take_kept_pieces(&mut self) {
        while (self.pieces + 1) * self.piece < self.bytes {
            let Some(kept) = self.cache.get(&piece_key(&self.key, self.pieces)).await else {
                break;
            };
            if u64::from(kept.length()) != self.piece {
                break;
            }
            self.target.set(&kept, offset(self.done));
            self.pieces += 1;
            self.done += self.piece;
        }
    }

    /// Keeps every whole piece received so far that the cache does not hold yet.
    async fn keep_pieces(&mut self) {
        while (self.pieces + 1) * self.piece <= self.done
            && (self.pieces + 1) * self.piece < self.bytes
        {
            let start = self.pieces * self.piece;
            let piece = self
                .target
                .subarray(offset(start), offset(start + self.piece));
            self.cache
                .put(&piece_key(&self.key, self.pieces), &piece)
                .await;
            self.pieces += 1;
        }
    }

    /// One request for the bytes from `done` on, read into `target` until its body ends.
    async fn receive(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), Interruption> {
        let url = self.url;
        let broken = |value: JsValue| {
            Interruption::Broken(FetchError::Network {
                url: url.to_owned(),
                reason: reason(&value),
            })
        };
        let get = |from: u64| async move {
            let request = range_request(url, from)?;
            JsFuture::from(scope().fetch_with_request(&request))
                .await
                .map(JsCast::unchecked_into::<Response>)
        };
        let response = match get(self.done).await {
            Ok(response) => response,
            // A host that refuses range requests (a CORS preflight it does not answer, say)
            // looks just like a network that is down; asking for the whole file tells the two
            // apart, at the cost of starting over.
            Err(error) if self.done > 0 => match get(0).await {
                Ok(response) => response,
                Err(_) => return Err(broken(error)),
            },
            Err(error) => return Err(broken(error)),
        };
        match response.status() {
            206 => {
                let start = response
                    .headers()
                    .get("content-range")
                    .ok()
                    .flatten()
                    .map(|range| range_start(&range));
                // Content-Range is hidden from cross-origin pages unless the host exposes it;
                // then the range asked for is taken on trust, and the hash check has the last word.
                if start.is_some_and(|start| start != self.done) {
                    // A range other than the one asked for: take the whole file instead.
                    self.start_over();
                    return Err(Interruption::Broken(FetchError::Network {
                        url: url.to_owned(),
                        reason: "the server answered with another byte range".into(),
                    }));
                }
            }
            // The whole file, whatever was asked for: from the start again.
            200 => self.start_over(),
            // The bytes in hand do not fit the file the server has: from the start again.
            416 => {
                let error = self.size(self.done);
                self.start_over();
                return Err(Interruption::Broken(error));
            }
            // Busy or briefly down: worth asking again shortly.
            status @ (429 | 502 | 503 | 504) => {
                return Err(Interruption::Broken(FetchError::Status {
                    url: url.to_owned(),
                    status,
                }));
            }
            status => {
                return Err(Interruption::Failed(FetchError::Status {
                    url: url.to_owned(),
                    status,
                }));
            }
        }
        let Some(body) = response.body() else {
            return Err(broken(JsValue::from_str("the answer has no body")));
        };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(broken)?;
            if Reflect::get(&chunk, &"done".into())
                .map_err(broken)?
                .is_truthy()
            {
                break;
            }
            let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())
                .map_err(broken)?
                .unchecked_into();
            let end = self.done + u64::from(bytes.length());
            if end > self.bytes {
                let _ = reader.cancel();
                return Err(Interruption::Failed(self.size(end)));
            }
            self.target.set(&bytes, offset(self.done));
            self.done = end;
            progress(end);
            self.keep_pieces().await;
        }
        if self.done < self.bytes {
            return Err(Interruption::Broken(self.size(self.done)));
        }
        Ok(())
    }

    /// Forgets the bytes in hand: what follows is the file from its first byte, and its pieces
    /// are kept again as they come.
    fn start_over(&mut self) {
        self.done = 0;
        self.pieces = 0;
    }

    fn size(&self, got: u64) -> FetchError {
        FetchError::Size {
            url: self.url.to_owned(),
            expected: self.bytes,
            got,
        }
    }
}

/// A GET of `url`, for the bytes from `from` on when that is not the start.
fn range_request(url: &str, from: u64) -> Result<Request, JsValue> {
    let init = RequestInit::new();
    if from > 0 {
        let headers = Headers::new()?;
        headers.set("range", &format!("bytes={from}-"))?;
        init.set_headers(&headers);
    }
    Request::new_with_str_and_init(url, &init)
}

/// The first byte of a `Content-Range: bytes START-END/SIZE` header; `u64::MAX` for one that
/// is not of that form, which matches no position.
fn range_start(header: &str) -> u64 {
    header
        .trim()
        .strip_prefix("bytes ")
        .and_then(|range| range.split_once('-'))
        .and_then(|(start, _)| start.parse().ok())
        .unwrap_or(u64::MAX)
}

/// `position` as a buffer offset: every download fits in a u32-sized buffer (checked when the
/// buffer is made).
#[allow(
    clippy::cast_possible_truncation,
    reason = "positions are at most the buffer's length, a u32"
)]
fn offset(position: u64) -> u32 {
    position as u32
}

/// Waits `ms` milliseconds.
async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            i32::try_from(ms).unwrap_or(i32::MAX),
        );
    });
    let _ = JsFuture::from(promise).await;
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
