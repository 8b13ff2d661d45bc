//! Screens names from the command line and prints the results as JSON, for an operator or
//! a compliance officer asking why a name got the decision it did.
//!
//! `cargo run --release -p sanctions --example screen -- [--dir DIR] NAME...`
//! (default DIR: the repository's data/ofac).

use sanctions::{SanctionsList, ScreeningConfig, ScreeningRequest, bundled_list_dir};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.iter().position(|a| a == "--dir") {
        Some(i) if i + 1 < args.len() => {
            let dir = args.remove(i + 1);
            args.remove(i);
            dir.into()
        }
        _ => bundled_list_dir(),
    };
    if args.is_empty() {
        eprintln!("usage: screen [--dir DIR] NAME...");
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
        match list.screen(&ScreeningRequest::new(name.as_str()), &config) {
            Ok(result) => match serde_json::to_string_pretty(&result) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("{name}: {e}"),
            },
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
}
