//! The dividend lifecycle: a dividend whose record date is over is entitled at once; one
//! declared in advance waits `declared` until the dividend job fixes its entitlements from
//! the registry at the end of the record date.

#![allow(clippy::unwrap_used)]

mod common;

use common::{App, admin, app, globex, investor, token};
use serde_json::{Value, json};
use testkit::assert_error;
use time::macros::date;

fn declare(asset: &str, record: &str, payment: &str) -> Value {
    json!({"asset_id": asset, "amount_per_share": "0.333", "currency": "USD",
           "record_date": record, "payment_date": payment})
}

fn entitlement(div: &Value, inv: &str) -> (String, String) {
    let e = div["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["investor_id"] == inv)
        .unwrap_or_else(|| panic!("no entitlement of {inv} in {div}"));
    (
        e["quantity"].as_str().unwrap().to_owned(),
        e["amount"].as_str().unwrap().to_owned(),
    )
}

async fn dividend(app: &App, id: &str) -> Value {
    let (s, d) = app.get(&format!("/v1/dividends/{id}"), &admin()).await;
    assert_eq!(s, 200, "{d}");
    d
}

async fn count(app: &App, table: &str) -> i64 {
    let sql = match table {
        "dividends" => "SELECT count(*) FROM dividends",
        "dividend_payments" => "SELECT count(*) FROM dividend_payments",
        _ => panic!("no count of {table}"),
    };
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

fn job(app: &App) -> ta::jobs::DividendJob {
    ta::jobs::DividendJob::new(app.service_pool.clone(), app.clock.clone())
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn a_past_record_date_is_entitled_at_once(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // The day the cap table is loaded (2026-03-02), a dividend of record 2026-02-01.
    let asset = app.security("PST", "reg_d_506b", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "100", "1.00", Some("2025-06-01"))
        .await;
    app.issue(&asset, &b, "51", "1.00", Some("2026-01-15"))
        .await;
    let (s, div) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2026-02-01", "2026-02-15"),
        )
        .await;
    assert_eq!(s, 201, "{div}");
    assert_eq!(div["status"], "entitled");
    assert!(div["entitled_at"].is_string(), "{div}");
    assert_eq!(div["shares_of_record"], "151");
    assert_eq!(div["total_declared"], "50.283");
    assert_eq!(div["total_paid"], "50.28");
    assert_eq!(div["rounding_remainder"], "0.003");
    assert_eq!(entitlement(&div, &a), ("100".into(), "33.30".into()));
    assert_eq!(entitlement(&div, &b), ("51".into(), "16.98".into()));
    // Yesterday is over too; before the first issuance nothing was outstanding.
    let (s, d) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2026-03-01", "2026-03-01"),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "entitled");
    assert_error(
        &app.post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2025-05-31", "2026-03-01"),
        )
        .await,
        409,
        "INVALID_STATE",
    );
    // The job has nothing to do.
    assert_eq!(job(&app).run_once().await.unwrap(), 0);
    assert_eq!(dividend(&app, div["id"].as_str().unwrap()).await, div);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn a_future_record_date_waits_for_the_job(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("FUT", "reg_d_506b", json!({})).await;
    let (a, b, c) = (investor(), investor(), investor());
    app.issue(&asset, &a, "100", "1.00", Some("2024-06-01"))
        .await;
    app.issue(&asset, &b, "50", "1.00", Some("2024-06-01"))
        .await;
    app.issue(&asset, &c, "1", "1.00", Some("2024-06-01")).await;

    // Announced on 2026-03-02 for the holders of record on 2026-03-10.
    let (s, div) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2026-03-10", "2026-03-20"),
        )
        .await;
    assert_eq!(s, 201, "{div}");
    assert_eq!(div["status"], "declared");
    assert_eq!(div["record_date"], "2026-03-10");
    for field in [
        "shares_of_record",
        "total_declared",
        "total_paid",
        "rounding_remainder",
        "entitled_at",
    ] {
        assert!(div[field].is_null(), "{field}: {div}");
    }
    assert_eq!(div["entitlements"], json!([]));
    let id = div["id"].as_str().unwrap().to_owned();
    assert_eq!(dividend(&app, &id).await, div);
    let (_, list) = app.get("/v1/dividends", &admin()).await;
    assert_eq!(list["data"][0]["status"], "declared");
    // Still admin-only, still per organization.
    assert_error(
        &app.get("/v1/dividends", &token("acme/vic")).await,
        403,
        "FORBIDDEN",
    );
    assert_error(
        &app.get(&format!("/v1/dividends/{id}"), &globex()).await,
        404,
        "NOT_FOUND",
    );
    // A record date of today is declared too: the day is not over.
    let (s, today) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2026-03-02", "2026-03-02"),
        )
        .await;
    assert_eq!(s, 201, "{today}");
    assert_eq!(today["status"], "declared");

    let job = job(&app);
    assert_eq!(job.run_once().await.unwrap(), 0);
    assert_eq!(dividend(&app, &id).await, div);

    // The register moves before and on the record date, and after it.
    app.clock.set_date(date!(2026 - 03 - 05));
    assert_eq!(job.run_once().await.unwrap(), 1); // the one of record 2026-03-02
    let (s, t) = app.transfer(&asset, &a, &b, "40", "5.00").await;
    assert_eq!(s, 201, "{t}");
    app.clock.set_date(date!(2026 - 03 - 10));
    let (s, t) = app.transfer(&asset, &b, &c, "10", "5.00").await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(job.run_once().await.unwrap(), 0);
    assert_eq!(dividend(&app, &id).await["status"], "declared");
    app.clock.set_date(date!(2026 - 03 - 11));
    let (s, t) = app.transfer(&asset, &a, &c, "5", "5.00").await;
    assert_eq!(s, 201, "{t}");

    assert_eq!(job.run_once().await.unwrap(), 1);
    let got = dividend(&app, &id).await;
    assert_eq!(got["status"], "entitled", "{got}");
    assert!(got["entitled_at"].is_string(), "{got}");
    assert_eq!(got["shares_of_record"], "151");
    assert_eq!(got["total_declared"], "50.283");
    assert_eq!(got["total_paid"], "50.28");
    assert_eq!(got["rounding_remainder"], "0.003");
    assert_eq!(got["entitlements"].as_array().unwrap().len(), 3);
    assert_eq!(entitlement(&got, &a), ("60".into(), "19.98".into()));
    assert_eq!(entitlement(&got, &b), ("80".into(), "26.64".into()));
    assert_eq!(entitlement(&got, &c), ("11".into(), "3.66".into()));
    assert_eq!(got["created_at"], div["created_at"]);
    // Done once.
    assert_eq!(job.run_once().await.unwrap(), 0);
    assert_eq!(dividend(&app, &id).await, got);

    // On the statement once paid.
    app.clock.set_date(date!(2026 - 03 - 25));
    let (s, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2026-03-01&to=2026-03-25"),
            &admin(),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    let paid: Vec<&Value> = st["dividends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["dividend_id"] == id.as_str())
        .collect();
    assert_eq!(paid.len(), 1, "{st}");
    assert_eq!(paid[0]["amount"], "19.98");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn no_holders_at_the_record_date_is_entitled_to_nothing(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("NOB", "reg_d_506b", json!({})).await;
    let (s, div) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2026-03-05", "2026-03-06"),
        )
        .await;
    assert_eq!(s, 201, "{div}");
    assert_eq!(div["status"], "declared");
    // Shares are issued only after the record date.
    app.clock.set_date(date!(2026 - 03 - 06));
    app.issue(&asset, &investor(), "10", "1.00", None).await;
    assert_eq!(job(&app).run_once().await.unwrap(), 1);
    let got = dividend(&app, div["id"].as_str().unwrap()).await;
    assert_eq!(got["status"], "entitled");
    assert_eq!(got["shares_of_record"], "0");
    assert_eq!(got["total_declared"], "0");
    assert_eq!(got["total_paid"], "0");
    assert_eq!(got["rounding_remainder"], "0");
    assert_eq!(got["entitlements"], json!([]));

    // Merged away before the record date: nothing owed either; after the merger no
    // dividend can be declared.
    let (src, dst) = (
        app.security("SRC", "reg_d_506b", json!({})).await,
        app.security("DST", "reg_d_506b", json!({})).await,
    );
    app.issue(&src, &investor(), "10", "1.00", None).await;
    let (s, early) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&src, "2026-03-08", "2026-03-09"),
        )
        .await;
    assert_eq!(s, 201, "{early}");
    app.clock.set_date(date!(2026 - 03 - 07));
    let merge = json!({"type": "merger", "asset_id": src, "target_asset_id": dst, "ratio": "1:1"});
    let (s, m) = app.post("/v1/corporate-actions", &admin(), merge).await;
    assert_eq!(s, 201, "{m}");
    assert_error(
        &app.post(
            "/v1/dividends",
            &admin(),
            declare(&src, "2026-03-10", "2026-03-10"),
        )
        .await,
        409,
        "INVALID_STATE",
    );
    app.clock.set_date(date!(2026 - 03 - 09));
    assert_eq!(job(&app).run_once().await.unwrap(), 1);
    let got = dividend(&app, early["id"].as_str().unwrap()).await;
    assert_eq!(got["status"], "entitled");
    assert_eq!(got["shares_of_record"], "0");
    assert_eq!(got["entitlements"], json!([]));
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn two_jobs_entitle_each_dividend_once(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let mut ids = Vec::new();
    for symbol in ["JA", "JB", "JC"] {
        let asset = app.security(symbol, "reg_d_506b", json!({})).await;
        app.issue(&asset, &investor(), "7", "1.00", None).await;
        app.issue(&asset, &investor(), "3", "1.00", None).await;
        for record in ["2026-03-03", "2026-03-04"] {
            let (s, d) = app
                .post(
                    "/v1/dividends",
                    &admin(),
                    declare(&asset, record, "2026-03-31"),
                )
                .await;
            assert_eq!(s, 201, "{d}");
            ids.push(d["id"].as_str().unwrap().to_owned());
        }
    }
    app.clock.set_date(date!(2026 - 03 - 05));
    let (one, other) = (job(&app), job(&app));
    let (r1, r2) = tokio::join!(one.run_once(), other.run_once());
    assert_eq!(r1.unwrap() + r2.unwrap(), 6);
    let (r1, r2) = tokio::join!(one.run_once(), other.run_once());
    assert_eq!(r1.unwrap() + r2.unwrap(), 0);
    for id in &ids {
        let d = dividend(&app, id).await;
        assert_eq!(d["status"], "entitled", "{d}");
        assert_eq!(d["total_paid"], "3.32", "{d}");
    }
    assert_eq!(count(&app, "dividend_payments").await, 12);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn bad_dates_are_refused(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("BAD", "reg_d_506b", json!({})).await;
    app.issue(&asset, &investor(), "10", "1.00", Some("2025-01-01"))
        .await;
    // today is 2026-03-02; five years ahead is 2031-03-02.
    for (field, record, payment) in [
        ("payment_date", "2026-03-20", "2026-03-19"),
        ("payment_date", "2026-02-20", "2026-02-19"),
        ("record_date", "1899-12-31", "2026-03-19"),
        ("record_date", "2031-03-03", "2031-03-03"),
        ("payment_date", "2026-03-20", "2031-03-03"),
        ("record_date", "2026-02-30", "2026-03-19"),
        ("payment_date", "2026-03-20", "next week"),
    ] {
        let d = assert_error(
            &app.post("/v1/dividends", &admin(), declare(&asset, record, payment))
                .await,
            400,
            "VALIDATION_ERROR",
        );
        assert!(d["fields"].get(field).is_some(), "{record}/{payment}: {d}");
    }
    assert_eq!(count(&app, "dividends").await, 0);
    // The limits themselves are accepted.
    let (s, d) = app
        .post(
            "/v1/dividends",
            &admin(),
            declare(&asset, "2031-03-02", "2031-03-02"),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "declared");
}
