//! The journal and the state materialised from it.
//!
//! A change is one transaction: lock the securities rows involved ([`super::securities::lock`]),
//! build a captable [`Ledger`] from the snapshot the entry needs ([`load_snapshot`]), apply the
//! entry, then [`record`] the journal row and the `Outcome` (lots, totals, disposals, cash in
//! lieu) before committing. A refused entry writes nothing here. Queries "as of" a date replay
//! the journal ([`replay`]) in effective-date order.
//!
//! Every entry takes effect on the day it is recorded, except an issuance with an earlier
//! `acquired_at`, which takes effect on that day (loading an existing cap table). Such an
//! issuance is accepted only if no entry of its security is dated after it, so each
//! security's entries are in date order in the journal; across securities the journal's
//! order is not the date order, hence `ORDER BY effective_on, seq` wherever it is replayed.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use captable::{
    DisposalKind, HoldingTerm, JournalEntry, Ledger, Lot, Outcome, PendingTransfer, Position,
    Snapshot,
};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use super::securities::{self, SecurityRow};
use crate::ids::{InvestorId, SecurityId, TransferId};

/// A lot as stored.
#[derive(Debug, Clone)]
pub struct LotRow {
    pub security_id: SecurityId,
    pub investor_id: InvestorId,
    pub lot_id: String,
    pub acquired_at: Date,
    pub holding_period_start: Date,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
}

impl LotRow {
    pub fn lot(&self) -> Lot {
        Lot {
            id: self.lot_id.clone(),
            acquired_at: self.acquired_at,
            holding_period_start: self.holding_period_start,
            quantity: self.quantity,
            cost_basis: self.cost_basis,
        }
    }
}

/// Groups lots (ordered by security, investor, FIFO) into positions.
pub fn positions(lots: &[LotRow]) -> Vec<Position> {
    let mut out: Vec<Position> = Vec::new();
    for row in lots {
        let (sec, inv) = (row.security_id.to_string(), row.investor_id.to_string());
        match out.last_mut() {
            Some(p) if p.security_id == sec && p.investor_id == inv => p.lots.push(row.lot()),
            _ => out.push(Position {
                security_id: sec,
                investor_id: inv,
                lots: vec![row.lot()],
            }),
        }
    }
    out
}

/// Current lots of `securities`, of every holder or of `investors` only.
pub async fn lots(
    conn: &mut PgConnection,
    org: &str,
    securities: &[SecurityId],
    investors: Option<&[InvestorId]>,
) -> Result<Vec<LotRow>, sqlx::Error> {
    sqlx::query_as!(
        LotRow,
        r#"SELECT security_id AS "security_id: SecurityId", investor_id AS "investor_id: InvestorId",
                  lot_id, acquired_at, holding_period_start, quantity, cost_basis
           FROM lots
           WHERE org_id = $1 AND security_id = ANY($2)
             AND ($3::uuid[] IS NULL OR investor_id = ANY($3))
           ORDER BY security_id, investor_id, ordinal"#,
        org,
        securities as &[SecurityId],
        investors as Option<&[InvestorId]>,
    )
    .fetch_all(conn)
    .await
}

/// Transfers waiting on a right of first refusal in `securities`, of every seller or of
/// `sellers` only.
pub async fn pending_transfers(
    conn: &mut PgConnection,
    org: &str,
    securities: &[SecurityId],
    sellers: Option<&[InvestorId]>,
) -> Result<Vec<PendingTransfer>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: SecurityId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId",
                  quantity, price_per_share, seller_is_affiliate, requested_on,
                  rofr_last_day AS "rofr_last_day!"
           FROM transfers
           WHERE org_id = $1 AND status = 'pending_rofr' AND security_id = ANY($2)
             AND ($3::uuid[] IS NULL OR from_investor_id = ANY($3))
           ORDER BY id"#,
        org,
        securities as &[SecurityId],
        sellers as Option<&[InvestorId]>,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PendingTransfer {
            transfer_id: r.id.to_string(),
            security_id: r.security_id.to_string(),
            from_investor_id: r.from_investor_id.to_string(),
            to_investor_id: r.to_investor_id.to_string(),
            quantity: r.quantity,
            price_per_share: r.price_per_share,
            seller_is_affiliate: r.seller_is_affiliate,
            requested_on: r.requested_on,
            last_day: r.rofr_last_day,
        })
        .collect())
}

