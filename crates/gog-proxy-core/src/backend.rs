//! The proxy's search backends: the offline corpus, or live providers chosen by configuration.
//! Both implement the shared [`SearchBackend`], plus [`Priced`] for the spend cap.

use std::rc::Rc;

use gog_search::OfflineBackend;
use gog_types::{ImageResult, Page, SearchBackend, SearchError, TextResult};

use crate::config::{ImageProvider, ProxyConfig, Secret, TextProvider};
use crate::image_url;
use crate::providers::{self, brave, google_vision, jina, serpapi, serper};
use crate::spend::{Operation, Priced};
use crate::store::Store;
use crate::upstream::{HttpRequest, RetryPolicy, Upstream, send_with_retries};

impl Priced for OfflineBackend {
    fn provider_for(&self, _: Operation) -> Option<&'static str> {
        None
    }
}

/// Live providers: one for images, one for text, Jina Reader for pages.
#[derive(Debug)]
pub struct LiveBackend<U, I> {
    config: ProxyConfig,
    upstream: U,
    /// Where crops for `serpapi_lens` are kept while the provider fetches them (R2).
    images: I,
    now: u64,
    policy: RetryPolicy,
    name: String,
}

impl<U: Upstream, I: Store> LiveBackend<U, I> {
    pub fn new(config: ProxyConfig, upstream: U, images: I, now: u64) -> Self {
        let name = config.backends().join("+");
        LiveBackend {
            config,
            upstream,
            images,
            now,
            policy: RetryPolicy::default(),
            name,
        }
    }

    fn origin(&self, default: &'static str) -> String {
        providers::origin(default, self.config.test_upstream.as_deref())
    }

    async fn fetch(&self, provider: &str, request: &HttpRequest) -> Result<Vec<u8>, SearchError> {
        let response = send_with_retries(&self.upstream, &self.policy, provider, request).await?;
        Ok(response.body)
    }

    async fn lens(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        let key = key(&self.config.keys.serpapi, "SERPAPI_KEY")?;
        let public_url = self
            .config
            .public_url
            .as_deref()
            .ok_or_else(|| SearchError::Unavailable("serpapi_lens needs PUBLIC_URL".into()))?;
        let sha256 = gog_types::sha256_hex(image);
        self.images
            .put(&image_url::store_key(&sha256), image)
            .await
            .map_err(|err| SearchError::Unavailable(err.to_string()))?;
        let secret = self.config.token_secret.expose().as_bytes();
        let url = image_url::sign(public_url, secret, &sha256, self.now);
        let request = serpapi::lens_request(&self.origin(serpapi::ORIGIN), key, &url);
        serpapi::parse_lens(&self.fetch(serpapi::LENS_NAME, &request).await?, k)
    }
}

fn key<'a>(key: &'a Option<Secret>, name: &str) -> Result<&'a str, SearchError> {
    key.as_ref()
        .map(Secret::expose)
        .ok_or_else(|| SearchError::Unavailable(format!("{name} is not set")))
}

impl<U: Upstream, I: Store> Priced for LiveBackend<U, I> {
    fn provider_for(&self, operation: Operation) -> Option<&'static str> {
        Some(match operation {
            Operation::ImageSearch => self.config.image_provider.name(),
            Operation::TextSearch => self.config.text_provider.name(),
            Operation::Read => jina::NAME,
        })
    }
}

impl<U: Upstream, I: Store> SearchBackend for LiveBackend<U, I> {
    fn name(&self) -> &str {
        &self.name
    }

    async fn search_image(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        match self.config.image_provider {
            ImageProvider::SerpapiLens => self.lens(image, k).await,
            ImageProvider::GoogleVision => {
                let key = key(&self.config.keys.google_vision, "GOOGLE_VISION_KEY")?;
                let request =
                    google_vision::request(&self.origin(google_vision::ORIGIN), key, image, k);
                google_vision::parse(&self.fetch(google_vision::NAME, &request).await?, k)
            }
        }
    }

    async fn search_text(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError> {
        let keys = &self.config.keys;
        match self.config.text_provider {
            TextProvider::Serpapi => {
                let key = key(&keys.serpapi, "SERPAPI_KEY")?;
                let request = serpapi::web_request(&self.origin(serpapi::ORIGIN), key, query, k);
                serpapi::parse_web(&self.fetch(serpapi::NAME, &request).await?, k)
            }
            TextProvider::Serper => {
                let key = key(&keys.serper, "SERPER_KEY")?;
                let request = serper::web_request(&self.origin(serper::ORIGIN), key, query, k);
                serper::parse_web(&self.fetch(serper::NAME, &request).await?, k)
            }
            TextProvider::Brave => {
                let key = key(&keys.brave, "BRAVE_KEY")?;
                let request = brave::web_request(&self.origin(brave::ORIGIN), key, query, k);
                brave::parse_web(&self.fetch(brave::NAME, &request).await?, k)
            }
        }
    }

    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        let key = self.config.keys.jina.as_ref().map(Secret::expose);
        let request = jina::request(&self.origin(jina::ORIGIN), key, page)?;
        jina::parse(page, &self.fetch(jina::NAME, &request).await?)
    }
}

/// The backend a configuration asks for. One lives per request, so the live variant's size
/// costs nothing worth a box.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum AnyBackend<U, I> {
    Offline(Rc<OfflineBackend>),
    Live(LiveBackend<U, I>),
}

impl<U: Upstream, I: Store> Priced for AnyBackend<U, I> {
    fn provider_for(&self, operation: Operation) -> Option<&'static str> {
        match self {
            AnyBackend::Offline(offline) => offline.provider_for(operation),
            AnyBackend::Live(live) => live.provider_for(operation),
        }
    }
}

gog_types::delegate_search_backend!(impl[U: Upstream, I: Store] AnyBackend<U, I> { Offline, Live });
