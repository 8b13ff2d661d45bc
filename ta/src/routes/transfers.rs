//! Transfers: `POST /v1/transfers`, `GET /v1/transfers`, `GET /v1/transfers/{id}` and the
//! issuer's decision on a right of first refusal, `POST /v1/transfers/{id}/rofr`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform::error::ErrorBody;
use platform::ids::{AssetId, InvestorId, TransferId};
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;

use super::{Admin, AdminOrInternal, Readers, filter_id};
use crate::AppState;
use crate::refusal::rejection_error;
use crate::service::transfers::{self, CreateTransfer, RofrDecision};
use crate::store::transfers::{ListFilter, TransferRow};
use crate::views::TransferView;

/// A stored transfer's answer: 201 with the transfer, or, rejected, 422 with the rule and
/// `details.transfer_id` to fetch it.
fn answer(row: &TransferRow) -> Response {
    if row.status == "rejected" {
        rejection_error(row.reason.as_ref())
            .with_detail("transfer_id", row.id)
            .into_response()
    } else {
        (StatusCode::CREATED, ApiJson(TransferView::from(row))).into_response()
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
    let row = transfers::create(state.pool(), &caller, state.clock.today(), &body).await?;
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
    caller: Authorized<Readers>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<TransferView>> {
    let id = TransferId::parse_or_404(&id, "transfer")?;
    let row = transfers::get(state.pool(), &caller.org_id, id).await?;
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

impl TransferFilter {
    /// The filter as the store takes it (400 naming a malformed field).
    fn parse(self) -> ApiResult<ListFilter> {
        let security_id = filter_id::<AssetId>("asset_id", self.asset_id.as_deref())?;
        let investor_id = filter_id::<InvestorId>("investor_id", self.investor_id.as_deref())?;
        if let Some(s) = &self.status
            && !matches!(s.as_str(), "recorded" | "pending_rofr" | "rejected")
        {
            return Err(ApiError::validation(
                "status",
                "one of recorded, pending_rofr, rejected",
            ));
        }
        Ok(ListFilter {
            security_id,
            investor_id,
            status: self.status,
            settlement_id: self.settlement_id,
            from: self.from,
            to: self.to,
        })
    }
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
    caller: Authorized<Readers>,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<TransferFilter>,
) -> ApiResult<ApiJson<Page<TransferView>>> {
    let limit = params.limit()?;
    let after = params.after_as(TransferId::parse)?;
    let filter = filter.parse()?;
    let rows = transfers::list(state.pool(), &caller.org_id, &filter, after, limit + 1).await?;
    let views = rows.iter().map(TransferView::from).collect();
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &TransferView| v.id.to_string(),
    )))
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
    let today = state.clock.today();
    let row = transfers::decide_rofr(state.pool(), &caller, today, id, body.action).await?;
    Ok(ApiJson(TransferView::from(&row)))
}
