//! `cargo bench -p sanctions`: loading the bundled SDN snapshot, screening one name, and
//! screening the generated set of tests/rates.rs (variants of listed names, ordinary names)
//! with the rates it measures. Plain `Instant` timing, min and median over repeated runs.

#[path = "../tests/support/generated.rs"]
mod generated;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sanctions::{
    Decision, SanctionsList, ScreeningConfig, ScreeningRequest, ScreeningResult, bundled_list_dir,
};

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
    let dob = |y, m, d| {
        time::Date::from_calendar_date(
            y,
            time::Month::try_from(m).unwrap_or(time::Month::January),
            d,
        )
        .unwrap_or(time::Date::MIN)
    };
    let issue = [
        (
            "screen: Ali Khamenei (partial, no DOB: review)",
            ScreeningRequest::individual("Ali Khamenei").with_country("US"),
        ),
        (
            "screen: Fabio Ochoa (partial, DOB agrees: hit)",
            ScreeningRequest::individual("Fabio Ochoa")
                .with_country("CO")
                .with_date_of_birth(dob(1960, 11, 20)),
        ),
        (
            "screen: Ali Hassan (DOB contradicts: clear)",
            ScreeningRequest::individual("Ali Hassan")
                .with_country("US")
                .with_date_of_birth(dob(1985, 3, 2)),
        ),
        (
            "screen: Wei Zhang (DOB contradicts: clear)",
            ScreeningRequest::individual("Wei Zhang")
                .with_country("CN")
                .with_date_of_birth(dob(1985, 3, 2)),
        ),
    ];
    for (label, request) in &issue {
        report(label, runs, time(runs, || list.screen(request, &config)));
    }

    generated_set(&list, &config);
}

/// Each request screened once, timed one by one: the distribution over the whole set.
fn screen_each(
    list: &SanctionsList,
    config: &ScreeningConfig,
    requests: &[ScreeningRequest],
) -> (Vec<ScreeningResult>, Vec<Duration>) {
    let mut results = Vec::with_capacity(requests.len());
    let mut times = Vec::with_capacity(requests.len());
    for r in requests {
        let start = Instant::now();
        let out = black_box(list.screen(r, config));
        times.push(start.elapsed());
        if let Ok(out) = out {
            results.push(out);
        }
    }
    (results, times)
}

fn distribution(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or_default()
    };
    let total: Duration = times.iter().sum();
    let mean = total / u32::try_from(times.len().max(1)).unwrap_or(u32::MAX);
    println!(
        "{label:<48} names {:>5}  mean {mean:>9.2?}  median {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
        times.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn generated_set(list: &SanctionsList, config: &ScreeningConfig) {
    let config = config.with_max_matches(1000);
    let variants = generated::variants(list, 120);
    let requests: Vec<ScreeningRequest> = variants
        .iter()
        .map(|v| ScreeningRequest::individual(v.name.as_str()).with_country("US"))
        .collect();
    // One pass to warm up, one measured.
    screen_each(list, &config, &requests);
    let (results, times) = screen_each(list, &config, &requests);
    let caught = variants
        .iter()
        .zip(&results)
        .filter(|(v, r)| generated::caught(r, v.ent_num))
        .count();
    println!(
        "variants of listed names: {caught}/{} caught ({:.2} %)",
        variants.len(),
        100.0 * caught as f64 / variants.len().max(1) as f64
    );
    distribution("screen: variants (no DOB)", times);

    let names = generated::ordinary_names(list, 1050);
    for with_dob in [false, true] {
        let requests: Vec<ScreeningRequest> = names.iter().map(|o| o.request(with_dob)).collect();
        screen_each(list, &config, &requests);
        let (results, times) = screen_each(list, &config, &requests);
        let approved = results
            .iter()
            .filter(|r| r.decision == Decision::Clear)
            .count();
        let label = if with_dob { "with" } else { "without" };
        println!(
            "ordinary names {label} a date of birth: {approved}/{} approved ({:.2} %)",
            names.len(),
            100.0 * approved as f64 / names.len().max(1) as f64
        );
        distribution(&format!("screen: ordinary names ({label} DOB)"), times);
    }
}
