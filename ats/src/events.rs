//! The events the BD hears of (API.md, Events): `{"id", "type", "created_at",
//! "organization_id", "data"}`, `data` being the order or the trade as the ATS answers it, plus
//! its `symbol`. They are written to the outbox in the transaction of the change they report.

use platform::ids::{AssetId, EventId};
use serde_json::json;
use time::OffsetDateTime;
use vocab::EventType;

use crate::store::outbox::NewEvent;
use crate::views::{OrderView, TradeView};

/// An order event: the order as it stands, plus its symbol (API.md, Events).
pub fn order_event(
    kind: EventType,
    order: &OrderView,
    symbol: &str,
    org: &str,
    now: OffsetDateTime,
) -> NewEvent {
    let mut data = serde_json::to_value(order).unwrap_or_else(|_| json!({}));
    data["symbol"] = json!(symbol);
    envelope(kind, order.asset_id, data, org, now)
}

pub fn trade_event(trade: &TradeView, symbol: &str, org: &str, now: OffsetDateTime) -> NewEvent {
    let mut data = serde_json::to_value(trade).unwrap_or_else(|_| json!({}));
    data["symbol"] = json!(symbol);
    envelope(EventType::TradeExecuted, trade.asset_id, data, org, now)
}

fn envelope(
    kind: EventType,
    asset: AssetId,
    data: serde_json::Value,
    org: &str,
    now: OffsetDateTime,
) -> NewEvent {
    let id = EventId::new();
    NewEvent {
        id,
        asset_id: asset,
        event_type: kind,
        payload: json!({
            "id": id,
            "type": kind,
            "created_at": platform::time::format(now),
            "organization_id": org,
            "data": data,
        }),
        created_at: now,
    }
}
