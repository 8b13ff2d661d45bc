//! Where signing keys come from, and the cache that keeps them.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::http_client;

/// A boxed future, so that [`JwksSource`] stays usable as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A JSON Web Key Set as published by the IAM. Entries are kept loosely typed so that one
/// key of a kind we do not use (EC, a certificate-only entry) does not spoil the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// One key of a [`JwkSet`]; only the members an RSA signature key needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    #[serde(default)]
    pub kty: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

impl Jwk {
    /// An RS256 signature key from its base64url modulus and exponent.
    pub fn rsa(kid: impl Into<String>, n: impl Into<String>, e: impl Into<String>) -> Self {
        Self {
            kty: Some("RSA".to_owned()),
            kid: Some(kid.into()),
            key_use: Some("sig".to_owned()),
            alg: Some("RS256".to_owned()),
            n: Some(n.into()),
            e: Some(e.into()),
        }
    }

    /// The verification key, if this entry is an RSA key usable for RS256 signatures.
    fn rs256_key(&self) -> Option<(String, DecodingKey)> {
        if self.kty.as_deref() != Some("RSA") {
            return None;
        }
        if self.key_use.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        if self.alg.as_deref().is_some_and(|a| a != "RS256") {
            return None;
        }
        let kid = self.kid.clone().filter(|k| !k.is_empty())?;
        let key = DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok()?;
        Some((kid, key))
    }
}

/// Why a key set could not be obtained. The text is for logs, never for callers.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot fetch the IAM's signing keys: {0}")]
pub struct JwksError(pub String);

/// Supplies the IAM's current key set. The HTTP implementation is [`HttpJwksSource`];
/// tests implement it to hand over keys directly and to count fetches.
pub trait JwksSource: Send + Sync + 'static {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, JwksError>>;
}

/// Fetches the key set from the `jwks_uri` of `{iam_url}/.well-known/openid-configuration`.
///
/// The discovered `jwks_uri` is remembered and discovery is repeated only after a failure,
/// so a moved JWKS endpoint is picked up without a restart.
pub struct HttpJwksSource {
    http: reqwest::Client,
    discovery_url: String,
    jwks_uri: Mutex<Option<String>>,
}

impl HttpJwksSource {
    pub fn new(iam_url: &str) -> Result<Self, JwksError> {
        let http = http_client::build(Duration::from_secs(5))
            .map_err(|e| JwksError(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self::with_client(http, iam_url))
    }

    /// Uses the given client, for its timeouts, proxies or root certificates.
    pub fn with_client(http: reqwest::Client, iam_url: &str) -> Self {
        Self {
            http,
            discovery_url: format!(
                "{}/.well-known/openid-configuration",
                iam_url.trim_end_matches('/')
            ),
            jwks_uri: Mutex::new(None),
        }
    }

    async fn discover(&self) -> Result<String, JwksError> {
        #[derive(Deserialize)]
        struct Discovery {
            jwks_uri: String,
        }
        let doc: Discovery = self.get_json(&self.discovery_url).await?;
        Ok(doc.jwks_uri)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, JwksError> {
        let response = self
            .http
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| JwksError(format!("GET {url}: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError(format!("GET {url}: status {status}")));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| JwksError(format!("GET {url}: {e}")))?;
        serde_json::from_slice(&bytes).map_err(|e| JwksError(format!("GET {url}: {e}")))
    }

    async fn fetch_keys(&self) -> Result<JwkSet, JwksError> {
        let mut cached_uri = self.jwks_uri.lock().await;
        let uri = match cached_uri.as_ref() {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover().await?;
                *cached_uri = Some(uri.clone());
                uri
            }
        };
        let result = self.get_json(&uri).await;
        if result.is_err() {
            *cached_uri = None;
        }
        result
    }
}

impl JwksSource for HttpJwksSource {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, JwksError>> {
        Box::pin(self.fetch_keys())
    }
}

/// What looking up a `kid` can end in, short of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyLookupError {
    /// The IAM answered and does not know this key.
    UnknownKid,
    /// The key is not cached and the IAM could not be asked.
    Unavailable,
}

struct RefreshState {
    last_attempt: Option<Instant>,
    last_failed: bool,
}

/// Keys by `kid`, refreshed from the source when an unknown `kid` shows up.
///
/// Refreshes are single-flight (a mutex held across the fetch) and throttled: after one
/// attempt, an unknown `kid` gets an answer from the cache alone until
/// `min_refresh_interval` has passed. A failed attempt is throttled by at most
/// [`KeyCache::FAILURE_RETRY`] so a service recovers quickly once the IAM is back.
pub(crate) struct KeyCache {
    source: Arc<dyn JwksSource>,
    keys: RwLock<Arc<HashMap<String, DecodingKey>>>,
    refresh: Mutex<RefreshState>,
    min_refresh_interval: Duration,
}

impl KeyCache {
    const FAILURE_RETRY: Duration = Duration::from_secs(2);

    pub(crate) fn new(source: Arc<dyn JwksSource>, min_refresh_interval: Duration) -> Self {
        Self {
            source,
            keys: RwLock::new(Arc::new(HashMap::new())),
            refresh: Mutex::new(RefreshState {
                last_attempt: None,
                last_failed: false,
            }),
            min_refresh_interval,
        }
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        let keys = match self.keys.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        keys.get(kid).cloned()
    }

    pub(crate) async fn get(&self, kid: &str) -> Result<DecodingKey, KeyLookupError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut state = self.refresh.lock().await;
        // Whoever held the lock before us may just have fetched this very key.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if let Some(last) = state.last_attempt {
            let wait = if state.last_failed {
                self.min_refresh_interval.min(Self::FAILURE_RETRY)
            } else {
                self.min_refresh_interval
            };
            if last.elapsed() < wait {
                return Err(if state.last_failed {
                    KeyLookupError::Unavailable
                } else {
                    KeyLookupError::UnknownKid
                });
            }
        }
        match self.refresh_locked(&mut state).await {
            Ok(_) => self.cached(kid).ok_or(KeyLookupError::UnknownKid),
            Err(_) => Err(KeyLookupError::Unavailable),
        }
    }

