//! CAT and OATS reports from the stored events, and the per-security CAT scope.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error};
use time::OffsetDateTime;
use time::macros::datetime;

async fn deliver(app: &TestServer, path: &str, event: Value) {
    let (s, v) = post_service(app, path, "acme", event).await;
    assert_eq!(s, 200, "{v}");
}

async fn scope(app: &TestServer, asset: &str, symbol: &str, on: bool) -> Value {
    let (s, v) = call(
        app,
        reqwest::Method::PUT,
        &format!("/v1/reporting/securities/{asset}"),
        "acme/carla",
        Some(json!({"symbol": symbol, "cat_reportable": on})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v
}

fn with(mut order: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        order[k] = v.clone();
    }
    order
}

/// One Eastern Time day (2026-03-10, daylight time) of events in asset A (in scope) and one
/// order in asset B (out of scope).
async fn a_day(app: &TestServer, a: &str, b: &str) -> (String, String, String) {
    let investor = new_id("inv");
    let other = new_id("inv");
    let t = |s: i64| datetime!(2026-03-10 15:00 UTC) + time::Duration::seconds(s);
    let o1 = new_id("ord");
    let o2 = new_id("ord");
    let o1_order = with(
        order(&o1, &investor, a, "buy", "10", Some("100"), t(0)),
        json!({"time_in_force": "day"}),
    );
    let o2_order = order(&o2, &other, a, "sell", "10", None, t(1));
    deliver(
        app,
        "/v1/events",
        order_event("order.accepted", &o1_order, t(0)),
    )
    .await;
    deliver(
        app,
        "/v1/events",
        order_event("order.accepted", &o2_order, t(1)),
    )
    .await;
    let mut trade = trade_event(a, &investor, &other, "10", "100", t(2));
    trade["data"]["buy_order_id"] = json!(o1);
    trade["data"]["sell_order_id"] = json!(o2);
    deliver(app, "/v1/compliance/post-trade", trade).await;
    // Accepted, then cancelled by the customer a minute later.
    let o3 = new_id("ord");
    let o3_order = order(&o3, &investor, a, "buy", "5", Some("99"), t(60));
    deliver(
        app,
        "/v1/events",
        order_event("order.accepted", &o3_order, t(60)),
    )
    .await;
    let cancelled = with(
        o3_order,
        json!({"status": "cancelled", "updated_at": rfc3339(t(120)), "cancel_reason": "requested"}),
    );
    deliver(
        app,
        "/v1/events",
        order_event("order.cancelled", &cancelled, t(120)),
    )
    .await;
    // Refused before the book; an IOC remainder cancelled; an expiry: no records.
    let o4 = order(&new_id("ord"), &investor, a, "buy", "1", Some("1"), t(130));
    deliver(
        app,
        "/v1/events",
        order_event(
            "order.rejected",
            &with(
                o4,
                json!({"status": "rejected", "reject_reason": "compliance"}),
            ),
            t(130),
        ),
    )
    .await;
    let o5 = with(
        order(&new_id("ord"), &investor, a, "buy", "1", Some("1"), t(140)),
        json!({"time_in_force": "ioc"}),
    );
    deliver(
        app,
        "/v1/events",
        order_event("order.accepted", &o5, t(140)),
    )
    .await;
    deliver(
        app,
        "/v1/events",
        order_event(
            "order.cancelled",
            &with(o5, json!({"cancel_reason": "immediate_or_cancel"})),
            t(141),
        ),
    )
    .await;
    let o6 = with(
        order(&new_id("ord"), &investor, a, "buy", "1", Some("1"), t(150)),
        json!({"time_in_force": "day"}),
    );
    deliver(app, "/v1/events", order_event("order.expired", &o6, t(150))).await;
    // A trade whose orders the BD never heard of.
    deliver(
        app,
        "/v1/compliance/post-trade",
        trade_event(a, &investor, &other, "1", "100", t(200)),
    )
    .await;
    // Out of scope.
    let o7 = order(&new_id("ord"), &investor, b, "buy", "1", Some("1"), t(10));
    deliver(app, "/v1/events", order_event("order.accepted", &o7, t(10))).await;
    // Another day.
    let o8 = order(
        &new_id("ord"),
        &investor,
        a,
        "buy",
        "1",
        Some("1"),
        t(86_400),
    );
    deliver(
        app,
        "/v1/events",
        order_event("order.accepted", &o8, t(86_400)),
    )
    .await;
    (o1, o2, o3)
}

fn of_type<'a>(records: &'a [Value], key: &str, value: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r[key] == value).collect()
}

