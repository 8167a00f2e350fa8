//! The search backends a run in the browser can use: the offline corpus in the worker, the
//! search proxy over HTTP, or a trace's recorded searches for a re-run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gog_agent::replay::RecordedBackend;
use gog_search::OfflineBackend;
use gog_types::wire::{ErrorBody, ReadRequest, SearchReply, TextRequest};
use gog_types::{ImageResult, Page, Paged, SearchBackend, SearchError, TextResult};
use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response, WorkerGlobalScope};

/// One of the backends, chosen per run.
#[derive(Debug)]
pub enum RunSearch {
    Offline(Rc<OfflineBackend>),
    Proxy(ProxySearch),
    Recorded(RecordedBackend),
}

gog_types::delegate_search_backend!(impl[] RunSearch { Offline, Proxy, Recorded });

/// The search proxy (`docs/API.md`). It reads only pages it returned, each with the signed
/// token that came with the result, so the tokens of every result so far are kept by page.
#[derive(Debug)]
pub struct ProxySearch {
    base: String,
    name: String,
    tokens: RefCell<HashMap<String, String>>,
}

impl ProxySearch {
    pub fn new(base: &str) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        ProxySearch {
            name: format!("proxy {base}"),
            base,
            tokens: RefCell::default(),
        }
    }

    async fn post(&self, path: &str, body: &JsValue, json: bool) -> Result<Vec<u8>, SearchError> {
        let url = format!("{}{path}", self.base);
        let unavailable = |what: String| SearchError::Unavailable(format!("{url}: {what}"));
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(body);
        if json {
            let headers = web_sys::Headers::new().map_err(|e| unavailable(format!("{e:?}")))?;
            let _ = headers.set("content-type", "application/json");
            init.set_headers(&headers);
        }
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        let response: Response = JsFuture::from(scope.fetch_with_str_and_init(&url, &init))
            .await
            .map_err(|_| unavailable("the proxy did not answer; is it running?".into()))?
            .unchecked_into();
        let buffer = JsFuture::from(
            response
                .array_buffer()
                .map_err(|e| unavailable(format!("{e:?}")))?,
        )
        .await
        .map_err(|_| unavailable("the answer broke off".into()))?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        if response.ok() {
            Ok(bytes)
        } else {
            let message =
                ErrorBody::message_of(&bytes).unwrap_or_else(|| "no reason given".to_owned());
            Err(unavailable(format!(
                "HTTP {}: {message}",
                response.status()
            )))
        }
    }

    fn results<T: for<'de> Deserialize<'de> + Paged>(
        &self,
        bytes: &[u8],
    ) -> Result<Vec<T>, SearchError> {
        let reply: SearchReply<T> = serde_json::from_slice(bytes).map_err(|e| {
            SearchError::Unavailable(format!("{}: not a search reply: {e}", self.base))
        })?;
        let mut tokens = self.tokens.borrow_mut();
        Ok(reply
            .results
            .into_iter()
            .map(|tokened| {
                tokens.insert(tokened.result.page().to_owned(), tokened.token);
                tokened.result
            })
            .collect())
    }
}

impl SearchBackend for ProxySearch {
    fn name(&self) -> &str {
        &self.name
    }

    async fn search_image(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        let body = Uint8Array::from(image);
        let bytes = self
            .post(&format!("/v1/search/image?k={k}"), &body, false)
            .await?;
        self.results(&bytes)
    }

    async fn search_text(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError> {
        let body = serde_json::to_string(&TextRequest {
            query: query.to_owned(),
            k,
        })
        .map_err(|e| SearchError::Unavailable(e.to_string()))?;
        let bytes = self
            .post("/v1/search/text", &JsValue::from_str(&body), true)
            .await?;
        self.results(&bytes)
    }

    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        let token = self.tokens.borrow().get(page).cloned().ok_or_else(|| {
            SearchError::Unavailable(format!("{page} was not among this proxy's results"))
        })?;
        let body = serde_json::to_string(&ReadRequest { token })
            .map_err(|e| SearchError::Unavailable(e.to_string()))?;
        let bytes = self
            .post("/v1/read", &JsValue::from_str(&body), true)
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| SearchError::Unavailable(format!("{}: not a page: {e}", self.base)))
    }
}
