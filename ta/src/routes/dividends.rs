//! `POST /v1/dividends`, `GET /v1/dividends`, `GET /v1/dividends/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::{AssetId, DividendId};
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Admin, filter_id};
use crate::AppState;
use crate::service::dividends::{self, CreateDividend};
use crate::views::DividendView;

/// Declares a cash dividend.
#[utoipa::path(post, path = "/v1/dividends", tag = "dividends",
    request_body = CreateDividend,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. Entitlements are computed from the registry as it stood at the end of the record date (the journal replayed up to it): \
each holder of record receives quantity × amount per share rounded down to the currency's minor unit, so no more than declared is ever paid; \
the answer gives the totals and the rounding remainder kept back.\n\n\
The record date may be in the past, today or the future (at most five years ahead, not before 1900-01-01); the payment date must not be before it (400 naming `payment_date`) \
nor more than five years after today. The register of a day is final once the day is over (UTC), so:\n\
- a record date before today: the dividend is `entitled` at once, with its entitlements; a security with no shares outstanding at the record date, or merged away by then, answers 409 INVALID_STATE;\n\
- a record date today or later: the dividend is stored `declared`, with `shares_of_record`, the totals, `rounding_remainder` and `entitled_at` null and no entitlements. \
A background job (every `TA_DIVIDEND_INTERVAL_SECS`, default 60) fixes them from the registry as of the record date once that day is over, and sets `entitled`. \
If nobody holds the security at the end of the record date (or it was merged away by then), the dividend becomes `entitled` with zero shares of record, zero totals and no entitlements: nothing is owed. \
A security already merged away cannot declare a dividend (409 INVALID_STATE).",
    responses(
        (status = 201, description = "The dividend: `entitled` with its entitlements, or `declared`", body = DividendView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
        (status = 409, description = "Nothing outstanding at a past record date, security merged away, or Idempotency-Key reused", body = ErrorBody),
    ))]
pub async fn create_dividend(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateDividend>,
) -> ApiResult<(StatusCode, ApiJson<DividendView>)> {
    let d = dividends::declare(state.pool(), &caller, state.clock.now(), &body).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(DividendView::new(&d.row, &d.payments)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DividendFilter {
    /// `ast_…`
    pub asset_id: Option<String>,
}

/// Lists dividends, oldest first, with their status and entitlements.
#[utoipa::path(get, path = "/v1/dividends", tag = "dividends",
    params(ListParams, DividendFilter),
    security(("bearer" = [])),
    description = "Admin only. `status` is `declared` (no figures, no entitlements yet) until the record date is over and the dividend job has fixed the entitlements, then `entitled`.",
    responses(
        (status = 200, description = "A page of dividends", body = Page<DividendView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
    ))]
pub async fn list_dividends(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<DividendFilter>,
) -> ApiResult<ApiJson<Page<DividendView>>> {
    let limit = params.limit()?;
    let after = params.after_as(DividendId::parse)?;
    let security = filter_id::<AssetId>("asset_id", filter.asset_id.as_deref())?;
    let page = dividends::list(state.pool(), &caller.org_id, security, after, limit + 1).await?;
    let views = page
        .iter()
        .map(|d| DividendView::new(&d.row, &d.payments))
        .collect();
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &DividendView| v.id.to_string(),
    )))
}

/// One dividend with its entitlements.
#[utoipa::path(get, path = "/v1/dividends/{id}", tag = "dividends",
    params(("id" = String, Path, description = "`div_…`")),
    security(("bearer" = [])),
    description = "Admin only. `status` is `declared` (no figures, no entitlements yet) until the record date is over and the dividend job has fixed the entitlements, then `entitled`.",
    responses(
        (status = 200, description = "The dividend", body = DividendView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such dividend in the organization", body = ErrorBody),
    ))]
pub async fn get_dividend(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<DividendView>> {
    let id = DividendId::parse_or_404(&id, "dividend")?;
    let d = dividends::get(state.pool(), &caller.org_id, id).await?;
    Ok(ApiJson(DividendView::new(&d.row, &d.payments)))
}
