//! `POST /v1/corporate-actions`, `GET /v1/corporate-actions`, `GET /v1/corporate-actions/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::{AssetId, CorporateActionId};
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::{Admin, Readers, filter_id};
use crate::AppState;
use crate::service::actions::{self, CorporateActionRequest, TYPES};
use crate::views::CorporateActionView;

/// Records a corporate action: an issuance, a split or reverse split, a merger, a
/// conversion or a redemption.
#[utoipa::path(post, path = "/v1/corporate-actions", tag = "corporate-actions",
    request_body = CorporateActionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. Takes effect today (UTC) on every holder at once, except a back-dated issuance (below). `type` decides the fields (an unknown or missing `type` is a 400 naming `type`). \
Ratios are `new:old` with positive whole numbers (`0:1`, `1:0`, `1.5:1` are refused; a split must increase the share count, a reverse split decrease it). \
Fractions are computed per holder and paid in cash at `cash_in_lieu_price` per post-action share, rounded down to the cent; without a price an action that leaves a fraction is refused. \
Splits, mergers and conversions of every holder are refused (409) while transfers of the security wait on a right of first refusal. \
A merger retires `asset_id` (409 for any later change to it). A redemption takes the oldest lots whatever their holding period (422 INSUFFICIENT_HOLDINGS when the holder's unreserved shares do not suffice). \
A refused action changes nothing and is not stored.\n\n\
**Back-dated issuances** (onboarding an existing cap table): an `issuance` whose `acquired_at` is before today takes effect on that day: \
`effective_date` is `acquired_at`, and the registry, statements, dividends and OCF export as of any later date include it (as of an earlier date they do not). \
`acquired_at` must not be after today (400), before 1900-01-01 or before the issuer's formation date (400). \
The register is kept in date order, so the history comes first and trading after: an issuance dated before the latest journal entry of the security \
(any issuance, transfer, decision on a right of first refusal or corporate action touching it) is refused with 409 `INVALID_STATE` \
(`details.rule` = `out_of_order`, `details.last_effective_on` = the date of that latest entry), and so is one dated on or before the record date of a dividend \
of the security whose entitlements are already fixed (`details.rule` = `dividend_entitled`, `details.record_date`, `details.dividend_id`): \
the registry of record it was paid on would change. Every other action, and an issuance without `acquired_at`, takes effect today.",
    responses(
        (status = 201, description = "The action and what it changed", body = CorporateActionView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
        (status = 409, description = "Security retired, transfers pending ROFR, a back-dated issuance before the security's latest entry or an entitled dividend's record date, or Idempotency-Key reused", body = ErrorBody),
        (status = 422, description = "INSUFFICIENT_HOLDINGS (redemption, conversion of one holder)", body = ErrorBody),
    ))]
pub async fn create_action(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, ApiJson<CorporateActionView>)> {
    let row = actions::create(state.pool(), &caller, state.clock.today(), body).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CorporateActionView::from_row(&row)?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionFilter {
    /// `ast_…`, as source or target.
    pub asset_id: Option<String>,
    /// `issuance`, `split`, `reverse_split`, `merger`, `conversion` or `redemption`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
}

/// Lists corporate actions (issuances included), oldest first.
#[utoipa::path(get, path = "/v1/corporate-actions", tag = "corporate-actions",
    params(ListParams, ActionFilter),
    security(("bearer" = [])),
    description = "Any role of the organization.",
    responses(
        (status = 200, description = "A page of corporate actions", body = Page<CorporateActionView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_actions(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<ActionFilter>,
) -> ApiResult<ApiJson<Page<CorporateActionView>>> {
    let limit = params.limit()?;
    let after = params.after_as(CorporateActionId::parse)?;
    let security = filter_id::<AssetId>("asset_id", filter.asset_id.as_deref())?;
    if let Some(k) = &filter.kind
        && !TYPES.contains(&k.as_str())
    {
        return Err(ApiError::validation(
            "type",
            format!("one of {}", TYPES.join(", ")),
        ));
    }
    let kind = filter.kind.as_deref();
    let rows = actions::list(
        state.pool(),
        &caller.org_id,
        security,
        kind,
        after,
        limit + 1,
    )
    .await?;
    let views = rows
        .iter()
        .map(CorporateActionView::from_row)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &CorporateActionView| v.id.to_string(),
    )))
}

/// One corporate action.
#[utoipa::path(get, path = "/v1/corporate-actions/{id}", tag = "corporate-actions",
    params(("id" = String, Path, description = "`ca_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The corporate action", body = CorporateActionView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such corporate action in the organization", body = ErrorBody),
    ))]
pub async fn get_action(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<CorporateActionView>> {
    let id = CorporateActionId::parse_or_404(&id, "corporate action")?;
    let row = actions::get(state.pool(), &caller.org_id, id).await?;
    Ok(ApiJson(CorporateActionView::from_row(&row)?))
}
