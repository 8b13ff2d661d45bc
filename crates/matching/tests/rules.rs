//! Each rule of the engine and its boundaries, through the public API.

mod common;

use common::*;
use matching::{
    Book, CancelReason, Command, Depth, Event, LevelView, OpenOrder, OrderId, OrderKind, OrderType,
    OwnerId, Reject, RestoreError, Side, Snapshot, TimeInForce,
};

use CancelReason::{FillOrKill, ImmediateOrCancel, NoLiquidity, Requested, SelfTrade};
use Side::{Buy, Sell};
use TimeInForce::{Day, Fok, Gtc, Ioc};

fn market(n: u128, who: u128, side: Side, tif: TimeInForce, quantity: u64) -> Command {
    place(n, who, side, OrderKind::Market, tif, quantity)
}

fn limit_tif(n: u128, who: u128, side: Side, price: i64, tif: TimeInForce, q: u64) -> Command {
    place(n, who, side, OrderKind::Limit { price }, tif, q)
}

fn stop(n: u128, who: u128, side: Side, stop: i64, q: u64) -> Command {
    place(n, who, side, OrderKind::Stop { stop }, Gtc, q)
}

fn stop_limit(n: u128, who: u128, side: Side, stop: i64, price: i64, q: u64) -> Command {
    place(n, who, side, OrderKind::StopLimit { stop, price }, Gtc, q)
}

fn ids(book: &Book, side: Side) -> Vec<(u128, i64, u64)> {
    book.resting(side)
        .map(|o| {
            (
                o.id.0,
                o.kind.limit_price().unwrap_or_default(),
                o.remaining,
            )
        })
        .collect()
}

// ----- crossing, partial fills, priority ------------------------------------------------------

#[test]
fn a_crossing_pair_trades_at_the_resting_price() {
    let mut book = Book::new();
    assert_eq!(run(&mut book, &[sell(1, 10, 100, 5)]), vec![accepted(1, 1)]);
    // A buy at 103 meets the ask at 100: the trade is at the maker's 100.
    let events = run(&mut book, &[buy(2, 20, 103, 5)]);
    assert_eq!(
        events,
        vec![accepted(2, 2), trade((2, 20), (1, 10), 100, 5, 0, 0)]
    );
    assert!(book.is_empty());
    assert_eq!(book.last_trade_price(), Some(100));

    // And the other way: a sell at 90 meets the bid at 99, trading at 99.
    run(&mut book, &[buy(3, 10, 99, 2)]);
    let events = run(&mut book, &[sell(4, 20, 90, 2)]);
    assert_eq!(events[1], trade((4, 20), (3, 10), 99, 2, 0, 0));
    assert_eq!(book.last_trade_price(), Some(99));
}

#[test]
fn orders_that_do_not_cross_rest() {
    let mut book = Book::new();
    run(&mut book, &[buy(1, 1, 99, 5), sell(2, 2, 100, 5)]);
    assert_eq!(book.best_bid(), Some(99));
    assert_eq!(book.best_ask(), Some(100));
    assert_eq!(book.last_trade_price(), None);
    assert_eq!(book.len(), 2);
}

#[test]
fn partial_fills_leave_the_rest_resting_with_its_priority() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 1, 100, 10), sell(2, 1, 100, 10)]);
    // The taker is smaller than the first maker: the maker keeps its place, reduced.
    let events = run(&mut book, &[buy(3, 2, 100, 4)]);
    assert_eq!(events[1], trade((3, 2), (1, 1), 100, 4, 0, 6));
    assert_eq!(ids(&book, Sell), vec![(1, 100, 6), (2, 100, 10)]);
    // The taker is larger than all makers: it fills what it can and rests the rest.
    let events = run(&mut book, &[buy(4, 2, 101, 20)]);
    assert_eq!(
        events[1..],
        [
            trade((4, 2), (1, 1), 100, 6, 14, 0),
            trade((4, 2), (2, 1), 100, 10, 4, 0)
        ]
    );
    assert_eq!(ids(&book, Buy), vec![(4, 101, 4)]);
    assert_eq!(book.remaining(OrderId(4)), Some(4));
    assert_eq!(book.best_ask(), None);
}

