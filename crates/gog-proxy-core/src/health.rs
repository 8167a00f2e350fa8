//! `GET /v1/health`: whether the proxy is up and what it is configured to do.

use gog_types::wire::HealthReport;

use crate::config::ProxyConfig;

/// The health report of a proxy configured by `config`, at `version`.
pub fn report(config: &ProxyConfig, version: &str) -> HealthReport {
    HealthReport {
        status: "ok".into(),
        service: "gog-proxy".into(),
        version: version.into(),
        mode: config.mode.name().into(),
        backends: config.backends().into_iter().map(String::from).collect(),
    }
}
