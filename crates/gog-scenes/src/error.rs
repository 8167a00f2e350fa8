//! Why scenes could not be made or written.

use crate::split::Split;

/// Why scenes could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// The corpus has no entity that a category needs in this split.
    #[error("the {split} split has no {what}: the corpus is too small for GoG-Offline")]
    EmptyPool { split: Split, what: &'static str },
    #[error("unknown generator version {0:?}: versions are 1 and 2")]
    UnknownVersion(String),
    #[error("no background photos: {0}")]
    NoBackgrounds(String),
    #[error("{what} is not a usable picture: {reason}")]
    Picture { what: String, reason: String },
    #[error("cannot encode scene {id}: {reason}")]
    Encode { id: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {reason}")]
    Listing { path: String, reason: String },
}
