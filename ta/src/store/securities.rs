//! The `securities` table: terms, running totals, merger status.

use std::collections::HashMap;

use captable::{Regulation, SecurityState, SecurityTerms, SecurityTotals};
use platform::db::TenantTx;
use platform::ids::AssetId;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub issuer: String,
    pub issuer_country: String,
    pub issuer_formation_date: Option<Date>,
    pub security_class: String,
    pub regulation: String,
    pub reporting_issuer: bool,
    pub rule144_holding_months: Option<i32>,
    pub lockup_until: Option<Date>,
    pub rofr_days: Option<i32>,
    pub issued: Decimal,
    pub redeemed: Decimal,
    pub split_adjustment: Decimal,
    pub converted_in: Decimal,
    pub converted_out: Decimal,
    pub merged_in: Decimal,
    pub merged_out: Decimal,
    pub fractions_cashed: Decimal,
    pub outstanding: Decimal,
    pub merged_into: Option<AssetId>,
    pub last_effective_on: Option<Date>,
    pub created_at: OffsetDateTime,
}

pub fn parse_regulation(s: &str) -> anyhow::Result<Regulation> {
    Ok(s.parse()?)
}

impl SecurityRow {
    pub fn regulation(&self) -> anyhow::Result<Regulation> {
        parse_regulation(&self.regulation)
    }

    pub fn terms(&self) -> anyhow::Result<SecurityTerms> {
        Ok(SecurityTerms {
            id: self.id.to_string(),
            regulation: self.regulation()?,
            reporting_issuer: self.reporting_issuer,
            rule144_holding_months: self.rule144_holding_months.map(u32::try_from).transpose()?,
            lockup_until: self.lockup_until,
            rofr_days: self.rofr_days.map(u32::try_from).transpose()?,
        })
    }

    pub fn totals(&self) -> SecurityTotals {
        SecurityTotals {
            issued: self.issued,
            redeemed: self.redeemed,
            split_adjustment: self.split_adjustment,
            converted_in: self.converted_in,
            converted_out: self.converted_out,
            merged_in: self.merged_in,
            merged_out: self.merged_out,
            fractions_cashed: self.fractions_cashed,
        }
    }

    pub fn state(&self) -> anyhow::Result<SecurityState> {
        Ok(SecurityState {
            terms: self.terms()?,
            totals: self.totals(),
            merged_into: self.merged_into.map(|id| id.to_string()),
        })
    }
}

pub struct NewSecurity<'a> {
    pub id: AssetId,
    pub symbol: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub issuer_country: &'a str,
    pub issuer_formation_date: Option<Date>,
    pub security_class: &'a str,
    pub regulation: &'a str,
    pub reporting_issuer: bool,
    pub rule144_holding_months: Option<i32>,
    pub lockup_until: Option<Date>,
    pub rofr_days: Option<i32>,
    pub created_by: &'a str,
}

/// Inserts a security; `Ok(false)` when the organization already has the symbol.
pub async fn insert(tx: &mut TenantTx, s: &NewSecurity<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO securities (id, organization_id, symbol, name, issuer, issuer_country,
             issuer_formation_date, security_class, regulation, reporting_issuer,
             rule144_holding_months, lockup_until, rofr_days, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (organization_id, symbol) DO NOTHING",
        s.id as AssetId,
        tx.org(),
        s.symbol,
        s.name,
        s.issuer,
        s.issuer_country,
        s.issuer_formation_date,
        s.security_class,
        s.regulation,
        s.reporting_issuer,
        s.rule144_holding_months,
        s.lockup_until,
        s.rofr_days,
        s.created_by,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The organization's securities among `ids` (others' and unknown ids are simply absent).
pub async fn fetch_many(
    tx: &mut TenantTx,
    ids: &[AssetId],
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT id AS "id: AssetId", symbol, name, issuer, issuer_country,
                  issuer_formation_date, security_class, regulation, reporting_issuer,
                  rule144_holding_months, lockup_until, rofr_days, issued, redeemed,
                  split_adjustment, converted_in, converted_out, merged_in, merged_out,
                  fractions_cashed,
                  issued - redeemed + split_adjustment + converted_in - converted_out
                      + merged_in - merged_out AS "outstanding!",
                  merged_into AS "merged_into: AssetId", last_effective_on, created_at
           FROM securities WHERE organization_id = $1 AND id = ANY($2) ORDER BY id"#,
        tx.org(),
        ids as &[AssetId],
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn fetch(tx: &mut TenantTx, id: AssetId) -> Result<Option<SecurityRow>, sqlx::Error> {
    Ok(fetch_many(tx, &[id]).await?.into_iter().next())
}

/// Locks the organization's securities among `ids` for the rest of the transaction, in id
/// order (every writer locks in that order, so two actions on the same pair cannot deadlock),
/// and returns them. An unknown id is absent from the answer.
pub async fn lock(tx: &mut TenantTx, ids: &[AssetId]) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id: AssetId" FROM securities
           WHERE organization_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE"#,
        tx.org(),
        ids as &[AssetId],
    )
    .fetch_all(&mut **tx)
    .await?;
    fetch_many(tx, ids).await
}

