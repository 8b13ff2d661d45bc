//! The journal, the record of the register: every change is one captable `JournalEntry`,
//! appended in a per-organization sequence and never changed. [`record`] appends an entry and
//! writes its `Outcome` into the state materialised from the journal (lots, totals, disposals,
//! cash in lieu), inside the caller's transaction.
//!
//! Every entry takes effect on the day it is recorded, except an issuance with an earlier
//! `acquired_at`, which takes effect on that day (loading an existing cap table). Such an
//! issuance is accepted only if no entry of its security is dated after it, so each
//! security's entries are in date order in the journal; across securities the journal's
//! order is not the date order, hence `ORDER BY effective_on, seq` wherever it is replayed.

use std::collections::BTreeSet;

use captable::{JournalEntry, Outcome};
use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId};
use time::Date;
use uuid::Uuid;

use super::{disposals, lots, securities};
use crate::engine::FromEngine;

fn kind_of(entry: &JournalEntry) -> &'static str {
    use captable::Action;
    match entry.action {
        Action::Issuance { .. } => "issuance",
        Action::Transfer { .. } => "transfer",
        Action::RofrWaive { .. } => "rofr_waive",
        Action::RofrExercise { .. } => "rofr_exercise",
        Action::RofrLapse { .. } => "rofr_lapse",
        Action::Split { .. } => "split",
        Action::ReverseSplit { .. } => "reverse_split",
        Action::Merger { .. } => "merger",
        Action::Conversion { .. } => "conversion",
        Action::Redemption { .. } => "redemption",
    }
}

/// Appends `entry` to the organization's journal and writes its `outcome` into the
/// materialised state. `securities` are the securities the entry touches (already locked);
/// `investors` any holder the outcome does not name (the two sides of a pending transfer).
/// Returns the journal sequence number.
pub async fn record(
    tx: &mut TenantTx,
    entry: &JournalEntry,
    outcome: &Outcome,
    securities: &[AssetId],
    investors: &[InvestorId],
    recorded_by: &str,
) -> anyhow::Result<i64> {
    // Taken last in the transaction (after the security locks), so gap-free and in commit order.
    let seq = sqlx::query_scalar!(
        "INSERT INTO journal_heads (organization_id, last_seq) VALUES ($1, 1)
         ON CONFLICT (organization_id) DO UPDATE SET last_seq = journal_heads.last_seq + 1
         RETURNING last_seq",
        tx.org(),
    )
    .fetch_one(&mut **tx)
    .await?;

    let mut investor_ids: BTreeSet<Uuid> = investors.iter().map(|i| i.uuid()).collect();
    for p in &outcome.positions {
        investor_ids.insert(InvestorId::from_engine(&p.investor_id)?.uuid());
    }
    for d in &outcome.disposals {
        investor_ids.insert(InvestorId::from_engine(&d.investor_id)?.uuid());
    }
    let investor_ids: Vec<Uuid> = investor_ids.into_iter().collect();
    let security_uuids: Vec<Uuid> = securities.iter().map(|s| s.uuid()).collect();
    sqlx::query!(
        "INSERT INTO journal (organization_id, seq, entry_id, kind, effective_on, security_ids,
             investor_ids, entry, outcome, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        tx.org(),
        seq,
        entry.id,
        kind_of(entry),
        entry.effective_on,
        &security_uuids,
        &investor_ids,
        serde_json::to_value(entry)?,
        serde_json::to_value(outcome)?,
        recorded_by,
    )
    .execute(&mut **tx)
    .await?;

    lots::write_positions(tx, &outcome.positions).await?;
    for (security_id, totals) in &outcome.totals {
        securities::set_totals(tx, AssetId::from_engine(security_id)?, totals).await?;
    }
    securities::set_last_effective_on(tx, securities, entry.effective_on).await?;
    disposals::write_disposals(tx, seq, &entry.id, outcome).await?;
    disposals::write_cash_in_lieu(tx, seq, &entry.id, outcome).await?;
    Ok(seq)
}

/// A journal row touching a security, with its outcome.
pub struct JournalRow {
    pub seq: i64,
    pub entry: JournalEntry,
    pub outcome: Outcome,
}

