//! Placement's checks: the BD's pre-trade decision, the seller's holdings at the TA less open
//! sells, failing closed when either cannot answer, idempotent replays, and the asset's rules.

#![allow(clippy::unwrap_used)]

mod common;

use common::{ats_server, dec, get, limit, post, stack};
use platform::Clock;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_compliance_refusal_is_422_and_the_order_is_kept_rejected(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let unchecked = s.unchecked_investor("acme", "Nora Nokyc").await;

    let got = s
        .order(
            "acme/alice",
            limit(&asset, &unchecked, "buy", "10", "10.00"),
        )
        .await;
    let d = testkit::assert_error(&got, 422, "COMPLIANCE_REJECTED");
    assert_eq!(d["investor_id"], unchecked.as_str());
    assert_eq!(d["check"], "kyc", "the first failing check: {d}");
    let reasons = d["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["code"] == "kyc_missing"), "{d}");
    assert!(d["check_id"].as_str().unwrap().starts_with("chk_"), "{d}");

    let id = d["order_id"].as_str().unwrap();
    let order = s.get_order(id).await;
    assert_eq!(order["status"], "rejected", "{order}");
    assert_eq!(order["reject_reason"], "kyc");
    assert_eq!(order["check_id"], d["check_id"]);
    assert_eq!(dec(&order["remaining_quantity"]), "0");
    assert_eq!(
        s.book(&asset).await["bids"],
        json!([]),
        "nothing reached the book"
    );

    // The BD kept its check, for the order.
    let (st, check) = get(
        &s.bd,
        &format!("/v1/compliance/checks/{}", d["check_id"].as_str().unwrap()),
        "acme/carla",
    )
    .await;
    assert_eq!(st, 200, "{check}");
    assert_eq!(check["order_id"], id);
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_sell_must_be_covered_by_holdings_less_open_sells(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    s.issue("acme", &asset, &seller, "100").await;

    let got = s
        .order("acme/alice", limit(&asset, &seller, "sell", "150", "10.00"))
        .await;
    let d = testkit::assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(dec(&d["available"]), "100", "{d}");
    assert_eq!(dec(&d["requested"]), "150");
    let rejected = s.get_order(d["order_id"].as_str().unwrap()).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reject_reason"], "insufficient_holdings");

    // 80 rest on the book: only 20 are left to sell.
    s.placed(limit(&asset, &seller, "sell", "80", "10.00"))
        .await;
    let got = s
        .order("acme/alice", limit(&asset, &seller, "sell", "30", "11.00"))
        .await;
    let d = testkit::assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(dec(&d["available"]), "20", "{d}");
    assert_eq!(dec(&d["committed_to_open_sells"]), "80", "{d}");
    s.placed(limit(&asset, &seller, "sell", "20", "11.00"))
        .await;

    // All 100 are offered. When 10 of them trade they are no longer offered, but they stay
    // the seller's at the TA until the settlement's transfer: still nothing left to sell.
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.placed(limit(&asset, &buyer, "buy", "10", "10.00")).await;
    let got = s
        .order("acme/alice", limit(&asset, &seller, "sell", "1", "12.00"))
        .await;
    let d = testkit::assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(dec(&d["available"]), "0", "{d}");
    assert_eq!(
        dec(&d["committed_to_open_sells"]),
        "90",
        "70 + 20 left on the book: {d}"
    );
    assert_eq!(dec(&d["sold_unsettled"]), "10", "{d}");

    // An investor the TA has never recorded holds nothing.
    let nobody = s.investor("acme", "Ned Noshares").await;
    let got = s
        .order("acme/alice", limit(&asset, &nobody, "sell", "1", "10.00"))
        .await;
    let d = testkit::assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(dec(&d["available"]), "0");

    let book = s.book(&asset).await;
    let asks: Vec<String> = book["asks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| dec(&l["quantity"]))
        .collect();
    assert_eq!(asks, ["70", "20"]);
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn when_the_bd_cannot_answer_the_order_is_rejected_and_502(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    // A second ATS on the same database whose BD is gone.
    let (dead_bd, _) = ats_server(
        &pool,
        "http://127.0.0.1:9",
        &s.ta.url,
        &[],
        Clock::system(),
        &s.shutdown,
    )
    .await;
    let got = post(
        &dead_bd,
        "/v1/orders",
        "acme/alice",
        limit(&asset, &buyer, "buy", "10", "10.00"),
    )
    .await;
    let d = testkit::assert_error(&got, 502, "DOWNSTREAM_UNAVAILABLE");
    assert_eq!(d["service"], "bd");
    let order = s.get_order(d["order_id"].as_str().unwrap()).await;
    assert_eq!(order["status"], "rejected", "{order}");
    assert_eq!(order["reject_reason"], "compliance_unavailable");
    assert_eq!(
        s.book(&asset).await["bids"],
        json!([]),
        "nothing reached the book"
    );
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn when_the_ta_cannot_answer_a_sell_is_rejected_and_502(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "100").await;
    let (dead_ta, _) = ats_server(
        &pool,
        &s.bd.url,
        "http://127.0.0.1:9",
        &[],
        Clock::system(),
        &s.shutdown,
    )
    .await;
    let got = post(
        &dead_ta,
        "/v1/orders",
        "acme/alice",
        limit(&asset, &seller, "sell", "10", "10.00"),
    )
    .await;
    let d = testkit::assert_error(&got, 502, "DOWNSTREAM_UNAVAILABLE");
    assert_eq!(d["service"], "ta");
    let order = s.get_order(d["order_id"].as_str().unwrap()).await;
    assert_eq!(order["reject_reason"], "holdings_unavailable");
    // A buy needs no holdings: the same ATS takes it.
    let (st, v) = post(
        &dead_ta,
        "/v1/orders",
        "acme/alice",
        limit(&asset, &buyer, "buy", "10", "9.00"),
    )
    .await;
    assert_eq!(st, 201, "{v}");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn an_idempotency_key_replays_the_first_answer(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let body = limit(&asset, &buyer, "buy", "10", "10.00");
    let send = || {
        s.ats
            .post("/v1/orders")
            .bearer_auth(common::token("acme/alice"))
            .header("idempotency-key", "order-1")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1, "one order, whatever the retries");

    // The same key with another body is refused.
    let mut other = body.clone();
    other["quantity"] = json!("11");
    let got = testkit::send(
        s.ats
            .post("/v1/orders")
            .bearer_auth(common::token("acme/alice"))
            .header("idempotency-key", "order-1")
            .json(&other),
    )
    .await;
    testkit::assert_error(&got, 409, "IDEMPOTENCY_KEY_REUSED");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn client_order_ids_are_unique_per_investor(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let other = s.investor("acme", "Olga Other").await;
    let mut body = limit(&asset, &buyer, "buy", "10", "10.00");
    body["client_order_id"] = json!("my-ref-1");
    let first = s.placed(body.clone()).await;
    assert_eq!(first["client_order_id"], "my-ref-1");
    let got = s.order("acme/alice", body.clone()).await;
    testkit::assert_error(&got, 409, "CONFLICT");
    body["investor_id"] = json!(other);
    s.placed(body).await;
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn the_asset_decides_the_grid_and_whether_it_trades(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;

    let got = s
        .order("acme/alice", limit(&asset, &buyer, "buy", "10", "10.005"))
        .await;
    let d = testkit::assert_error(&got, 400, "VALIDATION_ERROR");
    assert!(
        d["fields"]["price"].as_str().unwrap().contains("0.01"),
        "{d}"
    );
    let got = s
        .order("acme/alice", limit(&asset, &buyer, "buy", "1.5", "10.00"))
        .await;
    let d = testkit::assert_error(&got, 400, "VALIDATION_ERROR");
    assert!(d["fields"]["quantity"].is_string(), "{d}");

    // A coarser grid, then trading switched off and on.
    let (st, v) = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": asset, "tick_size": "0.05", "lot_size": "10"}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(dec(&v["tick_size"]), "0.05");
    let got = s
        .order("acme/alice", limit(&asset, &buyer, "buy", "10", "10.01"))
        .await;
    testkit::assert_error(&got, 400, "VALIDATION_ERROR");
    s.placed(limit(&asset, &buyer, "buy", "20", "10.05")).await;
    // Not while an order works on the book.
    let got = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": asset, "tick_size": "0.01"}),
    )
    .await;
    testkit::assert_error(&got, 409, "INVALID_STATE");

    let (st, v) = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": asset, "trading_enabled": false}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["trading_enabled"], false);
    let got = s
        .order("acme/alice", limit(&asset, &buyer, "buy", "10", "10.05"))
        .await;
    testkit::assert_error(&got, 409, "INVALID_STATE");
    let (st, _) = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": asset, "trading_enabled": true}),
    )
    .await;
    assert_eq!(st, 200);
    s.placed(limit(&asset, &buyer, "buy", "10", "10.05")).await;
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn listing_needs_the_security_at_the_ta(pool: PgPool) {
    let s = stack(pool).await;
    let unknown = format!("ast_{}", uuid::Uuid::now_v7().simple());
    let got = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": unknown}),
    )
    .await;
    testkit::assert_error(&got, 404, "NOT_FOUND");
    // Another organization's security is unknown to acme.
    let theirs = s.listed_asset("globex", "reg_d_506b").await;
    let got = post(
        &s.ats,
        "/v1/assets",
        "acme/admin",
        json!({"asset_id": theirs}),
    )
    .await;
    testkit::assert_error(&got, 404, "NOT_FOUND");
    let (st, list) = get(&s.ats, "/v1/assets", "acme/vic").await;
    assert_eq!(st, 200);
    assert_eq!(list["data"], json!([]), "globex's asset is not acme's");
    let (_, list) = get(&s.ats, "/v1/assets", "globex/gus").await;
    let listed = &list["data"][0];
    assert_eq!(listed["id"], theirs.as_str());
    assert_eq!(listed["regulation"], "reg_d_506b");
    assert_eq!(dec(&listed["tick_size"]), "0.01");
    assert_eq!(dec(&listed["lot_size"]), "1");
    assert_eq!(listed["trading_enabled"], true);
    for (field, bad) in [
        ("tick_size", json!("0")),
        ("lot_size", json!("-1")),
        ("tick_size", json!("0.000000001")),
    ] {
        let got = post(
            &s.ats,
            "/v1/assets",
            "globex/admin",
            json!({"asset_id": theirs, field: bad}),
        )
        .await;
        let d = testkit::assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(d["fields"][field].is_string(), "{d}");
    }
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_refusal_names_the_failing_check_and_when_it_expired(pool: PgPool) {
    let s = stack(pool).await;
    // Reg D 506(c): buyers must be verified accredited investors.
    let asset = s.listed_asset("acme", "reg_d_506c").await;
    let now = time::OffsetDateTime::now_utc();
    // Accredited 100 days ago: verifications last 90 days.
    s.bd_clock.set(now - time::Duration::days(100));
    let buyer = s.investor("acme", "Expired Eve").await;
    let documents = (now - time::Duration::days(100)).date().to_string();
    let (st, v) = post(
        &s.bd,
        &format!("/v1/investors/{buyer}/accreditation"),
        "acme/carla",
        json!({"method": "net_worth", "evidence": {"net_worth": "2500000", "documents_dated": documents}}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["status"], "verified", "{v}");
    let expired_at = v["expires_at"].as_str().unwrap().to_owned();
    s.bd_clock.set(now);

    let got = s
        .order("acme/alice", limit(&asset, &buyer, "buy", "10", "10.00"))
        .await;
    let d = testkit::assert_error(&got, 422, "COMPLIANCE_REJECTED");
    assert_eq!(d["check"], "accreditation", "{d}");
    assert_eq!(d["investor_id"], buyer.as_str());
    assert_eq!(d["expires_at"], expired_at.as_str(), "{d}");
    assert_eq!(d["reasons"][0]["code"], "accreditation_expired", "{d}");
    let order = s.get_order(d["order_id"].as_str().unwrap()).await;
    assert_eq!(order["reject_reason"], "accreditation");
}
