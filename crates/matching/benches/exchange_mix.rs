//! `cargo bench -p matching`: the exchange-core mix (about 9 % GTC placements, 3 % IOC,
//! 6 % cancels, 82 % moves) over a book of about 1,000 resting orders, on one core.
//!
//! 1. Throughput: every command back to back, five passes over the same commands, each on
//!    a fresh copy of the set-up book.
//! 2. Service time: each command timed alone (`Instant` before and after), percentiles.
//! 3. Paced at 1 million commands per second, open loop: command `i` is due at
//!    `start + i µs`; its latency runs from when it was due to when it finished, so time
//!    spent waiting behind a slow command counts.
//! 4. The same paced loop with a no-op in place of the engine: the floor the harness and
//!    the machine set (timer calls, interrupts, preemption).
//!
//! `MATCHING_BENCH_COMMANDS` changes the number of commands (default 2,000,000).
//! `MATCHING_BENCH_PACED_CHUNK=N` runs the paced parts in chunks of N commands, each after
//! a 600 ms pause and a 20 ms warm-up (spinning, then one walk over the book); each chunk
//! restarts the schedule and the book carries on. That is for running under `chrt -f` (a
//! real-time priority, on a core of its own with `taskset`): Linux throttles a real-time
//! task that runs more than 950 ms in a second, so chunks of at most 500,000 commands
//! (0.5 s at 1 MHz) with pauses never meet the throttle. Results go to
//! docs/benchmarks.md. Plain `Instant` timing, no criterion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use matching::{Book, Command, Event};

const SEED: u64 = 0x5eed_0001;
const RESTING: usize = 1_000;

fn percentile(sorted: &[u32], p: f64) -> u32 {
    let i = ((sorted.len() as f64) * p / 100.0) as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut ns: Vec<u32>) {
    ns.sort_unstable();
    println!(
        "{name}: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, p99.99 {} ns, max {} ns",
        percentile(&ns, 50.0),
        percentile(&ns, 90.0),
        percentile(&ns, 99.0),
        percentile(&ns, 99.9),
        percentile(&ns, 99.99),
        ns[ns.len() - 1]
    );
}

fn throughput(base: &Book, commands: &[Command]) -> Duration {
    let mut book = base.clone();
    let mut out: Vec<Event> = Vec::with_capacity(256);
    let start = Instant::now();
    for &cmd in commands {
        out.clear();
        let r = book.apply(cmd, &mut out);
        black_box(&r);
        black_box(&out);
    }
    let elapsed = start.elapsed();
    black_box(&book);
    elapsed
}

fn service_times(base: &Book, commands: &[Command]) -> Vec<u32> {
    let mut book = base.clone();
    let mut out: Vec<Event> = Vec::with_capacity(256);
    let mut ns = Vec::with_capacity(commands.len());
    for &cmd in commands {
        out.clear();
        let start = Instant::now();
        let r = book.apply(cmd, &mut out);
        black_box(&r);
        black_box(&out);
        ns.push(start.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
    }
    ns
}

/// Open loop at one command per `interval_ns`: latency from the scheduled time. With
/// `chunk` > 0, in chunks of that many commands, each after a pause and a warm-up.
/// `engine: false` runs the same loop with a no-op instead of the book: the harness's and
/// the machine's own floor.
fn paced(
    base: &Book,
    commands: &[Command],
    interval_ns: u64,
    chunk: usize,
    engine: bool,
) -> (Vec<u32>, u64) {
    let mut book = base.clone();
    let mut out: Vec<Event> = Vec::with_capacity(256);
    let mut ns = Vec::with_capacity(commands.len());
    let mut late_starts = 0u64;
    let chunk = if chunk == 0 { commands.len() } else { chunk };
    for part in commands.chunks(chunk) {
        if chunk < commands.len() {
            std::thread::sleep(Duration::from_millis(600));
        }
        // Warm up as a busy engine would be: the core awake (spin 20 ms) and the book in
        // cache (one walk over every order, level and index).
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_millis(20) {
            std::hint::spin_loop();
        }
        black_box(book.check_invariants().is_ok());
        let start = Instant::now();
        for (i, &cmd) in part.iter().enumerate() {
            let due = i as u64 * interval_ns;
            let mut now = start.elapsed().as_nanos() as u64;
            if now > due {
                late_starts += 1;
            }
            while now < due {
                std::hint::spin_loop();
                now = start.elapsed().as_nanos() as u64;
            }
            if engine {
                out.clear();
                let r = book.apply(cmd, &mut out);
                black_box(&r);
                black_box(&out);
            } else {
                black_box(cmd);
            }
            let done = start.elapsed().as_nanos() as u64;
            ns.push((done - due).min(u64::from(u32::MAX)) as u32);
        }
    }
    (ns, late_starts)
}

fn timer_overhead() -> u32 {
    let mut ns: Vec<u32> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            black_box(&t);
            t.elapsed().as_nanos() as u32
        })
        .collect();
    ns.sort_unstable();
    percentile(&ns, 50.0)
}

fn main() {
    let n: usize = std::env::var("MATCHING_BENCH_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let chunk: usize = std::env::var("MATCHING_BENCH_PACED_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    println!(
        "sizes: Command {} bytes, Event {} bytes",
        std::mem::size_of::<Command>(),
        std::mem::size_of::<Event>()
    );
    let started = Instant::now();
    let w = support::generate(SEED, RESTING, n);
    println!(
        "workload: {} set-up orders ({} resting), then {} commands: {}; {}..={} open after any command, {} at the end (generated in {:?})",
        w.setup.len(),
        w.open_after_setup,
        w.commands.len(),
        w.mix.describe(),
        w.open_range.0,
        w.open_range.1,
        w.open_at_end,
        started.elapsed()
    );
    let base = support::setup_book(&w);

    // Every command is valid on this book (the generator checked), and the replay gives
    // the same book as the generator's.
    {
        let mut book = base.clone();
        let mut out = Vec::new();
        let refused = w
            .commands
            .iter()
            .filter(|&&cmd| {
                out.clear();
                book.apply(cmd, &mut out).is_err()
            })
            .count();
        assert_eq!(refused, 0, "refused commands in the workload");
        assert_eq!(book.len(), w.open_at_end);
        book.check_invariants().expect("invariants");
    }

    let mut runs: Vec<Duration> = (0..5).map(|_| throughput(&base, &w.commands)).collect();
    runs.sort();
    let per_sec = |d: Duration| w.commands.len() as f64 / d.as_secs_f64();
    println!(
        "throughput (5 passes): best {:.2} M commands/s ({:.0} ns each), median {:.2} M/s ({:.0} ns each)",
        per_sec(runs[0]) / 1e6,
        runs[0].as_nanos() as f64 / w.commands.len() as f64,
        per_sec(runs[2]) / 1e6,
        runs[2].as_nanos() as f64 / w.commands.len() as f64,
    );

    println!(
        "timer: Instant::now() + elapsed() back to back, median {} ns (included in what follows)",
        timer_overhead()
    );
    report(
        "service time per command",
        service_times(&base, &w.commands),
    );

    for (engine, what) in [(true, "the engine"), (false, "a no-op (the floor)")] {
        let (ns, late) = paced(&base, &w.commands, 1_000, chunk, engine);
        println!(
            "paced at 1,000,000 commands/s, {what} ({} commands{}, {} started late):",
            w.commands.len(),
            if chunk > 0 {
                format!(" in chunks of {chunk}")
            } else {
                String::new()
            },
            late
        );
        report("  latency from scheduled time", ns);
    }
}
