//! The register as the engine sees it: a [`Ledger`] built from the current state of some
//! securities (to apply one new entry), or replayed from the journal (as of a date).
//!
//! A change is one transaction: lock the securities involved (`store::securities::lock`),
//! build a ledger from what the entry needs ([`ledger_of`]), apply the entry, then record the
//! journal row and the outcome (`store::journal::record`) before committing. A refused entry
//! writes nothing.

use anyhow::Context;
use captable::{Ledger, Snapshot};
use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId};
use time::Date;

use crate::store::securities::{self, SecurityRow};
use crate::store::{journal, lots};

/// The ledger of the (locked) `securities` with the positions of `investors` in them (every
/// position when `None`: corporate actions) and the pending transfers of those holders.
pub async fn ledger_of(
    tx: &mut TenantTx,
    securities: &[SecurityRow],
    investors: Option<&[InvestorId]>,
) -> anyhow::Result<Ledger> {
    let ids: Vec<AssetId> = securities.iter().map(|s| s.id).collect();
    let lots = lots::lots(tx, &ids, investors).await?;
    let pending = lots::pending_transfers(tx, &ids, investors).await?;
    let snapshot = Snapshot {
        securities: securities
            .iter()
            .map(SecurityRow::state)
            .collect::<anyhow::Result<_>>()?,
        positions: lots::positions(&lots),
        pending_transfers: pending,
        last_effective_on: securities.iter().filter_map(|s| s.last_effective_on).max(),
    };
    Ledger::from_snapshot(snapshot).context("stored state is not a valid ledger")
}

/// Rebuilds the register of `seed` (and of every security its journal entries also touch)
/// as it stood at the end of `as_of`, or now.
///
/// Entries are applied in effective-date order, then journal order: a back-dated issuance is
/// appended to the journal after entries of other securities dated later, but each
/// security's own entries are in date order (an entry is never dated before the latest entry
/// of a security it touches), so this order keeps every security's sequence and satisfies
/// captable's date-order rule across securities.
pub async fn replay(
    tx: &mut TenantTx,
    seed: &[AssetId],
    as_of: Option<Date>,
) -> anyhow::Result<Ledger> {
    let history = journal::history(tx, seed, as_of).await?;
    let rows = securities::fetch_many(tx, &history.securities).await?;
    let terms = rows
        .iter()
        .map(SecurityRow::terms)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ledger::replay(terms, &history.entries, as_of).context("the journal does not replay")
}
