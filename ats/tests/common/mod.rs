//! The three services together, in-process, each on its own database and as its own database
//! role: the real BD and TA (never a mock), and the ATS pointed at them. Helpers set up what
//! trading needs: a TA security listed on the ATS, investors with KYC approved at the BD,
//! shares issued at the TA.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, LazyLock};

use platform::Clock;
use reqwest::Method;
use sanctions::SanctionsList;
use serde_json::{Value, json};
use sqlx::PgPool;
use testkit::db::ExtraDatabase;
use testkit::{TestServer, iam, send};
use tokio_util::sync::CancellationToken;

pub const OFAC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ofac");

/// Loaded once per test binary.
pub static LIST: LazyLock<Arc<SanctionsList>> =
    LazyLock::new(|| Arc::new(SanctionsList::load_dir(OFAC_DIR).unwrap()));

pub struct Stack {
    /// The BD's clock (the system's until a test pins it).
    pub bd_clock: Clock,
    pub ats: TestServer,
    pub state: ats::AppState,
    pub bd: TestServer,
    pub ta: TestServer,
    /// The ATS's database as the superuser.
    pub pool: PgPool,
    pub bd_db: ExtraDatabase,
    pub ta_db: ExtraDatabase,
    pub shutdown: CancellationToken,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn bd_server(db: &ExtraDatabase) -> TestServer {
    bd_server_with_clock(db, Clock::system()).await
}

pub async fn bd_server_with_clock(db: &ExtraDatabase, clock: Clock) -> TestServer {
    // The venue reports its trades on Form T (CAT's reportingExceptionCode F), as the devstack.
    let config = bd::Config::from_source(testkit::env(&[
        ("OFAC_DIR", OFAC_DIR),
        ("CAT_REPORTING_EXCEPTION_CODE", "F"),
    ]))
    .unwrap();
    let platform =
        platform::Platform::with_pool(config.common.clone(), db.service.clone(), &bd::MIGRATOR)
            .unwrap();
    let list = LazyLock::force(&LIST).clone();
    TestServer::start(bd::router_with_clock(&platform, &config, list, clock)).await
}

pub async fn ta_server(db: &ExtraDatabase) -> TestServer {
    let config = ta::Config::from_source(testkit::env(&[])).unwrap();
    let platform =
        platform::Platform::with_pool(config.common.clone(), db.service.clone(), &ta::MIGRATOR)
            .unwrap();
    TestServer::start(ta::router(&platform, &config)).await
}

/// The ATS on `pool`'s database (as the service role), calling `bd_url` and `ta_url`.
pub async fn ats_server(
    pool: &PgPool,
    bd_url: &str,
    ta_url: &str,
    extra: &[(&str, &str)],
    clock: Clock,
    shutdown: &CancellationToken,
) -> (TestServer, ats::AppState) {
    let mut vars = vec![("BD_URL", bd_url), ("TA_URL", ta_url)];
    vars.extend_from_slice(extra);
    let config = ats::Config::from_source(testkit::env(&vars)).unwrap();
    let service = testkit::service_pool(pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), service, &ats::MIGRATOR).unwrap();
    let app = ats::App::new(&platform, &config, clock, shutdown.clone()).unwrap();
    (TestServer::start(app.router).await, app.state)
}

pub async fn stack(pool: PgPool) -> Stack {
    stack_with(pool, &[], Clock::system()).await
}

pub async fn stack_with(pool: PgPool, extra: &[(&str, &str)], clock: Clock) -> Stack {
    // RUST_LOG=ats=debug shows the services' logs.
    platform::telemetry::init(platform::telemetry::LogFormat::Pretty, "warn,sqlx=error");
    let bd_db = ExtraDatabase::create(&bd::MIGRATOR).await;
    let ta_db = ExtraDatabase::create(&ta::MIGRATOR).await;
    let bd_clock = Clock::system();
    let bd = bd_server_with_clock(&bd_db, bd_clock.clone()).await;
    let ta = ta_server(&ta_db).await;
    let shutdown = CancellationToken::new();
    let (ats, state) = ats_server(&pool, &bd.url, &ta.url, extra, clock, &shutdown).await;
    Stack {
        bd_clock,
        ats,
        state,
        bd,
        ta,
        pool,
        bd_db,
        ta_db,
        shutdown,
    }
}

pub fn token(user: &str) -> String {
    iam().user_token(user)
}

pub async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    user: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = server.request(method, path).bearer_auth(token(user));
    if let Some(b) = body {
        req = req.json(&b);
    }
    send(req).await
}

pub async fn get(server: &TestServer, path: &str, user: &str) -> (u16, Value) {
    call(server, Method::GET, path, user, None).await
}

pub async fn post(server: &TestServer, path: &str, user: &str, body: Value) -> (u16, Value) {
    call(server, Method::POST, path, user, Some(body)).await
}

pub async fn delete(server: &TestServer, path: &str, user: &str) -> (u16, Value) {
    call(server, Method::DELETE, path, user, None).await
}

