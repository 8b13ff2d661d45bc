//! Legacy OATS (Order Audit Trail System) records, from the same events.
//!
//! **OATS is retired.** FINRA retired OATS on 1 September 2021, once CAT
//! carried the same information (FINRA Rules 7410–7470 were retired with
//! it); nothing is reported to OATS any more. These records exist for
//! firms and auditors who still read the old layout, and for comparing
//! with historical data. Report with [`super::cat_records`].
//!
//! Records use the OATS Reporting Technical Specifications' field names
//! (`Record Type`, `Order Event Type Code`, ...), serialised as JSON
//! objects rather than the historical `#OE#`-delimited lines:
//!
//! * `NW` New Order Report for an accepted order;
//! * `CL` Cancel Report for a cancelled order (full cancel of what was
//!   left: `Cancel Type Flag` `F`; `Canceled By Flag` is CAT's initiator),
//!   for the same cancels as CAT's `MEOC` (not those the time in force
//!   implies);
//! * `EX` Execution Report for each order of a trade (two per trade).
//!
//! Values are the OATS text formats: timestamps `YYYYMMDDHHMMSSCCC` in
//! Eastern Time (milliseconds, as OATS accepted since 2016), decimals as
//! text, `Time in Force Code` as `DAY=YYYYMMDD` or `GTC`. IOC and FOK were
//! OATS Special Handling Codes, not times in force: such orders are
//! `DAY=<date>` with `Special Handling Code 1` `IOC`/`FOK`, and need no
//! Cancel Report (FINRA, OATS Report of April 2004). Conditional fields
//! without a value are omitted.
//!
//! Simplification: OATS limited `Order Receiving Firm Order ID` to 20
//! characters; longer platform ids are written as they are.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{CatError, OrderEvent, OrderType, Reportable, TimeInForce, TradeEvent, eastern};
use crate::common::Side;

/// Firm-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OatsConfig {
    /// The firm's MPID (4 capital letters).
    pub mpid: String,
    /// `Account Type Code`: `I` individual customer, `A` institutional, ...
    pub account_type_code: String,
    /// `Capacity Code` of executions: `A` agency.
    pub capacity_code: String,
    /// `Reporting Exception Code` of executions not reported to a FINRA facility.
    pub reporting_exception_code: Option<String>,
}

impl OatsConfig {
    /// Settings for `mpid` with the defaults above.
    pub fn new(mpid: &str) -> Result<Self, CatError> {
        let c = Self {
            mpid: mpid.to_owned(),
            account_type_code: "I".into(),
            capacity_code: "A".into(),
            reporting_exception_code: None,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks the MPID.
    pub fn validate(&self) -> Result<(), CatError> {
        let m = &self.mpid;
        if m.is_empty() || m.len() > 4 || !m.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CatError::InvalidMpid(m.clone()));
        }
        Ok(())
    }
}

/// `NW` — New Order Report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OatsNewOrder {
    /// `#OE#`.
    #[serde(rename = "Record Type")]
    pub record_type: String,
    /// `NW`.
    #[serde(rename = "Order Event Type Code")]
    pub order_event_type_code: String,
    /// `N` new.
    #[serde(rename = "Action Type Code")]
    pub action_type_code: String,
    /// The firm's MPID.
    #[serde(rename = "Order Receiving Firm MPID")]
    pub order_receiving_firm_mpid: String,
    /// When the order was received.
    #[serde(rename = "Order Receiving Firm Order Received Date")]
    pub order_received_date: String,
    /// Our order id.
    #[serde(rename = "Order Receiving Firm Order ID")]
    pub order_id: String,
    /// `E` electronic.
    #[serde(rename = "Received Method Code")]
    pub received_method_code: String,
    /// The symbol.
    #[serde(rename = "Issue Symbol ID")]
    pub issue_symbol_id: String,
    /// `B` or `SL`.
    #[serde(rename = "Buy/Sell Code")]
    pub buy_sell_code: String,
    /// Quantity.
    #[serde(rename = "Shares Quantity")]
    pub shares_quantity: String,
    /// Limit price, when there is one.
    #[serde(
        rename = "Limit Price",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub limit_price: Option<String>,
    /// Stop price, when there is one.
    #[serde(
        rename = "Stop Price",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_price: Option<String>,
    /// `DAY=YYYYMMDD` or `GTC`.
    #[serde(rename = "Time in Force Code")]
    pub time_in_force_code: String,
    /// `IOC` or `FOK`, when one applies.
    #[serde(
        rename = "Special Handling Code 1",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub special_handling_code_1: Option<String>,
    /// Account type.
    #[serde(rename = "Account Type Code")]
    pub account_type_code: String,
}

