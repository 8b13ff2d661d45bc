//! The ATS's SQL, and only here. Tenant work goes through `platform::db::TenantTx` (the
//! organization is the transaction's); the functions taking a bare connection serve the jobs'
//! one cross-organization path (`platform::db::begin_all_organizations`).

pub mod assets;
pub mod orders;
pub mod outbox;
pub mod trades;
