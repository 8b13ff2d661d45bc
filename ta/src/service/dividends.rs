//! Cash dividends: declared by a handler (entitled at once when the record date is over),
//! entitled by the dividend job otherwise; both work the entitlements out here.

use std::collections::HashMap;

use captable::{DividendDeclaration, DividendReport, Refusal, Registry, dividend_from_registry};
use iam_sdk::Caller;
use platform::db::{self, TenantTx};
use platform::ids::{AssetId, DividendId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::finish;
use super::register::replay;
use crate::bounds::{EARLIEST_DATE, amount_problem};
use crate::engine::FromEngine;
use crate::refusal::refusal_error;
use crate::store::dividends::{self, DividendRow, Figures, PaymentRow};
use crate::store::securities;
use crate::views::SecurityIdDoc;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDividend {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    /// Cash per share, positive, at most 10^9 (may have more places than the currency, e.g.
    /// 0.0125).
    #[schema(value_type = String, example = "0.25")]
    pub amount_per_share: Decimal,
    /// ISO 4217 code (`USD`); decides the rounding unit.
    pub currency: String,
    /// Holders at the end of this day are paid. In the past, today or the future (at most
    /// five years ahead; not before 1900-01-01). Entitlements are fixed once the day is over
    /// (UTC): at once for an earlier day, by the dividend job otherwise.
    pub record_date: Date,
    /// On or after the record date, at most five years after today.
    pub payment_date: Date,
}

/// How far ahead a record or payment date may be announced.
const MAX_YEARS_AHEAD: i32 = 5;

fn add_years(d: Date, years: i32) -> Date {
    let year = d.year() + years;
    Date::from_calendar_date(year, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(year, d.month(), d.day() - 1))
        .unwrap_or(Date::MAX)
}

impl CreateDividend {
    /// Every field's problem at once (400 naming them), or the currency as stored.
    fn check(&self, today: Date) -> ApiResult<String> {
        let mut errors = Vec::new();
        if let Some(problem) = amount_problem(self.amount_per_share) {
            errors.push(("amount_per_share".to_owned(), problem));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push((
                "currency".to_owned(),
                "an ISO 4217 code such as USD".to_owned(),
            ));
        }
        let horizon = add_years(today, MAX_YEARS_AHEAD);
        for (field, d) in [
            ("record_date", self.record_date),
            ("payment_date", self.payment_date),
        ] {
            if d < EARLIEST_DATE {
                errors.push((
                    field.to_owned(),
                    format!("must not be before {EARLIEST_DATE}"),
                ));
            } else if d > horizon {
                errors.push((
                    field.to_owned(),
                    format!(
                        "must not be more than {MAX_YEARS_AHEAD} years ahead (after {horizon})"
                    ),
                ));
            }
        }
        if self.payment_date < self.record_date && !errors.iter().any(|e| e.0 == "payment_date") {
            errors.push((
                "payment_date".to_owned(),
                "must not be before record_date".to_owned(),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::validation_fields(errors));
        }
        Ok(currency)
    }
}

/// A dividend with its payments (none while declared).
pub struct Dividend {
    pub row: DividendRow,
    pub payments: Vec<PaymentRow>,
}

/// A dividend's figures and payments, from `report`.
pub fn entitlements_of(
    id: DividendId,
    report: &DividendReport,
) -> anyhow::Result<(Figures, Vec<PaymentRow>)> {
    let payments = report
        .payments
        .iter()
        .map(|p| {
            Ok(PaymentRow {
                dividend_id: id,
                investor_id: InvestorId::from_engine(&p.investor_id)?,
                quantity: p.quantity,
                amount: p.amount,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((
        Figures {
            shares_of_record: report.shares_of_record,
            total_declared: report.total_declared,
            total_paid: report.total_paid,
            rounding_remainder: report.rounding_remainder,
        },
        payments,
    ))
}

/// Works a dividend out from the registry at the end of its record date, inside the caller's
/// transaction (which holds the security's lock, so no entry of it can be added meanwhile).
pub async fn work_out(
    tx: &mut TenantTx,
    declaration: &DividendDeclaration,
    security: AssetId,
) -> anyhow::Result<Result<DividendReport, Refusal>> {
    let ledger = replay(tx, &[security], Some(declaration.record_date)).await?;
    Ok(ledger.dividend(declaration))
}

/// Declares a cash dividend: entitled at once when its record date is over (before `now`'s
/// day), declared otherwise.
pub async fn declare(
    pool: &PgPool,
    caller: &Caller,
    now: OffsetDateTime,
    body: &CreateDividend,
) -> ApiResult<Dividend> {
    let currency = body.check(now.date())?;
    let mut tx = db::begin(pool, &caller.org_id).await?;
    let result = declare_in(&mut tx, &caller.name, now, body, currency).await;
    finish(tx, result).await
}

async fn declare_in(
    tx: &mut TenantTx,
    by: &str,
    now: OffsetDateTime,
    body: &CreateDividend,
    currency: String,
) -> ApiResult<Dividend> {
    let id = DividendId::new();
    let declaration = DividendDeclaration {
        dividend_id: id.to_string(),
        security_id: body.asset_id.to_string(),
        amount_per_share: body.amount_per_share,
        currency: currency.clone(),
        record_date: body.record_date,
        payment_date: body.payment_date,
    };
    // The security's lock: no entry of it is recorded while the registry of record is read.
    let security = securities::lock(tx, &[body.asset_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("security", body.asset_id))?;
    let mut row = DividendRow {
        id,
        security_id: body.asset_id,
        amount_per_share: body.amount_per_share,
        currency,
        record_date: body.record_date,
        payment_date: body.payment_date,
        status: "declared".to_owned(),
        shares_of_record: None,
        total_declared: None,
        total_paid: None,
        rounding_remainder: None,
        entitled_at: None,
        created_at: now,
    };
    let payments = if body.record_date < now.date() {
        let report = work_out(tx, &declaration, body.asset_id)
            .await?
            .map_err(|r| refusal_error(&r))?;
        if report.shares_of_record.is_zero() {
            return Err(ApiError::invalid_state(
                "no shares of this security were outstanding at the end of the record date",
            )
            .with_detail("asset_id", body.asset_id)
            .with_detail("record_date", body.record_date.to_string()));
        }
        let (figures, payments) = entitlements_of(id, &report)?;
        row.status = "entitled".to_owned();
        row.shares_of_record = Some(figures.shares_of_record);
        row.total_declared = Some(figures.total_declared);
        row.total_paid = Some(figures.total_paid);
        row.rounding_remainder = Some(figures.rounding_remainder);
        row.entitled_at = Some(now);
        payments
    } else {
        if let Some(merged_into) = security.merged_into {
            return Err(refusal_error(&Refusal::SecurityRetired {
                security_id: body.asset_id.to_string(),
                merged_into: merged_into.to_string(),
            }));
        }
        Vec::new()
    };
    dividends::insert(tx, &row, &payments, by).await?;
    Ok(Dividend { row, payments })
}

/// Fixes the entitlements of a declared dividend whose record date is over, from the registry
/// at the end of the record date, and sets it `entitled`; in the tenant transaction of the
/// dividend's organization. The dividend row is claimed (`SKIP LOCKED`, and only while still
/// `declared`, so another replica leaves it alone and it is entitled once), then its
/// security's row is locked like any change to the security, so no entry of it is recorded
/// while its registry of record is read. A dividend with no holders at the end of its record
/// date, or whose security had been merged away by then, is entitled with zero shares and no
/// payments. Returns whether it was entitled (false: claimed elsewhere, or refused, logged).
pub async fn entitle_due(
    tx: &mut TenantTx,
    id: DividendId,
    security: AssetId,
    today: Date,
    now: OffsetDateTime,
) -> anyhow::Result<bool> {
    let Some(row) = dividends::claim_due(tx, id, today).await? else {
        return Ok(false);
    };
    // Waits for an entry being recorded: no one waits on a dividend row, so this cannot
    // deadlock.
    securities::lock(tx, &[security]).await?;
    let declaration = DividendDeclaration {
        dividend_id: id.to_string(),
        security_id: security.to_string(),
        amount_per_share: row.amount_per_share,
        currency: row.currency.clone(),
        record_date: row.record_date,
        payment_date: row.payment_date,
    };
    let worked_out = match work_out(tx, &declaration, security).await {
        Ok(Err(Refusal::SecurityRetired { .. })) => {
            // Merged away by the record date: nobody holds it, nothing is owed.
            let nobody = Registry {
                security_id: security.to_string(),
                as_of: None,
                outstanding: Decimal::ZERO,
                holders: Vec::new(),
            };
            Ok(dividend_from_registry(&declaration, &nobody))
        }
        other => other,
    };
    let report = match worked_out {
        Ok(Ok(report)) => report,
        Ok(Err(refusal)) => {
            tracing::warn!(dividend = %id, %refusal, "dividend not entitled");
            return Ok(false);
        }
        Err(error) => {
            tracing::warn!(dividend = %id, error = ?error, "dividend not entitled");
            return Ok(false);
        }
    };
    let (figures, payments) = entitlements_of(id, &report)?;
    dividends::entitle(tx, id, &figures, &payments, now).await?;
    Ok(true)
}

/// A page of the organization's dividends, oldest first, with their payments.
pub async fn list(
    pool: &PgPool,
    org: &str,
    security: Option<AssetId>,
    after: Option<DividendId>,
    limit: i64,
) -> ApiResult<Vec<Dividend>> {
    let mut tx = db::begin(pool, org).await?;
    let result = list_in(&mut tx, security, after, limit).await;
    finish(tx, result).await
}

async fn list_in(
    tx: &mut TenantTx,
    security: Option<AssetId>,
    after: Option<DividendId>,
    limit: i64,
) -> ApiResult<Vec<Dividend>> {
    let rows = dividends::list(tx, security, after, limit).await?;
    let ids: Vec<DividendId> = rows.iter().map(|r| r.id).collect();
    let mut by_dividend: HashMap<DividendId, Vec<PaymentRow>> = HashMap::new();
    for p in dividends::payments_of(tx, &ids).await? {
        by_dividend.entry(p.dividend_id).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let payments = by_dividend.remove(&row.id).unwrap_or_default();
            Dividend { row, payments }
        })
        .collect())
}

/// One of the organization's dividends with its payments (404 otherwise).
pub async fn get(pool: &PgPool, org: &str, id: DividendId) -> ApiResult<Dividend> {
    let mut tx = db::begin(pool, org).await?;
    let result = get_in(&mut tx, id).await;
    finish(tx, result).await
}

async fn get_in(tx: &mut TenantTx, id: DividendId) -> ApiResult<Dividend> {
    let row = dividends::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("dividend", id))?;
    let payments = dividends::payments_of(tx, &[id]).await?;
    Ok(Dividend { row, payments })
}
