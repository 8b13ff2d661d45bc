//! Current holdings, with what of them may be transferred today.
//!
//! A page is read in one read-only snapshot transaction (`platform::db::begin_snapshot`): the
//! securities, lots and pending transfers it shows are one state, never half of a change being
//! recorded, and nothing a writer needs is locked (the ATS reads a seller's holdings for every
//! sell order).

use std::collections::{BTreeSet, HashMap};

use captable::{Ledger, Snapshot};
use platform::db::{self, TenantTx};
use platform::ids::{AssetId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use sqlx::PgPool;
use time::Date;

use super::finish;
use crate::store::journal;
use crate::store::lots::{self, positions};
use crate::store::securities::{self, SecurityRow};
use crate::views::{HoldingView, LotView, qty};

/// A page of holdings (one per investor and security), by investor then security, after
/// `after`, of one investor or security or of all.
pub async fn list(
    pool: &PgPool,
    org: &str,
    today: Date,
    investor: Option<InvestorId>,
    security: Option<AssetId>,
    after: Option<(InvestorId, AssetId)>,
    limit: i64,
) -> ApiResult<Vec<HoldingView>> {
    let mut tx = db::begin_snapshot(pool, org).await?;
    let result = list_in(&mut tx, today, investor, security, after, limit).await;
    finish(tx, result).await
}

async fn list_in(
    tx: &mut TenantTx,
    today: Date,
    investor: Option<InvestorId>,
    security: Option<AssetId>,
    after: Option<(InvestorId, AssetId)>,
    limit: i64,
) -> ApiResult<Vec<HoldingView>> {
    let pairs = lots::holding_pairs(tx, investor, security, after, limit).await?;
    holdings_of(tx, &pairs, today).await
}

/// Every current holding of an investor the TA has a record of (404 otherwise), by security.
pub async fn of_investor(
    pool: &PgPool,
    org: &str,
    today: Date,
    investor: InvestorId,
    security: Option<AssetId>,
) -> ApiResult<Vec<HoldingView>> {
    let mut tx = db::begin_snapshot(pool, org).await?;
    let result = of_investor_in(&mut tx, today, investor, security).await;
    finish(tx, result).await
}

async fn of_investor_in(
    tx: &mut TenantTx,
    today: Date,
    investor: InvestorId,
    security: Option<AssetId>,
) -> ApiResult<Vec<HoldingView>> {
    if !journal::investor_known(tx, investor).await? {
        return Err(ApiError::not_found("investor", investor));
    }
    let held = lots::securities_held(tx, investor, security).await?;
    let pairs: Vec<_> = held.into_iter().map(|s| (investor, s)).collect();
    holdings_of(tx, &pairs, today).await
}

/// Builds the holdings of the given (investor, security) pairs from current state; a pair
/// whose position was emptied since it was listed is left out.
async fn holdings_of(
    tx: &mut TenantTx,
    pairs: &[(InvestorId, AssetId)],
    today: Date,
) -> ApiResult<Vec<HoldingView>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let sec_ids: Vec<AssetId> = pairs
        .iter()
        .map(|p| p.1)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let inv_ids: Vec<InvestorId> = pairs
        .iter()
        .map(|p| p.0)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = securities::fetch_many(tx, &sec_ids).await?;
    // Every position of these investors in these securities, so that each pending transfer
    // loaded has its seller's position.
    let lots = lots::lots(tx, &sec_ids, Some(&inv_ids)).await?;
    let pending = lots::pending_transfers(tx, &sec_ids, Some(&inv_ids)).await?;
    let ledger = Ledger::from_snapshot(Snapshot {
        securities: rows
            .iter()
            .map(SecurityRow::state)
            .collect::<anyhow::Result<_>>()?,
        positions: positions(&lots),
        pending_transfers: pending,
        last_effective_on: None,
    })
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let symbols: HashMap<AssetId, &SecurityRow> = rows.iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::with_capacity(pairs.len());
    for &(investor, security) in pairs {
        if let Some(row) = symbols.get(&security)
            && let Some(view) = holding(&ledger, row, investor, today)?
        {
            out.push(view);
        }
    }
    Ok(out)
}

/// One holding as answered, `None` when the investor holds none of the security.
fn holding(
    ledger: &Ledger,
    row: &SecurityRow,
    investor: InvestorId,
    today: Date,
) -> ApiResult<Option<HoldingView>> {
    let (inv, sec) = (investor.to_string(), row.id.to_string());
    let Some(holding) = ledger.holding(&inv, &sec) else {
        return Ok(None);
    };
    let missing = || ApiError::internal(anyhow::anyhow!("security missing"));
    let state = ledger.security(&sec).ok_or_else(missing)?;
    let t = ledger
        .transferability(&inv, &sec, today, Decimal::ZERO)
        .ok_or_else(missing)?;
    Ok(Some(HoldingView {
        investor_id: investor,
        asset_id: row.id,
        symbol: row.symbol.clone(),
        quantity: qty(holding.quantity),
        transferable_quantity: qty(t.transferable),
        restricted_quantity: qty(t.restricted),
        reserved_rofr_quantity: qty(t.reserved_rofr),
        locked_up: t.locked_up,
        cost_basis: holding.cost_basis,
        lots: holding
            .lots
            .iter()
            .map(|lot| LotView {
                lot_id: lot.id.clone(),
                acquired_at: lot.acquired_at,
                holding_period_start: lot.holding_period_start,
                quantity: qty(lot.quantity),
                cost_per_share: lot.cost_per_share(),
                cost_basis: lot.cost_basis,
                restricted_until: state.terms.free_on(lot).filter(|free| *free > today),
            })
            .collect(),
    }))
}
