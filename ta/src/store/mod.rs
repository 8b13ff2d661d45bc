//! Persistence: SQL and nothing else. Every function runs in the transaction it is given: a
//! tenant transaction (`&mut TenantTx`, whose organization PostgreSQL's policies enforce and
//! every query also filters on, so the planner uses the indexes leading with
//! `organization_id`), or, for the jobs' queues only, the one transaction across organizations
//! ([`AllOrganizations`], opened by `platform::db::begin_all_organizations`).
//!
//! `journal` appends entries and writes what they changed; `lots`, `disposals` and the other
//! modules are the tables of each resource.

pub mod actions;
pub mod disposals;
pub mod dividends;
pub mod journal;
pub mod lots;
pub mod securities;
pub mod transfers;

/// The transaction that sees every organization (`platform::db::begin_all_organizations`).
pub type AllOrganizations = sqlx::Transaction<'static, sqlx::Postgres>;
