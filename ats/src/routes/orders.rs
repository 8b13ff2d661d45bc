use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::{AssetId, InvestorId, OrderId};
use platform::{Anyone, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;
use vocab::OrderStatus;

use super::Trader;
use crate::AppState;
use crate::orders;
use crate::placement::NewOrderRequest;
use crate::store::orders::OrderFilter;
use crate::views::OrderView;

/// Places an order.
#[utoipa::path(post, path = "/v1/orders", tag = "orders",
    request_body = NewOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer")),
    security(("bearer" = [])),
    description = "Roles trader, admin. The order is recorded (`pending_compliance`), checked \
by the BD (pre-trade, with the ATS's service token), and for a sell the seller's \
`transferable_quantity` at the TA, less what their working sell orders in the asset offer and \
what they sold in trades whose settlement is still pending, must cover it; then it is matched (price-time priority, at the resting order's price; \
an investor's order never trades with the same investor's resting order: that one is cancelled) \
and the answer is the order as it stands after matching.\n\n\
- `market` orders never rest: what finds no liquidity is cancelled (`cancel_reason` \
`no_liquidity`). `ioc` cancels what does not fill at once; `fok` fills entirely at once or \
not at all. `stop`/`stop_limit` are held off the book until a trade reaches `stop_price` \
(at once if the last trade already has), then enter as market/limit. `day` orders expire at \
the end of the trading day (`expires_at`; `ATS_TRADING_*`).\n\
- 422 `COMPLIANCE_REJECTED`: the BD refused; `details`: `order_id` (the rejected order, kept), \
`investor_id`, `check` (the first failing check), `reasons`, `expires_at` when the check has \
one, `order`.\n\
- 422 `INSUFFICIENT_HOLDINGS`: `details.available` (transferable less open sells and \
unsettled sales), `transferable`, `committed_to_open_sells`, `sold_unsettled`, `requested`, \
`order_id`, `order`.\n\
- 502 `DOWNSTREAM_UNAVAILABLE`: the BD (or the TA for a sell) could not answer; the order is \
kept `rejected` (`compliance_unavailable`, `holdings_unavailable`) and nothing reached the \
book: retry with backoff.",
    responses(
        (status = 201, description = "The order after matching", body = OrderView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a trader or admin", body = ErrorBody),
        (status = 404, description = "The asset is not listed in this organization", body = ErrorBody),
        (status = 409, description = "Trading disabled, or `client_order_id` reused", body = ErrorBody),
        (status = 422, description = "`COMPLIANCE_REJECTED` or `INSUFFICIENT_HOLDINGS`", body = ErrorBody),
        (status = 502, description = "The BD or TA could not answer; the order was rejected", body = ErrorBody),
    ))]
pub async fn place_order(
    caller: Authorized<Trader>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewOrderRequest>,
) -> ApiResult<(StatusCode, ApiJson<OrderView>)> {
    body.validate()?;
    let order = state
        .batcher
        .place(&caller.org_id, &caller.subject, body)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(order)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub status: Option<OrderStatus>,
    /// `ast_…`
    pub asset_id: Option<AssetId>,
    /// `inv_…`
    pub investor_id: Option<InvestorId>,
}

/// The organization's orders, newest first.
#[utoipa::path(get, path = "/v1/orders", tag = "orders",
    params(ListParams, OrderQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders, newest first", body = Page<OrderView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_orders(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<ApiJson<Page<OrderView>>> {
    let filter = OrderFilter {
        status: q.status,
        asset_id: q.asset_id,
        investor_id: q.investor_id,
    };
    Ok(ApiJson(
        orders::list(&state, &caller.org_id, &filter, &page).await?,
    ))
}

/// One order.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "`ord_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such order in this organization", body = ErrorBody),
    ))]
pub async fn get_order(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<OrderView>> {
    let id = OrderId::parse_or_404(&id, "order")?;
    Ok(ApiJson(orders::get(&state, &caller.org_id, id).await?))
}

/// Cancels what is left of an order.
#[utoipa::path(delete, path = "/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "`ord_…`")),
    security(("bearer" = [])),
    description = "Roles trader, admin. Answers the order, `cancelled` with `cancel_reason` \
`requested` (its fills stay). 409 `INVALID_STATE` when nothing is left to cancel (filled, \
cancelled, rejected) or while the order is still being checked.",
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a trader or admin", body = ErrorBody),
        (status = 404, description = "No such order in this organization", body = ErrorBody),
        (status = 409, description = "Nothing left to cancel", body = ErrorBody),
    ))]
pub async fn cancel_order(
    caller: Authorized<Trader>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<OrderView>> {
    let id = OrderId::parse_or_404(&id, "order")?;
    Ok(ApiJson(orders::cancel(&state, &caller.org_id, id).await?))
}
