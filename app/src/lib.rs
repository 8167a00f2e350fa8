//! The GoG web app: ask a question about an image and watch the model glance and gaze.
//!
//! Client-side rendered with Leptos and built by Trunk. Components live in [`components`], one
//! per thing shown; the browser-facing helpers ([`webgpu`], [`proxy`], [`image_input`],
//! [`gallery`]) hold the logic so that tests can reach it without a page.

mod app;
pub mod components;
pub mod gallery;
pub mod http;
pub mod image_input;
pub mod messages;
pub mod model_worker;
pub mod package;
pub mod proxy;
pub mod share;
pub mod webgpu;

pub use app::App;
