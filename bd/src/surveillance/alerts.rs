//! Surveillance alerts as the API shows them, and their review: `open` → `reviewed` →
//! `closed`, each move with a note and who made it.

use std::collections::HashMap;

use compliance::surveillance::{AlertRule, Severity};
use iam_sdk::Caller;
use platform::ids::{AlertId, AssetId, InvestorId, TradeId};
use platform::{ApiError, ApiResult, ListParams, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::store::alerts::{self as store, AlertRow, TransitionRow};
use crate::wire::AlertStatus;

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
    #[schema(value_type = String)]
    pub rule: AlertRule,
    /// `low`, `medium`, `high`.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// `open` → `reviewed` → `closed`.
    #[schema(value_type = String)]
    pub status: AlertStatus,
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

/// The filters of `GET /v1/surveillance/alerts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    #[param(inline)]
    pub status: Option<AlertStatus>,
    #[param(inline)]
    pub rule: Option<AlertRule>,
    #[param(value_type = Option<String>)]
    pub asset_id: Option<AssetId>,
    /// Alerts concerning this investor (either side of the trade).
    #[param(value_type = Option<String>)]
    pub investor_id: Option<InvestorId>,
    /// The Eastern Time trading day of the trade (`YYYY-MM-DD`).
    pub date: Option<Date>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Why: what was looked at and concluded. 1 to 2000 characters.
    pub note: String,
}

/// A page of the organization's alerts, newest first, with their histories.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    page: &ListParams,
    filter: &AlertFilter,
) -> ApiResult<Page<AlertView>> {
    let limit = page.limit()?;
    let before = page.after_as(AlertId::parse)?;
    let investor = filter.investor_id.map(|i| i.to_string());
    let mut tx = state.begin(&caller.org_id).await?;
    let rows = store::list(
        &mut tx,
        &store::AlertFilter {
            before,
            status: filter.status,
            rule: filter.rule,
            asset_id: filter.asset_id,
            investor_id: investor.as_deref(),
            date: filter.date,
            limit: limit + 1,
        },
    )
    .await?;
    let ids: Vec<AlertId> = rows.iter().map(|r| r.id).collect();
    let mut history: HashMap<AlertId, Vec<TransitionRow>> = HashMap::new();
    for t in store::transitions(&mut tx, &ids).await? {
        history.entry(t.alert_id).or_default().push(t);
    }
    tx.commit().await?;
    let views: Vec<AlertView> = rows
        .into_iter()
        .map(|a| {
            let h = history.remove(&a.id).unwrap_or_default();
            AlertView::new(a, h)
        })
        .collect();
    Ok(Page::from_rows(views, limit, |v| v.id.to_string()))
}

/// One alert with its history.
pub async fn get(state: &AppState, caller: &Caller, id: AlertId) -> ApiResult<AlertView> {
    let mut tx = state.begin(&caller.org_id).await?;
    let a = store::get(&mut tx, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    let h = store::transitions(&mut tx, &[id]).await?;
    tx.commit().await?;
    Ok(AlertView::new(a, h))
}

/// Moves an alert `from` → `to` with the caller's note; any other current status is 409.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: AlertId,
    body: &TransitionRequest,
    (from, to): (AlertStatus, AlertStatus),
) -> ApiResult<AlertView> {
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(ApiError::validation("note", "1 to 2000 characters"));
    }
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let a = store::get(&mut tx, id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    if a.status != from {
        return Err(ApiError::invalid_state(format!(
            "the alert is {}; only an alert that is {from} can become {to}",
            a.status
        ))
        .with_detail("status", a.status)
        .with_detail("allowed_from", from));
    }
    let t = store::Transition {
        id,
        from,
        to,
        note,
        actor: &caller.subject,
        actor_name: &caller.name,
        at: now,
    };
    store::transition(&mut tx, &t).await?;
    let a = store::get(&mut tx, id, false)
        .await?
        .ok_or_else(|| ApiError::not_found("alert", id))?;
    let h = store::transitions(&mut tx, &[id]).await?;
    tx.commit().await?;
    Ok(AlertView::new(a, h))
}
