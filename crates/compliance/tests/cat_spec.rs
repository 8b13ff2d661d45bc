//! CAT records against the spec (v4.1.0 r15): the checker on hand-written
//! records (so it is known to catch what an audit of the BD's output found),
//! then a realistic day of the ATS through the builders, every record
//! checked, and the events the spec leaves no valid record for refused.

use std::collections::HashMap;

use compliance::Side;
use compliance::cat::validate::{check_day, check_record};
use compliance::cat::{
    CancelReason, CatConfig, CatError, CatRecord, OrderEvent, OrderEventKind, OrderType,
    TimeInForce, TradeEvent, cat_records, check_reporting_exception_code,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

// ------------------------------------------------------------ the checker

/// A valid MENO, written by hand from the spec's field table.
fn meno() -> Value {
    json!({
        "actionType": "NEW", "firmROEID": "20250317_O1", "type": "MENO",
        "CATReporterIMID": "LQDY", "orderKeyDate": "20250317 093000.123", "orderID": "O1",
        "symbol": "ACME", "eventTimestamp": "20250317 093000.123", "manualFlag": false,
        "electronicDupFlag": false, "deptType": "ATS", "solicitationFlag": false, "side": "B",
        "price": 10.5, "quantity": 100, "orderType": "LMT", "timeInForce": {"DAY": 20250317},
        "tradingSession": "ALL", "custDspIntrFlag": false, "firmDesignatedID": "ACCT1",
        "accountHolderType": "I", "affiliateFlag": false, "negotiatedTradeFlag": false,
        "representativeInd": "N"
    })
}

fn meoc() -> Value {
    json!({
        "actionType": "NEW", "firmROEID": "20250317_C1", "type": "MEOC",
        "CATReporterIMID": "LQDY", "orderKeyDate": "20250317 093000.123", "orderID": "O1",
        "symbol": "ACME", "eventTimestamp": "20250317 100000.000", "manualFlag": false,
        "cancelQty": 100, "leavesQty": 0, "initiator": "C",
        "requestTimestamp": "20250317 100000.000"
    })
}

fn meot() -> Value {
    json!({
        "actionType": "NEW", "firmROEID": "20250317_T1", "type": "MEOT",
        "CATReporterIMID": "LQDY", "tradeKeyDate": "20250317 100500.001", "tradeID": "T1",
        "symbol": "ACME", "eventTimestamp": "20250317 100500.001", "manualFlag": false,
        "cancelFlag": false, "quantity": 20, "price": 10.5, "capacity": "A",
        "sideDetailsInd": "NA",
        "buyDetails": [{"orderKeyDate": "20250317 093000.123", "orderID": "O1", "side": "B"}],
        "sellDetails": [{"orderKeyDate": "20250317 094000.000", "orderID": "O2", "side": "SL"}],
        "reportingExceptionCode": "F", "multiLegInd": false
    })
}

fn with(mut v: Value, changes: Value) -> Value {
    for (k, x) in changes.as_object().expect("object") {
        if x.is_null() {
            v.as_object_mut().expect("object").remove(k);
        } else {
            v[k] = x.clone();
        }
    }
    v
}

/// The fields the checker complains about.
fn faults(v: &Value) -> Vec<String> {
    check_record(v).into_iter().map(|x| x.field).collect()
}

#[track_caller]
fn refused(v: Value, field: &str) {
    let f = faults(&v);
    assert!(f.iter().any(|x| x == field), "{field} not flagged: {f:?}");
}

#[test]
fn hand_written_records_pass() {
    for r in [meno(), meoc(), meot()] {
        assert_eq!(check_record(&r), vec![], "{r}");
    }
    // The tape-reported form of the trade.
    let reported = with(
        meot(),
        json!({"reportingExceptionCode": null, "tapeTradeID": "B1234567", "marketCenterID": "O"}),
    );
    assert_eq!(check_record(&reported), vec![]);
    // REC C with what it needs; the `T` form and nanoseconds of Timestamp.
    let contra = with(
        meot(),
        json!({"reportingExceptionCode": "C", "marketCenterID": "L", "clearingFirm": 123,
               "counterparty": "456:ABCD", "eventTimestamp": "20250317T100500.001000001",
               "tradeKeyDate": 1742220300001000001u64}),
    );
    assert_eq!(check_record(&contra), vec![]);
}

#[test]
fn what_the_audit_found_is_caught() {
    refused(
        with(meno(), json!({"solicitationFlag": null})),
        "solicitationFlag",
    );
    refused(with(meot(), json!({"multiLegInd": null})), "multiLegInd");
    refused(
        with(meot(), json!({"reportingExceptionCode": null})),
        "tapeTradeID",
    );
    refused(
        with(meot(), json!({"tapeTradeID": "B1", "marketCenterID": "O"})),
        "reportingExceptionCode",
    );
    refused(
        with(meot(), json!({"reportingExceptionCode": "Z"})),
        "reportingExceptionCode",
    );
    let c = with(meot(), json!({"reportingExceptionCode": "C"}));
    for f in ["clearingFirm", "counterparty", "marketCenterID"] {
        refused(c.clone(), f);
    }
    refused(with(meot(), json!({"clearingFirm": 123})), "clearingFirm");
    refused(
        with(
            meot(),
            json!({"reportingExceptionCode": null, "tapeTradeID": "B1"}),
        ),
        "marketCenterID",
    );
    refused(
        with(
            meot(),
            json!({"reportingExceptionCode": null, "tapeTradeID": "B1", "marketCenterID": "TRF"}),
        ),
        "marketCenterID",
    );
}

#[test]
fn formats() {
    // Timestamps: the spec's string form in Eastern Time, to the millisecond
    // at least for electronic events; not RFC 3339.
    for bad in [
        "2025-03-17T09:30:00Z",
        "20250317 093000",
        "20250317 093000.1",
        "20250317 253000.000",
        "20250230 093000.000",
        "20250317 093000.1234567890",
        "20250317-093000.000",
    ] {
        refused(
            with(meno(), json!({"eventTimestamp": bad})),
            "eventTimestamp",
        );
    }
    // A manual event may be timestamped to the second.
    let manual = with(
        meno(),
        json!({"manualFlag": true, "eventTimestamp": "20250317 093000"}),
    );
    assert_eq!(check_record(&manual), vec![]);
    // IMID forms: CATReporterIMID is the IMID alone, counterparty CRD:IMID.
    for bad in ["123:LQDY", "LQDYXYZW", "", "LQ-DY"] {
        refused(
            with(meno(), json!({"CATReporterIMID": bad})),
            "CATReporterIMID",
        );
    }
    let contra = with(
        meot(),
        json!({"reportingExceptionCode": "C", "marketCenterID": "L", "clearingFirm": 1}),
    );
    refused(
        with(contra.clone(), json!({"counterparty": "ABCD"})),
        "counterparty",
    );
    refused(
        with(contra, json!({"counterparty": "12345678:ABCDEFGH"})),
        "counterparty",
    );
    // Alphanumeric and Text lengths.
    refused(with(meno(), json!({"seqNum": "A".repeat(41)})), "seqNum");
    refused(with(meno(), json!({"seqNum": "12-3"})), "seqNum");
    assert_eq!(
        check_record(&with(meno(), json!({"seqNum": "A".repeat(40)}))),
        vec![]
    );
    refused(
        with(meno(), json!({"firmDesignatedID": "x".repeat(41)})),
        "firmDesignatedID",
    );
    refused(with(meno(), json!({"orderID": "o".repeat(65)})), "orderID");
    refused(with(meno(), json!({"symbol": "S".repeat(23)})), "symbol");
    // Price (10,8) and Real Quantity (12,6), read digit by digit.
    let num = |s: &str| -> Value { serde_json::from_str(s).expect("number") };
    refused(with(meno(), json!({"price": num("12345678901")})), "price");
    refused(with(meno(), json!({"price": num("1.123456789")})), "price");
    assert_eq!(
        check_record(&with(meno(), json!({"price": num("1234567890.12345678")}))),
        vec![]
    );
    refused(
        with(meno(), json!({"quantity": num("1.1234567")})),
        "quantity",
    );
    refused(with(meno(), json!({"quantity": num("-5")})), "quantity");
    refused(with(meno(), json!({"quantity": "100"})), "quantity");
    // Codes.
    refused(with(meno(), json!({"side": "S"})), "side");
    refused(with(meno(), json!({"deptType": "X"})), "deptType");
    refused(with(meoc(), json!({"initiator": "customer"})), "initiator");
    refused(
        with(meot(), json!({"sideDetailsInd": "BOTH"})),
        "sideDetailsInd",
    );
    // Name/value pairs.
    refused(
        with(meno(), json!({"timeInForce": {"GTC": false}})),
        "timeInForce.GTC",
    );
    refused(
        with(meno(), json!({"timeInForce": {"DAY": "20250317"}})),
        "timeInForce.DAY",
    );
    refused(
        with(meno(), json!({"timeInForce": {"FOK": true}})),
        "timeInForce.FOK",
    );
    refused(
        with(
            meno(),
            json!({"timeInForce": {"DAY": 20250317, "GTC": true}}),
        ),
        "timeInForce",
    );
    refused(
        with(meno(), json!({"handlingInstructions": {"STOP": true}})),
        "handlingInstructions.STOP",
    );
    assert_eq!(
        check_record(&with(
            meno(),
            json!({"handlingInstructions": {"STOP": 9.5, "FOK": true}, "timeInForce": {"IOC": true}})
        )),
        vec![]
    );
}

#[test]
fn conditions_between_fields() {
    refused(with(meno(), json!({"price": null})), "price");
    refused(with(meno(), json!({"orderType": "MKT"})), "price");
    refused(
        with(meno(), json!({"firmROEID": "20250318_O1"})),
        "firmROEID",
    );
    refused(with(meno(), json!({"firmROEID": "O1"})), "firmROEID");
    refused(with(meno(), json!({"errorROEID": 5})), "errorROEID");
    refused(
        with(
            meno(),
            json!({"electronicTimestamp": "20250317 093001.000"}),
        ),
        "electronicTimestamp",
    );
    refused(with(meno(), json!({"workingPrice": 10})), "workingPrice");
    refused(with(meno(), json!({"nbbPrice": 10})), "nbbPrice");
    refused(
        with(meno(), json!({"nbboSource": "NA", "nbbPrice": 10})),
        "nbbPrice",
    );
    refused(
        with(meno(), json!({"aggregatedOrders": [{"orderID": "X"}]})),
        "aggregatedOrders",
    );
    refused(with(meno(), json!({"unknownField": 1})), "unknownField");
    refused(with(meno(), json!({"price": Value::Null})), "price");
    let mut with_null = meno();
    with_null["RFQID"] = Value::Null;
    refused(with_null, "RFQID");
    // MEOC: a request does not follow its cancel.
    refused(
        with(meoc(), json!({"requestTimestamp": "20250317 100000.001"})),
        "requestTimestamp",
    );
    // MEOT: side details as sideDetailsInd says, one order each, different orders.
    refused(
        with(meot(), json!({"sideDetailsInd": "BUY"})),
        "sellDetails",
    );
    refused(with(meot(), json!({"sellDetails": null})), "sellDetails");
    refused(
        with(
            meot(),
            json!({"sellDetails": [{"orderKeyDate": "20250317 093000.123", "orderID": "O1", "side": "SL"}]}),
        ),
        "buyDetails",
    );
    refused(
        with(
            meot(),
            json!({"buyDetails": [{"orderKeyDate": "20250317 093000.123", "orderID": "O1", "side": "SL"}]}),
        ),
        "buyDetails[0].side",
    );
    refused(
        with(
            meot(),
            json!({"buyDetails": [{"orderKeyDate": "20250317 093000.123", "orderID": "O1", "side": "B", "firmDesignatedID": "A1"}]}),
        ),
        "buyDetails[0].firmDesignatedID",
    );
    refused(with(meot(), json!({"cancelFlag": true})), "cancelTimestamp");
    refused(with(meot(), json!({"quoteID": "Q"})), "quoteID");
}

#[test]
fn a_day_links_cancels_and_trades_to_their_orders() {
    let o2 = with(
        meno(),
        json!({"firmROEID": "20250317_O2", "orderID": "O2", "side": "SL",
               "orderKeyDate": "20250317 094000.000", "eventTimestamp": "20250317 094000.000"}),
    );
    assert_eq!(check_day(&[meno(), o2.clone(), meot(), meoc()]), vec![]);
    // A trade naming an order of the day that has no MENO.
    let faults: Vec<String> = check_day(&[meno(), meot()])
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    assert!(
        faults
            .iter()
            .any(|f| f.contains("sellDetails") && f.contains("no MENO")),
        "{faults:?}"
    );
    // Duplicate firmROEID, and more cancelled than ordered.
    let over = with(meoc(), json!({"cancelQty": 80, "leavesQty": 30}));
    let faults: Vec<String> = check_day(&[meno(), over.clone(), over])
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    assert!(faults.iter().any(|f| f.contains("firmROEID")), "{faults:?}");
    assert!(faults.iter().any(|f| f.contains("more than")), "{faults:?}");
    // An order received on an earlier day is not in this day's file.
    let earlier = with(meoc(), json!({"orderKeyDate": "20250314 093000.000"}));
    assert_eq!(check_day(&[earlier]), vec![]);
}

// ------------------------------------------------------- a day of the ATS

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn form_t() -> CatConfig {
    CatConfig {
        reporting_exception_code: Some("F".into()),
        ..CatConfig::new("LQDY").expect("IMID")
    }
}

/// 2026-03-10, daylight time: 09:30 ET is 13:30 UTC.
fn at(minutes: i64) -> OffsetDateTime {
    datetime!(2026-03-10 13:30 UTC) + Duration::minutes(minutes)
}

struct Day {
    orders: Vec<OrderEvent>,
    trades: Vec<TradeEvent>,
    next: u32,
}

impl Day {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_{:032x}", self.next)
    }

    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        side: Side,
        order_type: OrderType,
        tif: TimeInForce,
        qty: &str,
        price: Option<&str>,
        stop: Option<&str>,
        minute: i64,
    ) -> OrderEvent {
        let e = OrderEvent {
            event_id: self.id("evt"),
            kind: OrderEventKind::Accepted,
            order_id: self.id("ord"),
            symbol: "ACME".into(),
            investor_id: format!("inv_{:032x}", minute),
            side,
            order_type,
            time_in_force: tif,
            quantity: d(qty),
            price: price.map(d),
            stop_price: stop.map(d),
            filled_quantity: Decimal::ZERO,
            created_at: at(minute),
            event_time: at(minute),
            cancel_reason: None,
            cancel_initiator: None,
        };
        self.orders.push(e.clone());
        e
    }

    fn end(
        &mut self,
        order: &OrderEvent,
        kind: OrderEventKind,
        reason: Option<CancelReason>,
        filled: &str,
        minute: i64,
    ) {
        let e = OrderEvent {
            event_id: self.id("evt"),
            kind,
            filled_quantity: d(filled),
            event_time: at(minute),
            cancel_reason: reason,
            ..order.clone()
        };
        self.orders.push(e);
    }

    fn trade(&mut self, buy: &OrderEvent, sell: &OrderEvent, qty: &str, price: &str, minute: i64) {
        let t = TradeEvent {
            event_id: self.id("evt"),
            trade_id: self.id("trd"),
            symbol: "ACME".into(),
            price: d(price),
            quantity: d(qty),
            buy_order_id: buy.order_id.clone(),
            sell_order_id: sell.order_id.clone(),
            buy_order_created_at: Some(buy.created_at),
            sell_order_created_at: Some(sell.created_at),
            executed_at: at(minute),
            tape_trade_id: None,
            market_center_id: None,
        };
        self.trades.push(t);
    }
}

