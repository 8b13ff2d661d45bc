//! Surveillance alerts: `GET /v1/surveillance/alerts`, `GET /v1/surveillance/alerts/{id}`,
//! `POST /v1/surveillance/alerts/{id}/review`, `POST /v1/surveillance/alerts/{id}/close`.

use std::collections::HashMap;

use axum::extract::State;
use bytes::Bytes;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::MANAGERS;
use crate::AppState;
use crate::ids::{AlertId, AssetId, InvestorId, TradeId};
use crate::store::alerts::{self as store, AlertRow, TransitionRow};
use crate::wire::Paging;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Open,
    Reviewed,
    Closed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Reviewed => "reviewed",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertRuleName {
    WashTrade,
    Concentration,
    PriceDeviation,
}

impl AlertRuleName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WashTrade => "wash_trade",
            Self::Concentration => "concentration",
            Self::PriceDeviation => "price_deviation",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionView {
    pub from: String,
    pub to: String,
    pub note: String,
    /// Who did it: the user's name from the token.
    pub by: String,
    /// The user's stable id (`sub`).
    pub by_id: String,
    #[serde(with = "platform::time::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    pub id: AlertId,
    /// `wash_trade`, `concentration`, `price_deviation`.
    pub rule: String,
    /// `low`, `medium`, `high`.
    pub severity: String,
    /// `open` → `reviewed` → `closed`.
    pub status: String,
    pub message: String,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub investor_ids: Vec<String>,
    /// The detector's facts (amounts as decimal strings).
    #[schema(value_type = Object)]
    pub details: Value,
    /// The Eastern Time trading day of the trade.
    pub trade_date: Date,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Every transition, oldest first, with its note and who made it.
    pub history: Vec<TransitionView>,
}

impl AlertView {
    pub fn new(a: AlertRow, history: Vec<TransitionRow>) -> Self {
        Self {
            id: a.id,
            rule: a.rule,
            severity: a.severity,
            status: a.status,
            message: a.message,
            trade_id: a.trade_id,
            asset_id: a.asset_id,
            investor_ids: a.investor_ids,
            details: a.details,
            trade_date: a.trade_date,
            created_at: a.created_at,
            updated_at: a.updated_at,
            history: history
                .into_iter()
                .map(|t| TransitionView {
                    from: t.from_status,
                    to: t.to_status,
                    note: t.note,
                    by: t.actor_name,
                    by_id: t.actor,
                    at: t.at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(inline)]
    pub status: Option<AlertStatus>,
    #[param(inline)]
    pub rule: Option<AlertRuleName>,
    #[param(value_type = Option<String>)]
    pub asset_id: Option<AssetId>,
    /// Alerts concerning this investor (either side of the trade).
    #[param(value_type = Option<String>)]
    pub investor_id: Option<InvestorId>,
    /// The Eastern Time trading day of the trade (`YYYY-MM-DD`).
    pub date: Option<Date>,
}

/// Lists surveillance alerts, newest first.
#[utoipa::path(get, path = "/v1/surveillance/alerts", tag = "surveillance",
    params(AlertQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance. Filters combine with AND.",
    responses(
        (status = 200, description = "A page of alerts (`data`, `next_cursor`)", body = inline(Page<AlertView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<ApiJson<Page<AlertView>>> {
    caller.require_any_role(MANAGERS)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let before = paging.after(AlertId::parse)?;
    let investor = q.investor_id.map(|i| i.to_string());
    let rows = store::list(
        state.pool(),
        &caller.org_id,
        &store::AlertFilter {
            before,
            status: q.status.map(AlertStatus::as_str),
            rule: q.rule.map(AlertRuleName::as_str),
            asset_id: q.asset_id,
            investor_id: investor.as_deref(),
            date: q.date,
            limit: limit + 1,
        },
    )
    .await?;
    let ids: Vec<AlertId> = rows.iter().map(|r| r.id).collect();
    let mut conn = state.pool().acquire().await?;
    let mut history: HashMap<AlertId, Vec<TransitionRow>> = HashMap::new();
    for t in store::transitions(&mut conn, &ids).await? {
        history.entry(t.alert_id).or_default().push(t);
    }
    let views: Vec<AlertView> = rows
        .into_iter()
        .map(|a| {
            let h = history.remove(&a.id).unwrap_or_default();
            AlertView::new(a, h)
        })
        .collect();
    Ok(ApiJson(Page::from_rows(views, limit, |v| v.id.to_string())))
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<AlertView>> {
    caller.require_any_role(MANAGERS)?;
    let id = AlertId::parse_or_404(&id, "alert")?;
    let mut conn = state.pool().acquire().await?;
    let a = store::get(&mut conn, &caller.org_id, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    let h = store::transitions(&mut conn, &[id]).await?;
    Ok(ApiJson(AlertView::new(a, h)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Why: what was looked at and concluded. 1 to 2000 characters.
    pub note: String,
}

async fn transition(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &Bytes,
    from: AlertStatus,
    to: AlertStatus,
) -> ApiResult<ApiJson<AlertView>> {
    caller.require_any_role(MANAGERS)?;
    let id = AlertId::parse_or_404(id, "alert")?;
    let body: TransitionRequest = parse_json(body)?;
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::validation("note", "1 to 2000 characters"));
    }
    let now = platform::time::now();
    let mut tx = state.pool().begin().await?;
    let a = store::get(&mut tx, &caller.org_id, id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    if a.status != from.as_str() {
        return Err(ApiError::invalid_state(format!(
            "the alert is {}; only an alert that is {} can become {}",
            a.status,
            from.as_str(),
            to.as_str()
        ))
        .with_detail("status", &a.status)
        .with_detail("allowed_from", from.as_str()));
    }
    store::transition(
        &mut tx,
        &store::Transition {
            id,
            from: from.as_str(),
            to: to.as_str(),
            note,
            actor: &caller.subject,
            actor_name: &caller.name,
            at: now,
        },
    )
    .await?;
    let a = store::get(&mut tx, &caller.org_id, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    let h = store::transitions(&mut tx, &[id]).await?;
    tx.commit().await?;
    Ok(ApiJson(AlertView::new(a, h)))
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<ApiJson<AlertView>> {
    transition(
        &state,
        &caller,
        &id,
        &body,
        AlertStatus::Open,
        AlertStatus::Reviewed,
    )
    .await
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<ApiJson<AlertView>> {
    transition(
        &state,
        &caller,
        &id,
        &body,
        AlertStatus::Reviewed,
        AlertStatus::Closed,
    )
    .await
}
