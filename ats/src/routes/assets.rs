use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{Anyone, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use super::Admin;
use crate::AppState;
use crate::market::{self, ListAsset};
use crate::views::{AssetView, BookView};

/// Lists a TA security for trading, or changes a listed one.
#[utoipa::path(post, path = "/v1/assets", tag = "assets",
    request_body = ListAsset,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer")),
    security(("bearer" = [])),
    description = "Role admin. The TA must hold the security (`asset_id`) in the caller's \
organization and it must be active; its symbol, name and regulation are copied (the \
regulation is what the BD's pre-trade check applies). 201 when listed, 200 when the asset was \
already listed: then `tick_size`, `lot_size` and `trading_enabled` given are changed (the grid \
only while no order works on the book: else 409 `INVALID_STATE`). With trading disabled, new \
orders answer 409 `INVALID_STATE`; working orders stay and can be cancelled.",
    responses(
        (status = 201, description = "Listed", body = AssetView),
        (status = 200, description = "Already listed; changed as asked", body = AssetView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such security at the TA in this organization", body = ErrorBody),
        (status = 409, description = "The security is not active, or the grid cannot change now", body = ErrorBody),
        (status = 502, description = "The TA could not be reached", body = ErrorBody),
    ))]
pub async fn list_asset(
    caller: Authorized<Admin>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ListAsset>,
) -> ApiResult<(StatusCode, ApiJson<AssetView>)> {
    let (created, asset) =
        market::list_asset(&state, &caller.org_id, &caller.subject, &body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(asset)))
}

/// The assets listed for trading.
#[utoipa::path(get, path = "/v1/assets", tag = "assets",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of assets, by id", body = Page<AssetView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_assets(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<Page<AssetView>>> {
    Ok(ApiJson(
        market::assets(&state, &caller.org_id, &page).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepthQuery {
    /// Levels a side, 1 to 500 (default 10).
    pub depth: Option<i64>,
}

/// The asset's book: aggregated levels, best first.
#[utoipa::path(get, path = "/v1/assets/{id}/orderbook", tag = "assets",
    params(("id" = String, Path, description = "`ast_…`"), DepthQuery),
    security(("bearer" = [])),
    description = "Resting orders only, aggregated by price (`price`, total `quantity`, number \
of `orders`): bids highest first, asks lowest first. Held stop orders are not on the book until \
a trade triggers them.",
    responses(
        (status = 200, description = "The book", body = BookView),
        (status = 400, description = "Invalid depth", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such asset listed in this organization", body = ErrorBody),
    ))]
pub async fn orderbook(
    caller: Authorized<Anyone>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DepthQuery>,
) -> ApiResult<ApiJson<BookView>> {
    let id = AssetId::parse_or_404(&id, "asset")?;
    let depth = q.depth.unwrap_or(10);
    if !(1..=500).contains(&depth) {
        return Err(platform::ApiError::validation(
            "depth",
            "must be between 1 and 500",
        ));
    }
    Ok(ApiJson(
        market::book(&state, &caller.org_id, id, depth).await?,
    ))
}
