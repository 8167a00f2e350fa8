//! GoG's search engine over the offline corpus.
//!
//! * [`text`] — BM25F text search over documents and entity pages (Unicode word segmentation,
//!   case and accent folding, title and alias boosting, snippets, deterministic top-k).
//! * [`image`] — reverse image search: image bytes (a whole scene or a crop) in, entities out.
//! * [`bundle`] — the corpus bundle that `cargo xtask corpus` writes and every caller loads,
//!   checked file by file against the sha256 sums in its manifest.
//! * [`backend`] — [`OfflineBackend`], the corpus behind the [`SearchBackend`] trait of
//!   `gog-types` that the proxy, the browser, the CLI and the agent search through.
//!
//! * `fixture` (feature `fixture`) — a made-up bundle for other crates' tests.
//!
//! Nothing here spawns threads or maps files, so the crate builds for `wasm32-unknown-unknown`.

pub mod backend;
pub mod bundle;
pub mod corpus;
#[cfg(feature = "fixture")]
pub mod fixture;
pub mod image;
pub mod text;

pub use backend::OfflineBackend;
pub use bundle::Bundle;
pub use gog_types::{SearchBackend, SearchError};
