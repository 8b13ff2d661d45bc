use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiJson, ApiQuery, ApiResult, ListParams, Page};

/// Lists the caller's organization's holdings.
#[utoipa::path(get, path = "/v1/holdings", tag = "holdings",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of holdings", body = Object),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization or role", body = ErrorBody),
    ))]
pub async fn list_holdings(
    _caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<Page<serde_json::Value>>> {
    params.limit()?;
    params.after()?;
    Ok(ApiJson(Page::empty()))
}
