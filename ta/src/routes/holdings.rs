//! `GET /v1/holdings` and `GET /v1/holdings/{investor_id}`.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::{AssetId, InvestorId};
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Readers, filter_id};
use crate::AppState;
use crate::service::holdings;
use crate::views::{HoldingView, InvestorHoldings};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldingFilter {
    /// `ast_…`
    pub asset_id: Option<String>,
    /// `inv_…`
    pub investor_id: Option<String>,
}

/// The position a page of holdings starts after: `inv_…|ast_…`.
fn holding_position(s: &str) -> Option<(InvestorId, AssetId)> {
    let (investor, asset) = s.split_once('|')?;
    Some((InvestorId::parse(investor)?, AssetId::parse(asset)?))
}

/// Lists holdings (one per investor and security), by investor then security.
#[utoipa::path(get, path = "/v1/holdings", tag = "holdings",
    params(ListParams, HoldingFilter),
    security(("bearer" = [])),
    description = "Current positions. `transferable_quantity` is what may be transferred today: lots still serving their Rule 144 / Reg CF holding period, \
everything during a lock-up, and shares reserved by transfers pending a right of first refusal are excluded. Open sell orders are the ATS's: it subtracts them itself.",
    responses(
        (status = 200, description = "A page of holdings", body = Page<HoldingView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_holdings(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<HoldingFilter>,
) -> ApiResult<ApiJson<Page<HoldingView>>> {
    let limit = params.limit()?;
    let after = params.after_as(holding_position)?;
    let security = filter_id::<AssetId>("asset_id", filter.asset_id.as_deref())?;
    let investor = filter_id::<InvestorId>("investor_id", filter.investor_id.as_deref())?;
    let (org, today) = (caller.org_id.as_str(), state.clock.today());
    let views = holdings::list(
        state.pool(),
        org,
        today,
        investor,
        security,
        after,
        limit + 1,
    )
    .await?;
    Ok(ApiJson(Page::from_rows(views, limit, |h: &HoldingView| {
        format!("{}|{}", h.investor_id, h.asset_id)
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestorHoldingFilter {
    /// `ast_…`: only this security.
    pub asset_id: Option<String>,
}

/// One investor's holdings.
#[utoipa::path(get, path = "/v1/holdings/{investor_id}", tag = "holdings",
    params(("investor_id" = String, Path, description = "`inv_…`"), InvestorHoldingFilter),
    security(("bearer" = [])),
    description = "Every current position of the investor, by security. An investor the TA has never recorded in this organization (no issuance, transfer or \
corporate action) answers 404; one who held shares and no longer does answers an empty list.",
    responses(
        (status = 200, description = "The investor's holdings", body = InvestorHoldings),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No record of this investor in the organization", body = ErrorBody),
    ))]
pub async fn investor_holdings(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(investor_id): ApiPath<String>,
    ApiQuery(filter): ApiQuery<InvestorHoldingFilter>,
) -> ApiResult<ApiJson<InvestorHoldings>> {
    let investor = InvestorId::parse_or_404(&investor_id, "investor")?;
    let security = filter_id::<AssetId>("asset_id", filter.asset_id.as_deref())?;
    let (org, today) = (caller.org_id.as_str(), state.clock.today());
    let holdings = holdings::of_investor(state.pool(), org, today, investor, security).await?;
    Ok(ApiJson(InvestorHoldings {
        investor_id: investor,
        holdings,
    }))
}
