//! The ATS's events (`POST /v1/events`, `POST /v1/compliance/post-trade` and their batch form,
//! `POST /v1/events/batch`): each applied once per organization and event id. Order events move
//! the BD's view of the order; a trade is recorded and surveilled ([`super::trades`]).
//!
//! One path applies every event: [`apply_all`] takes checked events in order, in one
//! transaction, each with exactly the effect it has delivered alone at that point of the
//! sequence; a single endpoint is a batch of one. The events are claimed (recorded, which is
//! the deduplication) with one statement per 12 KiB of payloads, the orders moved with one
//! statement per 48 orders, the trades recorded and surveilled together ([`super::trades`]).

use std::collections::{BTreeMap, HashSet};

use compliance::cat::{CancelReason, eastern};
use iam_sdk::Caller;
use platform::bounds::{check_price, check_quantity};
use platform::extract::parse_json;
use platform::ids::{AssetId, EventId, InvestorId, OrderId, SettlementId, TradeId};
use platform::{ApiError, ApiResult, ErrorCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use vocab::{EventType, OrderType, Side, TimeInForce};

use super::alerts::AlertView;
use crate::AppState;
use crate::store::events::{self as store, NewEvent};
use crate::store::orders::{self, OrderUpdate, TERMINAL};
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

/// An event's `data`, read as the type its envelope names.
pub enum EventData {
    Order(OrderData),
    Trade(TradeData),
}

/// An event checked and ready to apply: its envelope, the document as sent, its data.
pub struct Checked {
    pub envelope: EventEnvelope,
    pub payload: Value,
    pub data: EventData,
}

/// Checks a delivered event as both endpoints and the batch do: `organization_id` must be the
/// caller's organization (403), `data` the type the envelope names, its traded quantity and
/// prices within bounds (400). Fields are named after `prefix` (`events[3].` for an entry of a
/// batch, nothing for an event alone).
pub fn check(caller: &Caller, event: Delivered, prefix: &str) -> ApiResult<Checked> {
    let Delivered {
        envelope,
        payload,
        body,
    } = event;
    if envelope.organization_id != caller.org_id {
        let message = format!(
            "{prefix}organization_id differs from the organization the caller acts for \
             (X-IAM-Org)"
        );
        let refusal = if prefix.is_empty() {
            ApiError::forbidden(message)
        } else {
            ApiError::forbidden(message).with_detail("field", format!("{prefix}organization_id"))
        };
        return Err(refusal.with_detail("organization_id", &envelope.organization_id));
    }
    let data = read_data(envelope.event_type, &body).map_err(|e| within(e, prefix))?;
    Ok(Checked {
        envelope,
        payload,
        data,
    })
}

/// `data` read again from the document as the type `event` names, and its bounds.
fn read_data(event: EventType, body: &[u8]) -> ApiResult<EventData> {
    if event == EventType::TradeExecuted {
        let Typed::<TradeData> { data: t } = parse_json(body)?;
        check_quantity("data.quantity", t.quantity)?;
        check_price("data.price", t.price)?;
        return Ok(EventData::Trade(t));
    }
    let Typed::<OrderData> { data: o } = parse_json(body)?;
    check_quantity("data.quantity", o.quantity)?;
    for (field, price) in [("data.price", o.price), ("data.stop_price", o.stop_price)] {
        if let Some(p) = price {
            check_price(field, p)?;
        }
    }
    Ok(EventData::Order(o))
}

/// A refusal of invalid fields with each field named after `prefix` (an entry of a batch).
pub(crate) fn within(e: ApiError, prefix: &str) -> ApiError {
    if prefix.is_empty() || e.code != ErrorCode::ValidationError {
        return e;
    }
    let Some(Value::Object(fields)) = e.details.get("fields") else {
        return e;
    };
    ApiError::validation_fields(
        fields
            .iter()
            .map(|(field, message)| {
                let message = message
                    .as_str()
                    .map_or_else(|| message.to_string(), str::to_owned);
                (format!("{prefix}{field}"), message)
            })
            .collect(),
    )
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

/// Applies one event; a replay of an id already seen answers `duplicate` and does nothing.
pub async fn consume(
    state: &AppState,
    caller: &Caller,
    event: Delivered,
) -> ApiResult<EventAnswer> {
    let checked = check(caller, event, "")?;
    apply_all(state, caller, std::slice::from_ref(&checked))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an event alone answered nothing")))
}

/// What recording the event stores: the day CAT files it under is the trade's, an accepted
/// order's receipt, or another order event's own time.
fn new_event(e: &Checked, received_at: OffsetDateTime) -> NewEvent<'_> {
    let head = &e.envelope;
    let (asset_id, order_id, trade_id, at) = match &e.data {
        EventData::Trade(t) => (t.asset_id, None, Some(t.id), t.executed_at),
        // MENO is filed under the day the order was received; the others under their own.
        EventData::Order(o) if head.event_type == EventType::OrderAccepted => {
            (o.asset_id, Some(o.id), None, o.created_at)
        }
        EventData::Order(o) => (
            o.asset_id,
            Some(o.id),
            None,
            o.updated_at.unwrap_or(head.created_at),
        ),
    };
    NewEvent {
        id: head.id,
        event_type: head.event_type,
        created_at: head.created_at,
        received_at,
        asset_id,
        order_id,
        trade_id,
        report_date: eastern::eastern_date(at),
        payload: &e.payload,
    }
}

/// Applies `events` in order, in one transaction; one answer each, in the same order (see the
/// module). An event whose id the organization has seen, before this call or earlier in it, is
/// `duplicate` and does nothing.
pub async fn apply_all(
    state: &AppState,
    caller: &Caller,
    events: &[Checked],
) -> ApiResult<Vec<EventAnswer>> {
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    // The assets whose trades the call may record, locked first and in one order, so calls
    // sharing assets wait for each other instead of deadlocking.
    let mut assets: Vec<AssetId> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Trade(t) => Some(t.asset_id),
            EventData::Order(_) => None,
        })
        .collect();
    assets.sort();
    assets.dedup();
    for asset in assets {
        store::lock_asset(&mut tx, asset).await?;
    }
    // The first event of each id may be new; later ones in the call are duplicates. Each is
    // received a microsecond after the one before it, so the reports (which read a day's
    // events in arrival order) see the call's order, as they would see single deliveries'.
    let mut seen = HashSet::with_capacity(events.len());
    let mut claims = Vec::with_capacity(events.len());
    let mut first = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let is_first = seen.insert(e.envelope.id);
        if is_first {
            let offset = time::Duration::microseconds(i64::try_from(i).unwrap_or(i64::MAX));
            claims.push(new_event(e, now + offset));
        }
        first.push(is_first);
    }
    let new = store::claim_many(&mut tx, &claims).await?;
    let applied: Vec<bool> = events
        .iter()
        .zip(first)
        .map(|(e, first)| first && new.contains(&e.envelope.id))
        .collect();
    orders::apply_order_events(&mut tx, &order_updates(events, &applied), now).await?;
    let trades: Vec<(usize, EventId, &TradeData)> = events
        .iter()
        .enumerate()
        .filter(|(i, _)| applied[*i])
        .filter_map(|(i, e)| match &e.data {
            EventData::Trade(t) => Some((i, e.envelope.id, t)),
            EventData::Order(_) => None,
        })
        .collect();
    let recorded: Vec<(EventId, &TradeData)> = trades.iter().map(|t| (t.1, t.2)).collect();
    let raised = super::trades::record(state, &mut tx, &recorded, now).await?;
    tx.commit().await?;
    let mut alerts: Vec<Vec<AlertView>> = events.iter().map(|_| Vec::new()).collect();
    for ((i, _, _), a) in trades.iter().zip(raised) {
        alerts[*i] = a;
    }
    Ok(events
        .iter()
        .zip(applied)
        .zip(alerts)
        .map(|((e, applied), alerts)| {
            if !applied {
                tracing::info!(event_id = %e.envelope.id, "event already applied; ignored");
            }
            EventAnswer {
                event_id: e.envelope.id,
                event_type: e.envelope.event_type,
                duplicate: !applied,
                alerts,
            }
        })
        .collect())
}

/// The orders the applied order events move, each once: as its first event describes it (what
/// recording a new order stores), with the status the events leave it in, in order (a terminal
/// status is never left). By order id, the order in which their rows are locked.
fn order_updates(events: &[Checked], applied: &[bool]) -> Vec<OrderUpdate> {
    let mut orders: BTreeMap<OrderId, OrderUpdate> = BTreeMap::new();
    for (e, _) in events.iter().zip(applied).filter(|(_, a)| **a) {
        let EventData::Order(o) = &e.data else {
            continue;
        };
        let status = order_status(e.envelope.event_type);
        orders
            .entry(o.id)
            .and_modify(|u| {
                if !TERMINAL.contains(&u.status) {
                    u.status = status;
                }
            })
            .or_insert_with(|| OrderUpdate {
                id: o.id,
                investor_id: o.investor_id,
                asset_id: o.asset_id,
                side: o.side,
                quantity: o.quantity,
                created_at: Some(o.created_at),
                status,
            });
    }
    orders.into_values().collect()
}
