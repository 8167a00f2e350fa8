//! Cross-origin access: which browser origins may call the proxy, and the headers that say so.

use url::Url;

/// An entry of the origin allow-list that is not a plain `scheme://host[:port]` origin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginError {
    #[error("{0:?} is not a URL")]
    NotAUrl(String),
    #[error("{0:?} is not an http or https origin")]
    UnsupportedScheme(String),
    #[error(
        "{0:?} has a path, query, fragment or credentials; an origin is only scheme://host[:port]"
    )]
    NotAnOrigin(String),
}

/// The exact origins allowed to call the proxy from a browser. There is no wildcard: a public
/// proxy spends its owner's search budget, so every front end that may use it is named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// Parses a comma-separated list; blank entries are ignored.
    pub fn parse_list(list: &str) -> Result<Self, OriginError> {
        let mut origins = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let origin = normalise(entry)?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(AllowedOrigins { origins })
    }

    /// Whether a request's `Origin` header value is on the list.
    pub fn allows(&self, origin: &str) -> bool {
        // Browsers send serialised origins; comparing normalised forms also accepts `HTTP://X:80`.
        normalise(origin).is_ok_and(|origin| self.origins.contains(&origin))
    }

    /// The origins, normalised (`http://127.0.0.1:8080`, no trailing slash).
    pub fn as_slice(&self) -> &[String] {
        &self.origins
    }
}

fn normalise(entry: &str) -> Result<String, OriginError> {
    let url = Url::parse(entry).map_err(|_| OriginError::NotAUrl(entry.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OriginError::UnsupportedScheme(entry.to_owned()));
    }
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !bare {
        return Err(OriginError::NotAnOrigin(entry.to_owned()));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_default_ports_and_trailing_slashes() {
        let list =
            AllowedOrigins::parse_list("HTTP://LocalHost:80/, https://a.example:443").unwrap();
        assert_eq!(list.as_slice(), ["http://localhost", "https://a.example"]);
        assert!(list.allows("http://localhost"));
        assert!(list.allows("https://a.example"));
    }

    #[test]
    fn ports_and_schemes_must_match_exactly() {
        let list = AllowedOrigins::parse_list("http://127.0.0.1:8080").unwrap();
        assert!(list.allows("http://127.0.0.1:8080"));
        assert!(!list.allows("http://127.0.0.1:8081"));
        assert!(!list.allows("https://127.0.0.1:8080"));
        assert!(!list.allows("null"));
        assert!(!list.allows(""));
    }

    #[test]
    fn rejects_entries_that_are_not_origins() {
        for (entry, expected) in [
            ("*", OriginError::NotAUrl("*".into())),
            (
                "ftp://x.example",
                OriginError::UnsupportedScheme("ftp://x.example".into()),
            ),
            (
                "http://x.example/app",
                OriginError::NotAnOrigin("http://x.example/app".into()),
            ),
            (
                "http://x.example/?q",
                OriginError::NotAnOrigin("http://x.example/?q".into()),
            ),
            (
                "http://u:p@x.example",
                OriginError::NotAnOrigin("http://u:p@x.example".into()),
            ),
        ] {
            assert_eq!(AllowedOrigins::parse_list(entry), Err(expected), "{entry}");
        }
    }
}
