//! `POST /v1/dividends`, `GET /v1/dividends`, `GET /v1/dividends/{id}`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use captable::{DividendDeclaration, DividendReport, Refusal};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ListParams, Page};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgConnection;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::{Admin, EARLIEST_DATE, cursor_id};
use crate::AppState;
use crate::ids::{DividendId, InvestorId, SecurityId};
use crate::refusal::refusal_error;
use crate::store::dividends::{self, DividendRow, Figures, PaymentRow};
use crate::store::ledger;
use crate::store::securities;
use crate::views::{DividendView, EntitlementView, qty};
use platform::Authorized;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDividend {
    pub asset_id: SecurityId,
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

fn view(row: &DividendRow, payments: &[&PaymentRow]) -> DividendView {
    DividendView {
        id: row.id,
        asset_id: row.security_id,
        amount_per_share: row.amount_per_share,
        currency: row.currency.clone(),
        record_date: row.record_date,
        payment_date: row.payment_date,
        status: row.status.clone(),
        shares_of_record: row.shares_of_record.map(qty),
        total_declared: row.total_declared,
        total_paid: row.total_paid,
        rounding_remainder: row.rounding_remainder,
        entitlements: payments
            .iter()
            .map(|p| EntitlementView {
                investor_id: p.investor_id,
                quantity: qty(p.quantity),
                amount: p.amount,
            })
            .collect(),
        entitled_at: row.entitled_at,
        created_at: row.created_at,
    }
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
    conn: &mut PgConnection,
    org: &str,
    declaration: &DividendDeclaration,
    security: SecurityId,
) -> anyhow::Result<Result<DividendReport, Refusal>> {
    let ledger = ledger::replay_on(conn, org, &[security], Some(declaration.record_date)).await?;
    Ok(ledger.dividend(declaration))
}

fn add_years(d: Date, years: i32) -> Date {
    let year = d.year() + years;
    Date::from_calendar_date(year, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(year, d.month(), d.day() - 1))
        .unwrap_or(Date::MAX)
}

/// Declares a cash dividend.
#[utoipa::path(post, path = "/v1/dividends", tag = "dividends",
    request_body = CreateDividend,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. Entitlements are computed from the registry as it stood at the end of the record date (the journal replayed up to it): \
each holder of record receives quantity × amount per share rounded down to the currency's minor unit, so no more than declared is ever paid; \
the answer gives the totals and the rounding remainder kept back.\n\n\
The record date may be in the past, today or the future (at most five years ahead, not before 1900-01-01); the payment date must not be before it (400 naming `payment_date`) \
nor more than five years after today. The register of a day is final once the day is over (UTC), so:\n\
- a record date before today: the dividend is `entitled` at once, with its entitlements; a security with no shares outstanding at the record date, or merged away by then, answers 409 INVALID_STATE;\n\
- a record date today or later: the dividend is stored `declared`, with `shares_of_record`, the totals, `rounding_remainder` and `entitled_at` null and no entitlements. \
A background job (every `TA_DIVIDEND_INTERVAL_SECS`, default 60) fixes them from the registry as of the record date once that day is over, and sets `entitled`. \
If nobody holds the security at the end of the record date (or it was merged away by then), the dividend becomes `entitled` with zero shares of record, zero totals and no entitlements: nothing is owed. \
A security already merged away cannot declare a dividend (409 INVALID_STATE).",
    responses(
        (status = 201, description = "The dividend: `entitled` with its entitlements, or `declared`", body = DividendView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
        (status = 409, description = "Nothing outstanding at a past record date, security merged away, or Idempotency-Key reused", body = ErrorBody),
    ))]
