//! What the BD's integration tests share: the OFAC list loaded once per test binary, the
//! service on port 0, tokens and small request helpers.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, LazyLock};

use platform::Clock;
use reqwest::Method;
use sanctions::SanctionsList;
use serde_json::{Value, json};
use testkit::{TestServer, iam, send};

pub const OFAC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ofac");

/// Loaded once per test binary and shared by every test in it.
pub static LIST: LazyLock<Arc<SanctionsList>> =
    LazyLock::new(|| Arc::new(SanctionsList::load_dir(OFAC_DIR).unwrap()));

pub async fn app(pool: sqlx::PgPool) -> TestServer {
    app_with(pool, &[], None).await
}

/// The service on port 0, connected as the service role (row-level security binds it as in
/// production); `pool`, the superuser's, stays the test's to look behind the service's back.
pub async fn app_with(
    pool: sqlx::PgPool,
    vars: &[(&str, &str)],
    provider: Option<kyc::SharedKycProvider>,
) -> TestServer {
    app_with_clock(pool, vars, provider, Clock::system()).await
}

/// [`app_with`] on a given clock (a test pins it and moves it).
pub async fn app_with_clock(
    pool: sqlx::PgPool,
    vars: &[(&str, &str)],
    provider: Option<kyc::SharedKycProvider>,
    clock: Clock,
) -> TestServer {
    let mut all = vec![("OFAC_DIR", OFAC_DIR)];
    all.extend_from_slice(vars);
    let mut config = bd::Config::from_source(testkit::env(&all)).unwrap();
    if let Some(p) = provider {
        config = config.with_kyc_provider(p);
    }
    let service = testkit::service_pool(&pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), service, &bd::MIGRATOR).unwrap();
    let list = LazyLock::force(&LIST).clone();
    TestServer::start(bd::router_with_clock(&platform, &config, list, clock)).await
}

pub fn token(user: &str) -> String {
    iam().user_token(user)
}

pub fn service() -> String {
    iam().service_token("ats")
}

pub async fn call(
    app: &TestServer,
    method: Method,
    path: &str,
    user: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.request(method, path).bearer_auth(token(user));
    if let Some(b) = body {
        req = req.json(&b);
    }
    send(req).await
}

pub async fn get(app: &TestServer, path: &str, user: &str) -> (u16, Value) {
    call(app, Method::GET, path, user, None).await
}

pub async fn post(app: &TestServer, path: &str, user: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, path, user, Some(body)).await
}

pub async fn patch(app: &TestServer, path: &str, user: &str, body: Value) -> (u16, Value) {
    call(app, Method::PATCH, path, user, Some(body)).await
}

