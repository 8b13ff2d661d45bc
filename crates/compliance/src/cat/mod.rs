//! Consolidated Audit Trail (CAT) records for Industry Members, built from
//! the ATS's order and trade events, and legacy OATS records ([`oats`]).
//!
//! Field names, codes and formats follow the *CAT Reporting Technical
//! Specifications for Industry Members* v4.1.0 r15 ("the spec" below), JSON
//! file format. The field lists (required, conditional, optional; data
//! types) and the code lists are those of CAT's machine-readable schema
//! published with v4.1.0 (`IM-4.1.0-r15.json`: `eventDefinitions` for MENO,
//! MEOC and MEOT, `choices`, `nameValuePairDefinitions`). [`validate`] checks
//! every record against those tables before it leaves [`cat_records`], so a
//! record the spec refuses is never emitted: the event becomes an error
//! (the BD lists it among the report's exceptions) instead.
//!
//! # What each ATS event becomes
//!
//! | ATS event | CAT record | why |
//! |---|---|---|
//! | `order.accepted` | `MENO` New Order | the order was received from a customer of the firm, not from another CAT reporter (spec, New Order Event: "An order received from another CAT Reporter … must be reported as an Order Accepted event") |
//! | `order.cancelled`, `cancel_reason` `requested` | `MEOC`, `initiator` `C`, `requestTimestamp` | the customer's `DELETE`; the request is captured in `requestTimestamp` so no separate `MEOCR` is needed (spec, Order Cancel Request Event) |
//! | `order.cancelled`, `self_trade` | `MEOC`, `initiator` `F` | the venue's self-trade prevention cancelled a resting order: a firm-initiated cancel the order's time in force does not imply |
//! | `order.cancelled`, `no_liquidity` | `MEOC`, `initiator` `F` for a `gtc`/`day` market order; nothing for an `ioc`/`fok` one | the venue kills a market order it cannot fill; only an IOC time in force already says so |
//! | `order.cancelled`, `immediate_or_cancel` / `fill_or_kill` | none | implicit expiry of the IOC time in force the `MENO` reported (FOK is `IOC` plus the `FOK` handling instruction) |
//! | `order.cancelled` `expired`, or `order.expired` | none for a `day` order | implicit expiry of the `DAY` time in force the `MENO` reported |
//! | `order.cancelled` with a reason its time in force does not imply (e.g. `expired` on a `gtc` order) | `MEOC`, `initiator` `F` | otherwise CAT would hold the order open |
//! | `order.cancelled` without `cancel_reason` | nothing for an `ioc`/`fok` order (its remainder); for a `gtc`/`day` order a `MEOC` only if [`OrderEvent::cancel_initiator`] says who, otherwise [`CatError::UnknownCancelInitiator`] | `initiator` is required (C or F) and is not guessed |
//! | `order.rejected` | none | refused by the BD's checks before it reached the book: it never became an order |
//! | `trade.executed` | `MEOT` Trade | the ATS executed the trade (spec, Trade Event: "used when the Industry Member acts as the executing broker") |
//!
//! Implicit expiries: the spec's Order Cancelled Event section does not ask
//! for cancellations implied by the order's time in force. That sentence was
//! not retrievable verbatim while writing this (the stored copies of the PDF
//! were not searchable past their first pages); the rule above is the
//! conservative reading: a cancel is left out only when the `timeInForce`
//! the `MENO` reported already ends the order, every other cancel is
//! reported.
//!
//! # Trades and `reportingExceptionCode`
//!
//! A Trade event must carry exactly one of `tapeTradeID` (the branch
//! sequence number or compliance ID of the report to a TRF, ORF or ADF, with
//! its `marketCenterID`) or `reportingExceptionCode` (spec, Trade Event,
//! "Reporting Exception Codes"; error 2169). The spec allows four codes:
//!
//! * `P` — a trade between two desks of the same firm with no change in
//!   beneficial ownership: not a trade between two investors;
//! * `F` — the trade was reported on Form T instead of to a facility;
//! * `N` — the trade was executed by a non-FINRA member (an ATS is run by a
//!   FINRA member broker-dealer, so never this venue);
//! * `C` — the firm was the contra side of a report made by someone else
//!   through a QSR or AGU; needs `marketCenterID`, `clearingFirm` and
//!   `counterparty`.
//!
//! So for an ATS trade in a security not reported to a FINRA facility the
//! only code that fits is `F`, and only because the firm reports it on Form
//! T. [`CatConfig::validate`] accepts `F` alone (and no code); `C`, `P` and
//! `N` are refused with the reason, because the BD cannot tell per trade
//! when they would be true. A trade with neither a `tapeTradeID` nor a code
//! is an error ([`CatError::NoTapeLink`]), never a `MEOT` without both.
//!
//! # Formats
//!
//! * Timestamps use the spec's string form `YYYYMMDD HHMMSS.CCC`, in
//!   Eastern Time, to the millisecond (electronic events must be reported to
//!   at least milliseconds, error 2027). Dates inside `timeInForce` are the
//!   integer `YYYYMMDD` (data type Date).
//! * `price` and `quantity` are JSON numbers, as the spec's Price and
//!   Real Quantity data types are; they are written from `Decimal` with
//!   every digit (`serde_json` `arbitrary_precision`), never through `f64`.
//!   Trailing zeros beyond the types' decimals (8 for Price, 6 for Real
//!   Quantity) are dropped; an amount that needs more decimals, or more
//!   integer digits (10 and 12), is refused by the checker, never rounded.
//! * `timeInForce` and `handlingInstructions` are Name/Value Pairs, JSON
//!   objects: `{"DAY": 20250317}`, `{"GTC": true}`, `{"IOC": true}`.
//! * Required Booleans are always written, `false` included (the spec reads
//!   an absent JSON Boolean as false, but writing it leaves no doubt);
//!   conditional fields without a value are omitted, never `null`.
//!
//! # Identifiers
//!
//! * `CATReporterIMID` is the SRO-assigned IMID alone (data type
//!   CATReporterIMID, Alphanumeric (7), e.g. `LQDY`). The `CRD:IMID` form
//!   (`123:LQDY`) is the IndustryMemberID type of fields such as
//!   `senderIMID` and `counterparty`, which we never populate because the
//!   ATS does not route.
//! * `firmROEID` is `<event date>_<event id>`: the event date is the Eastern
//!   Time date of `eventTimestamp`, and the event id is the outbox event's
//!   `evt_` id, unique per record. Re-running a day's report yields the same
//!   ids, so a resubmission can be matched to the first one.
//! * `firmDesignatedID` is the investor id with anything not alphanumeric
//!   removed (FDID is Text (40)).
//!
//! # Values taken, and why
//!
//! * `deptType` `ATS` ("a trading system that meets the definition of
//!   Alternative Trading System under Regulation ATS"): the orders are
//!   received by the venue itself, not by an agency desk that routes.
//! * `solicitationFlag` `false`: investors enter their own orders on the
//!   venue; the firm does not solicit them.
//! * `capacity` `A`, `accountHolderType` `I` (neither "institution" under
//!   FINRA Rule 4512(c) nor proprietary) and `tradingSession` `ALL` (the
//!   venue has no sessions) come from [`CatConfig`].
//! * Sells are long sales (`SL`): the ATS refuses sells not covered by
//!   holdings, so there are no short sales (`SS`, `SX`).
//! * Stop orders are reported with the order type they become when
//!   triggered (`MKT` for `stop`, `LMT` for `stop_limit`) and the stop price
//!   as the `STOP` handling instruction (a Price). Fill-or-kill is
//!   `timeInForce` `IOC` with the Boolean `FOK` handling instruction.
//! * Trades: `sideDetailsInd` `NA` with both `buyDetails` and `sellDetails`
//!   populated (one element each), `multiLegInd` `false`, `cancelFlag`
//!   `false`.
//!
//! # Not settled
//!
//! * ATS-only fields of `MENO` (`atsDisplayInd`, `atsOrderType`, the NBBO or
//!   reference price at receipt, `seqNum`): FINRA Rule 6830(a)(1)(A)(xi)
//!   asks an ATS for its order-type identifier (registered with CAT) and the
//!   NBBO or relevant reference price at receipt. The ATS's events carry
//!   neither, so they are omitted; supplying them needs the ATS to send
//!   them.
//! * A trade the firm reports to the ORF needs its `tapeTradeID`; the ATS's
//!   `trade.executed` does not carry one yet, so such trades can only be
//!   reported under `F` or stay exceptions.
//! * Which securities are in CAT's scope is the caller's switch
//!   (restricted securities are outside it); [`filter_in_scope`] keeps the
//!   events of a set of in-scope symbols.

