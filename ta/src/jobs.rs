//! The background jobs: [`RofrLapseJob`] records lapsed rights of first refusal;
//! [`DividendJob`] fixes the entitlements of declared dividends once their record date is
//! over.
//!
//! Safe with several replicas: what a job works on (a security for the lapses, a dividend
//! row for the entitlements) is taken with `FOR UPDATE SKIP LOCKED`, so one another replica
//! (or a request) is working on is left to it or for the next run, and a transfer is
//! resolved, a dividend entitled, at most once (its status is re-read under the lock).

use std::time::Duration;

use captable::{DividendDeclaration, Refusal, Registry, dividend_from_registry};
use rust_decimal::Decimal;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::routes::dividends::{entitlements_of, work_out};
use crate::routes::transfers::resolve_pending;
use crate::store::ledger::{ledger_from, load_snapshot};
use crate::store::{dividends, securities, transfers};

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
        let mut resolved = 0;
        for (org, security) in transfers::lapsed_securities(&self.pool, today).await? {
            let mut tx = self.pool.begin().await?;
            if !transfers::try_lock_security(&mut tx, &org, security).await? {
                continue;
            }
            let pending = transfers::lapsed_of(&mut tx, &org, security, today).await?;
            if pending.is_empty() {
                continue;
            }
            let rows = securities::fetch_many(&mut tx, &org, &[security]).await?;
            let mut investors: Vec<_> = pending
                .iter()
                .flat_map(|t| [t.from_investor_id, t.to_investor_id])
                .collect();
            investors.sort();
            investors.dedup();
            let snapshot = load_snapshot(&mut tx, &org, &rows, Some(&investors)).await?;
            let mut ledger = ledger_from(snapshot)?;
            for transfer in &pending {
                match resolve_pending(
                    &mut tx,
                    &mut ledger,
                    &org,
                    transfer,
                    "lapsed",
                    today,
                    "rofr-lapse-job",
                )
                .await?
                {
                    Ok(()) => resolved += 1,
                    Err(refusal) => {
                        tracing::warn!(transfer = %transfer.id, %refusal, "lapse refused");
                    }
                }
            }
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
    /// organization. Returns how many were entitled.
    ///
    /// Each dividend is one transaction: the dividend row is claimed (`SKIP LOCKED`, and only
    /// while still `declared`, so another replica leaves it alone and it is entitled once),
    /// then its security's row is locked like any change to the security, so no entry of it
    /// is recorded while its registry of record is read. A dividend with no holders at the
    /// end of its record date, or whose security had been merged away by then, is entitled
    /// with zero shares and no payments.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let today = self.clock.today();
        let mut entitled = 0;
        for (org, id, security) in dividends::due(&self.pool, today).await? {
            let mut tx = self.pool.begin().await?;
            let Some(row) = dividends::claim_due(&mut tx, &org, id, today).await? else {
                tx.rollback().await?;
                continue;
            };
            // Waits for an entry being recorded: no one waits on a dividend row, so this
            // cannot deadlock.
            securities::lock(&mut tx, &org, &[security]).await?;
            let declaration = DividendDeclaration {
                dividend_id: id.to_string(),
                security_id: security.to_string(),
                amount_per_share: row.amount_per_share,
                currency: row.currency.clone(),
                record_date: row.record_date,
                payment_date: row.payment_date,
            };
            let report = match work_out(&mut tx, &org, &declaration, security).await {
                Ok(Ok(report)) => report,
                // Merged away by the record date: nobody holds it, nothing is owed.
                Ok(Err(Refusal::SecurityRetired { .. })) => {
                    let nobody = Registry {
                        security_id: security.to_string(),
                        as_of: None,
                        outstanding: Decimal::ZERO,
                        holders: Vec::new(),
                    };
                    match dividend_from_registry(&declaration, &nobody) {
                        Ok(report) => report,
                        Err(refusal) => {
                            tracing::warn!(dividend = %id, %refusal, "dividend not entitled");
                            tx.rollback().await?;
                            continue;
                        }
                    }
                }
                Ok(Err(refusal)) => {
                    tracing::warn!(dividend = %id, %refusal, "dividend not entitled");
                    tx.rollback().await?;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(dividend = %id, error = ?error, "dividend not entitled");
                    tx.rollback().await?;
                    continue;
                }
            };
            let (figures, payments) = entitlements_of(id, &report)?;
            dividends::entitle(
                &mut tx,
                &org,
                id,
                &figures,
                &payments,
                platform::time::now(),
            )
            .await?;
            tx.commit().await?;
            entitled += 1;
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