/// `CL` — Cancel Report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OatsCancel {
    /// `#OE#`.
    #[serde(rename = "Record Type")]
    pub record_type: String,
    /// `CL`.
    #[serde(rename = "Order Event Type Code")]
    pub order_event_type_code: String,
    /// `N` new.
    #[serde(rename = "Action Type Code")]
    pub action_type_code: String,
    /// The firm's MPID.
    #[serde(rename = "Order Receiving Firm MPID")]
    pub order_receiving_firm_mpid: String,
    /// When the order was received.
    #[serde(rename = "Order Receiving Firm Order Received Date")]
    pub order_received_date: String,
    /// Our order id.
    #[serde(rename = "Order Receiving Firm Order ID")]
    pub order_id: String,
    /// The symbol.
    #[serde(rename = "Issue Symbol ID")]
    pub issue_symbol_id: String,
    /// When the order was cancelled.
    #[serde(rename = "Order Cancel Timestamp")]
    pub order_cancel_timestamp: String,
    /// `F` full.
    #[serde(rename = "Cancel Type Flag")]
    pub cancel_type_flag: String,
    /// Quantity cancelled.
    #[serde(rename = "Canceled Quantity")]
    pub canceled_quantity: String,
    /// `C` customer or `F` firm.
    #[serde(rename = "Canceled By Flag")]
    pub canceled_by_flag: String,
}

/// `EX` — Execution Report (one per order of a trade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OatsExecution {
    /// `#OE#`.
    #[serde(rename = "Record Type")]
    pub record_type: String,
    /// `EX`.
    #[serde(rename = "Order Event Type Code")]
    pub order_event_type_code: String,
    /// `N` new.
    #[serde(rename = "Action Type Code")]
    pub action_type_code: String,
    /// The firm's MPID.
    #[serde(rename = "Order Receiving Firm MPID")]
    pub order_receiving_firm_mpid: String,
    /// When the executed order was received.
    #[serde(rename = "Order Receiving Firm Order Received Date")]
    pub order_received_date: String,
    /// The executed order.
    #[serde(rename = "Order Receiving Firm Order ID")]
    pub order_id: String,
    /// The symbol.
    #[serde(rename = "Issue Symbol ID")]
    pub issue_symbol_id: String,
    /// Execution time.
    #[serde(rename = "Execution Timestamp")]
    pub execution_timestamp: String,
    /// Link to the FINRA facility's trade report, when there is one.
    #[serde(
        rename = "Branch Sequence Number",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub branch_sequence_number: Option<String>,
    /// Quantity executed.
    #[serde(rename = "Execution Quantity")]
    pub execution_quantity: String,
    /// Price.
    #[serde(rename = "Execution Price")]
    pub execution_price: String,
    /// `A` agency.
    #[serde(rename = "Capacity Code")]
    pub capacity_code: String,
    /// `B` or `SL`.
    #[serde(rename = "Buy/Sell Code")]
    pub buy_sell_code: String,
    /// The facility, when reported to one.
    #[serde(
        rename = "Market Center ID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub market_center_id: Option<String>,
    /// Why there is no trade report, when there is none.
    #[serde(
        rename = "Reporting Exception Code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reporting_exception_code: Option<String>,
}

/// Any OATS record we produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OatsRecord {
    /// `NW`.
    NewOrder(OatsNewOrder),
    /// `CL`.
    Cancel(OatsCancel),
    /// `EX`.
    Execution(OatsExecution),
}

/// An OATS timestamp: `YYYYMMDDHHMMSSCCC` in Eastern Time.
pub fn oats_timestamp(t: OffsetDateTime) -> String {
    let et = eastern::to_eastern(t);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:03}",
        et.year(),
        u8::from(et.month()),
        et.day(),
        et.hour(),
        et.minute(),
        et.second(),
        et.millisecond()
    )
}

fn side_code(s: Side) -> String {
    match s {
        Side::Buy => "B".into(),
        Side::Sell => "SL".into(),
    }
}

const RECORD_TYPE: &str = "#OE#";

