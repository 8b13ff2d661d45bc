//! The ATS's events (applied once), the surveillance detectors and the alerts' life cycle.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, send};
use time::OffsetDateTime;
use time::macros::datetime;

async fn deliver(app: &TestServer, event: &Value) -> Value {
    let (s, v) = post_service(app, "/v1/compliance/post-trade", "acme", event.clone()).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn rules(answer: &Value) -> Vec<String> {
    answer["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn count(pool: &sqlx::PgPool, table: &'static str) -> i64 {
    let sql = match table {
        "trades" => "SELECT COUNT(*) FROM trades",
        "alerts" => "SELECT COUNT(*) FROM alerts",
        _ => "SELECT COUNT(*) FROM events",
    };
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn events_are_applied_once(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let asset = new_id("ast");
    let x = new_id("inv");
    let now = OffsetDateTime::now_utc();
    let event = trade_event(&asset, &x, &x, "5", "10", now);
    let first = deliver(&app, &event).await;
    assert_eq!(first["duplicate"], false);
    assert_eq!(first["event_id"], event["id"]);
    assert_eq!(rules(&first), ["wash_trade"]);

    // The same event again, and again with other content: ignored.
    let again = deliver(&app, &event).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["alerts"], json!([]));
    let mut changed = event.clone();
    changed["data"]["quantity"] = json!("500");
    assert_eq!(deliver(&app, &changed).await["duplicate"], true);
    // The same trade under a new event id: recorded once, not surveilled again.
    let mut resent = event.clone();
    resent["id"] = json!(new_id("evt"));
    let r = deliver(&app, &resent).await;
    assert_eq!(r["duplicate"], false);
    assert_eq!(r["alerts"], json!([]));
    assert_eq!(count(&pool, "trades").await, 1);
    assert_eq!(count(&pool, "alerts").await, 1);
    assert_eq!(count(&pool, "events").await, 2);

    // Order events too, on /v1/events.
    let order_id = new_id("ord");
    let o = order(&order_id, &x, &asset, "buy", "5", Some("10"), now);
    let accepted = order_event("order.accepted", &o, now);
    let (s, v) = post_service(&app, "/v1/events", "acme", accepted.clone()).await;
    assert_eq!((s, &v["duplicate"]), (200, &json!(false)), "{v}");
    let (_, v) = post_service(&app, "/v1/events", "acme", accepted).await;
    assert_eq!(v["duplicate"], true);
    // Another organization's delivery of the same id is its own event.
    let mut globex = trade_event(&asset, &x, &new_id("inv"), "1", "10", now);
    globex["id"] = event["id"].clone();
    globex["organization_id"] = json!("globex");
    let (s, v) = post_service(&app, "/v1/compliance/post-trade", "globex", globex).await;
    assert_eq!((s, &v["duplicate"]), (200, &json!(false)), "{v}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn events_refusals(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let now = OffsetDateTime::now_utc();
    let event = trade_event(
        &new_id("ast"),
        &new_id("inv"),
        &new_id("inv"),
        "1",
        "10",
        now,
    );
    for path in ["/v1/events", "/v1/compliance/post-trade"] {
        // A user token, even an admin's.
        for user in ["acme/admin", "acme/carla"] {
            assert_error(
                &post(&app, path, user, event.clone()).await,
                403,
                "FORBIDDEN",
            );
        }
        // A service token without X-IAM-Org.
        let got = send(app.post(path).bearer_auth(service()).json(&event)).await;
        assert_error(&got, 403, "FORBIDDEN");
        assert_eq!(got.1["error"]["message"], "missing organization");
        // organization_id must be the caller's.
        let got = post_service(&app, path, "globex", event.clone()).await;
        assert_error(&got, 403, "FORBIDDEN");
        let got = send(
            app.post(path)
                .bearer_auth(service())
                .header("x-iam-org", "acme")
                .header("content-type", "application/json")
                .body("{\"id\": "),
        )
        .await;
        assert_error(&got, 400, "MALFORMED_JSON");
        let mut cases: Vec<(Value, &str)> = Vec::new();
        let mut e = event.clone();
        e["type"] = json!("trade.busted");
        cases.push((e, "type"));
        let mut e = event.clone();
        e["id"] = json!("evt_123");
        cases.push((e, "id"));
        let mut e = event.clone();
        e["data"]["quantity"] = json!("0");
        cases.push((e, "data.quantity"));
        let mut e = event.clone();
        e["data"]["price"] = json!("abc");
        cases.push((e, "data.price"));
        let mut e = event.clone();
        e["data"]["price"] = json!("99999999999999999999");
        cases.push((e, "data.price"));
        let mut e = event.clone();
        e["data"]["quantity"] = json!("1e13");
        cases.push((e, "data.quantity"));
        let mut e = event.clone();
        e["data"].as_object_mut().unwrap().remove("executed_at");
        cases.push((e, "data.executed_at"));
        let mut e = event.clone();
        e.as_object_mut().unwrap().remove("organization_id");
        cases.push((e, "organization_id"));
        let mut e = order_event(
            "order.accepted",
            &order(
                &new_id("ord"),
                &new_id("inv"),
                &new_id("ast"),
                "hold",
                "1",
                None,
                now,
            ),
            now,
        );
        e["organization_id"] = json!("acme");
        cases.push((e, "data.side"));
        for (e, field) in cases {
            let got = post_service(&app, path, "acme", e.clone()).await;
            let d = assert_error(&got, 400, "VALIDATION_ERROR");
            assert!(d["fields"].get(field).is_some(), "{field}: {d}");
        }
    }
    assert_eq!(count(&pool, "events").await, 0);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn wash_trades_through_shared_beneficial_owners(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let owned_by = |name: &str, owner: &str, dob: &str| {
        json!({
            "type": "entity", "legal_name": name, "email": "ops@example.com", "country": "US",
            "beneficial_owners": [{"name": owner, "ownership_percent": "50", "country": "US", "date_of_birth": dob}]
        })
    };
    let e1 = create(
        &app,
        owned_by("Alpha Holdings LLC", "Hedy Lamarr", "1970-01-01"),
    )
    .await;
    // The same person written differently.
    let e2 = create(
        &app,
        owned_by("Beta Capital Inc", "  LAMARR,  Hedy ", "1970-01-01"),
    )
    .await;
    // The same name, another person (another date of birth).
    let e3 = create(
        &app,
        owned_by("Gamma Partners LP", "Hedy Lamarr", "1985-06-30"),
    )
    .await;
    let mut hedy = individual("Hedy Lamarr", "US");
    hedy["date_of_birth"] = json!("1970-01-01");
    let person = create(&app, hedy).await;

    let now = OffsetDateTime::now_utc();
    let v = deliver(&app, &trade_event(&asset, &e1, &e2, "1", "10", now)).await;
    assert_eq!(rules(&v), ["wash_trade"]);
    let alert = &v["alerts"][0];
    assert_eq!(alert["details"]["basis"], "shared_beneficial_owner");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["status"], "open");
    assert_eq!(alert["investor_ids"], json!([e1, e2]));
    assert!(alert["id"].as_str().unwrap().starts_with("alr_"));
    // An individual trading with an entity it owns.
    let v = deliver(&app, &trade_event(&asset, &person, &e1, "1", "10", now)).await;
    assert_eq!(rules(&v), ["wash_trade"]);
    // Different people.
    let v = deliver(&app, &trade_event(&asset, &e1, &e3, "1", "10", now)).await;
    assert_eq!(v["alerts"], json!([]));
    // The same investor on both sides.
    let v = deliver(&app, &trade_event(&asset, &e3, &e3, "1", "10", now)).await;
    assert_eq!(v["alerts"][0]["details"]["basis"], "same_investor");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn price_deviation_beyond_the_threshold(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let t0 = OffsetDateTime::now_utc() - time::Duration::minutes(10);
    let mut at = t0;
    let mut trade = |price: &str| {
        at += time::Duration::seconds(1);
        trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", price, at)
    };
    assert_eq!(deliver(&app, &trade("100")).await["alerts"], json!([]));
    // Exactly 10%: no alert.
    assert_eq!(deliver(&app, &trade("110")).await["alerts"], json!([]));
    // Just beyond: medium.
    let v = deliver(&app, &trade("121.01")).await;
    assert_eq!(rules(&v), ["price_deviation"]);
    assert_eq!(v["alerts"][0]["severity"], "medium");
    assert_eq!(v["alerts"][0]["details"]["previous_price"], "110");
    // Down more than twice the threshold: high.
    let v = deliver(&app, &trade("90")).await;
    assert_eq!(v["alerts"][0]["severity"], "high");
    // A late trade executed before the last one compares with its own predecessor.
    let late = trade_event(
        &asset,
        &new_id("inv"),
        &new_id("inv"),
        "1",
        "100",
        t0 + time::Duration::milliseconds(1500),
    );
    assert_eq!(deliver(&app, &late).await["alerts"], json!([]));
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn price_deviation_threshold_is_configurable(pool: sqlx::PgPool) {
    let app = app_with(pool, &[("SURVEILLANCE_PRICE_DEVIATION", "0.5")], None).await;
    let asset = new_id("ast");
    let now = OffsetDateTime::now_utc();
    deliver(
        &app,
        &trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", "100", now),
    )
    .await;
    let v = deliver(
        &app,
        &trade_event(
            &asset,
            &new_id("inv"),
            &new_id("inv"),
            "1",
            "150",
            now + time::Duration::seconds(1),
        ),
    )
    .await;
    assert_eq!(v["alerts"], json!([]));
    let v = deliver(
        &app,
        &trade_event(
            &asset,
            &new_id("inv"),
            &new_id("inv"),
            "1",
            "225.01",
            now + time::Duration::seconds(2),
        ),
    )
    .await;
    assert_eq!(rules(&v), ["price_deviation"]);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_trade_sent_again_counts_once_in_its_days_volume(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let asset = new_id("ast");
    let (x, y) = (new_id("inv"), new_id("inv"));
    let at = datetime!(2026-03-10 16:00 UTC);
    let first = trade_event(&asset, &x, &y, "5", "100", at);
    deliver(&app, &first).await;
    // The same trade under another event id, then a self-trade of X: counted once for X.
    let mut again = first.clone();
    again["id"] = json!(new_id("evt"));
    deliver(&app, &again).await;
    deliver(
        &app,
        &trade_event(&asset, &x, &x, "2", "100", at + time::Duration::seconds(1)),
    )
    .await;

    let (trades, total): (i64, Decimal) =
        sqlx::query_as("SELECT trades, total FROM trade_days WHERE asset_id = $1::uuid")
            .bind(asset.trim_start_matches("ast_"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((trades, total), (2, Decimal::from(7)));
    let parts: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT 'inv_' || replace(investor_id::text, '-', ''), volume FROM trade_day_investors
         WHERE asset_id = $1::uuid ORDER BY volume DESC",
    )
    .bind(asset.trim_start_matches("ast_"))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        parts,
        [(x.clone(), Decimal::from(7)), (y.clone(), Decimal::from(5))],
        "X bought 5 and traded 2 with itself; Y sold 5"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn concentration_of_the_daily_volume(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    // Noon Eastern, one trading day.
    let base = datetime!(2026-03-10 16:00 UTC);
    let mut n = 0;
    let mut at = || {
        n += 1;
        base + time::Duration::seconds(n)
    };
    for _ in 0..9 {
        let v = deliver(
            &app,
            &trade_event(&asset, &new_id("inv"), &new_id("inv"), "1", "100", at()),
        )
        .await;
        assert_eq!(v["alerts"], json!([]));
    }
    let x = new_id("inv");
    let y = new_id("inv");
    // The tenth trade: X and Y each hold exactly 25% (3 of 12): not above the threshold.
    let v = deliver(&app, &trade_event(&asset, &x, &y, "3", "100", at())).await;
    assert_eq!(v["alerts"], json!([]), "{v}");
    // X crosses 25% with the next trade: one alert, for X only.
    let v = deliver(
        &app,
        &trade_event(&asset, &x, &new_id("inv"), "0.01", "100", at()),
    )
    .await;
    assert_eq!(rules(&v), ["concentration"]);
    assert_eq!(v["alerts"][0]["investor_ids"], json!([x]));
    assert_eq!(v["alerts"][0]["trade_date"], "2026-03-10");
    // Already concentrated: no second alert the same day.
    let v = deliver(
        &app,
        &trade_event(&asset, &x, &new_id("inv"), "1", "100", at()),
    )
    .await;
    assert_eq!(v["alerts"], json!([]));
    // Another asset's volume is its own.
    let other = new_id("ast");
    let v = deliver(&app, &trade_event(&other, &x, &y, "1", "100", at())).await;
    assert_eq!(v["alerts"], json!([]));
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn alerts_are_listed_and_move_open_reviewed_closed(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = new_id("ast");
    let x = new_id("inv");
    let at = datetime!(2026-03-10 16:00 UTC);
    let first = deliver(&app, &trade_event(&asset, &x, &x, "1", "100", at)).await;
    let alert_id = first["alerts"][0]["id"].as_str().unwrap().to_owned();
    let other_asset = new_id("ast");
    let y = new_id("inv");
    deliver(
        &app,
        &trade_event(
            &other_asset,
            &y,
            &y,
            "1",
            "100",
            at + time::Duration::days(1),
        ),
    )
    .await;

    let (s, page) = get(&app, "/v1/surveillance/alerts", "acme/carla").await;
    assert_eq!(s, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    // Newest first.
    assert_eq!(page["data"][1]["id"], alert_id.as_str());
    for (query, n) in [
        ("status=open", 2),
        ("status=closed", 0),
        ("rule=wash_trade", 2),
        ("rule=concentration", 0),
        (&format!("asset_id={asset}") as &str, 1),
        (&format!("investor_id={x}"), 1),
        ("date=2026-03-10", 1),
        ("date=2026-03-12", 0),
        ("limit=1", 1),
    ] {
        let (s, page) = get(
            &app,
            &format!("/v1/surveillance/alerts?{query}"),
            "acme/admin",
        )
        .await;
        assert_eq!(s, 200, "{query}");
        assert_eq!(page["data"].as_array().unwrap().len(), n, "{query}");
    }
    for query in [
        "status=pending",
        "rule=spoofing",
        "date=yesterday",
        "asset_id=x",
        "limit=0",
    ] {
        let got = get(
            &app,
            &format!("/v1/surveillance/alerts?{query}"),
            "acme/carla",
        )
        .await;
        assert_error(&got, 400, "VALIDATION_ERROR");
    }
    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &get(&app, "/v1/surveillance/alerts", user).await,
            403,
            "FORBIDDEN",
        );
        assert_error(
            &get(&app, &format!("/v1/surveillance/alerts/{alert_id}"), user).await,
            403,
            "FORBIDDEN",
        );
        assert_error(
            &post(
                &app,
                &format!("/v1/surveillance/alerts/{alert_id}/review"),
                user,
                json!({"note": "x"}),
            )
            .await,
            403,
            "FORBIDDEN",
        );
    }
    let (_, page) = get(&app, "/v1/surveillance/alerts", "globex/admin").await;
    assert_eq!(page["data"], json!([]));
    assert_error(
        &get(
            &app,
            &format!("/v1/surveillance/alerts/{alert_id}"),
            "globex/admin",
        )
        .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &get(&app, "/v1/surveillance/alerts/alr_zz", "acme/carla").await,
        404,
        "NOT_FOUND",
    );

    let review = format!("/v1/surveillance/alerts/{alert_id}/review");
    let close = format!("/v1/surveillance/alerts/{alert_id}/close");
    // A note is required.
    for body in [
        json!({}),
        json!({"note": "   "}),
        json!({"note": 5}),
        json!({"note": "n".repeat(2001)}),
        json!({"note": "ok", "status": "closed"}),
    ] {
        let got = post(&app, &review, "acme/carla", body).await;
        assert_error(&got, 400, "VALIDATION_ERROR");
    }
    assert_error(
        &post_raw(&app, &review, "acme/carla", "{").await,
        400,
        "MALFORMED_JSON",
    );
    // open → closed is not allowed.
    let got = post(
        &app,
        &close,
        "acme/carla",
        json!({"note": "nothing to see"}),
    )
    .await;
    let d = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(d["status"], "open");
    assert_error(
        &post(&app, &review, "globex/admin", json!({"note": "x"})).await,
        404,
        "NOT_FOUND",
    );

    let (s, a) = post(
        &app,
        &review,
        "acme/carla",
        json!({"note": "Same account on both sides; asked the desk"}),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["status"], "reviewed");
    assert_eq!(a["history"][0]["from"], "open");
    assert_eq!(a["history"][0]["to"], "reviewed");
    assert_eq!(a["history"][0]["by"], "carla");
    assert_eq!(
        a["history"][0]["note"],
        "Same account on both sides; asked the desk"
    );
    assert_error(
        &post(&app, &review, "acme/carla", json!({"note": "again"})).await,
        409,
        "INVALID_STATE",
    );
    let (s, a) = post(
        &app,
        &close,
        "acme/admin",
        json!({"note": "Error by the client; no manipulation"}),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["status"], "closed");
    assert_eq!(a["history"][1]["by"], "admin");
    assert_error(
        &post(&app, &close, "acme/carla", json!({"note": "again"})).await,
        409,
        "INVALID_STATE",
    );
    assert_error(
        &post(&app, &review, "acme/carla", json!({"note": "reopen"})).await,
        409,
        "INVALID_STATE",
    );
    let (_, got) = get(
        &app,
        &format!("/v1/surveillance/alerts/{alert_id}"),
        "acme/carla",
    )
    .await;
    assert_eq!(got, a);
    let (_, page) = get(&app, "/v1/surveillance/alerts?status=closed", "acme/carla").await;
    assert_eq!(page["data"][0]["history"].as_array().unwrap().len(), 2);
}
