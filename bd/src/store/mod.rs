//! The BD's queries, and the only place with SQL. Every function takes the tenant transaction
//! (`platform::db::TenantTx`, opened by `AppState::begin`) and filters on its organization
//! (`tx.org()`) on top of the row-level security policy; the one exception is
//! [`checks::kyc_by_provider_ref`], which runs in the commented cross-organization transaction
//! of the KYC provider's webhook.

pub mod alerts;
pub mod checks;
pub mod events;
pub mod false_positives;
pub mod investors;
pub mod orders;
pub mod securities;

use std::str::FromStr;

/// A wire name read back from a `text` column. The column's `CHECK` (or the service, its only
/// writer) keeps it one of the enum's names; anything else is a decode error, never a guess.
pub(crate) fn wire<T: FromStr>(column: &str, value: &str) -> Result<T, sqlx::Error> {
    value.parse().map_err(|_| {
        sqlx::Error::Decode(format!("{column}: unexpected value {value:?} in the database").into())
    })
}
