//! Property tests: random sequences of entries, accepted or refused, never lose, create or
//! double-count a share.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use captable::{
    Action, ConversionScope, JournalEntry, Ledger, Ratio, Regulation, SecurityTerms, TransferStatus,
};
use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration};

const SECURITIES: [&str; 4] = ["ast_a", "ast_b", "ast_c", "ast_d"];
const INVESTORS: [&str; 4] = ["inv_0", "inv_1", "inv_2", "inv_3"];

fn terms() -> Vec<SecurityTerms> {
    // Restricted, non-reporting: 12 months.
    let a = SecurityTerms::new("ast_a", Regulation::RegD506b, false);
    // Reporting issuer (6 months) with a 10-day right of first refusal, so reservations
    // meet holding periods.
    let mut b = SecurityTerms::new("ast_b", Regulation::RegD506b, true);
    b.rofr_days = Some(10);
    // Reporting issuer (6 months) under a lock-up for the first 90 days.
    let mut c = SecurityTerms::new("ast_c", Regulation::RegD506c, true);
    c.lockup_until = Some(date!(2020 - 03 - 31));
    // Registered shares with a 5-day right of first refusal, a usual conversion and merger
    // target.
    let mut d = SecurityTerms::new("ast_d", Regulation::Registered, false);
    d.rofr_days = Some(5);
    vec![a, b, c, d]
}

#[derive(Debug, Clone)]
enum RofrDecision {
    Waive,
    Exercise,
    Lapse,
}

/// A quantity: absolute, or a percentage of what the holder has (so that many are valid
/// and some exceed the holding by a little).
#[derive(Debug, Clone, Copy)]
enum Qty {
    Abs(u32),
    Pct(u8),
}

impl Qty {
    fn resolve(self, ledger: &Ledger, sec: usize, inv: usize) -> u32 {
        match self {
            Qty::Abs(q) => q,
            Qty::Pct(pct) => {
                let held = ledger
                    .holding(INVESTORS[inv], SECURITIES[sec])
                    .map_or(0, |h| as_i128(h.quantity));
                u32::try_from(held * i128::from(pct) / 100).unwrap_or(u32::MAX)
            }
        }
    }
}

/// The preferred investor if it holds `sec`, else the next one that does (so that a
/// percentage quantity is rarely of nothing).
fn holder_of(ledger: &Ledger, sec: usize, preferred: usize, qty: Qty) -> usize {
    if matches!(qty, Qty::Abs(_)) {
        return preferred;
    }
    (0..INVESTORS.len())
        .map(|k| (preferred + k) % INVESTORS.len())
        .find(|&inv| ledger.holding(INVESTORS[inv], SECURITIES[sec]).is_some())
        .unwrap_or(preferred)
}

fn qty() -> impl Strategy<Value = Qty> {
    prop_oneof![1 => (0u32..600).prop_map(Qty::Abs), 3 => (0u8..=110).prop_map(Qty::Pct)]
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u16),
    Issue {
        sec: usize,
        inv: usize,
        qty: u32,
        cents: u32,
    },
    Transfer {
        sec: usize,
        from: usize,
        to: usize,
        qty: Qty,
        cents: u32,
    },
    Split {
        sec: usize,
        new: u64,
        old: u64,
        reverse: bool,
        cents: Option<u32>,
    },
    Convert {
        sec: usize,
        target: usize,
        new: u64,
        old: u64,
        holder: Option<(usize, Option<u32>)>,
        cents: Option<u32>,
    },
    Merge {
        sec: usize,
        target: usize,
        new: u64,
        old: u64,
        cents: Option<u32>,
    },
    Redeem {
        sec: usize,
        inv: usize,
        qty: Qty,
        cents: u32,
    },
    Rofr {
        pick: Index,
        decision: RofrDecision,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let sec = 0..SECURITIES.len();
    let inv = 0..INVESTORS.len();
    let cash = proptest::option::weighted(0.8, 0u32..5_000);
    prop_oneof![
        3 => (0u16..200).prop_map(Op::Advance),
        6 => (sec.clone(), inv.clone(), 1u32..500, 0u32..10_000)
            .prop_map(|(sec, inv, qty, cents)| Op::Issue { sec, inv, qty, cents }),
        12 => (sec.clone(), inv.clone(), inv.clone(), qty(), 0u32..10_000)
            .prop_map(|(sec, from, to, qty, cents)| Op::Transfer { sec, from, to, qty, cents }),
        2 => (sec.clone(), 1u64..6, 1u64..6, any::<bool>(), cash.clone())
            .prop_map(|(sec, new, old, reverse, cents)| Op::Split { sec, new, old, reverse, cents }),
        2 => (sec.clone(), sec.clone(), 1u64..6, 1u64..6,
              proptest::option::of((inv.clone(), proptest::option::of(0u32..300))), cash.clone())
            .prop_map(|(sec, target, new, old, holder, cents)| Op::Convert { sec, target, new, old, holder, cents }),
        1 => (sec.clone(), sec.clone(), 1u64..6, 1u64..6, cash)
            .prop_map(|(sec, target, new, old, cents)| Op::Merge { sec, target, new, old, cents }),
        3 => (sec, inv, qty(), 0u32..10_000)
            .prop_map(|(sec, inv, qty, cents)| Op::Redeem { sec, inv, qty, cents }),
        4 => (any::<Index>(), prop_oneof![Just(RofrDecision::Waive), Just(RofrDecision::Exercise), Just(RofrDecision::Lapse)])
            .prop_map(|(pick, decision)| Op::Rofr { pick, decision }),
    ]
}

