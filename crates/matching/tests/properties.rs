//! Property tests: random command sequences against the naive model in `common`, with
//! the independent event checker, quantity conservation, replay and restore.

mod common;

use std::collections::HashMap;

use common::{Checker, Model};
use matching::{
    Book, CancelReason, Command, Event, Lots, NewOrder, OrderId, OrderKind, OwnerId, Reject, Side,
    TimeInForce,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Which id a command names: a new one, one of the orders open at that point, or any
/// placed before (open or done).
#[derive(Debug, Clone)]
enum Pick {
    Fresh,
    Open(Index),
    Earlier(Index),
}

#[derive(Debug, Clone)]
enum Op {
    Place {
        id: Pick,
        owner: u8,
        side: Side,
        kind: OrderKind,
        tif: TimeInForce,
        quantity: Lots,
    },
    Cancel(Pick),
    Move(Pick, i64),
    Reduce(Pick, Lots),
    Expire(Pick),
}

/// Mostly valid prices in a narrow band (so orders cross often), sometimes zero or
/// negative.
fn price() -> impl Strategy<Value = i64> {
    prop_oneof![30 => 95i64..=105, 1 => -2i64..=0]
}

fn kind() -> impl Strategy<Value = OrderKind> {
    prop_oneof![
        3 => Just(OrderKind::Market),
        11 => price().prop_map(|price| OrderKind::Limit { price }),
        3 => price().prop_map(|stop| OrderKind::Stop { stop }),
        3 => (price(), price()).prop_map(|(stop, price)| OrderKind::StopLimit { stop, price }),
    ]
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        4 => Just(TimeInForce::Gtc),
        2 => Just(TimeInForce::Day),
        2 => Just(TimeInForce::Ioc),
        2 => Just(TimeInForce::Fok),
    ]
}

fn pick(fresh: u32) -> impl Strategy<Value = Pick> {
    prop_oneof![
        fresh => Just(Pick::Fresh),
        16 => any::<Index>().prop_map(Pick::Open),
        4 => any::<Index>().prop_map(Pick::Earlier),
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (pick(180), 0u8..4, side(), kind(), tif(), prop_oneof![30 => 1u64..=12, 1 => Just(0u64)])
            .prop_map(|(id, owner, side, kind, tif, quantity)| Op::Place { id, owner, side, kind, tif, quantity }),
        2 => pick(1).prop_map(Op::Cancel),
        3 => (pick(1), price()).prop_map(|(p, price)| Op::Move(p, price)),
        1 => (pick(1), prop_oneof![10 => 1u64..=8, 1 => Just(0u64)]).prop_map(|(p, by)| Op::Reduce(p, by)),
        1 => pick(1).prop_map(Op::Expire),
    ]
}

/// Turns ops into commands: fresh ids count up from 1; open and earlier ones are drawn
/// from the orders open at that point (run through a book as the commands are made) or
/// from every id placed so far (id 0 when there is none: never placed).
fn commands(ops: &[Op]) -> Vec<Command> {
    let mut book = Book::new();
    let mut placed: Vec<u128> = Vec::new();
    let mut next = 1u128;
    let mut out = Vec::new();
    let mut cmds = Vec::with_capacity(ops.len());
    for op in ops {
        let open: Vec<u128> = book.snapshot().orders.iter().map(|o| o.id.0).collect();
        let mut resolve = |p: &Pick, placing: bool| -> OrderId {
            let n = match p {
                Pick::Fresh if placing => {
                    next += 1;
                    next - 1
                }
                // Fresh for a non-placement: an id no order ever had.
                Pick::Fresh => 1_000_000,
                Pick::Open(i) if !open.is_empty() => open[i.index(open.len())],
                Pick::Earlier(i) if !placed.is_empty() => placed[i.index(placed.len())],
                Pick::Open(_) | Pick::Earlier(_) => 0,
            };
            if placing {
                placed.push(n);
            }
            OrderId(n)
        };
        let cmd = match op {
            Op::Place {
                id,
                owner,
                side,
                kind,
                tif,
                quantity,
            } => Command::Place(NewOrder {
                id: resolve(id, true),
                owner: OwnerId(u128::from(*owner)),
                side: *side,
                kind: *kind,
                tif: *tif,
                quantity: *quantity,
            }),
            Op::Cancel(p) => Command::Cancel(resolve(p, false)),
            Op::Move(p, price) => Command::Move {
                id: resolve(p, false),
                price: *price,
            },
            Op::Reduce(p, by) => Command::Reduce {
                id: resolve(p, false),
                by: *by,
            },
            Op::Expire(p) => Command::Expire(resolve(p, false)),
        };
        out.clear();
        let _ = book.apply(cmd, &mut out);
        cmds.push(cmd);
    }
    cmds
}

