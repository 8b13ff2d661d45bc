//! The ATS service. Alternative trading system: assets listed for trading, orders, matching,
//! trades and the queue of settlements, with the BD checking every order before it reaches the
//! book and hearing of every order and trade through the outbox.

pub mod batch;
pub mod book_session;
pub mod books;
pub mod config;
pub mod dispatch;
pub mod downstream;
pub mod events;
pub mod exchange;
pub mod grid;
pub mod market;
pub mod orders;
pub mod placement;
pub mod routes;
pub mod store;
pub mod trading_day;
pub mod views;

use std::sync::Arc;

use axum::extract::FromRef;
use platform::{ApiInfo, Clock, Platform};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use config::{Config, DEFAULT_PORT, SERVICE};

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/ats");

pub const INFO: ApiInfo = ApiInfo {
    title: "ATS",
    description: "Alternative trading system: assets listed for trading, orders, matching \
(price-time priority, one book per organization and asset), trades and settlements.\n\n\
Roles: `admin` lists assets and may do everything in its organization; `trader` places and \
cancels orders; every role reads. Every order is checked by the BD before it reaches the book \
(fail closed) and a sell must be covered by the seller's transferable holdings at the TA less \
their open sells. The BD hears of every order and trade through events delivered from an \
outbox, at least once and in order per book.",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Clone)]
pub struct AppState {
    pub platform: Platform,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub books: books::Books<book_session::Approved>,
    pub downstream: downstream::Downstream,
    pub batcher: batch::Batcher,
}

impl FromRef<AppState> for iam_sdk::Authenticator {
    fn from_ref(s: &AppState) -> Self {
        s.platform.auth.clone()
    }
}

/// The service's state and HTTP surface. The placement worker runs until `shutdown`.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
}

impl App {
    pub fn new(
        platform: &Platform,
        config: &Config,
        clock: Clock,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let (batcher, worker) = batch::queue(config.max_batch);
        let state = AppState {
            platform: platform.clone(),
            config: Arc::new(config.clone()),
            clock,
            books: books::Books::default(),
            downstream: downstream::Downstream {
                bd: platform.client("bd", &config.common.bd_url)?,
                ta: platform.client("ta", &config.common.ta_url)?,
            },
            batcher,
        };
        worker.start(state.clone(), shutdown);
        let api = OpenApiRouter::new()
            .routes(routes!(
                routes::assets::list_asset,
                routes::assets::list_assets
            ))
            .routes(routes!(routes::assets::orderbook))
            .routes(routes!(
                routes::orders::place_order,
                routes::orders::list_orders
            ))
            .routes(routes!(
                routes::orders::get_order,
                routes::orders::cancel_order
            ))
            .routes(routes!(routes::trades::list_trades))
            .routes(routes!(routes::trades::get_trade))
            .routes(routes!(routes::trades::list_settlements))
            .routes(routes!(routes::trades::get_settlement))
            .with_state(state.clone());
        Ok(Self {
            router: platform.router(api, INFO),
            state,
        })
    }
}

/// The whole HTTP surface with the system clock; tests serve it on port 0.
pub fn router(platform: &Platform, config: &Config) -> anyhow::Result<axum::Router> {
    Ok(App::new(platform, config, Clock::system(), CancellationToken::new())?.router)
}

/// The background work: outbox delivery, the end of the trading day, and the sweep of orders
/// a dead process left pending. Each runs until `shutdown`.
pub fn start_jobs(
    state: &AppState,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut jobs = vec![dispatch::spawn(state.clone(), shutdown.clone())];
    let s = state.clone();
    jobs.push(platform::app::spawn_periodic(
        "day-order-expiry",
        state.config.expiry_interval,
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move {
                orders::expire_due(&s, s.clock.now()).await?;
                Ok(())
            }
        },
    ));
    let s = state.clone();
    jobs.push(platform::app::spawn_periodic(
        "interrupted-orders",
        state.config.expiry_interval,
        shutdown.clone(),
        move || {
            let s = s.clone();
            async move {
                orders::sweep_interrupted(&s, s.clock.now()).await?;
                Ok(())
            }
        },
    ));
    jobs
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
    let jobs_shutdown = shutdown.clone();
    platform::app::run(&common, &MIGRATOR, listener, shutdown, |p| {
        let app = App::new(p, &config, Clock::system(), jobs_shutdown.clone())?;
        start_jobs(&app.state, &jobs_shutdown);
        Ok(app.router)
    })
    .await
}
