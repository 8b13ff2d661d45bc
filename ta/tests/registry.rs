//! Dividends, the registry as of a date, and statements.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, app, globex, investor, token};
use serde_json::json;
use testkit::{assert_error, send};
use time::macros::date;

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn registry_dividends_and_statements(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("DIV", "reg_d_506b", json!({})).await;
    let (a, b, c) = (investor(), investor(), investor());
    // 2026-03-02
    app.issue(&asset, &a, "100", "1.00", Some("2024-06-01"))
        .await;
    app.issue(&asset, &b, "50", "2.00", Some("2024-06-01"))
        .await;
    app.issue(&asset, &c, "1", "1.00", Some("2024-06-01")).await;
    app.clock.set_date(date!(2026 - 03 - 10));
    let (s, t) = app.transfer(&asset, &a, &b, "40", "5.00").await;
    assert_eq!(s, 201, "{t}");
    app.clock.set_date(date!(2026 - 03 - 20));

    // The registry as it stood at the end of each day.
    let app_ref = &app;
    let reg = |as_of: &str| {
        let path = if as_of.is_empty() {
            format!("/v1/shareholders/{asset}")
        } else {
            format!("/v1/shareholders/{asset}?as_of={as_of}")
        };
        async move { app_ref.get(&path, &token("acme/vic")).await }
    };
    // The issuances were back-dated: they took effect on 2024-06-01, not when recorded.
    let (s, r) = reg("2024-05-31").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["outstanding"], "0");
    assert_eq!(r["holders"].as_array().unwrap().len(), 0);
    let (_, r) = reg("2024-06-01").await;
    assert_eq!(r["outstanding"], "151");
    let (_, r) = reg("2026-03-01").await;
    assert_eq!(r["outstanding"], "151");
    let (_, r) = reg("2026-03-02").await;
    assert_eq!(r["as_of"], "2026-03-02");
    assert_eq!(r["outstanding"], "151");
    let q = |r: &serde_json::Value, inv: &str| {
        r["holders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["investor_id"] == inv)
            .map(|h| h["quantity"].as_str().unwrap().to_owned())
    };
    assert_eq!(q(&r, &a).as_deref(), Some("100"));
    assert_eq!(q(&r, &b).as_deref(), Some("50"));
    let (_, r) = reg("2026-03-09").await;
    assert_eq!(q(&r, &a).as_deref(), Some("100"));
    let (_, r) = reg("2026-03-10").await;
    assert_eq!(q(&r, &a).as_deref(), Some("60"));
    assert_eq!(q(&r, &b).as_deref(), Some("90"));
    let (_, now) = reg("").await;
    assert!(now["as_of"].is_null());
    assert_eq!(now["holders"], r["holders"]);
    let pa = now["holders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["investor_id"] == a.as_str())
        .unwrap()["percentage"]
        .clone();
    assert_eq!(pa, "39.735099");
    assert_error(&reg("2026-03-21").await, 400, "VALIDATION_ERROR");
    assert_error(&reg("2026-02-30").await, 400, "VALIDATION_ERROR");
    assert_error(&reg("yesterday").await, 400, "VALIDATION_ERROR");
    assert_error(
        &app.get(&format!("/v1/shareholders/{asset}"), &globex())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/shareholders/ast_0", &admin()).await,
        404,
        "NOT_FOUND",
    );

    // A dividend on the registry of record (before the transfer), rounded down per holder.
    let body = json!({"asset_id": asset, "amount_per_share": "0.333", "currency": "usd",
                      "record_date": "2026-03-05", "payment_date": "2026-03-12"});
    let (s, div) = app.post("/v1/dividends", &admin(), body.clone()).await;
    assert_eq!(s, 201, "{div}");
    assert!(div["id"].as_str().unwrap().starts_with("div_"));
    assert_eq!(div["currency"], "USD");
    assert_eq!(div["status"], "entitled");
    assert!(div["entitled_at"].is_string(), "{div}");
    assert_eq!(div["shares_of_record"], "151");
    assert_eq!(div["total_declared"], "50.283");
    assert_eq!(div["total_paid"], "50.28");
    assert_eq!(div["rounding_remainder"], "0.003");
    let ent = div["entitlements"].as_array().unwrap();
    assert_eq!(ent.len(), 3);
    let amount = |inv: &str| {
        ent.iter().find(|e| e["investor_id"] == inv).unwrap()["amount"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(amount(&a), "33.30");
    assert_eq!(amount(&b), "16.65");
    assert_eq!(amount(&c), "0.33");
    let div_id = div["id"].as_str().unwrap().to_owned();

    // Refusals.
    for (field, value) in [
        ("record_date", json!("1899-12-31")),
        ("record_date", json!("2026-02-31")),
        ("payment_date", json!("2026-03-04")),
        ("amount_per_share", json!("0")),
        ("amount_per_share", json!("-1")),
        ("currency", json!("usdollar")),
        ("asset_id", json!("ast_zz")),
    ] {
        let mut bad = body.clone();
        bad[field] = value.clone();
        let d = assert_error(
            &app.post("/v1/dividends", &admin(), bad).await,
            400,
            "VALIDATION_ERROR",
        );
        assert!(d["fields"].get(field).is_some(), "{field}={value}: {d}");
    }
    let mut early = body.clone();
    early["record_date"] = json!("2024-05-31");
    assert_error(
        &app.post("/v1/dividends", &admin(), early).await,
        409,
        "INVALID_STATE",
    );
    let mut unknown = body.clone();
    unknown["asset_id"] = json!(platform::ids::AssetId::new().to_string());
    assert_error(
        &app.post("/v1/dividends", &admin(), unknown).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.post("/v1/dividends", &globex(), body.clone()).await,
        404,
        "NOT_FOUND",
    );
    for user in ["acme/alice", "acme/carla", "acme/vic"] {
        assert_error(
            &app.post("/v1/dividends", &token(user), body.clone()).await,
            403,
            "FORBIDDEN",
        );
        assert_error(
            &app.get("/v1/dividends", &token(user)).await,
            403,
            "FORBIDDEN",
        );
    }
    // Reads (admin), replays.
    let (s, got) = app.get(&format!("/v1/dividends/{div_id}"), &admin()).await;
    assert_eq!(s, 200);
    assert_eq!(got["entitlements"], div["entitlements"]);
    assert_error(
        &app.get(&format!("/v1/dividends/{div_id}"), &globex()).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/dividends/div_x", &admin()).await,
        404,
        "NOT_FOUND",
    );
    let req = || {
        let mut b = body.clone();
        b["record_date"] = json!("2026-03-15");
        b["payment_date"] = json!("2026-04-15");
        app.server
            .post("/v1/dividends")
            .bearer_auth(admin())
            .header("idempotency-key", "div-2")
            .json(&b)
    };
    let (s, d2) = send(req()).await;
    assert_eq!(s, 201);
    assert_eq!(d2["shares_of_record"], "151");
    let d2_ent = d2["entitlements"].as_array().unwrap();
    assert_eq!(
        d2_ent
            .iter()
            .find(|e| e["investor_id"] == a.as_str())
            .unwrap()["quantity"],
        "60"
    );
    let (s, again) = send(req()).await;
    assert_eq!((s, &again), (201, &d2));
    let (_, list) = app
        .get(&format!("/v1/dividends?asset_id={asset}"), &admin())
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);

    // A's statement: holdings at the end of the period, the sale (long term), the dividend.
    let (s, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2026-01-01&to=2026-03-20"),
            &token("acme/vic"),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["holdings"][0]["quantity"], "60");
    assert_eq!(st["holdings"][0]["symbol"], "DIV");
    assert_eq!(st["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(st["transfers"][0]["direction"], "out");
    assert_eq!(st["transfers"][0]["amount"], "200.00");
    let gains = st["realized_gains"].as_array().unwrap();
    assert_eq!(gains.len(), 1);
    assert_eq!(gains[0]["description"], "40 sh DIV (DIV Common)");
    assert_eq!(gains[0]["date_acquired"], "2024-06-01");
    assert_eq!(gains[0]["date_sold"], "2026-03-10");
    assert_eq!(gains[0]["proceeds"], "200.00");
    assert_eq!(gains[0]["cost_basis"], "40.00");
    assert_eq!(gains[0]["gain"], "160.00");
    assert_eq!(gains[0]["term"], "long");
    assert_eq!(st["form_1099_b"]["long_term"]["gain"], "160.00");
    assert_eq!(st["form_1099_b"]["short_term"]["gain"], "0");
    assert_eq!(st["dividends"].as_array().unwrap().len(), 1);
    assert_eq!(st["form_1099_div"][0]["payer"], "DIV Inc.");
    assert_eq!(st["form_1099_div"][0]["total_ordinary_dividends"], "33.30");
    // Earlier period: before the sale.
    let (_, st) = app
        .get(
            &format!("/v1/statements/{a}?from=2026-03-01&to=2026-03-05"),
            &admin(),
        )
        .await;
    assert_eq!(st["holdings"][0]["quantity"], "100");
    assert_eq!(st["transfers"].as_array().unwrap().len(), 0);
    assert_eq!(st["realized_gains"].as_array().unwrap().len(), 0);
    // The buyer: the purchase, no gain; defaults to the year to date.
    let (_, st) = app.get(&format!("/v1/statements/{b}"), &admin()).await;
    assert_eq!(st["from"], "2026-01-01");
    assert_eq!(st["to"], "2026-03-20");
    assert_eq!(st["holdings"][0]["quantity"], "90");
    assert_eq!(st["transfers"][0]["direction"], "in");
    assert_eq!(st["holdings"][0]["lots"].as_array().unwrap().len(), 2);
    // Refusals.
    let st = |q: &str, tok: String| {
        let path = format!("/v1/statements/{a}{q}");
        async move { app_ref.get(&path, &tok).await }
    };
    assert_error(
        &st("?from=2026-03-10&to=2026-03-01", admin()).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        &st("?to=2026-03-21", admin()).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(&st("?to=soon", admin()).await, 400, "VALIDATION_ERROR");
    assert_error(&st("", globex()).await, 404, "NOT_FOUND");
    assert_error(
        &app.get(&format!("/v1/statements/{}", investor()), &admin())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/statements/inv_x", &admin()).await,
        404,
        "NOT_FOUND",
    );
}
