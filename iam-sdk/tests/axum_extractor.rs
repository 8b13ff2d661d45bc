//! `Caller` as an axum extractor and `AuthError` as a response (feature `axum`).
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use common::*;
use http_body_util::BodyExt;
use iam_sdk::{AuthError, Authenticator, Caller};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Clone)]
struct AppState {
    auth: Authenticator,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

async fn whoami(caller: Caller) -> String {
    format!("{} {}", caller.org_id, caller.subject)
}

async fn trade(caller: Caller) -> Result<&'static str, AuthError> {
    caller.require_any_role(&["trader"])?;
    Ok("traded")
}

fn app() -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/trade", get(trade))
        .with_state(AppState {
            auth: authenticator(CountingSource::issuer()),
        })
}

async fn call(uri: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::builder().uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn missing_token_is_a_401_envelope_with_www_authenticate() {
    let (status, headers, body) = call("/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(
        json_body(&body),
        json!({"error": {"code": "UNAUTHENTICATED", "message": "missing bearer token", "details": {}}})
    );
}

#[tokio::test]
async fn a_forged_token_is_a_generic_401() {
    let token = sign_with(
        ATTACKER_PRIVATE,
        &rs256_header(KID),
        &user_claims("acme", "alice", json!(["trader"])),
    );
    let (status, headers, body) = call("/whoami", &[("authorization", &bearer(&token))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_eq!(json_body(&body)["error"]["message"], "invalid token");
    assert!(!String::from_utf8(body).unwrap().contains(&token));
}

#[tokio::test]
async fn org_mismatch_is_a_403_envelope() {
    let token = sign(&user_claims("acme", "alice", json!(["trader"])));
    let (status, headers, body) = call(
        "/whoami",
        &[("authorization", &bearer(&token)), ("x-iam-org", "globex")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.get(header::WWW_AUTHENTICATE).is_none());
    let body = json_body(&body);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(body["error"]["details"], json!({}));
}

#[tokio::test]
async fn service_without_org_is_a_403_missing_organization_envelope() {
    let token = sign(&service_claims("ats", "internal"));
    let (status, headers, body) = call("/whoami", &[("authorization", &bearer(&token))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let body = json_body(&body);
    assert_eq!(
        body,
        json!({"error": {"code": "FORBIDDEN", "message": "missing organization", "details": {}}})
    );
}

#[tokio::test]
async fn service_without_internal_scope_is_a_403_envelope() {
    let token = sign(&service_claims("ats", ""));
    let (status, _, body) = call(
        "/whoami",
        &[("authorization", &bearer(&token)), ("x-iam-org", "acme")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = json_body(&body);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn wrong_role_is_a_403_envelope() {
    let token = sign(&user_claims("acme", "vic", json!(["viewer"])));
    let (status, _, body) = call("/trade", &[("authorization", &bearer(&token))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = json_body(&body);
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(
        body["error"]["details"]["required_roles"],
        json!(["trader"])
    );
}

#[tokio::test]
async fn iam_down_is_a_503_envelope() {
    let source = CountingSource::issuer();
    source.set_failing(true);
    let app = Router::new()
        .route("/whoami", get(whoami))
        .with_state(AppState {
            auth: authenticator(source),
        });
    let token = sign(&user_claims("acme", "alice", json!(["trader"])));
    let response = app
        .oneshot(
            Request::builder()
                .uri("/whoami")
                .header("authorization", bearer(&token))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(json_body(&body)["error"]["code"], "NOT_READY");
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler() {
    let token = sign(&user_claims(
        "acme",
        "alice",
        json!([{"owner": "acme", "name": "trader"}]),
    ));
    let (status, _, body) = call(
        "/whoami",
        &[("authorization", &bearer(&token)), ("x-iam-org", "acme")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"acme id-acme-alice");
    let (status, _, body) = call("/trade", &[("authorization", &bearer(&token))]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"traded");
}