use CancelReason as R;
use OrderEventKind as K;
use OrderType as OT;
use Side::{Buy, Sell};
use TimeInForce as TIF;

/// A day with every order type and time in force, and every way an order
/// ends. Answers the day and, per order id, the MEOC initiator expected
/// (`None`: no MEOC).
fn realistic_day() -> (Day, HashMap<String, Option<&'static str>>) {
    let mut day = Day {
        orders: Vec::new(),
        trades: Vec::new(),
        next: 0,
    };
    let mut meoc = HashMap::new();
    // Every type × time in force, resting or not: a market order of each
    // time in force, limits, stops and stop-limits.
    let mut minute = 0;
    for tif in [TIF::Gtc, TIF::Day, TIF::Ioc, TIF::Fok] {
        for (ot, price, stop) in [
            (OT::Market, None, None),
            (OT::Limit, Some("10.25"), None),
            (OT::Stop, None, Some("9.75")),
            (OT::StopLimit, Some("9.70"), Some("9.75")),
        ] {
            minute += 1;
            let o = day.accept(Buy, ot, tif, "10", price, stop, minute);
            meoc.insert(o.order_id, None);
        }
    }
    // A resting limit sell, partly filled by a market buy, then cancelled by
    // its owner.
    let rest = day.accept(Sell, OT::Limit, TIF::Gtc, "100", Some("10.30"), None, 30);
    let mkt = day.accept(Buy, OT::Market, TIF::Gtc, "40", None, None, 31);
    day.trade(&mkt, &rest, "40", "10.30", 31);
    day.end(&rest, K::Cancelled, Some(R::Requested), "40", 45);
    meoc.insert(rest.order_id.clone(), Some("C"));
    meoc.insert(mkt.order_id.clone(), None);
    // Self-trade prevention: the investor's resting sell is cancelled by the
    // venue when the same investor's buy arrives; the buy then rests.
    let resting = day.accept(Sell, OT::Limit, TIF::Day, "5", Some("10.40"), None, 50);
    let mut own_buy = day.accept(Buy, OT::Limit, TIF::Day, "5", Some("10.40"), None, 51);
    own_buy.investor_id = resting.investor_id.clone();
    day.end(&resting, K::Cancelled, Some(R::SelfTrade), "0", 51);
    meoc.insert(resting.order_id.clone(), Some("F"));
    // A gtc market order with nothing to match: the venue kills it (F); an
    // IOC market order the same way: its time in force says so (no MEOC).
    let empty = day.accept(Sell, OT::Market, TIF::Gtc, "7", None, None, 60);
    day.end(&empty, K::Cancelled, Some(R::NoLiquidity), "0", 60);
    meoc.insert(empty.order_id.clone(), Some("F"));
    let empty_ioc = day.accept(Sell, OT::Market, TIF::Ioc, "7", None, None, 61);
    day.end(&empty_ioc, K::Cancelled, Some(R::NoLiquidity), "0", 61);
    meoc.insert(empty_ioc.order_id.clone(), None);
    // An IOC buy partly filled, its remainder cancelled; a FOK killed.
    let seller = day.accept(Sell, OT::Limit, TIF::Gtc, "3", Some("10.50"), None, 70);
    let ioc = day.accept(Buy, OT::Limit, TIF::Ioc, "8", Some("10.50"), None, 71);
    day.trade(&ioc, &seller, "3", "10.50", 71);
    day.end(&ioc, K::Cancelled, Some(R::ImmediateOrCancel), "3", 71);
    meoc.insert(ioc.order_id.clone(), None);
    meoc.insert(seller.order_id.clone(), None);
    let fok = day.accept(Buy, OT::Limit, TIF::Fok, "50", Some("10.50"), None, 72);
    day.end(&fok, K::Cancelled, Some(R::FillOrKill), "0", 72);
    meoc.insert(fok.order_id.clone(), None);
    // Day orders at the close: as order.expired and as order.cancelled
    // `expired`; neither reported. A GTC order "expired" would be: F.
    let day1 = day.accept(Buy, OT::Limit, TIF::Day, "2", Some("9.00"), None, 80);
    day.end(&day1, K::Expired, None, "0", 390);
    let day2 = day.accept(
        Sell,
        OT::StopLimit,
        TIF::Day,
        "2",
        Some("11"),
        Some("11.1"),
        81,
    );
    day.end(&day2, K::Cancelled, Some(R::Expired), "0", 390);
    let odd = day.accept(Sell, OT::Limit, TIF::Gtc, "2", Some("12"), None, 82);
    day.end(&odd, K::Expired, Some(R::Expired), "0", 390);
    meoc.insert(day1.order_id, None);
    meoc.insert(day2.order_id, None);
    meoc.insert(odd.order_id, Some("F"));
    // A rejected order: nothing.
    let rejected = day.accept(Buy, OT::Limit, TIF::Gtc, "1", Some("1"), None, 90);
    day.orders.last_mut().expect("order").kind = K::Rejected;
    meoc.insert(rejected.order_id, None);
    // Fractional quantities and fine prices, within the spec's digits.
    let frac_buy = day.accept(
        Buy,
        OT::Limit,
        TIF::Gtc,
        "0.123456",
        Some("0.00012345"),
        None,
        100,
    );
    let frac_sell = day.accept(
        Sell,
        OT::Limit,
        TIF::Gtc,
        "0.123456",
        Some("0.00012345"),
        None,
        101,
    );
    day.trade(&frac_buy, &frac_sell, "0.123456", "0.00012345", 101);
    meoc.insert(frac_buy.order_id, None);
    meoc.insert(frac_sell.order_id, None);
    // A trade of an order received yesterday.
    let mut yesterday = day.accept(Sell, OT::Limit, TIF::Gtc, "5", Some("10.20"), None, 110);
    day.orders.pop();
    yesterday.created_at = at(110) - Duration::days(1);
    let buyer = day.accept(Buy, OT::Market, TIF::Day, "5", None, None, 111);
    day.trade(&buyer, &yesterday, "5", "10.20", 111);
    meoc.insert(buyer.order_id, None);
    (day, meoc)
}