pub async fn post_raw(server: &TestServer, path: &str, user: &str, body: &str) -> (u16, Value) {
    send(
        server
            .post(path)
            .bearer_auth(token(user))
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

impl Stack {
    /// A security registered at the TA as `user`'s organization's admin and listed on the
    /// ATS; answers its id.
    pub async fn listed_asset(&self, org: &str, regulation: &str) -> String {
        let admin = format!("{org}/admin");
        let symbol = format!("T{}", &uuid::Uuid::now_v7().simple().to_string()[24..]);
        let (s, v) = post(
            &self.ta,
            "/v1/securities",
            &admin,
            json!({"symbol": symbol, "name": "Test Robotics Series A", "issuer": "Test Robotics, Inc.",
                   "security_class": "preferred", "regulation": regulation, "reporting_issuer": false}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        let (s, v) = post(&self.ats, "/v1/assets", &admin, json!({"asset_id": id})).await;
        assert_eq!(s, 201, "{v}");
        id
    }

    /// An investor of `org` with KYC approved at the BD.
    pub async fn investor(&self, org: &str, name: &str) -> String {
        let officer = if org == "acme" {
            "acme/carla"
        } else {
            "globex/admin"
        };
        let (s, v) = post(
            &self.bd,
            "/v1/investors",
            officer,
            json!({"type": "individual", "legal_name": name, "email": "investor@example.com",
                   "country": "US", "date_of_birth": "1980-05-17"}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        let (s, v) = post(
            &self.bd,
            &format!("/v1/investors/{id}/kyc"),
            officer,
            json!({}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["status"], "approved", "{v}");
        id
    }

    /// An investor of `org` the BD knows but has not checked (pre-trade refuses it).
    pub async fn unchecked_investor(&self, org: &str, name: &str) -> String {
        let officer = if org == "acme" {
            "acme/carla"
        } else {
            "globex/admin"
        };
        let (s, v) = post(
            &self.bd,
            "/v1/investors",
            officer,
            json!({"type": "individual", "legal_name": name, "email": "investor@example.com",
                   "country": "US", "date_of_birth": "1980-05-17"}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// Issues `quantity` shares to `investor` at the TA, acquired two years ago (past any
    /// Rule 144 holding period, so all transferable).
    pub async fn issue(&self, org: &str, asset: &str, investor: &str, quantity: &str) {
        let acquired =
            (time::OffsetDateTime::now_utc().date() - time::Duration::days(800)).to_string();
        let (s, v) = post(
            &self.ta,
            "/v1/corporate-actions",
            &format!("{org}/admin"),
            json!({"type": "issuance", "asset_id": asset, "investor_id": investor,
                   "quantity": quantity, "price_per_share": "1.00", "acquired_at": acquired}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }

    /// Places an order as `user`.
    pub async fn order(&self, user: &str, body: Value) -> (u16, Value) {
        post(&self.ats, "/v1/orders", user, body).await
    }

    /// Places an order that must be accepted (201); answers it.
    pub async fn placed(&self, body: Value) -> Value {
        let (s, v) = self.order("acme/alice", body).await;
        assert_eq!(s, 201, "{v}");
        v
    }

    pub async fn get_order(&self, id: &str) -> Value {
        let (s, v) = get(&self.ats, &format!("/v1/orders/{id}"), "acme/vic").await;
        assert_eq!(s, 200, "{v}");
        v
    }

    pub async fn book(&self, asset: &str) -> Value {
        let (s, v) = get(
            &self.ats,
            &format!("/v1/assets/{asset}/orderbook"),
            "acme/vic",
        )
        .await;
        assert_eq!(s, 200, "{v}");
        v
    }

    /// Delivers the outbox until it is empty.
    pub async fn deliver_events(&self) -> usize {
        self.deliver_events_at(self.state.clock.now()).await
    }

    /// Delivers the outbox as if it were `now` (past a stream's backoff, say).
    pub async fn deliver_events_at(&self, now: time::OffsetDateTime) -> usize {
        let mut n = 0;
        loop {
            let d = ats::dispatch::run_once(&self.state, now).await.unwrap();
            if d == 0 {
                return n;
            }
            n += d;
        }
    }
}

pub fn limit(asset: &str, investor: &str, side: &str, qty: &str, price: &str) -> Value {
    json!({"asset_id": asset, "investor_id": investor, "side": side, "order_type": "limit",
           "quantity": qty, "price": price})
}

pub fn market(asset: &str, investor: &str, side: &str, qty: &str) -> Value {
    json!({"asset_id": asset, "investor_id": investor, "side": side, "order_type": "market",
           "quantity": qty})
}

/// A decimal string of a JSON field, normalised (`"40.00"` → `"40"`).
pub fn dec(v: &Value) -> String {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"));
    s.parse::<rust_decimal::Decimal>()
        .unwrap()
        .normalize()
        .to_string()
}
