//! Surveillance detectors: each fires above its threshold and not at it.

use std::collections::{BTreeSet, HashMap};

use compliance::surveillance::{
    AlertRule, DayVolume, ExecutedTrade, Severity, SurveillanceConfig, SurveillanceContext,
    detect_concentration, detect_concentration_on, detect_price_deviation, detect_wash_trade,
    surveil,
};
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::datetime;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn trade(id: &str, buyer: &str, seller: &str, qty: &str, price: &str) -> ExecutedTrade {
    ExecutedTrade {
        trade_id: id.to_owned(),
        asset_id: "ast_acme".to_owned(),
        price: d(price),
        quantity: d(qty),
        buyer_investor_id: buyer.to_owned(),
        seller_investor_id: seller.to_owned(),
        executed_at: datetime!(2025-06-15 15:00 UTC),
    }
}

fn owners(pairs: &[(&str, &[&str])]) -> HashMap<String, BTreeSet<String>> {
    pairs
        .iter()
        .map(|(inv, os)| {
            (
                (*inv).to_owned(),
                os.iter().map(|o| (*o).to_owned()).collect(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- wash trades

#[test]
fn same_investor_on_both_sides_is_a_wash_trade() {
    let t = trade("trd_1", "inv_a", "inv_a", "10", "5");
    let alert = detect_wash_trade(&t, &HashMap::new()).expect("alert");
    assert_eq!(alert.rule, AlertRule::WashTrade);
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(alert.investor_ids, vec!["inv_a".to_owned()]);
    assert_eq!(alert.details["basis"], "same_investor");
}

#[test]
fn shared_beneficial_owner_is_a_wash_trade() {
    let t = trade("trd_2", "inv_a", "inv_b", "10", "5");
    let bo = owners(&[("inv_a", &["bo_1", "bo_2"]), ("inv_b", &["bo_2", "bo_3"])]);
    let alert = detect_wash_trade(&t, &bo).expect("alert");
    assert_eq!(alert.details["basis"], "shared_beneficial_owner");
    assert_eq!(alert.details["shared_beneficial_owners"], json!(["bo_2"]));
    assert_eq!(
        alert.investor_ids,
        vec!["inv_a".to_owned(), "inv_b".to_owned()]
    );
}

#[test]
fn unrelated_investors_are_not_a_wash_trade() {
    let t = trade("trd_3", "inv_a", "inv_b", "10", "5");
    assert!(detect_wash_trade(&t, &HashMap::new()).is_none());
    let bo = owners(&[("inv_a", &["bo_1"]), ("inv_b", &["bo_3"])]);
    assert!(detect_wash_trade(&t, &bo).is_none());
    // Only one side declares owners.
    let bo = owners(&[("inv_a", &["bo_1"])]);
    assert!(detect_wash_trade(&t, &bo).is_none());
}

// ---------------------------------------------------------------- concentration

/// Nine trades of 10 between distinct pairs: 90 units, nobody above 25%.
fn quiet_day() -> Vec<ExecutedTrade> {
    (0..9)
        .map(|i| {
            trade(
                &format!("trd_q{i}"),
                &format!("inv_b{i}"),
                &format!("inv_s{i}"),
                "10",
                "5",
            )
        })
        .collect()
}

#[test]
fn a_day_kept_trade_by_trade_raises_what_the_whole_day_raises() {
    // Four investors trading among themselves (some with themselves), in uneven sizes: the
    // volume kept by adding each trade gives every alert the day's list gives, and no other.
    let cfg = SurveillanceConfig {
        concentration_min_trades: 3,
        concentration_min_daily_volume: d("20"),
        ..SurveillanceConfig::default()
    };
    let mut day: Vec<ExecutedTrade> = Vec::new();
    let mut kept = DayVolume::default();
    let mut raised = 0;
    for i in 0..200u32 {
        let buyer = format!("inv_{}", i % 4);
        let seller = format!("inv_{}", (i * 7 + 1) % 4 + u32::from(i % 11 == 0));
        let qty = Decimal::from(1 + (i * 13) % 17);
        let mut t = trade(&format!("trd_{i}"), &buyer, &seller, "1", "5");
        t.quantity = qty;
        let whole = detect_concentration(&t, &day, &cfg);
        let step = detect_concentration_on(&t, &kept, &cfg);
        assert_eq!(step, whole, "trade {i}");
        raised += whole.len();
        kept.add(&t);
        day.push(t);
    }
    assert_eq!(kept, DayVolume::of(day.iter()));
    assert!(
        raised > 0,
        "the day raises some alerts, so the comparison means something"
    );
}

#[test]
fn concentration_does_not_fire_on_the_first_trade_of_the_day() {
    let t = trade("trd_first", "inv_x", "inv_y", "1000", "5");
    assert!(detect_concentration(&t, &[], &SurveillanceConfig::default()).is_empty());
}

#[test]
fn concentration_fires_above_the_share_not_at_it() {
    let day = quiet_day();
    let cfg = SurveillanceConfig::default();
    // 30 of 120 units: exactly 25% for both the buyer and the seller.
    let at = trade("trd_x", "inv_x", "inv_y", "30", "5");
    assert!(detect_concentration(&at, &day, &cfg).is_empty());
    // 30.01 of 120.01: just above.
    let above = trade("trd_x", "inv_x", "inv_y", "30.01", "5");
    let alerts = detect_concentration(&above, &day, &cfg);
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].rule, AlertRule::Concentration);
    assert_eq!(alerts[0].investor_ids, vec!["inv_x".to_owned()]);
    assert_eq!(alerts[1].investor_ids, vec!["inv_y".to_owned()]);
    assert_eq!(alerts[0].severity, Severity::Medium);
    assert_eq!(alerts[0].details["daily_volume"], "120.01");
    assert_eq!(alerts[0].details["investor_volume"], "30.01");
    assert_eq!(alerts[0].details["counts"], "buy_and_sell");
    assert_eq!(alerts[0].details["trades_today"], 10);
}

#[test]
fn concentration_waits_for_the_minimum_trade_count() {
    let day: Vec<ExecutedTrade> = quiet_day().into_iter().take(8).collect();
    // Nine trades after this one: below the minimum of ten.
    let t = trade("trd_x", "inv_x", "inv_y", "500", "5");
    assert!(detect_concentration(&t, &day, &SurveillanceConfig::default()).is_empty());
    let lower = SurveillanceConfig {
        concentration_min_trades: 9,
        ..SurveillanceConfig::default()
    };
    assert_eq!(detect_concentration(&t, &day, &lower).len(), 2);
}

#[test]
fn concentration_waits_for_the_minimum_daily_volume() {
    let cfg = SurveillanceConfig {
        concentration_min_daily_volume: d("1000"),
        ..SurveillanceConfig::default()
    };
    let t = trade("trd_x", "inv_x", "inv_y", "500", "5");
    assert!(detect_concentration(&t, &quiet_day(), &cfg).is_empty());
    let big = trade("trd_x", "inv_x", "inv_y", "910", "5");
    assert_eq!(detect_concentration(&big, &quiet_day(), &cfg).len(), 2);
}

#[test]
fn concentration_fires_once_when_crossing_not_on_every_trade() {
    let mut day = quiet_day();
    day.push(trade("trd_x", "inv_x", "inv_y", "30.01", "5"));
    // inv_x was already concentrated before this trade: no new alert for it;
    // inv_z is small.
    let next = trade("trd_next", "inv_x", "inv_z", "5", "5");
    assert!(detect_concentration(&next, &day, &SurveillanceConfig::default()).is_empty());
}

#[test]
fn concentration_counts_buys_and_sells() {
    // inv_x buys 16 and sells 16 of a 122-unit day: 32/122 ≈ 26.2%.
    let mut day = quiet_day();
    day.push(trade("trd_buy", "inv_x", "inv_p", "16", "5"));
    let sell = trade("trd_sell", "inv_q", "inv_x", "16", "5");
    let alerts = detect_concentration(&sell, &day, &SurveillanceConfig::default());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].investor_ids, vec!["inv_x".to_owned()]);
    assert_eq!(alerts[0].details["investor_volume"], "32");
}

#[test]
fn concentration_ignores_other_assets_and_the_trade_itself_in_the_day_list() {
    let mut day = quiet_day();
    let mut other = trade("trd_o", "inv_x", "inv_y", "100000", "5");
    other.asset_id = "ast_other".into();
    day.push(other);
    let t = trade("trd_x", "inv_x", "inv_y", "30", "5");
    // Passing the trade itself in the day list does not count it twice.
    day.push(t.clone());
    assert!(detect_concentration(&t, &day, &SurveillanceConfig::default()).is_empty());
}

#[test]
fn concentration_severity_is_high_from_twice_the_share() {
    let t = trade("trd_x", "inv_x", "inv_y", "500", "5");
    let alerts = detect_concentration(&t, &quiet_day(), &SurveillanceConfig::default());
    assert!(alerts.iter().all(|a| a.severity == Severity::High));
}

// ---------------------------------------------------------------- price deviation

#[test]
fn price_deviation_fires_above_the_threshold_not_at_it() {
    let cfg = SurveillanceConfig::default();
    let prev = trade("trd_p", "inv_a", "inv_b", "1", "100.00");
    for (price, fires) in [
        ("110.00", false),
        ("110.01", true),
        ("109.99", false),
        ("90.00", false),
        ("89.99", true),
    ] {
        let t = trade("trd_n", "inv_c", "inv_d", "1", price);
        assert_eq!(
            detect_price_deviation(&t, Some(&prev), &cfg).is_some(),
            fires,
            "{price}"
        );
    }
}

#[test]
fn price_deviation_details_and_severity() {
    let cfg = SurveillanceConfig::default();
    let prev = trade("trd_p", "inv_a", "inv_b", "1", "100");
    let t = trade("trd_n", "inv_c", "inv_d", "1", "115");
    let alert = detect_price_deviation(&t, Some(&prev), &cfg).expect("alert");
    assert_eq!(alert.rule, AlertRule::PriceDeviation);
    assert_eq!(alert.severity, Severity::Medium);
    assert_eq!(alert.details["change"], "0.15");
    assert_eq!(alert.details["previous_price"], "100");
    assert_eq!(alert.details["previous_trade_id"], "trd_p");
    let big = trade("trd_n", "inv_c", "inv_d", "1", "121");
    assert_eq!(
        detect_price_deviation(&big, Some(&prev), &cfg).map(|a| a.severity),
        Some(Severity::High)
    );
}

#[test]
fn first_trade_has_nothing_to_deviate_from() {
    let t = trade("trd_n", "inv_c", "inv_d", "1", "1000");
    assert!(detect_price_deviation(&t, None, &SurveillanceConfig::default()).is_none());
}

#[test]
fn price_deviation_threshold_is_configurable() {
    let cfg = SurveillanceConfig {
        price_deviation: d("0.05"),
        ..SurveillanceConfig::default()
    };
    let prev = trade("trd_p", "inv_a", "inv_b", "1", "100");
    assert!(detect_price_deviation(&trade("t", "a", "b", "1", "105"), Some(&prev), &cfg).is_none());
    assert!(
        detect_price_deviation(&trade("t", "a", "b", "1", "105.01"), Some(&prev), &cfg).is_some()
    );
}

#[test]
fn price_deviation_beyond_decimal_range_is_an_alert_not_a_panic() {
    // The move from a tiny price to a large one does not fit in a Decimal (> 7.9e28).
    let cfg = SurveillanceConfig::default();
    let prev = trade(
        "trd_p",
        "inv_a",
        "inv_b",
        "1",
        "0.0000000000000000000000000001",
    );
    let t = trade(
        "trd_n",
        "inv_c",
        "inv_d",
        "1",
        "79228162514264337593543950335",
    );
    let alert = detect_price_deviation(&t, Some(&prev), &cfg).expect("alert");
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(alert.details["change"], "overflow");
    assert!(alert.message.contains("more than"), "{}", alert.message);
}

// ---------------------------------------------------------------- all together

#[test]
fn surveil_runs_every_detector() {
    let prev = trade("trd_p", "inv_a", "inv_b", "1", "100");
    let t = trade("trd_n", "inv_a", "inv_a", "1", "150");
    let ctx = SurveillanceContext {
        beneficial_owners: HashMap::new(),
        day: &DayVolume::default(),
        previous_trade: Some(&prev),
    };
    let alerts = surveil(&t, &ctx, &SurveillanceConfig::default());
    let rules: Vec<AlertRule> = alerts.iter().map(|a| a.rule).collect();
    assert_eq!(rules, vec![AlertRule::WashTrade, AlertRule::PriceDeviation]);
    let json = serde_json::to_value(&alerts[0]).expect("json");
    assert_eq!(json["rule"], "wash_trade");
    assert_eq!(json["severity"], "high");
    assert!(
        json["message"]
            .as_str()
            .is_some_and(|m| m.contains("inv_a"))
    );
}

#[test]
fn executed_trade_reads_the_api_trade_shape() {
    let t: ExecutedTrade = serde_json::from_value(json!({
        "id": "trd_9",
        "asset_id": "ast_acme",
        "price": "187.50",
        "quantity": 10,
        "buy_order_id": "ord_1",
        "sell_order_id": "ord_2",
        "buyer_investor_id": "inv_a",
        "seller_investor_id": "inv_b",
        "executed_at": "2025-06-15T15:00:00.123Z",
        "settlement_id": null
    }))
    .expect("trade");
    assert_eq!(t.trade_id, "trd_9");
    assert_eq!(t.price, d("187.50"));
}