pub mod eastern;
pub mod oats;
pub mod validate;

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

/// Order type and time in force, as the ATS names them: the platform's
/// shared definitions (`market`, `limit`, `stop`, `stop_limit`; `gtc`
/// (default), `day`, `ioc`, `fok`).
pub use vocab::{OrderType, TimeInForce};

/// Who cancelled an order: CAT's `initiator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelInitiator {
    /// The customer (`C`).
    Customer,
    /// The firm, here the venue (`F`).
    Firm,
}

impl CancelInitiator {
    /// The CAT code, `C` or `F`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Customer => "C",
            Self::Firm => "F",
        }
    }
}

/// Why the ATS ended an order without filling it (`cancel_reason` of the
/// order events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
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

/// What an order's end means for CAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelTreatment {
    /// Report a `MEOC` with this initiator.
    Report(CancelInitiator),
    /// The `timeInForce` of the `MENO` already ends the order: nothing to
    /// report.
    ImpliedByTimeInForce,
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
    /// Why the order ended, for `cancelled` and `expired`.
    #[serde(default)]
    pub cancel_reason: Option<CancelReason>,
    /// Who cancelled, when stated outright; otherwise it follows from
    /// [`Self::cancel_reason`].
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
    /// The facility it was reported to (CAT `marketCenterID`).
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
    /// A reporter setting the spec or this venue cannot use.
    #[error("{field} {value:?}: {reason}")]
    InvalidSetting {
        /// The CAT field the setting fills.
        field: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
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
    /// A cancel whose initiator (customer or firm) is unknown.
    #[error(
        "order {0}: cancelled without cancel_reason, so CAT's required initiator (C customer or \
         F firm) is unknown"
    )]
    UnknownCancelInitiator(String),
    /// A trade with neither a tape report nor a reporting exception code.
    #[error(
        "trade {0}: no tapeTradeID from a FINRA facility and no CAT_REPORTING_EXCEPTION_CODE; a \
         CAT Trade event needs exactly one of them"
    )]
    NoTapeLink(String),
    /// A trade reported to a facility without naming the facility.
    #[error("trade {0}: a tapeTradeID needs its marketCenterID")]
    MissingMarketCenter(String),
    /// The record breaks a rule of the spec ([`validate`]).
    #[error("{record}: {problems}")]
    SpecViolation {
        /// The record (type and key).
        record: String,
        /// What is wrong, `; `-separated.
        problems: String,
    },
}

