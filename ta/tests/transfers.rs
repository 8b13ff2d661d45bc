//! `POST/GET /v1/transfers`, `GET /v1/transfers/{id}`: recording, refusals, settlement and
//! idempotent replays, roles, tenancy, and concurrent over-selling.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, app, globex, investor, token};
use serde_json::{Value, json};
use testkit::{assert_error, send};

fn transfer_body(asset: &str, from: &str, to: &str, quantity: Value) -> Value {
    json!({"asset_id": asset, "from_investor_id": from, "to_investor_id": to,
           "quantity": quantity, "price_per_share": "12.50"})
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn records_a_transfer_fifo(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("REG", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "60", "1.00", Some("2025-01-10"))
        .await;
    app.issue(&asset, &a, "40", "2.00", None).await;
    // As the ATS would: a service token acting for acme.
    let (s, t) = app
        .post_as_service(
            "/v1/transfers",
            "acme",
            transfer_body(&asset, &a, &b, json!(70)),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["status"], "recorded");
    assert_eq!(t["quantity"], "70");
    assert_eq!(t["recorded_on"], "2026-03-02");
    assert!(t["id"].as_str().unwrap().starts_with("trf_"));
    assert!(t["reason"].is_null());

    // FIFO: the 60 of 2025 went first, then 10 of today's lot.
    let (s, h) = app
        .get(&format!("/v1/holdings/{a}"), &token("acme/vic"))
        .await;
    assert_eq!(s, 200, "{h}");
    let holding = &h["holdings"][0];
    assert_eq!(holding["quantity"], "30");
    assert_eq!(holding["cost_basis"], "60.00");
    assert_eq!(holding["lots"].as_array().unwrap().len(), 1);
    assert_eq!(holding["lots"][0]["cost_per_share"], "2");
    let (_, h) = app.get(&format!("/v1/holdings/{b}"), &admin()).await;
    assert_eq!(h["holdings"][0]["quantity"], "70");
    assert_eq!(h["holdings"][0]["cost_basis"], "875.00");
    assert_eq!(h["holdings"][0]["lots"][0]["acquired_at"], "2026-03-02");
    assert_eq!(app.outstanding(&asset).await, "100");

    let id = t["id"].as_str().unwrap();
    let (s, got) = app
        .get(&format!("/v1/transfers/{id}"), &token("acme/alice"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(got["status"], "recorded");
    assert_error(
        &app.get(&format!("/v1/transfers/{id}"), &globex()).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/transfers/trf_123", &admin()).await,
        404,
        "NOT_FOUND",
    );
    let unknown = platform::ids::TransferId::new();
    assert_error(
        &app.get(&format!("/v1/transfers/{unknown}"), &admin()).await,
        404,
        "NOT_FOUND",
    );

    // Lists and their filters.
    let (s, l) = app
        .get(&format!("/v1/transfers?investor_id={b}"), &admin())
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["data"].as_array().unwrap().len(), 1);
    let (_, l) = app.get("/v1/transfers?status=rejected", &admin()).await;
    assert_eq!(l["data"].as_array().unwrap().len(), 0);
    let (_, l) = app
        .get(
            &format!("/v1/transfers?asset_id={asset}&status=recorded"),
            &admin(),
        )
        .await;
    assert_eq!(l["data"].as_array().unwrap().len(), 1);
    let (_, l) = app.get("/v1/transfers", &globex()).await;
    assert_eq!(l["data"].as_array().unwrap().len(), 0);
    assert_error(
        &app.get("/v1/transfers?status=done", &admin()).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        &app.get("/v1/transfers?asset_id=x", &admin()).await,
        400,
        "VALIDATION_ERROR",
    );

    // Holdings list: the identity suite's list endpoint, with filters and pages.
    let (s, page) = app.get("/v1/holdings?limit=1", &admin()).await;
    assert_eq!(s, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = app
        .get(&format!("/v1/holdings?cursor={cursor}"), &admin())
        .await;
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert!(page2["next_cursor"].is_null());
    assert_ne!(
        page["data"][0]["investor_id"],
        page2["data"][0]["investor_id"]
    );
    let (_, f) = app
        .get(&format!("/v1/holdings?investor_id={a}"), &admin())
        .await;
    assert_eq!(f["data"][0]["quantity"], "30");
    let (_, g) = app.get("/v1/holdings", &globex()).await;
    assert_eq!(g["data"].as_array().unwrap().len(), 0);
    assert_error(
        &app.get(&format!("/v1/holdings/{a}"), &globex()).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get(&format!("/v1/holdings/{}", investor()), &admin())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/holdings/inv_bad", &admin()).await,
        404,
        "NOT_FOUND",
    );
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn restrictions_and_holdings_refuse_and_keep_the_rejection(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("RD", "reg_d_506b", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "50", "1.00", Some("2025-01-10"))
        .await;
    app.issue(&asset, &a, "50", "1.00", Some("2025-12-01"))
        .await;

    // Holdings tell what may move today: the December lot is restricted until 2026-12-01.
    let (_, h) = app.get(&format!("/v1/holdings/{a}"), &admin()).await;
    let holding = &h["holdings"][0];
    assert_eq!(holding["quantity"], "100");
    assert_eq!(holding["transferable_quantity"], "50");
    assert_eq!(holding["restricted_quantity"], "50");
    assert_eq!(holding["lots"][1]["restricted_until"], "2026-12-01");
    assert!(holding["lots"][0]["restricted_until"].is_null());

    // Rule 144: the transfer would need the restricted lot.
    let got = app.transfer(&asset, &a, &b, "60", "5").await;
    let d = assert_error(&got, 422, "RESTRICTION_VIOLATED");
    assert_eq!(d["rule"], "rule144_holding_period");
    assert_eq!(d["free_on"], "2026-12-01");
    let lot = d["lot_id"].as_str().unwrap().to_owned();
    let id = d["transfer_id"].as_str().unwrap();
    let (s, t) = app.get(&format!("/v1/transfers/{id}"), &admin()).await;
    assert_eq!(s, 200);
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["reason"]["code"], "RESTRICTION_VIOLATED");
    assert_eq!(t["reason"]["lot_id"], lot);
    assert!(t["recorded_on"].is_null());
    assert_eq!(app.held(&a, &asset).await, "100");
    assert_eq!(app.held(&b, &asset).await, "0");

    // Insufficient holdings.
    let got = app.transfer(&asset, &a, &b, "101", "5").await;
    let d = assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(d["rule"], "insufficient_holdings");
    assert_eq!(d["held"], "100");
    let id = d["transfer_id"].as_str().unwrap();
    let (_, t) = app.get(&format!("/v1/transfers/{id}"), &admin()).await;
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["reason"]["code"], "INSUFFICIENT_HOLDINGS");
    let (_, l) = app.get("/v1/transfers?status=rejected", &admin()).await;
    assert_eq!(l["data"].as_array().unwrap().len(), 2);
    // The free lot may move.
    let (s, t) = app.transfer(&asset, &a, &b, "50", "5").await;
    assert_eq!(s, 201, "{t}");

    // A lock-up blocks everything through its last day.
    let locked = app
        .security("LK", "registered", json!({"lockup_until": "2026-03-31"}))
        .await;
    app.issue(&locked, &a, "10", "1", None).await;
    let (_, h) = app
        .get(&format!("/v1/holdings/{a}?asset_id={locked}"), &admin())
        .await;
    assert_eq!(h["holdings"][0]["locked_up"], true);
    assert_eq!(h["holdings"][0]["transferable_quantity"], "0");
    let d = assert_error(
        &app.transfer(&locked, &a, &b, "1", "1").await,
        422,
        "RESTRICTION_VIOLATED",
    );
    assert_eq!(d["rule"], "lockup");
    assert_eq!(d["until"], "2026-03-31");
    app.clock.set_date(time::macros::date!(2026 - 04 - 01));
    let (s, _) = app.transfer(&locked, &a, &b, "1", "1").await;
    assert_eq!(s, 201);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn refuses_bad_input_without_storing_it(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("REG", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "10", "1", None).await;
    assert_error(
        &app.raw_post("/v1/transfers", &admin(), "{not json").await,
        400,
        "MALFORMED_JSON",
    );
    let cases: Vec<(&str, Value)> = vec![
        ("quantity", json!(0)),
        ("quantity", json!("-5")),
        ("quantity", json!("1.5")),
        ("quantity", json!("abc")),
        ("quantity", json!("10000000000000000")),
        ("quantity", json!(1e300)),
        ("price_per_share", json!("-1")),
        ("price_per_share", json!("1000000001")),
        ("from_investor_id", json!("inv_123")),
        (
            "to_investor_id",
            json!("INV_0123456789abcdef0123456789abcdef"),
        ),
        ("asset_id", json!("ast_x")),
        ("settlement_id", json!("settlement-1")),
        ("to_investor_id", json!(a.clone())),
    ];
    for (field, value) in cases {
        let mut body = transfer_body(&asset, &a, &b, json!("1"));
        body[field] = value.clone();
        let d = assert_error(
            &app.post("/v1/transfers", &admin(), body).await,
            400,
            "VALIDATION_ERROR",
        );
        // (A JSON number too large for a decimal is named `quantity.$serde_json::private::Number`
        // by the platform's extractor: the field is still first.)
        assert!(
            d["fields"]
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.starts_with(field)),
            "{field}={value}: {d}"
        );
    }
    let mut missing = transfer_body(&asset, &a, &b, json!("1"));
    missing.as_object_mut().unwrap().remove("price_per_share");
    let d = assert_error(
        &app.post("/v1/transfers", &admin(), missing).await,
        400,
        "VALIDATION_ERROR",
    );
    assert!(d["fields"].get("price_per_share").is_some(), "{d}");
    // Unknown security, and another organization's: 404, nothing stored.
    let unknown = platform::ids::AssetId::new().to_string();
    assert_error(
        &app.transfer(&unknown, &a, &b, "1", "1").await,
        404,
        "NOT_FOUND",
    );
    let theirs = {
        let (s, sec) = app
            .post(
                "/v1/securities",
                &globex(),
                json!({"symbol": "G", "name": "G", "issuer": "G",
                "security_class": "common", "regulation": "registered", "reporting_issuer": false}),
            )
            .await;
        assert_eq!(s, 201);
        sec["id"].as_str().unwrap().to_owned()
    };
    assert_error(
        &app.transfer(&theirs, &a, &b, "1", "1").await,
        404,
        "NOT_FOUND",
    );
    let (_, l) = app.get("/v1/transfers", &admin()).await;
    assert_eq!(l["data"].as_array().unwrap().len(), 0);
    assert_eq!(app.held(&a, &asset).await, "10");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn roles(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("REG", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "10", "1", None).await;
    for user in ["acme/alice", "acme/carla", "acme/vic"] {
        let got = app
            .post(
                "/v1/transfers",
                &token(user),
                transfer_body(&asset, &a, &b, json!(1)),
            )
            .await;
        assert_error(&got, 403, "FORBIDDEN");
        // The role is judged before the body: no hint of what a valid request looks like.
        let got = app.post("/v1/transfers", &token(user), json!({})).await;
        assert_error(&got, 403, "FORBIDDEN");
    }
    let got = send(
        app.server
            .post("/v1/transfers")
            .json(&transfer_body(&asset, &a, &b, json!(1))),
    )
    .await;
    assert_error(&got, 401, "UNAUTHENTICATED");
    // A service token for another organization does not see acme's security.
    let got = app
        .post_as_service(
            "/v1/transfers",
            "globex",
            transfer_body(&asset, &a, &b, json!(1)),
        )
        .await;
    assert_error(&got, 404, "NOT_FOUND");
    assert_eq!(app.held(&a, &asset).await, "10");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn settlement_and_idempotency_replays(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("REG", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "100", "1", None).await;
    let settlement = format!("stl_{}", uuid::Uuid::now_v7().simple());
    let mut body = transfer_body(&asset, &a, &b, json!("30"));
    body["settlement_id"] = json!(settlement);
    let (s, first) = app
        .post_as_service("/v1/transfers", "acme", body.clone())
        .await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["settlement_id"], settlement.as_str());
    // The same settlement again (a retried step): the same transfer, nothing moves.
    let (s, again) = app
        .post_as_service("/v1/transfers", "acme", body.clone())
        .await;
    assert_eq!(s, 201);
    assert_eq!(again, first);
    assert_eq!(app.held(&a, &asset).await, "70");
    assert_eq!(app.held(&b, &asset).await, "30");
    // Written as a number this time: same terms, same answer.
    let mut numeric = body.clone();
    numeric["quantity"] = json!(30);
    let (s, again) = app.post_as_service("/v1/transfers", "acme", numeric).await;
    assert_eq!((s, &again["id"]), (201, &first["id"]));
    // Other terms under the same settlement: 409.
    let mut other = body.clone();
    other["quantity"] = json!("31");
    let d = assert_error(
        &app.post_as_service("/v1/transfers", "acme", other).await,
        409,
        "CONFLICT",
    );
    assert_eq!(d["transfer_id"], first["id"]);
    // A rejected transfer replays as the same rejection.
    let stl2 = format!("stl_{}", uuid::Uuid::now_v7().simple());
    let mut too_many = transfer_body(&asset, &a, &b, json!("1000"));
    too_many["settlement_id"] = json!(stl2);
    let d1 = assert_error(
        &app.post_as_service("/v1/transfers", "acme", too_many.clone())
            .await,
        422,
        "INSUFFICIENT_HOLDINGS",
    );
    let d2 = assert_error(
        &app.post_as_service("/v1/transfers", "acme", too_many).await,
        422,
        "INSUFFICIENT_HOLDINGS",
    );
    assert_eq!(d1, d2);
    let (_, l) = app.get("/v1/transfers", &admin()).await;
    assert_eq!(l["data"].as_array().unwrap().len(), 2);
    let (_, l) = app
        .get(
            &format!("/v1/transfers?settlement_id={settlement}"),
            &admin(),
        )
        .await;
    assert_eq!(l["data"][0]["id"], first["id"]);

    // Idempotency-Key: the first response is replayed, a different body refused.
    let post = |b: &Value| {
        app.server
            .post("/v1/transfers")
            .bearer_auth(admin())
            .header("idempotency-key", "trf-key")
            .json(b)
    };
    let plain = transfer_body(&asset, &a, &b, json!("5"));
    let (s, t1) = send(post(&plain)).await;
    assert_eq!(s, 201);
    let res = post(&plain).send().await.unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let t2: Value = res.json().await.unwrap();
    assert_eq!(t1, t2);
    assert_eq!(app.held(&a, &asset).await, "65");
    let got = send(post(&transfer_body(&asset, &a, &b, json!("6")))).await;
    assert_error(&got, 409, "IDEMPOTENCY_KEY_REUSED");
}

/// Truly concurrent transfers from one seller that together exceed the holding: exactly the
/// ones that fit succeed, nothing is lost, created or half-written.
#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn concurrent_oversell_is_serialised(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("REG", "registered", json!({})).await;
    let seller = investor();
    app.issue(&asset, &seller, "100", "1", None).await;
    let token = admin();

    // Two at once for 60 each: exactly one fails.
    let send_one = |to: String, q: &'static str| {
        let req = app
            .server
            .post("/v1/transfers")
            .bearer_auth(&token)
            .json(&transfer_body(&asset, &seller, &to, json!(q)));
        tokio::spawn(async move { send(req).await })
    };
    let (x, y) = (investor(), investor());
    let (r1, r2) = tokio::join!(send_one(x.clone(), "60"), send_one(y.clone(), "60"));
    let mut statuses = [r1.unwrap().0, r2.unwrap().0];
    statuses.sort();
    assert_eq!(statuses, [201, 422]);
    assert_eq!(app.held(&seller, &asset).await, "40");

    // Eight at once for 10 each against the 40 left: exactly four succeed.
    let buyers: Vec<String> = (0..8).map(|_| investor()).collect();
    let handles: Vec<_> = buyers.iter().map(|b| send_one(b.clone(), "10")).collect();
    let mut ok = 0;
    for h in handles {
        let (s, body) = h.await.unwrap();
        match s {
            201 => ok += 1,
            422 => assert_eq!(body["error"]["code"], "INSUFFICIENT_HOLDINGS"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(ok, 4);
    assert_eq!(app.held(&seller, &asset).await, "0");
    // Conservation: the lots add up to the security's totals.
    let (_, reg) = app
        .get(&format!("/v1/shareholders/{asset}"), &admin())
        .await;
    assert_eq!(reg["outstanding"], "100");
    assert_eq!(app.outstanding(&asset).await, "100");
    let sum: i64 = reg["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["quantity"].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(sum, 100);
    let (_, rejected) = app.get("/v1/transfers?status=rejected", &admin()).await;
    assert_eq!(rejected["data"].as_array().unwrap().len(), 5);
    let journal: i64 = sqlx::query_scalar("SELECT count(*) FROM journal WHERE kind = 'transfer'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(journal, 5);
}
