//! Transfers: `POST /v1/transfers`, `GET /v1/transfers`, `GET /v1/transfers/{id}` and the
//! issuer's decision on a right of first refusal, `POST /v1/transfers/{id}/rofr`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use captable::{Action, JournalEntry, TransferStatus};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorCode, ListParams, Page};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::{Admin, AdminOrInternal, READERS, check_price, check_quantity, cursor_id};
use crate::AppState;
use crate::ids::{InvestorId, SecurityId, SettlementId, TransferId};
use crate::refusal::{is_rule_refusal, refusal_error, rejection_reason, rofr_exercised_reason};
use crate::store::ledger::{self, ledger_from, load_snapshot};
use crate::store::securities;
use crate::store::transfers::{self, NewTransfer, TransferRow};
use crate::views::TransferView;
use platform::Authorized;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTransfer {
    pub asset_id: SecurityId,
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

/// The answer of a rejected transfer: 422 with the rule, and `details.transfer_id` to fetch it.
fn rejected_response(row: &TransferRow) -> Response {
    let reason = row.reason.clone().unwrap_or(Value::Null);
    let code = match reason.get("code").and_then(Value::as_str) {
        Some("INSUFFICIENT_HOLDINGS") => ErrorCode::InsufficientHoldings,
        _ => ErrorCode::RestrictionViolated,
    };
    let message = reason
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the transfer was rejected")
        .to_owned();
    let mut err = ApiError::new(code, message);
    if let Value::Object(map) = reason {
        for (k, v) in map {
            if k != "code" && k != "message" {
                err.details.insert(k, v);
            }
        }
    }
    err.with_detail("transfer_id", row.id).into_response()
}

fn answer(row: &TransferRow) -> Response {
    if row.status == "rejected" {
        rejected_response(row)
    } else {
        (StatusCode::CREATED, ApiJson(TransferView::from(row))).into_response()
    }
}

/// The same settlement asked again: the first answer if it is the same transfer.
fn replay_settlement(existing: &TransferRow, body: &CreateTransfer) -> Response {
    let same = existing.security_id == body.asset_id
        && existing.from_investor_id == body.from_investor_id
        && existing.to_investor_id == body.to_investor_id
        && existing.quantity == body.quantity
        && existing.price_per_share == body.price_per_share
        && existing.seller_is_affiliate == body.seller_is_affiliate;
    if same {
        answer(existing)
    } else {
        ApiError::conflict("this settlement_id was already used for a different transfer")
            .with_detail("transfer_id", existing.id)
            .with_detail("settlement_id", existing.settlement_id.as_deref())
            .into_response()
    }
}

/// Requests a transfer between two investors.
#[utoipa::path(post, path = "/v1/transfers", tag = "transfers",
    request_body = CreateTransfer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin or internal (the ATS records settled trades here). The transfer takes effect today (UTC). \
The seller's oldest lots that may move today are taken (FIFO); the buyer gets one new lot whose Rule 144 holding period tacks the seller's unless `seller_is_affiliate`. \
With a right of first refusal the transfer waits as `pending_rofr` (201) and its shares are reserved until the issuer waives or exercises (`POST /v1/transfers/{id}/rofr`) or the window lapses. \
A transfer refused by a rule of the register (Rule 144 or Reg CF holding period, lock-up, insufficient or reserved holdings) is kept as `rejected` with its reason and answered 422 \
(`RESTRICTION_VIOLATED` or `INSUFFICIENT_HOLDINGS`) with `details.transfer_id`, `details.rule` and, for a holding period, `details.lot_id` and `details.free_on`. \
Malformed requests (400), unknown securities (404) and retired (merged) securities (409) are not stored. \
A `settlement_id` already recorded replays the first transfer's answer (same status and body, nothing moves); with different terms it answers 409.",
    responses(
        (status = 201, description = "Recorded, or pending the issuer's right of first refusal", body = TransferView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Neither an admin nor a service", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
        (status = 409, description = "Security retired, settlement_id reused with other terms, or Idempotency-Key reused", body = ErrorBody),
        (status = 422, description = "RESTRICTION_VIOLATED or INSUFFICIENT_HOLDINGS; the rejected transfer is details.transfer_id", body = ErrorBody),
    ))]
