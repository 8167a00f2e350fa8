//! The search proxy's HTTP bodies (`docs/API.md`), defined once: the proxy writes them, and the
//! model's worker and the page read them with the same types.

use serde::{Deserialize, Serialize};

/// How searches are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// From the backend, storing nothing (the offline corpus needs no record).
    Offline,
    /// From the store when it holds the search, else from the backend, storing the results.
    Live,
    /// From the backend always, storing the results so a later replay sees exactly them.
    Record,
    /// From the store only.
    Replay,
}

impl SearchMode {
    /// The name used in configuration and in `/v1/health`.
    pub fn name(self) -> &'static str {
        match self {
            SearchMode::Offline => "offline",
            SearchMode::Live => "live",
            SearchMode::Record => "record",
            SearchMode::Replay => "replay",
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Served {
    /// The backend answered.
    Backend,
    /// Stored results answered.
    Store,
}

/// A search's answer: its results, each with a read token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchReply<R> {
    pub provider: String,
    pub served: Served,
    /// The search's key in the store (lower-case hex).
    pub key: String,
    pub results: Vec<Tokened<R>>,
}

/// A result and the token that lets a client read its page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tokened<R> {
    #[serde(flatten)]
    pub result: R,
    pub token: String,
}

/// `POST /v1/search/text`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextRequest {
    pub query: String,
    #[serde(default = "default_k")]
    pub k: usize,
}

/// `POST /v1/read`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    pub token: String,
}

fn default_k() -> usize {
    5
}

/// `GET /v1/health`'s answer. `status` is always `"ok"` when the proxy can answer at all; a
/// proxy whose configuration is unusable answers with a `misconfigured` error instead. Clients
/// read it leniently: fields an older proxy did not send take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: String,
    #[serde(default)]
    pub service: String,
    pub version: String,
    /// `offline`, `live`, `record` or `replay`.
    #[serde(default)]
    pub mode: String,
    /// The backends searches use: `offline`, or the image, text and page providers.
    #[serde(default)]
    pub backends: Vec<String>,
}

/// `PUT /v1/traces`'s answer: the stored trace's id and where to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedTrace {
    pub id: String,
    pub url: String,
}

/// Stable error codes: clients match on these, so a code is never renamed or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    MethodNotAllowed,
    OriginNotAllowed,
    Misconfigured,
    /// The body is over the route's limit.
    PayloadTooLarge,
    /// The image is not PNG, JPEG or WebP by its magic bytes.
    UnsupportedMediaType,
    /// The image's header declares more pixels than are allowed (a decompression bomb, or just
    /// too large); nothing was decoded.
    ImageTooLarge,
    /// The request is malformed: bad JSON, a missing or out-of-range field, an empty query.
    BadRequest,
    /// A `/v1/read` token that this proxy did not issue, or that expired.
    InvalidToken,
    /// A shared trace whose content does not match its id or the trace schema.
    InvalidTrace,
    /// A shared trace whose id is stored already as other bytes (stored by an older proxy,
    /// which kept bodies as sent); what is stored under an id never changes.
    TraceConflict,
    /// In replay mode, a search that was never recorded.
    NotRecorded,
    /// The search provider or the store failed; the agent tells the model and carries on.
    UpstreamFailed,
    /// This client sent more requests than the rate limit allows; see `Retry-After`.
    RateLimited,
    /// A provider's daily spend cap is used up; see `Retry-After` (the next UTC midnight).
    DailyCapReached,
    /// A signed image URL that this proxy did not sign, or that expired.
    InvalidSignature,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::OriginNotAllowed => 403,
            ErrorCode::Misconfigured => 500,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ImageTooLarge => 422,
            ErrorCode::BadRequest | ErrorCode::InvalidTrace => 400,
            ErrorCode::TraceConflict => 409,
            ErrorCode::InvalidToken => 403,
            ErrorCode::NotRecorded => 404,
            ErrorCode::UpstreamFailed => 502,
            ErrorCode::RateLimited => 429,
            ErrorCode::DailyCapReached => 503,
            ErrorCode::InvalidSignature => 403,
        }
    }
}

/// An error answer's body: `{"error": {"code": "...", "message": "..."}}`. Clients read it with
/// any code type (`serde_json::Value` for codes a newer proxy may add).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody<C = ErrorCode> {
    pub error: ErrorDetail<C>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail<C = ErrorCode> {
    pub code: C,
    pub message: String,
}

impl ErrorBody {
    /// The message of an error answer's body, whatever its code; `None` when the body is not
    /// one.
    pub fn message_of(body: &[u8]) -> Option<String> {
        serde_json::from_slice::<ErrorBody<serde_json::Value>>(body)
            .ok()
            .map(|body| body.error.message)
    }
}