/// Reporter-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatConfig {
    /// The SRO-assigned IMID the firm reports under (e.g. `LQDY`).
    pub reporter_imid: String,
    /// `deptType`: `ATS` (default), `T` trading or `A` agency.
    pub dept_type: String,
    /// `accountHolderType`: `I` individual/non-institution, `A` institution, ...
    pub account_holder_type: String,
    /// `tradingSession`.
    pub trading_session: String,
    /// Trade `capacity`: `A` agency, `P` principal, `R` riskless principal.
    pub capacity: String,
    /// `reportingExceptionCode` for trades not reported to a FINRA facility:
    /// only `F` (reported on Form T) is accepted, see the module docs.
    pub reporting_exception_code: Option<String>,
}

/// The spec's code lists for the settings (schema `choices`).
const ACCOUNT_HOLDER_TYPES: [&str; 8] = ["A", "E", "F", "I", "O", "V", "P", "X"];
const TRADING_SESSIONS: [&str; 8] = [
    "FOR", "PRE", "PREREG", "REG", "REGPOST", "POST", "PREPOST", "ALL",
];
const CAPACITIES: [&str; 3] = ["A", "P", "R"];

impl CatConfig {
    /// Settings for the reporter `imid`, with the defaults documented on
    /// the module.
    pub fn new(imid: &str) -> Result<Self, CatError> {
        let config = Self {
            reporter_imid: imid.to_owned(),
            dept_type: "ATS".into(),
            account_holder_type: "I".into(),
            trading_session: "ALL".into(),
            capacity: "A".into(),
            reporting_exception_code: None,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting against the spec's code lists and what this
    /// venue can truthfully report.
    pub fn validate(&self) -> Result<(), CatError> {
        let imid = &self.reporter_imid;
        if imid.is_empty() || imid.len() > 7 || !imid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CatError::InvalidReporterImid(imid.clone()));
        }
        let refuse = |field, value: &str, reason| {
            Err(CatError::InvalidSetting {
                field,
                value: value.to_owned(),
                reason,
            })
        };
        match self.dept_type.as_str() {
            "ATS" | "T" | "A" => {}
            "DMA" | "SA" => {
                return refuse(
                    "deptType",
                    &self.dept_type,
                    "direct market and sponsored access route orders to other market centers; \
                     this venue does not route",
                );
            }
            "O" => {
                return refuse(
                    "deptType",
                    &self.dept_type,
                    "'O' is only for events followed by Internal Route Accepted events, which we \
                     never report",
                );
            }
            _ => return refuse("deptType", &self.dept_type, "one of ATS, T, A"),
        }
        if !ACCOUNT_HOLDER_TYPES.contains(&self.account_holder_type.as_str()) {
            return refuse(
                "accountHolderType",
                &self.account_holder_type,
                "one of A, E, F, I, O, V, P, X",
            );
        }
        if !TRADING_SESSIONS.contains(&self.trading_session.as_str()) {
            return refuse(
                "tradingSession",
                &self.trading_session,
                "one of FOR, PRE, PREREG, REG, REGPOST, POST, PREPOST, ALL",
            );
        }
        if !CAPACITIES.contains(&self.capacity.as_str()) {
            return refuse("capacity", &self.capacity, "one of A, P, R");
        }
        if let Some(code) = &self.reporting_exception_code {
            check_reporting_exception_code(code)?;
        }
        Ok(())
    }
}

