//! `Caller` as an axum extractor, `AuthError` as an axum response (feature `axum`).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::authenticator::Authenticator;
use crate::caller::Caller;
use crate::error::AuthError;

/// Authenticates the request with the state's [`Authenticator`].
///
/// The caller is remembered in the request's extensions, so a middleware that authenticated
/// first and a handler that extracts `Caller` again do the work once.
impl<S> FromRequestParts<S> for Caller
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let authenticator = Authenticator::from_ref(state);
        let caller = authenticator.authenticate(&parts.headers).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// API.md's envelope, `application/json`, with `WWW-Authenticate: Bearer` on 401s.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let status = match self.status() {
            400 => StatusCode::BAD_REQUEST,
            401 => StatusCode::UNAUTHORIZED,
            403 => StatusCode::FORBIDDEN,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        let body = self.to_envelope().to_string();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