fn money(cents: u32) -> Decimal {
    Decimal::new(i64::from(cents), 2)
}

fn ratio(new: u64, old: u64) -> Ratio {
    Ratio::new(new, old).expect("ratio terms are positive")
}

/// What the register should hold, in plain integers, knowing nothing about lots.
#[derive(Default, Clone)]
struct Model {
    held: BTreeMap<(usize, usize), i128>,
    /// transfer id → (security, from, to, quantity)
    pending: BTreeMap<String, (usize, usize, usize, i128)>,
}

impl Model {
    fn get(&self, sec: usize, inv: usize) -> i128 {
        self.held.get(&(sec, inv)).copied().unwrap_or(0)
    }

    fn add(&mut self, sec: usize, inv: usize, delta: i128) {
        *self.held.entry((sec, inv)).or_default() += delta;
    }

    fn reserved(&self, sec: usize, inv: usize) -> i128 {
        self.pending
            .values()
            .filter(|p| p.0 == sec && p.1 == inv)
            .map(|p| p.3)
            .sum()
    }

    /// Each holder of `sec` gets floor(q × new / old) of `target`.
    fn exchange(
        &mut self,
        sec: usize,
        target: usize,
        new: u64,
        old: u64,
        holders: &[(usize, i128)],
    ) {
        for &(inv, q) in holders {
            self.add(sec, inv, -q);
            self.add(target, inv, q * i128::from(new) / i128::from(old));
        }
    }

    fn holders(&self, sec: usize) -> Vec<(usize, i128)> {
        (0..INVESTORS.len())
            .map(|inv| (inv, self.get(sec, inv)))
            .filter(|h| h.1 > 0)
            .collect()
    }
}

fn as_i128(value: Decimal) -> i128 {
    assert!(value.fract().is_zero(), "{value} is not whole");
    value.mantissa() / 10i128.pow(value.scale())
}

