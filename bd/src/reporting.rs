//! CAT and legacy OATS reports from the stored order and trade events, and the per-security
//! CAT scope switch.

use compliance::cat::{self, CatError, OrderEvent, OrderEventKind, TradeEvent};
use iam_sdk::Caller;
use platform::ids::{AssetId, OrderId};
use platform::{ApiError, ApiResult, ListParams, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use vocab::EventType;

use crate::AppState;
use crate::store::events::{self as store, StoredEvent};
use crate::store::securities::{self, SecurityRow};
use crate::surveillance::events::{OrderData, TradeData};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The Eastern Time day (`YYYY-MM-DD`) the events are filed under.
    pub date: Date,
}

/// An event that could not be turned into a record; the report is incomplete without it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportException {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub error: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatReport {
    pub date: Date,
    /// `CAT_IMID`.
    pub reporter_imid: String,
    /// MENO, MEOC and MEOT records (CAT Reporting Technical Specifications for Industry
    /// Members, JSON), in event time order.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    pub exceptions: Vec<ReportException>,
    /// Events of the day in securities not switched into CAT scope, left out.
    pub out_of_scope_events: i64,
    #[serde(with = "platform::time::rfc3339")]
    pub generated_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OatsReport {
    pub date: Date,
    /// `OATS_MPID`.
    pub mpid: String,
    /// Always true: OATS was retired on 2021-09-01.
    pub retired: bool,
    pub notice: String,
    /// NW, CL and EX records (OATS field names), in event time order.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    pub exceptions: Vec<ReportException>,
    pub out_of_scope_events: i64,
    #[serde(with = "platform::time::rfc3339")]
    pub generated_at: OffsetDateTime,
}

pub const OATS_NOTICE: &str = "OATS (FINRA's Order Audit Trail System) was retired on \
2021-09-01, when CAT took over; nothing is reported to OATS any more. These records use the \
legacy layout for comparison with historical data only.";

/// The day's events as the compliance crate's inputs; what cannot be read is an exception.
struct Inputs {
    orders: Vec<OrderEvent>,
    trades: Vec<TradeEvent>,
    exceptions: Vec<ReportException>,
    out_of_scope: i64,
}

fn order_kind(t: EventType) -> OrderEventKind {
    match t {
        EventType::OrderAccepted => OrderEventKind::Accepted,
        EventType::OrderCancelled => OrderEventKind::Cancelled,
        EventType::OrderRejected => OrderEventKind::Rejected,
        EventType::OrderExpired | EventType::TradeExecuted => OrderEventKind::Expired,
    }
}

fn order_event(e: &StoredEvent, o: OrderData) -> OrderEvent {
    OrderEvent {
        event_id: e.id.to_string(),
        kind: order_kind(e.event_type),
        order_id: o.id.to_string(),
        symbol: o.symbol.clone().unwrap_or_else(|| e.scope_symbol.clone()),
        investor_id: o.investor_id.to_string(),
        side: o.side,
        order_type: o.order_type,
        time_in_force: o.time_in_force.unwrap_or_default(),
        quantity: o.quantity,
        price: o.price,
        stop_price: o.stop_price,
        filled_quantity: o.filled_quantity.unwrap_or_default(),
        created_at: o.created_at,
        event_time: o.updated_at.unwrap_or(e.created_at),
        cancel_reason: o.cancel_reason,
        cancel_initiator: None,
    }
}

async fn inputs(state: &AppState, caller: &Caller, date: Date) -> ApiResult<Inputs> {
    let mut tx = state.begin(&caller.org_id).await?;
    let (events, out_of_scope) = store::reportable_events(&mut tx, date).await?;
    let mut orders = Vec::new();
    let mut trades: Vec<(StoredEvent, TradeData)> = Vec::new();
    let mut exceptions = Vec::new();
    for e in events {
        let exception = |error: String| ReportException {
            event_id: e.id.to_string(),
            event_type: e.event_type.as_str().to_owned(),
            error,
        };
        let data = e.payload.get("data").cloned().unwrap_or(Value::Null);
        if e.event_type == EventType::TradeExecuted {
            match serde_json::from_value::<TradeData>(data) {
                Ok(t) => trades.push((e, t)),
                Err(err) => exceptions.push(exception(err.to_string())),
            }
            continue;
        }
        match serde_json::from_value::<OrderData>(data) {
            Ok(o) => orders.push(order_event(&e, o)),
            Err(err) => exceptions.push(exception(err.to_string())),
        }
    }
    let order_ids: Vec<OrderId> = trades
        .iter()
        .flat_map(|(_, t)| [t.buy_order_id, t.sell_order_id])
        .collect();
    let received = store::order_created_at(&mut tx, &order_ids).await?;
    tx.commit().await?;
    let trades = trades
        .into_iter()
        .map(|(e, t)| TradeEvent {
            event_id: e.id.to_string(),
            trade_id: t.id.to_string(),
            symbol: t.symbol.clone().unwrap_or_else(|| e.scope_symbol.clone()),
            price: t.price,
            quantity: t.quantity,
            buy_order_id: t.buy_order_id.to_string(),
            sell_order_id: t.sell_order_id.to_string(),
            buy_order_created_at: received.get(&t.buy_order_id).copied(),
            sell_order_created_at: received.get(&t.sell_order_id).copied(),
            executed_at: t.executed_at,
            tape_trade_id: None,
            market_center_id: None,
        })
        .collect();
    Ok(Inputs {
        orders,
        trades,
        exceptions,
        out_of_scope,
    })
}