#[test]
fn price_then_time_priority() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 102, 1),
            sell(2, 2, 101, 1),
            sell(3, 3, 101, 1),
            sell(4, 4, 100, 1),
            sell(5, 5, 102, 1),
        ],
    );
    assert_eq!(
        ids(&book, Sell),
        vec![
            (4, 100, 1),
            (2, 101, 1),
            (3, 101, 1),
            (1, 102, 1),
            (5, 102, 1)
        ]
    );
    let events = run(&mut book, &[buy(6, 9, 102, 4)]);
    let makers: Vec<(u128, i64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Trade { maker, price, .. } => Some((maker.0, *price)),
            _ => None,
        })
        .collect();
    // Best price first (100, then 101 twice, then 102), earliest first within a price.
    assert_eq!(makers, vec![(4, 100), (2, 101), (3, 101), (1, 102)]);
    assert_eq!(ids(&book, Sell), vec![(5, 102, 1)]);
    assert_eq!(book.last_trade_price(), Some(102));

    // Bids: highest first.
    run(
        &mut book,
        &[buy(7, 1, 90, 1), buy(8, 1, 95, 1), buy(9, 2, 95, 1)],
    );
    assert_eq!(ids(&book, Buy), vec![(8, 95, 1), (9, 95, 1), (7, 90, 1)]);
    let events = run(&mut book, &[sell(10, 3, 1, 3)]);
    let makers: Vec<u128> = events
        .iter()
        .filter_map(|e| match e {
            Event::Trade { maker, .. } => Some(maker.0),
            _ => None,
        })
        .collect();
    assert_eq!(makers, vec![8, 9, 7]);
}

#[test]
fn a_limit_order_stops_at_its_limit() {
    let mut book = Book::new();
    run(
        &mut book,
        &[sell(1, 1, 100, 1), sell(2, 1, 101, 1), sell(3, 1, 102, 1)],
    );
    let events = run(&mut book, &[buy(4, 2, 101, 5)]);
    assert_eq!(events.len(), 3);
    assert_eq!(ids(&book, Buy), vec![(4, 101, 3)]);
    assert_eq!(ids(&book, Sell), vec![(3, 102, 1)]);
}

#[test]
fn day_orders_rest_like_gtc() {
    let mut book = Book::new();
    run(&mut book, &[limit_tif(1, 1, Buy, 100, Day, 5)]);
    assert_eq!(book.order(OrderId(1)).map(|o| o.tif), Some(Day));
    let events = run(&mut book, &[limit_tif(2, 2, Sell, 100, Day, 2)]);
    assert_eq!(events[1], trade((2, 2), (1, 1), 100, 2, 0, 3));
}

// ----- market orders --------------------------------------------------------------------------

#[test]
fn a_market_order_sweeps_levels_and_never_rests() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 1, 100, 2), sell(2, 1, 105, 2)]);
    let events = run(&mut book, &[market(3, 2, Buy, Gtc, 3)]);
    assert_eq!(
        events,
        vec![
            accepted(3, 3),
            trade((3, 2), (1, 1), 100, 2, 1, 0),
            trade((3, 2), (2, 1), 105, 1, 0, 1),
        ]
    );
    // More than there is: what is left is cancelled for want of liquidity.
    let events = run(&mut book, &[market(4, 2, Buy, Day, 5)]);
    assert_eq!(
        events[1..],
        [
            trade((4, 2), (2, 1), 105, 1, 4, 0),
            cancelled(4, 4, NoLiquidity)
        ]
    );
    assert!(book.is_empty());
}

#[test]
fn a_market_order_without_liquidity_is_cancelled_whole() {
    let mut book = Book::new();
    run(&mut book, &[buy(1, 1, 100, 5)]);
    let events = run(&mut book, &[market(2, 2, Buy, Gtc, 3)]);
    assert_eq!(events, vec![accepted(2, 2), cancelled(2, 3, NoLiquidity)]);
    // An IOC market order takes its time in force's reason.
    let events = run(&mut book, &[market(3, 2, Buy, Ioc, 3)]);
    assert_eq!(events[1], cancelled(3, 3, ImmediateOrCancel));
    assert_eq!(ids(&book, Buy), vec![(1, 100, 5)]);
    assert_eq!(book.last_trade_price(), None);
}

// ----- IOC and FOK --------------------------------------------------------------------------

#[test]
fn ioc_fills_what_it_can_and_cancels_the_rest() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 1, 100, 3), sell(2, 1, 102, 3)]);
    let events = run(&mut book, &[limit_tif(3, 2, Buy, 101, Ioc, 5)]);
    assert_eq!(
        events[1..],
        [
            trade((3, 2), (1, 1), 100, 3, 2, 0),
            cancelled(3, 2, ImmediateOrCancel)
        ]
    );
    // An IOC that does not cross is cancelled whole.
    let events = run(&mut book, &[limit_tif(4, 2, Buy, 99, Ioc, 5)]);
    assert_eq!(events[1..], [cancelled(4, 5, ImmediateOrCancel)]);
    // A fully filled IOC emits no cancellation.
    let events = run(&mut book, &[limit_tif(5, 2, Buy, 102, Ioc, 3)]);
    assert_eq!(events[1..], [trade((5, 2), (2, 1), 102, 3, 0, 0)]);
    assert!(book.is_empty());
}

#[test]
fn fok_fills_entirely_across_levels() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 1, 100, 3), sell(2, 1, 101, 3)]);
    let events = run(&mut book, &[limit_tif(3, 2, Buy, 101, Fok, 6)]);
    assert_eq!(
        events[1..],
        [
            trade((3, 2), (1, 1), 100, 3, 3, 0),
            trade((3, 2), (2, 1), 101, 3, 0, 0)
        ]
    );
    assert!(book.is_empty());
}

