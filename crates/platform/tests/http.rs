//! The shared layers through real HTTP: envelopes for every kind of bad request, panics and
//! timeouts, the idempotency store against PostgreSQL, and calls to other services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use platform::client::{CallFailure, RetryPolicy};
use platform::config::{CommonConfig, Env};
use platform::{Anyone, ApiError, ApiJson, ApiResult, Authorized, Platform, RequestId};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/platform");

struct Iam {
    iam: dev_iam::DevIam,
    url: String,
}

/// One dev IAM per test binary, on its own thread (each test has its own runtime).
fn iam() -> &'static Iam {
    static IAM: std::sync::OnceLock<Iam> = std::sync::OnceLock::new();
    IAM.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}", l.local_addr().unwrap());
                let iam = dev_iam::DevIam::new(dev_iam::DevIamConfig {
                    issuer: url.clone(),
                    ..Default::default()
                })
                .unwrap();
                tx.send(Iam {
                    iam: iam.clone(),
                    url,
                })
                .unwrap();
                iam.serve(l, CancellationToken::new()).await.unwrap();
            });
        });
        rx.recv().unwrap()
    })
}

fn token(user: &str) -> String {
    iam().iam.user_token(user, "cli").unwrap().access_token
}

fn config(extra: &[(&str, &str)]) -> CommonConfig {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("IAM_URL".into(), iam().url.clone());
    vars.insert("IAM_ISSUER".into(), iam().url.clone());
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let mut env = Env::from_map(vars);
    let c = CommonConfig::read(&mut env, "ats", 0);
    env.finish().unwrap();
    c
}

#[derive(Deserialize)]
struct CreateThing {
    name: String,
    quantity: Decimal,
}

#[derive(Clone)]
struct TestState {
    auth: iam_sdk::Authenticator,
    created: Arc<AtomicUsize>,
}

impl axum::extract::FromRef<TestState> for iam_sdk::Authenticator {
    fn from_ref(s: &TestState) -> Self {
        s.auth.clone()
    }
}

async fn create(
    caller: Authorized<Anyone>,
    State(s): State<TestState>,
    ApiJson(body): ApiJson<CreateThing>,
) -> ApiResult<(StatusCode, ApiJson<Value>)> {
    if body.quantity <= Decimal::ZERO {
        return Err(ApiError::validation("quantity", "must be positive"));
    }
    if body.name == "explode" {
        return Err(ApiError::internal(anyhow::anyhow!("boom")));
    }
    let n = s.created.fetch_add(1, Ordering::SeqCst) + 1;
    Ok((
        StatusCode::CREATED,
        ApiJson(
            json!({"n": n, "name": body.name, "quantity": body.quantity, "org": caller.org_id}),
        ),
    ))
}

struct App {
    url: String,
    http: reqwest::Client,
    created: Arc<AtomicUsize>,
    _stop: tokio_util::sync::DropGuard,
}

