//! The BD's two extractors beyond the platform's, for bodies whose bytes matter.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use platform::extract::parse_json;
use platform::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppState;
use crate::kyc::webhook::{self, SignedEvent};

/// A body that could not be read, as `platform::ApiJson` answers it.
fn unread(e: BytesRejection) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
    } else {
        ApiError::malformed_json("could not read the request body")
    }
}

/// `platform::ApiJson` that also keeps the document as sent, for an audit record that must
/// show exactly what the caller sent (an investor update's `input`, an ATS event's payload):
/// the body must be a JSON object (400 `body` otherwise), then a valid `T` (the same
/// rejections as `ApiJson`).
pub struct Audited<T> {
    pub body: T,
    pub raw: Value,
    pub bytes: Bytes,
}

impl<T, S> FromRequest<S> for Audited<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(unread)?;
        let raw: Value = parse_json(&bytes)?;
        if !raw.is_object() {
            return Err(ApiError::validation("body", "must be a JSON object"));
        }
        let body: T = parse_json(&bytes)?;
        Ok(Self { body, raw, bytes })
    }
}

/// A KYC provider's webhook, its signature verified over the raw body (the provider in the
/// path must be the configured one). The provider authenticates it, not a token.
pub struct SignedWebhook(pub SignedEvent);

impl FromRequest<AppState> for SignedWebhook {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let platform::ApiPath(provider) =
            <platform::ApiPath<String> as axum::extract::FromRequestParts<AppState>>::from_request_parts(
                &mut parts, state,
            )
            .await?;
        let req = Request::from_parts(parts, body);
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state).await.map_err(unread)?;
        webhook::verify(state, &provider, &headers, &bytes).map(Self)
    }
}
