//! The error envelope of API.md and the one error type the services map into it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// Stable error codes. Clients branch on these, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    MalformedJson,
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    InvalidState,
    IdempotencyKeyReused,
    PayloadTooLarge,
    ComplianceRejected,
    RestrictionViolated,
    InsufficientHoldings,
    Internal,
    DownstreamUnavailable,
    NotReady,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "VALIDATION_ERROR",
            Self::MalformedJson => "MALFORMED_JSON",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict => "CONFLICT",
            Self::InvalidState => "INVALID_STATE",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::ComplianceRejected => "COMPLIANCE_REJECTED",
            Self::RestrictionViolated => "RESTRICTION_VIOLATED",
            Self::InsufficientHoldings => "INSUFFICIENT_HOLDINGS",
            Self::Internal => "INTERNAL",
            Self::DownstreamUnavailable => "DOWNSTREAM_UNAVAILABLE",
            Self::NotReady => "NOT_READY",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::ValidationError | Self::MalformedJson => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict | Self::InvalidState | Self::IdempotencyKeyReused => {
                StatusCode::CONFLICT
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ComplianceRejected | Self::RestrictionViolated | Self::InsufficientHoldings => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::DownstreamUnavailable => StatusCode::BAD_GATEWAY,
            Self::NotReady => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code a bare status maps to, for responses produced outside our handlers.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::ValidationError,
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            415 | 422 => Self::ValidationError,
            502 | 504 => Self::DownstreamUnavailable,
            503 => Self::NotReady,
            _ if status.is_client_error() => Self::ValidationError,
            _ => Self::Internal,
        }
    }
}

/// `{"error": {"code", "message", "details"}}`, as documented in OpenAPI.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "VALIDATION_ERROR")]
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

/// The error every handler returns. 5xx causes are logged, never shown.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Map<String, Value>,
    status: Option<StatusCode>,
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
            status: None,
            source: None,
        }
    }

    pub fn with_detail(mut self, key: &str, value: impl Serialize) -> Self {
        self.details.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// Overrides the code's default status, for the few codes used with more than one.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| self.code.status())
    }

    /// A single invalid field; details use the same shape as body rejections.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(ErrorCode::ValidationError, format!("{field}: {message}"))
            .with_detail("fields", json!({ field: message }))
    }

    pub fn validation_fields(fields: Vec<(String, String)>) -> Self {
        let summary = fields
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        let map: Map<String, Value> = fields
            .into_iter()
            .map(|(f, m)| (f, Value::String(m)))
            .collect();
        Self::new(ErrorCode::ValidationError, summary).with_detail("fields", map)
    }

    pub fn malformed_json(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedJson, message)
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
            .with_detail("id", id.to_string())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, message)
    }

    pub fn downstream(service: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DownstreamUnavailable, message).with_detail("service", service)
    }

    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotReady, message)
    }

    /// An unexpected failure: the cause is logged with its chain, the client sees nothing of it.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::Internal, "internal error");
        e.source = Some(source.into());
        e
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                details: Value::Object(self.details.clone()),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                let mut err = ApiError::conflict("a resource with these values already exists");
                if let Some(c) = db.constraint() {
                    err = err.with_detail("constraint", c);
                }
                return err;
            }
            // serialization_failure / deadlock_detected: the caller can simply retry.
            if matches!(db.code().as_deref(), Some("40001" | "40P01")) {
                return ApiError::conflict("concurrent update; retry the request");
            }
        }
        match e {
            sqlx::Error::RowNotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::not_ready("database unavailable")
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Some(source) = &self.source {
            tracing::error!(error = ?source, code = self.code.as_str(), "request failed");
        } else if status.is_server_error() {
            tracing::warn!(code = self.code.as_str(), message = %self.message, "request failed");
        }
        let mut res = json_response(status, &self.body());
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| {
        br#"{"error":{"code":"INTERNAL","message":"internal error","details":{}}}"#.to_vec()
    });
    let mut res = (status, bytes).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The iam-sdk's refusals in our envelope: the same codes and statuses, by type.
impl From<iam_sdk::AuthError> for ApiError {
    fn from(e: iam_sdk::AuthError) -> Self {
        use iam_sdk::ErrorCode as Auth;
        let code = match e.error_code() {
            Auth::Unauthenticated => ErrorCode::Unauthenticated,
            Auth::Forbidden => ErrorCode::Forbidden,
            Auth::ValidationError => ErrorCode::ValidationError,
            Auth::NotReady => ErrorCode::NotReady,
        };
        let mut err = ApiError::new(code, e.message());
        err.details = e.details().clone();
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_the_documented_status() {
        assert_eq!(ErrorCode::ValidationError.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            ErrorCode::IdempotencyKeyReused.status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ErrorCode::InsufficientHoldings.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            ErrorCode::DownstreamUnavailable.status(),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            ErrorCode::NotReady.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn codes_serialise_as_documented() {
        for code in [
            ErrorCode::ValidationError,
            ErrorCode::MalformedJson,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::ComplianceRejected,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                Value::String(code.as_str().into())
            );
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal(anyhow::anyhow!("password=hunter2 connection refused"));
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(!body.contains("hunter2"));
        assert!(body.contains("INTERNAL"));
    }

    #[test]
    fn validation_names_the_field() {
        let e = ApiError::validation("quantity", "must be positive");
        assert_eq!(e.details["fields"]["quantity"], "must be positive");
    }
}
