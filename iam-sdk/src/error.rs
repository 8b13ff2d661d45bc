//! The one error the authentication path produces: a stable code, a message safe to show and
//! the `details` of API.md's error envelope. The services render it through their own envelope
//! (`platform::ApiError`, converted by code).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// The stable codes of API.md that authentication can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 401: missing, expired, badly signed or wrong-audience token.
    Unauthenticated,
    /// 403: wrong role or organization.
    Forbidden,
    /// 400: a header the caller sent is malformed or missing.
    ValidationError,
    /// 503: the IAM's keys could not be fetched, so the token cannot be judged yet.
    NotReady,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::ValidationError => "VALIDATION_ERROR",
            Self::NotReady => "NOT_READY",
        }
    }

    /// The HTTP status this code is answered with.
    pub const fn status(self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::ValidationError => 400,
            Self::NotReady => 503,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request was not authenticated or not allowed.
///
/// The message is written for the caller and is safe to return: it never contains the token,
/// and signature problems are all reported as the same "invalid token" so that a forger learns
/// nothing from the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Map<String, Value>,
}

impl AuthError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }

    pub fn unauthenticated(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_ready(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotReady, message)
    }

    /// A malformed or missing request header. Details use the platform's
    /// `{"fields": {name: problem}}` shape so clients handle it like any other validation error.
    pub fn invalid_header(header: &str, problem: &str) -> Self {
        let mut fields = Map::new();
        fields.insert(header.to_owned(), Value::String(problem.to_owned()));
        let mut details = Map::new();
        details.insert("fields".to_owned(), Value::Object(fields));
        Self {
            code: ErrorCode::ValidationError,
            message: format!("{header}: {problem}").into(),
            details,
        }
    }

    /// The caller is authenticated but holds none of the roles the operation needs.
    pub fn missing_role(required: &[&str]) -> Self {
        let mut details = Map::new();
        details.insert(
            "required_roles".to_owned(),
            Value::Array(
                required
                    .iter()
                    .map(|r| Value::String((*r).to_owned()))
                    .collect(),
            ),
        );
        Self {
            code: ErrorCode::Forbidden,
            message: format!("requires one of the roles: {}", required.join(", ")).into(),
            details,
        }
    }

    /// The stable code, e.g. `"UNAUTHENTICATED"`.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    pub fn error_code(&self) -> ErrorCode {
        self.code
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_problems_name_the_header_in_the_fields_shape() {
        let e = AuthError::invalid_header("X-IAM-Org", "must not be empty");
        assert_eq!(e.status(), 400);
        assert_eq!(e.code(), "VALIDATION_ERROR");
        assert_eq!(e.message(), "X-IAM-Org: must not be empty");
        assert_eq!(
            serde_json::Value::Object(e.details().clone()),
            serde_json::json!({"fields": {"X-IAM-Org": "must not be empty"}})
        );
        let e = AuthError::unauthenticated("invalid token");
        assert_eq!(
            (e.code(), e.message()),
            ("UNAUTHENTICATED", "invalid token")
        );
        assert!(e.details().is_empty());
    }

    #[test]
    fn statuses() {
        assert_eq!(ErrorCode::Unauthenticated.status(), 401);
        assert_eq!(ErrorCode::Forbidden.status(), 403);
        assert_eq!(ErrorCode::ValidationError.status(), 400);
        assert_eq!(ErrorCode::NotReady.status(), 503);
        assert_eq!(AuthError::missing_role(&["trader"]).status(), 403);
    }
}
