//! Proxy configuration, read from wrangler `[vars]` (and later secrets).

use crate::cors::{AllowedOrigins, OriginError};
use serde::Serialize;
use std::fmt;

/// The search backends this build of the proxy can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchBackendKind {
    /// The bundled offline corpus: needs no network and no secrets.
    Offline,
}

impl SearchBackendKind {
    const ALL: [SearchBackendKind; 1] = [SearchBackendKind::Offline];

    /// The name used in configuration and in `/v1/health`.
    pub fn name(self) -> &'static str {
        match self {
            SearchBackendKind::Offline => "offline",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for SearchBackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A configuration variable that is present but cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} names an unknown search backend {value:?}; known backends: {known}")]
    UnknownBackend {
        var: &'static str,
        value: String,
        known: String,
    },
    #[error("{var} must name at least one search backend")]
    NoBackend { var: &'static str },
    #[error("{var} is invalid: {source}")]
    Origin {
        var: &'static str,
        #[source]
        source: OriginError,
    },
}

/// Everything the proxy reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Search backends, in order of preference.
    pub backends: Vec<SearchBackendKind>,
    /// Browser origins allowed to call the proxy.
    pub allowed_origins: AllowedOrigins,
}

impl ProxyConfig {
    /// Comma-separated list of search backends; default `offline`.
    pub const BACKENDS_VAR: &'static str = "SEARCH_BACKENDS";
    /// Comma-separated list of origins (`scheme://host[:port]`); default: none.
    pub const ORIGINS_VAR: &'static str = "ALLOWED_ORIGINS";

    /// Reads the configuration through `var`, which returns a variable's value if it is set.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let backends = match var(Self::BACKENDS_VAR) {
            None => vec![SearchBackendKind::Offline],
            Some(list) => parse_backends(&list)?,
        };
        let allowed_origins = match var(Self::ORIGINS_VAR) {
            None => AllowedOrigins::default(),
            Some(list) => {
                AllowedOrigins::parse_list(&list).map_err(|source| ConfigError::Origin {
                    var: Self::ORIGINS_VAR,
                    source,
                })?
            }
        };
        Ok(ProxyConfig {
            backends,
            allowed_origins,
        })
    }
}

fn parse_backends(list: &str) -> Result<Vec<SearchBackendKind>, ConfigError> {
    let mut backends = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let kind = SearchBackendKind::parse(name).ok_or_else(|| ConfigError::UnknownBackend {
            var: ProxyConfig::BACKENDS_VAR,
            value: name.to_owned(),
            known: SearchBackendKind::ALL
                .map(SearchBackendKind::name)
                .join(", "),
        })?;
        if !backends.contains(&kind) {
            backends.push(kind);
        }
    }
    if backends.is_empty() {
        return Err(ConfigError::NoBackend {
            var: ProxyConfig::BACKENDS_VAR,
        });
    }
    Ok(backends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ProxyConfig::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_to_the_offline_backend_and_no_origins() {
        let config = config(&[]).expect("empty environment is valid");
        assert_eq!(config.backends, vec![SearchBackendKind::Offline]);
        assert!(!config.allowed_origins.allows("http://127.0.0.1:8080"));
    }

    #[test]
    fn reads_backends_and_origins() {
        let config = config(&[
            ("SEARCH_BACKENDS", " offline , offline"),
            (
                "ALLOWED_ORIGINS",
                "http://127.0.0.1:8080, https://gog.example",
            ),
        ])
        .expect("valid");
        assert_eq!(config.backends, vec![SearchBackendKind::Offline]);
        assert!(config.allowed_origins.allows("https://gog.example"));
        assert!(config.allowed_origins.allows("http://127.0.0.1:8080"));
    }

    #[test]
    fn an_unknown_backend_is_named_in_the_error() {
        let err = config(&[("SEARCH_BACKENDS", "offline,bing")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SEARCH_BACKENDS names an unknown search backend \"bing\"; known backends: offline"
        );
    }

    #[test]
    fn an_empty_backend_list_is_rejected() {
        assert_eq!(
            config(&[("SEARCH_BACKENDS", " , ")]).unwrap_err(),
            ConfigError::NoBackend {
                var: "SEARCH_BACKENDS"
            }
        );
    }

    #[test]
    fn a_bad_origin_is_rejected_with_the_variable_name() {
        let err = config(&[("ALLOWED_ORIGINS", "http://ok.example,not a url")]).unwrap_err();
        assert!(
            err.to_string().starts_with("ALLOWED_ORIGINS is invalid:"),
            "{err}"
        );
    }
}
