//! The `corporate_actions` table (issuances included) and the cash paid in lieu.

use platform::db::TenantTx;
use platform::ids::{AssetId, CorporateActionId, InvestorId};
use rust_decimal::Decimal;
use serde_json::Value;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone)]
pub struct ActionRow {
    pub id: CorporateActionId,
    pub kind: String,
    pub security_id: AssetId,
    pub target_security_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
    pub quantity: Option<Decimal>,
    pub price_per_share: Option<Decimal>,
    pub ratio: Option<String>,
    pub cash_in_lieu_price: Option<Decimal>,
    pub acquired_at: Option<Date>,
    pub effective_on: Date,
    pub result: Value,
    pub created_at: OffsetDateTime,
}

pub struct NewAction<'a> {
    pub id: CorporateActionId,
    pub kind: &'a str,
    pub security_id: AssetId,
    pub target_security_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
    pub quantity: Option<Decimal>,
    pub price_per_share: Option<Decimal>,
    pub ratio: Option<String>,
    pub cash_in_lieu_price: Option<Decimal>,
    pub acquired_at: Option<Date>,
    pub effective_on: Date,
    pub journal_seq: i64,
    pub result: Value,
    pub created_by: &'a str,
}

pub async fn insert(tx: &mut TenantTx, a: &NewAction<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO corporate_actions (id, organization_id, type, security_id, target_security_id,
             investor_id, quantity, price_per_share, ratio, cash_in_lieu_price, acquired_at,
             effective_on, journal_seq, result, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        a.id as CorporateActionId,
        tx.org(),
        a.kind,
        a.security_id as AssetId,
        a.target_security_id as Option<AssetId>,
        a.investor_id as Option<InvestorId>,
        a.quantity,
        a.price_per_share,
        a.ratio,
        a.cash_in_lieu_price,
        a.acquired_at,
        a.effective_on,
        a.journal_seq,
        a.result,
        a.created_by,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(
    tx: &mut TenantTx,
    id: CorporateActionId,
) -> Result<Option<ActionRow>, sqlx::Error> {
    sqlx::query_as!(
        ActionRow,
        r#"SELECT id AS "id: CorporateActionId", type AS kind,
                  security_id AS "security_id: AssetId",
                  target_security_id AS "target_security_id: AssetId",
                  investor_id AS "investor_id: InvestorId", quantity, price_per_share, ratio,
                  cash_in_lieu_price, acquired_at, effective_on, result, created_at
           FROM corporate_actions WHERE organization_id = $1 AND id = $2"#,
        tx.org(),
        id as CorporateActionId,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn list(
    tx: &mut TenantTx,
    security: Option<AssetId>,
    kind: Option<&str>,
    after: Option<CorporateActionId>,
    limit: i64,
) -> Result<Vec<ActionRow>, sqlx::Error> {
    sqlx::query_as!(
        ActionRow,
        r#"SELECT id AS "id: CorporateActionId", type AS kind,
                  security_id AS "security_id: AssetId",
                  target_security_id AS "target_security_id: AssetId",
                  investor_id AS "investor_id: InvestorId", quantity, price_per_share, ratio,
                  cash_in_lieu_price, acquired_at, effective_on, result, created_at
           FROM corporate_actions
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::uuid IS NULL OR security_id = $3 OR target_security_id = $3)
             AND ($4::text IS NULL OR type = $4)
           ORDER BY id LIMIT $5"#,
        tx.org(),
        after as Option<CorporateActionId>,
        security as Option<AssetId>,
        kind,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}
