//! Transfers between investors, and the issuer's right of first refusal: its decision
//! (waive, exercise) asked by a handler, its lapse recorded by the lapse job.

use captable::{Action, JournalEntry, Ledger, Outcome, Refusal, TransferStatus};
use iam_sdk::Caller;
use platform::db::{self, TenantTx};
use platform::ids::{AssetId, InvestorId, SettlementId, TransferId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;
use time::Date;
use utoipa::ToSchema;

use super::finish;
use super::register::ledger_of;
use crate::bounds::{check_price, check_quantity};
use crate::refusal::{is_rule_refusal, refusal_error, rejection_reason, rofr_exercised_reason};
use crate::store::transfers::{self, ListFilter, NewTransfer, TransferRow};
use crate::store::{journal, securities};
use crate::views::SecurityIdDoc;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTransfer {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    /// The seller (`inv_` + 32 lowercase hex digits, the BD's id).
    pub from_investor_id: InvestorId,
    /// The buyer.
    pub to_investor_id: InvestorId,
    /// Whole shares, positive.
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    /// Proceeds per share for the seller, cost per share for the buyer; zero or more.
    #[schema(value_type = String, example = "12.50")]
    pub price_per_share: Decimal,
    /// The ATS settlement this transfer completes. A second request with the same
    /// settlement id replays the first transfer's answer and moves nothing.
    pub settlement_id: Option<SettlementId>,
    /// Whether the seller is an affiliate of the issuer: the buyer's Rule 144 holding period
    /// then starts anew instead of tacking the seller's (default false).
    #[serde(default)]
    pub seller_is_affiliate: bool,
}

impl CreateTransfer {
    /// The request's own checks (400 naming the field).
    pub fn check(&self) -> ApiResult<()> {
        check_quantity("quantity", self.quantity)?;
        check_price("price_per_share", self.price_per_share)?;
        if self.from_investor_id == self.to_investor_id {
            return Err(ApiError::validation(
                "to_investor_id",
                "must differ from from_investor_id",
            ));
        }
        Ok(())
    }

    fn same_as(&self, row: &TransferRow) -> bool {
        row.security_id == self.asset_id
            && row.from_investor_id == self.from_investor_id
            && row.to_investor_id == self.to_investor_id
            && row.quantity == self.quantity
            && row.price_per_share == self.price_per_share
            && row.seller_is_affiliate == self.seller_is_affiliate
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RofrAction {
    /// The issuer lets the transfer go through: it is recorded today if it still can be
    /// (holdings and restrictions are checked again), else rejected.
    Waive,
    /// The issuer buys the shares itself at the transfer price; the buyer gets nothing.
    Exercise,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RofrDecision {
    pub action: RofrAction,
}

/// How a right of first refusal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Waived,
    Exercised,
    Lapsed,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waived => "waived",
            Self::Exercised => "exercised",
            Self::Lapsed => "lapsed",
        }
    }

    fn action(self, transfer_id: String) -> Action {
        match self {
            Self::Waived => Action::RofrWaive { transfer_id },
            Self::Exercised => Action::RofrExercise { transfer_id },
            Self::Lapsed => Action::RofrLapse { transfer_id },
        }
    }
}

impl From<RofrAction> for Resolution {
    fn from(a: RofrAction) -> Self {
        match a {
            RofrAction::Waive => Self::Waived,
            RofrAction::Exercise => Self::Exercised,
        }
    }
}

/// A transfer asked again for a settlement already recorded: the first transfer if it is the
/// same one (its answer is replayed), 409 otherwise.
fn replay(existing: TransferRow, body: &CreateTransfer) -> ApiResult<TransferRow> {
    if body.same_as(&existing) {
        return Ok(existing);
    }
    Err(
        ApiError::conflict("this settlement_id was already used for a different transfer")
            .with_detail("transfer_id", existing.id)
            .with_detail("settlement_id", existing.settlement_id.as_deref()),
    )
}

/// What became of a transfer request inside its transaction.
enum Requested {
    /// Stored: recorded, pending the issuer's right of first refusal, rejected by a rule of
    /// the register, or the first transfer of its settlement (replayed).
    Stored(Box<TransferRow>),
    /// Another request for the same settlement, on another security, was stored first.
    SettlementTaken(sqlx::Error),
}

/// Requests a transfer today; the answer is the stored transfer (a `rejected` one included:
/// the caller answers it as the refusal it stores) or the refusal of a malformed request.
pub async fn create(
    pool: &PgPool,
    caller: &Caller,
    today: Date,
    body: &CreateTransfer,
) -> ApiResult<TransferRow> {
    body.check()?;
    let mut tx = db::begin(pool, &caller.org_id).await?;
    match request(&mut tx, &caller.name, today, body).await {
        Ok(Requested::SettlementTaken(error)) => {
            // Two requests for one settlement on different securities: the first one wins.
            tx.rollback().await?;
            let mut tx = db::begin(pool, &caller.org_id).await?;
            let result = match (body.settlement_id, error) {
                (Some(s), error) => {
                    match transfers::by_settlement(&mut tx, &s.to_string()).await? {
                        Some(existing) => replay(existing, body),
                        None => Err(error.into()),
                    }
                }
                (None, error) => Err(error.into()),
            };
            finish(tx, result).await
        }
        Ok(Requested::Stored(row)) => finish(tx, Ok(*row)).await,
        Err(e) => finish(tx, Err(e)).await,
    }
}

async fn request(
    tx: &mut TenantTx,
    by: &str,
    today: Date,
    body: &CreateTransfer,
) -> ApiResult<Requested> {
    let settlement = body.settlement_id.map(|s| s.to_string());
    if let Some(s) = &settlement
        && let Some(existing) = transfers::by_settlement(tx, s).await?
    {
        return replay(existing, body).map(|row| Requested::Stored(Box::new(row)));
    }
    let rows = securities::lock(tx, &[body.asset_id]).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("security", body.asset_id));
    }
    // Under the security's lock: a concurrent request for the same settlement is decided.
    if let Some(s) = &settlement
        && let Some(existing) = transfers::by_settlement(tx, s).await?
    {
        return replay(existing, body).map(|row| Requested::Stored(Box::new(row)));
    }
    let investors = [body.from_investor_id, body.to_investor_id];
    let mut ledger = ledger_of(tx, &rows, Some(&investors)).await?;
    let id = TransferId::new();
    let entry = transfer_entry(id, today, body);
    let mut new = NewTransfer {
        id,
        security_id: body.asset_id,
        from_investor_id: body.from_investor_id,
        to_investor_id: body.to_investor_id,
        quantity: body.quantity,
        price_per_share: body.price_per_share,
        seller_is_affiliate: body.seller_is_affiliate,
        settlement_id: settlement.as_deref(),
        status: "rejected",
        requested_on: today,
        recorded_on: None,
        rofr_last_day: None,
        reason: None,
        requested_by: by,
    };
    match ledger.apply(&entry) {
        Ok(outcome) => {
            settle_status(&mut new, &outcome, today)?;
            journal::record(tx, &entry, &outcome, &[body.asset_id], &investors, by).await?;
        }
        Err(refusal) if is_rule_refusal(&refusal) => {
            new.reason = Some(rejection_reason(&refusal));
        }
        Err(refusal) => return Err(refusal_error(&refusal)),
    }
    if let Err(e) = transfers::insert(tx, &new).await {
        if settlement.is_some()
            && e.as_database_error()
                .is_some_and(|d| d.is_unique_violation())
        {
            return Ok(Requested::SettlementTaken(e));
        }
        return Err(e.into());
    }
    let row = transfers::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("transfer vanished")))?;
    Ok(Requested::Stored(Box::new(row)))
}

