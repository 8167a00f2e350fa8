//! The search proxy's core, free of any Cloudflare binding so that it runs and is tested natively.
//!
//! The worker crate (`proxy/`) turns each `worker::Request` into a [`ProxyRequest`], asks
//! [`respond`] for a [`ProxyResponse`] and turns that back into a `worker::Response`. Everything a
//! client can observe — status codes, JSON bodies, CORS headers — is decided here.

mod config;
mod cors;
mod error;
mod health;
pub mod input;
pub mod read_token;
pub mod request_key;
mod router;
pub mod search_api;
pub mod shared_traces;
pub mod store;

pub use config::{ConfigError, ProxyConfig, SearchBackendKind};
pub use cors::{AllowedOrigins, OriginError};
pub use error::{ApiError, ErrorCode};
pub use health::Health;
pub use router::{Method, ProxyRequest, ProxyResponse, respond};
