//! `cargo bench -p matching`: the exchange-core command mix (written in the next commit).

fn main() {}
