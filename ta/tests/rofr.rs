//! Rights of first refusal: pending transfers, waive, exercise, and the lapse job.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, app, globex, investor, token};
use serde_json::json;
use testkit::{assert_error, send};
use time::macros::date;

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn waive_exercise_and_lapse(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app
        .security("ROFR", "registered", json!({"rofr_days": 30}))
        .await;
    let (a, b, c) = (investor(), investor(), investor());
    app.issue(&asset, &a, "100", "1.00", None).await;
    let job = ta::jobs::RofrLapseJob::new(app.service_pool.clone(), app.clock.clone());

    // The transfer waits; its shares are reserved.
    let (s, t1) = app.transfer(&asset, &a, &b, "10", "3.00").await;
    assert_eq!(s, 201, "{t1}");
    assert_eq!(t1["status"], "pending_rofr");
    assert_eq!(t1["rofr"]["last_day"], "2026-04-01");
    assert!(t1["rofr"]["resolution"].is_null());
    assert!(t1["recorded_on"].is_null());
    let (_, h) = app.get(&format!("/v1/holdings/{a}"), &admin()).await;
    assert_eq!(h["holdings"][0]["quantity"], "100");
    assert_eq!(h["holdings"][0]["reserved_rofr_quantity"], "10");
    assert_eq!(h["holdings"][0]["transferable_quantity"], "90");
    assert_eq!(app.held(&b, &asset).await, "0");
    let d = assert_error(
        &app.transfer(&asset, &a, &c, "95", "1").await,
        422,
        "INSUFFICIENT_HOLDINGS",
    );
    assert_eq!(d["reserved"], "10");
    // Corporate actions on reserved shares wait for the decision.
    let got = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "split", "asset_id": asset, "ratio": "2:1"}),
        )
        .await;
    let d = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(d["rule"], "pending_rofr");

    // Only an admin decides; bad actions and unknown transfers are refused.
    let t1_id = t1["id"].as_str().unwrap();
    let path = format!("/v1/transfers/{t1_id}/rofr");
    assert_error(
        &app.post(&path, &token("acme/alice"), json!({"action": "waive"}))
            .await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &app.post_as_service(&path, "acme", json!({"action": "waive"}))
            .await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &app.post(&path, &globex(), json!({"action": "waive"})).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.post(&path, &admin(), json!({"action": "maybe"})).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        &app.post(&path, &admin(), json!({})).await,
        400,
        "VALIDATION_ERROR",
    );
    let unknown = format!("/v1/transfers/{}/rofr", platform::ids::TransferId::new());
    assert_error(
        &app.post(&unknown, &admin(), json!({"action": "waive"}))
            .await,
        404,
        "NOT_FOUND",
    );

    // Waive: recorded now. The decision replays under its Idempotency-Key.
    let waive = || {
        app.server
            .post(&path)
            .bearer_auth(admin())
            .header("idempotency-key", "waive-1")
            .json(&json!({"action": "waive"}))
    };
    let (s, t) = send(waive()).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "recorded");
    assert_eq!(t["rofr"]["resolution"], "waived");
    assert_eq!(t["recorded_on"], "2026-03-02");
    let (s, again) = send(waive()).await;
    assert_eq!((s, &again), (200, &t));
    assert_eq!(app.held(&a, &asset).await, "90");
    assert_eq!(app.held(&b, &asset).await, "10");
    let d = assert_error(
        &app.post(&path, &admin(), json!({"action": "exercise"}))
            .await,
        409,
        "INVALID_STATE",
    );
    assert_eq!(d["status"], "recorded");

    // Exercise: the issuer buys the seller's shares; the buyer gets nothing.
    let (_, t2) = app.transfer(&asset, &a, &b, "20", "3.00").await;
    let t2_path = format!("/v1/transfers/{}/rofr", t2["id"].as_str().unwrap());
    let (s, t) = app
        .post(&t2_path, &admin(), json!({"action": "exercise"}))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["status"], "rejected");
    assert_eq!(t["reason"]["code"], "ROFR_EXERCISED");
    assert_eq!(t["rofr"]["resolution"], "exercised");
    assert_eq!(app.held(&a, &asset).await, "70");
    assert_eq!(app.held(&b, &asset).await, "10");
    let (_, sec) = app.get(&format!("/v1/securities/{asset}"), &admin()).await;
    assert_eq!(sec["totals"]["redeemed"], "20");
    assert_eq!(sec["totals"]["outstanding"], "80");

    // Lapse: pending through the last day, recorded by the job from the day after.
    let (_, t3) = app.transfer(&asset, &a, &c, "5", "4.00").await;
    let t3_id = t3["id"].as_str().unwrap().to_owned();
    app.clock.set_date(date!(2026 - 04 - 01));
    assert_eq!(job.run_once().await.unwrap(), 0);
    app.clock.set_date(date!(2026 - 04 - 02));
    let got = app
        .post(
            &format!("/v1/transfers/{t3_id}/rofr"),
            &admin(),
            json!({"action": "exercise"}),
        )
        .await;
    let d = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(d["rule"], "rofr_window_closed");
    assert_eq!(job.run_once().await.unwrap(), 1);
    assert_eq!(job.run_once().await.unwrap(), 0);
    let (_, t) = app.get(&format!("/v1/transfers/{t3_id}"), &admin()).await;
    assert_eq!(t["status"], "recorded");
    assert_eq!(t["rofr"]["resolution"], "lapsed");
    assert_eq!(t["recorded_on"], "2026-04-02");
    assert_eq!(app.held(&c, &asset).await, "5");
    assert_eq!(app.held(&a, &asset).await, "65");

    // Several replicas: each lapsed transfer is recorded once.
    let (_, t4) = app.transfer(&asset, &a, &b, "1", "1").await;
    let (_, t5) = app.transfer(&asset, &a, &c, "2", "1").await;
    assert_eq!(t4["status"], "pending_rofr");
    assert_eq!(t5["status"], "pending_rofr");
    app.clock.set_date(date!(2026 - 05 - 03));
    let other = ta::jobs::RofrLapseJob::new(app.service_pool.clone(), app.clock.clone());
    let (r1, r2) = tokio::join!(job.run_once(), other.run_once());
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(r1 + r2, 2);
    assert_eq!(app.held(&a, &asset).await, "62");
    assert_eq!(app.held(&b, &asset).await, "11");
    assert_eq!(app.held(&c, &asset).await, "7");
    let lapses: i64 = sqlx::query_scalar("SELECT count(*) FROM journal WHERE kind = 'rofr_lapse'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(lapses, 3);
    assert_eq!(app.outstanding(&asset).await, "80");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn reserved_shares_are_not_redeemed_and_the_waive_records(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app
        .security("ROFR", "registered", json!({"rofr_days": 10}))
        .await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "10", "1.00", None).await;
    let (_, t) = app.transfer(&asset, &a, &b, "10", "2").await;
    // A redemption never takes shares a pending transfer reserved.
    let got = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "redemption", "asset_id": asset,
              "investor_id": a, "quantity": "1", "price_per_share": "1"}),
        )
        .await;
    assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    let (s, t) = app
        .post(
            &format!("/v1/transfers/{}/rofr", t["id"].as_str().unwrap()),
            &admin(),
            json!({"action": "waive"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(t["status"], "recorded");
}
