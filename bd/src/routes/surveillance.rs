//! Surveillance alerts: `GET /v1/surveillance/alerts`, `GET /v1/surveillance/alerts/{id}`,
//! `POST /v1/surveillance/alerts/{id}/review`, `POST /v1/surveillance/alerts/{id}/close`.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::AlertId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};

use crate::AppState;
use crate::roles::Managers;
use crate::surveillance::alerts::{self, AlertFilter, AlertView, TransitionRequest};
use crate::wire::AlertStatus;

/// Lists surveillance alerts, newest first.
#[utoipa::path(get, path = "/v1/surveillance/alerts", tag = "surveillance",
    params(ListParams, AlertFilter),
    security(("bearer" = [])),
    description = "Roles admin, compliance. Filters combine with AND.",
    responses(
        (status = 200, description = "A page of alerts (`data`, `next_cursor`)", body = inline(Page<AlertView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn list_alerts(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<AlertFilter>,
) -> ApiResult<ApiJson<Page<AlertView>>> {
    Ok(ApiJson(
        alerts::list(&state, &caller, &page, &filter).await?,
    ))
}

/// One alert with its history.
#[utoipa::path(get, path = "/v1/surveillance/alerts/{id}", tag = "surveillance",
    params(("id" = String, Path, description = "`alr_…`")),
    security(("bearer" = [])),
    description = "Roles admin, compliance.",
    responses(
        (status = 200, description = "The alert", body = AlertView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such alert in the organization", body = ErrorBody),
    ))]
pub async fn get_alert(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<AlertView>> {
    let id = AlertId::parse_or_404(&id, "alert")?;
    Ok(ApiJson(alerts::get(&state, &caller, id).await?))
}

/// Marks an open alert reviewed.
#[utoipa::path(post, path = "/v1/surveillance/alerts/{id}/review", tag = "surveillance",
    params(("id" = String, Path, description = "`alr_…`")),
    request_body = TransitionRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. `open` → `reviewed`, with a required note; who did \
it comes from the token. Any other current status is 409 `INVALID_STATE`.",
    responses(
        (status = 200, description = "The alert", body = AlertView),
        (status = 400, description = "Missing or empty note", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such alert in the organization", body = ErrorBody),
        (status = 409, description = "The alert is not open", body = ErrorBody),
    ))]
pub async fn review_alert(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<ApiJson<AlertView>> {
    let id = AlertId::parse_or_404(&id, "alert")?;
    let moves = (AlertStatus::Open, AlertStatus::Reviewed);
    Ok(ApiJson(
        alerts::transition(&state, &caller, id, &body, moves).await?,
    ))
}

/// Closes a reviewed alert.
#[utoipa::path(post, path = "/v1/surveillance/alerts/{id}/close", tag = "surveillance",
    params(("id" = String, Path, description = "`alr_…`")),
    request_body = TransitionRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. `reviewed` → `closed`, with a required note; an open \
alert must be reviewed first. Any other current status is 409 `INVALID_STATE`.",
    responses(
        (status = 200, description = "The alert", body = AlertView),
        (status = 400, description = "Missing or empty note", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such alert in the organization", body = ErrorBody),
        (status = 409, description = "The alert is not reviewed", body = ErrorBody),
    ))]
pub async fn close_alert(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<ApiJson<AlertView>> {
    let id = AlertId::parse_or_404(&id, "alert")?;
    let moves = (AlertStatus::Reviewed, AlertStatus::Closed);
    Ok(ApiJson(
        alerts::transition(&state, &caller, id, &body, moves).await?,
    ))
}