#[test]
fn a_realistic_day_is_valid_record_by_record_and_as_a_day() {
    let (day, expected_meoc) = realistic_day();
    let records = cat_records(&form_t(), &day.orders, &day.trades).expect("records");
    let json: Vec<Value> = records
        .iter()
        .map(|r| serde_json::to_value(r).expect("json"))
        .collect();
    let faults = check_day(&json);
    assert!(faults.is_empty(), "{faults:#?}");

    // One MENO per accepted order, one MEOT per trade.
    let accepted = day
        .orders
        .iter()
        .filter(|o| o.kind == OrderEventKind::Accepted)
        .count();
    let count = |t: &str| json.iter().filter(|r| r["type"] == t).count();
    assert_eq!(count("MENO"), accepted);
    assert_eq!(count("MEOT"), day.trades.len());
    // MEOCs exactly where expected, with the expected initiator.
    let meocs: HashMap<String, String> = records
        .iter()
        .filter_map(|r| match r {
            CatRecord::OrderCancelled(c) => Some((c.order_id.clone(), c.initiator.clone())),
            _ => None,
        })
        .collect();
    for (order, initiator) in &expected_meoc {
        assert_eq!(
            meocs.get(order).map(String::as_str),
            *initiator,
            "order {order}"
        );
    }
    assert_eq!(meocs.len(), expected_meoc.values().flatten().count());
    // The customer's cancel carries its request time; the venue's do not.
    for r in &json {
        if r["type"] == "MEOC" {
            assert_eq!(
                r["initiator"] == "C",
                r.get("requestTimestamp").is_some(),
                "{r}"
            );
        }
        if r["type"] == "MEOT" {
            assert_eq!(r["reportingExceptionCode"], "F");
            assert_eq!(r["multiLegInd"], false);
        }
        if r["type"] == "MENO" {
            assert_eq!(r["solicitationFlag"], false);
            assert_eq!(r["deptType"], "ATS");
        }
    }
    // Stops: MKT/LMT with the STOP handling instruction; FOK as IOC + FOK.
    let stop = json
        .iter()
        .find(|r| r["type"] == "MENO" && r["handlingInstructions"]["STOP"].is_number())
        .expect("a stop order");
    assert!(stop["orderType"] == "MKT" || stop["orderType"] == "LMT");
    let fok = json
        .iter()
        .find(|r| r["handlingInstructions"]["FOK"] == true)
        .expect("a FOK order");
    assert_eq!(fok["timeInForce"], json!({"IOC": true}));
}

