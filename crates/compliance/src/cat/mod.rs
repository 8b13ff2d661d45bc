//! Consolidated Audit Trail (CAT) records for Industry Members, built from
//! the ATS's order and trade events, and legacy OATS records ([`oats`]).
//!
//! Field names, codes and formats follow the *CAT Reporting Technical
//! Specifications for Industry Members* (v4.x, JSON file format):
//!
//! | our event | CAT event | notes |
//! |---|---|---|
//! | `order.accepted` | `MENO` New Order | eventTimestamp and orderKeyDate = the order's `created_at` (when we received it) |
//! | `order.cancelled` | `MEOC` Order Cancelled | cancelQty = the unfilled quantity, leavesQty = 0 |
//! | `trade.executed` | `MEOT` Trade | both sides in `buyDetails` / `sellDetails` |
//! | `order.rejected` | none | refused by our checks before it was accepted: never became an order |
//! | `order.expired` | none | the spec: "implicit order cancellations, such as cancellations due to expiration of Time in Force, are not required to be reported" |
//!
//! # Formats
//!
//! * Timestamps use the spec's string form `YYYYMMDD HHMMSS.CCC`, in
//!   Eastern Time, to the millisecond (electronic events must be reported to
//!   at least milliseconds). Dates inside `timeInForce` are the integer
//!   `YYYYMMDD`.
//! * `price` and `quantity` are JSON numbers, as the spec's Price and
//!   Quantity data types are; they are written from `Decimal` with every
//!   digit (`serde_json` `arbitrary_precision`), never through `f64`.
//! * `timeInForce` and `handlingInstructions` are Name/Value Pairs, JSON
//!   objects: `{"DAY": 20250317}`, `{"GTC": true}`, `{"IOC": true}`.
//! * Booleans that are `false` are still written when the field is
//!   required (the spec treats an absent JSON Boolean as false either way);
//!   conditional fields without a value are omitted, never `null`.
//!
//! # Identifiers
//!
//! * `CATReporterIMID` is the SRO-assigned IMID alone (data type
//!   CATReporterIMID, Alphanumeric(7), e.g. `LQDY`). The `CRD:IMID` form
//!   (`123:LQDY`) is the IndustryMemberID type of fields such as
//!   `senderIMID` and `destination`, which we never populate because the
//!   ATS does not route.
//! * `firmROEID` is `<event date>_<event id>`: the event date is the Eastern
//!   Time date of `eventTimestamp`, and the event id is the outbox event's
//!   `evt_` id, unique per record. Re-running a day's report yields the same
//!   ids, so a resubmission can be matched to the first one.
//! * `firmDesignatedID` is the investor id with anything not alphanumeric
//!   removed (FDID is Alphanumeric(40)).
//!
//! # Simplifications
//!
//! * `deptType` `A` (agency: we handle customers' orders), `capacity` `A`,
//!   `accountHolderType` `I` (neither "institution" under FINRA Rule
//!   4512(c) nor proprietary) and `tradingSession` `ALL` (the venue has no
//!   sessions) come from [`CatConfig`].
//! * Sells are long sales (`SL`): the ATS refuses sells not covered by
//!   holdings, so there are no short sales (`SS`, `SX`).
//! * Stop orders are reported with the order type they become when
//!   triggered (`MKT` for `stop`, `LMT` for `stop_limit`) and the stop price
//!   in `handlingInstructions` as `STOP`. Fill-or-kill is `IOC` with the
//!   `FOK` handling instruction. Cancels of `ioc`/`fok` orders are TIF
//!   expirations and are not reported.
//! * The ATS-specific fields of `MENO` (NBBO, display, `atsOrderType`) are
//!   required only of ATSs trading NMS stocks or OTC equity securities; the
//!   private securities of this venue are neither, so they are omitted.
//! * Trades: `sideDetailsInd` `NA` with both sides populated; a trade
//!   reported to a FINRA facility carries `tapeTradeID` and
//!   `marketCenterID` from the event, otherwise
//!   [`CatConfig::reporting_exception_code`] when configured.
//! * Which securities are in CAT's scope is the caller's switch
//!   (restricted securities are outside it); [`filter_in_scope`] keeps the
//!   events of a set of in-scope symbols.

