//! Shared helpers of the TA's integration tests: the service on port 0 with a pinned clock,
//! connected as the service role (row-level security binds it as in production), tokens, and
//! short ways to create securities, issue shares and transfer them.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses a different subset"
)]

use platform::Clock;
use serde_json::{Value, json};
use sqlx::PgPool;
use testkit::{TestServer, iam, send};
use time::Date;
use time::macros::date;

pub const START: Date = date!(2026 - 03 - 02);

pub struct App {
    pub server: TestServer,
    pub clock: Clock,
    /// The test's own pool (the superuser), to look behind the service's back.
    pub pool: PgPool,
    /// The service's pool (`testkit::db::SERVICE_ROLE`), for the jobs the tests run.
    pub service_pool: PgPool,
}

pub async fn app(pool: PgPool) -> App {
    app_with(pool, &[]).await
}

/// [`app`] with settings of its own (`BD_URL`, `TA_BD_TIMEOUT_SECS`).
pub async fn app_with(pool: PgPool, vars: &[(&str, &str)]) -> App {
    let config = ta::Config::from_source(testkit::env(vars)).unwrap();
    let service_pool = testkit::service_pool(&pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), service_pool.clone(), &ta::MIGRATOR)
            .unwrap();
    let clock = Clock::fixed_date(START);
    let server = TestServer::start(ta::router_with_clock(&platform, &config, clock.clone())).await;
    App {
        server,
        clock,
        pool,
        service_pool,
    }
}

pub fn admin() -> String {
    iam().user_token("acme/admin")
}

pub fn globex() -> String {
    iam().user_token("globex/admin")
}

pub fn token(user: &str) -> String {
    iam().user_token(user)
}

pub fn investor() -> String {
    platform::ids::InvestorId::new().to_string()
}

impl App {
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        send(self.server.get(path).bearer_auth(token)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        send(self.server.post(path).bearer_auth(token).json(&body)).await
    }

    /// As the ATS: a service token acting for `org`.
    pub async fn post_as_service(&self, path: &str, org: &str, body: Value) -> (u16, Value) {
        let token = iam().service_token("ats");
        send(
            self.server
                .post(path)
                .bearer_auth(token)
                .header("x-iam-org", org)
                .json(&body),
        )
        .await
    }

    pub async fn raw_post(&self, path: &str, token: &str, body: &str) -> (u16, Value) {
        send(
            self.server
                .post(path)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body.to_owned()),
        )
        .await
    }

    /// Registers a security and returns its id.
    pub async fn security(&self, symbol: &str, regulation: &str, extra: Value) -> String {
        let mut body = json!({
            "symbol": symbol,
            "name": format!("{symbol} Common"),
            "issuer": format!("{symbol} Inc."),
            "security_class": "common",
            "regulation": regulation,
            "reporting_issuer": false,
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (s, sec) = self.post("/v1/securities", &admin(), body).await;
        assert_eq!(s, 201, "{sec}");
        sec["id"].as_str().unwrap().to_owned()
    }

    /// Issues shares; `acquired_at` backdates the lot.
    pub async fn issue(
        &self,
        asset: &str,
        investor: &str,
        quantity: &str,
        price: &str,
        acquired_at: Option<&str>,
    ) -> Value {
        let mut body = json!({
            "type": "issuance", "asset_id": asset, "investor_id": investor,
            "quantity": quantity, "price_per_share": price,
        });
        if let Some(a) = acquired_at {
            body["acquired_at"] = json!(a);
        }
        let (s, ca) = self.post("/v1/corporate-actions", &admin(), body).await;
        assert_eq!(s, 201, "{ca}");
        ca
    }

    pub async fn transfer(
        &self,
        asset: &str,
        from: &str,
        to: &str,
        quantity: &str,
        price: &str,
    ) -> (u16, Value) {
        self.post(
            "/v1/transfers",
            &admin(),
            json!({"asset_id": asset, "from_investor_id": from, "to_investor_id": to,
                   "quantity": quantity, "price_per_share": price}),
        )
        .await
    }

    /// The investor's quantity of the asset (0 when none).
    pub async fn held(&self, investor: &str, asset: &str) -> String {
        let (s, h) = self
            .get(
                &format!("/v1/holdings/{investor}?asset_id={asset}"),
                &admin(),
            )
            .await;
        if s == 404 {
            return "0".to_owned();
        }
        assert_eq!(s, 200, "{h}");
        h["holdings"].as_array().unwrap().first().map_or_else(
            || "0".to_owned(),
            |x| x["quantity"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn outstanding(&self, asset: &str) -> String {
        let (s, sec) = self.get(&format!("/v1/securities/{asset}"), &admin()).await;
        assert_eq!(s, 200, "{sec}");
        sec["totals"]["outstanding"].as_str().unwrap().to_owned()
    }
}
