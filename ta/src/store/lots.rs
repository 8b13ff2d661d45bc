//! The `lots` table (current lots, FIFO order per position) and the pending transfers that
//! reserve some of them: the current state a new entry is applied to.

use captable::{Lot, PendingTransfer, Position};
use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId, TransferId};
use rust_decimal::Decimal;
use time::Date;

use crate::engine::FromEngine;

/// A lot as stored.
#[derive(Debug, Clone)]
pub struct LotRow {
    pub security_id: AssetId,
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
    tx: &mut TenantTx,
    securities: &[AssetId],
    investors: Option<&[InvestorId]>,
) -> Result<Vec<LotRow>, sqlx::Error> {
    sqlx::query_as!(
        LotRow,
        r#"SELECT security_id AS "security_id: AssetId", investor_id AS "investor_id: InvestorId",
                  lot_id, acquired_at, holding_period_start, quantity, cost_basis
           FROM lots
           WHERE organization_id = $1 AND security_id = ANY($2)
             AND ($3::uuid[] IS NULL OR investor_id = ANY($3))
           ORDER BY security_id, investor_id, ordinal"#,
        tx.org(),
        securities as &[AssetId],
        investors as Option<&[InvestorId]>,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Transfers waiting on a right of first refusal in `securities`, of every seller or of
/// `sellers` only.
pub async fn pending_transfers(
    tx: &mut TenantTx,
    securities: &[AssetId],
    sellers: Option<&[InvestorId]>,
) -> Result<Vec<PendingTransfer>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: TransferId", security_id AS "security_id: AssetId",
                  from_investor_id AS "from_investor_id: InvestorId",
                  to_investor_id AS "to_investor_id: InvestorId",
                  quantity, price_per_share, seller_is_affiliate, requested_on,
                  rofr_last_day AS "rofr_last_day!"
           FROM transfers
           WHERE organization_id = $1 AND status = 'pending_rofr' AND security_id = ANY($2)
             AND ($3::uuid[] IS NULL OR from_investor_id = ANY($3))
           ORDER BY id"#,
        tx.org(),
        securities as &[AssetId],
        sellers as Option<&[InvestorId]>,
    )
    .fetch_all(&mut **tx)
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

/// Replaces each position the outcome touched with its lots after the entry.
pub async fn write_positions(tx: &mut TenantTx, positions: &[Position]) -> anyhow::Result<()> {
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
        let s = AssetId::from_engine(&p.security_id)?.uuid();
        let i = InvestorId::from_engine(&p.investor_id)?.uuid();
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
         WHERE l.organization_id = $1 AND l.security_id = p.security_id
           AND l.investor_id = p.investor_id",
        tx.org(),
        &pos_sec,
        &pos_inv,
    )
    .execute(&mut **tx)
    .await?;
    if !sec.is_empty() {
        sqlx::query!(
            "INSERT INTO lots (organization_id, security_id, investor_id, ordinal, lot_id,
                 acquired_at, holding_period_start, quantity, cost_basis)
             SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::date[],
                 $7::date[], $8::numeric[], $9::numeric[])",
            tx.org(),
            &sec,
            &inv,
            &ordinal,
            &lot_id,
            &acquired,
            &hps,
            &qty,
            &basis,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A page of the (investor, security) pairs holding lots, by investor then security, after
/// `after`, of one investor or security or of all.
pub async fn holding_pairs(
    tx: &mut TenantTx,
    investor: Option<InvestorId>,
    security: Option<AssetId>,
    after: Option<(InvestorId, AssetId)>,
    limit: i64,
) -> Result<Vec<(InvestorId, AssetId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT investor_id AS "investor_id: InvestorId", security_id AS "security_id: AssetId"
           FROM lots
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR investor_id = $2)
             AND ($3::uuid IS NULL OR security_id = $3)
             AND ($4::uuid IS NULL OR (investor_id, security_id) > ($4, $5::uuid))
           GROUP BY investor_id, security_id
           ORDER BY investor_id, security_id LIMIT $6"#,
        tx.org(),
        investor as Option<InvestorId>,
        security as Option<AssetId>,
        after.map(|a| a.0) as Option<InvestorId>,
        after.map(|a| a.1) as Option<AssetId>,
        limit,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.investor_id, r.security_id))
        .collect())
}

/// The securities the investor holds lots of now (only `security`, if given), by id.
pub async fn securities_held(
    tx: &mut TenantTx,
    investor: InvestorId,
    security: Option<AssetId>,
) -> Result<Vec<AssetId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT security_id AS "security_id: AssetId" FROM lots
           WHERE organization_id = $1 AND investor_id = $2
             AND ($3::uuid IS NULL OR security_id = $3)
           ORDER BY 1"#,
        tx.org(),
        investor as InvestorId,
        security as Option<AssetId>,
    )
    .fetch_all(&mut **tx)
    .await
}
