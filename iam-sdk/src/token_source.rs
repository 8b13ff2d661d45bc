//! Client-credentials tokens for calls between the platform's services.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::http_client;

/// A secret that stays out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// A service's identity at the IAM (`IAM_CLIENT_ID`, `IAM_CLIENT_SECRET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

/// A bearer token. `Debug` shows only that there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("cannot reach the IAM token endpoint: {0}")]
    Unreachable(String),
    /// The IAM answered with an OAuth2 error (RFC 6749 §5.2), e.g. `invalid_client`.
    #[error("the IAM refused the client credentials ({status}): {error}: {description}")]
    Rejected {
        status: u16,
        error: String,
        description: String,
    },
    #[error("unexpected answer from the IAM token endpoint: {0}")]
    InvalidResponse(String),
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
    expires_at: Instant,
}

struct Inner {
    http: reqwest::Client,
    token_url: String,
    credentials: ClientCredentials,
    current: RwLock<Option<Arc<Cached>>>,
    refreshing: Mutex<()>,
}

/// Gets and keeps a client-credentials token from `{iam_url}/api/login/oauth/access_token`.
///
/// - A token is refreshed once 80% of its `expires_in` has passed; until it actually expires,
///   a failed refresh falls back to it (and the next attempt waits a few seconds), so an IAM
///   hiccup does not break calls.
/// - One refresh is in flight at a time; concurrent callers wait for it and share its result.
/// - [`TokenSource::invalidate`] drops the token, for when a downstream service answered 401.
///
/// Cheap to clone; clones share the token.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.credentials.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Lifetime assumed when the IAM does not say (`expires_in` missing).
    const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
    /// After a failed refresh with a still-valid token, the next attempt waits this long.
    const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

    /// Fetches the first token before returning, so a service with wrong credentials or no
    /// IAM fails at start-up rather than on its first downstream call.
    pub async fn new(iam_url: &str, credentials: ClientCredentials) -> Result<Self, TokenError> {
        let source = Self::lazy(iam_url, credentials)?;
        source.token().await?;
        Ok(source)
    }

    /// Fetches nothing until the first [`TokenSource::token`]; for processes that must start
    /// while the IAM is still coming up.
    pub fn lazy(iam_url: &str, credentials: ClientCredentials) -> Result<Self, TokenError> {
        let http = http_client::build(Duration::from_secs(10))
            .map_err(|e| TokenError::Client(e.to_string()))?;
        Ok(Self::with_client(http, iam_url, credentials))
    }

    /// Like [`TokenSource::lazy`], with the caller's HTTP client.
    pub fn with_client(
        http: reqwest::Client,
        iam_url: &str,
        credentials: ClientCredentials,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                token_url: format!(
                    "{}/api/login/oauth/access_token",
                    iam_url.trim_end_matches('/')
                ),
                credentials,
                current: RwLock::new(None),
                refreshing: Mutex::new(()),
            }),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.inner.credentials.client_id
    }

    /// A valid token, fetched or refreshed if needed.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        let _single_flight = self.inner.refreshing.lock().await;
        // Whoever refreshed while we waited already did our work.
        if let Some(fresh) = self.fresh() {
            return Ok(fresh);
        }
        match self.fetch().await {
            Ok(cached) => {
                let token = cached.token.clone();
                self.store(Some(Arc::new(cached)));
                Ok(token)
            }
            Err(e) => {
                let now = Instant::now();
                match self.current() {
                    Some(old) if old.expires_at > now => {
                        tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                        let retry_at = (now + Self::RETRY_AFTER_FAILURE).min(old.expires_at);
                        let token = old.token.clone();
                        self.store(Some(Arc::new(Cached {
                            token: old.token.clone(),
                            refresh_at: retry_at,
                            expires_at: old.expires_at,
                        })));
                        Ok(token)
                    }
                    _ => Err(e),
                }
            }
        }
    }

    /// Drops the current token; the next [`TokenSource::token`] fetches a new one.
    pub fn invalidate(&self) {
        self.store(None);
    }

    /// Drops the current token only if it is `token`, so that many requests failing with the
    /// same stale token cause one refresh rather than one each.
    pub fn invalidate_token(&self, token: &AccessToken) {
        let mut guard = match self.inner.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.as_ref().is_some_and(|c| &c.token == token) {
            *guard = None;
        }
    }

    fn current(&self) -> Option<Arc<Cached>> {
        match self.inner.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, value: Option<Arc<Cached>>) {
        match self.inner.current.write() {
            Ok(mut g) => *g = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }

    fn fresh(&self) -> Option<AccessToken> {
        self.current()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: Option<String>,
            expires_in: Option<u64>,
            error: Option<String>,
            error_description: Option<String>,
        }

        let credentials = &self.inner.credentials;
        let started = Instant::now();
        let response = self
            .inner
            .http
            .post(&self.inner.token_url)
            .header(http::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.client_secret.expose()),
            ])
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenError::Unreachable(e.to_string()))?;
        let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
            TokenError::InvalidResponse(format!("status {status}, body is not a token response"))
        })?;
        // Casdoor has been known to answer errors with a 200, so the body decides.
        if let Some(error) = answer.error.filter(|e| !e.is_empty()) {
            return Err(TokenError::Rejected {
                status,
                error,
                description: answer.error_description.unwrap_or_default(),
            });
        }
        let access_token = match answer.access_token {
            Some(t) if !t.is_empty() && (200..300).contains(&status) => t,
            _ => {
                return Err(TokenError::InvalidResponse(format!(
                    "status {status} without an access_token"
                )));
            }
        };
        let lifetime = answer
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(Self::DEFAULT_LIFETIME);
        tracing::debug!(client_id = %credentials.client_id, lifetime_secs = lifetime.as_secs(), "obtained a client-credentials token");
        // Lifetimes count from when we asked, so a slow answer errs on the early side.
        Ok(Cached {
            token: AccessToken(access_token.into()),
            refresh_at: started + lifetime.mul_f64(0.8),
            expires_at: started + lifetime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let creds = ClientCredentials::new("ats", "ats-dev-secret");
        let shown = format!("{creds:?}");
        assert!(shown.contains("ats"));
        assert!(!shown.contains("ats-dev-secret"));
        let token = AccessToken("eyJ.secret.sig".into());
        assert!(!format!("{token:?}").contains("secret"));
        let http = http_client::build(Duration::from_secs(1)).unwrap();
        let source = TokenSource::with_client(http, "http://iam:8000/", creds);
        let shown = format!("{source:?}");
        assert!(!shown.contains("ats-dev-secret"));
        assert!(shown.contains("http://iam:8000/api/login/oauth/access_token"));
    }
}
