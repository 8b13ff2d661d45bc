//! `cargo bench -p captable`: the engine's cost per journal entry, and what an "as of" query
//! pays to replay a long journal. Plain `Instant` timing; results go to docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use captable::{Action, JournalEntry, Ledger, Regulation, SecurityTerms};
use rust_decimal::Decimal;
use time::macros::date;

const INVESTORS: usize = 200;
const TRANSFERS: usize = 20_000;

fn journal() -> Vec<JournalEntry> {
    let start = date!(2024 - 01 - 02);
    let mut entries = Vec::new();
    for i in 0..INVESTORS {
        entries.push(JournalEntry {
            id: format!("iss{i}"),
            effective_on: start,
            action: Action::Issuance {
                security_id: "S".into(),
                investor_id: format!("inv{i}"),
                quantity: Decimal::from(10_000),
                price_per_share: Decimal::ONE,
                acquired_at: None,
            },
        });
    }
    // Round-robin trades between neighbours, one day after another: many lots, FIFO work.
    for t in 0..TRANSFERS {
        let from = t % INVESTORS;
        let to = (t * 7 + 1) % INVESTORS;
        let to = if to == from { (to + 1) % INVESTORS } else { to };
        entries.push(JournalEntry {
            id: format!("trf{t}"),
            effective_on: start + time::Duration::days(1 + (t / 100) as i64),
            action: Action::Transfer {
                security_id: "S".into(),
                from_investor_id: format!("inv{from}"),
                to_investor_id: format!("inv{to}"),
                quantity: Decimal::from(3 + (t % 5) as i64),
                price_per_share: Decimal::new(150 + (t % 50) as i64, 2),
                seller_is_affiliate: false,
            },
        });
    }
    entries
}

fn terms() -> SecurityTerms {
    SecurityTerms::new("S", Regulation::Registered, false)
}

fn main() {
    let entries = journal();

    let mut per_entry = Vec::new();
    for _ in 0..5 {
        let mut ledger = Ledger::new([terms()]).unwrap();
        let start = Instant::now();
        for e in &entries {
            black_box(ledger.apply(e).expect("valid entry"));
        }
        per_entry.push(start.elapsed() / u32::try_from(entries.len()).unwrap());
    }
    per_entry.sort();
    println!(
        "apply (issuances + {TRANSFERS} FIFO transfers, {INVESTORS} holders): min {:?}, median {:?} per entry",
        per_entry[0],
        per_entry[per_entry.len() / 2]
    );

    let mut replays: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        black_box(Ledger::replay([terms()], &entries, None).unwrap());
        replays.push(start.elapsed());
    }
    replays.sort();
    println!(
        "replay of a {}-entry journal (registry as of its last day): min {:?}, median {:?}",
        entries.len(),
        replays[0],
        replays[replays.len() / 2]
    );

    let json: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let start = Instant::now();
    let parsed: Vec<JournalEntry> = json
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    black_box(Ledger::replay([terms()], &parsed, None).unwrap());
    println!(
        "replay including JSON decoding of every entry (as the TA stores them): {:?}",
        start.elapsed()
    );
}
