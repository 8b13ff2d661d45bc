//! The BD at fixed times: its clock (`platform::Clock`) is pinned and moved, and what depends
//! on "now" and "today" follows it: accreditation validity, the age of evidence, the 12-month
//! window of the investment limits, the age of majority, report and answer timestamps.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use platform::Clock;
use serde_json::{Value, json};
use testkit::TestServer;
use time::Duration;
use time::macros::datetime;

async fn at(pool: sqlx::PgPool, clock: &Clock) -> TestServer {
    app_with_clock(pool, &[], None, clock.clone()).await
}

async fn accreditation(app: &TestServer, id: &str, evidence: Value) -> (u16, Value) {
    post(
        app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        json!({"method": "net_worth", "evidence": evidence}),
    )
    .await
}

async fn compliance(app: &TestServer, id: &str) -> Value {
    let (s, v) = get(app, &format!("/v1/investors/{id}/compliance"), "acme/carla").await;
    assert_eq!(s, 200, "{v}");
    v
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_accreditation_lasts_90_days_from_the_clock(pool: sqlx::PgPool) {
    let start = datetime!(2026-03-02 10:00 UTC);
    let clock = Clock::fixed(start);
    let app = at(pool, &clock).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let (s, v) = accreditation(
        &app,
        &id,
        json!({"net_worth": "2500000", "documents_dated": "2026-03-02"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (201, Some("verified")), "{v}");
    assert_eq!(
        v["verified_at"],
        rfc3339(datetime!(2026-03-02 10:00:00 UTC))
    );
    assert_eq!(v["expires_at"], rfc3339(datetime!(2026-05-31 10:00:00 UTC)));

    let asset = new_id("ast");
    let buy = || order_request(&id, &asset, "buy", "10", "100", "reg_d_506c");
    // One second before the end of the 90 days: still accredited.
    clock.set(datetime!(2026-05-31 09:59:59 UTC));
    let c = compliance(&app, &id).await;
    assert_eq!(c["accredited"], true);
    assert_eq!(c["accreditation"]["status"], "verified");
    assert_eq!(c["as_of"], rfc3339(datetime!(2026-05-31 09:59:59 UTC)));
    let p = pre_trade(&app, buy()).await;
    assert_eq!(p["approved"], true, "{p}");
    assert_eq!(p["checked_at"], rfc3339(datetime!(2026-05-31 09:59:59 UTC)));

    // At its expiry it has expired: the summary, the list and pre-trade say so.
    clock.advance(Duration::seconds(1));
    let c = compliance(&app, &id).await;
    assert_eq!(c["accredited"], false);
    assert_eq!(c["accreditation"]["status"], "expired");
    // When it lapsed (the ATS's refusal of a 506(c) buy names it too).
    assert_eq!(
        c["accreditation"]["expires_at"],
        rfc3339(datetime!(2026-05-31 10:00:00 UTC))
    );
    let (_, list) = get(
        &app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
    )
    .await;
    assert_eq!(list["current"]["status"], "expired", "{list}");
    let p = pre_trade(&app, buy()).await;
    assert_eq!(p["approved"], false);
    assert_eq!(p["reasons"][0]["code"], "accreditation_expired", "{p}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn evidence_is_accepted_for_three_calendar_months_of_the_clock(pool: sqlx::PgPool) {
    // 31 May: the oldest accepted documents are dated 28 February (the day clamped).
    let clock = Clock::fixed(datetime!(2026-05-31 12:00 UTC));
    let app = at(pool, &clock).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let dated = |d: &str| json!({"net_worth": "2500000", "documents_dated": d});

    let (_, v) = accreditation(&app, &id, dated("2026-02-28")).await;
    assert_eq!(v["status"], "verified", "{v}");
    let (_, v) = accreditation(&app, &id, dated("2026-02-27")).await;
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reasons"][0]["code"], "evidence_stale", "{v}");
    let (_, v) = accreditation(&app, &id, dated("2026-06-01")).await;
    assert_eq!(v["reasons"][0]["code"], "evidence_future_dated", "{v}");

    // A day later the same documents are too old, and tomorrow's are today's.
    clock.advance(Duration::days(1));
    let (_, v) = accreditation(&app, &id, dated("2026-02-28")).await;
    assert_eq!(v["reasons"][0]["code"], "evidence_stale", "{v}");
    let (_, v) = accreditation(&app, &id, dated("2026-06-01")).await;
    assert_eq!(v["status"], "verified", "{v}");
    assert_eq!(
        v["verified_at"],
        rfc3339(datetime!(2026-06-01 12:00:00 UTC))
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_investment_limit_counts_twelve_months_back_from_the_clock(pool: sqlx::PgPool) {
    let start = datetime!(2026-04-15 12:00 UTC);
    let clock = Clock::fixed(start);
    let app = at(pool, &clock).await;
    // Reg CF: income and net worth below $124,000, so the greater of $2,500 and 5% of $60,000.
    let mut body = individual("Grace Hopper", "US");
    body["annual_income"] = json!("50000");
    body["net_worth"] = json!("60000");
    let id = create(&app, body).await;
    assert_eq!(kyc(&app, &id).await["status"], "approved");
    let asset = new_id("ast");

    // $2,000 bought eleven months ago, through an order pre-trade approved.
    let first = order_request(&id, &asset, "buy", "200", "10", "reg_cf");
    assert_eq!(pre_trade(&app, first.clone()).await["approved"], true);
    let mut trade = trade_event(&asset, &id, &new_id("inv"), "200", "10", start);
    let executed = rfc3339(start - Duration::days(334));
    trade["data"]["executed_at"] = json!(executed);
    trade["data"]["buy_order_id"] = first["order_id"].clone();
    let (s, v) = post_service(&app, "/v1/compliance/post-trade", "acme", trade).await;
    assert_eq!(s, 200, "{v}");

    // $1,500 more would pass $3,000.
    let second = order_request(&id, &asset, "buy", "150", "10", "reg_cf");
    let p = pre_trade(&app, second).await;
    assert_eq!(p["approved"], false, "{p}");
    assert_eq!(p["reasons"][0]["code"], "investment_limit_exceeded");
    assert_eq!(p["reasons"][0]["details"]["used"], "2000");
    assert_eq!(p["reasons"][0]["details"]["limit"], "3000.00");

    // Two months on, that purchase is out of the window.
    clock.advance(Duration::days(61));
    let third = order_request(&id, &asset, "buy", "150", "10", "reg_cf");
    let p = pre_trade(&app, third).await;
    assert_eq!(p["approved"], true, "{p}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn ages_and_report_times_follow_the_clock(pool: sqlx::PgPool) {
    let clock = Clock::fixed(datetime!(2026-02-28 15:30 UTC));
    let app = at(pool, &clock).await;
    // Born on a leap day: 18 on 1 March in a common year.
    let mut leapling = individual("Leap Year", "US");
    leapling["date_of_birth"] = json!("2008-02-29");
    let (s, v) = post(&app, "/v1/investors", "acme/carla", leapling.clone()).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["details"]["fields"]["date_of_birth"].is_string());
    clock.advance(Duration::days(1));
    let (s, v) = post(&app, "/v1/investors", "acme/carla", leapling).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["created_at"], rfc3339(datetime!(2026-03-01 15:30:00 UTC)));

    // Reports are generated at the clock's now, of the day asked.
    let (s, v) = get(&app, "/v1/reporting/cat?date=2026-02-27", "acme/carla").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["generated_at"],
        rfc3339(datetime!(2026-03-01 15:30:00 UTC))
    );
    assert_eq!(v["date"], "2026-02-27");
    let (_, v) = get(&app, "/v1/reporting/oats?date=2026-02-27", "acme/carla").await;
    assert_eq!(
        v["generated_at"],
        rfc3339(datetime!(2026-03-01 15:30:00 UTC))
    );
}
