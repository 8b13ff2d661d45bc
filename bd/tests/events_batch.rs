//! `POST /v1/events/batch`: the ATS's events applied in the order given, each with exactly the
//! effect it has delivered alone; bad input refused whole; internal only; per organization.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use platform::Clock;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error};
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant every world runs at: alerts, orders and events carry it, and so compare.
const NOW: OffsetDateTime = datetime!(2026-03-10 20:00 UTC);
/// Concentration judged from the third trade of a day, so the scenario raises it.
const VARS: &[(&str, &str)] = &[
    ("SURVEILLANCE_CONCENTRATION_MIN_TRADES", "3"),
    ("CAT_REPORTING_EXCEPTION_CODE", "F"),
];

/// A fixed id: the same in every world and every run, ordered by `n`.
fn id(prefix: &str, n: u64) -> String {
    format!("{prefix}_{n:032x}")
}

fn t(s: i64) -> OffsetDateTime {
    datetime!(2026-03-10 15:00 UTC) + time::Duration::seconds(s)
}

/// Where an event goes on its own: trades to the post-trade endpoint, the rest to /v1/events.
fn single_path(event: &Value) -> &'static str {
    if event["type"] == "trade.executed" {
        "/v1/compliance/post-trade"
    } else {
        "/v1/events"
    }
}

