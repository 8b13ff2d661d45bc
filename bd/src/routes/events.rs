//! The ATS's events: `POST /v1/events` (order events) and `POST /v1/compliance/post-trade`
//! (`trade.executed`). Each is applied once per organization and event id.

use axum::extract::State;
use bytes::Bytes;
use compliance::cat::eastern;
use compliance::surveillance::{AlertRule, Severity, SurveillanceContext, surveil};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::INTERNAL;
use super::surveillance::AlertView;
use crate::AppState;
use crate::ids::{AlertId, AssetId, EventId, InvestorId, OrderId, SettlementId, TradeId};
use crate::store::alerts::{self, NewAlert};
use crate::store::events::{self as store, NewEvent, NewTrade, OrderFacts};
use crate::wire::{Side, check_price, check_quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "order.accepted")]
    OrderAccepted,
    #[serde(rename = "order.rejected")]
    OrderRejected,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.expired")]
    OrderExpired,
    #[serde(rename = "trade.executed")]
    TradeExecuted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderAccepted => "order.accepted",
            Self::OrderRejected => "order.rejected",
            Self::OrderCancelled => "order.cancelled",
            Self::OrderExpired => "order.expired",
            Self::TradeExecuted => "trade.executed",
        }
    }

    /// The order's status in the BD's view after the event.
    fn order_status(self) -> &'static str {
        match self {
            Self::OrderAccepted => "open",
            Self::OrderRejected => "rejected",
            Self::OrderCancelled => "cancelled",
            Self::OrderExpired => "expired",
            Self::TradeExecuted => "open",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderTypeName {
    Market,
    Limit,
    Stop,
    StopLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForceName {
    Gtc,
    Day,
    Ioc,
    Fok,
}

/// Why the ATS ended an order without filling it (`order.cancelled`, `order.expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReasonName {
    /// The customer cancelled it (`DELETE /v1/orders/{id}`).
    Requested,
    /// The venue's self-trade prevention cancelled a resting order.
    SelfTrade,
    /// A market order found nothing to match.
    NoLiquidity,
    /// The unfilled remainder of an immediate-or-cancel order.
    ImmediateOrCancel,
    /// A fill-or-kill order that could not be filled entirely.
    FillOrKill,
    /// A day order at the end of the trading day.
    Expired,
}

/// The order, as `GET /v1/orders/{id}` answers it, plus its `symbol` and, when it ended
/// unfilled, its `cancel_reason`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct OrderData {
    pub id: OrderId,
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: Side,
    pub order_type: OrderTypeName,
    #[serde(default)]
    pub time_in_force: Option<TimeInForceName>,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub filled_quantity: Option<Decimal>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub remaining_quantity: Option<Decimal>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub average_fill_price: Option<Decimal>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "platform::time::rfc3339_opt")]
    pub updated_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub symbol: Option<String>,
    /// Why the order ended, on `order.cancelled` and `order.expired`: CAT reports a customer's
    /// cancel (`requested`) and the venue's own cancels, but not what the time in force implies.
    #[serde(default)]
    pub cancel_reason: Option<CancelReasonName>,
}

/// The trade, as `GET /v1/trades` answers it, plus its `symbol`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TradeData {
    pub id: TradeId,
    pub asset_id: AssetId,
    #[schema(value_type = String)]
    pub price: Decimal,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    pub buy_order_id: OrderId,
    pub sell_order_id: OrderId,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    #[serde(with = "platform::time::rfc3339")]
    pub executed_at: OffsetDateTime,
    #[serde(default)]
    pub settlement_id: Option<SettlementId>,
    #[serde(default)]
    pub symbol: Option<String>,
}

/// `{"id": "evt_…", "type", "created_at", "organization_id", "data"}`; `data` is the order
/// (order events) or the trade (`trade.executed`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventEnvelope {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Must be the organization the service token acts for (`X-IAM-Org`).
    pub organization_id: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Deserialize)]