/// The `NW` for an accepted order.
pub fn new_order(config: &OatsConfig, e: &OrderEvent) -> Result<OatsNewOrder, CatError> {
    config.validate()?;
    let limit_price = match e.order_type {
        OrderType::Limit | OrderType::StopLimit => Some(
            e.price
                .ok_or_else(|| CatError::MissingPrice(e.order_id.clone()))?
                .to_string(),
        ),
        OrderType::Market | OrderType::Stop => None,
    };
    let stop_price = match e.order_type {
        OrderType::Stop | OrderType::StopLimit => Some(
            e.stop_price
                .ok_or_else(|| CatError::MissingStopPrice(e.order_id.clone()))?
                .to_string(),
        ),
        OrderType::Market | OrderType::Limit => None,
    };
    let day = format!(
        "DAY={}",
        eastern::date_number(eastern::eastern_date(e.created_at))
    );
    let (time_in_force_code, special) = match e.time_in_force {
        TimeInForce::Gtc => ("GTC".to_owned(), None),
        TimeInForce::Day => (day, None),
        TimeInForce::Ioc => (day, Some("IOC".to_owned())),
        TimeInForce::Fok => (day, Some("FOK".to_owned())),
    };
    Ok(OatsNewOrder {
        record_type: RECORD_TYPE.into(),
        order_event_type_code: "NW".into(),
        action_type_code: "N".into(),
        order_receiving_firm_mpid: config.mpid.clone(),
        order_received_date: oats_timestamp(e.created_at),
        order_id: e.order_id.clone(),
        received_method_code: "E".into(),
        issue_symbol_id: e.symbol.clone(),
        buy_sell_code: side_code(e.side),
        shares_quantity: e.quantity.to_string(),
        limit_price,
        stop_price,
        time_in_force_code,
        special_handling_code_1: special,
        account_type_code: config.account_type_code.clone(),
    })
}

/// The `CL` for a cancelled order; `Canceled By Flag` is CAT's initiator
/// ([`super::cancel_treatment`]).
pub fn cancel(config: &OatsConfig, e: &OrderEvent) -> Result<OatsCancel, CatError> {
    config.validate()?;
    let initiator = match super::cancel_treatment(e)? {
        super::CancelTreatment::Report(who) => who,
        super::CancelTreatment::ImpliedByTimeInForce => super::CancelInitiator::Firm,
    };
    Ok(OatsCancel {
        record_type: RECORD_TYPE.into(),
        order_event_type_code: "CL".into(),
        action_type_code: "N".into(),
        order_receiving_firm_mpid: config.mpid.clone(),
        order_received_date: oats_timestamp(e.created_at),
        order_id: e.order_id.clone(),
        issue_symbol_id: e.symbol.clone(),
        order_cancel_timestamp: oats_timestamp(e.event_time),
        cancel_type_flag: "F".into(),
        canceled_quantity: (e.quantity - e.filled_quantity)
            .max(Decimal::ZERO)
            .to_string(),
        canceled_by_flag: initiator.code().into(),
    })
}

/// The two `EX` (buy order first) for a trade.
pub fn executions(
    config: &OatsConfig,
    t: &TradeEvent,
    buy_order_created_at: OffsetDateTime,
    sell_order_created_at: OffsetDateTime,
) -> Result<[OatsExecution; 2], CatError> {
    config.validate()?;
    let one = |order_id: &str, received: OffsetDateTime, side: Side| OatsExecution {
        record_type: RECORD_TYPE.into(),
        order_event_type_code: "EX".into(),
        action_type_code: "N".into(),
        order_receiving_firm_mpid: config.mpid.clone(),
        order_received_date: oats_timestamp(received),
        order_id: order_id.to_owned(),
        issue_symbol_id: t.symbol.clone(),
        execution_timestamp: oats_timestamp(t.executed_at),
        branch_sequence_number: t.tape_trade_id.clone(),
        execution_quantity: t.quantity.to_string(),
        execution_price: t.price.to_string(),
        capacity_code: config.capacity_code.clone(),
        buy_sell_code: side_code(side),
        market_center_id: t.tape_trade_id.as_ref().and(t.market_center_id.clone()),
        reporting_exception_code: match t.tape_trade_id {
            Some(_) => None,
            None => config.reporting_exception_code.clone(),
        },
    };
    Ok([
        one(&t.buy_order_id, buy_order_created_at, Side::Buy),
        one(&t.sell_order_id, sell_order_created_at, Side::Sell),
    ])
}

/// All OATS records for a batch of events, in event-time order, with the
/// same exclusions as [`super::cat_records`].
pub fn oats_records(
    config: &OatsConfig,
    orders: &[OrderEvent],
    trades: &[TradeEvent],
) -> Result<Vec<OatsRecord>, CatError> {
    config.validate()?;
    let keys = super::order_key_dates(orders);
    let mut out: Vec<(OffsetDateTime, OatsRecord)> = Vec::new();
    for e in orders {
        match super::reportable(e)? {
            Some(Reportable::NewOrder) => {
                out.push((e.created_at, OatsRecord::NewOrder(new_order(config, e)?)))
            }
            Some(Reportable::Cancel) => {
                out.push((e.event_time, OatsRecord::Cancel(cancel(config, e)?)))
            }
            None => {}
        }
    }
    for t in trades {
        let (buy, sell) = super::trade_key_dates(t, &keys)?;
        for ex in executions(config, t, buy, sell)? {
            out.push((t.executed_at, OatsRecord::Execution(ex)));
        }
    }
    out.sort_by_key(|(at, _)| *at);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}
