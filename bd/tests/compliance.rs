//! The compliance summary, pre-trade (regulations, investment limits at their boundaries) and
//! settlement approval.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, send};

fn codes(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn from_creation_to_an_approved_order(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/compliance");
    let (s, c) = get(&app, &path, "acme/alice").await;
    assert_eq!(s, 200);
    assert_eq!(c["kyc"], "none");
    assert_eq!(c["sanctions"], "none");
    assert_eq!(c["eligible"], false);
    assert_eq!(
        codes(&c),
        ["kyc_missing", "sanctions_missing"].map(String::from)
    );
    let asset = new_id("ast");
    let refused = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "10", "100", "reg_d_506c"),
    )
    .await;
    assert_eq!(refused["approved"], false);

    assert_eq!(kyc(&app, &id).await["status"], "approved");
    let (_, c) = get(&app, &path, "acme/vic").await;
    assert_eq!(c["eligible"], true);
    assert_eq!(c["accredited"], false);
    assert_eq!(c["reasons"], json!([]));
    let refused = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "10", "100", "reg_d_506c"),
    )
    .await;
    assert_eq!(codes(&refused), ["accreditation_required"]);

    let verification = accredit(&app, &id).await;
    let (_, c) = get(&app, &path, "acme/vic").await;
    assert_eq!(c["eligible"], true);
    assert_eq!(c["accredited"], true);
    assert_eq!(c["accreditation"]["status"], "verified");
    assert_eq!(c["accreditation"]["expires_at"], verification["expires_at"]);
    let (s, _) = get_service(&app, &path, "acme").await;
    assert_eq!(s, 200);

    let order = order_request(&id, &asset, "buy", "10", "100", "reg_d_506c");
    let approved = pre_trade(&app, order.clone()).await;
    assert_eq!(approved["approved"], true, "{approved}");
    assert_eq!(approved["reasons"], json!([]));
    assert_eq!(approved["order_id"], order["order_id"]);
    assert_eq!(approved["amount"], "1000");
    // Kept for audit.
    let check_id = approved["id"].as_str().unwrap();
    let (s, check) = get(
        &app,
        &format!("/v1/compliance/checks/{check_id}"),
        "acme/carla",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(check["kind"], "pre_trade");
    assert_eq!(check["approved"], true);
    assert_eq!(check["order_id"], order["order_id"]);
    assert_eq!(check["input"]["request"]["regulation"], "reg_d_506c");
    assert_eq!(check["input"]["investor"]["accreditation"], "verified");
    assert_eq!(check["created_by"], "ats");

    // Selling a 506(c) security needs the accreditation too.
    let other = approved_individual(&app, "Ada Lovelace").await;
    let sell = pre_trade(
        &app,
        order_request(&other, &asset, "sell", "1", "100", "reg_d_506c"),
    )
    .await;
    assert_eq!(codes(&sell), ["accreditation_required"]);
    for reg in ["reg_d_506b", "registered"] {
        let ok = pre_trade(&app, order_request(&other, &asset, "buy", "1", "100", reg)).await;
        assert_eq!(ok["approved"], true, "{reg}: {ok}");
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn compliance_summary_reads(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    for user in ["acme/admin", "acme/carla", "acme/alice", "acme/vic"] {
        let (s, _) = get(&app, &format!("/v1/investors/{id}/compliance"), user).await;
        assert_eq!(s, 200, "{user}");
    }
    let got = get(
        &app,
        &format!("/v1/investors/{id}/compliance"),
        "globex/gus",
    )
    .await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = get(&app, "/v1/investors/inv_1/compliance", "acme/vic").await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = send(app.get(&format!("/v1/investors/{id}/compliance"))).await;
    assert_error(&got, 401, "UNAUTHENTICATED");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn pre_trade_is_internal_and_validates(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let asset = new_id("ast");
    let body = order_request(&id, &asset, "buy", "10", "100", "reg_d_506b");
    for user in ["acme/admin", "acme/carla", "acme/alice"] {
        for path in ["/v1/compliance/pre-trade", "/v1/compliance/settlement"] {
            let got = post(&app, path, user, body.clone()).await;
            assert_error(&got, 403, "FORBIDDEN");
        }
    }
    // A service token without X-IAM-Org acts for nobody.
    let got = send(
        app.post("/v1/compliance/pre-trade")
            .bearer_auth(service())
            .json(&body),
    )
    .await;
    assert_error(&got, 403, "FORBIDDEN");
    assert_eq!(got.1["error"]["message"], "missing organization");

    let mut cases: Vec<(Value, &str)> = Vec::new();
    for (field, value) in [
        ("quantity", json!("0")),
        ("quantity", json!("-1")),
        ("quantity", json!("ten")),
        ("quantity", json!("1000000000000.000001")),
        ("price", json!("1000000000.01")),
        ("price", json!("0")),
        ("price", json!(-5)),
        ("side", json!("short")),
        ("regulation", json!("reg_s")),
        ("investor_id", json!("bob")),
        ("order_id", json!(42)),
    ] {
        let mut b = body.clone();
        b[field] = value;
        cases.push((b, field));
    }
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("asset_id");
    cases.push((missing, "asset_id"));
    for (b, field) in cases {
        let got = post_service(&app, "/v1/compliance/pre-trade", "acme", b.clone()).await;
        let d = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(d["fields"].get(field).is_some(), "{field}: {d}");
    }
    let got = send(
        app.post("/v1/compliance/pre-trade")
            .bearer_auth(service())
            .header("x-iam-org", "acme")
            .header("content-type", "application/json")
            .body("{\"order_id\":"),
    )
    .await;
    assert_error(&got, 400, "MALFORMED_JSON");
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE kind = 'pre_trade'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_unknown_investor_is_refused_not_404(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let unknown = new_id("inv");
    let v = pre_trade(
        &app,
        order_request(&unknown, &asset, "buy", "1", "1", "reg_d_506b"),
    )
    .await;
    assert_eq!(v["approved"], false);
    assert_eq!(codes(&v), ["investor_not_found"]);
    // Another organization's investor is unknown here.
    let foreign = create_as(&app, "globex/admin", individual("Grace Hopper", "US")).await;
    let v = pre_trade(
        &app,
        order_request(&foreign, &asset, "buy", "1", "1", "reg_d_506b"),
    )
    .await;
    assert_eq!(codes(&v), ["investor_not_found"]);
    let (s, check) = get(
        &app,
        &format!("/v1/compliance/checks/{}", v["id"].as_str().unwrap()),
        "acme/carla",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(check["approved"], false);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_sanctioned_investor_is_refused(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Manuel Antonio Noriega", "PA")).await;
    kyc(&app, &id).await;
    let v = pre_trade(
        &app,
        order_request(&id, &new_id("ast"), "sell", "1", "1", "registered"),
    )
    .await;
    assert_eq!(codes(&v), ["sanctions_hit"]);
}

async fn post_event(app: &TestServer, path: &str, event: &Value) -> Value {
    let (s, v) = post_service(app, path, "acme", event.clone()).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// A non-accredited individual with income 50,000 and net worth 60,000: the Reg CF limit is
/// the greater of $2,500 and 5% of $60,000 = $3,000.00; Reg A tier 2: 10% of $60,000.
async fn modest_investor(app: &TestServer) -> String {
    let mut body = individual("Grace Hopper", "US");
    body["annual_income"] = json!("50000");
    body["net_worth"] = json!("60000");
    let id = create(app, body).await;
    assert_eq!(kyc(app, &id).await["status"], "approved");
    id
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn reg_cf_limit_counts_trades_and_open_orders(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = modest_investor(&app).await;
    let asset = new_id("ast");
    let now = time::OffsetDateTime::now_utc();

    let over = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "30.0001", "100", "reg_cf"),
    )
    .await;
    assert_eq!(codes(&over), ["investment_limit_exceeded"]);
    let d = &over["reasons"][0]["details"];
    assert_eq!(d["limit"], "3000.00");
    assert_eq!(d["used"], "0");

    // O1 for $1,000, accepted, then filled.
    let o1 = order_request(&id, &asset, "buy", "10", "100", "reg_cf");
    assert_eq!(pre_trade(&app, o1.clone()).await["approved"], true);
    let o1_id = o1["order_id"].as_str().unwrap();
    let o1_order = order(o1_id, &id, &asset, "buy", "10", Some("100"), now);
    post_event(
        &app,
        "/v1/events",
        &order_event("order.accepted", &o1_order, now),
    )
    .await;
    let mut trade = trade_event(&asset, &id, &new_id("inv"), "10", "100", now);
    trade["data"]["buy_order_id"] = json!(o1_id);
    post_event(&app, "/v1/compliance/post-trade", &trade).await;

    // O2 for exactly the $2,000 left: approved ("not to exceed").
    let o2 = order_request(&id, &asset, "buy", "20", "100", "reg_cf");
    let v = pre_trade(&app, o2.clone()).await;
    assert_eq!(v["approved"], true, "{v}");
    // O2 is open: one cent more is refused.
    let o3 = order_request(&id, &asset, "buy", "0.0001", "100", "reg_cf");
    let v = pre_trade(&app, o3.clone()).await;
    assert_eq!(codes(&v), ["investment_limit_exceeded"]);
    assert_eq!(v["reasons"][0]["details"]["used"], "3000");
    // Reg A tier 2 is a separate limit (10% of $60,000).
    let a = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "60", "100", "reg_a_tier2"),
    )
    .await;
    assert_eq!(a["approved"], true, "{a}");
    // Sells never consume a limit.
    let s = pre_trade(
        &app,
        order_request(&id, &asset, "sell", "1000", "100", "reg_cf"),
    )
    .await;
    assert_eq!(s["approved"], true);

    // Cancelling O2 releases what it reserved.
    let o2_order = order(
        o2["order_id"].as_str().unwrap(),
        &id,
        &asset,
        "buy",
        "20",
        Some("100"),
        now,
    );
    post_event(
        &app,
        "/v1/events",
        &order_event("order.accepted", &o2_order, now),
    )
    .await;
    post_event(
        &app,
        "/v1/events",
        &order_event("order.cancelled", &o2_order, now),
    )
    .await;
    let v = pre_trade(&app, o3).await;
    assert_eq!(v["approved"], true, "{v}");
    let check = get(
        &app,
        &format!("/v1/compliance/checks/{}", v["id"].as_str().unwrap()),
        "acme/carla",
    )
    .await
    .1;
    assert_eq!(check["input"]["prior_12m"]["bought"], "1000");
    assert_eq!(check["details"]["investment_limit"]["limit"], "3000.00");

    // An accredited investor has no limit.
    accredit(&app, &id).await;
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "100000", "100", "reg_cf"),
    )
    .await;
    assert_eq!(v["approved"], true);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_limit_window_is_twelve_months(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = modest_investor(&app).await;
    let asset = new_id("ast");
    let now = time::OffsetDateTime::now_utc();
    let o1 = order_request(&id, &asset, "buy", "0.01", "100", "reg_cf");
    assert_eq!(pre_trade(&app, o1.clone()).await["approved"], true);
    let o1_id = o1["order_id"].as_str().unwrap();
    let year_ago = now.replace_date(compliance::accreditation::months_before(now.date(), 12));
    // Just outside the window: not counted.
    let mut old = trade_event(
        &asset,
        &id,
        &new_id("inv"),
        "29.99",
        "100",
        year_ago - time::Duration::hours(1),
    );
    old["data"]["buy_order_id"] = json!(o1_id);
    post_event(&app, "/v1/compliance/post-trade", &old).await;
    // Just inside: counted.
    let mut recent = trade_event(
        &asset,
        &id,
        &new_id("inv"),
        "0.01",
        "100",
        year_ago + time::Duration::hours(1),
    );
    recent["data"]["buy_order_id"] = json!(o1_id);
    post_event(&app, "/v1/compliance/post-trade", &recent).await;
    // $1 bought inside the window; O1 is filled: $2,999 fit, $2,999.01 do not.
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "29.9901", "100", "reg_cf"),
    )
    .await;
    assert_eq!(codes(&v), ["investment_limit_exceeded"]);
    assert_eq!(v["reasons"][0]["details"]["used"], "1.00");
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "29.99", "100", "reg_cf"),
    )
    .await;
    assert_eq!(v["approved"], true, "{v}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_financial_profile_comes_from_the_record_or_the_evidence(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let id = approved_individual(&app, "Grace Hopper").await;
    let v = pre_trade(&app, order_request(&id, &asset, "buy", "1", "1", "reg_cf")).await;
    assert_eq!(codes(&v), ["financial_profile_missing"]);
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "1", "1", "reg_a_tier2"),
    )
    .await;
    assert_eq!(codes(&v), ["financial_profile_missing"]);

    // Evidence that fell short of accreditation still tells the investor's income.
    let today = today().to_string();
    let (_, a) = post(
        &app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        json!({"method": "income", "evidence": {"annual_income": ["100000", "120000"], "documents_dated": today}}),
    )
    .await;
    assert_eq!(a["status"], "rejected");
    // Reg A tier 2: 10% of $120,000 (one figure is enough).
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "12000", "1", "reg_a_tier2"),
    )
    .await;
    assert_eq!(v["approved"], true, "{v}");
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "12000.01", "1", "reg_a_tier2"),
    )
    .await;
    // The approved $12,000 order above is still open: nothing is left.
    assert_eq!(codes(&v), ["investment_limit_exceeded"]);
    assert_eq!(v["reasons"][0]["details"]["limit"], "12000.00");
    let check = get(
        &app,
        &format!("/v1/compliance/checks/{}", v["id"].as_str().unwrap()),
        "acme/carla",
    )
    .await
    .1;
    assert_eq!(
        check["input"]["investor"]["financial_profile_sources"]["annual_income"],
        a["id"]
    );
    // Reg CF needs both figures.
    let v = pre_trade(&app, order_request(&id, &asset, "buy", "1", "1", "reg_cf")).await;
    assert_eq!(codes(&v), ["financial_profile_missing"]);
    post(
        &app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        json!({"method": "net_worth", "evidence": {"net_worth": "500000", "documents_dated": today}}),
    )
    .await;
    // 5% of $500,000 = $25,000 (income below $124,000).
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "25000", "1", "reg_cf"),
    )
    .await;
    assert_eq!(v["approved"], true, "{v}");
    let v = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "0.01", "1", "reg_cf"),
    )
    .await;
    assert_eq!(codes(&v), ["investment_limit_exceeded"]);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn market_orders_are_counted_at_the_last_trade(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = modest_investor(&app).await;
    let asset = new_id("ast");
    let mut market = order_request(&id, &asset, "buy", "10", "1", "reg_cf");
    market["price"] = Value::Null;
    let v = pre_trade(&app, market.clone()).await;
    assert_eq!(codes(&v), ["price_unknown"]);
    assert!(v["amount"].is_null());
    let mut unlimited = market.clone();
    unlimited["regulation"] = json!("reg_d_506b");
    unlimited["order_id"] = json!(new_id("ord"));
    assert_eq!(pre_trade(&app, unlimited).await["approved"], true);

    let now = time::OffsetDateTime::now_utc();
    post_event(
        &app,
        "/v1/compliance/post-trade",
        &trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", "300", now),
    )
    .await;
    market["order_id"] = json!(new_id("ord"));
    let v = pre_trade(&app, market.clone()).await;
    assert_eq!(v["amount"], "3000");
    assert_eq!(v["approved"], true, "{v}");
    market["order_id"] = json!(new_id("ord"));
    market["quantity"] = json!("0.0001");
    let v = pre_trade(&app, market).await;
    assert_eq!(codes(&v), ["investment_limit_exceeded"]);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn pre_trade_replays_with_an_idempotency_key(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let body = order_request(&id, &new_id("ast"), "buy", "1", "1", "registered");
    let req = || {
        app.post("/v1/compliance/pre-trade")
            .bearer_auth(service())
            .header("x-iam-org", "acme")
            .header("idempotency-key", "ord-1")
            .json(&body)
    };
    let (s1, v1) = send(req()).await;
    let (s2, v2) = send(req()).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(v1, v2);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE kind = 'pre_trade'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

fn settlement(buyer: &str, seller: &str, reg: &str) -> Value {
    json!({
        "settlement_id": new_id("stl"),
        "trade_id": new_id("trd"),
        "asset_id": new_id("ast"),
        "buyer_investor_id": buyer,
        "seller_investor_id": seller,
        "regulation": reg,
        "quantity": "10",
        "price": "100",
    })
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn settlement_needs_both_parties_still_eligible(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let buyer = modest_investor(&app).await;
    let seller = approved_individual(&app, "Ada Lovelace").await;
    let (s, v) = post_service(
        &app,
        "/v1/compliance/settlement",
        "acme",
        settlement(&buyer, &seller, "reg_cf"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Limits are not applied again at settlement.
    assert_eq!(v["approved"], true, "{v}");
    let (_, check) = get(
        &app,
        &format!("/v1/compliance/checks/{}", v["id"].as_str().unwrap()),
        "acme/admin",
    )
    .await;
    assert_eq!(check["kind"], "settlement");
    assert!(check["settlement_id"].as_str().unwrap().starts_with("stl_"));

    let (_, v) = post_service(
        &app,
        "/v1/compliance/settlement",
        "acme",
        settlement(&buyer, &seller, "reg_d_506c"),
    )
    .await;
    assert_eq!(v["approved"], false);
    let parties: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["details"]["party"].as_str().unwrap())
        .collect();
    assert_eq!(parties, ["buyer", "seller"]);

    let listed = create(&app, individual("Manuel Antonio Noriega", "PA")).await;
    kyc(&app, &listed).await;
    let unknown = new_id("inv");
    let (_, v) = post_service(
        &app,
        "/v1/compliance/settlement",
        "acme",
        settlement(&unknown, &listed, "registered"),
    )
    .await;
    assert_eq!(v["approved"], false);
    assert_eq!(codes(&v), ["investor_not_found", "sanctions_hit"]);
    assert_eq!(v["reasons"][0]["details"]["party"], "buyer");
    assert_eq!(v["reasons"][1]["details"]["party"], "seller");

    let mut bad = settlement(&buyer, &seller, "registered");
    bad["price"] = json!("0");
    let got = post_service(&app, "/v1/compliance/settlement", "acme", bad).await;
    assert_error(&got, 400, "VALIDATION_ERROR");
}
