//! Back-dated issuances (onboarding an existing cap table): they take effect on `acquired_at`,
//! so the registry, statements and the OCF export as of earlier dates are true; and they are
//! refused once the security has a later entry.

#![allow(clippy::unwrap_used)]

mod common;

use common::{App, admin, app, investor, token};
use serde_json::{Value, json};
use testkit::assert_error;
use time::macros::date;

/// The holders of the registry as of `as_of`, as (investor, quantity) strings.
async fn registry(app: &App, asset: &str, as_of: &str) -> (String, Vec<(String, String)>) {
    let (s, r) = app
        .get(
            &format!("/v1/shareholders/{asset}?as_of={as_of}"),
            &token("acme/vic"),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let mut holders: Vec<(String, String)> = r["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["investor_id"].as_str().unwrap().to_owned(),
                h["quantity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    holders.sort();
    (r["outstanding"].as_str().unwrap().to_owned(), holders)
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

fn pair(inv: &str, q: &str) -> (String, String) {
    (inv.to_owned(), q.to_owned())
}

async fn count(app: &App, table: &str) -> i64 {
    let sql = match table {
        "journal" => "SELECT count(*) FROM journal",
        "corporate_actions" => "SELECT count(*) FROM corporate_actions",
        "lots" => "SELECT count(*) FROM lots",
        _ => panic!("no count of {table}"),
    };
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn back_dated_issuances_show_as_of_their_dates(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // 2026-03-02: the transfer agent loads a cap table whose shares were issued in 2024-25.
    let asset = app.security("OLD", "reg_d_506b", json!({})).await;
    let (a, b, c) = (investor(), investor(), investor());
    let ia = app
        .issue(&asset, &a, "100", "1.00", Some("2024-06-01"))
        .await;
    assert_eq!(ia["effective_date"], "2024-06-01");
    assert_eq!(ia["acquired_at"], "2024-06-01");
    let ib = app
        .issue(&asset, &b, "50", "2.00", Some("2025-01-10"))
        .await;
    assert_eq!(ib["effective_date"], "2025-01-10");
    // On the same day as the latest entry: accepted, after it.
    app.issue(&asset, &b, "5", "2.00", Some("2025-01-10")).await;
    let (s, got) = app
        .get(
            &format!("/v1/corporate-actions/{}", ia["id"].as_str().unwrap()),
            &admin(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(got["effective_date"], "2024-06-01");

    // Not before it, from it on.
    assert_eq!(
        registry(&app, &asset, "2024-05-31").await,
        ("0".into(), vec![])
    );
    assert_eq!(
        registry(&app, &asset, "2024-06-01").await,
        ("100".into(), vec![pair(&a, "100")])
    );
    assert_eq!(
        registry(&app, &asset, "2025-01-01").await,
        ("100".into(), vec![pair(&a, "100")])
    );
    assert_eq!(
        registry(&app, &asset, "2025-01-10").await,
        ("155".into(), sorted(vec![pair(&a, "100"), pair(&b, "55")]))
    );
    // Trading follows; the history stays.
    app.clock.set_date(date!(2026 - 03 - 05));
    let (s, t) = app.transfer(&asset, &a, &c, "30", "4.00").await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        registry(&app, &asset, "2026-03-04").await,
        ("155".into(), sorted(vec![pair(&a, "100"), pair(&b, "55")]))
    );
    assert_eq!(
        registry(&app, &asset, "2026-03-05").await,
        (
            "155".into(),
            sorted(vec![pair(&a, "70"), pair(&b, "55"), pair(&c, "30")])
        )
    );

    // A's statement for 2024 holds the back-dated lot; for the first five months of 2024, nothing.
    let (s, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2024-01-01&to=2024-12-31"),
            &admin(),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["holdings"].as_array().unwrap().len(), 1, "{st}");
    assert_eq!(st["holdings"][0]["quantity"], "100");
    assert_eq!(st["holdings"][0]["cost_basis"], "100.00");
    assert_eq!(st["holdings"][0]["lots"][0]["acquired_at"], "2024-06-01");
    let (_, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2024-01-01&to=2024-05-31"),
            &admin(),
        )
        .await;
    assert_eq!(st["holdings"].as_array().unwrap().len(), 0, "{st}");
    // B held nothing in 2024, 55 at the end of 2025.
    let (_, st) = app
        .get(
            &format!("/v1/statements/{b}?from=2024-01-01&to=2024-12-31"),
            &admin(),
        )
        .await;
    assert_eq!(st["holdings"].as_array().unwrap().len(), 0, "{st}");
    let (_, st) = app
        .get(
            &format!("/v1/statements/{b}?from=2025-01-01&to=2025-12-31"),
            &admin(),
        )
        .await;
    assert_eq!(st["holdings"][0]["quantity"], "55");
    // The sale of a lot acquired in 2024: a long-term gain in 2026.
    let (_, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2026-01-01&to=2026-03-05"),
            &admin(),
        )
        .await;
    assert_eq!(st["holdings"][0]["quantity"], "70");
    assert_eq!(st["realized_gains"][0]["date_acquired"], "2024-06-01");
    assert_eq!(st["realized_gains"][0]["term"], "long");

    // The OCF export dates the issuances when they took effect, in date order.
    let (s, export) = app
        .get(&format!("/v1/securities/{asset}/ocf"), &admin())
        .await;
    assert_eq!(s, 200, "{export}");
    let issuances: Vec<&Value> = export["files"]["transactions.ocf.json"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["object_type"] == "TX_STOCK_ISSUANCE")
        .collect();
    assert_eq!(issuances[0]["date"], "2024-06-01");
    assert_eq!(issuances[1]["date"], "2025-01-10");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn replays_across_securities_follow_effective_dates(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // PRF gets an entry today; COM, registered later, gets a back-dated issuance (later in
    // the journal, earlier in time); then PRF converts into COM. Replaying either needs both,
    // in date order.
    let prf = app
        .security("PRF", "reg_d_506b", json!({"security_class": "preferred"}))
        .await;
    let com = app.security("COM", "reg_d_506b", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&prf, &a, "10", "5.00", None).await;
    app.issue(&com, &b, "20", "1.00", Some("2024-01-15")).await;
    let convert = json!({"type": "conversion", "asset_id": prf, "target_asset_id": com,
                         "ratio": "1:1"});
    let (s, ca) = app.post("/v1/corporate-actions", &admin(), convert).await;
    assert_eq!(s, 201, "{ca}");
    assert_eq!(ca["effective_date"], "2026-03-02");
    app.clock.set_date(date!(2026 - 03 - 03));

    assert_eq!(
        registry(&app, &com, "2026-03-02").await,
        ("30".into(), sorted(vec![pair(&a, "10"), pair(&b, "20")]))
    );
    assert_eq!(
        registry(&app, &com, "2025-01-01").await,
        ("20".into(), vec![pair(&b, "20")])
    );
    assert_eq!(
        registry(&app, &prf, "2026-03-02").await,
        ("0".into(), vec![])
    );
    assert_eq!(
        registry(&app, &prf, "2026-03-01").await,
        ("0".into(), vec![])
    );
    // Statements replay both securities too.
    let (s, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2026-01-01&to=2026-03-02"),
            &admin(),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["holdings"][0]["asset_id"], com.as_str());
    assert_eq!(st["holdings"][0]["quantity"], "10");
    // A dividend on COM as of the day of the conversion.
    let (s, div) = app
        .post(
            "/v1/dividends",
            &admin(),
            json!({"asset_id": com, "amount_per_share": "1", "currency": "USD",
                   "record_date": "2026-03-02", "payment_date": "2026-03-10"}),
        )
        .await;
    assert_eq!(s, 201, "{div}");
    assert_eq!(div["status"], "entitled");
    assert_eq!(div["shares_of_record"], "30");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn back_dated_issuance_after_a_later_entry_is_refused(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app
        .security(
            "LAT",
            "reg_d_506b",
            json!({"issuer_formation_date": "2019-04-01"}),
        )
        .await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "100", "1.00", Some("2025-01-10"))
        .await;
    let issuance = |acquired_at: &str| {
        json!({"type": "issuance", "asset_id": asset, "investor_id": b,
               "quantity": "10", "price_per_share": "1", "acquired_at": acquired_at})
    };
    let before = (
        count(&app, "journal").await,
        count(&app, "corporate_actions").await,
        count(&app, "lots").await,
    );

    // Earlier than the security's latest entry: 409 naming its date, nothing written.
    let got = app
        .post("/v1/corporate-actions", &admin(), issuance("2024-12-31"))
        .await;
    let d = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(d["rule"], "out_of_order", "{d}");
    assert_eq!(d["last_effective_on"], "2025-01-10", "{d}");
    assert_eq!(d["acquired_at"], "2024-12-31", "{d}");
    assert_eq!(d["asset_id"], asset.as_str());
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-01-10"),
        "{got:?}"
    );
    // Absurd dates: 400 naming acquired_at.
    for bad in ["2026-03-03", "1899-12-31", "2019-03-31"] {
        let d = assert_error(
            &app.post("/v1/corporate-actions", &admin(), issuance(bad))
                .await,
            400,
            "VALIDATION_ERROR",
        );
        assert!(d["fields"].get("acquired_at").is_some(), "{bad}: {d}");
    }
    assert_eq!(
        (
            count(&app, "journal").await,
            count(&app, "corporate_actions").await,
            count(&app, "lots").await,
        ),
        before
    );
    assert_eq!(app.outstanding(&asset).await, "100");
    assert_eq!(app.held(&b, &asset).await, "0");
    assert_eq!(registry(&app, &asset, "2025-06-01").await.0, "100");

    // Once trading has started (today), the history is closed up to today.
    let (s, t) = app.transfer(&asset, &a, &b, "10", "2.00").await;
    assert_eq!(s, 201, "{t}");
    let d = assert_error(
        &app.post("/v1/corporate-actions", &admin(), issuance("2026-03-01"))
            .await,
        409,
        "INVALID_STATE",
    );
    assert_eq!(d["last_effective_on"], "2026-03-02", "{d}");
    // Another security's later entries do not matter.
    let other = app.security("OTH", "reg_d_506b", json!({})).await;
    app.issue(&other, &a, "5", "1.00", Some("2023-05-05")).await;

    // A dividend paid on the registry of a day closes the history up to that day.
    let paid = app.security("PAY", "reg_d_506b", json!({})).await;
    app.issue(&paid, &a, "10", "1.00", Some("2025-01-01")).await;
    let (s, div) = app
        .post(
            "/v1/dividends",
            &admin(),
            json!({"asset_id": paid, "amount_per_share": "1", "currency": "USD",
                   "record_date": "2025-06-30", "payment_date": "2025-07-15"}),
        )
        .await;
    assert_eq!(s, 201, "{div}");
    let on_record_date = json!({"type": "issuance", "asset_id": paid, "investor_id": b,
                                "quantity": "10", "price_per_share": "1",
                                "acquired_at": "2025-06-30"});
    let d = assert_error(
        &app.post("/v1/corporate-actions", &admin(), on_record_date)
            .await,
        409,
        "INVALID_STATE",
    );
    assert_eq!(d["rule"], "dividend_entitled", "{d}");
    assert_eq!(d["record_date"], "2025-06-30", "{d}");
    assert_eq!(d["dividend_id"], div["id"]);
    app.issue(&paid, &b, "10", "1.00", Some("2025-07-01")).await;
    assert_eq!(app.outstanding(&paid).await, "20");
}
