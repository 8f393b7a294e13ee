//! The API's error boundary: what a request can fail with, as JSON `{"error": {code, message}}`
//! with a stable machine-readable `code` and an HTTP status; and what starting the server can
//! fail with.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a request was refused. Every variant maps to one status and one stable `code`.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidDocument(String),
    #[error("{0}")]
    NoMessage(String),
    #[error("{0}")]
    MessageTooLarge(String),
    #[error("request body is larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    BadBody(String),
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    #[error("missing bearer token (send `Authorization: Bearer <token>`)")]
    MissingToken,
    #[error("invalid bearer token")]
    InvalidToken,
    #[error("no route for {method} {path}")]
    UnknownRoute { method: String, path: String },
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("unknown source `{0}`")]
    UnknownSource(String),
    #[error("unknown job `{0}`")]
    UnknownJob(String),
    #[error("unknown cluster `{0}`")]
    UnknownCluster(String),
    #[error("{0}")]
    Conflict(String),
    #[error("job `{0}` is not running in this sidecar")]
    JobNotRunning(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl RequestError {
    /// The stable, machine-readable error code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::InvalidJson(_) => "invalid_json",
            RequestError::InvalidDocument(_) => "invalid_document",
            RequestError::NoMessage(_) => "no_message",
            RequestError::MessageTooLarge(_) => "message_too_large",
            RequestError::BodyTooLarge { .. } => "body_too_large",
            RequestError::BadBody(_) => "bad_body",
            RequestError::InvalidQuery(_) => "invalid_query",
            RequestError::MissingToken => "missing_token",
            RequestError::InvalidToken => "invalid_token",
            RequestError::UnknownRoute { .. } => "unknown_route",
            RequestError::MethodNotAllowed { .. } => "method_not_allowed",
            RequestError::UnknownSource(_) => "unknown_source",
            RequestError::UnknownJob(_) => "unknown_job",
            RequestError::UnknownCluster(_) => "unknown_cluster",
            RequestError::Conflict(_) => "conflict",
            RequestError::JobNotRunning(_) => "job_not_running",
            RequestError::Unavailable(_) => "unavailable",
            RequestError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::InvalidJson(_)
            | RequestError::InvalidDocument(_)
            | RequestError::BadBody(_)
            | RequestError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            RequestError::NoMessage(_) | RequestError::MessageTooLarge(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RequestError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::MissingToken | RequestError::InvalidToken => StatusCode::UNAUTHORIZED,
            RequestError::UnknownRoute { .. }
            | RequestError::UnknownSource(_)
            | RequestError::UnknownJob(_)
            | RequestError::UnknownCluster(_) => StatusCode::NOT_FOUND,
            RequestError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::Conflict(_) | RequestError::JobNotRunning(_) => StatusCode::CONFLICT,
            RequestError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            RequestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether the same request may succeed if sent again later.
    pub fn is_retriable(&self) -> bool {
        matches!(self, RequestError::Unavailable(_) | RequestError::Internal(_) | RequestError::Conflict(_))
    }

    /// The JSON body of this error (also used per line by the bulk endpoint).
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: self.code(), message: self.to_string() } }
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut resp = (status, axum::Json(self.body())).into_response();
        if matches!(self, RequestError::MissingToken | RequestError::InvalidToken) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Why the API server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("API server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    pub fn is_retriable(&self) -> bool {
        matches!(self, ServeError::Io(_))
    }
}