#[test]
fn a_trade_reported_to_a_facility_carries_its_tape_id_instead() {
    let (mut day, _) = realistic_day();
    for t in &mut day.trades {
        t.tape_trade_id = Some("B0000123".into());
        t.market_center_id = Some("O".into());
    }
    // Even without a firm-wide exception code.
    let config = CatConfig::new("LQDY").expect("IMID");
    let records = cat_records(&config, &day.orders, &day.trades).expect("records");
    let json: Vec<Value> = records
        .iter()
        .map(|r| serde_json::to_value(r).expect("json"))
        .collect();
    assert_eq!(check_day(&json), vec![]);
    for r in json.iter().filter(|r| r["type"] == "MEOT") {
        assert_eq!(r["tapeTradeID"], "B0000123");
        assert_eq!(r["marketCenterID"], "O");
        assert!(r.get("reportingExceptionCode").is_none());
    }
}

// -------------------------------------------- what has no valid record

#[test]
fn a_trade_with_neither_tape_id_nor_code_is_refused() {
    let (day, _) = realistic_day();
    let config = CatConfig::new("LQDY").expect("IMID");
    let err = cat_records(&config, &day.orders, &day.trades).expect_err("no tape link");
    assert!(matches!(err, CatError::NoTapeLink(_)), "{err}");
    assert!(err.to_string().contains("CAT_REPORTING_EXCEPTION_CODE"));

    let mut t = day.trades[0].clone();
    t.tape_trade_id = Some("B1".into());
    let err = cat_records(&form_t(), &day.orders, &[t.clone()]).expect_err("no facility");
    assert_eq!(err, CatError::MissingMarketCenter(t.trade_id.clone()));
    // A facility the spec does not know: the checker stops the record.
    t.market_center_id = Some("TRF".into());
    let err = cat_records(&form_t(), &day.orders, &[t]).expect_err("bad facility");
    assert!(
        matches!(&err, CatError::SpecViolation { problems, .. } if problems.contains("marketCenterID")),
        "{err}"
    );
}

