//! The outbox: what the ATS does reaches the BD as events, in order per book, at least once,
//! through BD outages; the BD's CAT report of the day is built from them and passes the
//! specification's field rules.

#![allow(clippy::unwrap_used)]

mod common;

use common::{ats_server, delete, get, limit, market, stack};
use platform::Clock;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn in_cat_scope(s: &common::Stack, asset: &str) {
    let (_, a) = get(&s.ats, "/v1/assets", "acme/vic").await;
    let symbol = a["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == asset)
        .unwrap()["symbol"]
        .clone();
    let (st, v) = common::call(
        &s.bd,
        Method::PUT,
        &format!("/v1/reporting/securities/{asset}"),
        "acme/carla",
        Some(json!({"symbol": symbol, "cat_reportable": true})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
}

fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

async fn undelivered(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn orders_and_trades_reach_the_bd_and_its_cat_report(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    in_cat_scope(&s, &asset).await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let unchecked = s.unchecked_investor("acme", "Nora Nokyc").await;
    s.issue("acme", &asset, &seller, "1000").await;

    let sell = s
        .placed(limit(&asset, &seller, "sell", "100", "10.00"))
        .await;
    let buy = s.placed(limit(&asset, &buyer, "buy", "40", "10.00")).await;
    let sell_id = sell["id"].as_str().unwrap();
    let (st, _) = delete(&s.ats, &format!("/v1/orders/{sell_id}"), "acme/alice").await;
    assert_eq!(st, 200);
    let nothing = s.placed(market(&asset, &buyer, "buy", "5")).await;
    assert_eq!(nothing["cancel_reason"], "no_liquidity");
    let refused = s
        .order("acme/alice", limit(&asset, &unchecked, "buy", "1", "10.00"))
        .await;
    assert_eq!(refused.0, 422);

    // accepted ×3, trade, cancelled ×2 (customer, no liquidity), rejected.
    assert_eq!(undelivered(&pool).await, 7);
    assert_eq!(s.deliver_events().await, 7);
    assert_eq!(undelivered(&pool).await, 0);
    assert_eq!(s.deliver_events().await, 0, "delivered once");

    let day = compliance::cat::eastern::eastern_date(time::OffsetDateTime::now_utc());
    let (st, report) = get(
        &s.bd,
        &format!("/v1/reporting/cat?date={day}"),
        "acme/carla",
    )
    .await;
    assert_eq!(st, 200, "{report}");
    let records = report["records"].as_array().unwrap();
    let faults = compliance::cat::validate::check_day(records);
    assert!(faults.is_empty(), "{faults:#?}\n{report:#}");
    let meno = of_type(records, "MENO");
    let meot = of_type(records, "MEOT");
    let meoc = of_type(records, "MEOC");
    assert_eq!(
        meno.len(),
        3,
        "the rejected order never became one: {report:#}"
    );
    assert_eq!(meot.len(), 1, "{report:#}");
    assert!(meno.iter().any(|r| r["orderID"] == sell_id));
    assert_eq!(
        meot[0]["tradeID"],
        buy_trade_id(&s, buy["id"].as_str().unwrap()).await
    );
    let customer = meoc
        .iter()
        .find(|r| r["orderID"] == sell_id)
        .expect("the customer's cancel");
    assert_eq!(customer["initiator"], "C", "{customer}");
    assert_eq!(
        report["exceptions"].as_array().map_or(0, Vec::len),
        0,
        "{report:#}"
    );

    // A redelivery (a dispatcher died before marking) is harmless: the BD ignores seen ids.
    sqlx::query("UPDATE outbox SET delivered_at = NULL")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(s.deliver_events().await, 7);
    let (_, again) = get(
        &s.bd,
        &format!("/v1/reporting/cat?date={day}"),
        "acme/carla",
    )
    .await;
    assert_eq!(again["records"], report["records"]);
}

async fn buy_trade_id(s: &common::Stack, order: &str) -> Value {
    let (_, t) = get(&s.ats, &format!("/v1/trades?order_id={order}"), "acme/vic").await;
    t["data"][0]["id"].clone()
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn events_wait_out_a_bd_outage_and_arrive_in_order(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "1000").await;
    for i in 0..3 {
        s.placed(limit(&asset, &seller, "sell", "10", &format!("1{i}.00")))
            .await;
        s.placed(limit(&asset, &buyer, "buy", "10", &format!("1{i}.00")))
            .await;
    }
    let total = undelivered(&pool).await;
    assert_eq!(total, 9, "3 × (accepted, accepted, trade)");

    // The BD is unreachable for a dispatcher: nothing is lost, the stream waits.
    let (_, cut_off) = ats_server(
        &pool,
        "http://127.0.0.1:9",
        &s.ta.url,
        &[],
        Clock::system(),
        &s.shutdown,
    )
    .await;
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(ats::dispatch::run_once(&cut_off, now).await.unwrap(), 0);
    assert_eq!(undelivered(&pool).await, total);
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox ORDER BY position LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap().contains("bd"));
    let metrics = cut_off.platform.metrics.render();
    assert!(
        metrics.contains("ats_outbox_delivery_failures_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("ats_outbox_undelivered 9"), "{metrics}");
    // Until its backoff is over the stream is not tried again, even with the BD back.
    assert_eq!(s.deliver_events_at(now).await, 0);
    assert_eq!(
        s.deliver_events_at(now + time::Duration::minutes(10)).await,
        9
    );

    // The BD received them in the order they were written.
    let written: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM outbox ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap();
    let received: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM events ORDER BY received_at, id")
            .fetch_all(&s.bd_db.admin)
            .await
            .unwrap();
    assert_eq!(received, written);
    let text = reqwest::get(format!("{}/metrics", s.ats.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("ats_outbox_delivered_total 9"), "{text}");
    assert!(text.contains("ats_outbox_lag_seconds 0"), "{text}");
}
