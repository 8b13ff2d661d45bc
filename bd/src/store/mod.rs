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

/// Splits `items` into runs of consecutive items whose estimated parameter bytes (`size`) stay
/// under [`checks::STATEMENT_BYTES`], for multi-row statements (an item larger than that alone
/// is a run of its own).
pub(crate) fn runs<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && bytes + n > checks::STATEMENT_BYTES {
            out.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_stay_under_the_statement_size() {
        let sizes = [5000, 5000, 5000, 20_000, 100, 100];
        let got: Vec<Vec<usize>> = runs(&sizes, |s| *s)
            .into_iter()
            .map(<[usize]>::to_vec)
            .collect();
        assert_eq!(
            got,
            vec![vec![5000, 5000], vec![5000], vec![20_000], vec![100, 100]]
        );
        assert!(runs(&[] as &[usize], |s| *s).is_empty());
    }
}
