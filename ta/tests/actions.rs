//! `POST/GET /v1/corporate-actions`: issuances, splits and reverse splits with cash in lieu,
//! mergers, conversions, redemptions, and their refusals.

#![allow(clippy::unwrap_used)]

mod common;

use common::{admin, app, globex, investor, token};
use serde_json::{Value, json};
use testkit::{assert_error, send};

fn ca(body: Value) -> Value {
    body
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn issuance_and_its_refusals(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("ISS", "reg_d_506b", json!({})).await;
    let a = investor();
    let issued = app
        .issue(&asset, &a, "1000", "0.0001", Some("2024-05-20"))
        .await;
    let id = issued["id"].as_str().unwrap();
    assert!(id.starts_with("ca_"), "{id}");
    assert_eq!(issued["type"], "issuance");
    // Back-dated: it takes effect when the shares were acquired.
    assert_eq!(issued["effective_date"], "2024-05-20");
    assert_eq!(issued["acquired_at"], "2024-05-20");
    assert_eq!(issued["result"]["lots_created"][0]["quantity"], "1000");
    assert_eq!(issued["result"]["totals"][0]["totals"]["issued"], "1000");
    assert_eq!(app.outstanding(&asset).await, "1000");

    let admin_token = admin();
    let post = |b: Value| app.post("/v1/corporate-actions", &admin_token, b);
    let issuance = |field: &str, value: Value| {
        let mut b = json!({"type": "issuance", "asset_id": asset, "investor_id": a,
                           "quantity": "10", "price_per_share": "1"});
        b[field] = value;
        b
    };
    // Field-named 400s.
    for (field, body) in [
        ("type", json!({"type": "dividend", "asset_id": asset})),
        ("type", json!({"asset_id": asset})),
        ("type", json!({"type": 5, "asset_id": asset})),
        ("quantity", issuance("quantity", json!(0))),
        ("quantity", issuance("quantity", json!("-1"))),
        ("quantity", issuance("quantity", json!("1.5"))),
        (
            "quantity",
            issuance("quantity", json!("99999999999999999999")),
        ),
        (
            "price_per_share",
            issuance("price_per_share", json!("-0.01")),
        ),
        ("acquired_at", issuance("acquired_at", json!("2026-03-03"))),
        ("acquired_at", issuance("acquired_at", json!("2026-13-01"))),
        ("investor_id", issuance("investor_id", json!("alice"))),
        ("asset_id", issuance("asset_id", json!(null))),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "0:1"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "1:0"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "two:one"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "-2:1"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "1.5:1"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "1:2"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "1:1"})),
        ),
        (
            "ratio",
            ca(json!({"type": "reverse_split", "asset_id": asset, "ratio": "2:1"})),
        ),
        (
            "ratio",
            ca(json!({"type": "split", "asset_id": asset, "ratio": "2000000000:1"})),
        ),
        ("ratio", ca(json!({"type": "split", "asset_id": asset}))),
        (
            "cash_in_lieu_price",
            ca(
                json!({"type": "split", "asset_id": asset, "ratio": "2:1", "cash_in_lieu_price": "-1"}),
            ),
        ),
        (
            "quantity",
            ca(
                json!({"type": "conversion", "asset_id": asset, "target_asset_id": asset, "ratio": "1:1", "quantity": "5"}),
            ),
        ),
        (
            "target_asset_id",
            ca(
                json!({"type": "merger", "asset_id": asset, "target_asset_id": asset, "ratio": "1:1"}),
            ),
        ),
    ] {
        let got = post(body.clone()).await;
        let d = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(d["fields"].get(field).is_some(), "{field}: {body} -> {d}");
    }
    assert_error(
        &app.raw_post("/v1/corporate-actions", &admin(), "[1,").await,
        400,
        "MALFORMED_JSON",
    );
    assert_error(
        &app.raw_post("/v1/corporate-actions", &admin(), "[1]").await,
        400,
        "VALIDATION_ERROR",
    );
    // Unknown and foreign securities.
    let unknown = platform::ids::AssetId::new().to_string();
    assert_error(
        &post(issuance("asset_id", json!(unknown))).await,
        404,
        "NOT_FOUND",
    );
    let theirs = {
        let (_, s) = app
            .post("/v1/securities", &globex(), json!({"symbol": "G", "name": "G", "issuer": "G",
                  "security_class": "common", "regulation": "registered", "reporting_issuer": false}))
            .await;
        s["id"].as_str().unwrap().to_owned()
    };
    assert_error(
        &post(issuance("asset_id", json!(theirs))).await,
        404,
        "NOT_FOUND",
    );
    let d = assert_error(
        &post(
            json!({"type": "merger", "asset_id": asset, "target_asset_id": theirs, "ratio": "1:1"}),
        )
        .await,
        404,
        "NOT_FOUND",
    );
    assert_eq!(d["field"], "target_asset_id");
    // Roles.
    for user in ["acme/alice", "acme/carla", "acme/vic"] {
        let got = app
            .post(
                "/v1/corporate-actions",
                &token(user),
                issuance("quantity", json!("1")),
            )
            .await;
        assert_error(&got, 403, "FORBIDDEN");
    }
    let got = app
        .post_as_service(
            "/v1/corporate-actions",
            "acme",
            issuance("quantity", json!("1")),
        )
        .await;
    assert_error(&got, 403, "FORBIDDEN");
    // Nothing of the refusals was written.
    assert_eq!(app.outstanding(&asset).await, "1000");
    let (_, list) = app.get("/v1/corporate-actions", &admin()).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Idempotent replay.
    let req = || {
        app.server
            .post("/v1/corporate-actions")
            .bearer_auth(admin())
            .header("idempotency-key", "iss-1")
            .json(&issuance("quantity", json!("5")))
    };
    let (s, first) = send(req()).await;
    assert_eq!(s, 201);
    let (s, second) = send(req()).await;
    assert_eq!((s, &second), (201, &first));
    assert_eq!(app.outstanding(&asset).await, "1005");

    // Reads: any role; another organization's id is 404.
    let (s, got) = app
        .get(&format!("/v1/corporate-actions/{id}"), &token("acme/vic"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(got["id"], id);
    assert_error(
        &app.get(&format!("/v1/corporate-actions/{id}"), &globex())
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &app.get("/v1/corporate-actions/ca_1", &admin()).await,
        404,
        "NOT_FOUND",
    );
    let (_, l) = app
        .get(
            &format!("/v1/corporate-actions?asset_id={asset}&type=issuance&limit=1"),
            &admin(),
        )
        .await;
    assert_eq!(l["data"].as_array().unwrap().len(), 1);
    assert!(l["next_cursor"].is_string());
    assert_error(
        &app.get("/v1/corporate-actions?type=bogus", &admin()).await,
        400,
        "VALIDATION_ERROR",
    );
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn splits_and_reverse_splits_pay_cash_in_lieu(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("SPL", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "101", "1.00", None).await;
    app.issue(&asset, &b, "50", "2.00", None).await;
    let split = |r: &str, price: Option<&str>| {
        let mut body = json!({"type": "split", "asset_id": asset, "ratio": r});
        if let Some(p) = price {
            body["cash_in_lieu_price"] = json!(p);
        }
        body
    };
    let d = assert_error(
        &app.post("/v1/corporate-actions", &admin(), split("3:2", None))
            .await,
        400,
        "VALIDATION_ERROR",
    );
    assert!(d["fields"].get("cash_in_lieu_price").is_some(), "{d}");
    assert_eq!(app.outstanding(&asset).await, "151");

    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            split("3:2", Some("4.00")),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["ratio"], "3:2");
    let result = &done["result"];
    assert_eq!(result["holders_affected"], 2);
    assert_eq!(result["cash_in_lieu"].as_array().unwrap().len(), 1);
    assert_eq!(result["cash_in_lieu"][0]["investor_id"], a.as_str());
    assert_eq!(result["cash_in_lieu"][0]["fractional_shares"], "0.5");
    assert_eq!(result["cash_in_lieu"][0]["amount"], "2.00");
    assert_eq!(result["totals"][0]["totals"]["outstanding"], "226");
    assert_eq!(result["totals"][0]["totals"]["fractions_cashed"], "0.5");
    assert_eq!(app.held(&a, &asset).await, "151");
    assert_eq!(app.held(&b, &asset).await, "75");
    // B's basis is untouched by the split: 100.00 over 75 shares.
    let (_, h) = app.get(&format!("/v1/holdings/{b}"), &admin()).await;
    assert_eq!(h["holdings"][0]["cost_basis"], "100.00");

    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "reverse_split", "asset_id": asset,
              "ratio": "1:10", "cash_in_lieu_price": "40.00"}),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    let cash = done["result"]["cash_in_lieu"].as_array().unwrap();
    assert_eq!(cash.len(), 2);
    assert_eq!(done["result"]["cash_in_lieu_total"], "24.00");
    assert_eq!(app.held(&a, &asset).await, "15");
    assert_eq!(app.held(&b, &asset).await, "7");
    assert_eq!(app.outstanding(&asset).await, "22");
    // The fractions paid are realised gains (1099-B lines).
    let (s, st) = app.get(&format!("/v1/statements/{a}"), &admin()).await;
    assert_eq!(s, 200, "{st}");
    let lines = st["realized_gains"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["kind"] == "cash_in_lieu"));
    assert_eq!(lines[0]["proceeds"], "2.00");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn merger_retires_the_source(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let old = app.security("OLD", "registered", json!({})).await;
    let new = app.security("NEW", "registered", json!({})).await;
    let (a, b, c) = (investor(), investor(), investor());
    app.issue(&old, &a, "10", "1.00", Some("2024-01-15")).await;
    app.issue(&old, &b, "3", "1.00", None).await;
    app.issue(&new, &c, "100", "1.00", None).await;
    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "merger", "asset_id": old,
              "target_asset_id": new, "ratio": "1:2", "cash_in_lieu_price": "5.00"}),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["target_asset_id"], new.as_str());
    assert_eq!(done["result"]["cash_in_lieu"][0]["amount"], "2.50");
    let (_, o) = app.get(&format!("/v1/securities/{old}"), &admin()).await;
    assert_eq!(o["status"], "retired");
    assert_eq!(o["merged_into"], new.as_str());
    assert_eq!(o["totals"]["outstanding"], "0");
    assert_eq!(app.outstanding(&new).await, "106");
    assert_eq!(app.held(&a, &new).await, "5");
    assert_eq!(app.held(&b, &new).await, "1");
    // Acquisition dates survive the merger.
    let (_, h) = app
        .get(&format!("/v1/holdings/{a}?asset_id={new}"), &admin())
        .await;
    assert_eq!(h["holdings"][0]["lots"][0]["acquired_at"], "2024-01-15");
    // The retired security accepts nothing more.
    let d = assert_error(
        &app.transfer(&old, &a, &b, "1", "1").await,
        409,
        "INVALID_STATE",
    );
    assert_eq!(d["rule"], "security_retired");
    let got = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "issuance", "asset_id": old,
              "investor_id": a, "quantity": "1", "price_per_share": "1"}),
        )
        .await;
    assert_error(&got, 409, "INVALID_STATE");
    let (_, reg) = app.get(&format!("/v1/shareholders/{old}"), &admin()).await;
    assert_eq!(reg["holders"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn conversions_and_redemptions(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let pref = app
        .security("PREF", "registered", json!({"security_class": "preferred"}))
        .await;
    let com = app.security("COM", "registered", json!({})).await;
    let (a, b, c) = (investor(), investor(), investor());
    app.issue(&pref, &a, "10", "10.00", None).await;
    app.issue(&pref, &b, "7", "10.00", None).await;
    app.issue(&com, &c, "5", "1.00", None).await;

    // One holder converts part of a position.
    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "conversion", "asset_id": pref,
              "target_asset_id": com, "ratio": "2:1", "investor_id": a, "quantity": "4"}),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(app.held(&a, &pref).await, "6");
    assert_eq!(app.held(&a, &com).await, "8");
    // The basis follows the shares: 4 × 10.00 over 8 common shares.
    let (_, h) = app
        .get(&format!("/v1/holdings/{a}?asset_id={com}"), &admin())
        .await;
    assert_eq!(h["holdings"][0]["cost_basis"], "40.00");
    let got = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "conversion", "asset_id": pref,
              "target_asset_id": com, "ratio": "1:1", "investor_id": a, "quantity": "7"}),
        )
        .await;
    assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");

    // Every holder (a mandatory conversion) with a fraction paid in cash.
    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "conversion", "asset_id": pref,
              "target_asset_id": com, "ratio": "3:2", "cash_in_lieu_price": "1.00"}),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["result"]["cash_in_lieu"][0]["investor_id"], b.as_str());
    assert_eq!(done["result"]["cash_in_lieu"][0]["amount"], "0.50");
    assert_eq!(app.held(&a, &com).await, "17");
    assert_eq!(app.held(&b, &com).await, "10");
    assert_eq!(app.outstanding(&pref).await, "0");
    assert_eq!(app.outstanding(&com).await, "32");

    // Redemption: oldest lots first; more than held is refused.
    let (s, done) = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "redemption", "asset_id": com,
              "investor_id": a, "quantity": "7", "price_per_share": "2.00"}),
        )
        .await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(app.held(&a, &com).await, "10");
    let (_, sec) = app.get(&format!("/v1/securities/{com}"), &admin()).await;
    assert_eq!(sec["totals"]["redeemed"], "7");
    assert_eq!(sec["totals"]["outstanding"], "25");
    let got = app
        .post(
            "/v1/corporate-actions",
            &admin(),
            json!({"type": "redemption", "asset_id": com,
              "investor_id": a, "quantity": "11", "price_per_share": "2.00"}),
        )
        .await;
    let d = assert_error(&got, 422, "INSUFFICIENT_HOLDINGS");
    assert_eq!(d["requested"], "11");
    assert_eq!(app.held(&a, &com).await, "10");
    let (_, st) = app.get(&format!("/v1/statements/{a}"), &admin()).await;
    let redemption: Vec<_> = st["realized_gains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "redemption")
        .collect();
    assert_eq!(redemption.len(), 1);
    assert_eq!(redemption[0]["proceeds"], "14.00");
}
