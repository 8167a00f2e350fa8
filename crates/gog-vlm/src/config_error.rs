//! Why a model's `config.json` cannot be used.

/// A `config.json` that is not a model this runtime can run, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json is not valid JSON: {0}")]
    Json(String),
    #[error("config.json describes a {found:?} model; this loader reads {expected:?}")]
    Architecture {
        expected: &'static str,
        found: String,
    },
    #[error("config.json lacks {field}")]
    Missing { field: String },
    #[error("config.json: {field} {reason}")]
    Invalid { field: String, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}