/// The firm reports the venue's trades on Form T: `reportingExceptionCode` `F`.
const FORM_T: &[(&str, &str)] = &[("CAT_REPORTING_EXCEPTION_CODE", "F")];

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn cat_report_of_a_day(pool: sqlx::PgPool) {
    let app = app_with(pool, FORM_T, None).await;
    let a = new_id("ast");
    let b = new_id("ast");
    let (o1, o2, o3) = a_day(&app, &a, &b).await;

    // Nothing is in scope until switched in.
    let (s, r) = get(&app, "/v1/reporting/cat?date=2026-03-10", "acme/carla").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["records"], json!([]));
    assert_eq!(r["out_of_scope_events"], 11);
    scope(&app, &b, "BETA", false).await;
    scope(&app, &a, "ACME", true).await;

    let (_, r) = get(&app, "/v1/reporting/cat?date=2026-03-10", "acme/admin").await;
    assert_valid_cat_day(&r);
    assert_eq!(r["reporter_imid"], "LQDY");
    assert_eq!(r["out_of_scope_events"], 1);
    let records = r["records"].as_array().unwrap();
    let meno = of_type(records, "type", "MENO");
    let meoc = of_type(records, "type", "MEOC");
    let meot = of_type(records, "type", "MEOT");
    assert_eq!((meno.len(), meoc.len(), meot.len()), (4, 1, 1), "{r}");
    let first = meno[0];
    assert_eq!(first["orderID"], o1.as_str());
    assert_eq!(first["CATReporterIMID"], "LQDY");
    assert_eq!(first["symbol"], "ACME");
    assert_eq!(first["side"], "B");
    assert_eq!(first["orderType"], "LMT");
    assert_eq!(first["price"], 100);
    assert_eq!(first["quantity"], 10);
    assert_eq!(first["timeInForce"], json!({"DAY": 20260310}));
    assert_eq!(first["eventTimestamp"], "20260310 110000.000");
    assert!(
        first["firmROEID"]
            .as_str()
            .unwrap()
            .starts_with("20260310_evt_")
    );
    assert_eq!(meno[1]["orderType"], "MKT");
    assert_eq!(meno[1]["side"], "SL");
    assert_eq!(meoc[0]["orderID"], o3.as_str());
    assert_eq!(meoc[0]["cancelQty"], 5);
    assert_eq!(meoc[0]["eventTimestamp"], "20260310 110200.000");
    assert_eq!(meot[0]["buyDetails"][0]["orderID"], o1.as_str());
    assert_eq!(meot[0]["sellDetails"][0]["orderID"], o2.as_str());
    assert_eq!(meot[0]["sellDetails"][0]["side"], "SL");
    assert_eq!(meot[0]["reportingExceptionCode"], "F");
    assert_eq!(meot[0]["multiLegInd"], false);
    assert_eq!(first["solicitationFlag"], false);
    assert_eq!(meoc[0]["initiator"], "C");
    // In event time order.
    let times: Vec<&str> = records
        .iter()
        .map(|r| r["eventTimestamp"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    // The trade whose orders are unknown is an exception, not a failed report.
    assert_eq!(r["exceptions"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["exceptions"][0]["type"], "trade.executed");
    // The same report again: the same records.
    let (_, again) = get(&app, "/v1/reporting/cat?date=2026-03-10", "acme/carla").await;
    assert_eq!(again["records"], r["records"]);
    // The next day holds the other order only; another organization sees nothing.
    let (_, next) = get(&app, "/v1/reporting/cat?date=2026-03-11", "acme/carla").await;
    assert_eq!(next["records"].as_array().unwrap().len(), 1);
    let (_, globex) = get(&app, "/v1/reporting/cat?date=2026-03-10", "globex/admin").await;
    assert_eq!(globex["records"], json!([]));
    assert_eq!(globex["out_of_scope_events"], 0);

    // The OATS layout of the same day.
    let (s, o) = get(&app, "/v1/reporting/oats?date=2026-03-10", "acme/carla").await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["retired"], true);
    assert!(o["notice"].as_str().unwrap().contains("2021-09-01"));
    assert_eq!(o["mpid"], "LQDY");
    let records = o["records"].as_array().unwrap();
    let count = |code: &str| of_type(records, "Order Event Type Code", code).len();
    assert_eq!((count("NW"), count("CL"), count("EX")), (4, 1, 2), "{o}");
    assert_eq!(o["exceptions"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn reporter_ids_are_configurable(pool: sqlx::PgPool) {
    let app = app_with(
        pool,
        &[("CAT_IMID", "ABCD123"), ("OATS_MPID", "WXYZ")],
        None,
    )
    .await;
    let a = new_id("ast");
    scope(&app, &a, "ACME", true).await;
    let now = OffsetDateTime::now_utc();
    let o = order(
        &new_id("ord"),
        &new_id("inv"),
        &a,
        "buy",
        "1",
        Some("1"),
        now,
    );
    deliver(&app, "/v1/events", order_event("order.accepted", &o, now)).await;
    let date = compliance::cat::eastern::eastern_date(now);
    let (_, r) = get(
        &app,
        &format!("/v1/reporting/cat?date={date}"),
        "acme/carla",
    )
    .await;
    assert_eq!(r["reporter_imid"], "ABCD123");
    assert_eq!(r["records"][0]["CATReporterIMID"], "ABCD123");
    let (_, o) = get(
        &app,
        &format!("/v1/reporting/oats?date={date}"),
        "acme/carla",
    )
    .await;
    assert_eq!(o["records"][0]["Order Receiving Firm MPID"], "WXYZ");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn report_refusals(pool: sqlx::PgPool) {
    let app = app(pool).await;
    for path in ["/v1/reporting/cat", "/v1/reporting/oats"] {
        for q in ["", "?date=", "?date=2026-02-30", "?date=10/03/2026"] {
            let got = get(&app, &format!("{path}{q}"), "acme/carla").await;
            assert_error(&got, 400, "VALIDATION_ERROR");
        }
        for user in ["acme/alice", "acme/vic"] {
            let got = get(&app, &format!("{path}?date=2026-03-10"), user).await;
            assert_error(&got, 403, "FORBIDDEN");
        }
        let (s, _) = get_service(&app, &format!("{path}?date=2026-03-10"), "acme").await;
        assert_eq!(s, 403);
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_cat_scope_of_securities(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let a = new_id("ast");
    let v = scope(&app, &a, "ACME", true).await;
    assert_eq!(v["asset_id"], a.as_str());
    assert_eq!(v["cat_reportable"], true);
    assert_eq!(v["updated_by"], "carla");
    let v = scope(&app, &a, "ACME.B", false).await;
    assert_eq!(v["cat_reportable"], false);
    assert_eq!(v["symbol"], "ACME.B");
    let b = new_id("ast");
    scope(&app, &b, "BETA", true).await;

    let (s, page) = get(&app, "/v1/reporting/securities", "acme/vic").await;
    assert_eq!(s, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let (_, page) = get(
        &app,
        "/v1/reporting/securities?cat_reportable=true",
        "acme/alice",
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["symbol"], "BETA");
    let (_, page) = get(&app, "/v1/reporting/securities", "globex/admin").await;
    assert_eq!(page["data"], json!([]));

    let put = |user: &'static str, asset: String, body: Value| {
        let app = &app;
        async move {
            call(
                app,
                reqwest::Method::PUT,
                &format!("/v1/reporting/securities/{asset}"),
                user,
                Some(body),
            )
            .await
        }
    };
    for user in ["acme/alice", "acme/vic"] {
        let got = put(
            user,
            a.clone(),
            json!({"symbol": "ACME", "cat_reportable": true}),
        )
        .await;
        assert_error(&got, 403, "FORBIDDEN");
    }
    let got = put(
        "acme/carla",
        "ast_nope".into(),
        json!({"symbol": "ACME", "cat_reportable": true}),
    )
    .await;
    assert_error(&got, 404, "NOT_FOUND");
    let (s, _) = put(
        "acme/carla",
        a.clone(),
        json!({"symbol": "ABCDEFGHIJKLMNOP", "cat_reportable": true}),
    )
    .await;
    assert_eq!(s, 200);
    for body in [
        json!({"symbol": "ABCDEFGHIJKLMNOPQ", "cat_reportable": true}),
        json!({"symbol": "acme", "cat_reportable": true}),
        json!({"symbol": "", "cat_reportable": true}),
        json!({"symbol": "ACME"}),
        json!({"symbol": "ACME", "cat_reportable": "yes"}),
        json!({"symbol": "ACME", "cat_reportable": true, "organization_id": "globex"}),
    ] {
        let got = put("acme/carla", a.clone(), body.clone()).await;
        assert_error(&got, 400, "VALIDATION_ERROR");
    }
}

/// Every record of the day, checked by the spec checker of the compliance crate (record by
/// record, and the day's links between cancels, trades and their orders).
fn assert_valid_cat_day(report: &Value) {
    let records = report["records"].as_array().unwrap();
    let faults = compliance::cat::validate::check_day(records);
    assert!(faults.is_empty(), "{faults:#?}\n{report:#}");
}

/// A day of the venue as the ATS reports it: every order type and time in force, a customer's
/// cancel after a partial fill, self-trade prevention, market orders with nothing to match,
/// IOC and FOK remainders, day orders expiring, and trades.
#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_cat_trail_of_a_real_day(pool: sqlx::PgPool) {
    let app = app_with(pool, FORM_T, None).await;
    let a = new_id("ast");
    scope(&app, &a, "ACME", true).await;
    let t = |s: i64| datetime!(2026-03-10 14:00 UTC) + time::Duration::seconds(s);
    let alice = new_id("inv");
    let bob = new_id("inv");
    let app = &app;
    let accept = |id: &str, investor: &str, side: &str, ot: &str, tif: &str, qty: &str, s: i64| {
        let (price, stop) = match ot {
            "limit" => (Some("10.25"), None),
            "stop" => (None, Some("9.75")),
            "stop_limit" => (Some("9.70"), Some("9.75")),
            _ => (None, None),
        };
        let o = with(
            order(id, investor, &a, side, qty, price, t(s)),
            json!({"order_type": ot, "time_in_force": tif, "stop_price": stop}),
        );
        async move {
            deliver(app, "/v1/events", order_event("order.accepted", &o, t(s))).await;
            o
        }
    };
    let end = |o: Value, kind: &'static str, reason: Option<&str>, filled: &str, s: i64| {
        let status = if kind == "order.expired" {
            "expired"
        } else {
            "cancelled"
        };
        let o = with(
            o,
            json!({"status": status, "filled_quantity": filled, "remaining_quantity": "0",
                   "updated_at": rfc3339(t(s)), "cancel_reason": reason}),
        );
        async move { deliver(app, "/v1/events", order_event(kind, &o, t(s))).await }
    };
    let trade = |buy: &str, sell: &str, qty: &str, price: &str, s: i64| {
        let mut e = trade_event(&a, &alice, &bob, qty, price, t(s));
        e["data"]["buy_order_id"] = json!(buy);
        e["data"]["sell_order_id"] = json!(sell);
        async move { deliver(app, "/v1/compliance/post-trade", e).await }
    };

    // Every order type with every time in force.
    let mut s = 0;
    let mut accepted = 0;
    for tif in ["gtc", "day", "ioc", "fok"] {
        for ot in ["market", "limit", "stop", "stop_limit"] {
            s += 1;
            accept(&new_id("ord"), &alice, "buy", ot, tif, "10", s).await;
            accepted += 1;
        }
    }
    // A resting sell partly filled, then cancelled by its owner (C).
    let rest_id = new_id("ord");
    let rest = accept(&rest_id, &bob, "sell", "limit", "gtc", "100", 100).await;
    let mkt_id = new_id("ord");
    accept(&mkt_id, &alice, "buy", "market", "gtc", "40", 101).await;
    trade(&mkt_id, &rest_id, "40", "10.25", 101).await;
    end(rest, "order.cancelled", Some("requested"), "40", 160).await;
    // Self-trade prevention cancels bob's resting sell when bob buys (F).
    let stp_id = new_id("ord");
    let stp = accept(&stp_id, &bob, "sell", "limit", "day", "5", 200).await;
    accept(&new_id("ord"), &bob, "buy", "limit", "day", "5", 201).await;
    end(stp, "order.cancelled", Some("self_trade"), "0", 201).await;
    // Market orders with nothing to match: a gtc one is killed by the venue (F), an IOC one by
    // its time in force (not reported).
    let empty_id = new_id("ord");
    let empty = accept(&empty_id, &bob, "sell", "market", "gtc", "7", 300).await;
    end(empty, "order.cancelled", Some("no_liquidity"), "0", 300).await;
    let empty_ioc_id = new_id("ord");
    let empty_ioc = accept(&empty_ioc_id, &bob, "sell", "market", "ioc", "7", 301).await;
    end(empty_ioc, "order.cancelled", Some("no_liquidity"), "0", 301).await;
    // An IOC buy partly filled, its remainder cancelled; a FOK killed (neither reported).
    let seller_id = new_id("ord");
    accept(&seller_id, &bob, "sell", "limit", "gtc", "3", 400).await;
    let ioc_id = new_id("ord");
    let ioc = accept(&ioc_id, &alice, "buy", "limit", "ioc", "8", 401).await;
    trade(&ioc_id, &seller_id, "3", "10.25", 401).await;
    end(
        ioc,
        "order.cancelled",
        Some("immediate_or_cancel"),
        "3",
        401,
    )
    .await;
    let fok_id = new_id("ord");
    let fok = accept(&fok_id, &alice, "buy", "limit", "fok", "50", 402).await;
    end(fok, "order.cancelled", Some("fill_or_kill"), "0", 402).await;
    // Day orders at the close (not reported).
    let day1_id = new_id("ord");
    let day1 = accept(&day1_id, &alice, "buy", "limit", "day", "2", 500).await;
    end(day1, "order.expired", None, "0", 7 * 3600).await;
    let day2_id = new_id("ord");
    let day2 = accept(&day2_id, &bob, "sell", "stop_limit", "day", "2", 501).await;
    end(day2, "order.cancelled", Some("expired"), "0", 7 * 3600).await;
    accepted += 11;

    let (s, r) = get(app, "/v1/reporting/cat?date=2026-03-10", "acme/carla").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["exceptions"], json!([]), "{r:#}");
    assert_valid_cat_day(&r);
    let records = r["records"].as_array().unwrap();
    let count = |ty: &str| of_type(records, "type", ty).len();
    assert_eq!((count("MENO"), count("MEOT")), (accepted, 2), "{r:#}");
    let initiators: std::collections::HashMap<&str, &str> = of_type(records, "type", "MEOC")
        .iter()
        .map(|c| {
            (
                c["orderID"].as_str().unwrap(),
                c["initiator"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: std::collections::HashMap<&str, &str> = [
        (rest_id.as_str(), "C"),
        (stp_id.as_str(), "F"),
        (empty_id.as_str(), "F"),
    ]
    .into_iter()
    .collect();
    assert_eq!(initiators, expected, "{r:#}");
    let customer = of_type(records, "orderID", &rest_id);
    let cancel = customer.iter().find(|c| c["type"] == "MEOC").unwrap();
    assert_eq!(cancel["cancelQty"], 60);
    assert_eq!(cancel["leavesQty"], 0);
    assert_eq!(cancel["requestTimestamp"], cancel["eventTimestamp"]);
    // The OATS layout of the same day follows the same cancels.
    let (_, o) = get(app, "/v1/reporting/oats?date=2026-03-10", "acme/carla").await;
    let oats = o["records"].as_array().unwrap();
    assert_eq!(
        of_type(oats, "Order Event Type Code", "CL").len(),
        3,
        "{o:#}"
    );
}

/// Without a tape report and without CAT_REPORTING_EXCEPTION_CODE a trade has no valid MEOT: it
/// is listed as an exception, and so is a cancel whose initiator the ATS did not say.
#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn what_has_no_valid_cat_record_is_an_exception(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let a = new_id("ast");
    scope(&app, &a, "ACME", true).await;
    let t = |s: i64| datetime!(2026-03-10 15:00 UTC) + time::Duration::seconds(s);
    let (buyer, seller) = (new_id("inv"), new_id("inv"));
    let (b, s) = (new_id("ord"), new_id("ord"));
    let buy = order(&b, &buyer, &a, "buy", "10", Some("100"), t(0));
    let sell = order(&s, &seller, &a, "sell", "10", Some("100"), t(1));
    deliver(
        &app,
        "/v1/events",
        order_event("order.accepted", &buy, t(0)),
    )
    .await;
    deliver(
        &app,
        "/v1/events",
        order_event("order.accepted", &sell, t(1)),
    )
    .await;
    let mut trade = trade_event(&a, &buyer, &seller, "10", "100", t(2));
    trade["data"]["buy_order_id"] = json!(b);
    trade["data"]["sell_order_id"] = json!(s);
    deliver(&app, "/v1/compliance/post-trade", trade).await;
    let c = new_id("ord");
    let resting = order(&c, &buyer, &a, "buy", "1", Some("99"), t(3));
    deliver(
        &app,
        "/v1/events",
        order_event("order.accepted", &resting, t(3)),
    )
    .await;
    let gone = with(
        resting,
        json!({"status": "cancelled", "updated_at": rfc3339(t(4))}),
    );
    deliver(
        &app,
        "/v1/events",
        order_event("order.cancelled", &gone, t(4)),
    )
    .await;

    let (_, r) = get(&app, "/v1/reporting/cat?date=2026-03-10", "acme/carla").await;
    assert_valid_cat_day(&r);
    let records = r["records"].as_array().unwrap();
    assert_eq!(of_type(records, "type", "MENO").len(), 3, "{r:#}");
    assert!(of_type(records, "type", "MEOT").is_empty(), "{r:#}");
    assert!(of_type(records, "type", "MEOC").is_empty(), "{r:#}");
    let exceptions = r["exceptions"].as_array().unwrap();
    assert_eq!(exceptions.len(), 2, "{r:#}");
    let text = |ty: &str| {
        exceptions
            .iter()
            .find(|e| e["type"] == ty)
            .and_then(|e| e["error"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        text("trade.executed").contains("CAT_REPORTING_EXCEPTION_CODE"),
        "{r:#}"
    );
    assert!(text("order.cancelled").contains("cancel_reason"), "{r:#}");

    // An unknown cancel_reason is refused at the door, naming the field.
    let bad = with(
        gone_order(&a, &buyer, t(5)),
        json!({"cancel_reason": "bored"}),
    );
    let (status, v) = post_service(
        &app,
        "/v1/events",
        "acme",
        order_event("order.cancelled", &bad, t(5)),
    )
    .await;
    assert_eq!(status, 400, "{v}");
}

fn gone_order(asset: &str, investor: &str, at: OffsetDateTime) -> Value {
    with(
        order(&new_id("ord"), investor, asset, "buy", "1", Some("1"), at),
        json!({"status": "cancelled"}),
    )
}
