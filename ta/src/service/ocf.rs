//! The OCF export of a security (`crate::ocf` builds it from the journal), its holders named by
//! the BD.

use std::collections::{BTreeSet, HashMap};

use platform::client::CallFailure;
use platform::db::{self, TenantTx};
use platform::ids::AssetId;
use platform::{ApiError, ApiResult};
use sqlx::PgPool;
use time::OffsetDateTime;

use super::finish;
use crate::downstream::Downstream;
use crate::ocf::{self, Holders, Package};
use crate::store::journal;
use crate::store::journal::JournalRow;
use crate::store::securities::{self, SecurityRow};

/// The OCF package of one of the organization's securities (404 otherwise), as of `now`.
///
/// The register is read in one tenant transaction, closed before the BD is asked for the
/// holders' names (one call, see [`Downstream::investor_names`]). The export never fails for
/// want of names: when the BD cannot answer (down, an error, no answer within
/// `TA_BD_TIMEOUT_SECS`) the holders are named by their ids and the package says why.
pub async fn export(
    pool: &PgPool,
    downstream: &Downstream,
    org: &str,
    id: AssetId,
    now: OffsetDateTime,
) -> ApiResult<Package> {
    let mut tx = db::begin(pool, org).await?;
    let result = read(&mut tx, id).await;
    let (security, journal) = finish(tx, result).await?;
    let register = ocf::register(&security, &journal);
    let holders = holders(downstream, org, &register.stakeholders).await;
    Ok(ocf::package(&security, register, &holders, now.date(), now))
}

async fn read(tx: &mut TenantTx, id: AssetId) -> ApiResult<(SecurityRow, Vec<JournalRow>)> {
    let row = securities::fetch(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("security", id))?;
    let journal = journal::of_security(tx, id).await?;
    Ok((row, journal))
}

/// The holders' names from the BD, or why there are none.
async fn holders(downstream: &Downstream, org: &str, ids: &BTreeSet<String>) -> Holders {
    if ids.is_empty() {
        return Holders::Named(HashMap::new());
    }
    let wait = downstream.bd_timeout;
    match tokio::time::timeout(wait, downstream.investor_names(org, ids)).await {
        Ok(Ok(names)) => Holders::Named(names),
        Ok(Err(failure)) => {
            tracing::warn!(%failure, holders = ids.len(), "OCF export without the holders' names");
            Holders::Unavailable(reason(&failure))
        }
        Err(_) => {
            tracing::warn!(
                timeout_secs = wait.as_secs(),
                holders = ids.len(),
                "OCF export without the holders' names: the BD did not answer in time"
            );
            Holders::Unavailable(format!(
                "the broker-dealer did not answer within {} s",
                wait.as_secs()
            ))
        }
    }
}

/// Why the BD gave no names, in words for the export (the details are logged, not exported).
fn reason(failure: &CallFailure) -> String {
    match failure {
        CallFailure::Unavailable { .. } => "the broker-dealer could not be reached".to_owned(),
        CallFailure::Refused { status, code, .. } => {
            format!("the broker-dealer answered {status} {code}")
        }
    }
}