fn transfer_entry(id: TransferId, today: Date, body: &CreateTransfer) -> JournalEntry {
    JournalEntry {
        id: id.to_string(),
        effective_on: today,
        action: Action::Transfer {
            security_id: body.asset_id.to_string(),
            from_investor_id: body.from_investor_id.to_string(),
            to_investor_id: body.to_investor_id.to_string(),
            quantity: body.quantity,
            price_per_share: body.price_per_share,
            seller_is_affiliate: body.seller_is_affiliate,
        },
    }
}

/// The status of a transfer the engine accepted: recorded today, or pending a right of
/// first refusal until its last day.
fn settle_status(new: &mut NewTransfer<'_>, outcome: &Outcome, today: Date) -> ApiResult<()> {
    let result = outcome
        .transfer
        .as_ref()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("transfer outcome without a status")))?;
    match result.status {
        TransferStatus::Recorded => {
            new.status = "recorded";
            new.recorded_on = Some(today);
        }
        TransferStatus::PendingRofr => {
            new.status = "pending_rofr";
            new.rofr_last_day = result.rofr_last_day;
        }
        other => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "unexpected status {other:?} for a new transfer"
            )));
        }
    }
    Ok(())
}

/// Applies a ROFR resolution to a pending transfer inside the caller's transaction, which
/// holds the security's lock: journals it and stores the transfer's new status. Returns the
/// refusal when the engine refuses the decision itself (window closed...).
pub async fn resolve_pending(
    tx: &mut TenantTx,
    ledger: &mut Ledger,
    transfer: &TransferRow,
    resolution: Resolution,
    today: Date,
    by: &str,
) -> anyhow::Result<Result<(), Refusal>> {
    let transfer_id = transfer.id.to_string();
    let entry = JournalEntry {
        id: format!("{transfer_id}/{}", resolution.as_str()),
        effective_on: today,
        action: resolution.action(transfer_id),
    };
    let outcome = match ledger.apply(&entry) {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let result = outcome
        .transfer
        .clone()
        .ok_or_else(|| anyhow::anyhow!("ROFR outcome without a transfer status"))?;
    let (status, reason): (&str, Option<Value>) = match result.status {
        TransferStatus::Recorded => ("recorded", None),
        TransferStatus::Rejected => ("rejected", result.rejection.as_ref().map(rejection_reason)),
        TransferStatus::RofrExercised => ("rejected", Some(rofr_exercised_reason())),
        TransferStatus::PendingRofr => anyhow::bail!("a ROFR decision left the transfer pending"),
    };
    let investors = [transfer.from_investor_id, transfer.to_investor_id];
    journal::record(
        tx,
        &entry,
        &outcome,
        &[transfer.security_id],
        &investors,
        by,
    )
    .await?;
    transfers::resolve(tx, transfer.id, status, resolution.as_str(), today, reason).await?;
    Ok(Ok(()))
}

/// The issuer's decision on a transfer pending its right of first refusal, today.
pub async fn decide_rofr(
    pool: &PgPool,
    caller: &Caller,
    today: Date,
    id: TransferId,
    action: RofrAction,
) -> ApiResult<TransferRow> {
    let mut tx = db::begin(pool, &caller.org_id).await?;
    let result = decide(&mut tx, &caller.name, today, id, action.into()).await;
    finish(tx, result).await
}

async fn decide(
    tx: &mut TenantTx,
    by: &str,
    today: Date,
    id: TransferId,
    resolution: Resolution,
) -> ApiResult<TransferRow> {
    let found = transfers::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("transfer", id))?;
    let rows = securities::lock(tx, &[found.security_id]).await?;
    // Read again under the lock: another decision or the lapse job may have come first.
    let transfer = transfers::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("transfer", id))?;
    if transfer.status != "pending_rofr" {
        return Err(ApiError::invalid_state(format!(
            "the transfer is {}, not pending a right of first refusal",
            transfer.status
        ))
        .with_detail("transfer_id", id)
        .with_detail("status", &transfer.status));
    }
    let investors = [transfer.from_investor_id, transfer.to_investor_id];
    let mut ledger = ledger_of(tx, &rows, Some(&investors)).await?;
    if let Err(refusal) = resolve_pending(tx, &mut ledger, &transfer, resolution, today, by).await?
    {
        return Err(refusal_error(&refusal).with_detail("transfer_id", id));
    }
    transfers::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("transfer vanished")))
}