#[test]
fn fok_that_cannot_fill_is_killed_and_nothing_else_changes() {
    let mut book = Book::new();
    run(
        &mut book,
        &[sell(1, 1, 100, 3), sell(2, 2, 100, 3), sell(3, 1, 102, 3)],
    );
    let before = book.snapshot();
    // 4 wanted at <= 101: 6 are there, but 3 of them are its own owner's and do not count.
    let events = run(&mut book, &[limit_tif(4, 2, Buy, 101, Fok, 4)]);
    assert_eq!(events, vec![accepted(4, 4), cancelled(4, 4, FillOrKill)]);
    // Its own order was not cancelled by self-trade prevention: nothing changed but the
    // seq the FOK took.
    let after = book.snapshot();
    assert_eq!(after.orders, before.orders);
    assert_eq!(after.last_trade_price, None);
    assert_eq!(after.next_seq, before.next_seq + 1);
    // A market FOK too.
    let events = run(&mut book, &[market(5, 9, Buy, Fok, 10)]);
    assert_eq!(events[1..], [cancelled(5, 10, FillOrKill)]);
}

#[test]
fn fok_counts_only_other_owners_and_cancels_its_own_orders_on_the_way() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 2, 100, 3), sell(2, 1, 100, 3)]);
    // Owner 2 wants 3: owner 1's 3 are enough, and owner 2's own resting order at the
    // front is cancelled when matching reaches it.
    let events = run(&mut book, &[limit_tif(3, 2, Buy, 100, Fok, 3)]);
    assert_eq!(
        events[1..],
        [
            cancelled(1, 3, SelfTrade),
            trade((3, 2), (2, 1), 100, 3, 0, 0)
        ]
    );
    // With only its own order there, a FOK is killed rather than cancelling it.
    run(&mut book, &[sell(4, 2, 100, 3)]);
    let events = run(&mut book, &[limit_tif(5, 2, Buy, 100, Fok, 1)]);
    assert_eq!(events[1..], [cancelled(5, 1, FillOrKill)]);
    assert_eq!(book.remaining(OrderId(4)), Some(3));
}

// ----- self-trade prevention --------------------------------------------------------------------

#[test]
fn self_trade_prevention_cancels_the_resting_order_and_matching_goes_on() {
    let mut book = Book::new();
    run(
        &mut book,
        &[sell(1, 7, 100, 2), sell(2, 8, 100, 2), sell(3, 7, 101, 2)],
    );
    let events = run(&mut book, &[buy(4, 7, 101, 3)]);
    assert_eq!(
        events,
        vec![
            accepted(4, 4),
            cancelled(1, 2, SelfTrade),
            trade((4, 7), (2, 8), 100, 2, 1, 0),
            cancelled(3, 2, SelfTrade),
        ]
    );
    assert_eq!(ids(&book, Buy), vec![(4, 101, 1)]);
    assert_eq!(book.best_ask(), None);
}

#[test]
fn an_incoming_order_never_trades_with_its_owner_even_as_a_market_order() {
    let mut book = Book::new();
    run(&mut book, &[buy(1, 5, 100, 4)]);
    let events = run(&mut book, &[market(2, 5, Sell, Gtc, 2)]);
    assert_eq!(
        events[1..],
        [cancelled(1, 4, SelfTrade), cancelled(2, 2, NoLiquidity)]
    );
    assert!(book.is_empty());
}

// ----- cancel, expire, reduce, move ---------------------------------------------------------------

#[test]
fn cancel_removes_resting_orders_and_held_stops() {
    let mut book = Book::new();
    run(&mut book, &[buy(1, 1, 100, 4), stop(2, 1, Buy, 110, 3)]);
    assert_eq!(
        run(&mut book, &[Command::Cancel(OrderId(1))]),
        vec![cancelled(1, 4, Requested)]
    );
    assert_eq!(
        run(&mut book, &[Command::Cancel(OrderId(2))]),
        vec![cancelled(2, 3, Requested)]
    );
    assert!(book.is_empty());
    assert_eq!(book.best_bid(), None);
    assert_eq!(
        apply(&mut book, Command::Cancel(OrderId(1))),
        Err(Reject::UnknownOrder { id: OrderId(1) })
    );
}

#[test]
fn expire_removes_resting_orders_and_held_stops() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            limit_tif(1, 1, Buy, 100, Day, 4),
            place(2, 1, Sell, OrderKind::Stop { stop: 90 }, Day, 3),
        ],
    );
    assert_eq!(
        run(&mut book, &[Command::Expire(OrderId(1))]),
        vec![Event::Expired {
            id: OrderId(1),
            remaining: 4
        }]
    );
    assert_eq!(
        run(&mut book, &[Command::Expire(OrderId(2))]),
        vec![Event::Expired {
            id: OrderId(2),
            remaining: 3
        }]
    );
    assert!(book.is_empty());
    assert_eq!(
        apply(&mut book, Command::Expire(OrderId(2))),
        Err(Reject::UnknownOrder { id: OrderId(2) })
    );
    // A partly filled order expires with what is left.
    run(&mut book, &[buy(3, 1, 100, 10), sell(4, 2, 100, 4)]);
    assert_eq!(
        run(&mut book, &[Command::Expire(OrderId(3))]),
        vec![Event::Expired {
            id: OrderId(3),
            remaining: 6
        }]
    );
}