pub mod eastern;
pub mod oats;

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::common::{Side, rfc3339};

/// Name/Value Pairs (`timeInForce`, `handlingInstructions`): a JSON object.
pub type NameValuePairs = BTreeMap<String, serde_json::Value>;

/// What the ATS said happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEventKind {
    /// The order passed the checks and reached the book.
    #[serde(alias = "order.accepted")]
    Accepted,
    /// The order (or what was left of it) was cancelled.
    #[serde(alias = "order.cancelled")]
    Cancelled,
    /// The order was refused before reaching the book.
    #[serde(alias = "order.rejected")]
    Rejected,
    /// The order's time in force ran out.
    #[serde(alias = "order.expired")]
    Expired,
}

/// Order type, as the ATS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Market.
    Market,
    /// Limit.
    Limit,
    /// Stop (becomes market).
    Stop,
    /// Stop-limit (becomes limit).
    StopLimit,
}

/// Time in force, as the ATS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Good till cancelled (the ATS's default).
    #[default]
    Gtc,
    /// Day.
    Day,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// Who asked for a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CancelInitiator {
    /// The customer (`DELETE /v1/orders/{id}`).
    #[default]
    Customer,
    /// The firm.
    Firm,
}

/// An order event from the ATS, with the order's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The outbox event's `evt_` id.
    pub event_id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: OrderEventKind,
    /// `ord_` id.
    pub order_id: String,
    /// The security's symbol.
    pub symbol: String,
    /// The investor (account) behind the order.
    #[serde(alias = "account_id")]
    pub investor_id: String,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: OrderType,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: TimeInForce,
    /// Ordered quantity.
    pub quantity: Decimal,
    /// Limit price (`limit`, `stop_limit`).
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Stop price (`stop`, `stop_limit`).
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    /// Quantity already filled when the event happened.
    #[serde(default)]
    pub filled_quantity: Decimal,
    /// When the order was received (its id assigned).
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
    /// When this event happened.
    #[serde(with = "rfc3339")]
    pub event_time: OffsetDateTime,
    /// Who cancelled, for `cancelled`.
    #[serde(default)]
    pub cancel_initiator: Option<CancelInitiator>,
}

/// A `trade.executed` event, with what CAT needs of both orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeEvent {
    /// The outbox event's `evt_` id.
    pub event_id: String,
    /// `trd_` id.
    #[serde(alias = "id")]
    pub trade_id: String,
    /// The security's symbol.
    pub symbol: String,
    /// Execution price.
    pub price: Decimal,
    /// Executed quantity.
    pub quantity: Decimal,
    /// The buy order.
    pub buy_order_id: String,
    /// The sell order.
    pub sell_order_id: String,
    /// When the buy order was received; looked up among the order events
    /// when absent.
    #[serde(default, with = "rfc3339::option")]
    pub buy_order_created_at: Option<OffsetDateTime>,
    /// When the sell order was received; looked up when absent.
    #[serde(default, with = "rfc3339::option")]
    pub sell_order_created_at: Option<OffsetDateTime>,
    /// Execution time.
    #[serde(with = "rfc3339")]
    pub executed_at: OffsetDateTime,
    /// The id of the report to a FINRA facility, when there is one.
    #[serde(default)]
    pub tape_trade_id: Option<String>,
    /// The facility it was reported to.
    #[serde(default)]
    pub market_center_id: Option<String>,
}

