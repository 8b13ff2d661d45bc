//! Persistence. `ledger` holds the journal, the materialised state and replay; the other
//! modules are the tables of each resource.

pub mod actions;
pub mod dividends;
pub mod ledger;
pub mod securities;
pub mod transfers;

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Postgres>;
