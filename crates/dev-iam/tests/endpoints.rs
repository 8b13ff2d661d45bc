//! The dev IAM's HTTP API, through a real socket and through the router.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dev_iam::{DevIam, DevIamConfig, Directory, RunningDevIam};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use tower::ServiceExt;

/// One server for the whole file, since key generation is the slow part. It runs on a runtime
/// of its own: each test's runtime ends with the test.
struct Shared {
    url: String,
    iam: DevIam,
}

impl Shared {
    fn url(&self) -> &str {
        &self.url
    }

    fn iam(&self) -> &DevIam {
        &self.iam
    }
}

fn server() -> &'static Shared {
    static SERVER: OnceLock<Shared> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let running = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
                tx.send(Shared {
                    url: running.url().to_owned(),
                    iam: running.iam().clone(),
                })
                .unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

fn http() -> reqwest::Client {
    static INSTALL: OnceLock<()> = OnceLock::new();
    INSTALL.get_or_init(iam_sdk::install_crypto_provider);
    reqwest::Client::new()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

async fn post_form(pairs: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let s = server();
    let r = http()
        .post(format!("{}/api/login/oauth/access_token", s.url()))
        .form(pairs)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap())
}

async fn post_json(body: Value) -> (u16, Value) {
    let s = server();
    let r = http()
        .post(format!("{}/api/login/oauth/access_token", s.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn temp_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("dev-iam-{tag}-{}", uuid::Uuid::now_v7()))
}

#[tokio::test]
async fn client_credentials_with_a_form() {
    let s = server();
    let (status, headers, body) = post_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ats"),
        ("client_secret", "ats-dev-secret"),
        ("scope", "internal"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "internal");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(header(token)["alg"], "RS256");
    assert_eq!(header(token)["kid"], s.iam().kid());
    let c = claims(token);
    assert_eq!(c["type"], "application");
    assert_eq!(c["sub"], "ats");
    assert_eq!(c["name"], "ats");
    assert_eq!(c["owner"], "liquidity");
    assert_eq!(c["scope"], "internal");
    assert_eq!(c["aud"], json!(["ats"]));
    assert_eq!(c["iss"], s.url());
    let (iat, exp) = (c["iat"].as_u64().unwrap(), c["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert_eq!(c["nbf"], c["iat"]);
}

#[tokio::test]
async fn client_credentials_grant_exactly_the_requested_allowed_scope() {
    // Without a scope: a token, but one without `internal`.
    let (status, _, body) = post_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ats"),
        ("client_secret", "ats-dev-secret"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["type"], "application");
    assert_eq!(c["sub"], "ats");
    assert_eq!(c["scope"], "");
    // An empty scope parameter is no scope either.
    let (status, _, body) = post_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ats"),
        ("client_secret", "ats-dev-secret"),
        ("scope", ""),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["scope"], "");
    // Repeated allowed scopes are granted once.
    let (status, _, body) = post_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ta"),
        ("client_secret", "ta-dev-secret"),
        ("scope", "internal internal"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "internal");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scope"],
        "internal"
    );
}

#[tokio::test]
async fn a_scope_the_client_is_not_allowed_is_invalid_scope() {
    for (client, secret, scope) in [
        ("ats", "ats-dev-secret", "admin"),
        ("ats", "ats-dev-secret", "internal admin"),
        ("ats", "ats-dev-secret", "INTERNAL"),
        ("cli", "cli-dev-secret", "internal"),
    ] {
        let (status, headers, body) = post_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", secret),
            ("scope", scope),
        ])
        .await;
        assert_eq!(status, 400, "{client} asking {scope:?}: {body}");
        assert_eq!(body["error"], "invalid_scope", "{client} asking {scope:?}");
        assert!(body["error_description"].is_string());
        assert!(body.get("access_token").is_none());
        assert_eq!(headers["cache-control"], "no-store");
    }
    // The client is authenticated first: a wrong secret stays invalid_client whatever the scope.
    let (status, _, body) = post_form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ats"),
        ("client_secret", "wrong"),
        ("scope", "admin"),
    ])
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn in_process_client_tokens_go_through_the_same_scope_rules() {
    let iam = server().iam();
    let t = iam.client_token("ats", "internal").unwrap();
    assert_eq!(t.scope, "internal");
    assert_eq!(claims(&t.access_token)["scope"], "internal");
    let t = iam.client_token("ats", "").unwrap();
    assert_eq!(t.scope, "");
    assert_eq!(claims(&t.access_token)["scope"], "");
    assert!(matches!(
        iam.client_token("ats", "admin"),
        Err(dev_iam::DevIamError::InvalidScope { .. })
    ));
    assert!(matches!(
        iam.client_token("cli", "internal"),
        Err(dev_iam::DevIamError::InvalidScope { .. })
    ));
}