/// Why a record cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatError {
    /// `CATReporterIMID` must be 1 to 7 letters or digits.
    #[error("invalid CATReporterIMID {0:?}: 1 to 7 letters or digits (the IMID, not CRD:IMID)")]
    InvalidReporterImid(String),
    /// The OATS MPID must be 1 to 4 capital letters.
    #[error("invalid OATS MPID {0:?}: 1 to 4 capital letters")]
    InvalidMpid(String),
    /// A limit or stop-limit order without a limit price.
    #[error("order {0} is a limit order without a price")]
    MissingPrice(String),
    /// A stop or stop-limit order without a stop price.
    #[error("order {0} is a stop order without a stop price")]
    MissingStopPrice(String),
    /// A trade whose order's receipt time is unknown.
    #[error("trade {trade_id}: no created_at for order {order_id}")]
    MissingOrderKeyDate {
        /// The trade.
        trade_id: String,
        /// The order whose time is missing.
        order_id: String,
    },
}

/// Reporter-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatConfig {
    /// The SRO-assigned IMID the firm reports under (e.g. `LQDY`).
    pub reporter_imid: String,
    /// `deptType`: `A` agency, `T` trading, `O` other.
    pub dept_type: String,
    /// `accountHolderType`: `I` individual/non-institution, `A` institution, ...
    pub account_holder_type: String,
    /// `tradingSession`.
    pub trading_session: String,
    /// Trade `capacity`: `A` agency, `P` principal, `R` riskless principal.
    pub capacity: String,
    /// `reportingExceptionCode` for trades not reported to a FINRA facility.
    pub reporting_exception_code: Option<String>,
}

impl CatConfig {
    /// Settings for the reporter `imid`, with the defaults documented on
    /// the module.
    pub fn new(imid: &str) -> Result<Self, CatError> {
        let config = Self {
            reporter_imid: imid.to_owned(),
            dept_type: "A".into(),
            account_holder_type: "I".into(),
            trading_session: "ALL".into(),
            capacity: "A".into(),
            reporting_exception_code: None,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the reporter IMID (CATReporterIMID is Alphanumeric(7)).
    pub fn validate(&self) -> Result<(), CatError> {
        let imid = &self.reporter_imid;
        if imid.is_empty() || imid.len() > 7 || !imid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CatError::InvalidReporterImid(imid.clone()));
        }
        Ok(())
    }
}

/// `side` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CatSide {
    /// Buy.
    #[serde(rename = "B")]
    Buy,
    /// Sell long.
    #[serde(rename = "SL")]
    SellLong,
    /// Sell short.
    #[serde(rename = "SS")]
    SellShort,
    /// Sell short exempt.
    #[serde(rename = "SX")]
    SellShortExempt,
}

impl From<Side> for CatSide {
    fn from(s: Side) -> Self {
        match s {
            Side::Buy => Self::Buy,
            Side::Sell => Self::SellLong,
        }
    }
}

/// `orderType` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CatOrderType {
    /// Market.
    #[serde(rename = "MKT")]
    Market,
    /// Limit.
    #[serde(rename = "LMT")]
    Limit,
}

