use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::{AssetId, InvestorId, OrderId, SettlementId, TradeId};
use platform::{Anyone, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use vocab::SettlementStatus;

use crate::AppState;
use crate::market;
use crate::store::trades::{SettlementFilter, TradeFilter};
use crate::views::{SettlementView, TradeView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TradeQuery {
    /// `ast_…`
    pub asset_id: Option<AssetId>,
    /// `inv_…`: trades where the investor bought or sold.
    pub investor_id: Option<InvestorId>,
    /// `ord_…`: the order's fills.
    pub order_id: Option<OrderId>,
}

/// The organization's trades, newest first.
#[utoipa::path(get, path = "/v1/trades", tag = "trades",
    params(ListParams, TradeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of trades, newest first", body = Page<TradeView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_trades(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(q): ApiQuery<TradeQuery>,
) -> ApiResult<ApiJson<Page<TradeView>>> {
    let filter = TradeFilter {
        asset_id: q.asset_id,
        investor_id: q.investor_id,
        order_id: q.order_id,
    };
    Ok(ApiJson(
        market::trades(&state, &caller.org_id, &filter, &page).await?,
    ))
}

/// One trade.
#[utoipa::path(get, path = "/v1/trades/{id}", tag = "trades",
    params(("id" = String, Path, description = "`trd_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The trade", body = TradeView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such trade in this organization", body = ErrorBody),
    ))]
pub async fn get_trade(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<TradeView>> {
    let id = TradeId::parse_or_404(&id, "trade")?;
    Ok(ApiJson(market::trade(&state, &caller.org_id, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SettlementQuery {
    pub status: Option<SettlementStatus>,
    /// `trd_…`
    pub trade_id: Option<TradeId>,
}

/// The organization's settlements, newest first.
#[utoipa::path(get, path = "/v1/settlements", tag = "settlements",
    params(ListParams, SettlementQuery),
    security(("bearer" = [])),
    description = "One settlement per trade, `pending` from the moment the trade is made. Its \
steps (MPC signature, chain record, BD approval, TA transfer, token mint/burn) are the \
settlement work's, which is not running yet: settlements stay `pending`.",
    responses(
        (status = 200, description = "A page of settlements, newest first", body = Page<SettlementView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_settlements(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(q): ApiQuery<SettlementQuery>,
) -> ApiResult<ApiJson<Page<SettlementView>>> {
    let filter = SettlementFilter {
        status: q.status,
        trade_id: q.trade_id,
    };
    Ok(ApiJson(
        market::settlements(&state, &caller.org_id, &filter, &page).await?,
    ))
}

/// One settlement.
#[utoipa::path(get, path = "/v1/settlements/{id}", tag = "settlements",
    params(("id" = String, Path, description = "`stl_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settlement", body = SettlementView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such settlement in this organization", body = ErrorBody),
    ))]
pub async fn get_settlement(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<SettlementView>> {
    let id = SettlementId::parse_or_404(&id, "settlement")?;
    Ok(ApiJson(
        market::settlement(&state, &caller.org_id, id).await?,
    ))
}