pub async fn create_dividend(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateDividend>,
) -> ApiResult<(StatusCode, ApiJson<DividendView>)> {
    let mut errors = Vec::new();
    if body.amount_per_share <= Decimal::ZERO {
        errors.push(("amount_per_share".to_owned(), "must be positive".to_owned()));
    } else if body.amount_per_share > captable::money::MAX_PRICE {
        errors.push((
            "amount_per_share".to_owned(),
            "must be at most 1000000000".to_owned(),
        ));
    }
    let currency = body.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push((
            "currency".to_owned(),
            "an ISO 4217 code such as USD".to_owned(),
        ));
    }
    let today = state.clock.today();
    let horizon = add_years(today, MAX_YEARS_AHEAD);
    for (field, d) in [
        ("record_date", body.record_date),
        ("payment_date", body.payment_date),
    ] {
        if d < EARLIEST_DATE {
            errors.push((
                field.to_owned(),
                format!("must not be before {EARLIEST_DATE}"),
            ));
        } else if d > horizon {
            errors.push((
                field.to_owned(),
                format!("must not be more than {MAX_YEARS_AHEAD} years ahead (after {horizon})"),
            ));
        }
    }
    if body.payment_date < body.record_date && !errors.iter().any(|e| e.0 == "payment_date") {
        errors.push((
            "payment_date".to_owned(),
            "must not be before record_date".to_owned(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }
    let org = caller.org_id.as_str();
    let id = DividendId::new();
    let declaration = DividendDeclaration {
        dividend_id: id.to_string(),
        security_id: body.asset_id.to_string(),
        amount_per_share: body.amount_per_share,
        currency: currency.clone(),
        record_date: body.record_date,
        payment_date: body.payment_date,
    };
    let mut tx = state.pool().begin().await?;
    // The security's lock: no entry of it is recorded while the registry of record is read.
    let security = securities::lock(&mut tx, org, &[body.asset_id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("security", body.asset_id))?;
    let now = platform::time::now();
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
    let payments = if body.record_date < today {
        let report = work_out(&mut tx, org, &declaration, body.asset_id)
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
    dividends::insert(&mut tx, org, &row, &payments, &caller.name).await?;
    tx.commit().await?;
    let refs: Vec<&PaymentRow> = payments.iter().collect();
    Ok((StatusCode::CREATED, ApiJson(view(&row, &refs))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DividendFilter {
    /// `ast_…`
    pub asset_id: Option<String>,
}

/// Lists dividends, oldest first, with their status and entitlements.
#[utoipa::path(get, path = "/v1/dividends", tag = "dividends",
    params(ListParams, DividendFilter),
    security(("bearer" = [])),
    description = "Admin only. `status` is `declared` (no figures, no entitlements yet) until the record date is over and the dividend job has fixed the entitlements, then `entitled`.",
    responses(
        (status = 200, description = "A page of dividends", body = Page<DividendView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
    ))]
pub async fn list_dividends(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<DividendFilter>,
) -> ApiResult<ApiJson<Page<DividendView>>> {
    caller.require_any_role(&["admin"])?;
    let limit = params.limit()?;
    let after = cursor_id(&params, DividendId::parse)?;
    let security = filter
        .asset_id
        .as_deref()
        .map(|s| {
            SecurityId::parse(s).ok_or_else(|| {
                ApiError::validation("asset_id", "expected an id of the form ast_<32 hex digits>")
            })
        })
        .transpose()?;
    let rows = dividends::list(state.pool(), &caller.org_id, security, after, limit + 1).await?;
    let ids: Vec<DividendId> = rows.iter().map(|r| r.id).collect();
    let payments = dividends::payments_of(state.pool(), &caller.org_id, &ids).await?;
    let mut by_dividend: HashMap<DividendId, Vec<&PaymentRow>> = HashMap::new();
    for p in &payments {
        by_dividend.entry(p.dividend_id).or_default().push(p);
    }
    let views = rows
        .iter()
        .map(|r| view(r, by_dividend.get(&r.id).map_or(&[][..], Vec::as_slice)))
        .collect();
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &DividendView| v.id.to_string(),
    )))
}

/// One dividend with its entitlements.
#[utoipa::path(get, path = "/v1/dividends/{id}", tag = "dividends",
    params(("id" = String, Path, description = "`div_…`")),
    security(("bearer" = [])),
    description = "Admin only. `status` is `declared` (no figures, no entitlements yet) until the record date is over and the dividend job has fixed the entitlements, then `entitled`.",
    responses(
        (status = 200, description = "The dividend", body = DividendView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such dividend in the organization", body = ErrorBody),
    ))]
pub async fn get_dividend(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<DividendView>> {
    caller.require_any_role(&["admin"])?;
    let id = DividendId::parse_or_404(&id, "dividend")?;
    let row = dividends::get(state.pool(), &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("dividend", id))?;
    let payments = dividends::payments_of(state.pool(), &caller.org_id, &[id]).await?;
    let refs: Vec<&PaymentRow> = payments.iter().collect();
    Ok(ApiJson(view(&row, &refs)))
}
