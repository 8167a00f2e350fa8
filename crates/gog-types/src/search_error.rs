//! What can go wrong between a query (or a corpus bundle) and its results, whichever backend
//! answers.

use thiserror::Error;

/// Everything that can go wrong between a query (or a bundle) and its results.
#[derive(Debug, Error)]
pub enum SearchError {
    /// A text query with no searchable word in it.
    #[error("the query has no searchable words")]
    EmptyQuery,
    /// A text query longer than the engine accepts.
    #[error("the query is {chars} characters long; at most {max} are accepted")]
    QueryTooLong { chars: usize, max: usize },
    /// Bytes that are not a PNG, JPEG or WebP image, or whose image data is damaged.
    #[error("the image cannot be decoded: {0}")]
    UndecodableImage(String),
    /// An image whose header announces more pixels than the engine decodes.
    #[error("the image is {width}×{height} pixels; at most {max_pixels} pixels are decoded")]
    ImageTooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// An image with no pixels, or one too small to describe.
    #[error("the image is {width}×{height} pixels; at least {min}×{min} are needed")]
    ImageTooSmall { width: u32, height: u32, min: u32 },
    /// A result number or page id that the corpus does not hold.
    #[error("no page `{0}` in the corpus")]
    UnknownPage(String),
    /// A backend that could not answer: a provider down or timing out, or a replay asked for
    /// a search its trace did not record.
    #[error("the search could not be answered: {0}")]
    Unavailable(String),
    /// A bundle file that is missing, damaged, or does not match its manifest.
    #[error("corpus bundle: {0}")]
    Bundle(String),
}
