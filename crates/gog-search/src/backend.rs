//! The offline corpus behind the [`SearchBackend`] interface every caller uses.

use base64::Engine as _;

use crate::image::decode;
use crate::text::snippet;
use crate::{Bundle, SearchError};
pub use gog_types::{ImageResult, Page, Paged, SearchBackend, TextResult};

/// The most results one search returns.
pub const MAX_RESULTS: usize = 20;

/// Characters of body text a text result's snippet shows.
pub const SNIPPET_CHARS: usize = 240;

/// The offline corpus as a search backend: no network, no secrets.
#[derive(Debug)]
pub struct OfflineBackend {
    bundle: Bundle,
}

impl OfflineBackend {
    pub fn new(bundle: Bundle) -> Self {
        Self { bundle }
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The synchronous core of [`SearchBackend::search_image`].
    pub fn image_results(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        let picture = decode(image)?;
        let hits = self.bundle.images.search(&picture, k.min(MAX_RESULTS));
        Ok(hits
            .into_iter()
            .map(|hit| {
                let entity = &self.bundle.entities[hit.entity];
                let thumbnail =
                    base64::engine::general_purpose::STANDARD.encode(self.bundle.thumbnail(entity));
                ImageResult {
                    title: entity.title.clone(),
                    page: entity.page.clone(),
                    page_url: None,
                    thumbnail: Some(format!("data:{};base64,{thumbnail}", entity.picture.mime)),
                    source: entity.provenance.package.clone(),
                    score: hit.score,
                }
            })
            .collect())
    }

    /// The synchronous core of [`SearchBackend::search_text`].
    pub fn text_results(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError> {
        let hits = self.bundle.text.search(query, k.min(MAX_RESULTS))?;
        Ok(hits
            .into_iter()
            .map(|hit| {
                let doc = &self.bundle.documents[hit.doc];
                TextResult {
                    title: doc.title.clone(),
                    page: doc.id.clone(),
                    url: None,
                    snippet: snippet(&doc.body, query, SNIPPET_CHARS),
                    source: doc.provenance.package.clone(),
                    score: hit.score as f32,
                }
            })
            .collect())
    }

    /// The synchronous core of [`SearchBackend::read`].
    pub fn page(&self, page: &str) -> Result<Page, SearchError> {
        let doc = self
            .bundle
            .document(page)
            .ok_or_else(|| SearchError::UnknownPage(page.to_string()))?;
        Ok(Page {
            id: doc.id.clone(),
            title: doc.title.clone(),
            text: doc.body.clone(),
            url: None,
            source: doc.provenance.package.clone(),
            licence: doc.provenance.licence.clone(),
        })
    }
}

impl SearchBackend for OfflineBackend {
    fn name(&self) -> &str {
        "offline"
    }

    async fn search_image(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        self.image_results(image, k)
    }

    async fn search_text(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError> {
        self.text_results(query, k)
    }

    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        self.page(page)
    }
}