#[test]
fn reduce_keeps_priority_and_reducing_everything_cancels() {
    let mut book = Book::new();
    run(&mut book, &[sell(1, 1, 100, 10), sell(2, 2, 100, 10)]);
    assert_eq!(
        run(
            &mut book,
            &[Command::Reduce {
                id: OrderId(1),
                by: 4
            }]
        ),
        vec![Event::Reduced {
            id: OrderId(1),
            by: 4,
            remaining: 6
        }]
    );
    // Still first in the queue.
    let events = run(&mut book, &[buy(3, 3, 100, 1)]);
    assert_eq!(events[1], trade((3, 3), (1, 1), 100, 1, 0, 5));
    // By more than is left: cancelled with what was left.
    assert_eq!(
        run(
            &mut book,
            &[Command::Reduce {
                id: OrderId(1),
                by: 50
            }]
        ),
        vec![cancelled(1, 5, Requested)]
    );
    assert_eq!(ids(&book, Sell), vec![(2, 100, 10)]);
    // Held stops can be reduced too.
    run(&mut book, &[stop(4, 1, Buy, 200, 5)]);
    run(
        &mut book,
        &[Command::Reduce {
            id: OrderId(4),
            by: 2,
        }],
    );
    assert_eq!(book.remaining(OrderId(4)), Some(3));
    assert_eq!(
        apply(
            &mut book,
            Command::Reduce {
                id: OrderId(4),
                by: 0
            }
        ),
        Err(Reject::ZeroQuantity)
    );
}

#[test]
fn move_loses_time_priority_even_at_the_same_price() {
    let mut book = Book::new();
    run(
        &mut book,
        &[buy(1, 1, 100, 1), buy(2, 2, 100, 1), buy(3, 3, 99, 1)],
    );
    assert_eq!(
        run(
            &mut book,
            &[Command::Move {
                id: OrderId(1),
                price: 100
            }]
        ),
        vec![Event::Moved {
            id: OrderId(1),
            price: 100,
            seq: 4
        }]
    );
    assert_eq!(ids(&book, Buy), vec![(2, 100, 1), (1, 100, 1), (3, 99, 1)]);
    run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 101,
        }],
    );
    assert_eq!(ids(&book, Buy), vec![(3, 101, 1), (2, 100, 1), (1, 100, 1)]);
    assert_eq!(book.order(OrderId(3)).map(|o| o.seq), Some(5));
    run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 98,
        }],
    );
    assert_eq!(ids(&book, Buy), vec![(2, 100, 1), (1, 100, 1), (3, 98, 1)]);
}

#[test]
fn a_move_that_crosses_trades_as_the_taker_and_rests_the_rest() {
    let mut book = Book::new();
    run(
        &mut book,
        &[sell(1, 1, 101, 2), sell(2, 1, 103, 2), buy(3, 2, 99, 5)],
    );
    let events = run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 102,
        }],
    );
    assert_eq!(
        events,
        vec![
            Event::Moved {
                id: OrderId(3),
                price: 102,
                seq: 4
            },
            trade((3, 2), (1, 1), 101, 2, 3, 0),
        ]
    );
    assert_eq!(ids(&book, Buy), vec![(3, 102, 3)]);
    assert_eq!(book.last_trade_price(), Some(101));
    // Moving through everything fills it and it is gone.
    let events = run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 200,
        }],
    );
    assert_eq!(events[1], trade((3, 2), (2, 1), 103, 2, 1, 0));
    assert_eq!(ids(&book, Buy), vec![(3, 200, 1)]);
    // Moving into its own owner's orders cancels them.
    run(&mut book, &[sell(4, 2, 300, 1)]);
    let events = run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 300,
        }],
    );
    assert_eq!(events[1], cancelled(4, 1, SelfTrade));
}

#[test]
fn held_stops_cannot_be_moved_and_moves_need_a_positive_price() {
    let mut book = Book::new();
    run(&mut book, &[stop(1, 1, Buy, 110, 3), buy(2, 1, 100, 1)]);
    assert_eq!(
        apply(
            &mut book,
            Command::Move {
                id: OrderId(1),
                price: 105
            }
        ),
        Err(Reject::NotOnBook { id: OrderId(1) })
    );
    assert_eq!(
        apply(
            &mut book,
            Command::Move {
                id: OrderId(2),
                price: 0
            }
        ),
        Err(Reject::InvalidPrice { price: 0 })
    );
    assert_eq!(
        apply(
            &mut book,
            Command::Move {
                id: OrderId(9),
                price: 1
            }
        ),
        Err(Reject::UnknownOrder { id: OrderId(9) })
    );
}