/// The journal rows touching a security in effective-date order (then journal order; for one
/// security the two agree).
pub async fn of_security(tx: &mut TenantTx, security: AssetId) -> anyhow::Result<Vec<JournalRow>> {
    let rows = sqlx::query!(
        "SELECT seq, entry, outcome FROM journal
         WHERE organization_id = $1 AND security_ids @> ARRAY[$2::uuid]
         ORDER BY effective_on, seq",
        tx.org(),
        security.uuid(),
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(JournalRow {
                seq: r.seq,
                entry: serde_json::from_value(r.entry)?,
                outcome: serde_json::from_value(r.outcome)?,
            })
        })
        .collect()
}

/// What replaying the register of some securities needs: the entries effective by `as_of`
/// (every entry when `None`) touching `seed` or, transitively, a security an entry of theirs
/// touches (a conversion or merger needs both sides), in effective-date order, then journal
/// order; and the securities they touch, seed included.
pub struct History {
    pub entries: Vec<JournalEntry>,
    pub securities: Vec<AssetId>,
}

/// Reads the [`History`] of `seed` in one statement, so the set of securities and the entries
/// agree whatever is recorded meanwhile (a security's terms, read afterwards, never change).
pub async fn history(
    tx: &mut TenantTx,
    seed: &[AssetId],
    as_of: Option<Date>,
) -> anyhow::Result<History> {
    let rows = sqlx::query!(
        r#"WITH RECURSIVE closure(s) AS (
               SELECT unnest($2::uuid[])
             UNION
               SELECT t.s FROM closure c
               JOIN journal j ON j.organization_id = $1 AND j.security_ids @> ARRAY[c.s]
                             AND ($3::date IS NULL OR j.effective_on <= $3)
               CROSS JOIN LATERAL unnest(j.security_ids) AS t(s)
           )
           SELECT entry, security_ids FROM journal
           WHERE organization_id = $1 AND security_ids && ARRAY(SELECT s FROM closure)
             AND ($3::date IS NULL OR effective_on <= $3)
           ORDER BY effective_on, seq"#,
        tx.org(),
        seed as &[AssetId],
        as_of,
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut touched: BTreeSet<AssetId> = seed.iter().copied().collect();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        touched.extend(row.security_ids.into_iter().map(AssetId));
        entries.push(serde_json::from_value(row.entry)?);
    }
    Ok(History {
        entries,
        securities: touched.into_iter().collect(),
    })
}

/// The latest effective date of the journal entries touching any of `securities` (the
/// securities' `last_effective_on`, read from the journal itself).
pub async fn latest_entry_date(
    tx: &mut TenantTx,
    securities: &[AssetId],
) -> Result<Option<Date>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(effective_on) FROM journal
         WHERE organization_id = $1 AND security_ids && $2",
        tx.org(),
        securities as &[AssetId],
    )
    .fetch_one(&mut **tx)
    .await
}

/// The securities an investor has had a position in (by the journal), up to `up_to`.
pub async fn securities_of_investor(
    tx: &mut TenantTx,
    investor: InvestorId,
    up_to: Option<Date>,
) -> Result<Vec<AssetId>, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"SELECT DISTINCT s AS "s!" FROM journal, UNNEST(security_ids) AS s
           WHERE organization_id = $1 AND investor_ids @> ARRAY[$2::uuid]
             AND ($3::date IS NULL OR effective_on <= $3)"#,
        tx.org(),
        investor.uuid(),
        up_to,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids.into_iter().map(AssetId).collect())
}

/// Whether the TA has any record of the investor in this organization.
pub async fn investor_known(tx: &mut TenantTx, investor: InvestorId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM journal
                          WHERE organization_id = $1 AND investor_ids @> ARRAY[$2::uuid])
              OR EXISTS (SELECT 1 FROM transfers WHERE organization_id = $1
                         AND (from_investor_id = $2 OR to_investor_id = $2)) AS "known!""#,
        tx.org(),
        investor.uuid(),
    )
    .fetch_one(&mut **tx)
    .await
}
