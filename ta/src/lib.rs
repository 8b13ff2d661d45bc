//! The TA service. Transfer agent: securities, cap table, transfers, holdings, dividends,
//! corporate actions and statements.
//!
//! Every cap-table rule is the `captable` engine's; this crate stores its journal and the
//! state derived from it (see [`store::journal`]), serialises changes per security, and
//! answers the API. A request goes `routes` (parse, one call, answer) → `service` (the
//! feature, shared with `jobs`) → `store` (SQL in the organization's tenant transaction).

pub mod bounds;
pub mod downstream;
pub mod engine;
pub mod jobs;
pub mod ocf;
pub mod refusal;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use platform::config::{CommonConfig, Env};
use platform::{ApiInfo, Clock, Platform};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/ta");

pub const SERVICE: &str = "ta";
pub const DEFAULT_PORT: u16 = 8100;

pub const INFO: ApiInfo = ApiInfo {
    title: "TA",
    description: "Transfer agent: securities, cap table, transfers, holdings, dividends, corporate actions and statements.\n\n\
Every change to the register is a journal entry that takes effect on the UTC date it is recorded, except an issuance with an earlier `acquired_at` (loading an existing cap table), which takes effect on that date; \
such an issuance may not be dated before the security's latest entry, so each security's register is kept in date order and the register as of any past date is the entries effective by then. Nothing is forward-dated. \
Changes to one security are serialised; a change either is recorded with everything it implies (lots, totals, realised gains, cash in lieu) or leaves nothing behind. \
Investors are the BD's `inv_…` ids: the TA checks their form, not their existence (the ATS and BD run compliance before asking for a transfer); \
the OCF export asks the BD (`BD_URL`) for the holders' names, with the TA's own service token, in one call. \
Transferable quantities exclude what the TA knows (holding periods, lock-ups, shares reserved by a pending right of first refusal); open sell orders are the ATS's to subtract.",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// How often the job records lapsed rights of first refusal (`TA_ROFR_INTERVAL_SECS`).
    pub rofr_interval: Duration,
    /// How often the job fixes the entitlements of declared dividends whose record date is
    /// over (`TA_DIVIDEND_INTERVAL_SECS`).
    pub dividend_interval: Duration,
    /// How long the OCF export waits for the BD's answer about the holders' names before it
    /// answers without them (`TA_BD_TIMEOUT_SECS`, default 5).
    pub bd_timeout: Duration,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_source(Env::from_process())
    }

    pub fn from_source(mut env: Env) -> anyhow::Result<Self> {
        let common = CommonConfig::read(&mut env, SERVICE, DEFAULT_PORT);
        let rofr_interval = env.secs("TA_ROFR_INTERVAL_SECS", 60);
        if rofr_interval.is_zero() {
            env.error("TA_ROFR_INTERVAL_SECS: must be at least 1");
        }
        let dividend_interval = env.secs("TA_DIVIDEND_INTERVAL_SECS", 60);
        if dividend_interval.is_zero() {
            env.error("TA_DIVIDEND_INTERVAL_SECS: must be at least 1");
        }
        let bd_timeout = env.secs("TA_BD_TIMEOUT_SECS", 5);
        env.finish()?;
        Ok(Self {
            common,
            rofr_interval,
            dividend_interval,
            bd_timeout,
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub platform: Platform,
    pub config: Arc<Config>,
    pub clock: Clock,
    /// The BD, for the holders' names of the OCF export.
    pub downstream: downstream::Downstream,
}

impl AppState {
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.platform.pool
    }
}

impl FromRef<AppState> for iam_sdk::Authenticator {
    fn from_ref(s: &AppState) -> Self {
        s.platform.auth.clone()
    }
}

/// The whole HTTP surface; tests serve it on port 0.
pub fn router(platform: &Platform, config: &Config) -> axum::Router {
    router_with_clock(platform, config, Clock::system())
}

/// [`router`] with a given clock (tests pin the date).
pub fn router_with_clock(platform: &Platform, config: &Config, clock: Clock) -> axum::Router {
    let state = AppState {
        platform: platform.clone(),
        config: Arc::new(config.clone()),
        clock,
        downstream: downstream::Downstream::new(platform, &config.common.bd_url, config.bd_timeout),
    };
    let api = OpenApiRouter::new()
        .routes(routes!(
            routes::securities::create_security,
            routes::securities::list_securities
        ))
        .routes(routes!(routes::securities::get_security))
        .routes(routes!(routes::ocf::get_ocf))
        .routes(routes!(
            routes::transfers::create_transfer,
            routes::transfers::list_transfers
        ))
        .routes(routes!(routes::transfers::get_transfer))
        .routes(routes!(routes::transfers::decide_rofr))
        .routes(routes!(routes::holdings::list_holdings))
        .routes(routes!(routes::holdings::investor_holdings))
        .routes(routes!(
            routes::dividends::create_dividend,
            routes::dividends::list_dividends
        ))
        .routes(routes!(routes::dividends::get_dividend))
        .routes(routes!(
            routes::actions::create_action,
            routes::actions::list_actions
        ))
        .routes(routes!(routes::actions::get_action))
        .routes(routes!(routes::shareholders::registry))
        .routes(routes!(routes::statements::statement))
        .with_state(state);
    platform.router(api, INFO)
}

/// Binds `PORT` and serves until `shutdown`.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = platform::app::bind(config.common.port).await?;
    serve(config, listener, shutdown).await
}

/// Serves on an already bound listener (the devstack binds every port first), with the
/// jobs that record lapsed rights of first refusal and fix the entitlements of declared
/// dividends.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let common = config.common.clone();
    let jobs_shutdown = shutdown.clone();
    platform::app::run(&common, &MIGRATOR, listener, shutdown, |p| {
        let clock = Clock::system();
        let job = jobs::RofrLapseJob::new(p.pool.clone(), clock.clone());
        job.spawn(config.rofr_interval, jobs_shutdown.clone());
        let job = jobs::DividendJob::new(p.pool.clone(), clock.clone());
        job.spawn(config.dividend_interval, jobs_shutdown);
        Ok(router_with_clock(p, &config, clock))
    })
    .await
}
