//! `TokenSource` and `AuthedClient` against small in-process HTTP servers.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use iam_sdk::{AuthedClient, ClientCredentials, TokenError, TokenSource};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct MockIam {
    issued: AtomicUsize,
    /// When each token was handed out, in order.
    issued_at: Mutex<Vec<Instant>>,
    refused: AtomicUsize,
    expires_in: u64,
    delay: Duration,
    refuse: std::sync::atomic::AtomicBool,
    last_form: Mutex<HashMap<String, String>>,
}

impl MockIam {
    fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    fn issued_at(&self) -> Vec<Instant> {
        self.issued_at.lock().unwrap().clone()
    }
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
        iam.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if form.get("client_secret").map(String::as_str) != Some("ats-dev-secret") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "client authentication failed"})),
        )
            .into_response();
    }
    let n = {
        let mut at = iam.issued_at.lock().unwrap();
        at.push(Instant::now());
        iam.issued.fetch_add(1, Ordering::SeqCst) + 1
    };
    let scope = form.get("scope").cloned().unwrap_or_default();
    Json(json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": iam.expires_in, "scope": scope}))
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
    assert_eq!(form.get("scope").map(String::as_str), Some("internal"));
    assert_eq!(form.len(), 4, "{form:?}");
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    assert_eq!(iam.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_requested_scope_is_configurable() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    let sent_scope = |iam: &MockIam| iam.last_form.lock().unwrap().get("scope").cloned();

    let source = TokenSource::new(&url, ats().with_scope("openid internal"))
        .await
        .unwrap();
    assert_eq!(source.scope(), "openid internal");
    assert_eq!(sent_scope(&iam).as_deref(), Some("openid internal"));

    // An empty scope sends no scope parameter at all (not `scope=`).
    let source = TokenSource::new(&url, ats().with_scope("")).await.unwrap();
    assert_eq!(source.scope(), "");
    let form = iam.last_form.lock().unwrap().clone();
    assert!(!form.contains_key("scope"), "{form:?}");
    assert_eq!(form.get("grant_type").unwrap(), "client_credentials");
    assert_eq!(iam.issued(), 2);
}

#[tokio::test]
async fn an_iam_refusing_the_scope_is_reported() {
    // A Casdoor-like token endpoint that answers RFC 6749 §5.2's invalid_scope.
    let router = Router::new().route(
        "/api/login/oauth/access_token",
        post(|Form(form): Form<HashMap<String, String>>| async move {
            assert_eq!(form.get("scope").map(String::as_str), Some("admin"));
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_scope", "error_description": "scope admin is not allowed"})),
            )
        }),
    );
    let url = format!("http://{}", serve(router).await);
    let e = TokenSource::new(&url, ats().with_scope("admin"))
        .await
        .unwrap_err();
    match e {
        TokenError::Rejected { status, error, .. } => {
            assert_eq!(status, 400);
            assert_eq!(error, "invalid_scope");
        }
        other => panic!("unexpected {other:?}"),
    }
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

/// Polls `check` every 20 ms for up to `limit`.
async fn eventually(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test]
async fn the_refresher_gets_a_token_at_start_and_renews_it_before_expiry() {
    // Four-second tokens, each taking 300 ms to issue: the refresher renews at half-life
    // (about 2 s), so the token it got is in place before the on-demand threshold (3.2 s).
    let (iam, url) = mock_iam(4, Duration::from_millis(300)).await;
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let stop = CancellationToken::new();
    let task = source.spawn_refresher(stop.clone());

    // Obtained at start, without anyone asking.
    assert!(eventually(Duration::from_secs(3), || iam.issued() == 1).await);
    let first_at = iam.issued_at()[0];
    assert_eq!(iam.last_form.lock().unwrap()["scope"], "internal");
    let start = Instant::now();
    let t = source.token().await.unwrap();
    assert_eq!(t.as_str(), "tok-1");
    assert!(
        start.elapsed() < Duration::from_millis(250),
        "no request pays for the first token"
    );

    // Renewed in the background, still without anyone asking, before the token expires.
    assert!(
        eventually(Duration::from_secs(6), || iam.issued() >= 2).await,
        "no background refresh"
    );
    let at = iam.issued_at();
    let renewed_after = at[1] - first_at;
    assert!(
        renewed_after < Duration::from_secs(4),
        "renewed {renewed_after:?} after the first token: not before its 4 s expiry"
    );
    assert!(
        renewed_after >= Duration::from_millis(1500),
        "renewed after only {renewed_after:?}: too early for a 4 s token"
    );
    // The IAM counts a token before its answer is read, so give the refresher a moment to
    // store it (asking meanwhile fetches nothing: tok-1 is fresh until 3.2 s, and after that an
    // on-demand refresh would wait for the refresher's and share it).
    let deadline = Instant::now() + Duration::from_secs(1);
    while source.token().await.unwrap().as_str() != "tok-2" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Requests after the renewal get the new token at once and cause no fetch.
    let start = Instant::now();
    assert_eq!(source.token().await.unwrap().as_str(), "tok-2");
    assert!(start.elapsed() < Duration::from_millis(250));
    assert_eq!(iam.issued(), 2);

    // Cancelled, the task ends.
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the refresher stops when cancelled")
        .unwrap();
}

#[tokio::test]
async fn the_refresher_stops_when_the_source_is_dropped() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let clone = source.clone();
    let task = source.spawn_refresher(CancellationToken::new());
    assert!(eventually(Duration::from_secs(3), || iam.issued() == 1).await);
    drop(source);
    // A clone keeps it alive ...
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!task.is_finished(), "stopped while a clone was still alive");
    assert_eq!(clone.token().await.unwrap().as_str(), "tok-1");
    // ... and dropping the last one ends it, although its next refresh is half an hour away.
    drop(clone);
    let ended = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("the refresher stops when the last clone is dropped");
    assert!(ended.is_ok() || ended.is_err_and(|e| e.is_cancelled()));
}

