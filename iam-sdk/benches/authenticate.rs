//! How long one request's authentication takes: `authenticate` on a valid user token (header
//! parsing, RS256 signature check, claims, tenant rules), keys already cached.
//! `cargo bench -p iam-sdk`; results go to docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;
use iam_sdk::{Authenticator, BoxFuture, IamConfig, Jwk, JwkSet, JwksError, JwksSource};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::json;

const PRIVATE: &str = include_str!("../tests/fixtures/issuer-private.pem");
const PUBLIC: &str = include_str!("../tests/fixtures/issuer-public.pem");

struct Fixed(JwkSet);

impl JwksSource for Fixed {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, JwksError>> {
        let set = self.0.clone();
        Box::pin(async move { Ok(set) })
    }
}

fn main() {
    let key = RsaPublicKey::from_public_key_pem(PUBLIC).unwrap();
    let jwk = Jwk::rsa(
        "k1",
        URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    );
    let config = IamConfig::new("http://iam.bench", "http://iam.bench", vec!["cli".into()]);
    let auth = Authenticator::with_source(config, Arc::new(Fixed(JwkSet { keys: vec![jwk] })));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "http://iam.bench", "aud": ["cli"], "exp": now + 3600, "iat": now, "nbf": now,
        "owner": "acme", "name": "alice", "id": "u1", "sub": "u1", "type": "normal-user",
        "roles": [{"owner": "acme", "name": "trader"}], "scope": "openid",
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let key = EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
    // Distinct tokens (by jti) for the first-sight path; one reused token for the warm path.
    let tokens: Vec<String> = (0..1_000)
        .map(|i| {
            let mut c = claims.clone();
            c["jti"] = json!(i);
            jsonwebtoken::encode(&header, &c, &key).unwrap()
        })
        .collect();
    let headers_for = |token: &str| {
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {token}").parse().unwrap());
        h.insert("x-iam-org", "acme".parse().unwrap());
        h
    };
    let cold: Vec<HeaderMap> = tokens.iter().map(|t| headers_for(t)).collect();
    let warm = headers_for(&tokens[0]);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        for h in &cold {
            std::hint::black_box(auth.authenticate(h).await.expect("valid"));
        }
        let first_sight = start.elapsed() / u32::try_from(cold.len()).unwrap();
        let mut runs: Vec<Duration> = Vec::new();
        for _ in 0..15 {
            let n = 10_000u32;
            let start = Instant::now();
            for _ in 0..n {
                std::hint::black_box(auth.authenticate(&warm).await.expect("valid"));
            }
            runs.push(start.elapsed() / n);
        }
        runs.sort();
        println!(
            "authenticate, first sight of a token (RS256-2048 signature check): {first_sight:?} per request"
        );
        println!(
            "authenticate, token seen before (verified-token cache): min {:?}, median {:?} per request",
            runs[0],
            runs[runs.len() / 2]
        );
    });
}