/// Records the lapse of every transfer of `security` whose window ended before `today`, in
/// the tenant transaction of the security's organization. Leaves a security someone else is
/// changing (`SKIP LOCKED`) for a later run. Returns how many lapses were recorded.
pub async fn lapse_due(
    tx: &mut TenantTx,
    security: AssetId,
    today: Date,
    by: &str,
) -> anyhow::Result<usize> {
    if !securities::try_lock(tx, security).await? {
        return Ok(0);
    }
    let pending = transfers::lapsed_of(tx, security, today).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let rows = securities::fetch_many(tx, &[security]).await?;
    let mut investors: Vec<InvestorId> = pending
        .iter()
        .flat_map(|t| [t.from_investor_id, t.to_investor_id])
        .collect();
    investors.sort();
    investors.dedup();
    let mut ledger = ledger_of(tx, &rows, Some(&investors)).await?;
    let mut resolved = 0;
    for transfer in &pending {
        match resolve_pending(tx, &mut ledger, transfer, Resolution::Lapsed, today, by).await? {
            Ok(()) => resolved += 1,
            Err(refusal) => tracing::warn!(transfer = %transfer.id, %refusal, "lapse refused"),
        }
    }
    Ok(resolved)
}

/// A page of the organization's transfers, oldest first.
pub async fn list(
    pool: &PgPool,
    org: &str,
    filter: &ListFilter,
    after: Option<TransferId>,
    limit: i64,
) -> ApiResult<Vec<TransferRow>> {
    let mut tx = db::begin(pool, org).await?;
    let result = transfers::list(&mut tx, filter, after, limit).await;
    finish(tx, result.map_err(ApiError::from)).await
}

/// One of the organization's transfers (404 otherwise).
pub async fn get(pool: &PgPool, org: &str, id: TransferId) -> ApiResult<TransferRow> {
    let mut tx = db::begin(pool, org).await?;
    let result = transfers::get(&mut tx, id).await;
    let found = result
        .map_err(ApiError::from)
        .and_then(|row| row.ok_or_else(|| ApiError::not_found("transfer", id)));
    finish(tx, found).await
}
