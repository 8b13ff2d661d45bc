//! `GET /v1/statements/{investor_id}`: an investor's statement for a period, with what a
//! 1099-B and a 1099-DIV need.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::READERS;
use crate::AppState;
use crate::ids::{DividendId, InvestorId, SecurityId, TransferId};
use crate::store::{dividends, ledger, securities, transfers};
use crate::views::qty;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day of the period (default: 1 January of `to`'s year).
    pub from: Option<Date>,
    /// Last day of the period, today or earlier (default: today, UTC).
    pub to: Option<Date>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLot {
    pub lot_id: String,
    pub acquired_at: Date,
    pub quantity: Decimal,
    pub cost_per_share: Decimal,
    pub cost_basis: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementHolding {
    pub asset_id: SecurityId,
    pub symbol: String,
    pub name: String,
    pub issuer: String,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub lots: Vec<StatementLot>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementTransfer {
    pub transfer_id: TransferId,
    pub asset_id: SecurityId,
    pub symbol: String,
    /// `in` (bought) or `out` (sold).
    pub direction: String,
    pub counterparty_investor_id: InvestorId,
    pub quantity: Decimal,
    pub price_per_share: Decimal,
    /// quantity × price.
    pub amount: Decimal,
    /// `recorded`, `pending_rofr` or `rejected`.
    pub status: String,
    pub requested_on: Date,
    pub recorded_on: Option<Date>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDividend {
    pub dividend_id: DividendId,
    pub asset_id: SecurityId,
    pub symbol: String,
    /// The payer (the issuer).
    pub issuer: String,
    pub record_date: Date,
    pub payment_date: Date,
    pub quantity: Decimal,
    pub amount_per_share: Decimal,
    pub amount: Decimal,
    pub currency: String,
}

/// One disposal of (part of) a lot: a 1099-B line.
#[derive(Debug, Serialize, ToSchema)]
pub struct GainLine {
    /// Box 1a, e.g. "100 sh ACME (Acme Common)".
    pub description: String,
    pub asset_id: SecurityId,
    pub symbol: String,
    pub lot_id: String,
    /// Box 1b.
    pub date_acquired: Date,
    /// Box 1c.
    pub date_sold: Date,
    /// Shares (fractional for cash in lieu of a fraction).
    pub quantity: Decimal,
    /// Box 1d.
    pub proceeds: Decimal,
    /// Box 1e.
    pub cost_basis: Decimal,
    /// proceeds − cost basis.
    pub gain: Decimal,
    /// Box 2: `short` (held one year or less) or `long`.
    pub term: String,
    /// `transfer`, `redemption`, `rofr_exercise` (bought by the issuer) or `cash_in_lieu`.
    pub kind: String,
    pub transfer_id: Option<TransferId>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GainSummary {
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub gain: Decimal,
}

impl GainSummary {
    fn add(&mut self, l: &GainLine) {
        self.proceeds += l.proceeds;
        self.cost_basis += l.cost_basis;
        self.gain += l.gain;
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Form1099B {
    pub short_term: GainSummary,
    pub long_term: GainSummary,
    pub total: GainSummary,
}

/// Total ordinary dividends from one payer and security in one currency (1099-DIV box 1a).
#[derive(Debug, Serialize, ToSchema)]
pub struct Form1099DivLine {
    pub payer: String,
    pub asset_id: SecurityId,
    pub symbol: String,
    pub currency: String,
    pub total_ordinary_dividends: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub investor_id: InvestorId,
    pub from: Date,
    pub to: Date,
    #[serde(with = "platform::time::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Holdings at the end of `to`, from the journal replayed up to that day.
    pub holdings: Vec<StatementHolding>,
    /// Transfers in or out recorded in the period (or requested in it, if not recorded).
    pub transfers: Vec<StatementTransfer>,
    /// Dividends paid in the period (by payment date).
    pub dividends: Vec<StatementDividend>,
    /// FIFO realised gains of the period: the 1099-B lines.
    pub realized_gains: Vec<GainLine>,
    pub form_1099_b: Form1099B,
    pub form_1099_div: Vec<Form1099DivLine>,
}

/// An investor's statement for a period.
#[utoipa::path(get, path = "/v1/statements/{investor_id}", tag = "statements",
    params(("investor_id" = String, Path, description = "`inv_…`"), PeriodQuery),
    security(("bearer" = [])),
    description = "Holdings at the end of `to` (the journal replayed up to that day), the transfers, the dividends paid and the FIFO realised gains of the period, \
with the lines of a Form 1099-B (per disposal: description, dates acquired and sold, proceeds, cost basis, gain, short or long term) and of a Form 1099-DIV \
(total ordinary dividends per payer and security). Proceeds and bases are in the transfer prices' currency. `from` after `to`, or `to` after today, is a 400; \
an investor the TA has no record of in the organization is a 404.",
    responses(
        (status = 200, description = "The statement", body = Statement),
        (status = 400, description = "Invalid period", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No record of this investor in the organization", body = ErrorBody),
    ))]
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(investor_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<ApiJson<Statement>> {
    caller.require_any_role(READERS)?;
    let investor = InvestorId::parse_or_404(&investor_id, "investor")?;
    let org = caller.org_id.as_str();
    let today = state.clock.today();
    let to = q.to.unwrap_or(today);
    if to > today {
        return Err(ApiError::validation(
            "to",
            format!("must not be after today ({today})"),
        ));
    }
    let from = match q.from {
        Some(f) => f,
        None => Date::from_calendar_date(to.year(), Month::January, 1)
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    };
    if from > to {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    let pool = state.pool();
    if !ledger::investor_known(pool, org, investor).await? {
        return Err(ApiError::not_found("investor", investor));
    }
    let inv = investor.to_string();

    // Holdings at the end of `to`.
    let held_in = ledger::securities_of_investor(pool, org, investor, Some(to)).await?;
    let holdings_raw = if held_in.is_empty() {
        Vec::new()
    } else {
        ledger::replay(pool, org, &held_in, Some(to))
            .await?
            .holdings_of(&inv)
    };

    let transfer_rows = transfers::list(
        pool,
        org,
        &transfers::ListFilter {
            security_id: None,
            investor_id: Some(investor),
            status: None,
            settlement_id: None,
            from: Some(from),
            to: Some(to),
        },
        None,
        100_000,
    )
    .await?;
    let payments = dividends::payments_of_investor(pool, org, investor, from, to).await?;
    let disposals = ledger::disposals_of_investor(pool, org, investor, from, to).await?;

    let mut referenced: BTreeSet<SecurityId> = BTreeSet::new();
    for h in &holdings_raw {
        referenced.insert(SecurityId::from_engine(&h.security_id)?);
    }
    referenced.extend(transfer_rows.iter().map(|t| t.security_id));
    referenced.extend(payments.iter().map(|p| p.security_id));
    referenced.extend(disposals.iter().map(|d| d.security_id));
    let ids: Vec<SecurityId> = referenced.into_iter().collect();
    let mut conn = pool.acquire().await?;
    let names = securities::symbols(&mut conn, org, &ids).await?;
    drop(conn);
    let name_of = |id: &SecurityId| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| (id.to_string(), String::new(), String::new()))
    };

    let holdings = holdings_raw
        .iter()
        .map(|h| {
            let id = SecurityId::from_engine(&h.security_id)?;
            let (symbol, name, issuer) = name_of(&id);
            Ok(StatementHolding {
                asset_id: id,
                symbol,
                name,
                issuer,
                quantity: qty(h.quantity),
                cost_basis: h.cost_basis,
                lots: h
                    .lots
                    .iter()
                    .map(|l| StatementLot {
                        lot_id: l.id.clone(),
                        acquired_at: l.acquired_at,
                        quantity: qty(l.quantity),
                        cost_per_share: l.cost_per_share(),
                        cost_basis: l.cost_basis,
                    })
                    .collect(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let transfers = transfer_rows
        .iter()
        .map(|t| {
            let out = t.from_investor_id == investor;
            StatementTransfer {
                transfer_id: t.id,
                asset_id: t.security_id,
                symbol: name_of(&t.security_id).0,
                direction: if out { "out" } else { "in" }.to_owned(),
                counterparty_investor_id: if out {
                    t.to_investor_id
                } else {
                    t.from_investor_id
                },
                quantity: qty(t.quantity),
                price_per_share: t.price_per_share,
                amount: t.quantity * t.price_per_share,
                status: t.status.clone(),
                requested_on: t.requested_on,
                recorded_on: t.recorded_on,
            }
        })
        .collect();

    let mut div_totals: BTreeMap<(SecurityId, String), Decimal> = BTreeMap::new();
    let dividends = payments
        .iter()
        .map(|p| {
            let (symbol, _, issuer) = name_of(&p.security_id);
            *div_totals
                .entry((p.security_id, p.currency.clone()))
                .or_insert(Decimal::ZERO) += p.amount;
            StatementDividend {
                dividend_id: p.dividend_id,
                asset_id: p.security_id,
                symbol,
                issuer,
                record_date: p.record_date,
                payment_date: p.payment_date,
                quantity: qty(p.quantity),
                amount_per_share: p.amount_per_share,
                amount: p.amount,
                currency: p.currency.clone(),
            }
        })
        .collect();
    let form_1099_div = div_totals
        .into_iter()
        .map(|((id, currency), total)| {
            let (symbol, _, issuer) = name_of(&id);
            Form1099DivLine {
                payer: issuer,
                asset_id: id,
                symbol,
                currency,
                total_ordinary_dividends: total,
            }
        })
        .collect();

    let mut form = Form1099B {
        short_term: GainSummary::default(),
        long_term: GainSummary::default(),
        total: GainSummary::default(),
    };
    let realized_gains: Vec<GainLine> = disposals
        .iter()
        .map(|d| {
            let (symbol, name, _) = name_of(&d.security_id);
            GainLine {
                description: format!("{} sh {symbol} ({name})", qty(d.quantity)),
                asset_id: d.security_id,
                symbol,
                lot_id: d.lot_id.clone(),
                date_acquired: d.acquired_at,
                date_sold: d.disposed_on,
                quantity: qty(d.quantity),
                proceeds: d.proceeds,
                cost_basis: d.cost_basis,
                gain: d.gain,
                term: d.term.clone(),
                kind: d.kind.clone(),
                transfer_id: d.transfer_id,
            }
        })
        .collect();
    for line in &realized_gains {
        if line.term == "long" {
            form.long_term.add(line);
        } else {
            form.short_term.add(line);
        }
        form.total.add(line);
    }

    Ok(ApiJson(Statement {
        investor_id: investor,
        from,
        to,
        generated_at: platform::time::now(),
        holdings,
        transfers,
        dividends,
        realized_gains,
        form_1099_b: form,
        form_1099_div,
    }))
}