// ----- stops ------------------------------------------------------------------------------------

#[test]
fn a_buy_stop_waits_for_a_trade_at_or_above_its_price_then_enters_as_a_market_order() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 100, 1),
            sell(2, 1, 105, 1),
            sell(3, 1, 106, 5),
            stop(4, 2, Buy, 105, 3),
        ],
    );
    assert_eq!(book.held(Buy).count(), 1);
    assert_eq!(book.best_bid(), None);
    // A trade at 100: below the stop, nothing happens.
    run(&mut book, &[buy(5, 3, 100, 1)]);
    assert_eq!(book.held(Buy).count(), 1);
    // A trade at 105 triggers it: it takes the next seq and buys at market.
    let events = run(&mut book, &[buy(6, 3, 105, 1)]);
    assert_eq!(
        events,
        vec![
            accepted(6, 6),
            trade((6, 3), (2, 1), 105, 1, 0, 0),
            Event::Triggered {
                id: OrderId(4),
                seq: 7
            },
            trade((4, 2), (3, 1), 106, 3, 0, 2),
        ]
    );
    assert_eq!(book.held(Buy).count(), 0);
    assert_eq!(book.last_trade_price(), Some(106));
}

#[test]
fn a_sell_stop_limit_triggers_at_or_below_and_rests_as_a_limit_order() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            buy(1, 1, 95, 1),
            buy(2, 1, 94, 1),
            stop_limit(3, 2, Sell, 95, 94, 5),
        ],
    );
    let events = run(&mut book, &[sell(4, 3, 95, 1)]);
    assert_eq!(
        events[1..],
        [
            trade((4, 3), (1, 1), 95, 1, 0, 0),
            Event::Triggered {
                id: OrderId(3),
                seq: 5
            },
            trade((3, 2), (2, 1), 94, 1, 4, 0),
        ]
    );
    // The rest of the stop-limit rests at its limit with the trigger's seq, triggered.
    let rested = book.order(OrderId(3)).expect("resting");
    assert_eq!(
        rested,
        OpenOrder {
            id: OrderId(3),
            owner: OwnerId(2),
            side: Sell,
            kind: OrderKind::StopLimit {
                stop: 95,
                price: 94
            },
            tif: Gtc,
            remaining: 4,
            seq: 5,
            triggered: true,
        }
    );
    assert!(rested.is_resting());
    assert_eq!(book.best_ask(), Some(94));
    // Once on the book it can be moved like any resting order.
    run(
        &mut book,
        &[Command::Move {
            id: OrderId(3),
            price: 97,
        }],
    );
    assert_eq!(
        book.order(OrderId(3)).map(|o| o.kind),
        Some(OrderKind::StopLimit {
            stop: 95,
            price: 97
        })
    );
}

#[test]
fn a_stop_placed_when_the_last_trade_already_satisfies_it_triggers_at_once() {
    let mut book = Book::new();
    run(
        &mut book,
        &[sell(1, 1, 100, 1), buy(2, 2, 100, 1), sell(3, 1, 101, 5)],
    );
    assert_eq!(book.last_trade_price(), Some(100));
    let events = run(&mut book, &[stop(4, 2, Buy, 99, 2)]);
    assert_eq!(
        events,
        vec![
            accepted(4, 4),
            Event::Triggered {
                id: OrderId(4),
                seq: 5
            },
            trade((4, 2), (3, 1), 101, 2, 0, 3),
        ]
    );
    // Exactly at the stop counts too; a sell stop below the last trade is held.
    let events = run(&mut book, &[stop(5, 2, Buy, 101, 1)]);
    assert!(matches!(events[1], Event::Triggered { .. }));
    run(&mut book, &[stop(6, 2, Sell, 100, 1)]);
    assert_eq!(book.held(Sell).count(), 1);
}

#[test]
fn without_any_trade_stops_are_held() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 100, 1),
            stop(2, 2, Buy, 1, 1),
            stop(3, 2, Sell, 1_000, 1),
        ],
    );
    assert_eq!(book.held(Buy).count() + book.held(Sell).count(), 2);
    assert_eq!(book.len(), 3);
}