/// `MENO` — New Order event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatNewOrder {
    /// `NEW`.
    #[serde(rename = "actionType")]
    pub action_type: String,
    /// Unique per event date and reporter.
    #[serde(rename = "firmROEID")]
    pub firm_roe_id: String,
    /// `MENO`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// The reporter's IMID.
    #[serde(rename = "CATReporterIMID")]
    pub cat_reporter_imid: String,
    /// When the order id was assigned.
    #[serde(rename = "orderKeyDate")]
    pub order_key_date: String,
    /// Our order id.
    #[serde(rename = "orderID")]
    pub order_id: String,
    /// The symbol.
    pub symbol: String,
    /// When the order was received.
    #[serde(rename = "eventTimestamp")]
    pub event_timestamp: String,
    /// Received electronically: `false`.
    #[serde(rename = "manualFlag")]
    pub manual_flag: bool,
    /// Not a duplicate of a manual order: `false`.
    #[serde(rename = "electronicDupFlag")]
    pub electronic_dup_flag: bool,
    /// Department.
    #[serde(rename = "deptType")]
    pub dept_type: String,
    /// Side.
    pub side: CatSide,
    /// Limit price; omitted for market orders.
    #[serde(
        default,
        with = "rust_decimal::serde::arbitrary_precision_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Decimal>,
    /// Quantity.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub quantity: Decimal,
    /// Order type.
    #[serde(rename = "orderType")]
    pub order_type: CatOrderType,
    /// Time in force.
    #[serde(rename = "timeInForce")]
    pub time_in_force: NameValuePairs,
    /// Trading session.
    #[serde(rename = "tradingSession")]
    pub trading_session: String,
    /// Handling instructions; omitted when there are none.
    #[serde(
        rename = "handlingInstructions",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub handling_instructions: NameValuePairs,
    /// No customer display instruction: `false`.
    #[serde(rename = "custDspIntrFlag")]
    pub cust_dsp_intr_flag: bool,
    /// The account's FDID.
    #[serde(rename = "firmDesignatedID")]
    pub firm_designated_id: String,
    /// Account holder type.
    #[serde(rename = "accountHolderType")]
    pub account_holder_type: String,
    /// Not an affiliate: `false`.
    #[serde(rename = "affiliateFlag")]
    pub affiliate_flag: bool,
    /// Not a negotiated trade: `false`.
    #[serde(rename = "negotiatedTradeFlag")]
    pub negotiated_trade_flag: bool,
    /// Not a representative order: `N`.
    #[serde(rename = "representativeInd")]
    pub representative_ind: String,
}

/// `MEOC` — Order Cancelled event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatOrderCancelled {
    /// `NEW`.
    #[serde(rename = "actionType")]
    pub action_type: String,
    /// Unique per event date and reporter.
    #[serde(rename = "firmROEID")]
    pub firm_roe_id: String,
    /// `MEOC`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// The reporter's IMID.
    #[serde(rename = "CATReporterIMID")]
    pub cat_reporter_imid: String,
    /// The cancelled order's key date.
    #[serde(rename = "orderKeyDate")]
    pub order_key_date: String,
    /// The cancelled order.
    #[serde(rename = "orderID")]
    pub order_id: String,
    /// The symbol.
    pub symbol: String,
    /// When the order was cancelled.
    #[serde(rename = "eventTimestamp")]
    pub event_timestamp: String,
    /// `false`.
    #[serde(rename = "manualFlag")]
    pub manual_flag: bool,
    /// Quantity cancelled.
    #[serde(
        rename = "cancelQty",
        with = "rust_decimal::serde::arbitrary_precision"
    )]
    pub cancel_qty: Decimal,
    /// Quantity still open after the cancel.
    #[serde(
        rename = "leavesQty",
        with = "rust_decimal::serde::arbitrary_precision"
    )]
    pub leaves_qty: Decimal,
    /// `C` customer or `F` firm.
    pub initiator: String,
}

/// One side of a trade in `MEOT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeSideDetails {
    /// The order's key date.
    #[serde(rename = "orderKeyDate")]
    pub order_key_date: String,
    /// The order.
    #[serde(rename = "orderID")]
    pub order_id: String,
    /// Its side.
    pub side: CatSide,
}

