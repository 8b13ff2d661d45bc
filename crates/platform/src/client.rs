//! Calls between services: one configured reqwest client per process, and `ServiceClient`,
//! which authenticates as this service (iam-sdk's `AuthedClient`: token, `X-IAM-Org`,
//! `X-Request-Id`), times out, and retries with backoff on 502/503/504 and connection errors.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::request_id::RequestId;

pub fn http_client() -> anyhow::Result<reqwest::Client> {
    crate::install_crypto_provider();
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()?)
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// What went wrong calling another service.
#[derive(Debug, Clone)]
pub enum CallFailure {
    /// Not reachable, timed out, or kept answering 502/503/504 through every retry.
    Unavailable {
        service: &'static str,
        reason: String,
    },
    /// It answered with an error envelope (or an error status).
    Refused {
        service: &'static str,
        status: u16,
        code: String,
        message: String,
        details: Value,
    },
}

impl CallFailure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            Self::Unavailable { .. } => None,
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused { code, .. } => Some(code),
            Self::Unavailable { .. } => None,
        }
    }
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unavailable { service, reason } => write!(f, "{service} unavailable: {reason}"),
            Self::Refused {
                service,
                status,
                code,
                message,
                ..
            } => write!(f, "{service} answered {status} {code}: {message}"),
        }
    }
}

impl std::error::Error for CallFailure {}

/// By default a downstream failure is ours to report as 502: the caller did nothing wrong.
/// Handlers that expect a particular refusal (404, 422) match on `CallFailure` first.
impl From<CallFailure> for ApiError {
    fn from(f: CallFailure) -> Self {
        match f {
            CallFailure::Unavailable { service, reason } => {
                tracing::warn!(service, reason, "downstream unavailable");
                ApiError::downstream(service, format!("{service} is unavailable; retry later"))
            }
            CallFailure::Refused {
                service,
                status,
                code,
                message,
                ..
            } => {
                tracing::warn!(service, status, code, message, "downstream refused a call");
                ApiError::new(
                    ErrorCode::DownstreamUnavailable,
                    format!("{service} could not complete the request"),
                )
                .with_detail("service", service)
                .with_detail("downstream_status", status)
                .with_detail("downstream_code", code)
            }
        }
    }
}

/// A client for one other service at `base_url`.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    service: &'static str,
    base_url: String,
    client: iam_sdk::AuthedClient,
    retry: RetryPolicy,
}

impl ServiceClient {
    pub fn new(service: &'static str, base_url: &str, client: iam_sdk::AuthedClient) -> Self {
        Self {
            service,
            base_url: base_url.trim_end_matches('/').to_owned(),
            client,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub async fn get<T: DeserializeOwned>(&self, org: &str, path: &str) -> Result<T, CallFailure> {
        self.call::<(), T>(Method::GET, org, path, None, None).await
    }

    /// A POST is retried only with an `Idempotency-Key`: without one a retry could apply it twice.
    pub async fn post<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        org: &str,
        path: &str,
        body: &B,
        idempotency_key: Option<&str>,
    ) -> Result<T, CallFailure> {
        self.call(Method::POST, org, path, Some(body), idempotency_key)
            .await
    }

    /// A POST to an endpoint that is idempotent by its own content (a pre-trade check keyed by
    /// its order, say): retried like a GET, without the cost of an `Idempotency-Key` (three
    /// transactions at the callee instead of one).
    pub async fn post_idempotent<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        org: &str,
        path: &str,
        body: &B,
    ) -> Result<T, CallFailure> {
        self.send(Method::POST, org, path, Some(body), None, true)
            .await
    }

    async fn call<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        method: Method,
        org: &str,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
    ) -> Result<T, CallFailure> {
        let retryable = method == Method::GET || idempotency_key.is_some();
        self.send(method, org, path, body, idempotency_key, retryable)
            .await
    }

    async fn send<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        method: Method,
        org: &str,
        path: &str,
        body: Option<&B>,
        idempotency_key: Option<&str>,
        retryable: bool,
    ) -> Result<T, CallFailure> {
        let url = format!("{}{path}", self.base_url);
        let request_id = RequestId::current();
        let attempts = if retryable {
            self.retry.attempts.max(1)
        } else {
            1
        };
        let mut backoff = self.retry.first_backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            let mut req = self.client.request(method.clone(), &url);
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Some(k) = idempotency_key {
                req = req.header("idempotency-key", k);
            }
            match self.client.send(req, org, request_id.as_str()).await {
                Ok(res) if is_transient(res.status()) => {
                    last = format!("answered {}", res.status());
                }
                Ok(res) => return self.read(res).await,
                Err(e) => last = e.to_string(),
            }
            if attempt < attempts {
                tracing::debug!(service = self.service, attempt, reason = %last, "retrying");
                tokio::time::sleep(jitter(backoff)).await;
                backoff = (backoff * 2).min(self.retry.max_backoff);
            }
        }
        Err(CallFailure::Unavailable {
            service: self.service,
            reason: last,
        })
    }

    async fn read<T: DeserializeOwned>(&self, res: reqwest::Response) -> Result<T, CallFailure> {
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| CallFailure::Unavailable {
            service: self.service,
            reason: format!("reading the answer: {e}"),
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| CallFailure::Unavailable {
                service: self.service,
                reason: format!("unexpected answer: {e}"),
            });
        }
        let envelope: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let err = &envelope["error"];
        Err(CallFailure::Refused {
            service: self.service,
            status: status.as_u16(),
            code: err["code"].as_str().unwrap_or("UNKNOWN").to_owned(),
            message: err["message"].as_str().unwrap_or("").to_owned(),
            details: err["details"].clone(),
        })
    }
}

fn is_transient(s: StatusCode) -> bool {
    matches!(s.as_u16(), 502..=504)
}

/// Spreads retries of many callers over time; no RNG crate needed for this.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let spread = u64::try_from(d.as_millis() / 2).unwrap_or(0).max(1);
    d + Duration::from_millis(u64::from(nanos) % spread)
}
