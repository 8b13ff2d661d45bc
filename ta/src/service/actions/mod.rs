//! Corporate actions (issuances included): applied to every holder at once, today, except a
//! back-dated issuance, which takes effect on its `acquired_at`.

mod plan;

pub use plan::{
    ConversionRequest, CorporateActionRequest, IssuanceRequest, MergerRequest, Plan,
    RedemptionRequest, SplitRequest, TYPES, plan,
};

use std::collections::BTreeSet;

use captable::{Action, JournalEntry, Outcome};
use iam_sdk::Caller;
use platform::db::{self, TenantTx};
use platform::ids::{AssetId, CorporateActionId, InvestorId};
use platform::{ApiError, ApiResult};
use serde_json::Value;
use sqlx::PgPool;
use time::Date;

use super::finish;
use super::register::ledger_of;
use crate::bounds::check_not_ancient;
use crate::engine::FromEngine;
use crate::refusal::refusal_error;
use crate::store::actions::{self, ActionRow, NewAction};
use crate::store::securities::{self, SecurityRow};
use crate::store::{dividends, journal};
use crate::views::{
    ActionResult, CashInLieuView, CreatedLotView, SecurityTotalsAfter, TotalsView, qty,
};

/// Records the corporate action `body` describes (see [`plan`]) for the caller's
/// organization, taking effect today or, for a back-dated issuance, on its `acquired_at`.
pub async fn create(
    pool: &PgPool,
    caller: &Caller,
    today: Date,
    body: Value,
) -> ApiResult<ActionRow> {
    let plan = plan(body)?;
    let effective_on = effective_on(&plan, today)?;
    let mut tx = db::begin(pool, &caller.org_id).await?;
    let result = record(&mut tx, &caller.name, today, effective_on, plan).await;
    finish(tx, result).await
}

/// The day the action takes effect: an issuance when the shares were acquired (not after
/// today, not before 1900), everything else today.
fn effective_on(plan: &Plan, today: Date) -> ApiResult<Date> {
    if let Some(acquired_at) = plan.acquired_at {
        if acquired_at > today {
            return Err(ApiError::validation(
                "acquired_at",
                format!("must not be after today ({today})"),
            ));
        }
        check_not_ancient("acquired_at", acquired_at)?;
    }
    Ok(match plan.action {
        Action::Issuance { .. } => plan.acquired_at.unwrap_or(today),
        _ => today,
    })
}

async fn record(
    tx: &mut TenantTx,
    by: &str,
    today: Date,
    effective_on: Date,
    plan: Plan,
) -> ApiResult<ActionRow> {
    let mut ids = vec![plan.asset];
    ids.extend(plan.target);
    ids.sort();
    ids.dedup();
    let rows = securities::lock(tx, &ids).await?;
    for (field, id) in [
        ("asset_id", Some(plan.asset)),
        ("target_asset_id", plan.target),
    ] {
        if let Some(id) = id
            && !rows.iter().any(|r| r.id == id)
        {
            return Err(ApiError::not_found("security", id).with_detail("field", field));
        }
    }
    if effective_on < today {
        check_back_dated(tx, &rows, plan.asset, effective_on).await?;
    }
    let mut ledger = ledger_of(tx, &rows, plan.investors.as_deref()).await?;
    let id = CorporateActionId::new();
    let entry = JournalEntry {
        id: id.to_string(),
        effective_on,
        action: plan.action.clone(),
    };
    let outcome = ledger.apply(&entry).map_err(|r| refusal_error(&r))?;
    if plan.investors.is_none() {
        // Every position of the securities is in this ledger: conservation must hold.
        ledger
            .check_invariants()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("invariant broken: {e}")))?;
    }
    let seq = journal::record(tx, &entry, &outcome, &ids, plan.investor.as_slice(), by).await?;
    if plan.kind == "merger"
        && let Some(target) = plan.target
    {
        securities::retire(tx, plan.asset, target).await?;
    }
    let new = NewAction {
        id,
        kind: plan.kind,
        security_id: plan.asset,
        target_security_id: plan.target,
        investor_id: plan.investor,
        quantity: plan.quantity,
        price_per_share: plan.price,
        ratio: plan.ratio.map(|r| r.to_string()),
        cash_in_lieu_price: plan.cash_in_lieu_price,
        acquired_at: plan.acquired_at,
        effective_on,
        journal_seq: seq,
        result: serde_json::to_value(result_of(&outcome)?).map_err(ApiError::internal)?,
        created_by: by,
    };
    actions::insert(tx, &new).await?;
    actions::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("corporate action vanished")))
}

