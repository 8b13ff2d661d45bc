//! The `dividends` and `dividend_payments` tables.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use crate::ids::{DividendId, InvestorId, SecurityId};

#[derive(Debug, Clone)]
pub struct DividendRow {
    pub id: DividendId,
    pub security_id: SecurityId,
    pub amount_per_share: Decimal,
    pub currency: String,
    pub record_date: Date,
    pub payment_date: Date,
    pub shares_of_record: Decimal,
    pub total_declared: Decimal,
    pub total_paid: Decimal,
    pub rounding_remainder: Decimal,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub dividend_id: DividendId,
    pub investor_id: InvestorId,
    pub quantity: Decimal,
    pub amount: Decimal,
}

pub async fn insert(
    conn: &mut PgConnection,
    org: &str,
    d: &DividendRow,
    payments: &[PaymentRow],
    declared_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO dividends (id, org_id, security_id, amount_per_share, currency, record_date,
             payment_date, shares_of_record, total_declared, total_paid, rounding_remainder,
             declared_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        d.id as DividendId,
        org,
        d.security_id as SecurityId,
        d.amount_per_share,
        d.currency,
        d.record_date,
        d.payment_date,
        d.shares_of_record,
        d.total_declared,
        d.total_paid,
        d.rounding_remainder,
        declared_by,
        d.created_at,
    )
    .execute(&mut *conn)
    .await?;
    let inv: Vec<uuid::Uuid> = payments.iter().map(|p| p.investor_id.uuid()).collect();
    let qty: Vec<Decimal> = payments.iter().map(|p| p.quantity).collect();
    let amount: Vec<Decimal> = payments.iter().map(|p| p.amount).collect();
    sqlx::query!(
        "INSERT INTO dividend_payments (dividend_id, org_id, investor_id, quantity, amount)
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::numeric[], $5::numeric[])",
        d.id as DividendId,
        org,
        &inv,
        &qty,
        &amount,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(
    pool: &PgPool,
    org: &str,
    id: DividendId,
) -> Result<Option<DividendRow>, sqlx::Error> {
    sqlx::query_as!(
        DividendRow,
        r#"SELECT id AS "id: DividendId", security_id AS "security_id: SecurityId",
                  amount_per_share, currency, record_date, payment_date, shares_of_record,
                  total_declared, total_paid, rounding_remainder, created_at
           FROM dividends WHERE org_id = $1 AND id = $2"#,
        org,
        id as DividendId,
    )
    .fetch_optional(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    org: &str,
    security: Option<SecurityId>,
    after: Option<DividendId>,
    limit: i64,
) -> Result<Vec<DividendRow>, sqlx::Error> {
    sqlx::query_as!(
        DividendRow,
        r#"SELECT id AS "id: DividendId", security_id AS "security_id: SecurityId",
                  amount_per_share, currency, record_date, payment_date, shares_of_record,
                  total_declared, total_paid, rounding_remainder, created_at
           FROM dividends
           WHERE org_id = $1 AND ($2::uuid IS NULL OR id > $2)
             AND ($3::uuid IS NULL OR security_id = $3)
           ORDER BY id LIMIT $4"#,
        org,
        after as Option<DividendId>,
        security as Option<SecurityId>,
        limit,
    )
    .fetch_all(pool)
    .await
}

pub async fn payments_of(
    pool: &PgPool,
    org: &str,
    ids: &[DividendId],
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        PaymentRow,
        r#"SELECT dividend_id AS "dividend_id: DividendId", investor_id AS "investor_id: InvestorId",
                  quantity, amount
           FROM dividend_payments WHERE org_id = $1 AND dividend_id = ANY($2)
           ORDER BY dividend_id, investor_id"#,
        org,
        ids as &[DividendId],
    )
    .fetch_all(pool)
    .await
}

/// One investor's payments whose payment date falls in the period, with their dividends.
pub struct InvestorPayment {
    pub dividend_id: DividendId,
    pub security_id: SecurityId,
    pub record_date: Date,
    pub payment_date: Date,
    pub amount_per_share: Decimal,
    pub currency: String,
    pub quantity: Decimal,
    pub amount: Decimal,
}

pub async fn payments_of_investor(
    pool: &PgPool,
    org: &str,
    investor: InvestorId,
    from: Date,
    to: Date,
) -> Result<Vec<InvestorPayment>, sqlx::Error> {
    sqlx::query_as!(
        InvestorPayment,
        r#"SELECT d.id AS "dividend_id: DividendId", d.security_id AS "security_id: SecurityId",
                  d.record_date, d.payment_date, d.amount_per_share, d.currency, p.quantity, p.amount
           FROM dividend_payments p JOIN dividends d ON d.id = p.dividend_id
           WHERE p.org_id = $1 AND p.investor_id = $2 AND d.payment_date BETWEEN $3 AND $4
           ORDER BY d.payment_date, d.id"#,
        org,
        investor as InvestorId,
        from,
        to,
    )
    .fetch_all(pool)
    .await
}
