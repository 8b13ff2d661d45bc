//! `GET /openapi.json` documents every operation with its responses.

#![allow(clippy::unwrap_used)]

mod common;

use common::app;
use testkit::send;

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn every_operation_is_documented(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (s, doc) = send(app.server.get("/openapi.json")).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("post", "/v1/securities"),
        ("get", "/v1/securities"),
        ("get", "/v1/securities/{id}"),
        ("get", "/v1/securities/{id}/ocf"),
        ("post", "/v1/transfers"),
        ("get", "/v1/transfers"),
        ("get", "/v1/transfers/{id}"),
        ("post", "/v1/transfers/{id}/rofr"),
        ("get", "/v1/holdings"),
        ("get", "/v1/holdings/{investor_id}"),
        ("post", "/v1/dividends"),
        ("get", "/v1/dividends"),
        ("get", "/v1/dividends/{id}"),
        ("post", "/v1/corporate-actions"),
        ("get", "/v1/corporate-actions"),
        ("get", "/v1/corporate-actions/{id}"),
        ("get", "/v1/shareholders/{asset_id}"),
        ("get", "/v1/statements/{investor_id}"),
    ];
    for (method, path) in expected {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("401"), "{method} {path}: no 401");
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {path}: no success response"
        );
        if method == "post" {
            assert!(op["requestBody"].is_object(), "{method} {path}: no body");
            assert!(responses.contains_key("400"), "{method} {path}: no 400");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "SecurityView",
        "TransferView",
        "HoldingView",
        "DividendView",
        "CorporateActionView",
        "CorporateActionRequest",
        "Statement",
        "RegistryView",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
}
