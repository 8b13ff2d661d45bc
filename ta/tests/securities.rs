//! `POST/GET /v1/securities`, `GET /v1/securities/{id}`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, app, globex, token};
use serde_json::json;
use testkit::{assert_error, send};

fn body(symbol: &str, regulation: &str, reporting: bool) -> serde_json::Value {
    json!({"symbol": symbol, "name": "Acme Common", "issuer": "Acme Inc.",
           "security_class": "common", "regulation": regulation, "reporting_issuer": reporting})
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn registers_reads_and_lists(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (s, sec) = app
        .post(
            "/v1/securities",
            &admin(),
            json!({"symbol": "acme", "name": "Acme Common", "issuer": "Acme Inc.",
                   "security_class": "common", "regulation": "reg_d_506b",
                   "reporting_issuer": false, "lockup_until": "2026-06-30", "rofr_days": 30}),
        )
        .await;
    assert_eq!(s, 201, "{sec}");
    let id = sec["id"].as_str().unwrap();
    assert!(id.starts_with("ast_") && id.len() == 36, "{id}");
    assert_eq!(sec["symbol"], "ACME");
    assert_eq!(sec["rule144_holding_months"], 12);
    assert_eq!(sec["holding_period_rule"], "rule144");
    assert_eq!(sec["lockup_until"], "2026-06-30");
    assert_eq!(sec["rofr_days"], 30);
    assert_eq!(sec["status"], "active");
    assert_eq!(sec["totals"]["outstanding"], "0");

    // The holding period each regulation gets by default.
    for (symbol, regulation, reporting, months, rule) in [
        ("R6", "reg_d_506c", true, 6, json!("rule144")),
        ("CF", "reg_cf", true, 12, json!("reg_cf501")),
        ("RA", "reg_a_tier2", false, 0, json!(null)),
        ("REG", "registered", false, 0, json!(null)),
    ] {
        let (s, sec) = app
            .post(
                "/v1/securities",
                &admin(),
                body(symbol, regulation, reporting),
            )
            .await;
        assert_eq!(s, 201, "{sec}");
        assert_eq!(sec["rule144_holding_months"], months, "{symbol}");
        assert_eq!(sec["holding_period_rule"], rule, "{symbol}");
    }
    let mut over = body("OVR", "reg_d_506b", false);
    over["rule144_holding_months"] = json!(3);
    let (s, sec) = app.post("/v1/securities", &admin(), over).await;
    assert_eq!(s, 201);
    assert_eq!(sec["rule144_holding_months"], 3);

    // Any role reads; the list pages.
    let (s, got) = app
        .get(&format!("/v1/securities/{id}"), &token("acme/vic"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(got["id"], id);
    let (s, page) = app
        .get("/v1/securities?limit=2", &token("acme/alice"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (s, page2) = app
        .get(
            &format!("/v1/securities?limit=500&cursor={cursor}"),
            &admin(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(page2["data"].as_array().unwrap().len(), 4);
    assert!(page2["next_cursor"].is_null());
    let (_, one) = app.get("/v1/securities?symbol=acme", &admin()).await;
    assert_eq!(one["data"].as_array().unwrap().len(), 1);
    let (_, cf) = app.get("/v1/securities?regulation=reg_cf", &admin()).await;
    assert_eq!(cf["data"][0]["symbol"], "CF");
    let got = app.get("/v1/securities?cursor=!!", &admin()).await;
    assert_error(&got, 400, "VALIDATION_ERROR");
    let got = app.get("/v1/securities?limit=501", &admin()).await;
    assert_error(&got, 400, "VALIDATION_ERROR");

    // Symbols are unique per organization, not across them.
    let got = app
        .post(
            "/v1/securities",
            &admin(),
            body("Acme", "registered", false),
        )
        .await;
    let details = assert_error(&got, 409, "CONFLICT");
    assert_eq!(details["symbol"], "ACME");
    let (s, _) = app
        .post(
            "/v1/securities",
            &globex(),
            body("ACME", "registered", false),
        )
        .await;
    assert_eq!(s, 201);

    // Another organization's id, an unknown one and a malformed one are all 404.
    assert_error(
        &app.get(&format!("/v1/securities/{id}"), &globex()).await,
        404,
        "NOT_FOUND",
    );
    let unknown = platform::ids::AssetId::new();
    assert_error(
        &app.get(&format!("/v1/securities/{unknown}"), &admin())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/securities/ast_nope", &admin()).await,
        404,
        "NOT_FOUND",
    );
    let (_, theirs) = app.get("/v1/securities", &globex()).await;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn refuses_bad_input(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let got = app
        .raw_post("/v1/securities", &admin(), "{\"symbol\": ")
        .await;
    assert_error(&got, 400, "MALFORMED_JSON");
    let got = app.raw_post("/v1/securities", &admin(), "").await;
    assert_error(&got, 400, "MALFORMED_JSON");
    let mut missing = body("X", "registered", false);
    missing.as_object_mut().unwrap().remove("regulation");
    let d = assert_error(
        &app.post("/v1/securities", &admin(), missing).await,
        400,
        "VALIDATION_ERROR",
    );
    assert!(d["fields"].get("regulation").is_some(), "{d}");
    let cases = [
        ("regulation", json!("reg_s")),
        ("security_class", json!("warrant")),
        ("reporting_issuer", json!("yes")),
        ("symbol", json!("bad symbol!")),
        ("symbol", json!("")),
        ("symbol", json!("ABCDEFGHIJKLMNOPQ")),
        ("name", json!(" ")),
        ("issuer", json!("x".repeat(201))),
        ("lockup_until", json!("2026-02-30")),
        ("lockup_until", json!("30/06/2026")),
        ("rofr_days", json!(0)),
        ("rofr_days", json!(-1)),
        ("rofr_days", json!(366)),
        ("rule144_holding_months", json!(121)),
        ("rule144_holding_months", json!(-6)),
        ("issuer_country", json!("USA")),
    ];
    for (field, value) in cases {
        let mut b = body("X", "reg_d_506b", false);
        b[field] = value.clone();
        let d = assert_error(
            &app.post("/v1/securities", &admin(), b).await,
            400,
            "VALIDATION_ERROR",
        );
        assert!(d["fields"].get(field).is_some(), "{field}={value}: {d}");
    }
    let mut registered = body("X", "registered", false);
    registered["rule144_holding_months"] = json!(12);
    let d = assert_error(
        &app.post("/v1/securities", &admin(), registered).await,
        400,
        "VALIDATION_ERROR",
    );
    assert!(d["fields"].get("rule144_holding_months").is_some(), "{d}");
    // Nothing was written.
    let (_, list) = app.get("/v1/securities", &admin()).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn only_admins_register(pool: sqlx::PgPool) {
    let app = app(pool).await;
    for user in ["acme/alice", "acme/carla", "acme/vic"] {
        let got = app
            .post(
                "/v1/securities",
                &token(user),
                body("X", "registered", false),
            )
            .await;
        assert_error(&got, 403, "FORBIDDEN");
    }
    let got = app
        .post_as_service("/v1/securities", "acme", body("X", "registered", false))
        .await;
    assert_error(&got, 403, "FORBIDDEN");
    let got = send(
        app.server
            .post("/v1/securities")
            .json(&body("X", "registered", false)),
    )
    .await;
    assert_error(&got, 401, "UNAUTHENTICATED");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn idempotent_replay(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let post = |b: serde_json::Value| {
        app.server
            .post("/v1/securities")
            .bearer_auth(admin())
            .header("idempotency-key", "sec-1")
            .json(&b)
    };
    let (s1, first) = send(post(body("IDEM", "registered", false))).await;
    assert_eq!(s1, 201);
    let res = post(body("IDEM", "registered", false))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let second: serde_json::Value = res.json().await.unwrap();
    assert_eq!(first, second);
    let got = send(post(body("OTHER", "registered", false))).await;
    assert_error(&got, 409, "IDEMPOTENCY_KEY_REUSED");
    let (_, list) = app.get("/v1/securities", &admin()).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}