fn build(step: usize, on: Date, op: &Op, ledger: &Ledger) -> Option<JournalEntry> {
    let id = format!("e{step}");
    let action = match op.clone() {
        Op::Advance(_) => return None,
        Op::Issue {
            sec,
            inv,
            qty,
            cents,
        } => Action::Issuance {
            security_id: SECURITIES[sec].into(),
            investor_id: INVESTORS[inv].into(),
            quantity: qty.into(),
            price_per_share: money(cents),
            acquired_at: None,
        },
        Op::Transfer {
            sec,
            from,
            to,
            qty,
            cents,
        } => {
            let from = holder_of(ledger, sec, from, qty);
            Action::Transfer {
                security_id: SECURITIES[sec].into(),
                from_investor_id: INVESTORS[from].into(),
                to_investor_id: INVESTORS[to].into(),
                quantity: qty.resolve(ledger, sec, from).into(),
                price_per_share: money(cents),
                seller_is_affiliate: false,
            }
        }
        Op::Split {
            sec,
            new,
            old,
            reverse: false,
            cents,
        } => Action::Split {
            security_id: SECURITIES[sec].into(),
            ratio: ratio(new, old),
            cash_in_lieu_price: cents.map(money),
        },
        Op::Split {
            sec,
            new,
            old,
            reverse: true,
            cents,
        } => Action::ReverseSplit {
            security_id: SECURITIES[sec].into(),
            ratio: ratio(new, old),
            cash_in_lieu_price: cents.map(money),
        },
        Op::Convert {
            sec,
            target,
            new,
            old,
            holder,
            cents,
        } => Action::Conversion {
            security_id: SECURITIES[sec].into(),
            target_security_id: SECURITIES[target].into(),
            ratio: ratio(new, old),
            scope: match holder {
                None => ConversionScope::All,
                Some((inv, qty)) => ConversionScope::Holder {
                    investor_id: INVESTORS[inv].into(),
                    quantity: qty.map(Decimal::from),
                },
            },
            cash_in_lieu_price: cents.map(money),
        },
        Op::Merge {
            sec,
            target,
            new,
            old,
            cents,
        } => Action::Merger {
            security_id: SECURITIES[sec].into(),
            target_security_id: SECURITIES[target].into(),
            ratio: ratio(new, old),
            cash_in_lieu_price: cents.map(money),
        },
        Op::Redeem {
            sec,
            inv,
            qty,
            cents,
        } => {
            let inv = holder_of(ledger, sec, inv, qty);
            Action::Redemption {
                security_id: SECURITIES[sec].into(),
                investor_id: INVESTORS[inv].into(),
                quantity: qty.resolve(ledger, sec, inv).into(),
                price_per_share: money(cents),
            }
        }
        Op::Rofr { pick, decision } => {
            let pending: Vec<_> = ledger.pending_transfers().collect();
            let transfer_id = if pending.is_empty() {
                "trf_unknown".to_owned()
            } else {
                pending[pick.index(pending.len())].transfer_id.clone()
            };
            match decision {
                RofrDecision::Waive => Action::RofrWaive { transfer_id },
                RofrDecision::Exercise => Action::RofrExercise { transfer_id },
                RofrDecision::Lapse => Action::RofrLapse { transfer_id },
            }
        }
    };
    Some(JournalEntry {
        id,
        effective_on: on,
        action,
    })
}

fn index_of(list: &[&str], id: &str) -> usize {
    list.iter().position(|x| *x == id).expect("a known id")
}

/// Updates the model after the engine accepted `entry`, from the entry and the pre-state
/// model only (the outcome is used only for the transfer status).
fn update_model(model: &mut Model, entry: &JournalEntry, op: &Op, outcome: &captable::Outcome) {
    let status = outcome.transfer.as_ref().map(|t| t.status);
    match (op, &entry.action) {
        (Op::Issue { sec, inv, qty, .. }, _) => model.add(*sec, *inv, i128::from(*qty)),
        (
            Op::Transfer { sec, .. },
            Action::Transfer {
                quantity,
                from_investor_id,
                to_investor_id,
                ..
            },
        ) => {
            let (from, to) = (
                &index_of(&INVESTORS, from_investor_id),
                &index_of(&INVESTORS, to_investor_id),
            );
            match status {
                Some(TransferStatus::Recorded) => {
                    model.add(*sec, *from, -as_i128(*quantity));
                    model.add(*sec, *to, as_i128(*quantity));
                }
                Some(TransferStatus::PendingRofr) => {
                    model
                        .pending
                        .insert(entry.id.clone(), (*sec, *from, *to, as_i128(*quantity)));
                }
                other => panic!("unexpected transfer status {other:?}"),
            }
        }
        (Op::Split { sec, new, old, .. }, _) => {
            let holders = model.holders(*sec);
            model.exchange(*sec, *sec, *new, *old, &holders);
        }
        (
            Op::Merge {
                sec,
                target,
                new,
                old,
                ..
            },
            _,
        ) => {
            let holders = model.holders(*sec);
            model.exchange(*sec, *target, *new, *old, &holders);
        }
        (
            Op::Convert {
                sec,
                target,
                new,
                old,
                holder,
                ..
            },
            _,
        ) => {
            let holders = match holder {
                None => model.holders(*sec),
                Some((inv, Some(qty))) => vec![(*inv, i128::from(*qty))],
                Some((inv, None)) => vec![(*inv, model.get(*sec, *inv))],
            };
            model.exchange(*sec, *target, *new, *old, &holders);
        }
        (
            Op::Redeem { sec, .. },
            Action::Redemption {
                quantity,
                investor_id,
                ..
            },
        ) => {
            model.add(*sec, index_of(&INVESTORS, investor_id), -as_i128(*quantity));
        }
        (
            Op::Rofr { .. },
            Action::RofrWaive { transfer_id } | Action::RofrLapse { transfer_id },
        ) => {
            let (sec, from, to, qty) = model
                .pending
                .remove(transfer_id)
                .expect("the model knows the pending transfer");
            match status {
                Some(TransferStatus::Recorded) => {
                    model.add(sec, from, -qty);
                    model.add(sec, to, qty);
                }
                // Reservations sit on lots free at the request and nothing else may take
                // them, so a waiver or lapse can always be honoured.
                other => panic!("unexpected release status {other:?}"),
            }
        }
        (Op::Rofr { .. }, Action::RofrExercise { transfer_id }) => {
            let (sec, from, _, qty) = model
                .pending
                .remove(transfer_id)
                .expect("the model knows the pending transfer");
            assert_eq!(status, Some(TransferStatus::RofrExercised));
            model.add(sec, from, -qty);
        }
        other => panic!("unexpected accepted entry {other:?}"),
    }
}