/// Locks the security's row if no one else holds it (`SKIP LOCKED`): the lapse job leaves a
/// security being changed to whoever is changing it, and comes back on its next run.
pub async fn try_lock(tx: &mut TenantTx, id: AssetId) -> Result<bool, sqlx::Error> {
    let got = sqlx::query_scalar!(
        "SELECT 1 AS one FROM securities WHERE organization_id = $1 AND id = $2
         FOR UPDATE SKIP LOCKED",
        tx.org(),
        id as AssetId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(got.is_some())
}

pub struct ListFilter<'a> {
    pub symbol: Option<&'a str>,
    pub regulation: Option<&'a str>,
    pub security_class: Option<&'a str>,
    pub issuer: Option<&'a str>,
}

pub async fn list(
    tx: &mut TenantTx,
    filter: &ListFilter<'_>,
    after: Option<AssetId>,
    limit: i64,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT id AS "id: AssetId", symbol, name, issuer, issuer_country,
                  issuer_formation_date, security_class, regulation, reporting_issuer,
                  rule144_holding_months, lockup_until, rofr_days, issued, redeemed,
                  split_adjustment, converted_in, converted_out, merged_in, merged_out,
                  fractions_cashed,
                  issued - redeemed + split_adjustment + converted_in - converted_out
                      + merged_in - merged_out AS "outstanding!",
                  merged_into AS "merged_into: AssetId", last_effective_on, created_at
           FROM securities
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::text IS NULL OR symbol = $3)
             AND ($4::text IS NULL OR regulation = $4)
             AND ($5::text IS NULL OR security_class = $5)
             AND ($6::text IS NULL OR issuer = $6)
           ORDER BY id LIMIT $7"#,
        tx.org(),
        after as Option<AssetId>,
        filter.symbol,
        filter.regulation,
        filter.security_class,
        filter.issuer,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A security's symbol, name and issuer, for labelling holdings and statements.
#[derive(Debug, Clone)]
pub struct Label {
    pub symbol: String,
    pub name: String,
    pub issuer: String,
}

/// The labels of the organization's securities among `ids`.
pub async fn labels(
    tx: &mut TenantTx,
    ids: &[AssetId],
) -> Result<HashMap<AssetId, Label>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: AssetId", symbol, name, issuer FROM securities
           WHERE organization_id = $1 AND id = ANY($2)"#,
        tx.org(),
        ids as &[AssetId],
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let label = Label {
                symbol: r.symbol,
                name: r.name,
                issuer: r.issuer,
            };
            (r.id, label)
        })
        .collect())
}

/// Marks a security merged into another (it accepts no further entry).
pub async fn retire(tx: &mut TenantTx, id: AssetId, into: AssetId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE securities SET merged_into = $3 WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id as AssetId,
        into as AssetId,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a security's running totals after an entry.
pub async fn set_totals(
    tx: &mut TenantTx,
    id: AssetId,
    t: &SecurityTotals,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE securities SET issued = $3, redeemed = $4, split_adjustment = $5,
             converted_in = $6, converted_out = $7, merged_in = $8, merged_out = $9,
             fractions_cashed = $10
         WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id as AssetId,
        t.issued,
        t.redeemed,
        t.split_adjustment,
        t.converted_in,
        t.converted_out,
        t.merged_in,
        t.merged_out,
        t.fractions_cashed,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the date of the latest entry touching `ids`.
pub async fn set_last_effective_on(
    tx: &mut TenantTx,
    ids: &[AssetId],
    on: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE securities SET last_effective_on = $3
         WHERE organization_id = $1 AND id = ANY($2)",
        tx.org(),
        ids as &[AssetId],
        on,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
