//! `GET /v1/shareholders/{asset_id}`: the registry, now or as of a past date.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;

use super::Readers;
use crate::AppState;
use crate::service::registry;
use crate::views::RegistryView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// `YYYY-MM-DD`, today or earlier: the registry at the end of that day (UTC).
    pub as_of: Option<Date>,
}

/// The security's shareholders.
#[utoipa::path(get, path = "/v1/shareholders/{asset_id}", tag = "shareholders",
    params(("asset_id" = String, Path, description = "`ast_…`"), RegistryQuery),
    security(("bearer" = [])),
    description = "The holders of record and their whole shares, by investor id. With `as_of` the journal is replayed up to the end of that day \
in effective-date order (entries take effect on the UTC date they were recorded, a back-dated issuance on its `acquired_at`); a date after today is refused (400). A security merged away shows no holders after the merger.",
    responses(
        (status = 200, description = "The registry", body = RegistryView),
        (status = 400, description = "Invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn registry(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(asset_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> ApiResult<ApiJson<RegistryView>> {
    let id = AssetId::parse_or_404(&asset_id, "security")?;
    let (org, today) = (caller.org_id.as_str(), state.clock.today());
    let view = registry::registry(state.pool(), org, today, id, q.as_of).await?;
    Ok(ApiJson(view))
}