async fn app(pool: PgPool, timeout_secs: &str) -> App {
    platform::install_crypto_provider();
    let p = Platform::with_pool(
        config(&[("REQUEST_TIMEOUT_SECS", timeout_secs)]),
        pool,
        &MIGRATOR,
    )
    .unwrap();
    let created = Arc::new(AtomicUsize::new(0));
    let state = TestState {
        auth: p.auth.clone(),
        created: created.clone(),
    };
    let api = OpenApiRouter::new()
        .route("/v1/things", post(create))
        .route(
            "/v1/panic",
            get(|| async {
                if std::env::var_os("NEVER_SET_IN_TESTS").is_none() {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
        .route(
            "/v1/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .with_state(state);
    let router = p.router(
        api,
        platform::ApiInfo {
            title: "test",
            description: "test",
            version: "0",
        },
    );
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(platform::app::serve(l, router, stop.clone()));
    App {
        url,
        http: reqwest::Client::new(),
        created,
        _stop: stop.drop_guard(),
    }
}

async fn send(req: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text:?}"));
    assert_eq!(
        headers["content-type"], "application/json",
        "{status} {text}"
    );
    (status, headers, body)
}

impl App {
    fn post(&self, body: &str) -> reqwest::RequestBuilder {
        self.post_as("acme/admin", body)
    }

    fn post_as(&self, user: &str, body: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/v1/things", self.url))
            .bearer_auth(token(user))
            .body(body.to_owned())
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn bad_bodies_get_the_envelope(pool: PgPool) {
    let app = app(pool, "30").await;
    for (body, status, code) in [
        ("{", 400, "MALFORMED_JSON"),
        ("", 400, "MALFORMED_JSON"),
        ("[1,2", 400, "MALFORMED_JSON"),
        ("{}", 400, "VALIDATION_ERROR"),
        (r#"{"name": 1, "quantity": "1"}"#, 400, "VALIDATION_ERROR"),
        (
            r#"{"name": "a", "quantity": "abc"}"#,
            400,
            "VALIDATION_ERROR",
        ),
        (
            r#"{"name": "a", "quantity": "-1"}"#,
            400,
            "VALIDATION_ERROR",
        ),
        (
            r#"{"name": "a", "quantity": 1e400}"#,
            400,
            "VALIDATION_ERROR",
        ),
    ] {
        let (s, _, b) = send(app.post(body)).await;
        assert_eq!(
            (s, b["error"]["code"].as_str().unwrap()),
            (status, code),
            "{body}: {b}"
        );
    }
    let (_, _, b) = send(app.post(r#"{"name": "a"}"#)).await;
    assert!(
        b["error"]["details"]["fields"].get("quantity").is_some(),
        "{b}"
    );
    assert_eq!(app.created.load(Ordering::SeqCst), 0);

    let big = format!(
        r#"{{"name": "{}", "quantity": 1}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let (s, _, b) = send(app.post(&big)).await;
    assert_eq!(s, 413, "{b}");
    assert_eq!(b["error"]["code"], "PAYLOAD_TOO_LARGE");

    // NUL characters, which PostgreSQL cannot store, are refused in bodies, paths and queries.
    let (s, _, b) = send(app.post(r#"{"name": "a\u0000b", "quantity": 1}"#)).await;
    assert_eq!(s, 400, "{b}");
    assert!(b["error"]["details"]["fields"].get("name").is_some(), "{b}");
    for (url, field) in [
        (format!("{}/v1/things?name=a%00b", app.url), "query"),
        (format!("{}/v1/things/a%00b", app.url), "path"),
    ] {
        let (s, _, b) = send(app.http.get(&url).bearer_auth(token("acme/admin"))).await;
        assert_eq!(s, 400, "{url}: {b}");
        assert_eq!(b["error"]["code"], "VALIDATION_ERROR", "{b}");
        assert!(b["error"]["details"]["fields"].get(field).is_some(), "{b}");
    }
    assert_eq!(app.created.load(Ordering::SeqCst), 0);

    let (s, _, b) = send(app.post(r#"{"name": "ok", "quantity": 2.50}"#)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["quantity"], "2.50");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn failures_never_leak_or_lose_the_envelope(pool: PgPool) {
    let app = app(pool, "1").await;
    let (s, _, b) = send(app.http.get(format!("{}/v1/panic", app.url))).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (500, "INTERNAL"));
    let (s, _, b) = send(app.http.get(format!("{}/v1/slow", app.url))).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (503, "NOT_READY")
    );
    let (s, _, b) = send(app.post(r#"{"name": "explode", "quantity": 1}"#)).await;
    assert_eq!(s, 500);
    assert!(!b.to_string().contains("boom"), "{b}");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn idempotency_keys_replay_and_refuse_reuse(pool: PgPool) {
    let app = app(pool.clone(), "30").await;
    let body = r#"{"name": "a", "quantity": "1"}"#;
    let (s1, h1, b1) = send(app.post(body).header("idempotency-key", "k-1")).await;
    assert_eq!(s1, 201);
    assert!(h1.get("idempotent-replayed").is_none());
    let (s2, h2, b2) = send(app.post(body).header("idempotency-key", "k-1")).await;
    assert_eq!((s2, &b2), (201, &b1));
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(
        app.created.load(Ordering::SeqCst),
        1,
        "the handler ran twice"
    );

    let (s, _, b) = send(
        app.post(r#"{"name": "b", "quantity": "1"}"#)
            .header("idempotency-key", "k-1"),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (409, "IDEMPOTENCY_KEY_REUSED")
    );

    // Keys are per organization: globex's k-1 is its own.
    let (s, _, b) = send(
        app.post_as("globex/admin", body)
            .header("idempotency-key", "k-1"),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(b["org"], "globex");
    assert_eq!(app.created.load(Ordering::SeqCst), 2);

    // A 4xx answer is replayed too; a 5xx is not kept, so a retry runs again.
    let (s, _, _) = send(
        app.post(r#"{"name": "a", "quantity": "0"}"#)
            .header("idempotency-key", "k-2"),
    )
    .await;
    assert_eq!(s, 400);
    let (s, h, _) = send(
        app.post(r#"{"name": "a", "quantity": "0"}"#)
            .header("idempotency-key", "k-2"),
    )
    .await;
    assert_eq!(
        (s, h["idempotent-replayed"].to_str().unwrap()),
        (400, "true")
    );
    let boom = r#"{"name": "explode", "quantity": 1}"#;
    let (s, _, _) = send(app.post(boom).header("idempotency-key", "k-3")).await;
    assert_eq!(s, 500);
    let (s, h, _) = send(app.post(boom).header("idempotency-key", "k-3")).await;
    assert_eq!(s, 500);
    assert!(h.get("idempotent-replayed").is_none());

    let (s, _, b) = send(app.post(body).header("idempotency-key", "")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "VALIDATION_ERROR")
    );
    let (s, _, _) = send(app.post(body).header("idempotency-key", "x".repeat(256))).await;
    assert_eq!(s, 400);

    // Unauthenticated requests are answered by the auth check, never replayed.
    let (s, _, _) = send(
        app.http
            .post(format!("{}/v1/things", app.url))
            .header("idempotency-key", "k-1")
            .body(body),
    )
    .await;
    assert_eq!(s, 401);

    // Expired keys are purged after 24 hours.
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k-1'",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        platform::idempotency::purge_expired(&pool).await.unwrap(),
        2
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn concurrent_requests_with_one_key_run_once(pool: PgPool) {
    let app = app(pool, "30").await;
    let body = r#"{"name": "a", "quantity": "1"}"#;
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(app.post(body).header("idempotency-key", "same").send()))
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().unwrap().status().as_u16());
    }
    // Each is either the one that ran, its replay, or told the first is still in progress.
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
    assert_eq!(app.created.load(Ordering::SeqCst), 1, "{statuses:?}");
}

type Seen = Arc<std::sync::Mutex<Vec<HeaderMap>>>;

/// A downstream service that answers 503 `failures` times before answering 200, recording
/// the headers it saw.
async fn flaky(failures: usize) -> (String, Arc<AtomicUsize>, Seen) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen: Seen = Arc::default();
    let (c, s) = (calls.clone(), seen.clone());
    let handler = move |headers: HeaderMap| {
        let (c, s) = (c.clone(), s.clone());
        async move {
            s.lock().unwrap().push(headers);
            if c.fetch_add(1, Ordering::SeqCst) < failures {
                (StatusCode::SERVICE_UNAVAILABLE, "busy")
            } else {
                (StatusCode::OK, r#"{"ok": true}"#)
            }
        }
    };
    let router = Router::new().route("/v1/x", get(handler.clone()).post(handler));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await });
    (url, calls, seen)
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn service_calls_carry_identity_and_retry(pool: PgPool) {
    platform::install_crypto_provider();
    let p = Platform::with_pool(config(&[]), pool, &MIGRATOR).unwrap();

    let (url, calls, seen) = flaky(2).await;
    let client = p.client("bd", &url).unwrap().with_retry(fast_retry());
    let id = RequestId::parse("trace-abc").unwrap();
    let got: Value = platform::request_id::scope(id, client.get("acme", "/v1/x"))
        .await
        .unwrap();
    assert_eq!(got["ok"], true);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let headers = seen.lock().unwrap().last().unwrap().clone();
    assert_eq!(headers["x-request-id"], "trace-abc");
    assert_eq!(headers["x-iam-org"], "acme");
    let bearer = headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    // The token is the service's own, and the IAM it came from validates it.
    let mut h = HeaderMap::new();
    h.insert("authorization", format!("Bearer {bearer}").parse().unwrap());
    h.insert("x-iam-org", "acme".parse().unwrap());
    let caller = p.auth.authenticate(&h).await.unwrap();
    assert!(caller.is_service());
    assert_eq!(caller.subject, "ats");

    // Always failing: gives up after the attempts, as 502 to our caller.
    let (url, calls, _) = flaky(100).await;
    let client = p.client("ta", &url).unwrap().with_retry(fast_retry());
    let err = client.get::<Value>("acme", "/v1/x").await.unwrap_err();
    assert!(matches!(err, CallFailure::Unavailable { .. }), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(ApiError::from(err).status(), StatusCode::BAD_GATEWAY);

    // A POST without an idempotency key is never retried; with one it is.
    let (url, calls, _) = flaky(1).await;
    let client = p.client("ta", &url).unwrap().with_retry(fast_retry());
    assert!(
        client
            .post::<_, Value>("acme", "/v1/x", &json!({}), None)
            .await
            .is_err()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let (url, calls, seen) = flaky(1).await;
    let client = p.client("ta", &url).unwrap().with_retry(fast_retry());
    client
        .post::<_, Value>("acme", "/v1/x", &json!({}), Some("idem-1"))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(seen.lock().unwrap()[1]["idempotency-key"], "idem-1");

    // Nothing listening.
    let client = p
        .client("bd", "http://127.0.0.1:9")
        .unwrap()
        .with_retry(fast_retry());
    assert!(matches!(
        client.get::<Value>("acme", "/v1/x").await.unwrap_err(),
        CallFailure::Unavailable { .. }
    ));
}
