//! CAT and legacy OATS reports from the stored order and trade events, and the per-security
//! CAT scope switch.

use axum::extract::State;
use bytes::Bytes;
use compliance::cat::{
    self, CancelReason, CatError, OrderEvent, OrderEventKind, OrderType, TimeInForce, TradeEvent,
};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::events::{CancelReasonName, OrderData, OrderTypeName, TimeInForceName, TradeData};
use super::{ANYONE, MANAGERS};
use crate::AppState;
use crate::ids::AssetId;
use crate::store::events::{self as store, StoredEvent};
use crate::store::securities::{self, SecurityRow};
use crate::wire::Paging;

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

fn order_type(t: OrderTypeName) -> OrderType {
    match t {
        OrderTypeName::Market => OrderType::Market,
        OrderTypeName::Limit => OrderType::Limit,
        OrderTypeName::Stop => OrderType::Stop,
        OrderTypeName::StopLimit => OrderType::StopLimit,
    }
}

fn time_in_force(t: Option<TimeInForceName>) -> TimeInForce {
    match t {
        None | Some(TimeInForceName::Gtc) => TimeInForce::Gtc,
        Some(TimeInForceName::Day) => TimeInForce::Day,
        Some(TimeInForceName::Ioc) => TimeInForce::Ioc,
        Some(TimeInForceName::Fok) => TimeInForce::Fok,
    }
}

fn cancel_reason(r: CancelReasonName) -> CancelReason {
    match r {
        CancelReasonName::Requested => CancelReason::Requested,
        CancelReasonName::SelfTrade => CancelReason::SelfTrade,
        CancelReasonName::NoLiquidity => CancelReason::NoLiquidity,
        CancelReasonName::ImmediateOrCancel => CancelReason::ImmediateOrCancel,
        CancelReasonName::FillOrKill => CancelReason::FillOrKill,
        CancelReasonName::Expired => CancelReason::Expired,
    }
}

/// The day's events as the compliance crate's inputs; what cannot be read is an exception.
struct Inputs {
    orders: Vec<OrderEvent>,
    trades: Vec<TradeEvent>,
    exceptions: Vec<ReportException>,
    out_of_scope: i64,
}

async fn inputs(state: &AppState, org_id: &str, date: Date) -> ApiResult<Inputs> {
    let mut conn = state.pool().acquire().await?;
    let (events, out_of_scope) = store::reportable_events(&mut conn, org_id, date).await?;
    let mut orders = Vec::new();
    let mut trades: Vec<(StoredEvent, TradeData)> = Vec::new();
    let mut exceptions = Vec::new();
    for e in events {
        let exception = |error: String| ReportException {
            event_id: e.id.to_string(),
            event_type: e.event_type.clone(),
            error,
        };
        let data = e.payload.get("data").cloned().unwrap_or(Value::Null);
        if e.event_type == "trade.executed" {
            match serde_json::from_value::<TradeData>(data) {
                Ok(t) => trades.push((e, t)),
                Err(err) => exceptions.push(exception(err.to_string())),
            }
            continue;
        }
        let kind = match e.event_type.as_str() {
            "order.accepted" => OrderEventKind::Accepted,
            "order.cancelled" => OrderEventKind::Cancelled,
            "order.rejected" => OrderEventKind::Rejected,
            _ => OrderEventKind::Expired,
        };
        match serde_json::from_value::<OrderData>(data) {
            Ok(o) => orders.push(OrderEvent {
                event_id: e.id.to_string(),
                kind,
                order_id: o.id.to_string(),
                symbol: o.symbol.clone().unwrap_or_else(|| e.scope_symbol.clone()),
                investor_id: o.investor_id.to_string(),
                side: o.side,
                order_type: order_type(o.order_type),
                time_in_force: time_in_force(o.time_in_force),
                quantity: o.quantity,
                price: o.price,
                stop_price: o.stop_price,
                filled_quantity: o.filled_quantity.unwrap_or_default(),
                created_at: o.created_at,
                event_time: o.updated_at.unwrap_or(e.created_at),
                cancel_reason: o.cancel_reason.map(cancel_reason),
                cancel_initiator: None,
            }),
            Err(err) => exceptions.push(exception(err.to_string())),
        }
    }
    let order_ids: Vec<uuid::Uuid> = trades
        .iter()
        .flat_map(|(_, t)| [t.buy_order_id.uuid(), t.sell_order_id.uuid()])
        .collect();
    let received = store::order_created_at(&mut conn, org_id, &order_ids).await?;
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
            buy_order_created_at: received.get(&t.buy_order_id.uuid()).copied(),
            sell_order_created_at: received.get(&t.sell_order_id.uuid()).copied(),
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
                event_type: "trade.executed".into(),
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

fn kind_str(k: OrderEventKind) -> &'static str {
    match k {
        OrderEventKind::Accepted => "accepted",
        OrderEventKind::Cancelled => "cancelled",
        OrderEventKind::Rejected => "rejected",
        OrderEventKind::Expired => "expired",
    }
}

