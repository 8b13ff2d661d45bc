//! CAT and OATS records: exact JSON for a new order, a cancel and a trade,
//! Eastern Time handling, exclusions and scope filtering.

use std::collections::HashSet;

use compliance::Side;
use compliance::cat::oats::{self, OatsConfig, oats_records};
use compliance::cat::{
    self, CancelReason, CatConfig, CatError, CatRecord, OrderEvent, OrderEventKind, OrderType,
    TimeInForce, TradeEvent, cat_records, cat_timestamp, eastern, filter_in_scope,
    firm_designated_id, firm_roe_id,
};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn cfg() -> CatConfig {
    CatConfig::new("LQDY").expect("valid IMID")
}

/// The firm reports the venue's trades on Form T.
fn form_t() -> CatConfig {
    CatConfig {
        reporting_exception_code: Some("F".into()),
        ..cfg()
    }
}

fn oats_cfg() -> OatsConfig {
    OatsConfig::new("LQDY").expect("valid MPID")
}

/// A day limit buy of 100 ACME at 187.50, received 09:30:00.123 ET.
fn accepted_limit_buy() -> OrderEvent {
    OrderEvent {
        event_id: "evt_001".into(),
        kind: OrderEventKind::Accepted,
        order_id: "ord_001".into(),
        symbol: "ACME".into(),
        investor_id: "inv_alice1".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Day,
        quantity: d("100"),
        price: Some(d("187.50")),
        stop_price: None,
        filled_quantity: Decimal::ZERO,
        created_at: datetime!(2025-03-17 13:30:00.123 UTC),
        event_time: datetime!(2025-03-17 13:30:00.130 UTC),
        cancel_reason: None,
        cancel_initiator: None,
    }
}

/// A GTC limit sell of 50, received 10:00 ET, accepted.
fn accepted_limit_sell() -> OrderEvent {
    OrderEvent {
        event_id: "evt_002".into(),
        kind: OrderEventKind::Accepted,
        order_id: "ord_002".into(),
        symbol: "ACME".into(),
        investor_id: "inv_bob".into(),
        side: Side::Sell,
        order_type: OrderType::Limit,
        time_in_force: TimeInForce::Gtc,
        quantity: d("50"),
        price: Some(d("187.50")),
        stop_price: None,
        filled_quantity: Decimal::ZERO,
        created_at: datetime!(2025-03-17 14:00 UTC),
        event_time: datetime!(2025-03-17 14:00:00.010 UTC),
        cancel_reason: None,
        cancel_initiator: None,
    }
}

/// The sell, cancelled at 15:45:10.500 ET after 20 were filled.
fn cancelled_sell() -> OrderEvent {
    OrderEvent {
        event_id: "evt_003".into(),
        kind: OrderEventKind::Cancelled,
        filled_quantity: d("20"),
        event_time: datetime!(2025-03-17 19:45:10.5 UTC),
        cancel_reason: Some(CancelReason::Requested),
        ..accepted_limit_sell()
    }
}