/// Where each order's quantity went, from the events alone. An id may be placed again once
/// its order is done: each placement starts a new record.
#[derive(Debug, Default, Clone, Copy)]
struct Account {
    placed: u128,
    filled: u128,
    cancelled: u128,
    expired: u128,
}

#[derive(Default)]
struct Ledger {
    current: HashMap<OrderId, Account>,
    closed: Vec<Account>,
    traded_volume: u128,
}

impl Ledger {
    fn record(&mut self, cmd: Command, events: &[Event]) {
        for e in events {
            match *e {
                Event::Accepted { id, .. } => {
                    let Command::Place(o) = cmd else {
                        panic!("Accepted without a placement")
                    };
                    let fresh = Account {
                        placed: u128::from(o.quantity),
                        ..Account::default()
                    };
                    if let Some(old) = self.current.insert(id, fresh) {
                        self.closed.push(old);
                    }
                }
                Event::Trade {
                    taker,
                    maker,
                    quantity,
                    ..
                } => {
                    self.traded_volume += u128::from(quantity);
                    for id in [taker, maker] {
                        self.current
                            .get_mut(&id)
                            .expect("traded order known")
                            .filled += u128::from(quantity);
                    }
                }
                Event::Cancelled { id, remaining, .. } => {
                    self.current.get_mut(&id).expect("known").cancelled += u128::from(remaining);
                }
                Event::Reduced { id, by, .. } => {
                    self.current.get_mut(&id).expect("known").cancelled += u128::from(by);
                }
                Event::Expired { id, remaining } => {
                    self.current.get_mut(&id).expect("known").expired += u128::from(remaining);
                }
                Event::Triggered { .. } | Event::Moved { .. } => {}
            }
        }
    }

    /// placed = filled + resting + cancelled + expired, per order and overall.
    fn check(&self, book: &Book) -> Result<(), String> {
        let mut totals = [0u128; 5];
        for a in &self.closed {
            if a.placed != a.filled + a.cancelled + a.expired {
                return Err(format!("closed order does not add up: {a:?}"));
            }
        }
        for (id, a) in &self.current {
            let resting = u128::from(book.remaining(*id).unwrap_or(0));
            if a.placed != a.filled + resting + a.cancelled + a.expired {
                return Err(format!("{id:?} does not add up: {a:?}, resting {resting}"));
            }
        }
        for (a, resting) in self.closed.iter().map(|a| (a, 0)).chain(
            self.current
                .iter()
                .map(|(id, a)| (a, book.remaining(*id).unwrap_or(0))),
        ) {
            totals[0] += a.placed;
            totals[1] += a.filled;
            totals[2] += u128::from(resting);
            totals[3] += a.cancelled;
            totals[4] += a.expired;
        }
        let [placed, filled, resting, cancelled, expired] = totals;
        if placed != filled + resting + cancelled + expired || filled != 2 * self.traded_volume {
            return Err(format!(
                "overall: {totals:?}, volume {}",
                self.traded_volume
            ));
        }
        Ok(())
    }
}

fn run_all(book: &mut Book, cmds: &[Command]) -> Vec<Result<Vec<Event>, Reject>> {
    cmds.iter()
        .map(|&cmd| {
            let mut out = Vec::new();
            book.apply(cmd, &mut out).map(|()| out)
        })
        .collect()
}

