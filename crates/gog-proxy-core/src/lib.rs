//! The search proxy's core, free of any Cloudflare binding so that it runs and is tested natively.
//!
//! The worker crate (`proxy/`) turns each `worker::Request` into a [`ProxyRequest`], implements
//! [`Bindings`] over KV, R2, the rate limiter and `fetch`, asks [`respond`] for a
//! [`ProxyResponse`] and turns that back into a `worker::Response`. Everything a client can
//! observe — status codes, JSON bodies, CORS headers, which provider is called and how — is
//! decided here.

pub mod backend;
mod config;
mod cors;
mod error;
mod health;
pub mod image_url;
pub mod input;
pub mod providers;
pub mod read_token;
pub mod request_key;
mod router;
pub mod search_api;
pub mod shared_traces;
pub mod spend;
pub mod store;
pub mod upstream;

pub use config::{ConfigError, ImageProvider, ProviderKeys, ProxyConfig, Secret, TextProvider};
pub use cors::{AllowedOrigins, OriginError};
pub use error::{ApiError, ErrorCode};
pub use router::{Bindings, Method, ProxyRequest, ProxyResponse, respond};
