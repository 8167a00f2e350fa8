//! GoG-Offline: the benchmark of scenes that tests glance against gaze with no network.
//!
//! A scene is one to four pictures of corpus entities (flags, monuments, animals, logos) framed
//! and laid on a background photo, with one question whose answer comes from the corpus. Each
//! question is labelled by what answering it needs ([`Category`]): nothing beyond the image,
//! a search of the whole image (glance), a search of one region (gaze), a fact found by text
//! search, or two facts in a row (multi-hop).
//!
//! * [`split`] — train, validation and test, disjoint by entity.
//! * [`layout`] — where pictures go and how a question can name one (position, size, colour).
//! * [`question`] — questions, answers and evidence from entity facts.
//! * [`render`] — drawing a scene.
//! * [`stats`] — the percentile the search bench and `gog eval` report.
//! * [`generate`] — the seeded generator: the same seed gives the same bytes.
//! * [`record`] — the JSON-lines record `gog eval` reads.
//! * [`background`] — the background photos `cargo xtask corpus` writes beside the bundle.

pub mod background;
mod error;
pub mod generate;
pub mod layout;
pub mod question;
pub mod record;
pub mod render;
pub mod split;
pub mod stats;

pub use error::SceneError;
pub use generate::{Generator, Scene, SplitCounts};
pub use record::{Category, Record};
pub use split::Split;
