//! Tokens an attacker could present. Each must be refused with 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::SharedIam;

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// The claims of a valid token, to be altered.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An attacker's own RSA key (generated once per test binary).
fn attacker_key() -> &'static EncodingKey {
    static KEY: std::sync::OnceLock<EncodingKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let pem = key.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
    })
}

/// Every forgery, named, built from a valid user token of `username`.
pub fn all(iam: &SharedIam, username: &str) -> Vec<(&'static str, String)> {
    let valid = iam.user_token(username);
    let claims = claims_of(&valid);
    let kid = iam.iam.kid().to_owned();
    let mut out = Vec::new();

    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    out.push(("alg none", format!("{}.{}.", b64(&header), b64(&claims))));

    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(kid.clone());
    let hs = jsonwebtoken::encode(
        &h,
        &claims,
        &EncodingKey::from_secret(iam.iam.public_key_pem().as_bytes()),
    )
    .unwrap();
    out.push(("HS256 keyed with the RSA public key", hs));

    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.clone());
    out.push((
        "own key with a known kid",
        jsonwebtoken::encode(&h, &claims, attacker_key()).unwrap(),
    ));

    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("attacker-kid".into());
    out.push((
        "unknown kid",
        jsonwebtoken::encode(&h, &claims, attacker_key()).unwrap(),
    ));

    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.clone());
    h.jku = Some("http://127.0.0.1:1/jwks".into());
    h.x5u = Some("http://127.0.0.1:1/cert".into());
    out.push((
        "own key announced through jku/x5u",
        jsonwebtoken::encode(&h, &claims, attacker_key()).unwrap(),
    ));

    let mut tampered = claims.clone();
    tampered["owner"] = json!("globex");
    let parts: Vec<&str> = valid.split('.').collect();
    out.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], b64(&tampered), parts[2]),
    ));

    let mut c = claims.clone();
    c["exp"] = json!(now() - 3600);
    c["iat"] = json!(now() - 7200);
    c["nbf"] = json!(now() - 7200);
    out.push(("expired", iam.sign(&c)));

    let mut c = claims.clone();
    c["nbf"] = json!(now() + 3600);
    out.push(("not yet valid", iam.sign(&c)));

    let mut c = claims.clone();
    c["aud"] = json!(["someone-else"]);
    out.push(("wrong audience", iam.sign(&c)));

    let mut c = claims.clone();
    c["iss"] = json!("http://evil.example");
    out.push(("wrong issuer", iam.sign(&c)));

    out.push(("garbage", "not-a-jwt".to_owned()));
    out
}
