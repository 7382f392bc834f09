//! The API's error type: every failure a route can meet, mapped once to an HTTP status and a JSON body
//! `{"error": {"code", "message"}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use blogbot_generator::GeneratorError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or asks for something impossible.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// No API key, or an unknown one.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid key without the route's scope, or a non-loopback caller when no keys are configured.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the resource's state (cancelling a finished job).
    #[error("{0}")]
    Conflict(String),
    /// A model the route needs is not loaded (yet).
    #[error("{0}")]
    Unavailable(String),
    /// The route's queue is full: try again after `retry_after_s`.
    #[error("{message}")]
    Busy { message: String, retry_after_s: u64 },
    /// The request ran past its time limit.
    #[error("{0}")]
    TimedOut(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Busy { .. } => "busy",
            ApiError::TimedOut(_) => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(m) = self {
            tracing::error!(error = %m, "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => {
                resp.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::Busy { retry_after_s, .. } => {
                resp.insert_header(("Retry-After", retry_after_s.to_string()));
            }
            ApiError::TimedOut(_) | ApiError::Unavailable(_) => {
                resp.insert_header(("Retry-After", "5"));
            }
            _ => {}
        }
        resp.json(json!({"error": {"code": self.code(), "message": self.to_string()}}))
    }
}

impl From<GeneratorError> for ApiError {
    fn from(e: GeneratorError) -> Self {
        match e {
            GeneratorError::InvalidInput(m) => ApiError::BadRequest(m),
            GeneratorError::Cancelled => ApiError::Conflict("cancelled".into()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

/// Turns actix's JSON extractor errors into our JSON error body (malformed JSON, wrong types, missing fields,
/// wrong content type, too large).
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let api = match &err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => ApiError::PayloadTooLarge(err.to_string()),
        J::ContentType => ApiError::UnsupportedMediaType("expected a JSON body with content-type application/json".into()),
        J::Deserialize(e) => ApiError::BadRequest(format!("invalid JSON body: {e}")),
        other => ApiError::BadRequest(format!("could not read the body: {other}")),
    };
    api.into()
}

/// Path parameter errors (for example a malformed id) as JSON.
pub fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid path: {err}")).into()
}