struct Typed<T> {
    data: T,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventAnswer {
    pub event_id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// True when the event was applied before: nothing was done this time.
    pub duplicate: bool,
    /// The surveillance alerts the trade raised (trade.executed only).
    pub alerts: Vec<AlertView>,
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

fn rule_str(r: AlertRule) -> &'static str {
    r.as_str()
}

async fn consume(state: AppState, caller: Caller, body: Bytes) -> ApiResult<ApiJson<EventAnswer>> {
    caller.require_any_role(INTERNAL)?;
    let head: EventEnvelope = parse_json(&body)?;
    if head.organization_id != caller.org_id {
        return Err(ApiError::forbidden(
            "organization_id differs from the organization the caller acts for (X-IAM-Org)",
        )
        .with_detail("organization_id", &head.organization_id));
    }
    let payload: Value = parse_json(&body)?;
    let now = platform::time::now();
    let mut tx = state.pool().begin().await?;
    let mut alerts_out = Vec::new();
    let duplicate = match head.event_type {
        EventType::TradeExecuted => {
            let Typed::<TradeData> { data: t } = parse_json(&body)?;
            check_quantity("data.quantity", t.quantity)?;
            check_price("data.price", t.price)?;
            let trade_date = eastern::eastern_date(t.executed_at);
            let claimed = store::claim(
                &mut tx,
                &NewEvent {
                    org_id: &caller.org_id,
                    id: head.id,
                    event_type: head.event_type.as_str(),
                    created_at: head.created_at,
                    asset_id: t.asset_id,
                    order_id: None,
                    trade_id: Some(t.id),
                    report_date: trade_date,
                    payload: &payload,
                },
            )
            .await?;
            if claimed {
                alerts_out = apply_trade(&state, &mut tx, &caller.org_id, head.id, &t, now).await?;
            }
            !claimed
        }
        kind => {
            let Typed::<OrderData> { data: o } = parse_json(&body)?;
            check_quantity("data.quantity", o.quantity)?;
            for (field, price) in [("data.price", o.price), ("data.stop_price", o.stop_price)] {
                if let Some(p) = price {
                    check_price(field, p)?;
                }
            }
            // MENO is filed under the day the order was received; the others under their own.
            let at = if kind == EventType::OrderAccepted {
                o.created_at
            } else {
                o.updated_at.unwrap_or(head.created_at)
            };
            let claimed = store::claim(
                &mut tx,
                &NewEvent {
                    org_id: &caller.org_id,
                    id: head.id,
                    event_type: kind.as_str(),
                    created_at: head.created_at,
                    asset_id: o.asset_id,
                    order_id: Some(o.id),
                    trade_id: None,
                    report_date: eastern::eastern_date(at),
                    payload: &payload,
                },
            )
            .await?;
            if claimed {
                store::apply_order_event(
                    &mut tx,
                    &OrderFacts {
                        org_id: &caller.org_id,
                        id: o.id,
                        investor_id: o.investor_id,
                        asset_id: o.asset_id,
                        side: o.side.as_str(),
                        quantity: o.quantity,
                        created_at: Some(o.created_at),
                    },
                    kind.order_status(),
                    now,
                )
                .await?;
            }
            !claimed
        }
    };
    tx.commit().await?;
    if duplicate {
        tracing::info!(event_id = %head.id, "event already applied; ignored");
    }
    Ok(ApiJson(EventAnswer {
        event_id: head.id,
        event_type: head.event_type,
        duplicate,
        alerts: alerts_out,
    }))
}

/// Records the trade and runs the detectors, serialized per asset.
async fn apply_trade(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    org_id: &str,
    event_id: EventId,
    t: &TradeData,
    now: OffsetDateTime,
) -> ApiResult<Vec<AlertView>> {
    store::lock_asset(conn, org_id, t.asset_id).await?;
    let trade_date = eastern::eastern_date(t.executed_at);
    let inserted = store::insert_trade(
        conn,
        &NewTrade {
            org_id,
            id: t.id,
            event_id,
            asset_id: t.asset_id,
            symbol: t.symbol.as_deref(),
            price: t.price,
            quantity: t.quantity,
            buy_order_id: t.buy_order_id,
            sell_order_id: t.sell_order_id,
            buyer_investor_id: t.buyer_investor_id,
            seller_investor_id: t.seller_investor_id,
            executed_at: t.executed_at,
            trade_date,
            settlement_id: t.settlement_id.map(SettlementId::uuid),
        },
    )
    .await?;
    if !inserted {
        // The same trade under another event id: its surveillance already ran.
        return Ok(Vec::new());
    }
    let executed = store::TradeRow {
        id: t.id,
        asset_id: t.asset_id,
        price: t.price,
        quantity: t.quantity,
        buyer_investor_id: t.buyer_investor_id,
        seller_investor_id: t.seller_investor_id,
        executed_at: t.executed_at,
    }
    .executed();
    let previous = store::previous_trade(conn, org_id, t.asset_id, t.id, t.executed_at)
        .await?
        .map(|p| p.executed());
    let day: Vec<_> = store::day_trades(conn, org_id, t.asset_id, trade_date)
        .await?
        .iter()
        .map(store::TradeRow::executed)
        .collect();
    let owners =
        store::beneficial_owner_keys(conn, org_id, &[t.buyer_investor_id, t.seller_investor_id])
            .await?;
    let drafts = surveil(
        &executed,
        &SurveillanceContext {
            beneficial_owners: owners,
            day_trades: &day,
            previous_trade: previous.as_ref(),
        },
        &state.config.surveillance,
    );
    let mut out = Vec::new();
    for d in drafts {
        let id = AlertId::new();
        let inserted = alerts::insert(
            conn,
            &NewAlert {
                id,
                org_id,
                rule: rule_str(d.rule),
                severity: severity_str(d.severity),
                message: &d.message,
                trade_id: t.id,
                asset_id: t.asset_id,
                investor_ids: &d.investor_ids,
                details: &d.details,
                trade_date,
                created_at: now,
            },
        )
        .await?;
        if inserted && let Some(a) = alerts::get(conn, org_id, id, false).await? {
            out.push(AlertView::new(a, Vec::new()));
        }
    }
    Ok(out)
}

const EVENTS_DESCRIPTION: &str = "Internal: the platform's services only (a user token is 403). \
`organization_id` must be the organization of `X-IAM-Org` (403 otherwise). Each event is \
applied once per organization: a replay of an id already seen answers 200 with \
`duplicate: true` and changes nothing (at-least-once delivery). A trade already known under \
another event id is recorded as an event but not surveilled again. Order events move the BD's \
view of the order (`accepted` → open; `rejected`, `cancelled`, `expired` are final), which \
releases what an approved buy reserved against an investment limit; every event is kept for \
CAT/OATS reporting. `trade.executed` records the trade (it counts in the buyer's investment \
limits) and runs surveillance: wash trade (same investor on both sides, or a shared beneficial \
owner: an entity's declared owners, an individual with a date of birth itself, matched by \
normalised name and date of birth), concentration (an investor's share of the asset's Eastern \
Time daily volume above `SURVEILLANCE_CONCENTRATION_SHARE`, judged from \
`SURVEILLANCE_CONCENTRATION_MIN_TRADES` trades a day), price deviation from the asset's \
previous trade above `SURVEILLANCE_PRICE_DEVIATION`; the alerts raised are in the answer. Both \
endpoints take any of the five event types.";

/// Order events from the ATS.
#[utoipa::path(post, path = "/v1/events", tag = "events",
    request_body = EventEnvelope,
    security(("bearer" = [])),
    description = EVENTS_DESCRIPTION,
    responses(
        (status = 200, description = "Applied, or already applied", body = EventAnswer),
        (status = 400, description = "Malformed event; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service, or organization_id is not X-IAM-Org", body = ErrorBody),
    ))]
pub async fn order_events(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<ApiJson<EventAnswer>> {
    consume(state, caller, body).await
}

/// `trade.executed` from the ATS: feeds surveillance, limits and CAT.
#[utoipa::path(post, path = "/v1/compliance/post-trade", tag = "events",
    request_body = EventEnvelope,
    security(("bearer" = [])),
    description = EVENTS_DESCRIPTION,
    responses(
        (status = 200, description = "Applied, or already applied", body = EventAnswer),
        (status = 400, description = "Malformed event; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service, or organization_id is not X-IAM-Org", body = ErrorBody),
    ))]
pub async fn post_trade(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<ApiJson<EventAnswer>> {
    consume(state, caller, body).await
}