/// 20 ACME at 187.50 at 10:05:00.001 ET between the two orders.
fn executed_trade() -> TradeEvent {
    TradeEvent {
        event_id: "evt_004".into(),
        trade_id: "trd_001".into(),
        symbol: "ACME".into(),
        price: d("187.50"),
        quantity: d("20"),
        buy_order_id: "ord_001".into(),
        sell_order_id: "ord_002".into(),
        buy_order_created_at: None,
        sell_order_created_at: None,
        executed_at: datetime!(2025-03-17 14:05:00.001 UTC),
        tape_trade_id: None,
        market_center_id: None,
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialise")
}

// ---------------------------------------------------------------- CAT exact JSON

#[test]
fn meno_exact_json() {
    let meno = cat::new_order(&cfg(), &accepted_limit_buy()).expect("MENO");
    assert_eq!(
        json_of(&meno),
        concat!(
            r#"{"actionType":"NEW","firmROEID":"20250317_evt_001","type":"MENO","CATReporterIMID":"LQDY","#,
            r#""orderKeyDate":"20250317 093000.123","orderID":"ord_001","symbol":"ACME","#,
            r#""eventTimestamp":"20250317 093000.123","manualFlag":false,"electronicDupFlag":false,"#,
            r#""deptType":"ATS","solicitationFlag":false,"side":"B","price":187.50,"quantity":100,"orderType":"LMT","#,
            r#""timeInForce":{"DAY":20250317},"tradingSession":"ALL","custDspIntrFlag":false,"#,
            r#""firmDesignatedID":"invalice1","accountHolderType":"I","affiliateFlag":false,"#,
            r#""negotiatedTradeFlag":false,"representativeInd":"N"}"#
        )
    );
}

#[test]
fn meno_market_gtc_sell_omits_price() {
    let e = OrderEvent {
        order_type: OrderType::Market,
        price: None,
        ..accepted_limit_sell()
    };
    let v = serde_json::to_value(cat::new_order(&cfg(), &e).expect("MENO")).expect("json");
    assert_eq!(v["side"], "SL");
    assert_eq!(v["orderType"], "MKT");
    assert_eq!(v["timeInForce"], json!({"GTC": true}));
    assert!(v.get("price").is_none());
    assert!(v.get("handlingInstructions").is_none());
}

#[test]
fn meno_stop_orders_and_fill_or_kill() {
    let stop_limit_fok = OrderEvent {
        order_type: OrderType::StopLimit,
        time_in_force: TimeInForce::Fok,
        price: Some(d("181")),
        stop_price: Some(d("180.25")),
        ..accepted_limit_buy()
    };
    let v =
        serde_json::to_value(cat::new_order(&cfg(), &stop_limit_fok).expect("MENO")).expect("json");
    assert_eq!(v["orderType"], "LMT");
    assert_eq!(v["timeInForce"], json!({"IOC": true}));
    assert_eq!(
        serde_json::to_string(&v["handlingInstructions"]).expect("json"),
        r#"{"FOK":true,"STOP":180.25}"#
    );

    let stop = OrderEvent {
        order_type: OrderType::Stop,
        time_in_force: TimeInForce::Ioc,
        price: None,
        stop_price: Some(d("175")),
        ..accepted_limit_buy()
    };
    let v = serde_json::to_value(cat::new_order(&cfg(), &stop).expect("MENO")).expect("json");
    assert_eq!(v["orderType"], "MKT");
    assert!(v.get("price").is_none());
    assert_eq!(v["handlingInstructions"], json!({"STOP": 175}));
    assert_eq!(v["timeInForce"], json!({"IOC": true}));
}

#[test]
fn meno_refuses_orders_missing_their_prices() {
    let no_price = OrderEvent {
        price: None,
        ..accepted_limit_buy()
    };
    assert_eq!(
        cat::new_order(&cfg(), &no_price),
        Err(CatError::MissingPrice("ord_001".into()))
    );
    let no_stop = OrderEvent {
        order_type: OrderType::Stop,
        ..accepted_limit_buy()
    };
    assert_eq!(
        cat::new_order(&cfg(), &no_stop),
        Err(CatError::MissingStopPrice("ord_001".into()))
    );
}

#[test]
fn meoc_exact_json() {
    let meoc = cat::order_cancelled(&cfg(), &cancelled_sell()).expect("MEOC");
    assert_eq!(
        json_of(&meoc),
        concat!(
            r#"{"actionType":"NEW","firmROEID":"20250317_evt_003","type":"MEOC","CATReporterIMID":"LQDY","#,
            r#""orderKeyDate":"20250317 100000.000","orderID":"ord_002","symbol":"ACME","#,
            r#""eventTimestamp":"20250317 154510.500","manualFlag":false,"cancelQty":30,"leavesQty":0,"#,
            r#""initiator":"C","requestTimestamp":"20250317 154510.500"}"#
        )
    );
    let by_firm = OrderEvent {
        cancel_reason: Some(CancelReason::SelfTrade),
        ..cancelled_sell()
    };
    assert_eq!(
        cat::order_cancelled(&cfg(), &by_firm)
            .expect("MEOC")
            .initiator,
        "F"
    );
}

#[test]
fn meot_exact_json() {
    let meot = cat::trade(
        &form_t(),
        &executed_trade(),
        accepted_limit_buy().created_at,
        accepted_limit_sell().created_at,
    )
    .expect("MEOT");
    assert_eq!(
        json_of(&meot),
        concat!(
            r#"{"actionType":"NEW","firmROEID":"20250317_evt_004","type":"MEOT","CATReporterIMID":"LQDY","#,
            r#""tradeKeyDate":"20250317 100500.001","tradeID":"trd_001","symbol":"ACME","#,
            r#""eventTimestamp":"20250317 100500.001","manualFlag":false,"cancelFlag":false,"#,
            r#""quantity":20,"price":187.50,"capacity":"A","sideDetailsInd":"NA","#,
            r#""buyDetails":[{"orderKeyDate":"20250317 093000.123","orderID":"ord_001","side":"B"}],"#,
            r#""sellDetails":[{"orderKeyDate":"20250317 100000.000","orderID":"ord_002","side":"SL"}],"#,
            r#""reportingExceptionCode":"F","multiLegInd":false}"#
        )
    );
}

#[test]
fn meot_tape_link_or_reporting_exception() {
    let config = form_t();
    let buy = accepted_limit_buy().created_at;
    let sell = accepted_limit_sell().created_at;

    let v = serde_json::to_value(cat::trade(&config, &executed_trade(), buy, sell).expect("MEOT"))
        .expect("json");
    assert_eq!(v["reportingExceptionCode"], "F");
    assert!(v.get("tapeTradeID").is_none());

    let reported = TradeEvent {
        tape_trade_id: Some("T0000123".into()),
        market_center_id: Some("L".into()),
        ..executed_trade()
    };
    let v = serde_json::to_value(cat::trade(&config, &reported, buy, sell).expect("MEOT"))
        .expect("json");
    assert_eq!(v["tapeTradeID"], "T0000123");
    assert_eq!(v["marketCenterID"], "L");
    assert!(v.get("reportingExceptionCode").is_none());
}

#[test]
fn prices_and_quantities_keep_every_digit() {
    let e = OrderEvent {
        price: Some(d("0.00012345")),
        quantity: d("1234567.123456"),
        ..accepted_limit_buy()
    };
    let s = json_of(&cat::new_order(&cfg(), &e).expect("MENO"));
    assert!(
        s.contains(r#""price":0.00012345,"quantity":1234567.123456,"#),
        "{s}"
    );
}

// ---------------------------------------------------------------- batches

#[test]
fn cat_records_for_a_day() {
    let rejected = OrderEvent {
        event_id: "evt_010".into(),
        kind: OrderEventKind::Rejected,
        order_id: "ord_010".into(),
        ..accepted_limit_buy()
    };
    let expired = OrderEvent {
        event_id: "evt_011".into(),
        kind: OrderEventKind::Expired,
        order_id: "ord_011".into(),
        ..accepted_limit_buy()
    };
    let ioc_cancel = OrderEvent {
        event_id: "evt_012".into(),
        kind: OrderEventKind::Cancelled,
        order_id: "ord_012".into(),
        time_in_force: TimeInForce::Ioc,
        ..accepted_limit_buy()
    };
    // Out of time order on purpose.
    let orders = vec![
        cancelled_sell(),
        accepted_limit_sell(),
        rejected,
        expired,
        ioc_cancel,
        accepted_limit_buy(),
    ];
    let records = cat_records(&form_t(), &orders, &[executed_trade()]).expect("records");
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .map(|r| match r {
            CatRecord::NewOrder(r) => ("MENO", r.order_id.as_str()),
            CatRecord::OrderCancelled(r) => ("MEOC", r.order_id.as_str()),
            CatRecord::Trade(r) => ("MEOT", r.trade_id.as_str()),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("MENO", "ord_001"),
            ("MENO", "ord_002"),
            ("MEOT", "trd_001"),
            ("MEOC", "ord_002")
        ]
    );
    // Untagged: each record serialises as itself.
    let first = serde_json::to_value(&records[0]).expect("json");
    assert_eq!(first["type"], "MENO");
    // firmROEIDs are unique within the day.
    let ids: HashSet<String> = records
        .iter()
        .map(|r| {
            serde_json::to_value(r).expect("json")["firmROEID"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), records.len());
}

#[test]
fn trade_orders_received_on_an_earlier_day_need_their_key_date() {
    let err = cat_records(&form_t(), &[], &[executed_trade()]).expect_err("no key date");
    assert_eq!(
        err,
        CatError::MissingOrderKeyDate {
            trade_id: "trd_001".into(),
            order_id: "ord_001".into()
        }
    );
    let given = TradeEvent {
        buy_order_created_at: Some(datetime!(2025-03-10 14:00 UTC)),
        sell_order_created_at: Some(datetime!(2025-03-14 15:00 UTC)),
        ..executed_trade()
    };
    match &cat_records(&form_t(), &[], &[given]).expect("records")[0] {
        CatRecord::Trade(t) => {
            assert_eq!(t.buy_details[0].order_key_date, "20250310 100000.000");
            assert_eq!(t.sell_details[0].order_key_date, "20250314 110000.000");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn filter_keeps_in_scope_symbols_only() {
    let other = OrderEvent {
        symbol: "PRIV".into(),
        ..accepted_limit_buy()
    };
    let other_trade = TradeEvent {
        symbol: "PRIV".into(),
        ..executed_trade()
    };
    let scope: HashSet<String> = ["ACME".to_owned()].into_iter().collect();
    let (orders, trades) = filter_in_scope(
        &scope,
        &[accepted_limit_buy(), other],
        &[executed_trade(), other_trade],
    );
    assert_eq!(orders.len(), 1);
    assert_eq!(trades.len(), 1);
    assert!(orders.iter().all(|o| o.symbol == "ACME"));
    assert!(trades.iter().all(|t| t.symbol == "ACME"));
}

#[test]
fn reporter_imid_is_the_imid_not_crd_imid() {
    assert_eq!(
        CatConfig::new("123:LQDY"),
        Err(CatError::InvalidReporterImid("123:LQDY".into()))
    );
    assert!(CatConfig::new("LQDYXYZW").is_err());
    assert!(CatConfig::new("").is_err());
    assert!(CatConfig::new("LQDY").is_ok());
    assert!(OatsConfig::new("lqdy").is_err());
    assert!(OatsConfig::new("LQDYX").is_err());
}

#[test]
fn order_event_reads_the_ats_event_shape() {
    let e: OrderEvent = serde_json::from_value(json!({
        "event_id": "evt_001",
        "type": "order.accepted",
        "order_id": "ord_001",
        "symbol": "ACME",
        "account_id": "inv_alice1",
        "side": "buy",
        "order_type": "limit",
        "time_in_force": "day",
        "quantity": 100,
        "price": "187.50",
        "created_at": "2025-03-17T13:30:00.123Z",
        "event_time": "2025-03-17T13:30:00.130Z"
    }))
    .expect("event");
    assert_eq!(e, accepted_limit_buy());
    let t: TradeEvent = serde_json::from_value(json!({
        "event_id": "evt_004",
        "id": "trd_001",
        "symbol": "ACME",
        "price": 187.50,
        "quantity": "20",
        "buy_order_id": "ord_001",
        "sell_order_id": "ord_002",
        "executed_at": "2025-03-17T10:05:00.001-04:00"
    }))
    .expect("trade");
    assert_eq!(t, executed_trade());
}

// ---------------------------------------------------------------- Eastern Time

fn ts(t: OffsetDateTime) -> String {
    cat_timestamp(t)
}

#[test]
fn eastern_time_across_daylight_saving_changes() {
    // 2025: DST from 9 March 07:00 UTC to 2 November 06:00 UTC.
    assert_eq!(
        ts(datetime!(2025-03-09 06:59:59.999 UTC)),
        "20250309 015959.999"
    );
    assert_eq!(ts(datetime!(2025-03-09 07:00 UTC)), "20250309 030000.000");
    assert_eq!(
        ts(datetime!(2025-11-02 05:59:59 UTC)),
        "20251102 015959.000"
    );
    assert_eq!(ts(datetime!(2025-11-02 06:00 UTC)), "20251102 010000.000");
    assert_eq!(
        ts(datetime!(2025-01-15 14:30:00.5 UTC)),
        "20250115 093000.500"
    );
    assert_eq!(ts(datetime!(2024-07-04 16:00 UTC)), "20240704 120000.000");
    // Before 2007: first Sunday of April to last Sunday of October.
    assert_eq!(ts(datetime!(2006-03-20 12:00 UTC)), "20060320 070000.000");
    assert_eq!(ts(datetime!(2006-04-02 07:00 UTC)), "20060402 030000.000");
    assert_eq!(ts(datetime!(2006-10-29 05:59 UTC)), "20061029 015900.000");
    assert_eq!(ts(datetime!(2006-10-29 06:00 UTC)), "20061029 010000.000");
    // Sub-millisecond digits are dropped, not rounded.
    assert_eq!(
        ts(datetime!(2025-01-15 14:30:00.123999 UTC)),
        "20250115 093000.123"
    );
    // Non-UTC inputs are converted.
    assert_eq!(
        ts(datetime!(2025-01-15 15:30 +01:00)),
        "20250115 093000.000"
    );
}

#[test]
fn the_event_date_is_the_eastern_date() {
    // 02:00 UTC on the 18th is 22:00 on the 17th in New York.
    let t = datetime!(2025-03-18 02:00 UTC);
    assert_eq!(firm_roe_id(t, "evt_9"), "20250317_evt_9");
    assert_eq!(eastern::date_number(eastern::eastern_date(t)), 20250317);
    let late_day_order = OrderEvent {
        created_at: t,
        ..accepted_limit_buy()
    };
    let v =
        serde_json::to_value(cat::new_order(&cfg(), &late_day_order).expect("MENO")).expect("json");
    assert_eq!(v["timeInForce"], json!({"DAY": 20250317}));
    assert_eq!(v["firmROEID"], "20250317_evt_001");
}

#[test]
fn fdid_keeps_letters_and_digits() {
    assert_eq!(firm_designated_id("inv_a1-b2.c3"), "inva1b2c3");
    assert_eq!(firm_designated_id(&"x".repeat(60)).len(), 40);
}

// ---------------------------------------------------------------- OATS

#[test]
fn oats_new_order_exact_json() {
    let nw = oats::new_order(&oats_cfg(), &accepted_limit_buy()).expect("NW");
    assert_eq!(
        json_of(&nw),
        concat!(
            r##"{"Record Type":"#OE#","Order Event Type Code":"NW","Action Type Code":"N","##,
            r#""Order Receiving Firm MPID":"LQDY","Order Receiving Firm Order Received Date":"20250317093000123","#,
            r#""Order Receiving Firm Order ID":"ord_001","Received Method Code":"E","Issue Symbol ID":"ACME","#,
            r#""Buy/Sell Code":"B","Shares Quantity":"100","Limit Price":"187.50","#,
            r#""Time in Force Code":"DAY=20250317","Account Type Code":"I"}"#
        )
    );
    let gtc_market_sell = OrderEvent {
        order_type: OrderType::Market,
        price: None,
        ..accepted_limit_sell()
    };
    let v = serde_json::to_value(oats::new_order(&oats_cfg(), &gtc_market_sell).expect("NW"))
        .expect("json");
    assert_eq!(v["Time in Force Code"], "GTC");
    assert_eq!(v["Buy/Sell Code"], "SL");
    assert!(v.get("Limit Price").is_none());
    let fok = OrderEvent {
        time_in_force: TimeInForce::Fok,
        ..accepted_limit_buy()
    };
    let v = serde_json::to_value(oats::new_order(&oats_cfg(), &fok).expect("NW")).expect("json");
    assert_eq!(v["Special Handling Code 1"], "FOK");
    assert_eq!(v["Time in Force Code"], "DAY=20250317");
}

#[test]
fn oats_cancel_exact_json() {
    let cl = oats::cancel(&oats_cfg(), &cancelled_sell()).expect("CL");
    assert_eq!(
        json_of(&cl),
        concat!(
            r##"{"Record Type":"#OE#","Order Event Type Code":"CL","Action Type Code":"N","##,
            r#""Order Receiving Firm MPID":"LQDY","Order Receiving Firm Order Received Date":"20250317100000000","#,
            r#""Order Receiving Firm Order ID":"ord_002","Issue Symbol ID":"ACME","#,
            r#""Order Cancel Timestamp":"20250317154510500","Cancel Type Flag":"F","Canceled Quantity":"30","#,
            r#""Canceled By Flag":"C"}"#
        )
    );
}

#[test]
fn oats_execution_exact_json() {
    let [buy, sell] = oats::executions(
        &oats_cfg(),
        &executed_trade(),
        accepted_limit_buy().created_at,
        accepted_limit_sell().created_at,
    )
    .expect("EX");
    assert_eq!(
        json_of(&buy),
        concat!(
            r##"{"Record Type":"#OE#","Order Event Type Code":"EX","Action Type Code":"N","##,
            r#""Order Receiving Firm MPID":"LQDY","Order Receiving Firm Order Received Date":"20250317093000123","#,
            r#""Order Receiving Firm Order ID":"ord_001","Issue Symbol ID":"ACME","#,
            r#""Execution Timestamp":"20250317100500001","Execution Quantity":"20","Execution Price":"187.50","#,
            r#""Capacity Code":"A","Buy/Sell Code":"B"}"#
        )
    );
    assert_eq!(sell.order_id, "ord_002");
    assert_eq!(sell.buy_sell_code, "SL");
    assert_eq!(sell.order_received_date, "20250317100000000");
}

#[test]
fn oats_records_for_a_day() {
    let orders = vec![
        cancelled_sell(),
        accepted_limit_sell(),
        accepted_limit_buy(),
    ];
    let records = oats_records(&oats_cfg(), &orders, &[executed_trade()]).expect("records");
    let codes: Vec<String> = records
        .iter()
        .map(|r| {
            serde_json::to_value(r).expect("json")["Order Event Type Code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(codes, vec!["NW", "NW", "EX", "EX", "CL"]);
}
