//! `TokenSource` and `AuthedClient` against small in-process HTTP servers.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use iam_sdk::{AuthedClient, ClientCredentials, TokenError, TokenSource};
use serde_json::json;
use tokio::net::TcpListener;

#[derive(Default)]
struct MockIam {
    issued: AtomicUsize,
    expires_in: u64,
    delay: Duration,
    refuse: std::sync::atomic::AtomicBool,
    last_form: Mutex<HashMap<String, String>>,
}

async fn token(
    State(iam): State<Arc<MockIam>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    *iam.last_form.lock().unwrap() = form.clone();
    if !iam.delay.is_zero() {
        tokio::time::sleep(iam.delay).await;
    }
    if iam.refuse.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if form.get("client_secret").map(String::as_str) != Some("ats-dev-secret") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "client authentication failed"})),
        )
            .into_response();
    }
    let n = iam.issued.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": iam.expires_in, "scope": "internal"}))
        .into_response()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn mock_iam(expires_in: u64, delay: Duration) -> (Arc<MockIam>, String) {
    let iam = Arc::new(MockIam {
        expires_in,
        delay,
        ..MockIam::default()
    });
    let router = Router::new()
        .route("/api/login/oauth/access_token", post(token))
        .with_state(iam.clone());
    let addr = serve(router).await;
    (iam, format!("http://{addr}"))
}

fn ats() -> ClientCredentials {
    ClientCredentials::new("ats", "ats-dev-secret")
}

#[tokio::test]
async fn the_first_token_is_fetched_at_construction_with_the_right_form() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    let source = TokenSource::new(&url, ats()).await.unwrap();
    assert_eq!(iam.issued.load(Ordering::SeqCst), 1);
    let form = iam.last_form.lock().unwrap().clone();
    assert_eq!(form.get("grant_type").unwrap(), "client_credentials");
    assert_eq!(form.get("client_id").unwrap(), "ats");
    assert_eq!(form.get("client_secret").unwrap(), "ats-dev-secret");
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    assert_eq!(iam.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn construction_fails_when_the_iam_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = TokenSource::new(&format!("http://{addr}"), ats())
        .await
        .unwrap_err();
    assert!(matches!(e, TokenError::Unreachable(_)), "{e:?}");
    // The lazy mode starts anyway and fails on use.
    let lazy = TokenSource::lazy(&format!("http://{addr}"), ats()).unwrap();
    assert!(lazy.token().await.is_err());
}

