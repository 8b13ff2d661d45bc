//! Tenancy enforced by PostgreSQL: every table of the TA is a tenant table under the policy,
//! and the service's role, which the service runs as, sees and writes nothing of another
//! organization whatever the query says.

#![allow(clippy::unwrap_used)]

mod common;

use common::{App, admin, app, globex, investor};
use serde_json::{Value, json};
use sqlx::Row;
use testkit::send;

/// Tables of the TA's database (all but the migrations' ledger).
async fn table_count(app: &App) -> usize {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    usize::try_from(n).unwrap()
}

fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

async fn post_ok(app: &App, path: &str, body: Value) -> Value {
    let (s, v) = app.post(path, &admin(), body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

/// What a realistic day of acme's register leaves in every table: securities, issuances
/// (one back-dated), transfers (recorded, rejected by Rule 144, pending a right of first
/// refusal), a dividend entitled at once, a split paying cash in lieu, reads of holdings,
/// registries and statements, and a request under an Idempotency-Key.
async fn acme_scenario(app: &App) {
    let (a, b, c) = (investor(), investor(), investor());
    let common = app.security("ACME", "reg_d_506b", json!({})).await;
    let rofr = app
        .security("ROFR", "registered", json!({"rofr_days": 30}))
        .await;
    app.issue(&common, &a, "1000", "1.00", Some("2024-01-02"))
        .await;
    app.issue(&common, &b, "15", "2.00", None).await;
    app.issue(&rofr, &a, "100", "1.00", Some("2024-01-02"))
        .await;

    // Recorded (a's lot is free), rejected (b's lot is within its Rule 144 period), pending.
    let (s, t) = app.transfer(&common, &a, &c, "100", "3.00").await;
    assert_eq!((s, t["status"].as_str()), (201, Some("recorded")), "{t}");
    let (s, t) = app.transfer(&common, &b, &c, "10", "3.00").await;
    assert_eq!(s, 422, "{t}");
    let (s, t) = app.transfer(&rofr, &a, &b, "10", "1.50").await;
    assert_eq!(
        (s, t["status"].as_str()),
        (201, Some("pending_rofr")),
        "{t}"
    );

    // A dividend on the registry of yesterday: entitled at once, with payments.
    let div = post_ok(
        app,
        "/v1/dividends",
        json!({"asset_id": common, "amount_per_share": "0.10", "currency": "USD",
               "record_date": "2026-03-01", "payment_date": "2026-03-02"}),
    )
    .await;
    assert_eq!(div["status"], "entitled", "{div}");

    // A 3:2 split: b's 15 shares become 22.5, the half share paid in cash.
    let split = post_ok(
        app,
        "/v1/corporate-actions",
        json!({"type": "split", "asset_id": common, "ratio": "3:2", "cash_in_lieu_price": "2.00"}),
    )
    .await;
    assert!(
        !split["result"]["cash_in_lieu"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{split}"
    );

    // Under an Idempotency-Key: the key is stored for acme.
    let (s, _) = send(
        app.server
            .post("/v1/corporate-actions")
            .bearer_auth(admin())
            .header("idempotency-key", "tenancy-scenario-1")
            .json(
                &json!({"type": "issuance", "asset_id": rofr, "investor_id": c,
                          "quantity": "5", "price_per_share": "1.00"}),
            ),
    )
    .await;
    assert_eq!(s, 201);

    // Reads through every kind of query.
    for path in [
        format!("/v1/holdings?asset_id={common}"),
        format!("/v1/holdings/{a}"),
        format!("/v1/shareholders/{common}?as_of=2026-03-01"),
        format!("/v1/shareholders/{common}"),
        format!("/v1/statements/{a}?from=2024-01-01"),
        format!("/v1/securities/{common}/ocf"),
        "/v1/transfers".to_owned(),
        "/v1/dividends".to_owned(),
        "/v1/corporate-actions".to_owned(),
    ] {
        let (s, v) = app.get(&path, &admin()).await;
        assert_eq!(s, 200, "{path}: {v}");
    }
    let (s, st) = app
        .get(&format!("/v1/statements/{a}?from=2024-01-01"), &admin())
        .await;
    assert_eq!(s, 200);
    assert!(!st["realized_gains"].as_array().unwrap().is_empty(), "{st}");
    assert!(!st["dividends"].as_array().unwrap().is_empty(), "{st}");
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn every_table_is_a_tenant_table(pool: sqlx::PgPool) {
    testkit::tenancy::assert_tenant_tables(&pool).await;
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn the_service_role_sees_and_writes_only_its_organization(pool: sqlx::PgPool) {
    let app = app(pool).await;
    acme_scenario(&app).await;
    // Globex has its own register meanwhile, which acme must not see either.
    let (s, _) = app
        .post(
            "/v1/securities",
            &globex(),
            json!({"symbol": "ACME", "name": "Globex's ACME", "issuer": "Globex Inc.",
                   "security_class": "common", "regulation": "registered",
                   "reporting_issuer": false}),
        )
        .await;
    assert_eq!(s, 201);

    let checked = testkit::tenancy::assert_isolated(&app.pool, &app.service_pool, "acme").await;
    // Every table of the database held acme's rows, and each was checked.
    assert_eq!(checked, table_count(&app).await);
    assert_eq!(
        checked, 11,
        "securities, journal_heads, journal, lots, transfers, corporate_actions, disposals, cash_in_lieu, dividends, dividend_payments, idempotency_keys"
    );
}

#[sqlx::test(migrator = "ta::MIGRATOR")]
async fn without_an_organization_nothing_is_seen_and_another_is_refused(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let asset = app.security("ACME", "registered", json!({})).await;
    let (a, b) = (investor(), investor());
    app.issue(&asset, &a, "100", "1.00", None).await;
    let (s, _) = app.transfer(&asset, &a, &b, "10", "1.00").await;
    assert_eq!(s, 201);

    // Behind the service's back, the rows are there.
    for table in ["securities", "journal", "lots", "transfers", "disposals"] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(n > 0, "{table} is empty");
        // The service's role, with no organization set, sees none of them.
        let seen: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&app.service_pool)
                .await
                .unwrap();
        assert_eq!(seen, 0, "{table}: rows seen without an organization");
    }

    // In acme's transaction, a row written for globex is refused by the database itself.
    let mut tx = platform::db::begin(&app.service_pool, "acme")
        .await
        .unwrap();
    let refused =
        sqlx::query("INSERT INTO journal_heads (organization_id, last_seq) VALUES ('globex', 1)")
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert_eq!(sqlstate(&refused).as_deref(), Some("42501"), "{refused}");
    drop(tx);

    // So is moving acme's security to globex, even naming it by id.
    let mut tx = platform::db::begin(&app.service_pool, "acme")
        .await
        .unwrap();
    let refused = sqlx::query("UPDATE securities SET organization_id = 'globex' WHERE id = $1")
        .bind(platform::ids::AssetId::parse(&asset).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&refused).as_deref(), Some("42501"), "{refused}");
    drop(tx);

    // And globex, asking for acme's rows by their organization, gets none and changes none.
    let mut tx = platform::db::begin(&app.service_pool, "globex")
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM lots WHERE organization_id = 'acme'")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    let changed = sqlx::query("UPDATE lots SET quantity = 1 WHERE organization_id = 'acme'")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 0);
    drop(tx);
    let row = sqlx::query("SELECT sum(quantity)::text AS total FROM lots")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("total"), "100");
}
