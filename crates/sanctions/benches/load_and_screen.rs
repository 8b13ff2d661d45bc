//! `cargo bench -p sanctions`: loading the bundled SDN snapshot and screening one name.
//! Plain `Instant` timing, min and median over repeated runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sanctions::{SanctionsList, ScreeningConfig, ScreeningRequest, bundled_list_dir};

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let out = black_box(f());
            let elapsed = start.elapsed();
            // Dropping the result (a whole list, for loads) is not what is measured.
            drop(out);
            elapsed
        })
        .collect();
    samples.sort_unstable();
    let min = samples.first().copied().unwrap_or_default();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    (min, median)
}

fn report(label: &str, runs: usize, (min, median): (Duration, Duration)) {
    println!("{label:<48} runs {runs:>4}  min {min:>10.2?}  median {median:>10.2?}");
}

fn main() {
    let dir = bundled_list_dir();
    let list = match SanctionsList::load_dir(&dir) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("cannot load {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    let info = list.info();
    println!(
        "list {}: {} entries, {} aliases, {} addresses",
        info.version(),
        info.entries,
        info.aliases,
        info.addresses
    );

    let runs = 20;
    report(
        "load_dir (parse + index)",
        runs,
        time(runs, || SanctionsList::load_dir(&dir)),
    );

    let config = ScreeningConfig::default();
    let names = [
        (
            "screen: John Smith (clear)",
            ScreeningRequest::individual("John Smith"),
        ),
        (
            "screen: Mohammed Ali Hassan (common tokens)",
            ScreeningRequest::new("Mohammed Ali Hassan"),
        ),
        (
            "screen: Manuel Antonio Noriega (hit)",
            ScreeningRequest::individual("Manuel Antonio Noriega"),
        ),
        (
            "screen: Banco Nacional de Cuba (entity hit)",
            ScreeningRequest::entity("Banco Nacional de Cuba"),
        ),
        ("screen: Hamas (one token)", ScreeningRequest::new("Hamas")),
    ];
    let runs = 200;
    for (label, request) in &names {
        report(label, runs, time(runs, || list.screen(request, &config)));
    }
}
