//! Keys, tokens and a counting key source shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderName, HeaderValue};
use iam_sdk::{Authenticator, BoxFuture, IamConfig, Jwk, JwkSet, JwksError, JwksSource};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://iam.test";
pub const KID: &str = "issuer-key-1";
pub const ISSUER_PRIVATE: &str = include_str!("../fixtures/issuer-private.pem");
pub const ISSUER_PUBLIC: &str = include_str!("../fixtures/issuer-public.pem");
pub const ATTACKER_PRIVATE: &str = include_str!("../fixtures/attacker-private.pem");
pub const ATTACKER_PUBLIC: &str = include_str!("../fixtures/attacker-public.pem");

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn jwk(public_pem: &str, kid: &str) -> Jwk {
    let key = RsaPublicKey::from_public_key_pem(public_pem).unwrap();
    Jwk::rsa(
        kid,
        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    )
}

/// Hands out a fixed key set and counts how often it is asked.
pub struct CountingSource {
    pub set: Mutex<JwkSet>,
    pub fetches: AtomicUsize,
    pub failing: AtomicBool,
    pub delay: Duration,
}

impl CountingSource {
    pub fn new(keys: Vec<Jwk>) -> Arc<Self> {
        Self::with_delay(keys, Duration::ZERO)
    }

    pub fn with_delay(keys: Vec<Jwk>, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            set: Mutex::new(JwkSet { keys }),
            fetches: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            delay,
        })
    }

    /// The issuer's fixture key under `KID`.
    pub fn issuer() -> Arc<Self> {
        Self::new(vec![jwk(ISSUER_PUBLIC, KID)])
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    pub fn set_keys(&self, keys: Vec<Jwk>) {
        *self.set.lock().unwrap() = JwkSet { keys };
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl JwksSource for CountingSource {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, JwksError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            if self.failing.load(Ordering::SeqCst) {
                return Err(JwksError("connection refused".into()));
            }
            Ok(self.set.lock().unwrap().clone())
        })
    }
}

pub fn config() -> IamConfig {
    IamConfig::new(
        "https://iam.test",
        ISSUER,
        vec!["ats".to_owned(), "cli".to_owned()],
    )
}

pub fn authenticator(source: Arc<CountingSource>) -> Authenticator {
    Authenticator::with_source(config(), source)
}

pub fn sign_with(private_pem: &str, header: &Header, claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(header, claims, &key).unwrap()
}

pub fn rs256_header(kid: &str) -> Header {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.to_owned());
    h
}

/// Signed by the issuer's key, with `kid` = `KID`.
pub fn sign(claims: &Value) -> String {
    sign_with(ISSUER_PRIVATE, &rs256_header(KID), claims)
}

/// A Casdoor user token's claims.
pub fn user_claims(org: &str, name: &str, roles: Value) -> Value {
    let t = now();
    json!({
        "owner": org, "name": name, "id": format!("id-{org}-{name}"), "sub": format!("id-{org}-{name}"),
        "type": "normal-user", "roles": roles, "scope": "openid",
        "iss": ISSUER, "aud": ["cli"], "exp": t + 600, "iat": t, "nbf": t,
        "displayName": name, "tokenType": "access-token", "score": 0
    })
}

/// A Casdoor client-credentials token's claims.
pub fn service_claims(client: &str, scope: &str) -> Value {
    let t = now();
    json!({
        "owner": "liquidity", "name": client, "sub": client, "type": "application",
        "scope": scope, "iss": ISSUER, "aud": client, "exp": t + 600, "iat": t, "nbf": t
    })
}

pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}
