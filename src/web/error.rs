//! The HTTP error every handler returns: `{"error": code, "message": sentence}`
//! with the right status. Our own faults are logged once here and shown to the
//! caller only as a generic sentence.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use std::fmt;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "platform_error", message)
    }
    /// Our own fault: logged with its cause, hidden from the caller.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; the request can be retried",
        )
    }
    /// The database is unreachable: the caller (often the platform) should retry.
    pub fn unavailable(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "database unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable; retry later",
        )
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        match e {
            sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_) => {
                ApiError::unavailable(e)
            }
            other => ApiError::internal(other),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({
            "error": self.code,
            "message": self.message,
        }))
    }
}

/// Settings that parse but break their bounds: a 422 naming every field out
/// of bounds, each with its sentence in the merchant's language (`fields` are
/// (field, locale key)); None when there is none.
pub fn invalid_fields<F: AsRef<str>>(
    code: &str,
    lang: &str,
    fields: &[(F, &str)],
) -> Option<HttpResponse> {
    let (_, first) = fields.first()?;
    let listed: Vec<serde_json::Value> = fields
        .iter()
        .map(|(f, k)| json!({"field": f.as_ref(), "message": crate::i18n::t(lang, k)}))
        .collect();
    Some(HttpResponse::UnprocessableEntity().json(json!({
        "error": code,
        "message": crate::i18n::t(lang, first),
        "fields": listed,
    })))
}

/// Extractor failures (bad query, bad path, bad JSON) as our JSON errors.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::bad_request("invalid_query", err.to_string()).into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::not_found(format!("no such resource: {err}")).into()
}

pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            ApiError::too_large(limit).into()
        }
        E::ContentType => {
            ApiError::bad_request("unsupported_content_type", "send application/json").into()
        }
        other => ApiError::bad_request("malformed_json", other.to_string()).into(),
    }
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no route matches this path"))
}
