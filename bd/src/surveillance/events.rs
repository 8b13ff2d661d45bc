//! The ATS's events (`POST /v1/events`, `POST /v1/compliance/post-trade`): each applied once
//! per organization and event id. Order events move the BD's view of the order; a trade is
//! recorded and surveilled.

use compliance::cat::{CancelReason, eastern};
use compliance::surveillance::{SurveillanceContext, surveil};
use iam_sdk::Caller;
use platform::bounds::{check_price, check_quantity};
use platform::db::TenantTx;
use platform::extract::parse_json;
use platform::ids::{AlertId, AssetId, EventId, InvestorId, OrderId, SettlementId, TradeId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use vocab::{EventType, OrderType, Side, TimeInForce};

use super::alerts::AlertView;
use crate::AppState;
use crate::store::alerts::{self, NewAlert};
use crate::store::events::{self as store, NewEvent, NewTrade};
use crate::store::orders::{self, OrderFacts};
use crate::wire::EventTypeSchema;

/// The order, as `GET /v1/orders/{id}` answers it, plus its `symbol` and, when it ended
/// unfilled, its `cancel_reason`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrderData {
    pub id: OrderId,
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: Side,
    pub order_type: OrderType,
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    pub quantity: Decimal,
    #[serde(default)]
    pub filled_quantity: Option<Decimal>,
    #[serde(default)]
    pub remaining_quantity: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    #[serde(default)]
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
    pub cancel_reason: Option<CancelReason>,
}

/// The trade, as `GET /v1/trades` answers it, plus its `symbol`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TradeData {
    pub id: TradeId,
    pub asset_id: AssetId,
    pub price: Decimal,
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
    #[schema(value_type = EventTypeSchema)]
    pub event_type: EventType,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Must be the organization the service token acts for (`X-IAM-Org`).
    pub organization_id: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// An event as delivered: the envelope, the document as sent (kept for CAT and audit) and its
/// bytes (its `data` is read again as the type the envelope names).
pub struct Delivered {
    pub envelope: EventEnvelope,
    pub payload: Value,
    pub body: bytes::Bytes,
}

#[derive(Debug, Deserialize)]
struct Typed<T> {
    data: T,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventAnswer {
    pub event_id: EventId,
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeSchema)]
    pub event_type: EventType,
    /// True when the event was applied before: nothing was done this time.
    pub duplicate: bool,
    /// The surveillance alerts the trade raised (trade.executed only).
    pub alerts: Vec<AlertView>,
}

/// The order's status in the BD's view after the event.
fn order_status(event: EventType) -> &'static str {
    match event {
        EventType::OrderAccepted | EventType::TradeExecuted => "open",
        EventType::OrderRejected => "rejected",
        EventType::OrderCancelled => "cancelled",
        EventType::OrderExpired => "expired",
    }
}

/// Applies an event once; a replay of an id already seen answers `duplicate` and does nothing.
pub async fn consume(
    state: &AppState,
    caller: &Caller,
    event: Delivered,
) -> ApiResult<EventAnswer> {
    let Delivered {
        envelope: head,
        payload,
        body,
    } = event;
    if head.organization_id != caller.org_id {
        return Err(ApiError::forbidden(
            "organization_id differs from the organization the caller acts for (X-IAM-Org)",
        )
        .with_detail("organization_id", &head.organization_id));
    }
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let (duplicate, alerts) = if head.event_type == EventType::TradeExecuted {
        let Typed::<TradeData> { data: t } = parse_json(&body)?;
        check_quantity("data.quantity", t.quantity)?;
        check_price("data.price", t.price)?;
        let new = NewEvent {
            id: head.id,
            event_type: head.event_type,
            created_at: head.created_at,
            received_at: now,
            asset_id: t.asset_id,
            order_id: None,
            trade_id: Some(t.id),
            report_date: eastern::eastern_date(t.executed_at),
            payload: &payload,
        };
        if store::claim(&mut tx, &new).await? {
            (false, apply_trade(state, &mut tx, head.id, &t, now).await?)
        } else {
            (true, Vec::new())
        }
    } else {
        let Typed::<OrderData> { data: o } = parse_json(&body)?;
        (
            !apply_order(&mut tx, &head, &o, &payload, now).await?,
            Vec::new(),
        )
    };
    tx.commit().await?;
    if duplicate {
        tracing::info!(event_id = %head.id, "event already applied; ignored");
    }
    Ok(EventAnswer {
        event_id: head.id,
        event_type: head.event_type,
        duplicate,
        alerts,
    })
}

/// Records an order event and moves the order; `false` when the event was applied before.
async fn apply_order(
    tx: &mut TenantTx,
    head: &EventEnvelope,
    o: &OrderData,
    payload: &Value,
    now: OffsetDateTime,
) -> ApiResult<bool> {
    check_quantity("data.quantity", o.quantity)?;
    for (field, price) in [("data.price", o.price), ("data.stop_price", o.stop_price)] {
        if let Some(p) = price {
            check_price(field, p)?;
        }
    }
    // MENO is filed under the day the order was received; the others under their own.
    let at = if head.event_type == EventType::OrderAccepted {
        o.created_at
    } else {
        o.updated_at.unwrap_or(head.created_at)
    };
    let new = NewEvent {
        id: head.id,
        event_type: head.event_type,
        created_at: head.created_at,
        received_at: now,
        asset_id: o.asset_id,
        order_id: Some(o.id),
        trade_id: None,
        report_date: eastern::eastern_date(at),
        payload,
    };
    if !store::claim(tx, &new).await? {
        return Ok(false);
    }
    let facts = OrderFacts {
        id: o.id,
        investor_id: o.investor_id,
        asset_id: o.asset_id,
        side: o.side,
        quantity: o.quantity,
        created_at: Some(o.created_at),
    };
    orders::apply_order_event(tx, &facts, order_status(head.event_type), now).await?;
    Ok(true)
}

/// Records the trade and runs the detectors, serialized per asset.
async fn apply_trade(
    state: &AppState,
    tx: &mut TenantTx,
    event_id: EventId,
    t: &TradeData,
    now: OffsetDateTime,
) -> ApiResult<Vec<AlertView>> {
    store::lock_asset(tx, t.asset_id).await?;
    let trade_date = eastern::eastern_date(t.executed_at);
    let new = NewTrade {
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
        settlement_id: t.settlement_id,
    };
    if !store::insert_trade(tx, &new).await? {
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
    let previous = store::previous_trade(tx, t.asset_id, t.id, t.executed_at)
        .await?
        .map(|p| p.executed());
    let day: Vec<_> = store::day_trades(tx, t.asset_id, trade_date)
        .await?
        .iter()
        .map(store::TradeRow::executed)
        .collect();
    let parties = [t.buyer_investor_id, t.seller_investor_id];
    let owners = store::beneficial_owner_keys(tx, &parties).await?;
    let context = SurveillanceContext {
        beneficial_owners: owners,
        day_trades: &day,
        previous_trade: previous.as_ref(),
    };
    let mut out = Vec::new();
    for d in surveil(&executed, &context, &state.config.surveillance) {
        let id = AlertId::new();
        let alert = NewAlert {
            id,
            rule: d.rule,
            severity: d.severity,
            message: &d.message,
            trade_id: t.id,
            asset_id: t.asset_id,
            investor_ids: &d.investor_ids,
            details: &d.details,
            trade_date,
            created_at: now,
        };
        if alerts::insert(tx, &alert).await?
            && let Some(a) = alerts::get(tx, id, false).await?
        {
            out.push(AlertView::new(a, Vec::new()));
        }
    }
    Ok(out)
}
