//! The `securities` table: terms, running totals, merger status.

use captable::{Regulation, SecurityState, SecurityTerms, SecurityTotals};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use crate::ids::SecurityId;

#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub id: SecurityId,
    pub org_id: String,
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
    pub merged_into: Option<SecurityId>,
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
    pub id: SecurityId,
    pub org_id: &'a str,
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
pub async fn insert(pool: &PgPool, s: &NewSecurity<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO securities (id, org_id, symbol, name, issuer, issuer_country,
             issuer_formation_date, security_class, regulation, reporting_issuer,
             rule144_holding_months, lockup_until, rofr_days, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (org_id, symbol) DO NOTHING",
        s.id as SecurityId,
        s.org_id,
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
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The organization's securities among `ids` (others' and unknown ids are simply absent).
pub async fn fetch_many(
    conn: &mut PgConnection,
    org: &str,
    ids: &[SecurityId],
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT id AS "id: SecurityId", org_id, symbol, name, issuer, issuer_country,
                  issuer_formation_date, security_class, regulation, reporting_issuer,
                  rule144_holding_months, lockup_until, rofr_days, issued, redeemed,
                  split_adjustment, converted_in, converted_out, merged_in, merged_out,
                  fractions_cashed, outstanding AS "outstanding!",
                  merged_into AS "merged_into: SecurityId", last_effective_on, created_at
           FROM securities WHERE org_id = $1 AND id = ANY($2) ORDER BY id"#,
        org,
        ids as &[SecurityId],
    )
    .fetch_all(conn)
    .await
}

pub async fn fetch(
    conn: &mut PgConnection,
    org: &str,
    id: SecurityId,
) -> Result<Option<SecurityRow>, sqlx::Error> {
    Ok(fetch_many(conn, org, &[id]).await?.into_iter().next())
}

/// Locks the organization's securities among `ids` for the rest of the transaction, in id
/// order (every writer locks in that order, so two actions on the same pair cannot deadlock),
/// and returns them. An unknown id is absent from the answer.
pub async fn lock(
    conn: &mut PgConnection,
    org: &str,
    ids: &[SecurityId],
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id: SecurityId" FROM securities
           WHERE org_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE"#,
        org,
        ids as &[SecurityId],
    )
    .fetch_all(&mut *conn)
    .await?;
    fetch_many(conn, org, ids).await
}

pub struct ListFilter<'a> {
    pub symbol: Option<&'a str>,
    pub regulation: Option<&'a str>,
    pub security_class: Option<&'a str>,
    pub issuer: Option<&'a str>,
}

pub async fn list(
    pool: &PgPool,
    org: &str,
    filter: &ListFilter<'_>,
    after: Option<SecurityId>,
    limit: i64,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT id AS "id: SecurityId", org_id, symbol, name, issuer, issuer_country,
                  issuer_formation_date, security_class, regulation, reporting_issuer,
                  rule144_holding_months, lockup_until, rofr_days, issued, redeemed,
                  split_adjustment, converted_in, converted_out, merged_in, merged_out,
                  fractions_cashed, outstanding AS "outstanding!",
                  merged_into AS "merged_into: SecurityId", last_effective_on, created_at
           FROM securities
           WHERE org_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::text IS NULL OR symbol = $3)
             AND ($4::text IS NULL OR regulation = $4)
             AND ($5::text IS NULL OR security_class = $5)
             AND ($6::text IS NULL OR issuer = $6)
           ORDER BY id LIMIT $7"#,
        org,
        after as Option<SecurityId>,
        filter.symbol,
        filter.regulation,
        filter.security_class,
        filter.issuer,
        limit,
    )
    .fetch_all(pool)
    .await
}

/// Symbols of the organization's securities, for labelling holdings and statements.
pub async fn symbols(
    conn: &mut PgConnection,
    org: &str,
    ids: &[SecurityId],
) -> Result<std::collections::HashMap<SecurityId, (String, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: SecurityId", symbol, name, issuer FROM securities
           WHERE org_id = $1 AND id = ANY($2)"#,
        org,
        ids as &[SecurityId],
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, (r.symbol, r.name, r.issuer)))
        .collect())
}

/// Marks a security merged into another (it accepts no further entry).
pub async fn retire(
    conn: &mut PgConnection,
    org: &str,
    id: SecurityId,
    into: SecurityId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE securities SET merged_into = $3 WHERE org_id = $1 AND id = $2",
        org,
        id as SecurityId,
        into as SecurityId,
    )
    .execute(conn)
    .await?;
    Ok(())
}
