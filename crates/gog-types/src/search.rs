//! The one search interface every caller uses — the proxy, the browser, the CLI and the agent —
//! and the results it returns, whichever backend serves them.

use serde::{Deserialize, Serialize};

use crate::SearchError;

/// A reverse-image-search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageResult {
    pub title: String,
    /// The result's page, readable with [`SearchBackend::read`].
    pub page: String,
    /// Where the page lives on the web, when it does.
    #[serde(default)]
    pub page_url: Option<String>,
    /// The matched picture as a URL (a `data:` URL for the offline corpus).
    #[serde(default)]
    pub thumbnail: Option<String>,
    /// Where the result came from (the corpus package, or the provider).
    pub source: String,
    pub score: f32,
}

/// A text-search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextResult {
    pub title: String,
    /// The result's page, readable with [`SearchBackend::read`].
    pub page: String,
    #[serde(default)]
    pub url: Option<String>,
    /// Plain text around the query's words; never markup.
    pub snippet: String,
    pub source: String,
    pub score: f32,
}

/// A search result that names the page it came from: what code generic over both kinds of
/// result reads (the proxy signs a read token per page; its clients keep those tokens by page).
pub trait Paged {
    fn page(&self) -> &str;
}

impl Paged for ImageResult {
    fn page(&self) -> &str {
        &self.page
    }
}

impl Paged for TextResult {
    fn page(&self) -> &str {
        &self.page
    }
}

/// A page's readable text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub id: String,
    pub title: String,
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
    pub source: String,
    pub licence: String,
}

/// Image search, text search and page reading, wherever they are served from.
///
/// The futures are not `Send`: in the browser and the worker they hold JavaScript values.
#[allow(
    async_fn_in_trait,
    reason = "callers are single-threaded (browser, worker) or block on one future"
)]
pub trait SearchBackend {
    /// A short name for traces (`offline`, `serpapi`, …).
    fn name(&self) -> &str;

    /// Entities whose pictures `image` (PNG, JPEG or WebP bytes) shows, best first.
    async fn search_image(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError>;

    /// Pages matching `query`, best first.
    async fn search_text(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError>;

    /// The readable text of a page a search returned.
    async fn read(&self, page: &str) -> Result<Page, SearchError>;
}

/// Implements [`SearchBackend`] for an enum whose variants each hold one backend (or a pointer to
/// one), by handing every call to the variant's backend. Such an enum is how a backend is
/// chosen at run time: the trait's async methods rule out `dyn SearchBackend`.
///
/// ```ignore
/// delegate_search_backend!(impl[] RunSearch { Offline, Proxy, Recorded });
/// delegate_search_backend!(impl[U: Upstream, I: Store] AnyBackend<U, I> { Offline, Live });
/// ```
#[macro_export]
macro_rules! delegate_search_backend {
    (impl[$($generics:tt)*] $backend:ty { $($variant:ident),+ $(,)? }) => {
        impl<$($generics)*> $crate::SearchBackend for $backend {
            fn name(&self) -> &str {
                use $crate::SearchBackend as _;
                match self {
                    $(Self::$variant(backend) => backend.name(),)+
                }
            }

            async fn search_image(
                &self,
                image: &[u8],
                k: usize,
            ) -> ::core::result::Result<Vec<$crate::ImageResult>, $crate::SearchError> {
                use $crate::SearchBackend as _;
                match self {
                    $(Self::$variant(backend) => backend.search_image(image, k).await,)+
                }
            }

            async fn search_text(
                &self,
                query: &str,
                k: usize,
            ) -> ::core::result::Result<Vec<$crate::TextResult>, $crate::SearchError> {
                use $crate::SearchBackend as _;
                match self {
                    $(Self::$variant(backend) => backend.search_text(query, k).await,)+
                }
            }

            async fn read(
                &self,
                page: &str,
            ) -> ::core::result::Result<$crate::Page, $crate::SearchError> {
                use $crate::SearchBackend as _;
                match self {
                    $(Self::$variant(backend) => backend.read(page).await,)+
                }
            }
        }
    };
}
