//! The OCF export of a security (`crate::ocf` builds it from the journal).

use platform::db::{self, TenantTx};
use platform::ids::AssetId;
use platform::{ApiError, ApiResult};
use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::finish;
use crate::store::{journal, securities};

/// The OCF package of one of the organization's securities (404 otherwise), as of `now`.
pub async fn export(
    pool: &PgPool,
    org: &str,
    id: AssetId,
    now: OffsetDateTime,
) -> ApiResult<Value> {
    let mut tx = db::begin(pool, org).await?;
    let result = export_in(&mut tx, id, now).await;
    finish(tx, result).await
}

async fn export_in(tx: &mut TenantTx, id: AssetId, now: OffsetDateTime) -> ApiResult<Value> {
    let row = securities::fetch(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("security", id))?;
    let journal = journal::of_security(tx, id).await?;
    Ok(crate::ocf::export(&row, &journal, now.date(), now))
}
