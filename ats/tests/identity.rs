//! API.md's identity and tenant rules against the real service on port 0.

#![allow(clippy::unwrap_used)]

async fn app(pool: sqlx::PgPool) -> testkit::TestServer {
    let config = ats::Config::from_source(testkit::env(&[])).unwrap();
    let pool = testkit::service_pool(&pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), pool, &ats::MIGRATOR).unwrap();
    testkit::TestServer::start(ats::router(&platform, &config).unwrap()).await
}

testkit::identity_tests!("ats::MIGRATOR", app, "/v1/orders");
