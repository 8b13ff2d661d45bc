//! Trading with the real BD and TA in the loop: matching as API.md describes it.

#![allow(clippy::unwrap_used)]

mod common;

use common::{dec, delete, get, limit, market, stack};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn a_crossing_pair_trades_once_at_the_resting_price(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "1000").await;

    let sell = s
        .placed(limit(&asset, &seller, "sell", "100", "10.00"))
        .await;
    assert_eq!(sell["status"], "open", "{sell}");
    assert_eq!(dec(&sell["remaining_quantity"]), "100");
    let buy = s.placed(limit(&asset, &buyer, "buy", "100", "11.00")).await;
    assert_eq!(buy["status"], "filled", "{buy}");
    assert_eq!(dec(&buy["filled_quantity"]), "100");
    assert_eq!(dec(&buy["remaining_quantity"]), "0");
    assert_eq!(
        dec(&buy["average_fill_price"]),
        "10",
        "the resting order's price"
    );
    assert!(
        buy["check_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("chk_")),
        "the BD's pre-trade check is kept on the order: {buy}"
    );

    let sell = s.get_order(sell["id"].as_str().unwrap()).await;
    assert_eq!(sell["status"], "filled");

    let (st, trades) = get(&s.ats, &format!("/v1/trades?asset_id={asset}"), "acme/vic").await;
    assert_eq!(st, 200, "{trades}");
    let trades = trades["data"].as_array().unwrap().clone();
    assert_eq!(trades.len(), 1, "{trades:?}");
    let t = &trades[0];
    assert_eq!(dec(&t["price"]), "10");
    assert_eq!(dec(&t["quantity"]), "100");
    assert_eq!(t["buy_order_id"], buy["id"]);
    assert_eq!(t["sell_order_id"], sell["id"]);
    assert_eq!(t["buyer_investor_id"], buyer.as_str());
    assert_eq!(t["seller_investor_id"], seller.as_str());
    assert_eq!(t["aggressor_side"], "buy");

    let stl = t["settlement_id"].as_str().unwrap();
    let (st, settlement) = get(&s.ats, &format!("/v1/settlements/{stl}"), "acme/vic").await;
    assert_eq!(st, 200, "{settlement}");
    assert_eq!(settlement["status"], "pending");
    assert_eq!(settlement["trade_id"], t["id"]);
    assert_eq!(settlement["attempts"], 0);

    let book = s.book(&asset).await;
    assert_eq!(book["bids"], json!([]));
    assert_eq!(book["asks"], json!([]));
    assert_eq!(dec(&book["last_trade_price"]), "10");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn partial_fills_rest_and_cancel_takes_the_rest(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "1000").await;

    let sell = s
        .placed(limit(&asset, &seller, "sell", "100", "10.00"))
        .await;
    let buy = s.placed(limit(&asset, &buyer, "buy", "40", "10.00")).await;
    assert_eq!(buy["status"], "filled");
    let id = sell["id"].as_str().unwrap();
    let sell = s.get_order(id).await;
    assert_eq!(sell["status"], "partially_filled", "{sell}");
    assert_eq!(dec(&sell["filled_quantity"]), "40");
    assert_eq!(dec(&sell["remaining_quantity"]), "60");
    let book = s.book(&asset).await;
    assert_eq!(book["asks"].as_array().unwrap().len(), 1, "{book}");
    assert_eq!(dec(&book["asks"][0]["quantity"]), "60");
    assert_eq!(book["asks"][0]["orders"], 1);

    let (st, cancelled) = delete(&s.ats, &format!("/v1/orders/{id}"), "acme/alice").await;
    assert_eq!(st, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "requested");
    assert_eq!(dec(&cancelled["filled_quantity"]), "40", "fills stay");
    assert_eq!(dec(&cancelled["remaining_quantity"]), "0");
    assert_eq!(s.book(&asset).await["asks"], json!([]));

    let again = delete(&s.ats, &format!("/v1/orders/{id}"), "acme/alice").await;
    testkit::assert_error(&again, 409, "INVALID_STATE");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn price_then_time_priority(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let (a, b, c) = (
        s.investor("acme", "Ann Early").await,
        s.investor("acme", "Ben Later").await,
        s.investor("acme", "Cat Cheaper").await,
    );
    let buyer = s.investor("acme", "Bob Buyer").await;
    for who in [&a, &b, &c] {
        s.issue("acme", &asset, who, "1000").await;
    }
    let early = s.placed(limit(&asset, &a, "sell", "50", "10.00")).await;
    let later = s.placed(limit(&asset, &b, "sell", "50", "10.00")).await;
    let cheaper = s.placed(limit(&asset, &c, "sell", "50", "9.50")).await;

    let buy = s.placed(limit(&asset, &buyer, "buy", "80", "10.00")).await;
    assert_eq!(buy["status"], "filled");
    // 50 at 9.50 (the better price first), then 30 from the earlier of the two at 10.
    assert_eq!(
        dec(&buy["average_fill_price"]),
        "9.6875",
        "(50 × 9.50 + 30 × 10) / 80"
    );
    assert_eq!(
        s.get_order(cheaper["id"].as_str().unwrap()).await["status"],
        "filled"
    );
    let e = s.get_order(early["id"].as_str().unwrap()).await;
    assert_eq!(dec(&e["filled_quantity"]), "30", "{e}");
    let l = s.get_order(later["id"].as_str().unwrap()).await;
    assert_eq!(l["status"], "open", "{l}");

    let (_, trades) = get(
        &s.ats,
        &format!("/v1/trades?order_id={}", buy["id"].as_str().unwrap()),
        "acme/vic",
    )
    .await;
    let prices: Vec<String> = trades["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["price"]))
        .collect();
    // Newest first.
    assert_eq!(prices, ["10", "9.5"]);
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn market_ioc_and_fok_never_rest(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    s.issue("acme", &asset, &seller, "1000").await;

    // Nothing to match: cancelled, never rests.
    let m = s.placed(market(&asset, &buyer, "buy", "10")).await;
    assert_eq!(m["status"], "cancelled", "{m}");
    assert_eq!(m["cancel_reason"], "no_liquidity");
    assert_eq!(dec(&m["filled_quantity"]), "0");

    s.placed(limit(&asset, &seller, "sell", "30", "10.00"))
        .await;
    // A market order takes what there is and cancels the rest.
    let m = s.placed(market(&asset, &buyer, "buy", "50")).await;
    assert_eq!(m["status"], "cancelled", "{m}");
    assert_eq!(dec(&m["filled_quantity"]), "30");
    assert_eq!(m["cancel_reason"], "no_liquidity");

    s.placed(limit(&asset, &seller, "sell", "30", "10.00"))
        .await;
    let mut ioc = limit(&asset, &buyer, "buy", "50", "10.00");
    ioc["time_in_force"] = json!("ioc");
    let ioc = s.placed(ioc).await;
    assert_eq!(ioc["status"], "cancelled");
    assert_eq!(ioc["cancel_reason"], "immediate_or_cancel");
    assert_eq!(dec(&ioc["filled_quantity"]), "30");

    let rest = s
        .placed(limit(&asset, &seller, "sell", "30", "10.00"))
        .await;
    let mut fok = limit(&asset, &buyer, "buy", "50", "10.00");
    fok["time_in_force"] = json!("fok");
    let fok = s.placed(fok).await;
    assert_eq!(fok["status"], "cancelled");
    assert_eq!(fok["cancel_reason"], "fill_or_kill");
    assert_eq!(dec(&fok["filled_quantity"]), "0", "all or nothing");
    assert_eq!(
        s.get_order(rest["id"].as_str().unwrap()).await["status"],
        "open"
    );
    let mut fok = limit(&asset, &buyer, "buy", "30", "10.00");
    fok["time_in_force"] = json!("fok");
    let fok = s.placed(fok).await;
    assert_eq!(fok["status"], "filled");
    assert_eq!(s.book(&asset).await["asks"], json!([]));
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn stops_wait_for_a_trade_at_their_price(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let seller = s.investor("acme", "Sally Seller").await;
    let buyer = s.investor("acme", "Bob Buyer").await;
    let stopper = s.investor("acme", "Stu Stop").await;
    s.issue("acme", &asset, &seller, "1000").await;

    s.placed(limit(&asset, &seller, "sell", "10", "10.00"))
        .await;
    s.placed(limit(&asset, &seller, "sell", "10", "11.00"))
        .await;
    let stop = s
        .placed(
            json!({"asset_id": asset, "investor_id": stopper, "side": "buy",
                        "order_type": "stop", "stop_price": "10.00", "quantity": "5"}),
        )
        .await;
    // No trade yet: held off the book.
    assert_eq!(stop["status"], "open", "{stop}");
    let book = s.book(&asset).await;
    assert_eq!(book["bids"], json!([]), "a held stop is not on the book");

    // A trade at 10 triggers it: it buys at market (the next ask, 11... after the 10 level
    // is taken by the trigger itself).
    s.placed(limit(&asset, &buyer, "buy", "10", "10.00")).await;
    let stop = s.get_order(stop["id"].as_str().unwrap()).await;
    assert_eq!(stop["status"], "filled", "{stop}");
    assert_eq!(dec(&stop["average_fill_price"]), "11");

    let (st, v) = s
        .order(
            "acme/alice",
            json!({"asset_id": asset, "investor_id": stopper, "side": "buy",
                   "order_type": "stop_limit", "stop_price": "12.00", "quantity": "5"}),
        )
        .await;
    assert_eq!(st, 400, "a stop-limit needs its limit price: {v}");
    assert!(v["error"]["details"]["fields"]["price"].is_string(), "{v}");
}

#[sqlx::test(migrator = "ats::MIGRATOR")]
async fn an_investor_never_trades_with_itself(pool: PgPool) {
    let s = stack(pool).await;
    let asset = s.listed_asset("acme", "reg_d_506b").await;
    let trader = s.investor("acme", "Wash Trader").await;
    s.issue("acme", &asset, &trader, "1000").await;
    let sell = s
        .placed(limit(&asset, &trader, "sell", "10", "10.00"))
        .await;
    let buy = s.placed(limit(&asset, &trader, "buy", "10", "10.00")).await;
    assert_eq!(buy["status"], "open", "{buy}");
    let sell = s.get_order(sell["id"].as_str().unwrap()).await;
    assert_eq!(sell["status"], "cancelled", "{sell}");
    assert_eq!(sell["cancel_reason"], "self_trade");
    let (_, trades) = get(&s.ats, "/v1/trades", "acme/vic").await;
    assert_eq!(trades["data"], json!([]));
}