#[tokio::test]
async fn wrong_credentials_are_reported_without_the_secret() {
    let (_iam, url) = mock_iam(3600, Duration::ZERO).await;
    let e = TokenSource::new(&url, ClientCredentials::new("ats", "wrong-secret"))
        .await
        .unwrap_err();
    match &e {
        TokenError::Rejected { status, error, .. } => {
            assert_eq!(*status, 401);
            assert_eq!(error, "invalid_client");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!format!("{e} {e:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn the_token_is_refreshed_after_80_percent_of_its_lifetime() {
    // Sleeps bound elapsed time from below only, so the checks that must happen *before* a
    // deadline get wide margins and the ones after it none.
    let (iam, url) = mock_iam(4, Duration::ZERO).await;
    let source = TokenSource::new(&url, ats()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        source.token().await.unwrap().as_str(),
        "tok-1",
        "30% of 4 s: still fresh"
    );
    assert_eq!(iam.issued.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        source.token().await.unwrap().as_str(),
        "tok-2",
        "over 80% of 4 s: refreshed"
    );
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
    assert_eq!(source.token().await.unwrap().as_str(), "tok-2");
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn one_refresh_at_a_time_and_everyone_shares_it() {
    let (iam, url) = mock_iam(3600, Duration::from_millis(300)).await;
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let source = source.clone();
        tasks.push(tokio::spawn(async move { source.token().await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().as_str(), "tok-1");
    }
    assert_eq!(iam.issued.load(Ordering::SeqCst), 1);

    source.invalidate();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let source = source.clone();
        tasks.push(tokio::spawn(async move { source.token().await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().as_str(), "tok-2");
    }
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn invalidate_token_only_drops_that_token() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    let source = TokenSource::new(&url, ats()).await.unwrap();
    let first = source.token().await.unwrap();
    source.invalidate_token(&first);
    let second = source.token().await.unwrap();
    assert_eq!(second.as_str(), "tok-2");
    // A late report about the old token does not throw away the new one.
    source.invalidate_token(&first);
    assert_eq!(source.token().await.unwrap().as_str(), "tok-2");
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_still_valid_token() {
    let (iam, url) = mock_iam(4, Duration::ZERO).await;
    let source = TokenSource::new(&url, ats()).await.unwrap();
    iam.refuse.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(3300)).await;
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(source.token().await.is_err(), "expired and not renewable");
    iam.refuse.store(false, Ordering::SeqCst);
    assert_eq!(source.token().await.unwrap().as_str(), "tok-2");
}

#[derive(Default)]
struct Downstream {
    seen: Mutex<Vec<HashMap<String, String>>>,
    reject_token: Mutex<Option<String>>,
}

async fn downstream(State(d): State<Arc<Downstream>>, headers: HeaderMap) -> Response {
    let pick = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut seen = HashMap::new();
    for name in ["authorization", "x-iam-org", "x-request-id"] {
        seen.insert(name.to_owned(), pick(name));
    }
    let authorization = pick("authorization");
    d.seen.lock().unwrap().push(seen);
    let rejected = d.reject_token.lock().unwrap().clone();
    if rejected.is_some_and(|t| authorization == format!("Bearer {t}")) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({"ok": true})).into_response()
}

#[tokio::test]
async fn authed_client_sends_identity_headers_and_retries_a_401_once() {
    let (iam, iam_url) = mock_iam(3600, Duration::ZERO).await;
    let d = Arc::new(Downstream::default());
    let addr = serve(
        Router::new()
            .route("/v1/thing", get(downstream).post(downstream))
            .with_state(d.clone()),
    )
    .await;
    let client = AuthedClient::new(TokenSource::new(&iam_url, ats()).await.unwrap()).unwrap();
    let url = format!("http://{addr}/v1/thing");

    let response = client
        .send(client.get(&url), "acme", "req-1")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    {
        let seen = d.seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["authorization"], "Bearer tok-1");
        assert_eq!(seen[0]["x-iam-org"], "acme");
        assert_eq!(seen[0]["x-request-id"], "req-1");
    }

    // The downstream stops accepting tok-1: one retry with a fresh token, body replayed.
    *d.reject_token.lock().unwrap() = Some("tok-1".to_owned());
    let response = client
        .send(client.post(&url).json(&json!({"a": 1})), "globex", "req-2")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    {
        let seen = d.seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[1]["authorization"], "Bearer tok-1");
        assert_eq!(seen[2]["authorization"], "Bearer tok-2");
        assert_eq!(seen[2]["x-iam-org"], "globex");
        assert_eq!(seen[2]["x-request-id"], "req-2");
    }
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);

    // Later calls use the fresh token without further fetches.
    let response = client
        .send(client.get(&url), "acme", "req-3")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(d.seen.lock().unwrap()[3]["authorization"], "Bearer tok-2");
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn authed_client_gives_up_after_one_retry() {
    let (iam, iam_url) = mock_iam(3600, Duration::ZERO).await;
    let addr =
        serve(Router::new().route("/always-401", get(|| async { StatusCode::UNAUTHORIZED }))).await;
    let client = AuthedClient::new(TokenSource::new(&iam_url, ats()).await.unwrap()).unwrap();
    let response = client
        .send(client.get(format!("http://{addr}/always-401")), "acme", "r")
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(iam.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn authed_client_refuses_header_injection() {
    let (_iam, iam_url) = mock_iam(3600, Duration::ZERO).await;
    let client = AuthedClient::new(TokenSource::new(&iam_url, ats()).await.unwrap()).unwrap();
    let url = "http://127.0.0.1:1/never";
    assert!(
        client
            .send(client.get(url), "acme\r\nx-evil: 1", "r")
            .await
            .is_err()
    );
    assert!(client.send(client.get(url), "", "r").await.is_err());
    assert!(client.send(client.get(url), "acme", "r\nx").await.is_err());
}