/// Acceptance the model can predict on its own.
fn check_expectations(
    model: &Model,
    retired: &BTreeSet<usize>,
    op: &Op,
    entry: &JournalEntry,
    accepted: bool,
) {
    let (qty, from, to) = match &entry.action {
        Action::Transfer {
            quantity,
            from_investor_id,
            to_investor_id,
            ..
        } => (
            as_i128(*quantity),
            index_of(&INVESTORS, from_investor_id),
            index_of(&INVESTORS, to_investor_id),
        ),
        Action::Redemption {
            quantity,
            investor_id,
            ..
        } => {
            let inv = index_of(&INVESTORS, investor_id);
            (as_i128(*quantity), inv, inv)
        }
        _ => (0, 0, 0),
    };
    match *op {
        Op::Issue { sec, .. } => {
            assert_eq!(accepted, !retired.contains(&sec), "issuance acceptance");
        }
        Op::Transfer { sec, .. } => {
            let available = model.get(sec, from) - model.reserved(sec, from);
            if qty == 0 || from == to || qty > available || retired.contains(&sec) {
                assert!(
                    !accepted,
                    "transfer beyond the unreserved holdings was accepted"
                );
            }
        }
        Op::Redeem { sec, .. } => {
            let available = model.get(sec, from) - model.reserved(sec, from);
            let valid = qty > 0 && !retired.contains(&sec);
            assert_eq!(accepted, valid && qty <= available, "redemption acceptance");
        }
        _ => {}
    }
}

fn check_state(ledger: &Ledger, model: &Model, on: Date) {
    ledger.check_invariants().expect("invariants hold");
    // Reserved shares are covered by lots free today.
    for pending in ledger.pending_transfers() {
        let t = ledger
            .transferability(
                &pending.from_investor_id,
                &pending.security_id,
                on,
                Decimal::ZERO,
            )
            .expect("known security");
        assert!(t.held - t.restricted >= t.reserved_rofr, "{t:?}");
    }
    for (sec, security) in SECURITIES.iter().enumerate() {
        let mut total = 0;
        for (inv, investor) in INVESTORS.iter().enumerate() {
            let held = ledger
                .holding(investor, security)
                .map_or(0, |h| as_i128(h.quantity));
            assert_eq!(held, model.get(sec, inv), "{investor} in {security}");
            total += held;
        }
        let totals = ledger.totals(security).expect("known security");
        assert_eq!(as_i128(totals.outstanding()), total, "{security} totals");
        assert_eq!(as_i128(ledger.outstanding(security)), total);
        for holding in INVESTORS
            .iter()
            .filter_map(|inv| ledger.holding(inv, security))
        {
            assert!(holding.lots.iter().all(|lot| lot.quantity > Decimal::ZERO));
            assert!(
                holding
                    .lots
                    .windows(2)
                    .all(|w| w[0].acquired_at <= w[1].acquired_at)
            );
        }
    }
    let pending: BTreeSet<_> = ledger
        .pending_transfers()
        .map(|p| p.transfer_id.clone())
        .collect();
    assert_eq!(
        pending,
        model.pending.keys().cloned().collect::<BTreeSet<_>>()
    );
}

