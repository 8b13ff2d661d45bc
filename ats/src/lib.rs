//! The ATS service. Alternative trading system: orders, matching, trades and settlement.

pub mod routes;

use std::sync::Arc;

use axum::extract::FromRef;
use platform::config::{CommonConfig, Env};
use platform::{ApiInfo, Platform};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/ats");

pub const SERVICE: &str = "ats";
pub const DEFAULT_PORT: u16 = 8080;

pub const INFO: ApiInfo = ApiInfo {
    title: "ATS",
    description: "Alternative trading system: orders, matching, trades and settlement.",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_source(Env::from_process())
    }

    pub fn from_source(mut env: Env) -> anyhow::Result<Self> {
        let common = CommonConfig::read(&mut env, SERVICE, DEFAULT_PORT);
        env.finish()?;
        Ok(Self { common })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub platform: Platform,
    pub config: Arc<Config>,
}

impl FromRef<AppState> for iam_sdk::Authenticator {
    fn from_ref(s: &AppState) -> Self {
        s.platform.auth.clone()
    }
}

/// The whole HTTP surface; tests serve it on port 0.
pub fn router(platform: &Platform, config: &Config) -> axum::Router {
    let state = AppState {
        platform: platform.clone(),
        config: Arc::new(config.clone()),
    };
    let api = OpenApiRouter::new()
        .routes(routes!(routes::orders::list_orders))
        .with_state(state);
    platform.router(api, INFO)
}

/// Binds `PORT` and serves until `shutdown`.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = platform::app::bind(config.common.port).await?;
    serve(config, listener, shutdown).await
}

/// Serves on an already bound listener (the devstack binds every port first).
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let common = config.common.clone();
    platform::app::run(&common, &MIGRATOR, listener, shutdown, |p| {
        Ok(router(p, &config))
    })
    .await
}
