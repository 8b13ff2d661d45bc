//! `POST /v1/securities`, `GET /v1/securities`, `GET /v1/securities/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Admin, Readers};
use crate::AppState;
use crate::service::securities::{self, CreateSecurity};
use crate::store::securities::ListFilter;
use crate::views::SecurityView;

/// Registers a security.
#[utoipa::path(post, path = "/v1/securities", tag = "securities",
    request_body = CreateSecurity,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. The symbol is unique in the organization (409 CONFLICT otherwise). \
The terms (regulation, holding period, lock-up, right of first refusal) are fixed once registered: the journal is replayed under them.",
    responses(
        (status = 201, description = "The security", body = SecurityView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 409, description = "Symbol taken, or Idempotency-Key reused", body = ErrorBody),
    ))]
pub async fn create_security(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateSecurity>,
) -> ApiResult<(StatusCode, ApiJson<SecurityView>)> {
    let row = securities::create(state.pool(), &caller, &body).await?;
    Ok((StatusCode::CREATED, ApiJson(SecurityView::from_row(&row)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecurityFilter {
    /// Exact symbol (case-insensitive).
    pub symbol: Option<String>,
    pub regulation: Option<String>,
    pub security_class: Option<String>,
    /// Exact issuer name.
    pub issuer: Option<String>,
}

/// Lists the organization's securities, oldest first.
#[utoipa::path(get, path = "/v1/securities", tag = "securities",
    params(ListParams, SecurityFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of securities", body = Page<SecurityView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_securities(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SecurityFilter>,
) -> ApiResult<ApiJson<Page<SecurityView>>> {
    let limit = params.limit()?;
    let after = params.after_as(AssetId::parse)?;
    let symbol = filter.symbol.map(|s| s.trim().to_ascii_uppercase());
    let filter = ListFilter {
        symbol: symbol.as_deref(),
        regulation: filter.regulation.as_deref(),
        security_class: filter.security_class.as_deref(),
        issuer: filter.issuer.as_deref(),
    };
    let rows = securities::list(state.pool(), &caller.org_id, &filter, after, limit + 1).await?;
    let views = rows
        .iter()
        .map(SecurityView::from_row)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Page::from_rows(views, limit, |v| v.id.to_string())))
}

/// One security, with its totals.
#[utoipa::path(get, path = "/v1/securities/{id}", tag = "securities",
    params(("id" = String, Path, description = "`ast_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The security", body = SecurityView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn get_security(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<SecurityView>> {
    let id = AssetId::parse_or_404(&id, "security")?;
    let row = securities::get(state.pool(), &caller.org_id, id).await?;
    Ok(ApiJson(SecurityView::from_row(&row)?))
}