fn kind_str(k: OrderEventKind) -> &'static str {
    match k {
        OrderEventKind::Accepted => "accepted",
        OrderEventKind::Cancelled => "cancelled",
        OrderEventKind::Rejected => "rejected",
        OrderEventKind::Expired => "expired",
    }
}

/// Builds the records with `build`, setting aside each event it cannot take (so one bad event
/// does not take the whole day's report down) as an exception.
fn build_records<R: Serialize>(
    mut inputs: Inputs,
    build: impl Fn(&[OrderEvent], &[TradeEvent]) -> Result<Vec<R>, CatError>,
) -> ApiResult<(Vec<Value>, Vec<ReportException>)> {
    let mut orders = Vec::new();
    for o in inputs.orders {
        match build(std::slice::from_ref(&o), &[]) {
            Ok(_) => orders.push(o),
            Err(e) => inputs.exceptions.push(ReportException {
                event_id: o.event_id.clone(),
                event_type: format!("order.{}", kind_str(o.kind)),
                error: e.to_string(),
            }),
        }
    }
    let mut trades = Vec::new();
    for t in inputs.trades {
        match build(&orders, std::slice::from_ref(&t)) {
            Ok(_) => trades.push(t),
            Err(e) => inputs.exceptions.push(ReportException {
                event_id: t.event_id.clone(),
                event_type: EventType::TradeExecuted.as_str().into(),
                error: e.to_string(),
            }),
        }
    }
    let records = build(&orders, &trades).map_err(ApiError::internal)?;
    let records = records
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok((records, inputs.exceptions))
}

/// The day's CAT records.
pub async fn cat_report(state: &AppState, caller: &Caller, date: Date) -> ApiResult<CatReport> {
    let inputs = inputs(state, caller, date).await?;
    let out_of_scope = inputs.out_of_scope;
    let config = &state.config.cat;
    let (records, exceptions) = build_records(inputs, |o, t| cat::cat_records(config, o, t))?;
    Ok(CatReport {
        date,
        reporter_imid: config.reporter_imid.clone(),
        records,
        exceptions,
        out_of_scope_events: out_of_scope,
        generated_at: state.clock.now(),
    })
}

/// The day's events as legacy OATS records.
pub async fn oats_report(state: &AppState, caller: &Caller, date: Date) -> ApiResult<OatsReport> {
    let inputs = inputs(state, caller, date).await?;
    let out_of_scope = inputs.out_of_scope;
    let config = &state.config.oats;
    let (records, exceptions) =
        build_records(inputs, |o, t| cat::oats::oats_records(config, o, t))?;
    Ok(OatsReport {
        date,
        mpid: config.mpid.clone(),
        retired: true,
        notice: OATS_NOTICE.to_owned(),
        records,
        exceptions,
        out_of_scope_events: out_of_scope,
        generated_at: state.clock.now(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityScope {
    /// The symbol reported to CAT: 1 to 16 uppercase letters, digits, `.`, `-` or spaces.
    pub symbol: String,
    pub cat_reportable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityView {
    pub asset_id: AssetId,
    pub symbol: String,
    pub cat_reportable: bool,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

impl From<SecurityRow> for SecurityView {
    fn from(r: SecurityRow) -> Self {
        Self {
            asset_id: r.asset_id,
            symbol: r.symbol,
            cat_reportable: r.cat_reportable,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        }
    }
}

/// The filter of `GET /v1/reporting/securities`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecurityFilter {
    pub cat_reportable: Option<bool>,
}

fn valid_symbol(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b' '
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Switches a security into or out of CAT scope.
pub async fn set_scope(
    state: &AppState,
    caller: &Caller,
    asset_id: AssetId,
    body: &SecurityScope,
) -> ApiResult<SecurityView> {
    let symbol = body.symbol.trim();
    if !valid_symbol(symbol) {
        return Err(ApiError::validation(
            "symbol",
            "1 to 16 uppercase letters, digits, '.', '-' or spaces, starting with a letter or digit",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let reportable = body.cat_reportable;
    let row = securities::upsert(&mut tx, asset_id, symbol, reportable, now, &caller.name).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The securities whose CAT scope was set, by asset id.
pub async fn list_securities(
    state: &AppState,
    caller: &Caller,
    page: &ListParams,
    filter: &SecurityFilter,
) -> ApiResult<Page<SecurityView>> {
    let limit = page.limit()?;
    let after = page.after_as(AssetId::parse)?;
    let mut tx = state.begin(&caller.org_id).await?;
    let rows = securities::list(&mut tx, after, filter.cat_reportable, limit + 1).await?;
    tx.commit().await?;
    let views: Vec<SecurityView> = rows.into_iter().map(SecurityView::from).collect();
    Ok(Page::from_rows(views, limit, |v| v.asset_id.to_string()))
}