/// The state an entry needs: the (locked) securities, the positions of `investors` in them
/// (every position when `None`: corporate actions), and the pending transfers of those
/// holders.
pub async fn load_snapshot(
    conn: &mut PgConnection,
    org: &str,
    securities: &[SecurityRow],
    investors: Option<&[InvestorId]>,
) -> anyhow::Result<Snapshot> {
    let ids: Vec<SecurityId> = securities.iter().map(|s| s.id).collect();
    let lots = lots(conn, org, &ids, investors).await?;
    let pending = pending_transfers(conn, org, &ids, investors).await?;
    Ok(Snapshot {
        securities: securities
            .iter()
            .map(SecurityRow::state)
            .collect::<anyhow::Result<_>>()?,
        positions: positions(&lots),
        pending_transfers: pending,
        last_effective_on: securities.iter().filter_map(|s| s.last_effective_on).max(),
    })
}

pub fn ledger_from(snapshot: Snapshot) -> anyhow::Result<Ledger> {
    Ledger::from_snapshot(snapshot).context("stored state is not a valid ledger")
}

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

fn uuid_of_security(s: &str) -> anyhow::Result<Uuid> {
    Ok(SecurityId::from_engine(s)?.uuid())
}

fn uuid_of_investor(s: &str) -> anyhow::Result<Uuid> {
    Ok(InvestorId::from_engine(s)?.uuid())
}

