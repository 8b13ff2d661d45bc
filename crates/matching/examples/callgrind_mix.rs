//! Instructions per command under callgrind, for the exchange-core mix of
//! `benches/exchange_mix.rs`.
//!
//! ```sh
//! cargo build --release -p matching --example callgrind_mix
//! for n in 100000 200000; do
//!   valgrind --tool=callgrind --toggle-collect='*run_commands*' \
//!     --callgrind-out-file=/tmp/callgrind.mix.$n \
//!     $CARGO_TARGET_DIR/release/examples/callgrind_mix $n
//! done
//! # instructions per command = (Ir(200000) - Ir(100000)) / 100000, Ir from the
//! # "totals:" line of each output file (or `callgrind_annotate FILE | head`).
//! ```
//!
//! Only `run_commands` (and what it calls) is counted, so generating the workload and
//! setting up the book are left out; taking the difference of two runs also cancels
//! whatever fixed cost remains inside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;

use matching::{Book, Command, Event};

const SEED: u64 = 0x5eed_0001;

#[inline(never)]
fn run_commands(book: &mut Book, commands: &[Command]) -> usize {
    let mut out: Vec<Event> = Vec::with_capacity(256);
    let mut events = 0;
    for &cmd in commands {
        out.clear();
        let r = book.apply(cmd, &mut out);
        black_box(&r);
        events += black_box(&out).len();
    }
    events
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let w = support::generate(SEED, 1_000, n);
    let mut book = support::setup_book(&w);
    let events = run_commands(&mut book, &w.commands);
    println!(
        "{n} commands, {events} events, {} open orders; {}",
        book.len(),
        w.mix.describe()
    );
}
