//! Outgoing calls to the platform's other services, authenticated as this service.

use std::time::Duration;

use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use reqwest::{IntoUrl, Method, Request, RequestBuilder, Response, StatusCode};

use crate::authenticator::{X_IAM_ORG, is_valid_org_id};
use crate::http_client;
use crate::token_source::{AccessToken, TokenError, TokenSource};

pub const X_REQUEST_ID: &str = "x-request-id";

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0} is not a valid header value")]
    InvalidHeader(&'static str),
}

/// A reqwest client that sends every request with `Authorization: Bearer <service token>`,
/// `X-IAM-Org` and `X-Request-Id`.
///
/// A 401 answer means the token was revoked or the downstream's keys rotated: the token is
/// dropped and the request sent once more with a fresh one. Requests whose body cannot be
/// replayed (streams) are not retried. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthedClient {
    http: reqwest::Client,
    tokens: TokenSource,
}

impl AuthedClient {
    /// With a client of its own (30 s timeout per request).
    pub fn new(tokens: TokenSource) -> Result<Self, CallError> {
        Ok(Self::with_client(
            http_client::build(Duration::from_secs(30))?,
            tokens,
        ))
    }

    pub fn with_client(http: reqwest::Client, tokens: TokenSource) -> Self {
        Self { http, tokens }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// A request builder to pass to [`AuthedClient::send`].
    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        self.http.request(method, url)
    }

    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// Sends `request` for organization `org_id`, passing on `request_id`.
    /// Any status is returned as a response; only transport and token failures are errors.
    pub async fn send(
        &self,
        request: RequestBuilder,
        org_id: &str,
        request_id: &str,
    ) -> Result<Response, CallError> {
        if !is_valid_org_id(org_id) {
            return Err(CallError::InvalidHeader("X-IAM-Org"));
        }
        let org =
            HeaderValue::from_str(org_id).map_err(|_| CallError::InvalidHeader("X-IAM-Org"))?;
        let request_id = HeaderValue::from_str(request_id)
            .map_err(|_| CallError::InvalidHeader("X-Request-Id"))?;
        let mut request = request.build()?;
        let replay = request.try_clone();

        let token = self.tokens.token().await?;
        decorate(&mut request, &token, &org, &request_id)?;
        let response = self.http.execute(request).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(mut replay) = replay else {
            return Ok(response);
        };
        drop(response);
        tracing::info!("downstream answered 401; retrying once with a fresh token");
        self.tokens.invalidate_token(&token);
        let token = self.tokens.token().await?;
        decorate(&mut replay, &token, &org, &request_id)?;
        Ok(self.http.execute(replay).await?)
    }
}

fn decorate(
    request: &mut Request,
    token: &AccessToken,
    org: &HeaderValue,
    request_id: &HeaderValue,
) -> Result<(), CallError> {
    let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.as_str()))
        .map_err(|_| CallError::InvalidHeader("Authorization"))?;
    authorization.set_sensitive(true);
    let headers = request.headers_mut();
    headers.insert(AUTHORIZATION, authorization);
    headers.insert(HeaderName::from_static(X_IAM_ORG), org.clone());
    headers.insert(HeaderName::from_static(X_REQUEST_ID), request_id.clone());
    Ok(())
}