fn check_sequence(cmds: &[Command]) -> Result<(), TestCaseError> {
    let mut book = Book::new();
    let mut model = Model::default();
    let mut ledger = Ledger::default();
    let mut out = Vec::new();
    for (i, &cmd) in cmds.iter().enumerate() {
        let mut checker = Checker::of(&book);
        let before = book.snapshot();
        out.clear();
        let got = book.apply(cmd, &mut out).map(|()| out.clone());
        let want = model.apply(cmd);
        prop_assert_eq!(&got, &want, "command {} {:?}", i, cmd);
        match &got {
            Ok(events) => {
                checker
                    .check(cmd, events)
                    .map_err(|e| TestCaseError::fail(format!("command {i} {cmd:?}: {e}")))?;
                checker
                    .matches(&book)
                    .map_err(|e| TestCaseError::fail(format!("command {i} {cmd:?}: {e}")))?;
                ledger.record(cmd, events);
            }
            Err(_) => {
                prop_assert!(out.is_empty(), "a refusal emitted events");
                prop_assert_eq!(&book.snapshot(), &before, "a refusal changed the book");
            }
        }
        book.check_invariants().map_err(TestCaseError::fail)?;
        if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
            prop_assert!(bid < ask, "crossed after command {}", i);
        }
        prop_assert_eq!(book.snapshot().orders, model.open_orders());
        prop_assert_eq!(book.last_trade_price(), model.last);
        prop_assert_eq!(book.next_seq(), model.next_seq);
        ledger.check(&book).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The engine agrees with the model on every event and refusal; every event checks
    /// out against the state before it (price-time priority, self-trade prevention,
    /// acceptable prices, complete matching, stops through their price); the book is never
    /// crossed; every order's quantity is accounted for; refusals change nothing.
    #[test]
    fn engine_matches_the_model_and_its_events_check_out(ops in proptest::collection::vec(op(), 1..120)) {
        check_sequence(&commands(&ops))?;
    }

    /// The same commands on a fresh book give the same events.
    #[test]
    fn replay_is_deterministic(ops in proptest::collection::vec(op(), 1..120)) {
        let cmds = commands(&ops);
        let first = run_all(&mut Book::new(), &cmds);
        let second = run_all(&mut Book::new(), &cmds);
        prop_assert_eq!(first, second);
    }

    /// A book restored from a snapshot taken anywhere answers the rest of the commands
    /// exactly like the original, and its snapshot is the one it came from.
    #[test]
    fn restore_continues_identically(ops in proptest::collection::vec(op(), 1..120), cut in any::<Index>()) {
        let cmds = commands(&ops);
        let cut = cut.index(cmds.len() + 1);
        let mut book = Book::new();
        run_all(&mut book, &cmds[..cut]);
        let snapshot = book.snapshot();
        let mut restored = Book::restore(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
        restored.check_invariants().map_err(TestCaseError::fail)?;
        prop_assert_eq!(&restored.snapshot(), &snapshot);
        prop_assert_eq!(restored.depth(100), book.depth(100));
        let rest = &cmds[cut..];
        prop_assert_eq!(run_all(&mut restored, rest), run_all(&mut book, rest));
        prop_assert_eq!(restored.snapshot(), book.snapshot());
    }
}

/// The generator reaches every kind of event and refusal (so the properties above are not
/// vacuous).
#[test]
fn generated_sequences_cover_every_event_and_refusal() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let strategy = proptest::collection::vec(op(), 1..120);
    let mut runner = TestRunner::deterministic();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for _ in 0..300 {
        let ops = strategy.new_tree(&mut runner).expect("a value").current();
        let mut book = Book::new();
        for r in run_all(&mut book, &commands(&ops)) {
            let names: Vec<String> = match r {
                Ok(events) => events
                    .iter()
                    .map(|e| match e {
                        Event::Cancelled { reason, .. } => format!("Cancelled::{reason:?}"),
                        other => format!("{other:?}")
                            .split([' ', '{'])
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect(),
                Err(reject) => vec![
                    format!("{reject:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                ],
            };
            for n in names {
                *seen.entry(n).or_default() += 1;
            }
        }
    }
    let mut expected: Vec<String> = [
        "Accepted",
        "Trade",
        "Triggered",
        "Moved",
        "Reduced",
        "Expired",
        "ZeroQuantity",
        "InvalidPrice",
        "DuplicateId",
        "UnknownOrder",
        "NotOnBook",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for reason in [
        CancelReason::Requested,
        CancelReason::SelfTrade,
        CancelReason::NoLiquidity,
        CancelReason::ImmediateOrCancel,
        CancelReason::FillOrKill,
    ] {
        expected.push(format!("Cancelled::{reason:?}"));
    }
    eprintln!("{seen:?}");
    for name in expected {
        assert!(
            seen.get(&name).copied().unwrap_or(0) >= 5,
            "{name} seen {:?} times; all: {seen:?}",
            seen.get(&name)
        );
    }
}