/// Per kind of entry (plus transfer outcomes): how many were accepted and refused.
type Coverage = BTreeMap<String, (usize, usize)>;

fn kind(entry: &JournalEntry) -> String {
    let json = serde_json::to_value(&entry.action).expect("actions serialise");
    json["type"]
        .as_str()
        .expect("actions are tagged")
        .to_owned()
}

fn run(ops: &[Op]) -> Coverage {
    let mut coverage = Coverage::new();
    let mut ledger = Ledger::new(terms()).expect("valid terms");
    let mut model = Model::default();
    let mut retired = BTreeSet::new();
    let mut journal: Vec<JournalEntry> = Vec::new();
    let mut history: Vec<(Date, Ledger)> = Vec::new();
    let mut on = date!(2020 - 01 - 01);

    for (step, op) in ops.iter().enumerate() {
        if let Op::Advance(days) = op {
            on += Duration::days(i64::from(*days));
            continue;
        }
        let Some(entry) = build(step, on, op, &ledger) else {
            continue;
        };
        let before = ledger.clone();
        match ledger.apply(&entry) {
            Ok(outcome) => {
                coverage.entry(kind(&entry)).or_default().0 += 1;
                if let Some(transfer) = &outcome.transfer {
                    let status = serde_json::to_value(transfer.status).expect("statuses serialise");
                    coverage
                        .entry(format!(
                            "status {}",
                            status.as_str().expect("statuses are strings")
                        ))
                        .or_default()
                        .0 += 1;
                }
                if !outcome.cash_in_lieu.is_empty() {
                    coverage.entry("cash_in_lieu".to_owned()).or_default().0 += 1;
                }
                check_expectations(&model, &retired, op, &entry, true);
                update_model(&mut model, &entry, op, &outcome);
                if let Action::Merger { security_id, .. } = &entry.action {
                    retired.insert(index_of(&SECURITIES, security_id));
                }
                // The outcome's positions are the ledger's.
                for position in &outcome.positions {
                    assert_eq!(
                        ledger.lots(&position.investor_id, &position.security_id),
                        position.lots.as_slice()
                    );
                }
                journal.push(entry);
                history.push((on, ledger.clone()));
            }
            Err(_) => {
                coverage.entry(kind(&entry)).or_default().1 += 1;
                check_expectations(&model, &retired, op, &entry, false);
                assert_eq!(ledger, before, "a refused entry changed the ledger");
            }
        }
        check_state(&ledger, &model, on);
    }

    // Replaying the journal reproduces the state, also through JSON.
    let json = serde_json::to_string(&journal).expect("the journal serialises");
    let stored: Vec<JournalEntry> = serde_json::from_str(&json).expect("the journal deserialises");
    assert_eq!(stored, journal);
    assert_eq!(
        Ledger::replay(terms(), &stored, None).expect("the journal replays"),
        ledger
    );

    // A snapshot rebuilds the same ledger.
    assert_eq!(
        Ledger::from_snapshot(ledger.snapshot()).expect("a snapshot is valid state"),
        ledger
    );

    // The registry as of a date is the state after the entries effective on or before it.
    let mut dates: Vec<Date> = journal.iter().map(|e| e.effective_on).collect();
    dates.dedup();
    if let Some(first) = dates.first() {
        dates.push(*first - Duration::days(1));
    }
    for as_of in dates {
        let expected = history
            .iter()
            .rev()
            .find(|(date, _)| *date <= as_of)
            .map_or_else(
                || Ledger::new(terms()).expect("valid terms"),
                |(_, state)| state.clone(),
            );
        let replayed = Ledger::replay(terms(), &journal, Some(as_of))
            .expect("a prefix of the journal replays");
        assert_eq!(replayed, expected, "as of {as_of}");
        for security in SECURITIES {
            assert_eq!(replayed.registry(security), expected.registry(security));
        }
    }
    coverage
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn shares_are_conserved_through_any_sequence(ops in proptest::collection::vec(op(), 1..80)) {
        run(&ops);
    }
}

