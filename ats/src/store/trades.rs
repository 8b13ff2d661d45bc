//! The `trades` table and the `settlements` queue (one `pending` settlement per trade).

use platform::db::TenantTx;
use platform::ids::{AssetId, InvestorId, OrderId, SettlementId, TradeId, TransferId};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use vocab::Side;

use crate::views::{SettlementView, TradeView};

#[derive(Debug, Clone)]
pub struct TradeRow {
    pub id: TradeId,
    pub asset_id: AssetId,
    pub price: Decimal,
    pub quantity: Decimal,
    pub buy_order_id: OrderId,
    pub sell_order_id: OrderId,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    pub aggressor_side: String,
    pub executed_at: OffsetDateTime,
    pub settlement_id: SettlementId,
}

impl TradeRow {
    pub fn view(&self) -> anyhow::Result<TradeView> {
        Ok(TradeView {
            id: self.id,
            asset_id: self.asset_id,
            price: self.price,
            quantity: self.quantity,
            buy_order_id: self.buy_order_id,
            sell_order_id: self.sell_order_id,
            buyer_investor_id: self.buyer_investor_id,
            seller_investor_id: self.seller_investor_id,
            aggressor_side: self
                .aggressor_side
                .parse::<Side>()
                .map_err(|_| anyhow::anyhow!("unknown side {}", self.aggressor_side))?,
            executed_at: self.executed_at,
            settlement_id: self.settlement_id,
        })
    }
}

/// Records the trades of one match and a `pending` settlement for each.
pub async fn insert(
    tx: &mut TenantTx,
    trades: &[TradeView],
    book_version: i64,
) -> Result<(), sqlx::Error> {
    if trades.is_empty() {
        return Ok(());
    }
    let org = tx.org().to_owned();
    let ids: Vec<TradeId> = trades.iter().map(|t| t.id).collect();
    let assets: Vec<AssetId> = trades.iter().map(|t| t.asset_id).collect();
    let prices: Vec<Decimal> = trades.iter().map(|t| t.price).collect();
    let quantities: Vec<Decimal> = trades.iter().map(|t| t.quantity).collect();
    let buys: Vec<OrderId> = trades.iter().map(|t| t.buy_order_id).collect();
    let sells: Vec<OrderId> = trades.iter().map(|t| t.sell_order_id).collect();
    let buyers: Vec<InvestorId> = trades.iter().map(|t| t.buyer_investor_id).collect();
    let sellers: Vec<InvestorId> = trades.iter().map(|t| t.seller_investor_id).collect();
    let sides: Vec<String> = trades
        .iter()
        .map(|t| t.aggressor_side.as_str().to_owned())
        .collect();
    let times: Vec<OffsetDateTime> = trades.iter().map(|t| t.executed_at).collect();
    let settlements: Vec<SettlementId> = trades.iter().map(|t| t.settlement_id).collect();
    sqlx::query!(
        r#"INSERT INTO trades (organization_id, id, asset_id, price, quantity, buy_order_id,
                               sell_order_id, buyer_investor_id, seller_investor_id,
                               aggressor_side, executed_at, settlement_id, book_version)
           SELECT $1, * , $13 FROM unnest($2::uuid[], $3::uuid[], $4::numeric[], $5::numeric[],
                                     $6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[],
                                     $10::text[], $11::timestamptz[], $12::uuid[])"#,
        org,
        &ids as &[TradeId],
        &assets as &[AssetId],
        &prices,
        &quantities,
        &buys as &[OrderId],
        &sells as &[OrderId],
        &buyers as &[InvestorId],
        &sellers as &[InvestorId],
        &sides,
        &times,
        &settlements as &[SettlementId],
        book_version,
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO settlements (organization_id, id, trade_id, asset_id, buyer_investor_id,
                                    seller_investor_id, quantity, price, next_attempt_at,
                                    created_at)
           SELECT $1, u.id, u.trade_id, u.asset_id, u.buyer, u.seller, u.quantity, u.price,
                  u.at, u.at
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[],
                       $7::numeric[], $8::numeric[], $9::timestamptz[])
                AS u(id, trade_id, asset_id, buyer, seller, quantity, price, at)"#,
        org,
        &settlements as &[SettlementId],
        &ids as &[TradeId],
        &assets as &[AssetId],
        &buyers as &[InvestorId],
        &sellers as &[InvestorId],
        &quantities,
        &prices,
        &times,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `GET /v1/trades` filters.
#[derive(Debug, Clone, Default)]
pub struct TradeFilter {
    pub asset_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
    pub order_id: Option<OrderId>,
}

