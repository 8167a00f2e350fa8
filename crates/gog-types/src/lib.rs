//! GoG's shared types, at the bottom of the layers (`docs/ARCHITECTURE.md`): every crate may use
//! them, and they use no other GoG crate.
//!
//! * [`search`] — the [`SearchBackend`] trait every caller searches through, and its results.
//! * [`wire`] — the search proxy's HTTP bodies, written by the proxy and read by its clients.
//! * [`hash`] — content hashing (lower-case hex SHA-256).
//! * [`canonical`] — canonical JSON.
//! * [`image`] (feature `image`) — images from people and the web, read strictly.
//!
//! Nothing here spawns threads or touches files, so the crate builds for `wasm32-unknown-unknown`.

pub mod canonical;
pub mod hash;
#[cfg(feature = "image")]
pub mod image;
pub mod search;
mod search_error;
pub mod wire;

pub use canonical::canonical_json;
pub use hash::sha256_hex;
pub use search::{ImageResult, Page, Paged, SearchBackend, TextResult};
pub use search_error::SearchError;
