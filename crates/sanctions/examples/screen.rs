//! Screens names from the command line and prints the results as JSON, for an operator or
//! a compliance officer asking why a name got the decision it did.
//!
//! `cargo run --release -p sanctions --example screen -- [--dir DIR] [--individual]
//! [--dob YYYY-MM-DD] [--country CC] NAME...` (default DIR: the repository's data/ofac).

use sanctions::{PartyType, SanctionsList, ScreeningConfig, ScreeningRequest, bundled_list_dir};

fn take(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    if i + 1 >= args.len() {
        return None;
    }
    let value = args.remove(i + 1);
    args.remove(i);
    Some(value)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dir = take(&mut args, "--dir").map_or_else(bundled_list_dir, Into::into);
    let dob = take(&mut args, "--dob").map(|d| {
        let format = time::format_description::well_known::Iso8601::DATE;
        time::Date::parse(&d, &format).unwrap_or_else(|e| {
            eprintln!("--dob {d}: {e}");
            std::process::exit(2);
        })
    });
    let country = take(&mut args, "--country");
    let individual = match args.iter().position(|a| a == "--individual") {
        Some(i) => {
            args.remove(i);
            true
        }
        None => false,
    };
    if args.is_empty() {
        eprintln!(
            "usage: screen [--dir DIR] [--individual] [--dob YYYY-MM-DD] [--country CC] NAME..."
        );
        std::process::exit(2);
    }
    let list = match SanctionsList::load_dir(&dir) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let config = ScreeningConfig::default();
    for name in args {
        let mut request = ScreeningRequest::new(name.as_str());
        request.party_type = individual.then_some(PartyType::Individual);
        request.date_of_birth = dob;
        request.country = country.clone();
        match list.screen(&request, &config) {
            Ok(result) => match serde_json::to_string_pretty(&result) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("{name}: {e}"),
            },
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
}