/// Whether an issuance may take effect on `effective_on`, before today: not before the
/// issuer's formation date, not before any journal entry of the security (the register is in
/// date order: history first, then trading), and not on or before the record date of a
/// dividend already paid on the registry of that day. The security is locked.
async fn check_back_dated(
    tx: &mut TenantTx,
    rows: &[SecurityRow],
    asset: AssetId,
    effective_on: Date,
) -> ApiResult<()> {
    if let Some(formed) = rows
        .iter()
        .find(|r| r.id == asset)
        .and_then(|r| r.issuer_formation_date)
        && effective_on < formed
    {
        return Err(ApiError::validation(
            "acquired_at",
            format!("must not be before the issuer's formation date ({formed})"),
        ));
    }
    let ids: Vec<AssetId> = rows.iter().map(|r| r.id).collect();
    let latest = journal::latest_entry_date(tx, &ids)
        .await?
        .into_iter()
        .chain(rows.iter().filter_map(|r| r.last_effective_on))
        .max();
    if let Some(latest) = latest
        && latest > effective_on
    {
        let refusal = captable::Refusal::OutOfOrder {
            last_effective_on: latest,
            effective_on,
        };
        let mut err = refusal_error(&refusal);
        err.message = format!(
            "the security's latest journal entry is dated {latest}: an issuance acquired on {effective_on} cannot take effect before it \
(record the history of a cap table before any later issuance, transfer or corporate action)"
        );
        return Err(err
            .with_detail("asset_id", asset)
            .with_detail("acquired_at", effective_on.to_string()));
    }
    if let Some((dividend, record_date)) = dividends::last_entitled_record_date(tx, asset).await?
        && record_date >= effective_on
    {
        return Err(ApiError::invalid_state(format!(
            "dividend {dividend} was paid on the registry of record of {record_date}: an issuance acquired on {effective_on} would change it"
        ))
        .with_detail("rule", "dividend_entitled")
        .with_detail("asset_id", asset)
        .with_detail("acquired_at", effective_on.to_string())
        .with_detail("dividend_id", dividend)
        .with_detail("record_date", record_date.to_string()));
    }
    Ok(())
}

/// What the action changed, as stored with it and answered.
fn result_of(outcome: &Outcome) -> anyhow::Result<ActionResult> {
    let holders: BTreeSet<&str> = outcome
        .positions
        .iter()
        .map(|p| p.investor_id.as_str())
        .collect();
    Ok(ActionResult {
        holders_affected: holders.len(),
        lots_created: outcome
            .created_lots
            .iter()
            .map(|c| {
                Ok(CreatedLotView {
                    investor_id: InvestorId::from_engine(&c.investor_id)?,
                    asset_id: AssetId::from_engine(&c.security_id)?,
                    lot_id: c.lot.id.clone(),
                    quantity: qty(c.lot.quantity),
                    acquired_at: c.lot.acquired_at,
                    source_lot_id: c.source_lot_id.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?,
        cash_in_lieu: outcome
            .cash_in_lieu
            .iter()
            .map(|c| {
                Ok(CashInLieuView {
                    investor_id: InvestorId::from_engine(&c.investor_id)?,
                    asset_id: AssetId::from_engine(&c.security_id)?,
                    fractional_shares: c.fractional_shares.normalize(),
                    price_per_share: c.price_per_share,
                    amount: c.amount,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        cash_in_lieu_total: outcome.cash_in_lieu.iter().map(|c| c.amount).sum(),
        totals: outcome
            .totals
            .iter()
            .map(|(id, t)| {
                Ok(SecurityTotalsAfter {
                    asset_id: AssetId::from_engine(id)?,
                    totals: TotalsView::from(t),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

/// A page of the organization's corporate actions, oldest first.
pub async fn list(
    pool: &PgPool,
    org: &str,
    security: Option<AssetId>,
    kind: Option<&str>,
    after: Option<CorporateActionId>,
    limit: i64,
) -> ApiResult<Vec<ActionRow>> {
    let mut tx = db::begin(pool, org).await?;
    let result = actions::list(&mut tx, security, kind, after, limit).await;
    finish(tx, result.map_err(ApiError::from)).await
}

/// One of the organization's corporate actions (404 otherwise).
pub async fn get(pool: &PgPool, org: &str, id: CorporateActionId) -> ApiResult<ActionRow> {
    let mut tx = db::begin(pool, org).await?;
    let result = actions::get(&mut tx, id).await;
    let found = result
        .map_err(ApiError::from)
        .and_then(|row| row.ok_or_else(|| ApiError::not_found("corporate action", id)));
    finish(tx, found).await
}
