//! The ATS's background work at fixed times: `day` orders expire at the end of their trading
//! day (in the venue's time zone), orders a dead process left pending are rejected, and the
//! database keeps each organization's rows to itself.

#![allow(clippy::unwrap_used)]

mod common;

use common::{dec, limit, stack, stack_with};
use platform::Clock;
use serde_json::json;
use sqlx::PgPool;
use time::macros::datetime;

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn day_orders_expire_at_the_close_of_their_trading_day(pool: PgPool) {
    // Wednesday 2026-12-02, 10:00 in New York (15:00 UTC).
    let clock = Clock::fixed(datetime!(2026-12-02 15:00 UTC));
    let s = stack_with(pool.clone(), &[], clock.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let mut day = limit(&asset, &buyer, "buy", "10", "10.00");
    day["time_in_force"] = json!("day");
    let day = s.placed(day).await;
    assert_eq!(
        day["expires_at"], "2026-12-02T21:00:00.000000Z",
        "16:00 EST"
    );
    let gtc = s.placed(limit(&asset, &buyer, "buy", "10", "9.00")).await;
    assert!(gtc["expires_at"].is_null());

    // 15:59 in New York: nothing is due.
    clock.set(datetime!(2026-12-02 20:59 UTC));
    assert_eq!(
        ats::orders::expire_due(&s.state, clock.now())
            .await
            .unwrap(),
        0
    );
    // After the close.
    clock.set(datetime!(2026-12-02 21:00:01 UTC));
    assert_eq!(
        ats::orders::expire_due(&s.state, clock.now())
            .await
            .unwrap(),
        1
    );
    let expired = s.get_order(day["id"].as_str().unwrap()).await;
    assert_eq!(expired["status"], "cancelled", "{expired}");
    assert_eq!(expired["cancel_reason"], "expired");
    assert_eq!(dec(&expired["remaining_quantity"]), "0");
    assert_eq!(
        s.get_order(gtc["id"].as_str().unwrap()).await["status"],
        "open"
    );
    assert_eq!(
        ats::orders::expire_due(&s.state, clock.now())
            .await
            .unwrap(),
        0,
        "once"
    );
    let bids = s.book(&asset).await["bids"].as_array().unwrap().len();
    assert_eq!(bids, 1, "only the GTC order rests");
    let event: String =
        sqlx::query_scalar("SELECT type FROM outbox ORDER BY position DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(event, "order.expired");

    // Placed after Friday's close, a day order lives until Monday's.
    clock.set(datetime!(2026-12-04 22:00 UTC));
    let mut late = limit(&asset, &buyer, "buy", "10", "10.00");
    late["time_in_force"] = json!("day");
    let late = s.placed(late).await;
    assert_eq!(late["expires_at"], "2026-12-07T21:00:00.000000Z");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn orders_a_dead_process_left_pending_are_rejected_as_interrupted(pool: PgPool) {
    let s = stack_with(
        pool.clone(),
        &[("ATS_PENDING_TIMEOUT_SECS", "60")],
        Clock::system(),
    )
    .await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let live = s.placed(limit(&asset, &buyer, "buy", "10", "10.00")).await;
    // What a process killed between recording and matching leaves behind.
    let id = uuid::Uuid::now_v7();
    let asset_uuid = uuid::Uuid::parse_str(&asset[4..]).unwrap();
    let investor_uuid = uuid::Uuid::parse_str(&buyer[4..]).unwrap();
    sqlx::query(
        "INSERT INTO orders (organization_id, id, asset_id, investor_id, side, order_type,
                             time_in_force, quantity, remaining_quantity, price, status,
                             created_at, updated_at, created_by)
         VALUES ('acme', $1, $2, $3, 'buy', 'limit', 'gtc', 5, 5, 10, 'pending_compliance',
                 now() - interval '5 minutes', now() - interval '5 minutes', 'test')",
    )
    .bind(id)
    .bind(asset_uuid)
    .bind(investor_uuid)
    .execute(&pool)
    .await
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        ats::orders::sweep_interrupted(&s.state, now).await.unwrap(),
        1
    );
    assert_eq!(
        ats::orders::sweep_interrupted(&s.state, now).await.unwrap(),
        0,
        "once"
    );
    let swept = s.get_order(&format!("ord_{}", id.simple())).await;
    assert_eq!(swept["status"], "rejected");
    assert_eq!(swept["reject_reason"], "interrupted");
    assert_eq!(
        s.get_order(live["id"].as_str().unwrap()).await["status"],
        "open"
    );
    let event: String =
        sqlx::query_scalar("SELECT type FROM outbox ORDER BY position DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(event, "order.rejected");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn the_database_keeps_organizations_apart(pool: PgPool) {
    let s = stack(pool.clone()).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "100").await;
    s.placed(limit(&asset, &seller, "sell", "50", "10.00"))
        .await;
    s.ats
        .post("/v1/orders")
        .bearer_auth(common::token("acme/alice"))
        .header("idempotency-key", "k1")
        .json(&limit(&asset, &buyer, "buy", "20", "10.00"))
        .send()
        .await
        .unwrap();
    testkit::tenancy::assert_tenant_tables(&pool).await;
    let service = testkit::service_pool(&pool).await;
    let tables = testkit::tenancy::assert_isolated(&pool, &service, "acme").await;
    // assets, books, orders, trades, settlements, outbox, outbox_streams, idempotency_keys.
    assert_eq!(tables, 8);

    // Without an organization the service role sees nothing, whatever it asks.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE organization_id = 'acme'")
        .fetch_one(&service)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // And a write naming another organization is refused by PostgreSQL itself.
    let mut tx = platform::db::begin(&service, "acme").await.unwrap();
    let err = sqlx::query(
        "INSERT INTO outbox_streams (organization_id, asset_id) VALUES ('globex', gen_random_uuid())",
    )
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_role_that_bypasses_row_level_security_is_refused_in_production(pool: PgPool) {
    let su = platform::db::role_standing(&pool).await.unwrap();
    assert!(su.bypasses_rls(), "the test's own pool is the superuser's");
    let err = platform::db::check_role(&pool, platform::config::AppEnv::Production)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bypasses row-level security") && err.contains("NOBYPASSRLS"),
        "{err}"
    );
    platform::db::check_role(&pool, platform::config::AppEnv::Development)
        .await
        .unwrap();
    let service = testkit::service_pool(&pool).await;
    platform::db::check_role(&service, platform::config::AppEnv::Production)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn the_service_will_not_start_in_production_as_a_superuser(pool: PgPool) {
    let db = pool.connect_options().get_database().unwrap().to_owned();
    let server = std::env::var("DATABASE_URL").unwrap();
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => unreachable!("DATABASE_URL has a database"),
    };
    let config = ats::Config::from_source(testkit::env(&[
        ("APP_ENV", "production"),
        ("DATABASE_URL", &url),
        ("IAM_CLIENT_SECRET", "a-production-secret"),
    ]))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = ats::serve(config, listener, tokio_util::sync::CancellationToken::new())
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("bypasses row-level security"), "{text}");
    assert!(text.contains("NOSUPERUSER NOBYPASSRLS"), "{text}");
}