#[test]
fn triggered_stops_cascade_in_seq_order() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 100, 1),
            sell(2, 1, 101, 1),
            sell(3, 1, 102, 1),
            sell(4, 1, 103, 1),
            // Both satisfied by a trade at 100; the later-placed one (seq 6) has the lower
            // stop, but seq decides: 5 enters first.
            stop(5, 2, Buy, 100, 1),
            stop(6, 3, Buy, 99, 1),
            // Satisfied only by the trade at 102 that stop 6 will make.
            stop(7, 4, Buy, 102, 1),
        ],
    );
    let events = run(&mut book, &[buy(8, 5, 100, 1)]);
    assert_eq!(
        events,
        vec![
            accepted(8, 8),
            trade((8, 5), (1, 1), 100, 1, 0, 0),
            Event::Triggered {
                id: OrderId(5),
                seq: 9
            },
            trade((5, 2), (2, 1), 101, 1, 0, 0),
            Event::Triggered {
                id: OrderId(6),
                seq: 10
            },
            trade((6, 3), (3, 1), 102, 1, 0, 0),
            Event::Triggered {
                id: OrderId(7),
                seq: 11
            },
            trade((7, 4), (4, 1), 103, 1, 0, 0),
        ]
    );
    assert!(book.is_empty());
    assert_eq!(book.last_trade_price(), Some(103));
}

#[test]
fn a_trade_that_moves_away_again_still_triggers_stops_it_passed() {
    // A sell sweeps 100 then 98: a sell stop at 99 is triggered by the print at 98 even
    // if later trades print higher.
    let mut book = Book::new();
    run(
        &mut book,
        &[
            buy(1, 1, 100, 1),
            buy(2, 1, 98, 1),
            stop(3, 2, Sell, 99, 1),
            buy(4, 3, 97, 1),
        ],
    );
    let events = run(&mut book, &[sell(5, 4, 98, 2)]);
    assert_eq!(
        events[1..],
        [
            trade((5, 4), (1, 1), 100, 1, 1, 0),
            trade((5, 4), (2, 1), 98, 1, 0, 0),
            Event::Triggered {
                id: OrderId(3),
                seq: 6
            },
            trade((3, 2), (4, 3), 97, 1, 0, 0),
        ]
    );
}

#[test]
fn stops_keep_their_time_in_force() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 100, 1),
            sell(2, 1, 105, 1),
            place(
                3,
                2,
                Buy,
                OrderKind::StopLimit {
                    stop: 100,
                    price: 101,
                },
                Ioc,
                4,
            ),
            place(4, 2, Buy, OrderKind::Stop { stop: 100 }, Fok, 4),
        ],
    );
    let events = run(&mut book, &[buy(5, 3, 100, 1)]);
    assert_eq!(
        events[2..],
        [
            Event::Triggered {
                id: OrderId(3),
                seq: 6
            },
            cancelled(3, 4, ImmediateOrCancel),
            Event::Triggered {
                id: OrderId(4),
                seq: 7
            },
            cancelled(4, 4, FillOrKill),
        ]
    );
    assert_eq!(ids(&book, Sell), vec![(2, 105, 1)]);
}

// ----- refusals ---------------------------------------------------------------------------------

#[test]
fn refusals_are_typed_and_change_nothing() {
    let mut book = Book::new();
    run(
        &mut book,
        &[
            sell(1, 1, 100, 5),
            buy(2, 2, 100, 2),
            stop(3, 1, Sell, 90, 1),
        ],
    );
    let before = book.snapshot();
    let cases = [
        (buy(4, 1, 100, 0), Reject::ZeroQuantity),
        (buy(4, 1, 0, 1), Reject::InvalidPrice { price: 0 }),
        (sell(4, 1, -5, 1), Reject::InvalidPrice { price: -5 }),
        (stop(4, 1, Buy, 0, 1), Reject::InvalidPrice { price: 0 }),
        (
            stop_limit(4, 1, Buy, -1, 0, 1),
            Reject::InvalidPrice { price: -1 },
        ),
        (
            stop_limit(4, 1, Buy, 10, 0, 1),
            Reject::InvalidPrice { price: 0 },
        ),
        // Fields are checked before the id.
        (buy(1, 1, 100, 0), Reject::ZeroQuantity),
        (buy(1, 9, 100, 1), Reject::DuplicateId { id: OrderId(1) }),
        (
            stop(3, 9, Buy, 200, 1),
            Reject::DuplicateId { id: OrderId(3) },
        ),
        (
            Command::Cancel(OrderId(2)),
            Reject::UnknownOrder { id: OrderId(2) },
        ),
        (
            Command::Expire(OrderId(7)),
            Reject::UnknownOrder { id: OrderId(7) },
        ),
        (
            Command::Reduce {
                id: OrderId(7),
                by: 1,
            },
            Reject::UnknownOrder { id: OrderId(7) },
        ),
        (
            Command::Reduce {
                id: OrderId(1),
                by: 0,
            },
            Reject::ZeroQuantity,
        ),
        (
            Command::Move {
                id: OrderId(7),
                price: 5,
            },
            Reject::UnknownOrder { id: OrderId(7) },
        ),
        (
            Command::Move {
                id: OrderId(1),
                price: -1,
            },
            Reject::InvalidPrice { price: -1 },
        ),
        (
            Command::Move {
                id: OrderId(3),
                price: 95,
            },
            Reject::NotOnBook { id: OrderId(3) },
        ),
    ];
    for (cmd, reject) in cases {
        let mut out = vec![cancelled(99, 1, Requested)];
        assert_eq!(book.apply(cmd, &mut out), Err(reject), "{cmd:?}");
        assert_eq!(out.len(), 1, "{cmd:?} appended events");
        assert_eq!(book.snapshot(), before, "{cmd:?} changed the book");
    }
    // An id may be used again once its order is done (the engine forgets it).
    run(&mut book, &[buy(2, 5, 50, 1)]);
    assert_eq!(book.remaining(OrderId(2)), Some(1));
}

