//! API.md's identity and tenant rules against the real service on port 0.

#![allow(clippy::unwrap_used)]

async fn app(pool: sqlx::PgPool) -> testkit::TestServer {
    let config = ta::Config::from_source(testkit::env(&[])).unwrap();
    let service = testkit::service_pool(&pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), service, &ta::MIGRATOR).unwrap();
    testkit::TestServer::start(ta::router(&platform, &config)).await
}

testkit::identity_tests!("ta::MIGRATOR", app, "/v1/holdings");
