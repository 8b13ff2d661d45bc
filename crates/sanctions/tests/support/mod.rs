//! Shared by the tests and the bench (which includes `generated.rs` by path).

pub mod generated;
