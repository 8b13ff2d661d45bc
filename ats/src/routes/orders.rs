use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiJson, ApiQuery, ApiResult, ListParams, Page};

/// Lists the caller's organization's orders.
#[utoipa::path(get, path = "/v1/orders", tag = "orders",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders", body = Object),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization or role", body = ErrorBody),
    ))]
pub async fn list_orders(
    _caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<Page<serde_json::Value>>> {
    params.limit()?;
    params.after()?;
    Ok(ApiJson(Page::empty()))
}
