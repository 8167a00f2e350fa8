//! `GET /v1/health`: whether the proxy is up and what it is configured to do.

use crate::config::ProxyConfig;
use serde::Serialize;

/// The health report. `status` is always `"ok"` when the proxy can answer at all; a proxy whose
/// configuration is unusable answers with a `misconfigured` error instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
    /// `offline`, `live`, `record` or `replay`.
    pub mode: &'static str,
    /// The backends searches use: `offline`, or the image, text and page providers.
    pub backends: Vec<&'static str>,
}

impl Health {
    pub fn of(config: &ProxyConfig, version: &'static str) -> Self {
        Health {
            status: "ok",
            service: "gog-proxy",
            version,
            mode: config.mode.name(),
            backends: config.backends(),
        }
    }
}