/// Appends `entry` to the organization's journal and writes its `outcome` into the
/// materialised state, inside the caller's transaction. `securities` are the securities the
/// entry touches (already locked); `investors` any holder the outcome does not name (the two
/// sides of a pending transfer). Returns the journal sequence number.
pub async fn record(
    conn: &mut PgConnection,
    org: &str,
    entry: &JournalEntry,
    outcome: &Outcome,
    securities: &[SecurityId],
    investors: &[InvestorId],
    recorded_by: &str,
) -> anyhow::Result<i64> {
    let seq = sqlx::query_scalar!(
        "INSERT INTO journal_heads (org_id, last_seq) VALUES ($1, 1)
         ON CONFLICT (org_id) DO UPDATE SET last_seq = journal_heads.last_seq + 1
         RETURNING last_seq",
        org
    )
    .fetch_one(&mut *conn)
    .await?;

    let mut investor_ids: BTreeSet<Uuid> = investors.iter().map(|i| i.uuid()).collect();
    for p in &outcome.positions {
        investor_ids.insert(uuid_of_investor(&p.investor_id)?);
    }
    for d in &outcome.disposals {
        investor_ids.insert(uuid_of_investor(&d.investor_id)?);
    }
    let investor_ids: Vec<Uuid> = investor_ids.into_iter().collect();
    let security_uuids: Vec<Uuid> = securities.iter().map(|s| s.uuid()).collect();
    sqlx::query!(
        "INSERT INTO journal (org_id, seq, entry_id, kind, effective_on, security_ids,
             investor_ids, entry, outcome, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        org,
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
    .execute(&mut *conn)
    .await?;

    write_positions(conn, org, &outcome.positions).await?;

    for (security_id, t) in &outcome.totals {
        sqlx::query!(
            "UPDATE securities SET issued = $3, redeemed = $4, split_adjustment = $5,
                 converted_in = $6, converted_out = $7, merged_in = $8, merged_out = $9,
                 fractions_cashed = $10
             WHERE org_id = $1 AND id = $2",
            org,
            uuid_of_security(security_id)?,
            t.issued,
            t.redeemed,
            t.split_adjustment,
            t.converted_in,
            t.converted_out,
            t.merged_in,
            t.merged_out,
            t.fractions_cashed,
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "UPDATE securities SET last_effective_on = $3 WHERE org_id = $1 AND id = ANY($2)",
        org,
        &security_uuids,
        entry.effective_on,
    )
    .execute(&mut *conn)
    .await?;

    write_disposals(conn, org, seq, &entry.id, outcome).await?;
    write_cash_in_lieu(conn, org, seq, &entry.id, outcome).await?;
    Ok(seq)
}

/// Replaces each position the outcome touched with its lots after the entry.
async fn write_positions(
    conn: &mut PgConnection,
    org: &str,
    positions: &[Position],
) -> anyhow::Result<()> {
    if positions.is_empty() {
        return Ok(());
    }
    let mut pos_sec = Vec::new();
    let mut pos_inv = Vec::new();
    let (mut sec, mut inv, mut ordinal, mut lot_id) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut acquired, mut hps, mut qty, mut basis) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in positions {
        let s = uuid_of_security(&p.security_id)?;
        let i = uuid_of_investor(&p.investor_id)?;
        pos_sec.push(s);
        pos_inv.push(i);
        for (n, lot) in p.lots.iter().enumerate() {
            sec.push(s);
            inv.push(i);
            ordinal.push(i32::try_from(n)?);
            lot_id.push(lot.id.clone());
            acquired.push(lot.acquired_at);
            hps.push(lot.holding_period_start);
            qty.push(lot.quantity);
            basis.push(lot.cost_basis);
        }
    }
    sqlx::query!(
        "DELETE FROM lots l USING UNNEST($2::uuid[], $3::uuid[]) AS p(security_id, investor_id)
         WHERE l.org_id = $1 AND l.security_id = p.security_id AND l.investor_id = p.investor_id",
        org,
        &pos_sec,
        &pos_inv,
    )
    .execute(&mut *conn)
    .await?;
    if !sec.is_empty() {
        sqlx::query!(
            "INSERT INTO lots (org_id, security_id, investor_id, ordinal, lot_id, acquired_at,
                 holding_period_start, quantity, cost_basis)
             SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::date[],
                 $7::date[], $8::numeric[], $9::numeric[])",
            org,
            &sec,
            &inv,
            &ordinal,
            &lot_id,
            &acquired,
            &hps,
            &qty,
            &basis,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn write_disposals(
    conn: &mut PgConnection,
    org: &str,
    seq: i64,
    entry_id: &str,
    outcome: &Outcome,
) -> anyhow::Result<()> {
    if outcome.disposals.is_empty() {
        return Ok(());
    }
    let n = outcome.disposals.len();
    let (mut sec, mut inv, mut lot_id) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut acquired, mut disposed) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut qty, mut proceeds, mut basis, mut gain) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut term, mut kind, mut transfer, mut counterparty) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in &outcome.disposals {
        sec.push(uuid_of_security(&d.security_id)?);
        inv.push(uuid_of_investor(&d.investor_id)?);
        lot_id.push(d.lot_id.clone());
        acquired.push(d.acquired_at);
        disposed.push(d.disposed_on);
        qty.push(d.quantity);
        proceeds.push(d.proceeds);
        basis.push(d.cost_basis);
        gain.push(d.gain);
        term.push(match d.term {
            HoldingTerm::Short => "short".to_owned(),
            HoldingTerm::Long => "long".to_owned(),
        });
        let (k, t, c) = match &d.kind {
            DisposalKind::Transfer {
                transfer_id,
                to_investor_id,
            } => (
                "transfer",
                Some(TransferId::from_engine(transfer_id)?.uuid()),
                Some(uuid_of_investor(to_investor_id)?),
            ),
            DisposalKind::Redemption => ("redemption", None, None),
            DisposalKind::RofrExercise { transfer_id } => (
                "rofr_exercise",
                Some(TransferId::from_engine(transfer_id)?.uuid()),
                None,
            ),
            DisposalKind::CashInLieu => ("cash_in_lieu", None, None),
        };
        kind.push(k.to_owned());
        transfer.push(t);
        counterparty.push(c);
    }
    sqlx::query!(
        "INSERT INTO disposals (org_id, journal_seq, entry_id, security_id, investor_id, lot_id,
             acquired_at, disposed_on, quantity, proceeds, cost_basis, gain, term, kind,
             transfer_id, counterparty_investor_id)
         SELECT $1, $2, $3, * FROM UNNEST($4::uuid[], $5::uuid[], $6::text[], $7::date[],
             $8::date[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[],
             $13::text[], $14::text[], $15::uuid[], $16::uuid[])",
        org,
        seq,
        entry_id,
        &sec,
        &inv,
        &lot_id,
        &acquired,
        &disposed,
        &qty,
        &proceeds,
        &basis,
        &gain,
        &term,
        &kind,
        &transfer as &[Option<Uuid>],
        &counterparty as &[Option<Uuid>],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_cash_in_lieu(
    conn: &mut PgConnection,
    org: &str,
    seq: i64,
    entry_id: &str,
    outcome: &Outcome,
) -> anyhow::Result<()> {
    if outcome.cash_in_lieu.is_empty() {
        return Ok(());
    }
    let (mut sec, mut inv, mut frac, mut price, mut amount) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in &outcome.cash_in_lieu {
        sec.push(uuid_of_security(&c.security_id)?);
        inv.push(uuid_of_investor(&c.investor_id)?);
        frac.push(c.fractional_shares);
        price.push(c.price_per_share);
        amount.push(c.amount);
    }
    sqlx::query!(
        "INSERT INTO cash_in_lieu (org_id, journal_seq, entry_id, security_id, investor_id,
             fractional_shares, price_per_share, amount)
         SELECT $1, $2, $3, * FROM UNNEST($4::uuid[], $5::uuid[], $6::numeric[], $7::numeric[],
             $8::numeric[])",
        org,
        seq,
        entry_id,
        &sec,
        &inv,
        &frac,
        &price,
        &amount,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The journal rows touching a security, with their outcomes, in effective-date order (then
/// journal order; for one security the two agree).
pub struct JournalRow {
    pub seq: i64,
    pub entry: JournalEntry,
    pub outcome: Outcome,
}

pub async fn journal_of(
    pool: &PgPool,
    org: &str,
    security: SecurityId,
) -> anyhow::Result<Vec<JournalRow>> {
    let rows = sqlx::query!(
        "SELECT seq, entry, outcome FROM journal
         WHERE org_id = $1 AND security_ids @> ARRAY[$2::uuid] ORDER BY effective_on, seq",
        org,
        security.uuid(),
    )
    .fetch_all(pool)
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

/// Rebuilds the register of `seed` (and of every security its journal entries also touch:
/// a conversion or merger needs both sides) as it stood at the end of `as_of`, or now.
/// Runs in one repeatable-read transaction so that the set of securities and the entries
/// agree.
pub async fn replay(
    pool: &PgPool,
    org: &str,
    seed: &[SecurityId],
    as_of: Option<Date>,
) -> anyhow::Result<Ledger> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let ledger = replay_on(&mut tx, org, seed, as_of).await?;
    tx.commit().await?;
    Ok(ledger)
}

/// [`replay`] on the caller's connection, inside its transaction. The caller holds the lock
/// of every `seed` security (so no entry touching them can be added meanwhile) or runs in a
/// repeatable-read transaction.
///
/// Entries are applied in effective-date order, then journal order (`ORDER BY effective_on,
/// seq`): a back-dated issuance is appended to the journal after entries of other securities
/// dated later, but each security's own entries are in date order (an entry is never dated
/// before the latest entry of a security it touches), so this order keeps every security's
/// sequence and satisfies captable's date-order rule across securities.
pub async fn replay_on(
    conn: &mut PgConnection,
    org: &str,
    seed: &[SecurityId],
    as_of: Option<Date>,
) -> anyhow::Result<Ledger> {
    let mut closure: BTreeSet<Uuid> = seed.iter().map(|s| s.uuid()).collect();
    loop {
        let set: Vec<Uuid> = closure.iter().copied().collect();
        let touched = sqlx::query_scalar!(
            r#"SELECT DISTINCT s AS "s!" FROM journal, UNNEST(security_ids) AS s
               WHERE org_id = $1 AND security_ids && $2 AND ($3::date IS NULL OR effective_on <= $3)"#,
            org,
            &set,
            as_of,
        )
        .fetch_all(&mut *conn)
        .await?;
        let before = closure.len();
        closure.extend(touched);
        if closure.len() == before {
            break;
        }
    }
    let ids: Vec<SecurityId> = closure.iter().map(|u| SecurityId(*u)).collect();
    let rows = securities::fetch_many(&mut *conn, org, &ids).await?;
    let terms = rows
        .iter()
        .map(SecurityRow::terms)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let set: Vec<Uuid> = closure.into_iter().collect();
    let entries = sqlx::query_scalar!(
        "SELECT entry FROM journal
         WHERE org_id = $1 AND security_ids && $2 AND ($3::date IS NULL OR effective_on <= $3)
         ORDER BY effective_on, seq",
        org,
        &set,
        as_of,
    )
    .fetch_all(&mut *conn)
    .await?;
    let entries = entries
        .into_iter()
        .map(serde_json::from_value::<JournalEntry>)
        .collect::<Result<Vec<_>, _>>()?;
    Ledger::replay(terms, &entries, as_of).context("the journal does not replay")
}

/// The latest effective date of the journal entries touching any of `securities` (the
/// securities' `last_effective_on`, read from the journal itself).
pub async fn latest_entry_date(
    conn: &mut PgConnection,
    org: &str,
    securities: &[SecurityId],
) -> Result<Option<Date>, sqlx::Error> {
    let set: Vec<Uuid> = securities.iter().map(|s| s.uuid()).collect();
    sqlx::query_scalar!(
        "SELECT max(effective_on) FROM journal WHERE org_id = $1 AND security_ids && $2",
        org,
        &set,
    )
    .fetch_one(conn)
    .await
}

/// The securities an investor has had a position in (by the journal), up to `up_to`.
pub async fn securities_of_investor(
    pool: &PgPool,
    org: &str,
    investor: InvestorId,
    up_to: Option<Date>,
) -> Result<Vec<SecurityId>, sqlx::Error> {
    let ids = sqlx::query_scalar!(
        r#"SELECT DISTINCT s AS "s!" FROM journal, UNNEST(security_ids) AS s
           WHERE org_id = $1 AND investor_ids @> ARRAY[$2::uuid]
             AND ($3::date IS NULL OR effective_on <= $3)"#,
        org,
        investor.uuid(),
        up_to,
    )
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(SecurityId).collect())
}

/// Whether the TA has any record of the investor in this organization.
pub async fn investor_known(
    pool: &PgPool,
    org: &str,
    investor: InvestorId,
) -> Result<bool, sqlx::Error> {
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM journal WHERE org_id = $1 AND investor_ids @> ARRAY[$2::uuid])
              OR EXISTS (SELECT 1 FROM transfers WHERE org_id = $1
                         AND (from_investor_id = $2 OR to_investor_id = $2)) AS "known!""#,
        org,
        investor.uuid(),
    )
    .fetch_one(pool)
    .await?;
    Ok(known)
}