    /// Whether `kid` is in the key set as last fetched (a key withdrawn by the IAM is not).
    pub(crate) fn has(&self, kid: &str) -> bool {
        self.keys
            .read()
            .map(|keys| keys.contains_key(kid))
            .unwrap_or(false)
    }

    /// Fetches now, regardless of the throttle; for warm-up and readiness checks.
    pub(crate) async fn refresh(&self) -> Result<usize, JwksError> {
        let mut state = self.refresh.lock().await;
        self.refresh_locked(&mut state).await
    }

    async fn refresh_locked(&self, state: &mut RefreshState) -> Result<usize, JwksError> {
        state.last_attempt = Some(Instant::now());
        match self.source.fetch().await {
            Ok(set) => {
                let keys: HashMap<String, DecodingKey> =
                    set.keys.iter().filter_map(Jwk::rs256_key).collect();
                let count = keys.len();
                // Replacing (not merging) is what makes a key removed from the JWKS stop
                // verifying tokens.
                match self.keys.write() {
                    Ok(mut guard) => *guard = Arc::new(keys),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(keys),
                }
                state.last_failed = false;
                tracing::debug!(keys = count, "IAM signing keys refreshed");
                Ok(count)
            }
            Err(e) => {
                state.last_failed = true;
                tracing::warn!(error = %e, "IAM signing keys could not be refreshed");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rs256_signature_keys_are_kept() {
        let good = Jwk::rsa("k1", "AQAB", "AQAB");
        assert!(good.rs256_key().is_some());
        let enc = Jwk {
            key_use: Some("enc".into()),
            ..good.clone()
        };
        assert!(enc.rs256_key().is_none());
        let ps = Jwk {
            alg: Some("PS256".into()),
            ..good.clone()
        };
        assert!(ps.rs256_key().is_none());
        let ec = Jwk {
            kty: Some("EC".into()),
            ..good.clone()
        };
        assert!(ec.rs256_key().is_none());
        let no_kid = Jwk {
            kid: None,
            ..good.clone()
        };
        assert!(no_kid.rs256_key().is_none());
        let unlabelled = Jwk {
            key_use: None,
            alg: None,
            ..good
        };
        assert!(unlabelled.rs256_key().is_some());
    }

    #[test]
    fn a_key_set_with_foreign_members_parses() {
        let set: JwkSet = serde_json::from_str(
            r#"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"ec"},
                        {"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB","x5c":["MII"]}]}"#,
        )
        .unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.keys.iter().filter_map(Jwk::rs256_key).count(), 1);
    }
}