#[test]
fn only_form_t_is_a_firm_wide_reporting_exception_code() {
    assert_eq!(check_reporting_exception_code("F"), Ok(()));
    for (code, why) in [
        ("C", "clearingFirm"),
        ("P", "beneficial ownership"),
        ("N", "non-FINRA"),
        ("f", "C, F, N, P"),
        ("", "C, F, N, P"),
    ] {
        let err = check_reporting_exception_code(code).expect_err(code);
        assert!(err.to_string().contains(why), "{code}: {err}");
        let config = CatConfig {
            reporting_exception_code: Some(code.into()),
            ..CatConfig::new("LQDY").expect("IMID")
        };
        assert!(config.validate().is_err());
    }
    for (dept, ok) in [
        ("ATS", true),
        ("T", true),
        ("A", true),
        ("O", false),
        ("DMA", false),
    ] {
        let config = CatConfig {
            dept_type: dept.into(),
            ..CatConfig::new("LQDY").expect("IMID")
        };
        assert_eq!(config.validate().is_ok(), ok, "{dept}");
    }
    let config = CatConfig {
        capacity: "X".into(),
        ..CatConfig::new("LQDY").expect("IMID")
    };
    assert!(config.validate().is_err());
}

#[test]
fn a_cancel_without_its_reason_is_not_guessed() {
    let (mut day, _) = realistic_day();
    let cancel = day
        .orders
        .iter_mut()
        .find(|o| o.cancel_reason == Some(CancelReason::Requested))
        .expect("a customer cancel");
    cancel.cancel_reason = None;
    let order_id = cancel.order_id.clone();
    let err = cat_records(&form_t(), &day.orders, &day.trades).expect_err("unknown initiator");
    assert_eq!(err, CatError::UnknownCancelInitiator(order_id));
    // An IOC remainder needs no reason: its time in force ends it.
    let (mut day, _) = realistic_day();
    for o in &mut day.orders {
        if o.cancel_reason == Some(CancelReason::ImmediateOrCancel) {
            o.cancel_reason = None;
        }
    }
    assert!(cat_records(&form_t(), &day.orders, &day.trades).is_ok());
}