/// The day's CAT records.
#[utoipa::path(get, path = "/v1/reporting/cat", tag = "reporting",
    params(ReportQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance. Builds the Consolidated Audit Trail records of one \
Eastern Time day from the order and trade events the ATS delivered (crates/compliance, CAT \
Reporting Technical Specifications for Industry Members v4.1.0 r15): `MENO` for each accepted \
order (filed under the day it was received); `MEOC` for each cancel the order's time in force \
does not imply, with `initiator` `C` for the customer's cancel (`cancel_reason` `requested`) and \
`F` for the venue's (`self_trade`, `no_liquidity` of a `gtc`/`day` order) — IOC/FOK remainders \
and day-order expiries are not reported; `MEOT` for each trade, with `tapeTradeID` when the ATS \
gives one, otherwise `reportingExceptionCode` `CAT_REPORTING_EXCEPTION_CODE` (only `F`, \
reported on Form T, is accepted). Rejected orders never became orders and produce nothing. \
Reporter: `CAT_IMID`. Only securities switched into scope with \
`PUT /v1/reporting/securities/{asset_id}` (`cat_reportable: true`) are reported: restricted \
securities are outside CAT's scope, so every security is out until enabled; the day's other \
events are counted in `out_of_scope_events`. Every record is checked against the \
specification's field rules before it is listed; an event that cannot become a valid record (a \
trade whose order's receipt time is unknown, a trade with neither a tape report nor a reporting \
exception code, a cancel without `cancel_reason`, a limit order without a price) is listed in \
`exceptions` instead of failing the whole report. \
Running the report again gives the same `firmROEID`s.",
    responses(
        (status = 200, description = "The report", body = CatReport),
        (status = 400, description = "Missing or invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn cat_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<CatReport>> {
    caller.require_any_role(MANAGERS)?;
    let inputs = inputs(&state, &caller.org_id, q.date).await?;
    let out_of_scope = inputs.out_of_scope;
    let config = state.config.cat.clone();
    let (records, exceptions) = build_records(inputs, |o, t| cat::cat_records(&config, o, t))?;
    Ok(ApiJson(CatReport {
        date: q.date,
        reporter_imid: config.reporter_imid.clone(),
        records,
        exceptions,
        out_of_scope_events: out_of_scope,
        generated_at: platform::time::now(),
    }))
}

pub const OATS_NOTICE: &str = "OATS (FINRA's Order Audit Trail System) was retired on \
2021-09-01, when CAT took over; nothing is reported to OATS any more. These records use the \
legacy layout for comparison with historical data only.";

/// The day's events as legacy OATS records (OATS was retired on 2021-09-01).
#[utoipa::path(get, path = "/v1/reporting/oats", tag = "reporting",
    params(ReportQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance. **OATS was retired on 2021-09-01** (FINRA Rules \
7410–7470 were retired with it when CAT took over): nothing is reported to OATS any more. \
This gives the same events as `GET /v1/reporting/cat` in the legacy OATS layout (NW new \
orders, CL cancels, EX executions, two per trade; firm `OATS_MPID`), for comparison with \
historical data, with the same scope switch and exceptions.",
    responses(
        (status = 200, description = "The records", body = OatsReport),
        (status = 400, description = "Missing or invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn oats_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<OatsReport>> {
    caller.require_any_role(MANAGERS)?;
    let inputs = inputs(&state, &caller.org_id, q.date).await?;
    let out_of_scope = inputs.out_of_scope;
    let config = state.config.oats.clone();
    let (records, exceptions) =
        build_records(inputs, |o, t| cat::oats::oats_records(&config, o, t))?;
    Ok(ApiJson(OatsReport {
        date: q.date,
        mpid: config.mpid.clone(),
        retired: true,
        notice: OATS_NOTICE.to_owned(),
        records,
        exceptions,
        out_of_scope_events: out_of_scope,
        generated_at: platform::time::now(),
    }))
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

fn valid_symbol(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b' '
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Switches a security into or out of CAT scope.
#[utoipa::path(put, path = "/v1/reporting/securities/{asset_id}", tag = "reporting",
    params(("asset_id" = String, Path, description = "`ast_…` (the TA's security, as listed on the ATS)")),
    request_body = SecurityScope,
    security(("bearer" = [])),
    description = "Roles admin, compliance. Securities are out of CAT scope until switched in: \
the restricted securities this venue trades (Reg D, Reg CF, ...) are outside CAT's scope, and \
a firm opts in the ones that are NMS or OTC equity securities. The switch applies to every \
report built afterwards, including reports of past days. The BD does not check the asset \
against the TA.",
    responses(
        (status = 200, description = "The security's scope", body = SecurityView),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "Not an asset id", body = ErrorBody),
    ))]
pub async fn put_security(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(asset_id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<ApiJson<SecurityView>> {
    caller.require_any_role(MANAGERS)?;
    let asset_id = AssetId::parse_or_404(&asset_id, "asset")?;
    let body: SecurityScope = parse_json(&body)?;
    let symbol = body.symbol.trim();
    if !valid_symbol(symbol) {
        return Err(ApiError::validation(
            "symbol",
            "1 to 16 uppercase letters, digits, '.', '-' or spaces, starting with a letter or digit",
        ));
    }
    let (row, _) = securities::upsert(
        state.pool(),
        &caller.org_id,
        asset_id,
        symbol,
        body.cat_reportable,
        platform::time::now(),
        &caller.name,
    )
    .await?;
    Ok(ApiJson(row.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecurityQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub cat_reportable: Option<bool>,
}

/// The securities whose CAT scope was set.
#[utoipa::path(get, path = "/v1/reporting/securities", tag = "reporting",
    params(SecurityQuery),
    security(("bearer" = [])),
    description = "Any role of the organization, and the platform's services. Securities never \
set are out of scope and not listed.",
    responses(
        (status = 200, description = "A page of securities (`data`, `next_cursor`)", body = inline(Page<SecurityView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    ))]
pub async fn list_securities(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SecurityQuery>,
) -> ApiResult<ApiJson<Page<SecurityView>>> {
    caller.require_any_role(ANYONE)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after = paging.after(AssetId::parse)?;
    let rows = securities::list(
        state.pool(),
        &caller.org_id,
        after,
        q.cat_reportable,
        limit + 1,
    )
    .await?;
    let views: Vec<SecurityView> = rows.into_iter().map(SecurityView::from).collect();
    Ok(ApiJson(Page::from_rows(views, limit, |v| {
        v.asset_id.to_string()
    })))
}