#[tokio::test]
async fn client_credentials_with_json_and_with_basic_auth() {
    let (status, body) = post_json(json!({
        "grant_type": "client_credentials", "client_id": "bd", "client_secret": "bd-dev-secret",
        "scope": "internal"
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["sub"], "bd");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scope"],
        "internal"
    );
    let (status, body) = post_json(json!({
        "grant_type": "client_credentials", "client_id": "bd", "client_secret": "bd-dev-secret",
        "scope": "everything"
    }))
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");

    let s = server();
    let r = http()
        .post(format!("{}/api/login/oauth/access_token", s.url()))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode("ta:ta-dev-secret")),
        )
        .form(&[("grant_type", "client_credentials"), ("scope", "internal")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(claims(body["access_token"].as_str().unwrap())["sub"], "ta");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["scope"],
        "internal"
    );
}

#[tokio::test]
async fn password_grant_with_a_form() {
    let (status, _, body) = post_form(&[
        ("grant_type", "password"),
        ("client_id", "cli"),
        ("client_secret", "cli-dev-secret"),
        ("username", "acme/alice"),
        ("password", "devpass"),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["owner"], "acme");
    assert_eq!(c["name"], "alice");
    assert_eq!(c["type"], "normal-user");
    assert_eq!(c["aud"], json!(["cli"]));
    assert_eq!(c["roles"], json!([{"owner": "acme", "name": "trader"}]));
    assert_eq!(c["sub"], c["id"]);
    let id = c["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    // Stable: the same user gets the same id in every token and every instance.
    let again = server().iam().user_token("acme/alice", "cli").unwrap();
    assert_eq!(claims(&again.access_token)["id"], id);
    assert_eq!(
        Directory::defaults()
            .user("acme", "alice")
            .unwrap()
            .id()
            .to_string(),
        id
    );
}

#[tokio::test]
async fn password_grant_with_json_and_scope() {
    let (status, body) = post_json(json!({
        "grant_type": "password", "client_id": "cli", "client_secret": "cli-dev-secret",
        "username": "globex/admin", "password": "devpass", "scope": "openid profile"
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid profile");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["owner"], "globex");
    assert_eq!(c["scope"], "openid profile");
    assert_eq!(c["roles"], json!([{"owner": "globex", "name": "admin"}]));
}

#[tokio::test]
async fn every_default_user_can_log_in() {
    for (user, role) in [
        ("acme/admin", "admin"),
        ("acme/alice", "trader"),
        ("acme/bob", "trader"),
        ("acme/carla", "compliance"),
        ("acme/vic", "viewer"),
        ("globex/admin", "admin"),
        ("globex/gus", "trader"),
    ] {
        let (status, _, body) = post_form(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("client_secret", "cli-dev-secret"),
            ("username", user),
            ("password", "devpass"),
        ])
        .await;
        assert_eq!(status, 200, "{user}");
        assert_eq!(
            claims(body["access_token"].as_str().unwrap())["roles"][0]["name"],
            role
        );
    }
}

#[tokio::test]
async fn a_bad_client_secret_is_invalid_client() {
    for (id, secret) in [("ats", "bd-dev-secret"), ("ats", ""), ("nobody", "x")] {
        let (status, headers, body) = post_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .await;
        assert_eq!(status, 401, "{id}");
        assert_eq!(body["error"], "invalid_client");
        assert!(body["error_description"].is_string());
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
    let (status, _, body) = post_form(&[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // The password grant authenticates the client too.
    let (status, _, body) = post_form(&[
        ("grant_type", "password"),
        ("client_id", "cli"),
        ("client_secret", "nope"),
        ("username", "acme/alice"),
        ("password", "devpass"),
    ])
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn a_bad_password_and_an_unknown_user_look_the_same() {
    let attempt = |username: &'static str, password: &'static str| async move {
        post_form(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("client_secret", "cli-dev-secret"),
            ("username", username),
            ("password", password),
        ])
        .await
    };
    let (s1, _, wrong_password) = attempt("acme/alice", "devpas").await;
    let (s2, _, unknown_user) = attempt("acme/mallory", "devpass").await;
    let (s3, _, wrong_org) = attempt("globex/alice", "devpass").await;
    assert_eq!((s1, s2, s3), (400, 400, 400));
    assert_eq!(wrong_password["error"], "invalid_grant");
    assert_eq!(wrong_password, unknown_user);
    assert_eq!(wrong_password, wrong_org);
}

#[tokio::test]
async fn malformed_requests_are_invalid_request() {
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("client_id", "ats"), ("client_secret", "ats-dev-secret")],
        vec![
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("client_secret", "cli-dev-secret"),
            ("username", "alice"),
            ("password", "devpass"),
        ],
        vec![
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("client_secret", "cli-dev-secret"),
        ],
    ];
    for pairs in cases {
        let (status, _, body) = post_form(&pairs).await;
        assert_eq!(status, 400, "{pairs:?}");
        assert_eq!(body["error"], "invalid_request", "{pairs:?}");
    }
    let s = server();
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("text/plain", "grant_type=client_credentials"),
    ] {
        let r = http()
            .post(format!("{}/api/login/oauth/access_token", s.url()))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{content_type}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn other_grants_are_unsupported() {
    for grant in [
        "authorization_code",
        "refresh_token",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        let (status, _, body) = post_form(&[
            ("grant_type", grant),
            ("client_id", "ats"),
            ("client_secret", "ats-dev-secret"),
        ])
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "unsupported_grant_type");
    }
}

#[tokio::test]
async fn discovery_and_jwks() {
    let s = server();
    let doc: Value = http()
        .get(format!("{}/.well-known/openid-configuration", s.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], s.url());
    assert_eq!(doc["jwks_uri"], format!("{}/.well-known/jwks", s.url()));
    assert_eq!(
        doc["token_endpoint"],
        format!("{}/api/login/oauth/access_token", s.url())
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_credentials"))
    );
    assert_eq!(doc["scopes_supported"], json!(["openid", "internal"]));

    let jwks: Value = http()
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["alg"], "RS256");
    assert_eq!(k["kid"], s.iam().kid());
    assert_eq!(k["e"], "AQAB");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(k["n"].as_str().unwrap())
            .unwrap()
            .len(),
        256,
        "2048-bit modulus"
    );
    assert!(!k["n"].as_str().unwrap().contains(['=', '+', '/']));

    // A token it issues verifies against the published key.
    let token = s
        .iam()
        .client_token("ats", "internal")
        .unwrap()
        .access_token;
    let key = DecodingKey::from_rsa_components(k["n"].as_str().unwrap(), "AQAB").unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["ats"]);
    validation.set_issuer(&[s.url()]);
    let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], "ats");
}

