//! The key a search is cached, recorded and replayed under: the SHA-256 of its canonical
//! request — what was searched (the image's hash, or the query), where, and with which
//! parameters — so the same search always finds the same stored results.

use serde_json::json;

/// Bumped whenever what a key covers changes, so old records are never misread.
const KEY_VERSION: u32 = 1;

/// What a search asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKind<'a> {
    /// An image search, by the SHA-256 (hex) of the image's bytes.
    Image { sha256: &'a str },
    /// A text search, by its query as sent (whitespace collapsed: it changes no provider's
    /// results).
    Text { query: &'a str },
    /// A page read, by its address.
    Read { page: &'a str },
}

/// The cache key of a search at `provider` returning `k` results: lower-case hex.
pub fn request_key(kind: &SearchKind<'_>, provider: &str, k: usize) -> String {
    let what = match kind {
        SearchKind::Image { sha256 } => json!({"image": sha256}),
        SearchKind::Text { query } => {
            json!({"text": query.split_whitespace().collect::<Vec<_>>().join(" ")})
        }
        SearchKind::Read { page } => json!({"read": page}),
    };
    let canonical = gog_types::canonical_json(&json!({
        "v": KEY_VERSION,
        "provider": provider,
        "k": k,
        "request": what,
    }));
    gog_types::sha256_hex(canonical.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cover_the_request_provider_and_k_and_nothing_else() {
        let text = |q| request_key(&SearchKind::Text { query: q }, "serper", 5);
        assert_eq!(text("eiffel  tower\n"), text("eiffel tower"));
        assert_ne!(
            text("eiffel tower"),
            text("Eiffel tower"),
            "case can change results"
        );
        assert_ne!(
            text("eiffel tower"),
            request_key(
                &SearchKind::Text {
                    query: "eiffel tower"
                },
                "brave",
                5
            )
        );
        assert_ne!(
            text("eiffel tower"),
            request_key(
                &SearchKind::Text {
                    query: "eiffel tower"
                },
                "serper",
                6
            )
        );
        let image = request_key(&SearchKind::Image { sha256: "ab" }, "offline", 5);
        let read = request_key(&SearchKind::Read { page: "ab" }, "offline", 5);
        assert_ne!(image, read);
        assert_eq!(image.len(), 64);
        assert!(image.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
