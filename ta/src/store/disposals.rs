//! The `disposals` (realised gains, one per lot or part of a lot that left a holder: the
//! 1099-B lines) and `cash_in_lieu` tables, written from each entry's outcome.

use captable::{DisposalKind, HoldingTerm, Outcome};
use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId, TransferId};
use rust_decimal::Decimal;
use time::Date;
use uuid::Uuid;

use crate::engine::FromEngine;

/// Writes the entry's realised gains.
pub async fn write_disposals(
    tx: &mut TenantTx,
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
        sec.push(AssetId::from_engine(&d.security_id)?.uuid());
        inv.push(InvestorId::from_engine(&d.investor_id)?.uuid());
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
                Some(InvestorId::from_engine(to_investor_id)?.uuid()),
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
        "INSERT INTO disposals (organization_id, journal_seq, entry_id, security_id, investor_id,
             lot_id, acquired_at, disposed_on, quantity, proceeds, cost_basis, gain, term, kind,
             transfer_id, counterparty_investor_id)
         SELECT $1, $2, $3, * FROM UNNEST($4::uuid[], $5::uuid[], $6::text[], $7::date[],
             $8::date[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[],
             $13::text[], $14::text[], $15::uuid[], $16::uuid[])",
        tx.org(),
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the cash the entry paid in lieu of fractional shares.
pub async fn write_cash_in_lieu(
    tx: &mut TenantTx,
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
        sec.push(AssetId::from_engine(&c.security_id)?.uuid());
        inv.push(InvestorId::from_engine(&c.investor_id)?.uuid());
        frac.push(c.fractional_shares);
        price.push(c.price_per_share);
        amount.push(c.amount);
    }
    sqlx::query!(
        "INSERT INTO cash_in_lieu (organization_id, journal_seq, entry_id, security_id,
             investor_id, fractional_shares, price_per_share, amount)
         SELECT $1, $2, $3, * FROM UNNEST($4::uuid[], $5::uuid[], $6::numeric[], $7::numeric[],
             $8::numeric[])",
        tx.org(),
        seq,
        entry_id,
        &sec,
        &inv,
        &frac,
        &price,
        &amount,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A realised gain as stored (one 1099-B line).
#[derive(Debug, Clone)]
pub struct DisposalRow {
    pub security_id: AssetId,
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
pub async fn of_investor(
    tx: &mut TenantTx,
    investor: InvestorId,
    from: Date,
    to: Date,
) -> Result<Vec<DisposalRow>, sqlx::Error> {
    sqlx::query_as!(
        DisposalRow,
        r#"SELECT security_id AS "security_id: AssetId", lot_id, acquired_at, disposed_on,
                  quantity, proceeds, cost_basis, gain, term, kind,
                  transfer_id AS "transfer_id: TransferId"
           FROM disposals
           WHERE organization_id = $1 AND investor_id = $2 AND disposed_on BETWEEN $3 AND $4
           ORDER BY journal_seq, id"#,
        tx.org(),
        investor as InvestorId,
        from,
        to,
    )
    .fetch_all(&mut **tx)
    .await
}
