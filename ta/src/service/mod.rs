//! The TA's features: the decisions and orchestration that the handlers (`routes/`) and the
//! background jobs (`jobs.rs`) share. Each function takes the pool (and opens the caller's
//! tenant transaction with `platform::db::begin`) or, when a job has already opened one for a
//! row's organization, that transaction; the cap-table rules are the `captable` engine's and
//! the SQL is `store/`'s.

pub mod actions;
pub mod dividends;
pub mod holdings;
pub mod ocf;
pub mod register;
pub mod registry;
pub mod securities;
pub mod statements;
pub mod transfers;

use platform::ApiResult;
use platform::db::TenantTx;

/// Ends a tenant transaction: committed when `result` is a success, rolled back at once
/// otherwise (rather than when the pool next hands out its connection), so that the locks it
/// took are released before the answer leaves.
pub(crate) async fn finish<T>(tx: TenantTx, result: ApiResult<T>) -> ApiResult<T> {
    match result {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a refusal failed");
            }
            Err(e)
        }
    }
}
