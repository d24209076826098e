//! The JSON error shape: `{"error": {"code": …, "message": …}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::{Error, Message};

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code: `bad_request`, `not_found`, `overloaded`, `internal`, ….
    pub code: &'static str,
    /// What is wrong and how to fix it, in English and Spanish (the web pages show the
    /// Spanish text).
    pub message: Message,
    /// Seconds to wait before retrying (for 503).
    pub retry_after: Option<u64>,
}

/// The body of an error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's code and message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: String,
    /// For people: what is wrong and how to fix it.
    pub message: String,
    /// The same in Spanish, when the mistake is one the web pages allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_es: Option<String>,
}

impl ApiError {
    /// A 400 with a message.
    pub fn bad_request(message: impl Into<Message>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 404 with a message.
    pub fn not_found(message: impl Into<Message>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            retry_after: None,
        }
    }

    /// A 503: too many searches at once.
    pub fn overloaded() -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "overloaded",
            message: Message::new(
                "too many searches at once; retry in a moment",
                "hay demasiadas búsquedas a la vez; vuelva a intentarlo en un momento",
            ),
            retry_after: Some(1),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::BadRequest(m) => ApiError::bad_request(m),
            Error::NotFound(m) => ApiError::not_found(m),
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    message: Message::new(
                        "internal error; it has been logged",
                        "error interno del servidor; quedó registrado",
                    ),
                    retry_after: None,
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Debug: bad input is the client's business, but a load test or an operator can ask
        // for it (`SECOP_LOG`; with `tower_http=debug` the request's span adds the URI).
        tracing::debug!(status = self.status.as_u16(), code = self.code, message = %self.message, "refused");
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message_es: self.message.es_only().map(str::to_string),
                message: self.message.en().to_string(),
            },
        };
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}