/// Holdings of a security by investor, summed from its lots (for registries).
pub fn registry_lines(lots: &[LotRow]) -> BTreeMap<InvestorId, Decimal> {
    let mut out = BTreeMap::new();
    for l in lots {
        *out.entry(l.investor_id).or_insert(Decimal::ZERO) += l.quantity;
    }
    out
}

/// A realised gain as stored (one 1099-B line).
#[derive(Debug, Clone)]
pub struct DisposalRow {
    pub security_id: SecurityId,
    pub lot_id: String,
    pub acquired_at: Date,
    pub disposed_on: Date,
    pub quantity: Decimal,
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub gain: Decimal,
    pub term: String,
    pub kind: String,
    pub transfer_id: Option<TransferId>,
}

/// An investor's disposals in the period, in the order they happened.
pub async fn disposals_of_investor(
    pool: &PgPool,
    org: &str,
    investor: InvestorId,
    from: Date,
    to: Date,
) -> Result<Vec<DisposalRow>, sqlx::Error> {
    sqlx::query_as!(
        DisposalRow,
        r#"SELECT security_id AS "security_id: SecurityId", lot_id, acquired_at, disposed_on,
                  quantity, proceeds, cost_basis, gain, term, kind,
                  transfer_id AS "transfer_id: TransferId"
           FROM disposals
           WHERE org_id = $1 AND investor_id = $2 AND disposed_on BETWEEN $3 AND $4
           ORDER BY journal_seq, id"#,
        org,
        investor as InvestorId,
        from,
        to,
    )
    .fetch_all(pool)
    .await
}
