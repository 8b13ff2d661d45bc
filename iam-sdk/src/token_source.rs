//! Client-credentials tokens for calls between the platform's services.

use std::fmt;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::caller::INTERNAL_ROLE;
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

/// A service's identity at the IAM (`IAM_CLIENT_ID`, `IAM_CLIENT_SECRET`) and the scope it asks
/// for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    /// The space-separated `scope` sent with the token request. Casdoor grants the scope the
    /// request names (and the services accept a client-credentials token only with scope
    /// `internal`), so this is [`ClientCredentials::SERVICE_SCOPE`] unless changed with
    /// [`ClientCredentials::with_scope`]. Empty: no `scope` parameter is sent.
    pub scope: String,
}

impl ClientCredentials {
    /// The scope the platform's services ask for and require of each other: `internal`.
    pub const SERVICE_SCOPE: &'static str = INTERNAL_ROLE;

    /// Credentials asking for [`ClientCredentials::SERVICE_SCOPE`].
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: Self::SERVICE_SCOPE.to_owned(),
        }
    }

    /// Asks for `scope` (space-separated) instead; an empty scope sends none.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
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
    /// When the background refresher replaces it (half of its life).
    renew_at: Instant,
    /// When [`TokenSource::token`] stops handing it out without trying a refresh first (80%).
    refresh_at: Instant,
    expires_at: Instant,
    lifetime: Duration,
}

struct Inner {
    http: reqwest::Client,
    token_url: String,
    credentials: ClientCredentials,
    current: RwLock<Option<Arc<Cached>>>,
    refreshing: Mutex<()>,
    /// The background refresher, stopped when the last clone of the source is dropped.
    refresher: std::sync::Mutex<Option<AbortHandle>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let refresher = match self.refresher.get_mut() {
            Ok(r) => r.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = refresher {
            task.abort();
        }
    }
}

/// Gets and keeps a client-credentials token from `{iam_url}/api/login/oauth/access_token`.
///
/// - The request names the scope of [`ClientCredentials::scope`] (`internal` for services).
/// - With [`TokenSource::spawn_refresher`] running, the token is replaced in the background
///   halfway through its `expires_in`, so no request waits for the IAM.
/// - On demand, as the fallback: a token is refreshed once 80% of its `expires_in` has passed;
///   until it actually expires, a failed refresh falls back to it (and the next attempt waits a
///   few seconds), so an IAM hiccup does not break calls.
/// - One refresh is in flight at a time; concurrent callers wait for it and share its result.
/// - [`TokenSource::invalidate`] drops the token, for when a downstream service answered 401.
///
/// Cheap to clone; clones share the token (and the refresher).
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
    /// The background refresher's longest wait between attempts while the IAM fails.
    const MAX_BACKGROUND_RETRY: Duration = Duration::from_secs(30);
    /// The background refresher's shortest wait after a success, so an IAM handing out
    /// tokens with an `expires_in` of 0 or 1 cannot make it spin.
    const MIN_BACKGROUND_INTERVAL: Duration = Duration::from_secs(1);

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
                refresher: std::sync::Mutex::new(None),
            }),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.inner.credentials.client_id
    }

    /// The scope the token request names.
    pub fn scope(&self) -> &str {
        &self.inner.credentials.scope
    }

    /// Keeps the token fresh from a background task, so that no request pays for a refresh:
    /// it fetches a token at once if there is none, then replaces each token halfway through
    /// its life (a token obtained on demand meanwhile is taken into account). While the IAM
    /// fails it retries with a growing delay (from a tenth of the token's life, at most 5 s,
    /// up to 30 s), keeping the current token; [`TokenSource::token`]'s on-demand refresh
    /// stays the fallback.
    ///
    /// The task stops when `stop` is cancelled or when the last clone of this source is
    /// dropped. One refresher runs per source: starting another stops the previous one.
    /// Must be called within a Tokio runtime.
    pub fn spawn_refresher(&self, stop: CancellationToken) -> JoinHandle<()> {
        let task = tokio::spawn(refresh_in_background(Arc::downgrade(&self.inner), stop));
        let previous = {
            let mut slot = match self.inner.refresher.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            slot.replace(task.abort_handle())
        };
        if let Some(previous) = previous {
            previous.abort();
        }
        task
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
                            renew_at: old.renew_at,
                            refresh_at: retry_at,
                            expires_at: old.expires_at,
                            lifetime: old.lifetime,
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

    /// The background refresher's turn: replaces the token unless another refresh made it
    /// current meanwhile. Returns when the token is next due.
    async fn renew(&self) -> Result<Instant, TokenError> {
        let _single_flight = self.inner.refreshing.lock().await;
        if let Some(current) = self.current().filter(|c| Instant::now() < c.renew_at) {
            return Ok(current.renew_at);
        }
        let cached = self.fetch().await?;
        let next = cached.renew_at;
        self.store(Some(Arc::new(cached)));
        Ok(next)
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
            scope: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }

        let credentials = &self.inner.credentials;
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.client_secret.expose()),
        ];
        let requested = credentials.scope.trim();
        if !requested.is_empty() {
            form.push(("scope", requested));
        }
        let started = Instant::now();
        let response = self
            .inner
            .http
            .post(&self.inner.token_url)
            .header(http::header::ACCEPT, "application/json")
            .form(&form)
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
        // RFC 6749 §5.1: a granted scope that differs from the requested one is named in the
        // answer. Services refuse a token without `internal`, so say so where it shows.
        if let Some(granted) = answer.scope.as_deref() {
            let missing: Vec<&str> = requested
                .split_ascii_whitespace()
                .filter(|want| !granted.split_ascii_whitespace().any(|g| g == *want))
                .collect();
            if !missing.is_empty() {
                tracing::warn!(client_id = %credentials.client_id, granted, missing = ?missing, "the IAM granted less scope than requested");
            }
        }
        tracing::debug!(client_id = %credentials.client_id, lifetime_secs = lifetime.as_secs(), "obtained a client-credentials token");
        // Lifetimes count from when we asked, so a slow answer errs on the early side.
        Ok(Cached {
            token: AccessToken(access_token.into()),
            renew_at: started + lifetime / 2,
            refresh_at: started + lifetime.mul_f64(0.8),
            expires_at: started + lifetime,
            lifetime,
        })
    }
}