/// A PATCH with a raw body (malformed JSON and the like).
pub async fn patch_raw(app: &TestServer, path: &str, user: &str, body: &str) -> (u16, Value) {
    send(
        app.request(Method::PATCH, path)
            .bearer_auth(token(user))
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// A POST with a raw body (malformed JSON and the like).
pub async fn post_raw(app: &TestServer, path: &str, user: &str, body: &str) -> (u16, Value) {
    send(
        app.post(path)
            .bearer_auth(token(user))
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// A POST as the ATS's service token acting for `org`.
pub async fn post_service(app: &TestServer, path: &str, org: &str, body: Value) -> (u16, Value) {
    send(
        app.post(path)
            .bearer_auth(service())
            .header("x-iam-org", org)
            .json(&body),
    )
    .await
}

pub async fn get_service(app: &TestServer, path: &str, org: &str) -> (u16, Value) {
    send(
        app.get(path)
            .bearer_auth(service())
            .header("x-iam-org", org),
    )
    .await
}

pub fn individual(name: &str, country: &str) -> Value {
    json!({
        "type": "individual",
        "legal_name": name,
        "email": "investor@example.com",
        "country": country,
        "date_of_birth": "1980-05-17",
    })
}

/// Creates an investor as acme/carla and answers its id.
pub async fn create(app: &TestServer, body: Value) -> String {
    create_as(app, "acme/carla", body).await
}

pub async fn create_as(app: &TestServer, user: &str, body: Value) -> String {
    let (s, v) = post(app, "/v1/investors", user, body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

/// Runs KYC as acme/carla and answers the check.
pub async fn kyc(app: &TestServer, id: &str) -> Value {
    let (s, v) = post(
        app,
        &format!("/v1/investors/{id}/kyc"),
        "acme/carla",
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v
}

/// An individual with KYC approved.
pub async fn approved_individual(app: &TestServer, name: &str) -> String {
    let id = create(app, individual(name, "US")).await;
    let check = kyc(app, &id).await;
    assert_eq!(check["status"], "approved", "{check}");
    id
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

pub fn days_ago(n: i64) -> String {
    (today() - time::Duration::days(n)).to_string()
}

/// Verifies an accreditation by net worth with documents dated today.
pub async fn accredit(app: &TestServer, id: &str) -> Value {
    let (s, v) = post(
        app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        json!({"method": "net_worth", "evidence": {"net_worth": "2500000", "documents_dated": today().to_string()}}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "verified", "{v}");
    v
}

/// A fresh id with a prefix, as another service would issue it.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

pub async fn pre_trade(app: &TestServer, body: Value) -> Value {
    let (s, v) = post_service(app, "/v1/compliance/pre-trade", "acme", body).await;
    assert_eq!(s, 200, "{v}");
    v
}

pub fn order_request(
    investor: &str,
    asset: &str,
    side: &str,
    qty: &str,
    price: &str,
    reg: &str,
) -> Value {
    json!({
        "order_id": new_id("ord"),
        "investor_id": investor,
        "asset_id": asset,
        "side": side,
        "quantity": qty,
        "price": price,
        "regulation": reg,
    })
}

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    platform::time::format(t)
}

/// A `trade.executed` event for acme.
pub fn trade_event(
    asset: &str,
    buyer: &str,
    seller: &str,
    qty: &str,
    price: &str,
    executed_at: time::OffsetDateTime,
) -> Value {
    json!({
        "id": new_id("evt"),
        "type": "trade.executed",
        "created_at": rfc3339(executed_at),
        "organization_id": "acme",
        "data": {
            "id": new_id("trd"),
            "asset_id": asset,
            "price": price,
            "quantity": qty,
            "buy_order_id": new_id("ord"),
            "sell_order_id": new_id("ord"),
            "buyer_investor_id": buyer,
            "seller_investor_id": seller,
            "executed_at": rfc3339(executed_at),
            "settlement_id": null,
            "symbol": "ACME",
        }
    })
}

/// An order event for acme with the order's fields.
pub fn order_event(kind: &str, order: &Value, at: time::OffsetDateTime) -> Value {
    json!({
        "id": new_id("evt"),
        "type": kind,
        "created_at": rfc3339(at),
        "organization_id": "acme",
        "data": order,
    })
}

pub fn order(
    id: &str,
    investor: &str,
    asset: &str,
    side: &str,
    qty: &str,
    price: Option<&str>,
    created_at: time::OffsetDateTime,
) -> Value {
    json!({
        "id": id,
        "asset_id": asset,
        "investor_id": investor,
        "side": side,
        "order_type": if price.is_some() { "limit" } else { "market" },
        "time_in_force": "gtc",
        "quantity": qty,
        "filled_quantity": "0",
        "remaining_quantity": qty,
        "price": price,
        "stop_price": null,
        "average_fill_price": null,
        "status": "open",
        "reject_reason": null,
        "created_at": rfc3339(created_at),
        "updated_at": rfc3339(created_at),
        "symbol": "ACME",
    })
}

/// Median of `rounds` runs of `f` (the hand-run measurements).
pub async fn median<F, Fut>(rounds: usize, mut f: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    times[rounds / 2]
}