pub async fn create_transfer(
    State(state): State<AppState>,
    caller: Authorized<AdminOrInternal>,
    ApiJson(body): ApiJson<CreateTransfer>,
) -> ApiResult<Response> {
    check_quantity("quantity", body.quantity)?;
    check_price("price_per_share", body.price_per_share)?;
    if body.from_investor_id == body.to_investor_id {
        return Err(ApiError::validation(
            "to_investor_id",
            "must differ from from_investor_id",
        ));
    }
    let org = caller.org_id.as_str();
    let settlement = body.settlement_id.map(|s| s.to_string());
    let pool = state.pool();
    if let Some(s) = &settlement {
        let mut conn = pool.acquire().await?;
        if let Some(existing) = transfers::by_settlement(&mut conn, org, s).await? {
            return Ok(replay_settlement(&existing, &body));
        }
    }

    let id = TransferId::new();
    let today = state.clock.today();
    let mut tx = pool.begin().await?;
    let rows = securities::lock(&mut tx, org, &[body.asset_id]).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("security", body.asset_id));
    }
    // Under the security's lock: a concurrent request for the same settlement is decided.
    if let Some(s) = &settlement
        && let Some(existing) = transfers::by_settlement(&mut tx, org, s).await?
    {
        return Ok(replay_settlement(&existing, &body));
    }
    let investors = [body.from_investor_id, body.to_investor_id];
    let snapshot = load_snapshot(&mut tx, org, &rows, Some(&investors)).await?;
    let mut ledger = ledger_from(snapshot)?;
    let entry = JournalEntry {
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
    };
    let mut new = NewTransfer {
        id,
        org_id: org,
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
        requested_by: &caller.name,
    };
    match ledger.apply(&entry) {
        Ok(outcome) => {
            let result = outcome.transfer.clone().ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("transfer outcome without a status"))
            })?;
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
            ledger::record(
                &mut tx,
                org,
                &entry,
                &outcome,
                &[body.asset_id],
                &investors,
                &caller.name,
            )
            .await?;
        }
        Err(refusal) if is_rule_refusal(&refusal) => {
            new.reason = Some(rejection_reason(&refusal));
        }
        Err(refusal) => return Err(refusal_error(&refusal)),
    }
    if let Err(e) = transfers::insert(&mut tx, &new).await {
        // Two requests for one settlement on different securities: the first one wins.
        if let (Some(s), Some(db)) = (&settlement, e.as_database_error())
            && db.is_unique_violation()
        {
            drop(tx);
            let mut conn = pool.acquire().await?;
            if let Some(existing) = transfers::by_settlement(&mut conn, org, s).await? {
                return Ok(replay_settlement(&existing, &body));
            }
        }
        return Err(e.into());
    }
    let row = transfers::get(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("transfer vanished")))?;
    tx.commit().await?;
    Ok(answer(&row))
}

/// One transfer.
#[utoipa::path(get, path = "/v1/transfers/{id}", tag = "transfers",
    params(("id" = String, Path, description = "`trf_…`")),
    security(("bearer" = [])),
    description = "`status` is `recorded`, `pending_rofr` or `rejected`; a rejected transfer's `reason` names the rule (an exercised right of first refusal shows as `rejected` with `reason.code` `ROFR_EXERCISED`).",
    responses(
        (status = 200, description = "The transfer", body = TransferView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such transfer in the organization", body = ErrorBody),
    ))]
