//! The background jobs: [`RofrLapseJob`] records lapsed rights of first refusal;
//! [`DividendJob`] fixes the entitlements of declared dividends once their record date is
//! over. Both do the work of `crate::service`, as the handlers do.
//!
//! Crossing organizations: a job is nobody's request, so it finds its work in every
//! organization through the one path that may, `platform::db::begin_all_organizations` (a
//! read of the queue, nothing else, in a transaction of its own), then does each piece of work
//! in a tenant transaction of the row's organization (`platform::db::begin`), like a request
//! of that organization would: PostgreSQL's policies hold there as anywhere.
//!
//! Safe with several replicas: what a job works on (a security for the lapses, a dividend
//! row for the entitlements) is taken with `FOR UPDATE SKIP LOCKED`, so one another replica
//! (or a request) is working on is left to it or for the next run, and a transfer is
//! resolved, a dividend entitled, at most once (its status is re-read under the lock).

use std::time::Duration;

use platform::Clock;
use platform::db;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::service::{dividends as dividend_service, transfers as transfer_service};
use crate::store::{dividends, transfers};

#[derive(Clone)]
pub struct RofrLapseJob {
    pool: PgPool,
    clock: Clock,
}

impl RofrLapseJob {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// Records a lapse for every transfer whose window ended before today, in every
    /// organization. Returns how many were resolved.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let today = self.clock.today();
        // Across organizations: which securities have lapsed windows, and whose they are.
        let mut all =
            db::begin_all_organizations(&self.pool, "rofr lapse job: lapsed windows").await?;
        let queue = transfers::lapsed_securities(&mut all, today).await?;
        all.commit().await?;
        let mut resolved = 0;
        for (org, security) in queue {
            let mut tx = db::begin(&self.pool, &org).await?;
            resolved +=
                transfer_service::lapse_due(&mut tx, security, today, "rofr-lapse-job").await?;
            tx.commit().await?;
        }
        if resolved > 0 {
            tracing::info!(resolved, "lapsed rights of first refusal recorded");
        }
        Ok(resolved)
    }

    /// Runs [`RofrLapseJob::run_once`] every `every` until `shutdown`.
    pub fn spawn(
        self,
        every: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        platform::app::spawn_periodic("rofr-lapse", every, shutdown, move || {
            let job = self.clone();
            async move { job.run_once().await.map(|_| ()) }
        })
    }
}

/// Fixes the entitlements of `declared` dividends whose record date is over, from the
/// registry at the end of the record date, and sets them `entitled`.
#[derive(Clone)]
pub struct DividendJob {
    pool: PgPool,
    clock: Clock,
}

impl DividendJob {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// Entitles every declared dividend whose record date is before today, in every
    /// organization, each in a transaction of its own (see
    /// `service::dividends::entitle_due`). Returns how many were entitled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let today = now.date();
        // Across organizations: which dividends are due, and whose they are.
        let mut all =
            db::begin_all_organizations(&self.pool, "dividend job: due dividends").await?;
        let queue = dividends::due(&mut all, today).await?;
        all.commit().await?;
        let mut entitled = 0;
        for (org, id, security) in queue {
            let mut tx = db::begin(&self.pool, &org).await?;
            if dividend_service::entitle_due(&mut tx, id, security, today, now).await? {
                tx.commit().await?;
                entitled += 1;
            } else {
                tx.rollback().await?;
            }
        }
        if entitled > 0 {
            tracing::info!(entitled, "dividend entitlements fixed");
        }
        Ok(entitled)
    }

    /// Runs [`DividendJob::run_once`] every `every` until `shutdown`.
    pub fn spawn(
        self,
        every: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        platform::app::spawn_periodic("dividend-entitlements", every, shutdown, move || {
            let job = self.clone();
            async move { job.run_once().await.map(|_| ()) }
        })
    }
}
