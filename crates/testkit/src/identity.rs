//! The identity and tenant rules of API.md, checked against a running service. Every service's
//! integration tests call `identity_tests!` with one of its list endpoints.

use serde_json::Value;

use crate::{TestServer, assert_error, iam, send};

/// Generates one `#[sqlx::test]` per rule. `$app` is an async fn taking the test's pool and
/// returning a `TestServer`; `$list` a list endpoint any authenticated caller may read.
#[macro_export]
macro_rules! identity_tests {
    ($migrator:literal, $app:path, $list:literal) => {
        mod identity {
            use super::*;

            #[sqlx::test(migrator = $migrator)]
            async fn no_token_is_401(pool: sqlx::PgPool) {
                $crate::identity::no_token(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn forged_tokens_are_401(pool: sqlx::PgPool) {
                $crate::identity::forged(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn valid_user_token_is_200(pool: sqlx::PgPool) {
                $crate::identity::valid_user(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn user_with_another_org_header_is_403(pool: sqlx::PgPool) {
                $crate::identity::other_org_header(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn service_token_acts_for_x_iam_org(pool: sqlx::PgPool) {
                $crate::identity::service_acts_for_org(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn service_token_without_x_iam_org_is_403(pool: sqlx::PgPool) {
                $crate::identity::service_without_org(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn client_token_without_internal_scope_is_403(pool: sqlx::PgPool) {
                $crate::identity::client_without_internal_scope(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn gateway_headers_are_not_trusted_by_default(pool: sqlx::PgPool) {
                $crate::identity::gateway_untrusted(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn request_id_is_echoed_or_generated(pool: sqlx::PgPool) {
                $crate::identity::request_id(&$app(pool).await, $list).await;
            }

            #[sqlx::test(migrator = $migrator)]
            async fn operational_endpoints_answer(pool: sqlx::PgPool) {
                $crate::identity::operational(&$app(pool).await).await;
            }
        }
    };
}

pub async fn no_token(app: &TestServer, list: &str) {
    let got = send(app.get(list)).await;
    assert_error(&got, 401, "UNAUTHENTICATED");
    let got = send(
        app.get(list)
            .header("authorization", "Basic YWxpY2U6ZGV2cGFzcw=="),
    )
    .await;
    assert_error(&got, 401, "UNAUTHENTICATED");
}

pub async fn forged(app: &TestServer, list: &str) {
    for (name, token) in crate::forge::all(iam(), "acme/alice") {
        let res = app.get(list).bearer_auth(&token).send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{name}: {body}");
    }
}

pub async fn valid_user(app: &TestServer, list: &str) {
    let token = iam().user_token("acme/vic");
    let (status, body) = send(app.get(list).bearer_auth(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].is_array(), "{body}");
    assert!(body.get("next_cursor").is_some(), "{body}");
    // The same organization named explicitly is fine.
    let (status, _) = send(
        app.get(list)
            .bearer_auth(&token)
            .header("x-iam-org", "acme"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, me) = send(app.get("/v1/whoami").bearer_auth(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["org_id"], "acme");
    assert_eq!(me["kind"], "user");
    assert_eq!(me["roles"], serde_json::json!(["viewer"]));
}

pub async fn other_org_header(app: &TestServer, list: &str) {
    let token = iam().user_token("acme/admin");
    let got = send(
        app.get(list)
            .bearer_auth(&token)
            .header("x-iam-org", "globex"),
    )
    .await;
    assert_error(&got, 403, "FORBIDDEN");
}

pub async fn service_acts_for_org(app: &TestServer, list: &str) {
    let token = iam().service_token("ats");
    for org in ["acme", "globex"] {
        let (status, body) = send(app.get(list).bearer_auth(&token).header("x-iam-org", org)).await;
        assert_eq!(status, 200, "{body}");
        let (_, me) = send(
            app.get("/v1/whoami")
                .bearer_auth(&token)
                .header("x-iam-org", org),
        )
        .await;
        assert_eq!(me["org_id"], org);
        assert_eq!(me["kind"], "service");
    }
}

/// Without X-IAM-Org a service token acts for nobody: 403 `FORBIDDEN`, "missing organization"
/// (API.md, tenant rules).
pub async fn service_without_org(app: &TestServer, list: &str) {
    let token = iam().service_token("ats");
    for path in [list, "/v1/whoami"] {
        let got = send(app.get(path).bearer_auth(&token)).await;
        assert_error(&got, 403, "FORBIDDEN");
        assert_eq!(got.1["error"]["message"], "missing organization", "{path}");
    }
}

/// A client-credentials token that did not ask for scope `internal` (the dev IAM, like
/// Casdoor, then grants none) is not a service token: 403 `FORBIDDEN` with or without
/// X-IAM-Org.
pub async fn client_without_internal_scope(app: &TestServer, list: &str) {
    let token = iam()
        .iam
        .client_token("ats", "")
        .expect("a token without scope")
        .access_token;
    for org in [Some("acme"), None] {
        let mut req = app.get(list).bearer_auth(&token);
        if let Some(org) = org {
            req = req.header("x-iam-org", org);
        }
        let got = send(req).await;
        assert_error(&got, 403, "FORBIDDEN");
        assert_ne!(got.1["error"]["message"], "missing organization", "{org:?}");
    }
}

pub async fn gateway_untrusted(app: &TestServer, list: &str) {
    let got = send(
        app.get(list)
            .header("x-iam-org", "acme")
            .header("x-iam-user", "mallory")
            .header("x-iam-roles", "admin"),
    )
    .await;
    assert_error(&got, 401, "UNAUTHENTICATED");
}

pub async fn request_id(app: &TestServer, list: &str) {
    let token = iam().user_token("acme/alice");
    let res = app
        .get(list)
        .bearer_auth(&token)
        .header("x-request-id", "test-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "test-req-42");
    // Generated when missing (and on errors too).
    let res = app.get(list).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(generated.len() >= 16, "{generated}");
    // An unsafe id is replaced, not echoed.
    let res = app
        .get(list)
        .header("x-request-id", "bad id\twith tabs")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id\twith tabs");
}

pub async fn operational(app: &TestServer) {
    let (s, body) = send(app.get("/healthz")).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = send(app.get("/readyz")).await;
    assert_eq!(s, 200, "{body}");
    let (s, doc) = send(app.get("/openapi.json")).await;
    assert_eq!(s, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"].as_object().unwrap().len() >= 3);
    let metrics = app.get("/metrics").send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    let got = send(app.get("/no/such/route")).await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = send(app.request(reqwest::Method::PATCH, "/healthz")).await;
    assert_error(&got, 405, "METHOD_NOT_ALLOWED");
}
