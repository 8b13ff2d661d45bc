//! iam-sdk against a served dev IAM: JWKS over HTTP, tenant rules, client-credentials tokens.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dev_iam::{DevIamConfig, RunningDevIam};
use http::{HeaderMap, HeaderValue};
use iam_sdk::{
    Authenticator, CallerKind, ClientCredentials, ErrorCode, IamConfig, TokenSource,
    parse_audiences,
};
use serde_json::Value;

fn http() -> reqwest::Client {
    iam_sdk::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn authenticator(iam: &RunningDevIam) -> Authenticator {
    Authenticator::new(
        IamConfig::new(
            iam.url(),
            iam.iam().issuer(),
            parse_audiences("ats,bd,ta,cli"),
        ),
        http(),
    )
}

fn headers(token: &str, org: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    if let Some(org) = org {
        h.insert("x-iam-org", HeaderValue::from_str(org).unwrap());
    }
    h
}

async fn password_token(iam: &RunningDevIam, username: &str) -> String {
    let body: Value = http()
        .post(format!("{}/api/login/oauth/access_token", iam.url()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("client_secret", "cli-dev-secret"),
            ("username", username),
            ("password", "devpass"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_sdk_validates_dev_iam_tokens_over_http() {
    let iam = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let auth = authenticator(&iam);

    let alice = password_token(&iam, "acme/alice").await;
    let caller = auth.authenticate(&headers(&alice, None)).await.unwrap();
    assert_eq!(caller.org_id, "acme");
    assert_eq!(caller.name, "alice");
    assert_eq!(caller.roles, vec!["trader"]);
    assert_eq!(caller.kind, CallerKind::User);
    assert!(caller.require_any_role(&["trader"]).is_ok());
    assert!(caller.require_any_role(&["compliance"]).is_err());

    let e = auth
        .authenticate(&headers(&alice, Some("globex")))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);

    let admin = password_token(&iam, "globex/admin").await;
    let caller = auth
        .authenticate(&headers(&admin, Some("globex")))
        .await
        .unwrap();
    assert!(caller.is_admin());
    assert!(caller.require_any_role(&["compliance"]).is_ok());

    // A service token from the token source acts for the organization it names.
    let tokens = TokenSource::new(iam.url(), ClientCredentials::new("bd", "bd-dev-secret"))
        .await
        .unwrap();
    let service = tokens.token().await.unwrap();
    let caller = auth
        .authenticate(&headers(service.as_str(), Some("acme")))
        .await
        .unwrap();
    assert_eq!(caller.kind, CallerKind::Service);
    assert_eq!(caller.org_id, "acme");
    assert_eq!(caller.subject, "bd");
    // Without X-IAM-Org it acts for nobody: 403 "missing organization".
    let e = auth
        .authenticate(&headers(service.as_str(), None))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
    assert_eq!(e.status(), 403);
    assert_eq!(e.message(), "missing organization");

    // The cli client's own client-credentials token is no service token.
    let cli = iam.iam().client_token("cli", "").unwrap().access_token;
    let e = auth
        .authenticate(&headers(&cli, Some("acme")))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);

    // A service that does not list the cli audience refuses user tokens issued to it.
    let strict = Authenticator::new(
        IamConfig::new(iam.url(), iam.iam().issuer(), vec!["ats".into()]),
        http(),
    );
    let e = strict
        .authenticate(&headers(&alice, None))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Unauthenticated);

    // Another dev IAM's key is not trusted, even for claims naming our issuer.
    let other = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let mut claims: Value = {
        use base64::Engine;
        let payload = alice.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    claims["roles"] = serde_json::json!([{"owner": "acme", "name": "admin"}]);
    let foreign = other.iam().sign(&claims).unwrap();
    let e = auth
        .authenticate(&headers(&foreign, None))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Unauthenticated);

    other.stop().await.unwrap();
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn unreachable_keys_make_the_service_not_ready() {
    let iam = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let token = iam
        .iam()
        .user_token("acme/vic", "cli")
        .unwrap()
        .access_token;
    // Pointed at a port where nothing listens.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let auth = Authenticator::new(
        IamConfig::new(
            format!("http://{dead}"),
            iam.iam().issuer(),
            vec!["cli".into()],
        ),
        http(),
    );
    let e = auth.authenticate(&headers(&token, None)).await.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::NotReady);
    assert_eq!(e.status(), 503);
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn the_token_source_gets_and_refreshes_a_client_credentials_token() {
    let config = DevIamConfig {
        token_ttl: Duration::from_secs(2),
        ..DevIamConfig::default()
    };
    let iam = RunningDevIam::start(config).await.unwrap();
    let auth = authenticator(&iam);
    let tokens = TokenSource::new(iam.url(), ClientCredentials::new("ats", "ats-dev-secret"))
        .await
        .unwrap();
    let first = tokens.token().await.unwrap();
    assert_eq!(tokens.token().await.unwrap(), first, "cached");
    auth.authenticate(&headers(first.as_str(), Some("acme")))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(1700)).await;
    let second = tokens.token().await.unwrap();
    assert_ne!(second, first, "refreshed after 80% of 2 s");
    let caller = auth
        .authenticate(&headers(second.as_str(), Some("acme")))
        .await
        .unwrap();
    assert_eq!(caller.subject, "ats");

    tokens.invalidate();
    let third = tokens.token().await.unwrap();
    assert_ne!(third, second);

    let e = TokenSource::new(iam.url(), ClientCredentials::new("ats", "wrong"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, iam_sdk::TokenError::Rejected { status: 401, .. }),
        "{e:?}"
    );
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn the_token_source_asks_for_internal_and_its_token_is_a_service_token() {
    let iam = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let auth = authenticator(&iam);
    let tokens = TokenSource::new(iam.url(), ClientCredentials::new("ta", "ta-dev-secret"))
        .await
        .unwrap();
    assert_eq!(tokens.scope(), "internal");
    let token = tokens.token().await.unwrap();
    assert_eq!(claims_of(token.as_str())["scope"], "internal");
    let caller = auth
        .authenticate(&headers(token.as_str(), Some("globex")))
        .await
        .unwrap();
    assert_eq!(caller.kind, CallerKind::Service);
    assert_eq!(caller.org_id, "globex");
    assert!(caller.has_role("internal"));
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_credentials_token_obtained_without_scope_is_refused_as_a_service_token() {
    let iam = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let auth = authenticator(&iam);
    // The same client and secret, asking for no scope: the dev IAM issues a token, without
    // `internal`.
    let tokens = TokenSource::new(
        iam.url(),
        ClientCredentials::new("ats", "ats-dev-secret").with_scope(""),
    )
    .await
    .unwrap();
    let token = tokens.token().await.unwrap();
    assert_eq!(claims_of(token.as_str())["type"], "application");
    assert_eq!(claims_of(token.as_str())["scope"], "");
    for org in [Some("acme"), None] {
        let e = auth
            .authenticate(&headers(token.as_str(), org))
            .await
            .unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::Forbidden, "org {org:?}");
        assert_eq!(e.status(), 403);
        assert_eq!(e.code(), "FORBIDDEN", "the envelope's code");
    }
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn a_scope_the_client_may_not_have_is_refused_by_the_iam() {
    let iam = RunningDevIam::start(DevIamConfig::default()).await.unwrap();
    let e = TokenSource::new(
        iam.url(),
        ClientCredentials::new("ats", "ats-dev-secret").with_scope("internal admin"),
    )
    .await
    .unwrap_err();
    match e {
        iam_sdk::TokenError::Rejected { status, error, .. } => {
            assert_eq!(status, 400);
            assert_eq!(error, "invalid_scope");
        }
        other => panic!("unexpected {other:?}"),
    }
    // The cli client (no scope allowed) cannot make itself a service.
    let e = TokenSource::new(iam.url(), ClientCredentials::new("cli", "cli-dev-secret"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, iam_sdk::TokenError::Rejected { status: 400, error, .. } if error == "invalid_scope"),
        "{e:?}"
    );
    iam.stop().await.unwrap();
}

#[tokio::test]
async fn the_refresher_keeps_a_dev_iam_token_valid() {
    let config = DevIamConfig {
        token_ttl: Duration::from_secs(3),
        ..DevIamConfig::default()
    };
    let iam = RunningDevIam::start(config).await.unwrap();
    let auth = authenticator(&iam);
    let tokens =
        TokenSource::lazy(iam.url(), ClientCredentials::new("bd", "bd-dev-secret")).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokens.spawn_refresher(stop.clone());
    // Over three lifetimes the token in hand is always accepted, and it changes.
    let mut seen = Vec::new();
    let until = std::time::Instant::now() + Duration::from_secs(9);
    while std::time::Instant::now() < until {
        let token = tokens.token().await.unwrap();
        let claims = claims_of(token.as_str());
        let exp = claims["exp"].as_u64().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(exp > now, "an expired token was handed out");
        auth.authenticate(&headers(token.as_str(), Some("acme")))
            .await
            .unwrap();
        if seen.last() != Some(&token) {
            seen.push(token);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        seen.len() >= 3,
        "only {} tokens in 9 s of 3 s tokens",
        seen.len()
    );
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .unwrap()
        .unwrap();
    iam.stop().await.unwrap();
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}