/// Whether `code` may be the firm-wide `reportingExceptionCode` of trades
/// not reported to a FINRA facility (spec, Trade Event, "Reporting
/// Exception Codes").
pub fn check_reporting_exception_code(code: &str) -> Result<(), CatError> {
    let reason = match code {
        "F" => return Ok(()),
        "C" => {
            "'C' (contra side of a QSR or AGU report) requires clearingFirm, counterparty and \
             marketCenterID on every trade, which the ATS's trades do not carry"
        }
        "P" => {
            "'P' is for trades between desks of one firm with no change in beneficial ownership; \
             a trade between two investors changes beneficial ownership"
        }
        "N" => {
            "'N' is for trades executed by a non-FINRA member; an ATS is operated by a FINRA \
             member broker-dealer"
        }
        _ => {
            "not a CAT reportingExceptionCode (C, F, N, P); for an ATS trade not reported to a \
             FINRA facility only F (reported on Form T) applies"
        }
    };
    Err(CatError::InvalidSetting {
        field: "reportingExceptionCode",
        value: code.to_owned(),
        reason,
    })
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
    /// The firm did not solicit the order: `false`.
    #[serde(rename = "solicitationFlag")]
    pub solicitation_flag: bool,
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
    /// When the customer asked for the cancel (customer cancels only).
    #[serde(
        rename = "requestTimestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_timestamp: Option<String>,
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
    /// The facility, with a `tapeTradeID`.
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
    /// Not part of a multi-leg order: `false`.
    #[serde(rename = "multiLegInd")]
    pub multi_leg_ind: bool,
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

impl CatRecord {
    /// `MENO ord_…`, `MEOC ord_…` or `MEOT trd_…`: how errors name it.
    pub fn label(&self) -> String {
        match self {
            Self::NewOrder(r) => format!("MENO {}", r.order_id),
            Self::OrderCancelled(r) => format!("MEOC {}", r.order_id),
            Self::Trade(r) => format!("MEOT {}", r.trade_id),
        }
    }
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

/// The spec's numeric types bound the decimals: Price (10,8), Real Quantity
/// (12,6).
const PRICE_SCALE: u32 = 8;
const QUANTITY_SCALE: u32 = 6;

/// `d` with no more than `max_scale` decimals when that loses nothing
/// (`1.500000000` → `1.50000000`); otherwise `d` itself, which the checker
/// then refuses rather than have it rounded.
fn exact(d: Decimal, max_scale: u32) -> Decimal {
    if d.scale() > max_scale && d.normalize().scale() <= max_scale {
        d.round_dp(max_scale)
    } else {
        d
    }
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
            Some(exact(
                e.price
                    .ok_or_else(|| CatError::MissingPrice(e.order_id.clone()))?,
                PRICE_SCALE,
            )),
        ),
    };
    let mut handling = NameValuePairs::new();
    if matches!(e.order_type, OrderType::Stop | OrderType::StopLimit) {
        let stop = e
            .stop_price
            .ok_or_else(|| CatError::MissingStopPrice(e.order_id.clone()))?;
        handling.insert("STOP".into(), decimal_value(exact(stop, PRICE_SCALE)));
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
        solicitation_flag: false,
        side: e.side.into(),
        price,
        quantity: exact(e.quantity, QUANTITY_SCALE),
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

/// What CAT makes of a `cancelled` or `expired` order event (the table in
/// the module docs).
pub fn cancel_treatment(e: &OrderEvent) -> Result<CancelTreatment, CatError> {
    use CancelReason as R;
    use TimeInForce as T;
    let reason = e.cancel_reason.or(match e.kind {
        OrderEventKind::Expired => Some(R::Expired),
        _ => None,
    });
    let implied = match (reason, e.time_in_force) {
        // IOC (and FOK, reported as IOC) ends the order at once whatever
        // the venue's reason; a reason-less cancel of such an order is its
        // remainder too.
        (
            None | Some(R::ImmediateOrCancel | R::FillOrKill | R::NoLiquidity | R::Expired),
            T::Ioc | T::Fok,
        ) => true,
        (Some(R::Expired), T::Day) => true,
        _ => false,
    };
    if implied {
        return Ok(CancelTreatment::ImpliedByTimeInForce);
    }
    let initiator = match (e.cancel_initiator, reason) {
        (Some(who), _) => who,
        (None, Some(R::Requested)) => CancelInitiator::Customer,
        (None, Some(_)) => CancelInitiator::Firm,
        (None, None) => return Err(CatError::UnknownCancelInitiator(e.order_id.clone())),
    };
    Ok(CancelTreatment::Report(initiator))
}

/// The `MEOC` for a cancelled order: everything not filled is cancelled.
/// The initiator comes from [`cancel_treatment`] (or the event's explicit
/// one); this builds the record even for a cancel the time in force implies.
pub fn order_cancelled(config: &CatConfig, e: &OrderEvent) -> Result<CatOrderCancelled, CatError> {
    config.validate()?;
    let initiator = match cancel_treatment(e)? {
        CancelTreatment::Report(who) => who,
        CancelTreatment::ImpliedByTimeInForce => CancelInitiator::Firm,
    };
    let cancel_qty = exact(
        (e.quantity - e.filled_quantity).max(Decimal::ZERO),
        QUANTITY_SCALE,
    );
    let cancelled_at = cat_timestamp(e.event_time);
    Ok(CatOrderCancelled {
        action_type: "NEW".into(),
        firm_roe_id: firm_roe_id(e.event_time, &e.event_id),
        message_type: "MEOC".into(),
        cat_reporter_imid: config.reporter_imid.clone(),
        order_key_date: cat_timestamp(e.created_at),
        order_id: e.order_id.clone(),
        symbol: e.symbol.clone(),
        event_timestamp: cancelled_at.clone(),
        manual_flag: false,
        cancel_qty,
        leaves_qty: Decimal::ZERO,
        initiator: initiator.code().into(),
        // The ATS cancels within the customer's DELETE request, so the
        // request and the cancellation share the event's time.
        request_timestamp: (initiator == CancelInitiator::Customer).then_some(cancelled_at),
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
    let (tape_trade_id, market_center_id, reporting_exception_code) =
        match (&t.tape_trade_id, &config.reporting_exception_code) {
            (Some(id), _) => {
                let facility = t
                    .market_center_id
                    .clone()
                    .ok_or_else(|| CatError::MissingMarketCenter(t.trade_id.clone()))?;
                (Some(id.clone()), Some(facility), None)
            }
            (None, Some(code)) => (None, None, Some(code.clone())),
            (None, None) => return Err(CatError::NoTapeLink(t.trade_id.clone())),
        };
    let executed = cat_timestamp(t.executed_at);
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
        quantity: exact(t.quantity, QUANTITY_SCALE),
        price: exact(t.price, PRICE_SCALE),
        capacity: config.capacity.clone(),
        tape_trade_id,
        market_center_id,
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
        multi_leg_ind: false,
    })
}

/// Which record an order event leads to, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reportable {
    NewOrder,
    Cancel,
}

/// Whether an order event leads to a reportable record, and which.
pub(crate) fn reportable(e: &OrderEvent) -> Result<Option<Reportable>, CatError> {
    Ok(match e.kind {
        OrderEventKind::Accepted => Some(Reportable::NewOrder),
        OrderEventKind::Cancelled | OrderEventKind::Expired => match cancel_treatment(e)? {
            CancelTreatment::Report(_) => Some(Reportable::Cancel),
            CancelTreatment::ImpliedByTimeInForce => None,
        },
        OrderEventKind::Rejected => None,
    })
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

/// Refuses a record [`validate::check_record`] finds fault with.
fn checked(record: CatRecord) -> Result<CatRecord, CatError> {
    let value = serde_json::to_value(&record).map_err(|e| CatError::SpecViolation {
        record: record.label(),
        problems: e.to_string(),
    })?;
    let problems = validate::check_record(&value);
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(CatError::SpecViolation {
            record: record.label(),
            problems: problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// All CAT records for a batch of events (typically one Eastern Time day),
/// in event-time order, each checked by [`validate::check_record`]. Rejected
/// orders and cancels implied by the time in force produce nothing (see the
/// module documentation).
pub fn cat_records(
    config: &CatConfig,
    orders: &[OrderEvent],
    trades: &[TradeEvent],
) -> Result<Vec<CatRecord>, CatError> {
    config.validate()?;
    let keys = order_key_dates(orders);
    let mut out: Vec<(OffsetDateTime, CatRecord)> = Vec::new();
    for e in orders {
        match reportable(e)? {
            Some(Reportable::NewOrder) => out.push((
                e.created_at,
                checked(CatRecord::NewOrder(new_order(config, e)?))?,
            )),
            Some(Reportable::Cancel) => out.push((
                e.event_time,
                checked(CatRecord::OrderCancelled(order_cancelled(config, e)?))?,
            )),
            None => {}
        }
    }
    for t in trades {
        let (buy, sell) = trade_key_dates(t, &keys)?;
        out.push((
            t.executed_at,
            checked(CatRecord::Trade(trade(config, t, buy, sell)?))?,
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
