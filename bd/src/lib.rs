//! The BD service. Broker-dealer: investors, KYC, accreditation, compliance, surveillance,
//! reporting and venue routing.

pub mod accreditation;
pub mod checks;
pub mod config;
pub mod facts;
pub mod investors;
pub mod kyc;
pub mod pretrade;
pub mod reporting;
pub mod roles;
pub mod routes;
pub mod screening;
pub mod store;
pub mod surveillance;
pub mod wire;

use std::sync::Arc;

use axum::extract::FromRef;
use platform::db::TenantTx;
use platform::{ApiInfo, Clock, Platform};
use sanctions::SanctionsList;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use config::{Config, DEFAULT_PORT, SERVICE};

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/bd");

pub const INFO: ApiInfo = ApiInfo {
    title: "BD",
    description: "Broker-dealer: investors, KYC/KYB with OFAC screening, accreditation, \
pre-trade and settlement compliance, post-trade surveillance, and CAT/OATS reporting.\n\n\
Roles: `admin` may do everything in its organization; `compliance` manages investors, KYC, \
accreditation, surveillance and reports; `trader` and `viewer` read an investor's compliance \
summary only. Compliance officers decide what the rules leave to a person (a weak OFAC match, \
an identity the provider has not verified, an accreditation edge case) with the `decision` \
endpoints; every check, decision and change of an investor is kept for audit \
(`GET /v1/investors/{id}/checks`). Endpoints marked internal take the platform services' client-credentials tokens \
(with `X-IAM-Org`) and refuse user tokens, admins included, with 403.\n\n\
Events: the ATS delivers `order.accepted`, `order.rejected`, `order.cancelled` and \
`order.expired` to `POST /v1/events` and `trade.executed` to `POST /v1/compliance/post-trade` \
(either endpoint takes any of the five), or up to 500 of them at once, in order, to \
`POST /v1/events/batch`. Each event is applied once: the BD keeps every event id per \
organization and answers a replay 200 with `duplicate: true` and no effect.",
    version: env!("CARGO_PKG_VERSION"),
};

/// What every handler and service of the BD reaches.
#[derive(Clone)]
pub struct AppState {
    pub platform: Platform,
    pub config: Arc<Config>,
    pub sanctions: Arc<SanctionsList>,
    /// "Now" and "today" for every decision (expiry windows, evidence age, report dates):
    /// the system clock in production, pinned and moved by tests.
    pub clock: Clock,
}

impl AppState {
    pub fn pool(&self) -> &PgPool {
        &self.platform.pool
    }

    /// A transaction acting for `organization` (row-level security shows it that
    /// organization's rows only).
    pub async fn begin(&self, organization: &str) -> Result<TenantTx, sqlx::Error> {
        platform::db::begin(self.pool(), organization).await
    }
}

impl FromRef<AppState> for iam_sdk::Authenticator {
    fn from_ref(s: &AppState) -> Self {
        s.platform.auth.clone()
    }
}

/// The whole HTTP surface on the system clock; tests serve it on port 0 with a list loaded
/// once per test binary.
pub fn router(platform: &Platform, config: &Config, sanctions: Arc<SanctionsList>) -> axum::Router {
    router_with_clock(platform, config, sanctions, Clock::system())
}

/// [`router`] with a given clock (tests pin it and move it).
pub fn router_with_clock(
    platform: &Platform,
    config: &Config,
    sanctions: Arc<SanctionsList>,
    clock: Clock,
) -> axum::Router {
    let state = AppState {
        platform: platform.clone(),
        config: Arc::new(config.clone()),
        sanctions,
        clock,
    };
    let api = OpenApiRouter::new()
        .routes(routes!(
            routes::investors::create_investor,
            routes::investors::list_investors
        ))
        .routes(routes!(
            routes::investors::get_investor,
            routes::investors::patch_investor
        ))
        .routes(routes!(routes::investors::lookup_investors))
        .routes(routes!(routes::history::list_investor_checks))
        .routes(routes!(routes::kyc::run_kyc))
        .routes(routes!(routes::kyc::verification_link))
        .routes(routes!(routes::kyc::kyc_decision))
        .routes(routes!(routes::kyc::provider_webhook))
        .routes(routes!(
            routes::accreditation::create_accreditation,
            routes::accreditation::list_accreditations
        ))
        .routes(routes!(routes::accreditation::accreditation_decision))
        .routes(routes!(routes::compliance::investor_compliance))
        .routes(routes!(routes::compliance::pre_trade))
        .routes(routes!(routes::compliance::pre_trade_batch))
        .routes(routes!(routes::compliance::settlement))
        .routes(routes!(routes::compliance::get_check))
        .routes(routes!(routes::events::post_trade))
        .routes(routes!(routes::events::order_events))
        .routes(routes!(routes::events::events_batch))
        .routes(routes!(routes::surveillance::list_alerts))
        .routes(routes!(routes::surveillance::get_alert))
        .routes(routes!(routes::surveillance::review_alert))
        .routes(routes!(routes::surveillance::close_alert))
        .routes(routes!(routes::reporting::cat_report))
        .routes(routes!(routes::reporting::oats_report))
        .routes(routes!(routes::reporting::list_securities))
        .routes(routes!(routes::reporting::put_security))
        .with_state(state);
    platform.router(api, INFO)
}

/// Binds `PORT` and serves until `shutdown`.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = platform::app::bind(config.common.port).await?;
    serve(config, listener, shutdown).await
}

/// Serves on an already bound listener (the devstack binds every port first). The OFAC list is
/// loaded first: a missing or malformed list stops the start with the file and line at fault.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let load = config.clone();
    let sanctions = tokio::task::spawn_blocking(move || load.load_sanctions()).await??;
    let common = config.common.clone();
    platform::app::run(&common, &MIGRATOR, listener, shutdown, |p| {
        tracing::info!(
            entries = sanctions.len(),
            version = %sanctions.info().version(),
            dir = %config.ofac_dir.display(),
            kyc_provider = config.kyc.0.name(),
            "OFAC SDN list loaded"
        );
        Ok(router(p, &config, sanctions))
    })
    .await
}
