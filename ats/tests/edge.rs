//! Every ATS endpoint against bad input, missing and forged tokens, wrong roles and another
//! organization's ids: each answers its 4xx envelope and nothing is half-written.

#![allow(clippy::unwrap_used)]

mod common;

use common::{delete, get, limit, post, post_raw, stack};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn orders_in_db(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn bad_order_bodies_are_400_and_record_nothing(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let good = limit(&asset, &buyer, "buy", "10", "10.00");

    for raw in ["{", "not json", "{}{}", "", "[1,2]"] {
        let got = post_raw(&s.ats, "/v1/orders", "acme/alice", raw).await;
        assert!(got.0 == 400, "{raw}: {:?}", got);
        let code = got.1["error"]["code"].as_str().unwrap();
        assert!(
            code == "MALFORMED_JSON" || code == "VALIDATION_ERROR",
            "{raw}: {code}"
        );
    }
    let with = |field: &str, value: Value| {
        let mut b = good.clone();
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("asset_id"), "asset_id"),
        (without("investor_id"), "investor_id"),
        (without("side"), "side"),
        (without("order_type"), "order_type"),
        (without("quantity"), "quantity"),
        (without("price"), "price"),
        (with("quantity", json!(true)), "quantity"),
        (with("quantity", json!("ten")), "quantity"),
        (with("quantity", json!("-5")), "quantity"),
        (with("quantity", json!("0")), "quantity"),
        (with("quantity", json!("10000000000000")), "quantity"),
        (
            with("quantity", serde_json::from_str("1e400").unwrap()),
            "quantity",
        ),
        (with("price", json!("-1")), "price"),
        (with("price", json!("0")), "price"),
        (with("price", json!("99999999999")), "price"),
        (with("price", json!("1.000000001")), "price"),
        (with("side", json!("hold")), "side"),
        (with("order_type", json!("iceberg")), "order_type"),
        (with("time_in_force", json!("gtd")), "time_in_force"),
        (with("asset_id", json!("ast_nope")), "asset_id"),
        (with("investor_id", json!(42)), "investor_id"),
        (with("stop_price", json!("9.00")), "stop_price"),
        (with("client_order_id", json!("")), "client_order_id"),
        (
            with("client_order_id", json!("x".repeat(65))),
            "client_order_id",
        ),
        (with("organization_id", json!("globex")), "organization_id"),
        (
            json!({"asset_id": asset, "investor_id": buyer, "side": "buy", "order_type": "market", "quantity": "1", "price": "1"}),
            "price",
        ),
    ];
    for (body, field) in cases {
        let got = post(&s.ats, "/v1/orders", "acme/alice", body.clone()).await;
        let d = testkit::assert_error(&got, 400, "VALIDATION_ERROR");
        let fields = d["fields"]
            .as_object()
            .unwrap_or_else(|| panic!("{body}: {d}"));
        assert!(
            fields.keys().any(|k| k.contains(field)),
            "{body}: expected {field} named in {d}"
        );
    }
    assert_eq!(
        orders_in_db(&pool).await,
        0,
        "no refused request left an order behind"
    );
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn tokens_and_roles_are_judged_before_anything(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let body = limit(&asset, &buyer, "buy", "10", "10.00");

    let got = testkit::send(s.ats.post("/v1/orders").json(&body)).await;
    testkit::assert_error(&got, 401, "UNAUTHENTICATED");
    for (what, forged) in testkit::forge::all(testkit::iam(), "acme/alice") {
        let got = testkit::send(s.ats.post("/v1/orders").bearer_auth(forged).json(&body)).await;
        assert_eq!(got.0, 401, "{what}: {:?}", got.1);
    }

    for (user, method, path) in [
        ("acme/vic", "POST", "/v1/orders".to_owned()),
        ("acme/carla", "POST", "/v1/orders".to_owned()),
        ("acme/alice", "POST", "/v1/assets".to_owned()),
        (
            "acme/vic",
            "DELETE",
            format!("/v1/orders/ord_{}", uuid::Uuid::now_v7().simple()),
        ),
    ] {
        let req = s
            .ats
            .request(method.parse().unwrap(), &path)
            .bearer_auth(common::token(user));
        // A body that is not even JSON: the role is refused before the body is read.
        let got = testkit::send(req.header("content-type", "application/json").body("{")).await;
        testkit::assert_error(&got, 403, "FORBIDDEN");
    }
    // The platform's services may read, not trade.
    let got = testkit::send(
        s.ats
            .post("/v1/orders")
            .bearer_auth(testkit::iam().service_token("bd"))
            .header("x-iam-org", "acme")
            .json(&body),
    )
    .await;
    testkit::assert_error(&got, 403, "FORBIDDEN");
    let (st, _) = testkit::send(
        s.ats
            .get("/v1/orders")
            .bearer_auth(testkit::iam().service_token("bd"))
            .header("x-iam-org", "acme"),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(orders_in_db(&pool).await, 0);
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn another_organizations_ids_are_not_found(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let order = s.placed(limit(&asset, &buyer, "buy", "10", "10.00")).await;
    let id = order["id"].as_str().unwrap();

    testkit::assert_error(
        &get(&s.ats, &format!("/v1/orders/{id}"), "globex/gus").await,
        404,
        "NOT_FOUND",
    );
    testkit::assert_error(
        &delete(&s.ats, &format!("/v1/orders/{id}"), "globex/gus").await,
        404,
        "NOT_FOUND",
    );
    testkit::assert_error(
        &get(
            &s.ats,
            &format!("/v1/assets/{asset}/orderbook"),
            "globex/gus",
        )
        .await,
        404,
        "NOT_FOUND",
    );
    // An order on acme's asset is an order on an asset globex has not listed.
    let got = post(
        &s.ats,
        "/v1/orders",
        "globex/gus",
        limit(&asset, &buyer, "buy", "1", "10.00"),
    )
    .await;
    testkit::assert_error(&got, 404, "NOT_FOUND");
    // On globex's own asset, for acme's investor: the BD does not know that investor in globex.
    let theirs = s.listed_asset("globex", "reg_d_506b").await;
    let got = post(
        &s.ats,
        "/v1/orders",
        "globex/gus",
        limit(&theirs, &buyer, "buy", "1", "10.00"),
    )
    .await;
    let d = testkit::assert_error(&got, 422, "COMPLIANCE_REJECTED");
    assert_eq!(d["check"], "investor", "{d}");

    let (_, mine) = get(&s.ats, "/v1/orders", "acme/vic").await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    let (_, theirs_list) = get(&s.ats, "/v1/orders", "globex/gus").await;
    let ids: Vec<&str> = theirs_list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&id), "globex sees only its own: {ids:?}");
    let (_, trades) = get(&s.ats, "/v1/trades", "globex/gus").await;
    assert_eq!(trades["data"], json!([]));
    let (_, settlements) = get(&s.ats, "/v1/settlements", "globex/gus").await;
    assert_eq!(settlements["data"], json!([]));
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn bad_paths_and_queries(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    for path in [
        "/v1/orders/ord_nothex".to_owned(),
        format!("/v1/orders/ord_{}", uuid::Uuid::now_v7().simple()),
        format!("/v1/trades/trd_{}", uuid::Uuid::now_v7().simple()),
        format!("/v1/settlements/stl_{}", uuid::Uuid::now_v7().simple()),
        "/v1/settlements/xyz".to_owned(),
        format!("/v1/assets/ast_{}/orderbook", uuid::Uuid::now_v7().simple()),
    ] {
        testkit::assert_error(&get(&s.ats, &path, "acme/vic").await, 404, "NOT_FOUND");
    }
    testkit::assert_error(
        &delete(&s.ats, "/v1/orders/not-an-id", "acme/alice").await,
        404,
        "NOT_FOUND",
    );
    for path in [
        "/v1/orders?status=bogus".to_owned(),
        "/v1/orders?asset_id=ast_bad".to_owned(),
        "/v1/orders?investor_id=42".to_owned(),
        "/v1/orders?limit=0".to_owned(),
        "/v1/orders?limit=501".to_owned(),
        "/v1/orders?cursor=!!!".to_owned(),
        "/v1/orders?cursor=bm90LWFuLWlk".to_owned(),
        "/v1/trades?order_id=x".to_owned(),
        "/v1/settlements?status=done".to_owned(),
        "/v1/assets?limit=-1".to_owned(),
        format!("/v1/assets/{asset}/orderbook?depth=0"),
        format!("/v1/assets/{asset}/orderbook?depth=501"),
        format!("/v1/assets/{asset}/orderbook?depth=ten"),
        "/v1/orders?status=%00".to_owned(),
    ] {
        testkit::assert_error(
            &get(&s.ats, &path, "acme/vic").await,
            400,
            "VALIDATION_ERROR",
        );
    }
    let bad_assets = [
        json!({}),
        json!({"asset_id": 7}),
        json!({"asset_id": asset, "tick_size": "abc"}),
        json!({"asset_id": asset, "trading_enabled": "yes"}),
        json!({"asset_id": asset, "organization_id": "acme"}),
    ];
    for body in bad_assets {
        let got = post(&s.ats, "/v1/assets", "acme/admin", body.clone()).await;
        testkit::assert_error(&got, 400, "VALIDATION_ERROR");
    }
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn lists_page_newest_first_with_filters(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let a = s.investor("acme", "Ann Buyer").await;
    let b = s.investor("acme", "Ben Buyer").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let who = if i % 2 == 0 { &a } else { &b };
        let o = s
            .placed(limit(&asset, who, "buy", "1", &format!("{}.00", 10 + i)))
            .await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    let (_, page) = get(&s.ats, "/v1/orders?limit=2", "acme/vic").await;
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[4].as_str(), ids[3].as_str()], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = get(
        &s.ats,
        &format!("/v1/orders?limit=2&cursor={cursor}"),
        "acme/vic",
    )
    .await;
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let (_, page) = get(&s.ats, &format!("/v1/orders?investor_id={a}"), "acme/vic").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let (_, page) = get(&s.ats, "/v1/orders?status=open", "acme/vic").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    let (_, page) = get(&s.ats, "/v1/orders?status=filled", "acme/vic").await;
    assert_eq!(page["data"], json!([]));
    let book = s.book(&asset).await;
    let (_, shallow) = get(
        &s.ats,
        &format!("/v1/assets/{asset}/orderbook?depth=2"),
        "acme/vic",
    )
    .await;
    assert_eq!(book["bids"].as_array().unwrap().len(), 5);
    assert_eq!(shallow["bids"].as_array().unwrap().len(), 2);
    assert_eq!(
        common::dec(&shallow["bids"][0]["price"]),
        "14",
        "best first"
    );
}
