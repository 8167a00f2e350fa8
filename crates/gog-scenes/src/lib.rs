//! GoG-Offline: the benchmark of scenes that tests glance against gaze with no network, and
//! the scenes a model is trained on.
//!
//! A scene is one to five pictures of corpus entities (flags, monuments, animals, logos) laid
//! on a background — a photo, or a pattern made from the seed — with one question whose answer
//! comes from the corpus. Each question is labelled by what answering it needs
//! ([`Category`]): nothing beyond the image, a search of the whole image (glance), a search of
//! one region (gaze), a fact found by text search, or two facts in a row (multi-hop).
//!
//! Scenes are made by a [`GeneratorVersion`]: version 1 is the benchmark's first release (800 ×
//! 600 photos with one to four framed prints), kept byte for byte; version 2 varies everything
//! a model could otherwise learn instead of the task (canvas shape and size, how pictures are
//! drawn, turned and overlapped, backgrounds, wordings). One generator serves both; a version
//! is its parameters ([`params`]).
//!
//! * [`split`] — train, validation and test, disjoint by entity.
//! * [`version`], [`params`] — the versions and what each draws from; [`draw`] — draws that a
//!   fixed parameter skips, which keeps version 1's random stream intact.
//! * [`canvas`], [`layout`], [`look`], [`overlap`] — the scene's size; where pictures go; how
//!   each is finished (frame, shadow, turn); how much of one the others may hide.
//! * [`refer`], [`question`], [`phrasing`] — how a question names its picture (position, size,
//!   colour, kind), what it asks and answers from entity facts, and its wordings.
//! * [`generate`] — the seeded generator: the same seed and version give the same bytes;
//!   [`composition`] — a scene's choices before drawing; [`render`] — drawing them.
//! * [`record`] — the JSON-lines record `gog eval` reads; [`write`] — writing splits on every
//!   core.
//! * [`stats`] — the percentile the search bench and `gog eval` report.
//! * [`background`] — the background photos `cargo xtask corpus` writes beside the bundle.

pub mod background;
pub mod canvas;
pub mod composition;
pub mod draw;
mod error;
pub mod generate;
pub mod layout;
pub mod look;
pub mod overlap;
pub mod params;
pub mod phrasing;
mod pool;
pub mod question;
pub mod record;
pub mod refer;
pub mod render;
pub mod split;
pub mod stats;
pub mod version;
pub mod write;

pub use error::SceneError;
pub use generate::{Generator, Scene, SplitCounts};
pub use record::{Category, Record};
pub use split::Split;
pub use version::GeneratorVersion;
