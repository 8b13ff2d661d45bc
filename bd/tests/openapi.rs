//! The OpenAPI document describes every operation.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use testkit::send;

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn every_operation_is_documented(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (s, doc) = send(app.get("/openapi.json")).await;
    assert_eq!(s, 200);
    if let Ok(path) = std::env::var("BD_OPENAPI_DUMP") {
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/v1/investors",
        "/v1/investors/{id}",
        "/v1/investors/{id}/kyc",
        "/v1/investors/{id}/kyc/decision",
        "/v1/investors/{id}/accreditation/{check_id}/decision",
        "/v1/investors/{id}/checks",
        "/v1/kyc/webhooks/{provider}",
        "/v1/investors/{id}/accreditation",
        "/v1/investors/{id}/compliance",
        "/v1/compliance/pre-trade",
        "/v1/compliance/post-trade",
        "/v1/compliance/settlement",
        "/v1/compliance/checks/{id}",
        "/v1/events",
        "/v1/events/batch",
        "/v1/surveillance/alerts",
        "/v1/surveillance/alerts/{id}",
        "/v1/surveillance/alerts/{id}/review",
        "/v1/surveillance/alerts/{id}/close",
        "/v1/reporting/cat",
        "/v1/reporting/oats",
        "/v1/reporting/securities",
        "/v1/reporting/securities/{asset_id}",
        "/v1/investors/{id}/kyc/link",
    ] {
        assert!(paths.contains_key(expected), "{expected} missing");
    }
    for (path, item) in paths {
        if !path.starts_with("/v1/") || path == "/v1/whoami" {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}: no description"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{name}: no success response"
            );
            assert!(
                responses.keys().any(|k| k.starts_with('4')),
                "{name}: no error response"
            );
            if matches!(method.as_str(), "post" | "put" | "patch")
                && path != "/v1/investors/{id}/kyc"
            {
                assert!(op.get("requestBody").is_some(), "{name}: no request body");
            }
        }
    }
    assert!(paths["/v1/investors/{id}"].get("patch").is_some());
    let decision = paths["/v1/investors/{id}/kyc/decision"]["post"]["description"]
        .as_str()
        .unwrap();
    assert!(decision.contains("list version") && decision.contains("licence"));
    let oats = &paths["/v1/reporting/oats"]["get"]["description"];
    assert!(oats.as_str().unwrap().contains("retired on 2021-09-01"));
}
