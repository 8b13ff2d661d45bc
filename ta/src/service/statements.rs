//! An investor's statement for a period: holdings at its end (the journal replayed up to that
//! day), the transfers, the dividends paid and the FIFO realised gains of the period, with the
//! lines of a Form 1099-B and a Form 1099-DIV.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use captable::Holding;
use platform::db::{self, TenantTx};
use platform::ids::{AssetId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use sqlx::PgPool;
use time::{Date, Month, OffsetDateTime};

use super::finish;
use super::register::replay;
use crate::engine::FromEngine;
use crate::store::disposals::{self, DisposalRow};
use crate::store::dividends::{self, InvestorPayment};
use crate::store::journal;
use crate::store::securities::{self, Label};
use crate::store::transfers::{self, TransferRow};
use crate::views::{
    Form1099B, Form1099DivLine, GainLine, GainSummary, Statement, StatementDividend,
    StatementHolding, StatementLot, StatementTransfer, qty,
};

/// The period asked for: `to` defaults to today and may not be after it; `from` defaults to
/// 1 January of `to`'s year and may not be after `to` (400 naming the field).
fn period(today: Date, from: Option<Date>, to: Option<Date>) -> ApiResult<(Date, Date)> {
    let to = to.unwrap_or(today);
    if to > today {
        return Err(ApiError::validation(
            "to",
            format!("must not be after today ({today})"),
        ));
    }
    let from = match from {
        Some(f) => f,
        None => Date::from_calendar_date(to.year(), Month::January, 1)
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    };
    if from > to {
        return Err(ApiError::validation("from", "must not be after to"));
    }
    Ok((from, to))
}

/// The statement of an investor the TA has a record of in the organization (404 otherwise).
pub async fn statement(
    pool: &PgPool,
    org: &str,
    now: OffsetDateTime,
    investor: InvestorId,
    from: Option<Date>,
    to: Option<Date>,
) -> ApiResult<Statement> {
    let (from, to) = period(now.date(), from, to)?;
    let mut tx = db::begin(pool, org).await?;
    let result = gather(&mut tx, investor, from, to).await;
    let facts = finish(tx, result).await?;
    Ok(facts.statement(investor, from, to, now))
}

/// What a statement is made of, read in one tenant transaction.
struct Facts {
    holdings: Vec<Holding>,
    transfers: Vec<TransferRow>,
    payments: Vec<InvestorPayment>,
    disposals: Vec<DisposalRow>,
    labels: HashMap<AssetId, Label>,
}

async fn gather(tx: &mut TenantTx, investor: InvestorId, from: Date, to: Date) -> ApiResult<Facts> {
    if !journal::investor_known(tx, investor).await? {
        return Err(ApiError::not_found("investor", investor));
    }
    // Holdings at the end of `to`.
    let held_in = journal::securities_of_investor(tx, investor, Some(to)).await?;
    let holdings = if held_in.is_empty() {
        Vec::new()
    } else {
        replay(tx, &held_in, Some(to))
            .await?
            .holdings_of(&investor.to_string())
    };
    let filter = transfers::ListFilter {
        security_id: None,
        investor_id: Some(investor),
        status: None,
        settlement_id: None,
        from: Some(from),
        to: Some(to),
    };
    let transfers = transfers::list(tx, &filter, None, 100_000).await?;
    let payments = dividends::payments_of_investor(tx, investor, from, to).await?;
    let disposals = disposals::of_investor(tx, investor, from, to).await?;

    let mut referenced: BTreeSet<AssetId> = BTreeSet::new();
    for h in &holdings {
        referenced.insert(AssetId::from_engine(&h.security_id)?);
    }
    referenced.extend(transfers.iter().map(|t| t.security_id));
    referenced.extend(payments.iter().map(|p| p.security_id));
    referenced.extend(disposals.iter().map(|d| d.security_id));
    let ids: Vec<AssetId> = referenced.into_iter().collect();
    let labels = securities::labels(tx, &ids).await?;
    Ok(Facts {
        holdings,
        transfers,
        payments,
        disposals,
        labels,
    })
}

impl Facts {
    /// A security's label; its id when unknown.
    fn label(&self, id: &AssetId) -> Label {
        self.labels.get(id).cloned().unwrap_or_else(|| Label {
            symbol: id.to_string(),
            name: String::new(),
            issuer: String::new(),
        })
    }

    fn statement(
        &self,
        investor: InvestorId,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> Statement {
        let realized_gains = self.gains();
        let (dividends, form_1099_div) = self.dividends();
        Statement {
            investor_id: investor,
            from,
            to,
            generated_at: now,
            holdings: self.holdings(),
            transfers: self.transfers(investor),
            dividends,
            form_1099_b: form_1099_b(&realized_gains),
            realized_gains,
            form_1099_div,
        }
    }

    fn holdings(&self) -> Vec<StatementHolding> {
        self.holdings
            .iter()
            .filter_map(|h| {
                // Every id in a replayed ledger was written by this service.
                let id = AssetId::parse(&h.security_id)?;
                let label = self.label(&id);
                Some(StatementHolding {
                    asset_id: id,
                    symbol: label.symbol,
                    name: label.name,
                    issuer: label.issuer,
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
            .collect()
    }

    fn transfers(&self, investor: InvestorId) -> Vec<StatementTransfer> {
        self.transfers
            .iter()
            .map(|t| {
                let out = t.from_investor_id == investor;
                StatementTransfer {
                    transfer_id: t.id,
                    asset_id: t.security_id,
                    symbol: self.label(&t.security_id).symbol,
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
            .collect()
    }

    /// The dividends paid in the period, and their totals per payer, security and currency.
    fn dividends(&self) -> (Vec<StatementDividend>, Vec<Form1099DivLine>) {
        let mut totals: BTreeMap<(AssetId, String), Decimal> = BTreeMap::new();
        let dividends = self
            .payments
            .iter()
            .map(|p| {
                let label = self.label(&p.security_id);
                *totals
                    .entry((p.security_id, p.currency.clone()))
                    .or_insert(Decimal::ZERO) += p.amount;
                StatementDividend {
                    dividend_id: p.dividend_id,
                    asset_id: p.security_id,
                    symbol: label.symbol,
                    issuer: label.issuer,
                    record_date: p.record_date,
                    payment_date: p.payment_date,
                    quantity: qty(p.quantity),
                    amount_per_share: p.amount_per_share,
                    amount: p.amount,
                    currency: p.currency.clone(),
                }
            })
            .collect();
        let lines = totals
            .into_iter()
            .map(|((id, currency), total)| {
                let label = self.label(&id);
                Form1099DivLine {
                    payer: label.issuer,
                    asset_id: id,
                    symbol: label.symbol,
                    currency,
                    total_ordinary_dividends: total,
                }
            })
            .collect();
        (dividends, lines)
    }

    fn gains(&self) -> Vec<GainLine> {
        self.disposals
            .iter()
            .map(|d| {
                let label = self.label(&d.security_id);
                GainLine {
                    description: format!(
                        "{} sh {} ({})",
                        qty(d.quantity),
                        label.symbol,
                        label.name
                    ),
                    asset_id: d.security_id,
                    symbol: label.symbol,
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
            .collect()
    }
}

/// The 1099-B summary: short-term, long-term and total proceeds, bases and gains.
fn form_1099_b(lines: &[GainLine]) -> Form1099B {
    let mut form = Form1099B {
        short_term: GainSummary::default(),
        long_term: GainSummary::default(),
        total: GainSummary::default(),
    };
    for line in lines {
        if line.term == "long" {
            form.long_term.add(line);
        } else {
            form.short_term.add(line);
        }
        form.total.add(line);
    }
    form
}