/// `MEOT` — Trade event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatTrade {
    /// `NEW`.
    #[serde(rename = "actionType")]
    pub action_type: String,
    /// Unique per event date and reporter.
    #[serde(rename = "firmROEID")]
    pub firm_roe_id: String,
    /// `MEOT`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// The reporter's IMID.
    #[serde(rename = "CATReporterIMID")]
    pub cat_reporter_imid: String,
    /// When the trade id was assigned.
    #[serde(rename = "tradeKeyDate")]
    pub trade_key_date: String,
    /// Our trade id.
    #[serde(rename = "tradeID")]
    pub trade_id: String,
    /// The symbol.
    pub symbol: String,
    /// Execution time.
    #[serde(rename = "eventTimestamp")]
    pub event_timestamp: String,
    /// `false`.
    #[serde(rename = "manualFlag")]
    pub manual_flag: bool,
    /// Not a cancelled trade: `false`.
    #[serde(rename = "cancelFlag")]
    pub cancel_flag: bool,
    /// Executed quantity.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub quantity: Decimal,
    /// Execution price.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub price: Decimal,
    /// Capacity.
    pub capacity: String,
    /// Link to the FINRA facility's report, when there is one.
    #[serde(
        rename = "tapeTradeID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tape_trade_id: Option<String>,
    /// The facility, when there is one.
    #[serde(
        rename = "marketCenterID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub market_center_id: Option<String>,
    /// `NA`: both sides are detailed.
    #[serde(rename = "sideDetailsInd")]
    pub side_details_ind: String,
    /// The buy order.
    #[serde(rename = "buyDetails")]
    pub buy_details: Vec<TradeSideDetails>,
    /// The sell order.
    #[serde(rename = "sellDetails")]
    pub sell_details: Vec<TradeSideDetails>,
    /// Why there is no tape report, when there is none.
    #[serde(
        rename = "reportingExceptionCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reporting_exception_code: Option<String>,
}

/// Any CAT record we produce; serialises as the record itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CatRecord {
    /// `MENO`.
    NewOrder(CatNewOrder),
    /// `MEOC`.
    OrderCancelled(CatOrderCancelled),
    /// `MEOT`.
    Trade(CatTrade),
}

/// A CAT timestamp: `YYYYMMDD HHMMSS.CCC` in Eastern Time.
pub fn cat_timestamp(t: OffsetDateTime) -> String {
    let et = eastern::to_eastern(t);
    format!(
        "{:04}{:02}{:02} {:02}{:02}{:02}.{:03}",
        et.year(),
        u8::from(et.month()),
        et.day(),
        et.hour(),
        et.minute(),
        et.second(),
        et.millisecond()
    )
}

/// The `firmROEID` of an event: `<Eastern date of the event>_<event id>`.
pub fn firm_roe_id(event_time: OffsetDateTime, event_id: &str) -> String {
    format!(
        "{}_{event_id}",
        eastern::date_number(eastern::eastern_date(event_time))
    )
}

/// An FDID from an investor id: letters and digits only, at most 40.
pub fn firm_designated_id(investor_id: &str) -> String {
    investor_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect()
}

fn decimal_value(d: Decimal) -> serde_json::Value {
    // `arbitrary_precision` parses the decimal text exactly; a Decimal's text
    // is always a valid JSON number, so the fallback is unreachable in practice.
    d.to_string()
        .parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        .unwrap_or_else(|_| serde_json::Value::String(d.to_string()))
}

fn time_in_force(tif: TimeInForce, created_at: OffsetDateTime) -> NameValuePairs {
    let mut nvp = NameValuePairs::new();
    match tif {
        TimeInForce::Day => {
            nvp.insert(
                "DAY".into(),
                serde_json::Value::from(eastern::date_number(eastern::eastern_date(created_at))),
            );
        }
        TimeInForce::Gtc => {
            nvp.insert("GTC".into(), serde_json::Value::Bool(true));
        }
        TimeInForce::Ioc | TimeInForce::Fok => {
            nvp.insert("IOC".into(), serde_json::Value::Bool(true));
        }
    }
    nvp
}