#[test]
fn order_kinds_from_api_parts() {
    use OrderType as T;
    assert_eq!(
        OrderKind::from_parts(T::Market, None, None),
        Ok(OrderKind::Market)
    );
    assert_eq!(
        OrderKind::from_parts(T::Limit, Some(5), None),
        Ok(OrderKind::Limit { price: 5 })
    );
    assert_eq!(
        OrderKind::from_parts(T::Stop, None, Some(7)),
        Ok(OrderKind::Stop { stop: 7 })
    );
    assert_eq!(
        OrderKind::from_parts(T::StopLimit, Some(5), Some(7)),
        Ok(OrderKind::StopLimit { stop: 7, price: 5 })
    );
    assert_eq!(
        OrderKind::from_parts(T::Limit, None, None),
        Err(Reject::MissingLimitPrice)
    );
    assert_eq!(
        OrderKind::from_parts(T::StopLimit, None, Some(1)),
        Err(Reject::MissingLimitPrice)
    );
    assert_eq!(
        OrderKind::from_parts(T::StopLimit, Some(1), None),
        Err(Reject::MissingStopPrice)
    );
    assert_eq!(
        OrderKind::from_parts(T::Stop, None, None),
        Err(Reject::MissingStopPrice)
    );
    assert_eq!(
        OrderKind::from_parts(T::Market, Some(1), None),
        Err(Reject::UnexpectedLimitPrice)
    );
    assert_eq!(
        OrderKind::from_parts(T::Limit, Some(1), Some(1)),
        Err(Reject::UnexpectedStopPrice)
    );
    for t in OrderType::ALL {
        let kind = OrderKind::from_parts(
            *t,
            t.has_limit_price().then_some(3),
            t.has_stop_price().then_some(4),
        )
        .expect("valid parts");
        assert_eq!(kind.order_type(), *t);
    }
}

// ----- queries ----------------------------------------------------------------------------------

#[test]
fn depth_aggregates_levels_best_first() {
    let mut book = Book::new();
    assert_eq!(book.depth(5), Depth::default());
    run(
        &mut book,
        &[
            buy(1, 1, 99, 3),
            buy(2, 2, 99, 4),
            buy(3, 1, 97, 1),
            buy(4, 1, 98, 2),
            sell(5, 1, 101, 5),
            sell(6, 2, 103, 1),
            stop(7, 1, Buy, 200, 50),
        ],
    );
    let lv = |price, quantity, orders| LevelView {
        price,
        quantity,
        orders,
    };
    assert_eq!(
        book.depth(2),
        Depth {
            bids: vec![lv(99, 7, 2), lv(98, 2, 1)],
            asks: vec![lv(101, 5, 1), lv(103, 1, 1)],
        }
    );
    assert_eq!(book.depth(10).bids.len(), 3);
    assert_eq!(book.depth(0), Depth::default());
    assert_eq!((book.best_bid(), book.best_ask()), (Some(99), Some(101)));
    assert_eq!(book.remaining(OrderId(7)), Some(50));
    assert_eq!(book.remaining(OrderId(70)), None);
    assert_eq!(book.len(), 7);
}

// ----- restore ----------------------------------------------------------------------------------

fn open(n: u128, side: Side, kind: OrderKind, seq: u64) -> OpenOrder {
    OpenOrder {
        id: OrderId(n),
        owner: OwnerId(1),
        side,
        kind,
        tif: Gtc,
        remaining: 1,
        seq,
        triggered: false,
    }
}

#[test]
fn restore_keeps_priority_from_seqs_not_from_the_list_order() {
    let snapshot = Snapshot {
        orders: vec![
            open(2, Sell, OrderKind::Limit { price: 100 }, 5),
            open(1, Sell, OrderKind::Limit { price: 100 }, 3),
            open(3, Buy, OrderKind::Stop { stop: 120 }, 4),
        ],
        next_seq: 6,
        last_trade_price: Some(99),
    };
    let mut book = Book::restore(&snapshot).expect("valid");
    book.check_invariants().expect("invariants");
    assert_eq!(book.next_seq(), 6);
    assert_eq!(book.last_trade_price(), Some(99));
    let events = run(&mut book, &[buy(9, 2, 100, 1)]);
    assert_eq!(
        events,
        vec![accepted(9, 6), trade((9, 2), (1, 1), 100, 1, 0, 0)]
    );
}