/// The loop of [`TokenSource::spawn_refresher`]. It holds the source only while refreshing, so
/// dropping the last clone ends it (`Inner`'s drop aborts it; the failed upgrade catches the
/// rest).
async fn refresh_in_background(source: Weak<Inner>, stop: CancellationToken) {
    let mut failures: u32 = 0;
    loop {
        let next = {
            let Some(inner) = source.upgrade() else {
                return;
            };
            let source = TokenSource { inner };
            let current = source.current();
            match current {
                Some(c) if Instant::now() < c.renew_at => c.renew_at,
                _ => {
                    let renewed = tokio::select! {
                        () = stop.cancelled() => return,
                        renewed = source.renew() => renewed,
                    };
                    match renewed {
                        Ok(next) => {
                            if failures > 0 {
                                tracing::info!(client_id = %source.client_id(), "service token refreshed after {failures} failed attempts");
                            }
                            failures = 0;
                            next.max(Instant::now() + TokenSource::MIN_BACKGROUND_INTERVAL)
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            let lifetime = current
                                .as_ref()
                                .map_or(TokenSource::DEFAULT_LIFETIME, |c| c.lifetime);
                            let delay = background_retry_delay(lifetime, failures);
                            tracing::warn!(error = %e, client_id = %source.client_id(), retry_in_ms = delay.as_millis() as u64, "background refresh of the service token failed");
                            Instant::now() + delay
                        }
                    }
                }
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
        }
    }
}

/// A tenth of the token's life (between 100 ms and 5 s), doubled after each further failure up
/// to 30 s.
fn background_retry_delay(lifetime: Duration, failures: u32) -> Duration {
    let first = (lifetime / 10).clamp(Duration::from_millis(100), TokenSource::RETRY_AFTER_FAILURE);
    let doublings = failures.saturating_sub(1).min(16);
    first
        .saturating_mul(1u32 << doublings)
        .min(TokenSource::MAX_BACKGROUND_RETRY)
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

    #[test]
    fn services_ask_for_the_internal_scope_unless_told_otherwise() {
        let creds = ClientCredentials::new("ats", "ats-dev-secret");
        assert_eq!(creds.scope, "internal");
        assert_eq!(creds.clone().with_scope("").scope, "");
        assert_eq!(creds.with_scope("openid internal").scope, "openid internal");
    }

    #[test]
    fn background_retries_back_off() {
        let hour = Duration::from_secs(3600);
        assert_eq!(background_retry_delay(hour, 1), Duration::from_secs(5));
        assert_eq!(background_retry_delay(hour, 2), Duration::from_secs(10));
        assert_eq!(background_retry_delay(hour, 3), Duration::from_secs(20));
        assert_eq!(background_retry_delay(hour, 4), Duration::from_secs(30));
        assert_eq!(
            background_retry_delay(hour, u32::MAX),
            Duration::from_secs(30)
        );
        let short = Duration::from_secs(4);
        assert_eq!(background_retry_delay(short, 1), Duration::from_millis(400));
        assert_eq!(background_retry_delay(short, 2), Duration::from_millis(800));
        assert_eq!(
            background_retry_delay(Duration::from_secs(1), 1),
            Duration::from_millis(100)
        );
    }
}
