//! Errors as clients see them: a stable machine-readable code, an HTTP status and a message.

use serde::Serialize;

/// Stable error codes: clients match on these, so a code is never renamed or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// An error response body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds after which the client may try again (`Retry-After`), for limits that pass.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The JSON body sent to the client.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": self }).to_string()
    }
}