#[test]
fn restore_refuses_snapshots_no_book_could_produce() {
    let limit = |p| OrderKind::Limit { price: p };
    let cases: Vec<(Vec<OpenOrder>, Option<i64>, RestoreError)> = vec![
        (
            vec![open(1, Buy, limit(100), 1), open(1, Sell, limit(101), 2)],
            None,
            RestoreError::DuplicateId { id: OrderId(1) },
        ),
        (
            vec![open(1, Buy, limit(100), 1), open(2, Sell, limit(101), 1)],
            None,
            RestoreError::DuplicateSeq { seq: 1 },
        ),
        (
            vec![open(1, Buy, limit(100), 10)],
            None,
            RestoreError::SeqNotBeforeNext {
                id: OrderId(1),
                seq: 10,
                next_seq: 10,
            },
        ),
        (
            vec![OpenOrder {
                remaining: 0,
                ..open(1, Buy, limit(100), 1)
            }],
            None,
            RestoreError::ZeroQuantity { id: OrderId(1) },
        ),
        (
            vec![open(1, Buy, limit(0), 1)],
            None,
            RestoreError::InvalidPrice { price: 0 },
        ),
        (vec![], Some(0), RestoreError::InvalidPrice { price: 0 }),
        (
            vec![open(1, Buy, OrderKind::Market, 1)],
            None,
            RestoreError::CannotBeOpen { id: OrderId(1) },
        ),
        (
            vec![OpenOrder {
                triggered: true,
                ..open(1, Buy, OrderKind::Stop { stop: 5 }, 1)
            }],
            None,
            RestoreError::CannotBeOpen { id: OrderId(1) },
        ),
        (
            vec![OpenOrder {
                triggered: true,
                ..open(1, Buy, limit(5), 1)
            }],
            None,
            RestoreError::CannotBeOpen { id: OrderId(1) },
        ),
        (
            vec![OpenOrder {
                tif: Ioc,
                ..open(1, Buy, limit(5), 1)
            }],
            None,
            RestoreError::CannotBeOpen { id: OrderId(1) },
        ),
        (
            vec![open(1, Buy, limit(101), 1), open(2, Sell, limit(101), 2)],
            None,
            RestoreError::Crossed { bid: 101, ask: 101 },
        ),
        (
            vec![open(1, Sell, OrderKind::Stop { stop: 100 }, 1)],
            Some(100),
            RestoreError::StopShouldHaveTriggered { id: OrderId(1) },
        ),
    ];
    for (orders, last_trade_price, error) in cases {
        let snapshot = Snapshot {
            orders,
            next_seq: 10,
            last_trade_price,
        };
        assert_eq!(Book::restore(&snapshot).err(), Some(error));
    }
    // IOC and FOK stops may be held; a triggered stop-limit rests.
    let ok = Snapshot {
        orders: vec![
            OpenOrder {
                tif: Fok,
                ..open(1, Buy, OrderKind::Stop { stop: 120 }, 1)
            },
            OpenOrder {
                triggered: true,
                ..open(
                    2,
                    Sell,
                    OrderKind::StopLimit {
                        stop: 90,
                        price: 101,
                    },
                    2,
                )
            },
        ],
        next_seq: 3,
        last_trade_price: Some(95),
    };
    let book = Book::restore(&ok).expect("valid");
    assert_eq!(book.snapshot(), ok);
    assert_eq!(book.best_ask(), Some(101));
}

#[test]
fn an_empty_snapshot_restores_an_empty_book_counting_from_its_next_seq() {
    let mut book = Book::restore(&Snapshot::default()).expect("valid");
    assert!(book.is_empty());
    assert_eq!(book.next_seq(), 0);
    let events = run(&mut book, &[buy(1, 1, 10, 1), buy(2, 2, 10, 1)]);
    assert_eq!(events, vec![accepted(2, 1)]);
    assert_eq!(book.order(OrderId(1)).map(|o| o.seq), Some(0));
}

#[test]
fn snapshot_and_restore_continue_like_the_original() {
    let mut a = Book::new();
    let setup = [
        sell(1, 1, 100, 5),
        sell(2, 2, 100, 5),
        sell(3, 1, 102, 5),
        buy(4, 3, 98, 5),
        stop(5, 3, Buy, 101, 4),
        stop_limit(6, 4, Sell, 97, 96, 2),
        buy(7, 3, 100, 3),
    ];
    run(&mut a, &setup);
    let mut b = Book::restore(&a.snapshot()).expect("valid");
    let rest = [
        buy(8, 4, 102, 8),
        sell(9, 1, 95, 10),
        Command::Move {
            id: OrderId(4),
            price: 99,
        },
        Command::Cancel(OrderId(6)),
    ];
    for cmd in rest {
        assert_eq!(apply(&mut a, cmd), apply(&mut b, cmd), "{cmd:?}");
    }
    assert_eq!(a.snapshot(), b.snapshot());
}
