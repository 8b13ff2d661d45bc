//! The `dividends` and `dividend_payments` tables.
//!
//! A dividend is `declared` (no figures, no payments) until its record date has closed, then
//! `entitled`: [`entitle`] fixes the figures and writes one payment per holder of record.

use platform::db::TenantTx;
use platform::ids::{AssetId, DividendId, InvestorId};
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use super::AllOrganizations;

#[derive(Debug, Clone)]
pub struct DividendRow {
    pub id: DividendId,
    pub security_id: AssetId,
    pub amount_per_share: Decimal,
    pub currency: String,
    pub record_date: Date,
    pub payment_date: Date,
    /// `declared` or `entitled`.
    pub status: String,
    /// The figures, once entitled (NULL while declared).
    pub shares_of_record: Option<Decimal>,
    pub total_declared: Option<Decimal>,
    pub total_paid: Option<Decimal>,
    pub rounding_remainder: Option<Decimal>,
    pub entitled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// A dividend's figures, fixed from the registry of record.
#[derive(Debug, Clone)]
pub struct Figures {
    pub shares_of_record: Decimal,
    pub total_declared: Decimal,
    pub total_paid: Decimal,
    pub rounding_remainder: Decimal,
}

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub dividend_id: DividendId,
    pub investor_id: InvestorId,
    pub quantity: Decimal,
    pub amount: Decimal,
}

pub async fn insert(
    tx: &mut TenantTx,
    d: &DividendRow,
    payments: &[PaymentRow],
    declared_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO dividends (id, organization_id, security_id, amount_per_share, currency, record_date,
             payment_date, status, shares_of_record, total_declared, total_paid,
             rounding_remainder, entitled_at, declared_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        d.id as DividendId,
        tx.org(),
        d.security_id as AssetId,
        d.amount_per_share,
        d.currency,
        d.record_date,
        d.payment_date,
        d.status,
        d.shares_of_record,
        d.total_declared,
        d.total_paid,
        d.rounding_remainder,
        d.entitled_at,
        declared_by,
        d.created_at,
    )
    .execute(&mut **tx)
    .await?;
    insert_payments(tx, d.id, payments).await
}

async fn insert_payments(
    tx: &mut TenantTx,
    id: DividendId,
    payments: &[PaymentRow],
) -> Result<(), sqlx::Error> {
    if payments.is_empty() {
        return Ok(());
    }
    let inv: Vec<uuid::Uuid> = payments.iter().map(|p| p.investor_id.uuid()).collect();
    let qty: Vec<Decimal> = payments.iter().map(|p| p.quantity).collect();
    let amount: Vec<Decimal> = payments.iter().map(|p| p.amount).collect();
    sqlx::query!(
        "INSERT INTO dividend_payments (dividend_id, organization_id, investor_id, quantity,
             amount)
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::numeric[], $5::numeric[])",
        id as DividendId,
        tx.org(),
        &inv,
        &qty,
        &amount,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: DividendId) -> Result<Option<DividendRow>, sqlx::Error> {
    sqlx::query_as!(
        DividendRow,
        r#"SELECT id AS "id: DividendId", security_id AS "security_id: AssetId",
                  amount_per_share, currency, record_date, payment_date, status,
                  shares_of_record, total_declared, total_paid, rounding_remainder,
                  entitled_at, created_at
           FROM dividends WHERE organization_id = $1 AND id = $2"#,
        tx.org(),
        id as DividendId,
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn list(
    tx: &mut TenantTx,
    security: Option<AssetId>,
    after: Option<DividendId>,
    limit: i64,
) -> Result<Vec<DividendRow>, sqlx::Error> {
    sqlx::query_as!(
        DividendRow,
        r#"SELECT id AS "id: DividendId", security_id AS "security_id: AssetId",
                  amount_per_share, currency, record_date, payment_date, status,
                  shares_of_record, total_declared, total_paid, rounding_remainder,
                  entitled_at, created_at
           FROM dividends
           WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)
             AND ($3::uuid IS NULL OR security_id = $3)
           ORDER BY id LIMIT $4"#,
        tx.org(),
        after as Option<DividendId>,
        security as Option<AssetId>,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Declared dividends whose record date is over (before `today`), with their organizations,
/// by record date: the dividend job's queue, read on the one path across organizations.
pub async fn due(
    all: &mut AllOrganizations,
    today: Date,
) -> Result<Vec<(String, DividendId, AssetId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT organization_id, id AS "id: DividendId", security_id AS "security_id: AssetId"
           FROM dividends WHERE status = 'declared' AND record_date < $1
           ORDER BY record_date, id"#,
        today,
    )
    .fetch_all(&mut **all)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.organization_id, r.id, r.security_id))
        .collect())
}

