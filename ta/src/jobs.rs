//! The background job that records lapsed rights of first refusal.
//!
//! Safe with several replicas: each security is taken with `FOR UPDATE SKIP LOCKED`, so a
//! security another replica (or a request) is changing is left for the next run, and a
//! transfer is resolved at most once (its status is re-read under the lock).

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::routes::transfers::resolve_pending;
use crate::store::ledger::{ledger_from, load_snapshot};
use crate::store::{securities, transfers};

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
