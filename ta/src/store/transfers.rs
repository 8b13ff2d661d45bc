//! The `transfers` table: every transfer requested, whatever became of it.

use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId, TransferId};
use rust_decimal::Decimal;
use serde_json::Value;
use time::{Date, OffsetDateTime};

use super::AllOrganizations;

#[derive(Debug, Clone)]
pub struct TransferRow {
    pub id: TransferId,
    pub security_id: AssetId,
    pub from_investor_id: InvestorId,
    pub to_investor_id: InvestorId,
    pub quantity: Decimal,
    pub price_per_share: Decimal,
    pub seller_is_affiliate: bool,
    pub settlement_id: Option<String>,
    pub status: String,
    pub requested_on: Date,
    pub recorded_on: Option<Date>,
    pub rofr_last_day: Option<Date>,
    pub rofr_resolution: Option<String>,
    pub rofr_resolved_on: Option<Date>,
    pub reason: Option<Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub struct NewTransfer<'a> {
    pub id: TransferId,
    pub security_id: AssetId,
    pub from_investor_id: InvestorId,
    pub to_investor_id: InvestorId,
    pub quantity: Decimal,
    pub price_per_share: Decimal,
    pub seller_is_affiliate: bool,
    pub settlement_id: Option<&'a str>,
    pub status: &'a str,
    pub requested_on: Date,
    pub recorded_on: Option<Date>,
    pub rofr_last_day: Option<Date>,
    pub reason: Option<Value>,
    pub requested_by: &'a str,
}

pub async fn insert(tx: &mut TenantTx, t: &NewTransfer<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO transfers (id, organization_id, security_id, from_investor_id, to_investor_id,
             quantity, price_per_share, seller_is_affiliate, settlement_id, status, requested_on,
             recorded_on, rofr_last_day, reason, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        t.id as TransferId,
        tx.org(),
        t.security_id as AssetId,
        t.from_investor_id as InvestorId,
        t.to_investor_id as InvestorId,
        t.quantity,
        t.price_per_share,
        t.seller_is_affiliate,
        t.settlement_id,
        t.status,
        t.requested_on,
        t.recorded_on,
        t.rofr_last_day,
        t.reason,
        t.requested_by,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records how a pending transfer's right of first refusal ended.
pub async fn resolve(
    tx: &mut TenantTx,
    id: TransferId,
    status: &str,
    resolution: &str,
    on: Date,
    reason: Option<Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE transfers SET status = $3, rofr_resolution = $4, rofr_resolved_on = $5,
             recorded_on = CASE WHEN $3 = 'recorded' THEN $5 ELSE recorded_on END,
             reason = $6, updated_at = now()
         WHERE organization_id = $1 AND id = $2 AND status = 'pending_rofr'",
        tx.org(),
        id as TransferId,
        status,
        resolution,
        on,
        reason,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: TransferId) -> Result<Option<TransferRow>, sqlx::Error> {
    sqlx::query_as!(
        TransferRow,
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: AssetId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId", quantity, price_per_share,
                  seller_is_affiliate, settlement_id, status, requested_on, recorded_on,
                  rofr_last_day, rofr_resolution, rofr_resolved_on, reason, created_at, updated_at
           FROM transfers WHERE organization_id = $1 AND id = $2"#,
        tx.org(),
        id as TransferId,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn by_settlement(
    tx: &mut TenantTx,
    settlement_id: &str,
) -> Result<Option<TransferRow>, sqlx::Error> {
    sqlx::query_as!(
        TransferRow,
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: AssetId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId", quantity, price_per_share,
                  seller_is_affiliate, settlement_id, status, requested_on, recorded_on,
                  rofr_last_day, rofr_resolution, rofr_resolved_on, reason, created_at, updated_at
           FROM transfers WHERE organization_id = $1 AND settlement_id = $2"#,
        tx.org(),
        settlement_id,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub struct ListFilter {
    pub security_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
    pub status: Option<String>,
    pub settlement_id: Option<String>,
    /// Recorded (or, for the others, requested) on or after.
    pub from: Option<Date>,
    /// Recorded (or, for the others, requested) on or before.
    pub to: Option<Date>,
}

pub async fn list(
    tx: &mut TenantTx,
    f: &ListFilter,
    after: Option<TransferId>,
    limit: i64,
) -> Result<Vec<TransferRow>, sqlx::Error> {
    sqlx::query_as!(
        TransferRow,
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: AssetId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId", quantity, price_per_share,
                  seller_is_affiliate, settlement_id, status, requested_on, recorded_on,
                  rofr_last_day, rofr_resolution, rofr_resolved_on, reason, created_at, updated_at
           FROM transfers
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::uuid IS NULL OR security_id = $3)
             AND ($4::uuid IS NULL OR from_investor_id = $4 OR to_investor_id = $4)
             AND ($5::text IS NULL OR status = $5)
             AND ($6::text IS NULL OR settlement_id = $6)
             AND ($7::date IS NULL OR COALESCE(recorded_on, requested_on) >= $7)
             AND ($8::date IS NULL OR COALESCE(recorded_on, requested_on) <= $8)
           ORDER BY id LIMIT $9"#,
        tx.org(),
        after as Option<TransferId>,
        f.security_id as Option<AssetId>,
        f.investor_id as Option<InvestorId>,
        f.status,
        f.settlement_id,
        f.from,
        f.to,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Securities with transfers whose right-of-first-refusal window ended before `today`, with
/// their organizations: the lapse job's queue, read on the one path across organizations.
pub async fn lapsed_securities(
    all: &mut AllOrganizations,
    today: Date,
) -> Result<Vec<(String, AssetId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT organization_id, security_id AS "security_id: AssetId" FROM transfers
           WHERE status = 'pending_rofr' AND rofr_last_day < $1"#,
        today,
    )
    .fetch_all(&mut **all)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.organization_id, r.security_id))
        .collect())
}

/// The security's transfers still pending whose window ended before `today`.
pub async fn lapsed_of(
    tx: &mut TenantTx,
    security: AssetId,
    today: Date,
) -> Result<Vec<TransferRow>, sqlx::Error> {
    sqlx::query_as!(
        TransferRow,
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: AssetId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId", quantity, price_per_share,
                  seller_is_affiliate, settlement_id, status, requested_on, recorded_on,
                  rofr_last_day, rofr_resolution, rofr_resolved_on, reason, created_at, updated_at
           FROM transfers
           WHERE organization_id = $1 AND security_id = $2 AND status = 'pending_rofr'
             AND rofr_last_day < $3
           ORDER BY id"#,
        tx.org(),
        security as AssetId,
        today,
    )
    .fetch_all(&mut **tx)
    .await
}