/// Takes a declared dividend whose record date is over for the rest of the transaction, if
/// no one else holds it (`SKIP LOCKED`) and it is still declared.
pub async fn claim_due(
    tx: &mut TenantTx,
    id: DividendId,
    today: Date,
) -> Result<Option<DividendRow>, sqlx::Error> {
    sqlx::query_as!(
        DividendRow,
        r#"SELECT id AS "id: DividendId", security_id AS "security_id: AssetId",
                  amount_per_share, currency, record_date, payment_date, status,
                  shares_of_record, total_declared, total_paid, rounding_remainder,
                  entitled_at, created_at
           FROM dividends
           WHERE organization_id = $1 AND id = $2 AND status = 'declared' AND record_date < $3
           FOR UPDATE SKIP LOCKED"#,
        tx.org(),
        id as DividendId,
        today,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Fixes a declared dividend's figures and payments (the row must be claimed).
pub async fn entitle(
    tx: &mut TenantTx,
    id: DividendId,
    figures: &Figures,
    payments: &[PaymentRow],
    entitled_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE dividends SET status = 'entitled', shares_of_record = $3, total_declared = $4,
             total_paid = $5, rounding_remainder = $6, entitled_at = $7
         WHERE organization_id = $1 AND id = $2 AND status = 'declared'",
        tx.org(),
        id as DividendId,
        figures.shares_of_record,
        figures.total_declared,
        figures.total_paid,
        figures.rounding_remainder,
        entitled_at,
    )
    .execute(&mut **tx)
    .await?;
    insert_payments(tx, id, payments).await
}

/// The latest record date of the security's entitled dividends: the registry up to that day
/// has been paid on, so no entry may be dated on or before it.
pub async fn last_entitled_record_date(
    tx: &mut TenantTx,
    security: AssetId,
) -> Result<Option<(DividendId, Date)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id AS "id: DividendId", record_date FROM dividends
           WHERE organization_id = $1 AND security_id = $2 AND status = 'entitled'
           ORDER BY record_date DESC, id DESC LIMIT 1"#,
        tx.org(),
        security as AssetId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| (r.id, r.record_date)))
}

pub async fn payments_of(
    tx: &mut TenantTx,
    ids: &[DividendId],
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        PaymentRow,
        r#"SELECT dividend_id AS "dividend_id: DividendId", investor_id AS "investor_id: InvestorId",
                  quantity, amount
           FROM dividend_payments WHERE organization_id = $1 AND dividend_id = ANY($2)
           ORDER BY dividend_id, investor_id"#,
        tx.org(),
        ids as &[DividendId],
    )
    .fetch_all(&mut **tx)
    .await
}

/// One investor's payments whose payment date falls in the period, with their dividends.
pub struct InvestorPayment {
    pub dividend_id: DividendId,
    pub security_id: AssetId,
    pub record_date: Date,
    pub payment_date: Date,
    pub amount_per_share: Decimal,
    pub currency: String,
    pub quantity: Decimal,
    pub amount: Decimal,
}

pub async fn payments_of_investor(
    tx: &mut TenantTx,
    investor: InvestorId,
    from: Date,
    to: Date,
) -> Result<Vec<InvestorPayment>, sqlx::Error> {
    sqlx::query_as!(
        InvestorPayment,
        r#"SELECT d.id AS "dividend_id: DividendId", d.security_id AS "security_id: AssetId",
                  d.record_date, d.payment_date, d.amount_per_share, d.currency, p.quantity, p.amount
           FROM dividend_payments p
           JOIN dividends d ON d.organization_id = p.organization_id AND d.id = p.dividend_id
           WHERE p.organization_id = $1 AND p.investor_id = $2
             AND d.payment_date BETWEEN $3 AND $4
           ORDER BY d.payment_date, d.id"#,
        tx.org(),
        investor as InvestorId,
        from,
        to,
    )
    .fetch_all(&mut **tx)
    .await
}