#[tokio::test]
async fn a_second_refresher_replaces_the_first() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let first = source.spawn_refresher(CancellationToken::new());
    assert!(eventually(Duration::from_secs(3), || iam.issued() == 1).await);
    let second = source.spawn_refresher(CancellationToken::new());
    let stopped = tokio::time::timeout(Duration::from_secs(2), first)
        .await
        .expect("the first refresher is stopped");
    assert!(stopped.is_err_and(|e| e.is_cancelled()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!second.is_finished());
    // The second found a current token and did not fetch another.
    assert_eq!(iam.issued(), 1);
}

#[tokio::test]
async fn the_refresher_retries_a_failing_iam_and_keeps_the_token_meanwhile() {
    // Six-second tokens: renewal due at about 3 s, retries 600 ms apart, then 1.2 s.
    let (iam, url) = mock_iam(6, Duration::ZERO).await;
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let _task = source.spawn_refresher(CancellationToken::new());
    assert!(eventually(Duration::from_secs(3), || iam.issued() == 1).await);
    let first_at = iam.issued_at()[0];
    iam.refuse.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(5), || iam
            .refused
            .load(Ordering::SeqCst)
            >= 2)
        .await,
        "the refresher neither tried nor retried"
    );
    assert_eq!(iam.issued(), 1);
    // Meanwhile the current token is still handed out, without a request of its own when it
    // is not yet at 80% of its life.
    if first_at.elapsed() < Duration::from_millis(4500) {
        assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    }
    iam.refuse.store(false, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(3), || iam.issued() == 2).await,
        "the refresher did not recover"
    );
    let renewed_after = iam.issued_at()[1] - first_at;
    assert!(renewed_after < Duration::from_secs(6), "{renewed_after:?}");
    let deadline = Instant::now() + Duration::from_secs(1);
    while source.token().await.unwrap().as_str() != "tok-2" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(source.token().await.unwrap().as_str(), "tok-2");
    assert_eq!(iam.issued(), 2);
}

#[tokio::test]
async fn a_refresher_started_while_the_iam_is_down_gets_the_token_once_it_is_up() {
    let (iam, url) = mock_iam(3600, Duration::ZERO).await;
    iam.refuse.store(true, Ordering::SeqCst);
    let source = TokenSource::lazy(&url, ats()).unwrap();
    let _task = source.spawn_refresher(CancellationToken::new());
    assert!(
        eventually(Duration::from_secs(3), || iam
            .refused
            .load(Ordering::SeqCst)
            >= 1)
        .await
    );
    iam.refuse.store(false, Ordering::SeqCst);
    // The first retry comes 5 s after the failure (a tenth of the assumed 300 s life, at most 5 s).
    assert!(
        eventually(Duration::from_secs(8), || iam.issued() == 1).await,
        "no retry after the IAM came back"
    );
    // A request racing the refresher's store waits for it (one refresh at a time).
    assert_eq!(source.token().await.unwrap().as_str(), "tok-1");
    assert_eq!(iam.issued(), 1);
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