#[tokio::test]
async fn discovery_urls_follow_the_host_header_but_not_the_issuer() {
    let iam = server().iam().clone();
    let call = |host: Option<&'static str>| {
        let router = iam.router();
        async move {
            let mut request = Request::builder().uri("/.well-known/openid-configuration");
            if let Some(host) = host {
                request = request.header("host", host);
            }
            let response = router
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            serde_json::from_slice::<Value>(&body).unwrap()
        }
    };
    let doc = call(Some("dev-iam:8000")).await;
    assert_eq!(doc["jwks_uri"], "http://dev-iam:8000/.well-known/jwks");
    assert_eq!(
        doc["token_endpoint"],
        "http://dev-iam:8000/api/login/oauth/access_token"
    );
    assert_eq!(doc["issuer"], iam.issuer());
    // Without a usable Host, the issuer's address is advertised.
    for host in [None, Some("evil.test/path?x="), Some("a b")] {
        let doc = call(host).await;
        assert_eq!(
            doc["jwks_uri"],
            format!("{}/.well-known/jwks", iam.issuer()),
            "{host:?}"
        );
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let s = server();
    let r = http()
        .get(format!("{}/nope", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
    let r = http()
        .get(format!("{}/api/login/oauth/access_token", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
    let r = http()
        .get(format!("{}/healthz", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_key_is_kept_with_0600_and_reused_across_restarts() {
    let dir = temp_dir("keys").join("nested");
    let config = DevIamConfig {
        key_dir: Some(dir.clone()),
        ..DevIamConfig::default()
    };
    let first = DevIam::new(config.clone()).unwrap();
    let path = dir.join(dev_iam::KEY_FILE);
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left behind");

    let token = first.user_token("acme/bob", "cli").unwrap().access_token;
    drop(first);
    let second = DevIam::new(config.clone()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    assert_eq!(header(&token)["kid"], second.kid());
    assert_eq!(second.jwks()["keys"][0]["kid"], second.kid());

    // A loosened file is tightened again on start.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let third = DevIam::new(config.clone()).unwrap();
    assert_eq!(third.kid(), second.kid());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // A damaged key is an error, not a silently replaced key.
    std::fs::write(&path, "not a key").unwrap();
    let e = DevIam::new(config).unwrap_err();
    assert!(e.to_string().contains("signing key"), "{e}");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_directory_file_adds_users_and_clients() {
    let dir = temp_dir("config");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dev-iam.toml");
    std::fs::write(
        &file,
        r#"
        [[clients]]
        client_id = "reporting"
        client_secret = "reporting-dev-secret"
        scope = "internal"

        [[users]]
        organization = "initech"
        name = "peter"
        password = "tps"
        roles = ["viewer"]
        "#,
    )
    .unwrap();
    let file_str = file.to_string_lossy().into_owned();
    let mut config = DevIamConfig::from_lookup(|name| match name {
        "DEV_IAM_CONFIG" => Some(file_str.clone()),
        _ => None,
    })
    .unwrap();
    config.key_dir = None;
    let running = RunningDevIam::start(config).await.unwrap();
    let r = http()
        .post(format!("{}/api/login/oauth/access_token", running.url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "reporting"),
            ("client_secret", "reporting-dev-secret"),
            ("username", "initech/peter"),
            ("password", "tps"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["owner"], "initech");
    assert_eq!(c["aud"], json!(["reporting"]));
    // The defaults are still there.
    assert!(running.iam().client_token("ats", "internal").is_ok());
    // The file's client may ask for the scope it was given.
    assert_eq!(
        running
            .iam()
            .client_token("reporting", "internal")
            .unwrap()
            .scope,
        "internal"
    );
    running.stop().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn sign_produces_tokens_with_the_iam_key() {
    let iam = server().iam();
    let token = iam.sign(&json!({"owner": "acme", "exp": 1})).unwrap();
    assert_eq!(header(&token)["kid"], iam.kid());
    assert_eq!(claims(&token)["owner"], "acme");
    assert!(matches!(
        iam.client_token("nobody", "internal"),
        Err(dev_iam::DevIamError::UnknownClient(_))
    ));
    assert!(iam.user_token("acme/nobody", "cli").is_err());
    assert!(iam.user_token("alice", "cli").is_err());
}