/// The generator is worth something only if every kind of entry is both accepted and
/// refused somewhere: run a fixed set of random sequences and count.
#[test]
fn random_sequences_exercise_every_kind_of_entry() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec(op(), 1..80);
    let mut total = Coverage::new();
    for _ in 0..150 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        for (kind, (accepted, refused)) in run(&ops) {
            let counts = total.entry(kind).or_default();
            counts.0 += accepted;
            counts.1 += refused;
        }
    }
    println!("{total:#?}");
    for kind in [
        "issuance",
        "transfer",
        "split",
        "reverse_split",
        "conversion",
        "merger",
        "redemption",
        "rofr_waive",
        "rofr_exercise",
        "rofr_lapse",
    ] {
        let (accepted, refused) = total.get(kind).copied().unwrap_or_default();
        assert!(accepted > 0, "no {kind} accepted: {total:?}");
        assert!(
            refused > 0 || kind == "issuance",
            "no {kind} refused: {total:?}"
        );
    }
    for outcome in [
        "status recorded",
        "status pending_rofr",
        "status rofr_exercised",
        "cash_in_lieu",
    ] {
        assert!(
            total.contains_key(outcome),
            "never saw {outcome}: {total:?}"
        );
    }
}

/// A fixed sequence touching every kind of entry, so a regression shows without shrinking.
#[test]
fn a_busy_day_in_the_register() {
    let ops = vec![
        Op::Issue {
            sec: 0,
            inv: 0,
            qty: 100,
            cents: 100,
        },
        Op::Issue {
            sec: 1,
            inv: 0,
            qty: 100,
            cents: 100,
        },
        Op::Issue {
            sec: 2,
            inv: 1,
            qty: 77,
            cents: 250,
        },
        Op::Advance(200),
        Op::Transfer {
            sec: 1,
            from: 0,
            to: 1,
            qty: Qty::Abs(30),
            cents: 500,
        },
        Op::Transfer {
            sec: 1,
            from: 0,
            to: 2,
            qty: Qty::Abs(80),
            cents: 500,
        },
        Op::Rofr {
            pick: any_index(),
            decision: RofrDecision::Exercise,
        },
        Op::Advance(400),
        Op::Transfer {
            sec: 0,
            from: 0,
            to: 3,
            qty: Qty::Abs(40),
            cents: 300,
        },
        Op::Transfer {
            sec: 2,
            from: 1,
            to: 3,
            qty: Qty::Abs(7),
            cents: 300,
        },
        Op::Split {
            sec: 0,
            new: 3,
            old: 2,
            reverse: false,
            cents: Some(150),
        },
        Op::Split {
            sec: 2,
            new: 1,
            old: 4,
            reverse: true,
            cents: Some(900),
        },
        Op::Transfer {
            sec: 1,
            from: 0,
            to: 1,
            qty: Qty::Abs(10),
            cents: 600,
        },
        Op::Advance(30),
        Op::Rofr {
            pick: any_index(),
            decision: RofrDecision::Lapse,
        },
        Op::Convert {
            sec: 0,
            target: 3,
            new: 2,
            old: 3,
            holder: Some((3, Some(31))),
            cents: Some(100),
        },
        Op::Convert {
            sec: 2,
            target: 3,
            new: 5,
            old: 2,
            holder: None,
            cents: Some(100),
        },
        Op::Redeem {
            sec: 3,
            inv: 3,
            qty: Qty::Abs(5),
            cents: 1000,
        },
        Op::Merge {
            sec: 0,
            target: 3,
            new: 1,
            old: 3,
            cents: Some(700),
        },
        Op::Issue {
            sec: 0,
            inv: 0,
            qty: 1,
            cents: 1,
        },
    ];
    let coverage = run(&ops);
    for kind in [
        "transfer",
        "split",
        "reverse_split",
        "conversion",
        "merger",
        "redemption",
        "rofr_exercise",
        "rofr_lapse",
    ] {
        assert!(
            coverage.get(kind).is_some_and(|c| c.0 > 0),
            "{kind} not accepted: {coverage:?}"
        );
    }
}

fn any_index() -> Index {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    any::<Index>()
        .new_tree(&mut runner)
        .expect("an index")
        .current()
}