pub async fn get_transfer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<TransferView>> {
    caller.require_any_role(READERS)?;
    let id = TransferId::parse_or_404(&id, "transfer")?;
    let mut conn = state.pool().acquire().await?;
    let row = transfers::get(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("transfer", id))?;
    Ok(ApiJson(TransferView::from(&row)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TransferFilter {
    /// `ast_…`
    pub asset_id: Option<String>,
    /// `inv_…`, on either side.
    pub investor_id: Option<String>,
    /// `recorded`, `pending_rofr` or `rejected`.
    pub status: Option<String>,
    /// `stl_…`
    pub settlement_id: Option<String>,
    /// Recorded (or, if not recorded, requested) on or after this date.
    pub from: Option<Date>,
    /// Recorded (or, if not recorded, requested) on or before this date.
    pub to: Option<Date>,
}

/// Lists transfers, oldest first.
#[utoipa::path(get, path = "/v1/transfers", tag = "transfers",
    params(ListParams, TransferFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of transfers", body = Page<TransferView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_transfers(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<TransferFilter>,
) -> ApiResult<ApiJson<Page<TransferView>>> {
    caller.require_any_role(READERS)?;
    let limit = params.limit()?;
    let after = cursor_id(&params, TransferId::parse)?;
    let security_id = filter
        .asset_id
        .as_deref()
        .map(|s| {
            SecurityId::parse(s).ok_or_else(|| {
                ApiError::validation("asset_id", "expected an id of the form ast_<32 hex digits>")
            })
        })
        .transpose()?;
    let investor_id = filter
        .investor_id
        .as_deref()
        .map(|s| {
            InvestorId::parse(s).ok_or_else(|| {
                ApiError::validation(
                    "investor_id",
                    "expected an id of the form inv_<32 hex digits>",
                )
            })
        })
        .transpose()?;
    if let Some(s) = &filter.status
        && !matches!(s.as_str(), "recorded" | "pending_rofr" | "rejected")
    {
        return Err(ApiError::validation(
            "status",
            "one of recorded, pending_rofr, rejected",
        ));
    }
    let rows = transfers::list(
        state.pool(),
        &caller.org_id,
        &transfers::ListFilter {
            security_id,
            investor_id,
            status: filter.status,
            settlement_id: filter.settlement_id,
            from: filter.from,
            to: filter.to,
        },
        after,
        limit + 1,
    )
    .await?;
    let views = rows.iter().map(TransferView::from).collect();
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &TransferView| v.id.to_string(),
    )))
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

/// Applies a ROFR resolution (waive, exercise or lapse) to a pending transfer inside the
/// caller's transaction, which holds the security's lock. Returns the refusal when the
/// engine refuses the decision itself (window closed...).
pub async fn resolve_pending(
    conn: &mut sqlx::PgConnection,
    ledger: &mut captable::Ledger,
    org: &str,
    transfer: &TransferRow,
    resolution: &str,
    today: Date,
    by: &str,
) -> anyhow::Result<Result<(), captable::Refusal>> {
    let transfer_id = transfer.id.to_string();
    let action = match resolution {
        "waived" => Action::RofrWaive {
            transfer_id: transfer_id.clone(),
        },
        "exercised" => Action::RofrExercise {
            transfer_id: transfer_id.clone(),
        },
        _ => Action::RofrLapse {
            transfer_id: transfer_id.clone(),
        },
    };
    let entry = JournalEntry {
        id: format!("{transfer_id}/{resolution}"),
        effective_on: today,
        action,
    };
    let outcome = match ledger.apply(&entry) {
        Ok(o) => o,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let result = outcome
        .transfer
        .clone()
        .ok_or_else(|| anyhow::anyhow!("ROFR outcome without a transfer status"))?;
    let (status, reason) = match result.status {
        TransferStatus::Recorded => ("recorded", None),
        TransferStatus::Rejected => ("rejected", result.rejection.as_ref().map(rejection_reason)),
        TransferStatus::RofrExercised => ("rejected", Some(rofr_exercised_reason())),
        TransferStatus::PendingRofr => anyhow::bail!("a ROFR decision left the transfer pending"),
    };
    ledger::record(
        conn,
        org,
        &entry,
        &outcome,
        &[transfer.security_id],
        &[transfer.from_investor_id, transfer.to_investor_id],
        by,
    )
    .await?;
    transfers::resolve(conn, org, transfer.id, status, resolution, today, reason).await?;
    Ok(Ok(()))
}

/// The issuer's decision on a transfer pending its right of first refusal.
#[utoipa::path(post, path = "/v1/transfers/{id}/rofr", tag = "transfers",
    params(("id" = String, Path, description = "`trf_…`"),
           ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    request_body = RofrDecision,
    security(("bearer" = [])),
    description = "Admin only. `waive` records the transfer today if the seller still may make it (else it becomes `rejected` with the reason); \
`exercise` (only within the window) has the issuer buy the reserved shares at the transfer price: the seller's shares are redeemed, the buyer gets nothing, and the transfer shows as `rejected` with `reason.code` `ROFR_EXERCISED`. \
A window that ends without a decision lapses: a background job records the transfer from the day after its last day. \
A transfer that is not pending answers 409 INVALID_STATE.",
    responses(
        (status = 200, description = "The transfer after the decision", body = TransferView),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such transfer in the organization", body = ErrorBody),
        (status = 409, description = "Not pending, or the window closed (exercise)", body = ErrorBody),
    ))]
pub async fn decide_rofr(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RofrDecision>,
) -> ApiResult<ApiJson<TransferView>> {
    let id = TransferId::parse_or_404(&id, "transfer")?;
    let org = caller.org_id.as_str();
    let today = state.clock.today();
    let mut tx = state.pool().begin().await?;
    let found = transfers::get(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("transfer", id))?;
    let rows = securities::lock(&mut tx, org, &[found.security_id]).await?;
    // Read again under the lock: another decision or the lapse job may have come first.
    let transfer = transfers::get(&mut tx, org, id)
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
    let snapshot = load_snapshot(&mut tx, org, &rows, Some(&investors)).await?;
    let mut ledger = ledger_from(snapshot)?;
    let resolution = match body.action {
        RofrAction::Waive => "waived",
        RofrAction::Exercise => "exercised",
    };
    if let Err(refusal) = resolve_pending(
        &mut tx,
        &mut ledger,
        org,
        &transfer,
        resolution,
        today,
        &caller.name,
    )
    .await?
    {
        return Err(refusal_error(&refusal).with_detail("transfer_id", id));
    }
    let row = transfers::get(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("transfer vanished")))?;
    tx.commit().await?;
    Ok(ApiJson(TransferView::from(&row)))
}