/// The `MENO` for an accepted order.
pub fn new_order(config: &CatConfig, e: &OrderEvent) -> Result<CatNewOrder, CatError> {
    config.validate()?;
    let (order_type, price) = match e.order_type {
        OrderType::Market | OrderType::Stop => (CatOrderType::Market, None),
        OrderType::Limit | OrderType::StopLimit => (
            CatOrderType::Limit,
            Some(
                e.price
                    .ok_or_else(|| CatError::MissingPrice(e.order_id.clone()))?,
            ),
        ),
    };
    let mut handling = NameValuePairs::new();
    if matches!(e.order_type, OrderType::Stop | OrderType::StopLimit) {
        let stop = e
            .stop_price
            .ok_or_else(|| CatError::MissingStopPrice(e.order_id.clone()))?;
        handling.insert("STOP".into(), decimal_value(stop));
    }
    if e.time_in_force == TimeInForce::Fok {
        handling.insert("FOK".into(), serde_json::Value::Bool(true));
    }
    let received = cat_timestamp(e.created_at);
    Ok(CatNewOrder {
        action_type: "NEW".into(),
        firm_roe_id: firm_roe_id(e.created_at, &e.event_id),
        message_type: "MENO".into(),
        cat_reporter_imid: config.reporter_imid.clone(),
        order_key_date: received.clone(),
        order_id: e.order_id.clone(),
        symbol: e.symbol.clone(),
        event_timestamp: received,
        manual_flag: false,
        electronic_dup_flag: false,
        dept_type: config.dept_type.clone(),
        side: e.side.into(),
        price,
        quantity: e.quantity,
        order_type,
        time_in_force: time_in_force(e.time_in_force, e.created_at),
        trading_session: config.trading_session.clone(),
        handling_instructions: handling,
        cust_dsp_intr_flag: false,
        firm_designated_id: firm_designated_id(&e.investor_id),
        account_holder_type: config.account_holder_type.clone(),
        affiliate_flag: false,
        negotiated_trade_flag: false,
        representative_ind: "N".into(),
    })
}

/// The `MEOC` for a cancelled order: everything not filled is cancelled.
pub fn order_cancelled(config: &CatConfig, e: &OrderEvent) -> Result<CatOrderCancelled, CatError> {
    config.validate()?;
    let cancel_qty = (e.quantity - e.filled_quantity).max(Decimal::ZERO);
    Ok(CatOrderCancelled {
        action_type: "NEW".into(),
        firm_roe_id: firm_roe_id(e.event_time, &e.event_id),
        message_type: "MEOC".into(),
        cat_reporter_imid: config.reporter_imid.clone(),
        order_key_date: cat_timestamp(e.created_at),
        order_id: e.order_id.clone(),
        symbol: e.symbol.clone(),
        event_timestamp: cat_timestamp(e.event_time),
        manual_flag: false,
        cancel_qty,
        leaves_qty: Decimal::ZERO,
        initiator: match e.cancel_initiator.unwrap_or_default() {
            CancelInitiator::Customer => "C".into(),
            CancelInitiator::Firm => "F".into(),
        },
    })
}

/// The `MEOT` for a trade, given when its two orders were received.
pub fn trade(
    config: &CatConfig,
    t: &TradeEvent,
    buy_order_created_at: OffsetDateTime,
    sell_order_created_at: OffsetDateTime,
) -> Result<CatTrade, CatError> {
    config.validate()?;
    let executed = cat_timestamp(t.executed_at);
    let reporting_exception_code = match t.tape_trade_id {
        Some(_) => None,
        None => config.reporting_exception_code.clone(),
    };
    Ok(CatTrade {
        action_type: "NEW".into(),
        firm_roe_id: firm_roe_id(t.executed_at, &t.event_id),
        message_type: "MEOT".into(),
        cat_reporter_imid: config.reporter_imid.clone(),
        trade_key_date: executed.clone(),
        trade_id: t.trade_id.clone(),
        symbol: t.symbol.clone(),
        event_timestamp: executed,
        manual_flag: false,
        cancel_flag: false,
        quantity: t.quantity,
        price: t.price,
        capacity: config.capacity.clone(),
        tape_trade_id: t.tape_trade_id.clone(),
        market_center_id: t.tape_trade_id.as_ref().and(t.market_center_id.clone()),
        side_details_ind: "NA".into(),
        buy_details: vec![TradeSideDetails {
            order_key_date: cat_timestamp(buy_order_created_at),
            order_id: t.buy_order_id.clone(),
            side: CatSide::Buy,
        }],
        sell_details: vec![TradeSideDetails {
            order_key_date: cat_timestamp(sell_order_created_at),
            order_id: t.sell_order_id.clone(),
            side: CatSide::SellLong,
        }],
        reporting_exception_code,
    })
}