proptest! {
    /// Whatever the amounts, a record leaves the builders only if the
    /// checker accepts it: amounts the spec's numeric types cannot carry
    /// (more than 8 price decimals, 6 quantity decimals, 10/12 integer
    /// digits) are refused as SpecViolation, never written.
    #[test]
    fn amounts_are_written_or_refused_never_wrong(
        price_units in 1u64..=99_999_999_999_999u64,
        price_scale in 0u32..=10,
        qty_units in 1u64..=999_999_999_999_999u64,
        qty_scale in 0u32..=8,
        tif in prop::sample::select(vec![TIF::Gtc, TIF::Day, TIF::Ioc, TIF::Fok]),
        ot in prop::sample::select(vec![OT::Market, OT::Limit, OT::Stop, OT::StopLimit]),
    ) {
        let price = Decimal::from_i128_with_scale(i128::from(price_units), price_scale);
        let qty = Decimal::from_i128_with_scale(i128::from(qty_units), qty_scale);
        let mut day = Day { orders: Vec::new(), trades: Vec::new(), next: 0 };
        let p = price.to_string();
        let q = qty.to_string();
        let has_price = matches!(ot, OT::Limit | OT::StopLimit);
        let has_stop = matches!(ot, OT::Stop | OT::StopLimit);
        let buy = day.accept(Buy, ot, tif, &q, has_price.then_some(p.as_str()), has_stop.then_some(p.as_str()), 1);
        let sell = day.accept(Sell, OT::Limit, TIF::Gtc, &q, Some(&p), None, 2);
        day.trade(&buy, &sell, &q, &p, 2);
        match cat_records(&form_t(), &day.orders, &day.trades) {
            Ok(records) => {
                let json: Vec<Value> = records.iter().map(|r| serde_json::to_value(r).expect("json")).collect();
                prop_assert_eq!(check_day(&json), vec![]);
                prop_assert_eq!(json.len(), 3);
            }
            Err(CatError::SpecViolation { problems, .. }) => {
                prop_assert!(problems.contains("price") || problems.contains("quantity") || problems.contains("STOP"), "{}", problems);
                let fits = |d: Decimal, int: u32, frac: u32| {
                    d.normalize().scale() <= frac && d.trunc().to_string().trim_start_matches('0').len() as u32 <= int
                };
                prop_assert!(!(fits(price, 10, 8) && fits(qty, 12, 6)), "refused {price} x {qty}");
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}
