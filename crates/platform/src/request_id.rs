//! `X-Request-Id`: accepted from the caller when sane, generated otherwise, echoed on the
//! response, attached to the request's tracing span and carried to outgoing calls.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string().into())
    }

    /// Caller-supplied ids end up in logs and downstream headers, so only a conservative
    /// charset and length is kept.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/')
            });
        ok.then(|| Self(raw.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request being served on this task, or a fresh one (background jobs).
    pub fn current() -> Self {
        CURRENT
            .try_with(Clone::clone)
            .unwrap_or_else(|_| Self::generate())
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// Runs `fut` with `id` as the current request id (for work spawned outside a request).
pub async fn scope<F: std::future::Future>(id: RequestId, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    let mut res = CURRENT
        .scope(id.clone(), next.run(req))
        .instrument(span)
        .await;
    if let Ok(v) = HeaderValue::from_str(id.as_str()) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sane_ids_only() {
        assert!(RequestId::parse("req-123_abc.def:1/2").is_some());
        assert!(RequestId::parse("").is_none());
        assert!(RequestId::parse("has space").is_none());
        assert!(RequestId::parse("line\nbreak").is_none());
        assert!(RequestId::parse(&"a".repeat(129)).is_none());
    }

    #[tokio::test]
    async fn current_is_scoped() {
        let id = RequestId::parse("abc").unwrap();
        let seen = scope(id.clone(), async { RequestId::current() }).await;
        assert_eq!(seen, id);
        assert_ne!(RequestId::current(), id);
    }
}