/// Whether an order event leads to a reportable record, and which.
fn reportable(e: &OrderEvent) -> Option<OrderEventKind> {
    match e.kind {
        OrderEventKind::Accepted => Some(OrderEventKind::Accepted),
        // An IOC/FOK remainder is cancelled by its time in force, which neither CAT
        // nor OATS asks to report.
        OrderEventKind::Cancelled
            if !matches!(e.time_in_force, TimeInForce::Ioc | TimeInForce::Fok) =>
        {
            Some(OrderEventKind::Cancelled)
        }
        _ => None,
    }
}

/// Receipt times of the orders, from the accepted/cancelled events given.
fn order_key_dates(orders: &[OrderEvent]) -> HashMap<&str, OffsetDateTime> {
    orders
        .iter()
        .map(|o| (o.order_id.as_str(), o.created_at))
        .collect()
}

/// Resolves the receipt times of a trade's two orders.
pub(crate) fn trade_key_dates(
    t: &TradeEvent,
    known: &HashMap<&str, OffsetDateTime>,
) -> Result<(OffsetDateTime, OffsetDateTime), CatError> {
    let find = |given: Option<OffsetDateTime>, order_id: &str| {
        given
            .or_else(|| known.get(order_id).copied())
            .ok_or_else(|| CatError::MissingOrderKeyDate {
                trade_id: t.trade_id.clone(),
                order_id: order_id.to_owned(),
            })
    };
    Ok((
        find(t.buy_order_created_at, &t.buy_order_id)?,
        find(t.sell_order_created_at, &t.sell_order_id)?,
    ))
}

/// All CAT records for a batch of events (typically one Eastern Time day),
/// in event-time order. Rejected and expired orders produce nothing, nor do
/// cancels of IOC/FOK orders (see the module documentation).
pub fn cat_records(
    config: &CatConfig,
    orders: &[OrderEvent],
    trades: &[TradeEvent],
) -> Result<Vec<CatRecord>, CatError> {
    config.validate()?;
    let keys = order_key_dates(orders);
    let mut out: Vec<(OffsetDateTime, CatRecord)> = Vec::new();
    for e in orders {
        match reportable(e) {
            Some(OrderEventKind::Accepted) => {
                out.push((e.created_at, CatRecord::NewOrder(new_order(config, e)?)))
            }
            Some(OrderEventKind::Cancelled) => {
                out.push((
                    e.event_time,
                    CatRecord::OrderCancelled(order_cancelled(config, e)?),
                ));
            }
            _ => {}
        }
    }
    for t in trades {
        let (buy, sell) = trade_key_dates(t, &keys)?;
        out.push((
            t.executed_at,
            CatRecord::Trade(trade(config, t, buy, sell)?),
        ));
    }
    // Stable: events at the same instant keep their input order (orders first).
    out.sort_by_key(|(at, _)| *at);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// Keeps the events of securities in CAT's scope. Restricted securities
/// are outside it; which symbols are in is the caller's per-security switch.
pub fn filter_in_scope(
    in_scope_symbols: &HashSet<String>,
    orders: &[OrderEvent],
    trades: &[TradeEvent],
) -> (Vec<OrderEvent>, Vec<TradeEvent>) {
    (
        orders
            .iter()
            .filter(|o| in_scope_symbols.contains(&o.symbol))
            .cloned()
            .collect(),
        trades
            .iter()
            .filter(|t| in_scope_symbols.contains(&t.symbol))
            .cloned()
            .collect(),
    )
}