async fn one(app: &TestServer, event: &Value) -> Value {
    let (s, v) = post_service(app, single_path(event), "acme", event.clone()).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn batch(app: &TestServer, events: &[Value]) -> Vec<Value> {
    let (s, v) = post_service(app, "/v1/events/batch", "acme", json!({ "events": events })).await;
    assert_eq!(s, 200, "{v}");
    let results = v["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), events.len());
    results
}

/// The investors the BD itself must know (ids it issues, so each world has its own), by role.
struct World {
    names: Vec<(String, &'static str)>,
}

impl World {
    fn get(&self, role: &str) -> &str {
        &self.names.iter().find(|(_, r)| *r == role).unwrap().0
    }
}

/// A buyer with KYC approved (pre-trade approves its order) and two entities owned by the same
/// person (their trade is a wash trade); asset A in CAT scope, asset B not.
async fn world(app: &TestServer) -> World {
    let buyer = approved_individual(app, "Bob Buyer").await;
    let owned_by = |name: &str| {
        json!({
            "type": "entity", "legal_name": name, "email": "ops@example.com", "country": "US",
            "beneficial_owners": [{"name": "Hedy Lamarr", "ownership_percent": "50",
                                   "country": "US", "date_of_birth": "1970-01-01"}]
        })
    };
    let e1 = create(app, owned_by("Alpha Holdings LLC")).await;
    let e2 = create(app, owned_by("Beta Capital Inc")).await;
    for (asset, symbol, on) in [(id("ast", 1), "ACME", true), (id("ast", 2), "BETA", false)] {
        let (s, v) = call(
            app,
            reqwest::Method::PUT,
            &format!("/v1/reporting/securities/{asset}"),
            "acme/carla",
            Some(json!({"symbol": symbol, "cat_reportable": on})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
    // Pre-trade approves o1 under Reg D 506(b): the trade takes its regulation.
    let mut check = order_request(&buyer, &id("ast", 1), "buy", "10", "100", "reg_d_506b");
    check["order_id"] = json!(id("ord", 1));
    assert_eq!(pre_trade(app, check).await["approved"], true);
    World {
        names: vec![(buyer, "buyer"), (e1, "e1"), (e2, "e2")],
    }
}

fn with(mut v: Value, changes: Value) -> Value {
    for (k, x) in changes.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// A day of one book and a little of another: accepted, traded, cancelled (by the customer, and
/// before being accepted), rejected, expired; wash trades (the same investor; two entities of one
/// owner), a price deviation, a late trade tied in time with an earlier one, concentration, a
/// trade of the day before, duplicates (an id seen before; a trade resent under a new id).
fn scenario(w: &World) -> Vec<Value> {
    let (a, b) = (id("ast", 1), id("ast", 2));
    let (x, y, z, v) = (id("inv", 1), id("inv", 2), id("inv", 3), id("inv", 4));
    let (buyer, e1, e2) = (w.get("buyer"), w.get("e1"), w.get("e2"));
    let mut n = 0;
    let mut event = |kind: &str, data: Value, at: OffsetDateTime| {
        n += 1;
        json!({
            "id": id("evt", n), "type": kind, "created_at": rfc3339(at),
            "organization_id": "acme", "data": data,
        })
    };
    let mut trade_n = 0;
    let mut trade = |asset: &str,
                     buy: (&str, &str),
                     sell: (&str, &str),
                     qty: &str,
                     price: &str,
                     at: OffsetDateTime| {
        trade_n += 1;
        json!({
            "id": id("trd", trade_n), "asset_id": asset, "price": price, "quantity": qty,
            "buy_order_id": buy.1, "sell_order_id": sell.1, "buyer_investor_id": buy.0,
            "seller_investor_id": sell.0, "executed_at": rfc3339(at), "settlement_id": null,
            "symbol": "ACME",
        })
    };
    let o = |k: u64| id("ord", k);
    let order_of = |k: u64, who: &str, asset: &str, side: &str, qty: &str, at| {
        order(&o(k), who, asset, side, qty, Some("100"), at)
    };
    let mut out = Vec::new();
    let yesterday = datetime!(2026-03-09 15:00 UTC);
    out.push(event(
        "trade.executed",
        trade(&a, (&v, &o(90)), (&y, &o(91)), "10", "100", yesterday),
        yesterday,
    ));
    let o1 = order_of(1, buyer, &a, "buy", "10", t(0));
    out.push(event("order.accepted", o1, t(0)));
    out.push(event(
        "order.accepted",
        order_of(2, &y, &a, "sell", "10", t(1)),
        t(1),
    ));
    let t1 = trade(&a, (buyer, &o(1)), (&y, &o(2)), "10", "100", t(2));
    out.push(event("trade.executed", t1.clone(), t(2)));
    let o3 = order_of(3, &x, &a, "buy", "5", t(3));
    out.push(event("order.accepted", o3.clone(), t(3)));
    out.push(event(
        "order.cancelled",
        with(
            o3,
            json!({"status": "cancelled", "updated_at": rfc3339(t(4)), "cancel_reason": "requested"}),
        ),
        t(4),
    ));
    out.push(event(
        "order.accepted",
        order_of(4, e1, &a, "sell", "5", t(5)),
        t(5),
    ));
    out.push(event(
        "order.accepted",
        order_of(5, e2, &a, "buy", "5", t(6)),
        t(6),
    ));
    out.push(event(
        "trade.executed",
        trade(&a, (e2, &o(5)), (e1, &o(4)), "5", "100", t(7)),
        t(7),
    ));
    out.push(event(
        "trade.executed",
        trade(&a, (&x, &o(92)), (&x, &o(93)), "1", "100", t(8)),
        t(8),
    ));
    let deviating = event(
        "trade.executed",
        trade(&a, (&z, &o(94)), (&y, &o(95)), "1", "130", t(9)),
        t(9),
    );
    out.push(deviating.clone());
    // Two late trades executed at the same instant as the first of the day: the first is
    // compared with it, the second with the first (recorded later at the same time).
    out.push(event(
        "trade.executed",
        trade(&a, (&z, &o(101)), (&y, &o(102)), "1", "120", t(2)),
        t(10),
    ));
    out.push(event(
        "trade.executed",
        trade(&a, (&z, &o(96)), (&y, &o(97)), "1", "150", t(2)),
        t(10),
    ));
    // The first order event again, and a later event again with other content.
    out.push(out[1].clone());
    let mut changed = deviating;
    changed["data"]["quantity"] = json!("7");
    out.push(changed);
    // The first trade of the day resent under another event id.
    out.push(event("trade.executed", t1, t(11)));
    out.push(event(
        "order.rejected",
        with(
            order_of(6, &z, &a, "buy", "1", t(12)),
            json!({"status": "rejected", "reject_reason": "compliance"}),
        ),
        t(12),
    ));
    let o7 = with(
        order_of(7, &z, &a, "buy", "1", t(13)),
        json!({"time_in_force": "day"}),
    );
    out.push(event("order.accepted", o7.clone(), t(13)));
    out.push(event(
        "order.expired",
        with(
            o7,
            json!({"status": "expired", "updated_at": rfc3339(t(14)), "cancel_reason": "expired"}),
        ),
        t(14),
    ));
    // Cancelled, then (late) accepted: it stays cancelled.
    let o8 = order_of(8, &x, &a, "sell", "2", t(15));
    out.push(event(
        "order.cancelled",
        with(
            o8.clone(),
            json!({"status": "cancelled", "updated_at": rfc3339(t(16)), "cancel_reason": "requested"}),
        ),
        t(16),
    ));
    out.push(event("order.accepted", o8, t(15)));
    // z takes most of the day's volume.
    out.push(event(
        "trade.executed",
        trade(&a, (&z, &o(98)), (&v, &o(99)), "50", "101", t(17)),
        t(17),
    ));
    out.push(event(
        "order.accepted",
        order_of(9, &x, &b, "buy", "1", t(18)),
        t(18),
    ));
    out.push(event(
        "trade.executed",
        trade(&b, (&x, &o(9)), (&y, &o(100)), "1", "100", t(19)),
        t(19),
    ));
    out
}

/// `v` with the world's own ids replaced by their roles, in every form they take (`inv_…`, the
/// bare hex of CAT's identifiers, the rows' uuid).
fn normal(v: &Value, names: &[(String, &str)]) -> Value {
    let mut text = v.to_string();
    for (id, role) in names {
        let hex = id.split_once('_').unwrap().1;
        let uuid = uuid::Uuid::parse_str(hex).unwrap().hyphenated().to_string();
        text = text
            .replace(id.as_str(), role)
            .replace(hex, role)
            .replace(&uuid, role);
    }
    serde_json::from_str(&text).unwrap()
}

/// An answer without the alerts' ids (each database issues its own).
fn answer(v: &Value) -> Value {
    let mut v = v.clone();
    for a in v["alerts"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("id");
    }
    v
}

/// What the events left: the day's CAT and OATS reports, the alerts (newest first), and the
/// rows behind them (orders, trades in the order surveillance reads them, events in the order
/// the reports read them), the ids the database issues left out.
async fn state(app: &TestServer, pool: &sqlx::PgPool) -> Value {
    let mut out = serde_json::Map::new();
    for report in ["cat", "oats"] {
        let (s, r) = get(
            app,
            &format!("/v1/reporting/{report}?date=2026-03-10"),
            "acme/carla",
        )
        .await;
        assert_eq!(s, 200, "{r}");
        out.insert(report.into(), r);
    }
    let (s, page) = get(app, "/v1/surveillance/alerts?limit=500", "acme/carla").await;
    assert_eq!(s, 200, "{page}");
    let alerts: Vec<Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.clone();
            a.as_object_mut().unwrap().remove("id");
            a
        })
        .collect();
    out.insert("alerts".into(), json!(alerts));
    for (name, sql) in [
        (
            "orders",
            "SELECT to_jsonb(o) - 'last_check_id' FROM orders o ORDER BY id",
        ),
        (
            "trades",
            "SELECT to_jsonb(t) - 'seq' FROM trades t ORDER BY seq",
        ),
        (
            "events",
            "SELECT to_jsonb(e) - 'received_at' FROM events e ORDER BY received_at, id",
        ),
        (
            "alert_rows",
            "SELECT to_jsonb(a) - 'id' FROM alerts a ORDER BY id",
        ),
    ] {
        let rows: Vec<Value> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        out.insert(name.into(), json!(rows));
    }
    Value::Object(out)
}

/// Another BD on a database of its own, its clock pinned at [`NOW`].
async fn another_bd() -> (testkit::db::ExtraDatabase, TestServer, Clock) {
    let db = testkit::db::ExtraDatabase::create(&bd::MIGRATOR).await;
    let clock = Clock::fixed(NOW);
    let app = app_with_clock(db.admin.clone(), VARS, None, clock.clone()).await;
    (db, app, clock)
}

/// `v` (an answer, or a [`state`]) without the times the BD received the events at (the
/// alerts' creation, the orders' last update) and the reports' time.
fn undated(v: &Value) -> Value {
    let mut v = v.clone();
    for report in ["cat", "oats"] {
        if let Some(r) = v.get_mut(report).and_then(Value::as_object_mut) {
            r.remove("generated_at");
        }
    }
    let alerts = ["/alerts", "/alert_rows"]
        .iter()
        .filter_map(|p| v.pointer(p).and_then(Value::as_array).map(|_| *p))
        .collect::<Vec<_>>();
    for p in alerts {
        for a in v.pointer_mut(p).unwrap().as_array_mut().unwrap() {
            let a = a.as_object_mut().unwrap();
            a.remove("created_at");
            a.remove("updated_at");
        }
    }
    if let Some(orders) = v.get_mut("orders").and_then(Value::as_array_mut) {
        for o in orders {
            o.as_object_mut().unwrap().remove("updated_at");
        }
    }
    v
}

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .unwrap()
}

fn duplicates(answers: &[Value]) -> Vec<bool> {
    answers
        .iter()
        .map(|a| a["duplicate"].as_bool().unwrap())
        .collect()
}

fn rules(answer: &Value) -> Vec<&str> {
    answer["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap())
        .collect()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_batch_has_the_effect_of_its_events_one_by_one(pool: sqlx::PgPool) {
    // Three BDs: the events one by one and in one batch at the same instant, and in batches of
    // 7 a millisecond apart (calls of one stream follow each other in time).
    let singles = app_with_clock(pool.clone(), VARS, None, Clock::fixed(NOW)).await;
    let (db, batched, _) = another_bd().await;
    let (db7, batched7, clock7) = another_bd().await;
    let (w1, w2, w3) = (
        world(&singles).await,
        world(&batched).await,
        world(&batched7).await,
    );
    let (events1, events2, events3) = (scenario(&w1), scenario(&w2), scenario(&w3));
    assert_eq!(events1.len(), 24);

    let mut one_by_one = Vec::new();
    for e in &events1 {
        one_by_one.push(answer(&one(&singles, e).await));
    }
    let together: Vec<Value> = batch(&batched, &events2).await.iter().map(answer).collect();
    let mut in_sevens = Vec::new();
    for chunk in events3.chunks(7) {
        in_sevens.extend(batch(&batched7, chunk).await.iter().map(answer));
        clock7.advance(time::Duration::milliseconds(1));
    }

    for (i, s) in one_by_one.iter().enumerate() {
        assert_eq!(
            together[i]["event_id"], events2[i]["id"],
            "in the request's order"
        );
        let expected = normal(s, &w1.names);
        assert_eq!(normal(&together[i], &w2.names), expected, "event {i}");
        assert_eq!(
            normal(&undated(&in_sevens[i]), &w3.names),
            undated(&expected),
            "event {i}, batches of 7"
        );
    }
    let s1 = normal(&state(&singles, &pool).await, &w1.names);
    let s2 = normal(&state(&batched, &db.admin).await, &w2.names);
    let s3 = normal(&undated(&state(&batched7, &db7.admin).await), &w3.names);
    let s1_undated = undated(&s1);
    for key in [
        "cat",
        "oats",
        "alerts",
        "orders",
        "trades",
        "events",
        "alert_rows",
    ] {
        assert_eq!(s2[key], s1[key], "{key}");
        assert_eq!(s3[key], s1_undated[key], "{key}, batches of 7");
    }

    // What the scenario holds, so that the comparison means something.
    let dup: Vec<usize> = (0..together.len())
        .filter(|&i| together[i]["duplicate"] == true)
        .collect();
    assert_eq!(dup, [13, 14], "ids seen before in the batch");
    assert_eq!(rules(&together[8]), ["wash_trade"], "shared owner");
    assert_eq!(rules(&together[9]), ["wash_trade"], "the same investor");
    assert_eq!(rules(&together[10]), ["price_deviation"]);
    let previous = |i: usize| together[i]["alerts"][0]["details"]["previous_trade_id"].clone();
    assert_eq!(
        previous(11),
        events2[3]["data"]["id"],
        "the first of the day"
    );
    assert_eq!(
        previous(12),
        events2[11]["data"]["id"],
        "the later at the same time"
    );
    assert_eq!(together[15]["alerts"], json!([]), "a trade resent");
    assert!(
        rules(&together[21]).contains(&"concentration"),
        "{}",
        together[21]
    );
    let cat = &s2["cat"];
    assert_eq!(cat["records"].as_array().unwrap().len(), 12, "{cat}");
    assert_eq!(cat["exceptions"].as_array().unwrap().len(), 5, "{cat}");
    assert_eq!(cat["out_of_scope_events"], 2);
    let statuses: Vec<&str> = s2["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "open",
            "open",
            "cancelled",
            "open",
            "open",
            "rejected",
            "expired",
            "cancelled",
            "open"
        ]
    );
    assert_eq!(count(&db.admin, "events").await, 22);
    assert_eq!(count(&db.admin, "trades").await, 9);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_batch_s_order_is_the_order_applied(pool: sqlx::PgPool) {
    let app = app_with_clock(pool.clone(), VARS, None, Clock::fixed(NOW)).await;
    // A Reg CF buyer with a $3,000 limit; pre-trade reserves $2,000 for an order.
    let mut limited = individual("Alan Turing", "GB");
    limited["annual_income"] = json!("50000");
    limited["net_worth"] = json!("60000");
    let buyer = create(&app, limited).await;
    assert_eq!(kyc(&app, &buyer).await["status"], "approved");
    let asset = new_id("ast");
    let buy = |qty: &str| order_request(&buyer, &asset, "buy", qty, "10", "reg_cf");
    let reserved = buy("200");
    assert_eq!(pre_trade(&app, reserved.clone()).await["approved"], true);
    let check = pre_trade(&app, buy("150")).await;
    assert_eq!(check["reasons"][0]["code"], "investment_limit_exceeded");

    // Accepted, then cancelled, in one batch: the order ends cancelled and its reservation is
    // released.
    let o = order(
        reserved["order_id"].as_str().unwrap(),
        &buyer,
        &asset,
        "buy",
        "200",
        Some("10"),
        t(0),
    );
    let cancelled = with(
        o.clone(),
        json!({"status": "cancelled", "cancel_reason": "requested"}),
    );
    // At the same instant, and the cancel's event id before the acceptance's: only the order
    // of the batch puts the acceptance first.
    let cancelled = with(cancelled, json!({"updated_at": rfc3339(t(0))}));
    let mut events = [
        order_event("order.accepted", &o, t(0)),
        order_event("order.cancelled", &cancelled, t(0)),
    ];
    events[0]["id"] = json!(id("evt", 2));
    events[1]["id"] = json!(id("evt", 1));
    let got = batch(&app, &events).await;
    assert_eq!(duplicates(&got), [false, false]);
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(uuid::Uuid::parse_str(&reserved["order_id"].as_str().unwrap()[4..]).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    let check = pre_trade(&app, buy("150")).await;
    assert_eq!(check["approved"], true, "{check}");
    // The report reads them in that order: the new order, then its cancel.
    let (_, scope) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/v1/reporting/securities/{asset}"),
        "acme/carla",
        Some(json!({"symbol": "ACME", "cat_reportable": true})),
    )
    .await;
    assert_eq!(scope["cat_reportable"], true);
    let (_, report) = get(&app, "/v1/reporting/cat?date=2026-03-10", "acme/carla").await;
    let kinds: Vec<&str> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["MENO", "MEOC"], "{report}");

    // Cancelled, then accepted (late): a final status is never left, as one by one.
    let late = order(&new_id("ord"), &buyer, &asset, "buy", "1", Some("10"), t(2));
    let got = batch(
        &app,
        &[
            order_event(
                "order.cancelled",
                &with(late.clone(), json!({"status": "cancelled"})),
                t(3),
            ),
            order_event("order.accepted", &late, t(2)),
        ],
    )
    .await;
    assert_eq!(duplicates(&got), [false, false]);
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(uuid::Uuid::parse_str(&late["id"].as_str().unwrap()[4..]).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");

    // Each trade is compared with the one before it in the batch: 100 then 150 alerts on the
    // second; 150 then 100 too, against 150.
    for (first, second, previous) in [("100", "150", "100"), ("150", "100", "150")] {
        let asset = new_id("ast");
        let a = trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", first, t(10));
        let b = trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", second, t(11));
        let got = batch(&app, &[a.clone(), b]).await;
        assert_eq!(got[0]["alerts"], json!([]));
        assert_eq!(rules(&got[1]), ["price_deviation"]);
        let details = &got[1]["alerts"][0]["details"];
        assert_eq!(details["previous_price"], previous);
        assert_eq!(details["previous_trade_id"], a["data"]["id"]);
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn duplicates_within_a_batch_and_across_calls(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let asset = new_id("ast");
    let x = new_id("inv");
    let now = OffsetDateTime::now_utc();
    let accepted = order_event(
        "order.accepted",
        &order(&new_id("ord"), &x, &asset, "buy", "5", Some("10"), now),
        now,
    );
    let mut changed = accepted.clone();
    changed["data"]["quantity"] = json!("500");
    let trade = trade_event(&asset, &x, &x, "5", "10", now);
    let mut resent = trade.clone();
    resent["id"] = json!(new_id("evt"));

    // The same id twice (the second with other content), a trade, the same trade under another
    // event id: only the first of an id counts, and a trade is surveilled once.
    let got = batch(&app, &[accepted.clone(), changed, trade.clone(), resent]).await;
    assert_eq!(duplicates(&got), [false, true, false, false]);
    assert_eq!(rules(&got[2]), ["wash_trade"]);
    assert_eq!(got[3]["alerts"], json!([]));
    assert_eq!(got[1]["event_id"], accepted["id"]);
    assert_eq!(got[1]["type"], "order.accepted");
    let quantity: rust_decimal::Decimal = sqlx::query_scalar("SELECT quantity FROM orders")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(quantity.to_string(), "5", "the first of the id applied");
    assert_eq!(count(&pool, "events").await, 3);
    assert_eq!(count(&pool, "trades").await, 1);
    assert_eq!(count(&pool, "alerts").await, 1);

    // Across calls: batch after batch, a single after a batch and a batch after a single.
    let next = order_event(
        "order.cancelled",
        &order(&new_id("ord"), &x, &asset, "buy", "5", Some("10"), now),
        now,
    );
    let got = batch(&app, &[trade.clone(), next.clone(), accepted.clone()]).await;
    assert_eq!(duplicates(&got), [true, false, true]);
    assert_eq!(got[0]["alerts"], json!([]));
    let (s, v) = post_service(&app, "/v1/events", "acme", next).await;
    assert_eq!((s, &v["duplicate"]), (200, &json!(true)), "{v}");
    let alone = order_event(
        "order.expired",
        &order(&new_id("ord"), &x, &asset, "sell", "1", Some("10"), now),
        now,
    );
    let (s, v) = post_service(&app, "/v1/events", "acme", alone.clone()).await;
    assert_eq!((s, &v["duplicate"]), (200, &json!(false)), "{v}");
    assert_eq!(duplicates(&batch(&app, &[alone]).await), [true]);
    assert_eq!(count(&pool, "events").await, 5);
    assert_eq!(count(&pool, "alerts").await, 1);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_retry_with_the_same_idempotency_key_replays_the_answer(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let x = new_id("inv");
    let trade = trade_event(&new_id("ast"), &x, &x, "1", "10", OffsetDateTime::now_utc());
    let body = json!({ "events": [trade] });
    let send_once = || {
        testkit::send(
            app.post("/v1/events/batch")
                .bearer_auth(service())
                .header("x-iam-org", "acme")
                .header("idempotency-key", "batch-1")
                .json(&body),
        )
    };
    let (s1, first) = send_once().await;
    let (s2, again) = send_once().await;
    assert_eq!((s1, s2), (200, 200), "{first} {again}");
    assert_eq!(again, first, "the first answer, alert included");
    assert_eq!(first["results"][0]["duplicate"], false);
    assert_eq!(count(&pool, "alerts").await, 1);
    // Without the key, the same batch again is a redelivery: applied once.
    let (s, v) = post_service(&app, "/v1/events/batch", "acme", body).await;
    assert_eq!(
        (s, &v["results"][0]["duplicate"]),
        (200, &json!(true)),
        "{v}"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_wash_trade_in_a_batch_raises_its_alert(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let owned_by = |name: &str| {
        json!({
            "type": "entity", "legal_name": name, "email": "ops@example.com", "country": "US",
            "beneficial_owners": [{"name": "Hedy Lamarr", "ownership_percent": "50",
                                   "country": "US", "date_of_birth": "1970-01-01"}]
        })
    };
    let e1 = create(&app, owned_by("Alpha Holdings LLC")).await;
    let e2 = create(&app, owned_by("Beta Capital Inc")).await;
    let now = OffsetDateTime::now_utc();
    let o = order(&new_id("ord"), &e1, &asset, "buy", "1", Some("10"), now);
    let wash = trade_event(&asset, &e1, &e2, "1", "10", now);
    let fine = trade_event(&asset, &e1, &new_id("inv"), "1", "10", now);
    let got = batch(
        &app,
        &[order_event("order.accepted", &o, now), wash.clone(), fine],
    )
    .await;
    assert_eq!(got[0]["alerts"], json!([]));
    assert_eq!(got[2]["alerts"], json!([]));
    assert_eq!(rules(&got[1]), ["wash_trade"]);
    let alert = &got[1]["alerts"][0];
    assert_eq!(alert["details"]["basis"], "shared_beneficial_owner");
    assert_eq!(alert["trade_id"], wash["data"]["id"]);
    assert_eq!(alert["investor_ids"], json!([e1, e2]));
    assert_eq!(alert["status"], "open");
    assert_eq!(alert["history"], json!([]));
    // Kept, and shown as the single endpoint's alerts are.
    let (s, listed) = get(
        &app,
        &format!("/v1/surveillance/alerts/{}", alert["id"].as_str().unwrap()),
        "acme/carla",
    )
    .await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(&listed, alert);
}

/// A change that makes a valid event invalid.
type Spoil = Box<dyn Fn(&mut Value)>;

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn bad_batches_are_refused_whole(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let now = OffsetDateTime::now_utc();
    let asset = new_id("ast");
    let ok_order = || {
        order_event(
            "order.accepted",
            &order(
                &new_id("ord"),
                &new_id("inv"),
                &asset,
                "buy",
                "1",
                Some("10"),
                now,
            ),
            now,
        )
    };
    let ok_trade = || trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", "10", now);
    let many: Vec<Value> = (0..501).map(|_| ok_order()).collect();
    let mut cases: Vec<(Value, String)> = vec![
        (json!({"events": []}), "events".into()),
        (json!({"events": many}), "events".into()),
        (json!({}), "events".into()),
        (json!({"events": ok_order()}), "events".into()),
        (
            json!({"events": [ok_order()], "organization_id": "acme"}),
            "organization_id".into(),
        ),
        (json!({"events": [ok_order(), "evt"]}), "events[1]".into()),
        (
            json!({"events": [ok_order(), [ok_order()]]}),
            "events[1]".into(),
        ),
    ];
    // Each case spoils the entry at 3 of a mixed batch, the others valid.
    let spoilt = |f: &dyn Fn(&mut Value), trade: bool| {
        let mut entries = vec![ok_order(), ok_trade(), ok_order()];
        let mut e = if trade { ok_trade() } else { ok_order() };
        f(&mut e);
        entries.push(e);
        entries.push(ok_trade());
        json!({ "events": entries })
    };
    let spoils: Vec<(Spoil, bool, &str)> = vec![
        (
            Box::new(|e| e["data"]["quantity"] = json!("0")),
            true,
            "data.quantity",
        ),
        (
            Box::new(|e| e["data"]["quantity"] = json!("1e13")),
            false,
            "data.quantity",
        ),
        (
            Box::new(|e| e["data"]["quantity"] = json!("abc")),
            false,
            "data.quantity",
        ),
        (
            Box::new(|e| e["data"]["price"] = json!("-1")),
            true,
            "data.price",
        ),
        (
            Box::new(|e| e["data"]["stop_price"] = json!("0.000000001")),
            false,
            "data.stop_price",
        ),
        (
            Box::new(|e| e["data"]["side"] = json!("hold")),
            false,
            "data.side",
        ),
        (
            Box::new(|e| {
                e["data"].as_object_mut().unwrap().remove("executed_at");
            }),
            true,
            "data.executed_at",
        ),
        (
            Box::new(|e| e["type"] = json!("trade.busted")),
            true,
            "type",
        ),
        (Box::new(|e| e["id"] = json!("evt_123")), false, "id"),
        (
            Box::new(|e| {
                e.as_object_mut().unwrap().remove("organization_id");
            }),
            false,
            "organization_id",
        ),
        (
            Box::new(|e| e["created_at"] = json!("yesterday")),
            true,
            "created_at",
        ),
    ];
    for (f, trade, field) in &spoils {
        cases.push((spoilt(f.as_ref(), *trade), format!("events[3].{field}")));
    }
    for (body, field) in cases {
        let got = post_service(&app, "/v1/events/batch", "acme", body).await;
        let d = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(d["fields"].get(&field).is_some(), "{field}: {d}");
    }
    let raw = testkit::send(
        app.post("/v1/events/batch")
            .bearer_auth(service())
            .header("x-iam-org", "acme")
            .header("content-type", "application/json")
            .body("{\"events\": ["),
    )
    .await;
    assert_error(&raw, 400, "MALFORMED_JSON");
    // An entry for another organization: 403, naming it.
    let mut foreign = vec![ok_order(), ok_trade(), ok_order()];
    foreign[2]["organization_id"] = json!("globex");
    let got = post_service(
        &app,
        "/v1/events/batch",
        "acme",
        json!({ "events": foreign }),
    )
    .await;
    let d = assert_error(&got, 403, "FORBIDDEN");
    assert_eq!(d["field"], "events[2].organization_id");
    assert_eq!(d["organization_id"], "globex");
    for table in ["events", "orders", "trades", "alerts"] {
        assert_eq!(count(&pool, table).await, 0, "nothing recorded in {table}");
    }

    // 500 is the most, and fine.
    let full: Vec<Value> = (0..500)
        .map(|i| if i % 3 == 2 { ok_trade() } else { ok_order() })
        .collect();
    assert_eq!(batch(&app, &full).await.len(), 500);
    assert_eq!(count(&pool, "events").await, 500);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn only_the_platform_s_services_may_deliver_a_batch(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let now = OffsetDateTime::now_utc();
    let body = json!({"events": [trade_event(&new_id("ast"), &new_id("inv"), &new_id("inv"), "1", "10", now)]});
    for user in ["acme/admin", "acme/carla", "acme/alice", "acme/vic"] {
        assert_error(
            &post(&app, "/v1/events/batch", user, body.clone()).await,
            403,
            "FORBIDDEN",
        );
    }
    // The role is judged before the body.
    assert_error(
        &post(
            &app,
            "/v1/events/batch",
            "acme/admin",
            json!({"events": []}),
        )
        .await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &testkit::send(app.post("/v1/events/batch").json(&body)).await,
        401,
        "UNAUTHENTICATED",
    );
    let got = testkit::send(
        app.post("/v1/events/batch")
            .bearer_auth(service())
            .json(&body),
    )
    .await;
    let d = assert_error(&got, 403, "FORBIDDEN");
    assert_eq!(got.1["error"]["message"], "missing organization", "{d}");
    assert_eq!(count(&pool, "events").await, 0);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn another_organization_sees_nothing_of_the_first_s(pool: sqlx::PgPool) {
    let app = app_with_clock(pool.clone(), VARS, None, Clock::fixed(NOW)).await;
    let w = world(&app).await;
    let events = scenario(&w);
    let got = batch(&app, &events).await;
    assert!(
        got.iter()
            .any(|a| !a["alerts"].as_array().unwrap().is_empty())
    );

    // globex: no alerts, no report, none of acme's orders, events or trades.
    let (s, page) = get(&app, "/v1/surveillance/alerts", "globex/admin").await;
    assert_eq!((s, &page["data"]), (200, &json!([])));
    let (s, report) = get(&app, "/v1/reporting/cat?date=2026-03-10", "globex/admin").await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["records"], json!([]));
    assert_eq!(report["exceptions"], json!([]));
    assert_eq!(report["out_of_scope_events"], 0);
    let acme_alert = got[8]["alerts"][0]["id"].as_str().unwrap();
    assert_error(
        &get(
            &app,
            &format!("/v1/surveillance/alerts/{acme_alert}"),
            "globex/admin",
        )
        .await,
        404,
        "NOT_FOUND",
    );
    // The same event ids, delivered for globex, are globex's own: none is a duplicate, and
    // nothing of acme's is seen (no previous trade, no day's volume, no owners: acme's
    // entities are unknown to globex).
    let theirs: Vec<Value> = events
        .iter()
        .map(|e| with(e.clone(), json!({"organization_id": "globex"})))
        .collect();
    let (s, v) = post_service(
        &app,
        "/v1/events/batch",
        "globex",
        json!({ "events": theirs }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let answers = v["results"].as_array().unwrap();
    assert_eq!(
        duplicates(answers),
        duplicates(&got),
        "the same ids, the organization's own"
    );
    assert_eq!(
        answers[8]["alerts"],
        json!([]),
        "acme's owners are not globex's"
    );
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT organization_id, COUNT(*) FROM events GROUP BY organization_id ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(counts, [("acme".into(), 22), ("globex".into(), 22)]);
    // acme's answers and state are unchanged by globex's delivery.
    assert_eq!(
        duplicates(&batch(&app, &events).await),
        vec![true; events.len()]
    );
}

/// `n` events of one book as the ATS writes them for a busy stream: an order accepted and
/// filled against a resting one (its `trade.executed`), another accepted and then cancelled by
/// its customer; each order and trade of other investors, all in a fresh asset.
fn a_busy_book(n: usize) -> Vec<Value> {
    let asset = new_id("ast");
    let start = OffsetDateTime::now_utc();
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    while out.len() < n {
        let at = start + time::Duration::milliseconds(k);
        k += 1;
        let (buyer, seller) = (new_id("inv"), new_id("inv"));
        let buy = order(
            &new_id("ord"),
            &buyer,
            &asset,
            "buy",
            "10",
            Some("12.5"),
            at,
        );
        let mut trade = trade_event(&asset, &buyer, &seller, "10", "12.5", at);
        trade["data"]["buy_order_id"] = buy["id"].clone();
        let other = order(&new_id("ord"), &seller, &asset, "sell", "3", Some("13"), at);
        let cancelled = with(
            other.clone(),
            json!({"status": "cancelled", "cancel_reason": "requested"}),
        );
        out.push(order_event("order.accepted", &buy, at));
        out.push(trade);
        out.push(order_event("order.accepted", &other, at));
        out.push(order_event("order.cancelled", &cancelled, at));
    }
    out.truncate(n);
    out
}

/// 200 events delivered one call each (one after the other, as the ATS's dispatcher delivers a
/// stream) against one batch of 200, on an in-process BD. Run it in release for the figures:
/// `cargo test --release -p bd --test events_batch -- --ignored --nocapture`.
#[sqlx::test(migrator = "bd::MIGRATOR")]
#[ignore = "a measurement; run in release with --ignored --nocapture"]
async fn measure_single_calls_against_one_batch(pool: sqlx::PgPool) {
    const N: usize = 200;
    const ROUNDS: usize = 7;
    let app = app(pool).await;
    let app = &app;
    // Warm up the connections and the statements.
    for e in a_busy_book(8) {
        one(app, &e).await;
    }
    batch(app, &a_busy_book(8)).await;

    let singles = median(ROUNDS, || {
        let events = a_busy_book(N);
        async move {
            for e in &events {
                one(app, e).await;
            }
        }
    })
    .await;
    let batched = median(ROUNDS, || {
        let events = a_busy_book(N);
        async move {
            batch(app, &events).await;
        }
    })
    .await;
    let largest = median(ROUNDS, || {
        let events = a_busy_book(500);
        async move {
            batch(app, &events).await;
        }
    })
    .await;
    let rate = |n: usize, d: std::time::Duration| n as f64 / d.as_secs_f64();
    let bytes = serde_json::to_vec(&json!({ "events": a_busy_book(N) }))
        .unwrap()
        .len();
    println!(
        "events, {N} of one book (accepted, trade, accepted, cancelled, ...; a {bytes}-byte \
         batch): {N} single calls one after the other {:.1} ms ({:.0} events/s); one batch \
         {:.1} ms ({:.0} events/s): {:.1}x; one batch of 500 {:.1} ms ({:.0} events/s)",
        singles.as_secs_f64() * 1e3,
        rate(N, singles),
        batched.as_secs_f64() * 1e3,
        rate(N, batched),
        singles.as_secs_f64() / batched.as_secs_f64(),
        largest.as_secs_f64() * 1e3,
        rate(500, largest),
    );
}
