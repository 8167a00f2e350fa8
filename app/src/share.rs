//! Share links. A small trace travels in the link itself: `#trace=` and its canonical JSON,
//! deflated and base64url-encoded, so the link works with no server at all. A larger one is
//! stored through the proxy under its content id and the link names it: `#trace-id=sha256:…`
//! (with `?proxy=` when the proxy is not the default). Either way the trace is read back with
//! [`Trace::from_json`], which refuses one whose content does not match its id.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gog_agent::Trace;
use gog_agent::trace::TraceError;

/// The longest fragment put in a link: every current browser opens far longer URLs, but chat
/// apps and mail clients cut them, and a link is for pasting.
pub const MAX_FRAGMENT_CHARS: usize = 64 * 1024;

/// The most bytes a link's trace may inflate to (a trace with its image is a few MB at most).
const MAX_INFLATED_BYTES: usize = 32 * 1024 * 1024;

/// What a link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedLink {
    /// The trace itself, encoded.
    Inline(String),
    /// A trace stored through the proxy, by id.
    Stored(String),
}

/// Why a link's trace cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("the link is damaged: its trace is not valid base64url (was it cut short?)")]
    NotBase64,
    #[error("the link is damaged: its trace does not decompress (was it cut short?)")]
    NotDeflate,
    #[error("the link's trace is not text")]
    NotText,
    #[error("the link's trace id {0:?} is not a GoG trace id")]
    BadId(String),
    #[error("{0}")]
    Trace(#[from] TraceError),
}

/// What the page's fragment (`location.hash`, with or without `#`) shares, if anything.
pub fn parse_fragment(hash: &str) -> Option<SharedLink> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    if let Some(encoded) = hash.strip_prefix("trace=") {
        return Some(SharedLink::Inline(encoded.to_owned()));
    }
    hash.strip_prefix("trace-id=")
        .map(|id| SharedLink::Stored(id.to_owned()))
}

/// The fragment carrying `trace` itself (without `#`).
pub fn inline_fragment(trace: &Trace) -> String {
    let json = trace.canonical_json();
    let deflated = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    format!("trace={}", URL_SAFE_NO_PAD.encode(deflated))
}

/// The fragment naming a stored trace.
pub fn stored_fragment(id: &str) -> String {
    format!("trace-id={id}")
}

/// Reads the trace out of an inline link.
pub fn decode_inline(encoded: &str) -> Result<Trace, ShareError> {
    let deflated = URL_SAFE_NO_PAD
        .decode(encoded.trim())
        .map_err(|_| ShareError::NotBase64)?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_INFLATED_BYTES)
        .map_err(|_| ShareError::NotDeflate)?;
    let json = String::from_utf8(json).map_err(|_| ShareError::NotText)?;
    Ok(Trace::from_json(&json)?)
}

/// Checks a stored trace's id before it is put in a URL path.
pub fn checked_id(id: &str) -> Result<&str, ShareError> {
    let hex = id.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(ShareError::BadId(id.chars().take(80).collect()))
    }
}