/// Newest first, `limit + 1` rows from before `before`.
pub async fn list(
    tx: &mut TenantTx,
    filter: &TradeFilter,
    before: Option<TradeId>,
    limit: i64,
) -> Result<Vec<TradeRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        TradeRow,
        r#"SELECT id AS "id: TradeId", asset_id AS "asset_id: AssetId", price, quantity,
                  buy_order_id AS "buy_order_id: OrderId",
                  sell_order_id AS "sell_order_id: OrderId",
                  buyer_investor_id AS "buyer_investor_id: InvestorId",
                  seller_investor_id AS "seller_investor_id: InvestorId",
                  aggressor_side, executed_at, settlement_id AS "settlement_id: SettlementId"
           FROM trades
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR asset_id = $2)
             AND ($3::uuid IS NULL OR buyer_investor_id = $3 OR seller_investor_id = $3)
             AND ($4::uuid IS NULL OR buy_order_id = $4 OR sell_order_id = $4)
             AND ($5::uuid IS NULL OR id < $5)
           ORDER BY id DESC LIMIT $6"#,
        org,
        filter.asset_id as Option<AssetId>,
        filter.investor_id as Option<InvestorId>,
        filter.order_id as Option<OrderId>,
        before as Option<TradeId>,
        limit + 1,
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn get(tx: &mut TenantTx, id: TradeId) -> Result<Option<TradeRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        TradeRow,
        r#"SELECT id AS "id: TradeId", asset_id AS "asset_id: AssetId", price, quantity,
                  buy_order_id AS "buy_order_id: OrderId",
                  sell_order_id AS "sell_order_id: OrderId",
                  buyer_investor_id AS "buyer_investor_id: InvestorId",
                  seller_investor_id AS "seller_investor_id: InvestorId",
                  aggressor_side, executed_at, settlement_id AS "settlement_id: SettlementId"
           FROM trades WHERE organization_id = $1 AND id = $2"#,
        org,
        id as TradeId,
    )
    .fetch_optional(&mut **tx)
    .await
}

#[derive(Debug, Clone)]
pub struct SettlementRow {
    pub id: SettlementId,
    pub trade_id: TradeId,
    pub status: String,
    pub step: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub tx_hash: Option<String>,
    pub transfer_id: Option<TransferId>,
    pub created_at: OffsetDateTime,
    pub settled_at: Option<OffsetDateTime>,
}

impl SettlementRow {
    pub fn view(&self) -> anyhow::Result<SettlementView> {
        Ok(SettlementView {
            id: self.id,
            trade_id: self.trade_id,
            status: self
                .status
                .parse()
                .map_err(|_| anyhow::anyhow!("unknown settlement status {}", self.status))?,
            step: self.step.clone(),
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            tx_hash: self.tx_hash.clone(),
            transfer_id: self.transfer_id,
            created_at: self.created_at,
            settled_at: self.settled_at,
        })
    }
}

/// `GET /v1/settlements` filters.
#[derive(Debug, Clone, Default)]
pub struct SettlementFilter {
    pub status: Option<vocab::SettlementStatus>,
    pub trade_id: Option<TradeId>,
}

/// Newest first, `limit + 1` rows from before `before`.
pub async fn settlements(
    tx: &mut TenantTx,
    filter: &SettlementFilter,
    before: Option<SettlementId>,
    limit: i64,
) -> Result<Vec<SettlementRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        SettlementRow,
        r#"SELECT id AS "id: SettlementId", trade_id AS "trade_id: TradeId", status, step,
                  attempts, last_error, tx_hash, transfer_id AS "transfer_id: TransferId",
                  created_at, settled_at
           FROM settlements
           WHERE organization_id = $1
             AND ($2::text IS NULL OR status = $2)
             AND ($3::uuid IS NULL OR trade_id = $3)
             AND ($4::uuid IS NULL OR id < $4)
           ORDER BY id DESC LIMIT $5"#,
        org,
        filter.status.map(|s| s.as_str()),
        filter.trade_id as Option<TradeId>,
        before as Option<SettlementId>,
        limit + 1,
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn settlement(
    tx: &mut TenantTx,
    id: SettlementId,
) -> Result<Option<SettlementRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        SettlementRow,
        r#"SELECT id AS "id: SettlementId", trade_id AS "trade_id: TradeId", status, step,
                  attempts, last_error, tx_hash, transfer_id AS "transfer_id: TransferId",
                  created_at, settled_at
           FROM settlements WHERE organization_id = $1 AND id = $2"#,
        org,
        id as SettlementId,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// What each of `investors` sold of `asset` in trades whose settlement is still `pending`:
/// shares the TA still counts as theirs until the settlement's transfer is recorded. An
/// investor with nothing pending is absent.
pub async fn sold_unsettled(
    tx: &mut TenantTx,
    asset: AssetId,
    investors: &[InvestorId],
) -> Result<Vec<(InvestorId, Decimal)>, sqlx::Error> {
    let org = tx.org().to_owned();
    let rows = sqlx::query!(
        r#"SELECT seller_investor_id AS "investor: InvestorId", sum(quantity) AS "sold!"
           FROM settlements
           WHERE organization_id = $1 AND asset_id = $2 AND seller_investor_id = ANY($3)
             AND status = 'pending'
           GROUP BY seller_investor_id"#,
        org,
        asset as AssetId,
        investors as &[InvestorId],
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.investor, r.sold)).collect())
}
