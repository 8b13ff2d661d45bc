//! The BD's view of each order (what pre-trade approved: the regulation and the amount an
//! approved buy reserves against an investment limit; the status the order events reported),
//! and what the investment limits read: the investors' buys in the trades, the reservations
//! of their live orders, the assets' last trade prices.

use std::collections::HashMap;

use platform::db::TenantTx;
use platform::ids::{AssetId, CheckId, InvestorId, OrderId};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use vocab::{Regulation, Side};

use super::wire;

/// An order event's effect on the BD's view of its order: the order as the event describes it
/// and the status it moves the order to.
pub struct OrderUpdate {
    pub id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: Side,
    pub quantity: Decimal,
    pub created_at: Option<OffsetDateTime>,
    pub status: &'static str,
}

/// The statuses an order never leaves.
pub const TERMINAL: [&str; 3] = ["rejected", "cancelled", "expired"];

/// Order events: records each order if new and moves its status; a terminal status (rejected,
/// cancelled, expired) is never left. An order id appears at most once; 48 orders a statement.
pub async fn apply_order_events(
    tx: &mut TenantTx,
    orders: &[OrderUpdate],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for chunk in orders.chunks(ROWS_PER_STATEMENT) {
        apply_rows(tx, chunk, now).await?;
    }
    Ok(())
}

async fn apply_rows(
    tx: &mut TenantTx,
    orders: &[OrderUpdate],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let n = orders.len();
    let (mut id, mut investor, mut asset, mut side) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut quantity, mut status, mut created_at) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for o in orders {
        id.push(o.id);
        investor.push(o.investor_id);
        asset.push(o.asset_id);
        side.push(o.side.as_str().to_owned());
        quantity.push(o.quantity);
        status.push(o.status.to_owned());
        created_at.push(o.created_at);
    }
    sqlx::query!(
        "INSERT INTO orders (organization_id, id, investor_id, asset_id, side, quantity, status,
                             order_created_at, updated_at)
         SELECT $1, o.id, o.investor_id, o.asset_id, o.side, o.quantity, o.status, o.created_at,
                $9
         FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::numeric[], $7::text[],
                     $8::timestamptz[])
              AS o(id, investor_id, asset_id, side, quantity, status, created_at)
         ON CONFLICT (organization_id, id) DO UPDATE SET
             status = CASE WHEN orders.status IN ('rejected', 'cancelled', 'expired')
                           THEN orders.status ELSE EXCLUDED.status END,
             order_created_at = COALESCE(orders.order_created_at, EXCLUDED.order_created_at),
             updated_at = EXCLUDED.updated_at",
        tx.org(),
        &id as &[OrderId],
        &investor as &[InvestorId],
        &asset as &[AssetId],
        &side,
        &quantity,
        &status,
        &created_at as &[Option<OffsetDateTime>],
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The statuses of an order in which an approved buy still reserves its unfilled amount (the
/// query of [`reserved_except`] names them too).
pub const LIVE: [&str; 2] = ["pending", "open"];

/// An order as the investment limits see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: Side,
    pub regulation: Option<Regulation>,
    pub approved: Option<bool>,
    /// `pending` (approved by pre-trade, no event yet), `open`, `rejected`, `cancelled`,
    /// `expired`.
    pub status: String,
    pub quantity: Decimal,
    pub reserve_price: Option<Decimal>,
    pub checked_at: Option<OffsetDateTime>,
    /// Filled so far, from the trades in which the order's investor bought.
    pub filled: Decimal,
}

/// The orders checked by a call, whatever their state, each with what was filled of it (the
/// others' reservations are summed by [`reserved_except`]).
pub async fn by_ids(tx: &mut TenantTx, orders: &[OrderId]) -> Result<Vec<OrderRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT o.id AS "id: OrderId", o.investor_id AS "investor_id: InvestorId",
                  o.asset_id AS "asset_id: AssetId", o.side, o.regulation, o.approved,
                  o.status, o.quantity, o.reserve_price, o.checked_at,
                  COALESCE((SELECT SUM(t.quantity) FROM trades t
                            WHERE t.organization_id = o.organization_id
                              AND t.buy_order_id = o.id
                              AND t.buyer_investor_id = o.investor_id), 0) AS "filled!"
           FROM orders o
           WHERE o.organization_id = $1 AND o.id = ANY($2)"#,
        tx.org(),
        orders as &[OrderId],
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(OrderRow {
                id: r.id,
                investor_id: r.investor_id,
                asset_id: r.asset_id,
                side: wire("orders.side", &r.side)?,
                regulation: r
                    .regulation
                    .as_deref()
                    .map(|g| wire("orders.regulation", g))
                    .transpose()?,
                approved: r.approved,
                status: r.status,
                quantity: r.quantity,
                reserve_price: r.reserve_price,
                checked_at: r.checked_at,
                filled: r.filled,
            })
        })
        .collect()
}

/// For each investor and regulation, the amount still reserved by the investor's live
/// approved buys checked since `since` (approved and not yet reported, or open: their unfilled
/// quantity at the price pre-trade counted them at), leaving out the orders of `except` (the
/// orders a call checks, which it counts itself).
pub async fn reserved_except(
    tx: &mut TenantTx,
    investors: &[InvestorId],
    except: &[OrderId],
    since: OffsetDateTime,
) -> Result<HashMap<(InvestorId, Regulation), Decimal>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT o.investor_id AS "investor_id: InvestorId", o.regulation AS "regulation!",
                  SUM(GREATEST(o.quantity - COALESCE(f.filled, 0), 0) * o.reserve_price)
                      AS "total!"
           FROM orders o
           LEFT JOIN LATERAL (SELECT SUM(t.quantity) AS filled FROM trades t
                              WHERE t.organization_id = o.organization_id
                                AND t.buy_order_id = o.id
                                AND t.buyer_investor_id = o.investor_id) f ON true
           WHERE o.organization_id = $1 AND o.investor_id = ANY($2)
             AND o.side = 'buy' AND o.approved AND o.status IN ('pending', 'open')
             AND o.regulation IS NOT NULL AND o.reserve_price IS NOT NULL
             AND o.checked_at > $3 AND o.id <> ALL($4)
           GROUP BY o.investor_id, o.regulation"#,
        tx.org(),
        investors as &[InvestorId],
        since,
        except as &[OrderId],
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        // A regulation the BD does not know cannot be one a check asks about.
        if let Ok(regulation) = r.regulation.parse::<Regulation>() {
            out.insert((r.investor_id, regulation), r.total);
        }
    }
    Ok(out)
}

/// What each investor bought under each regulation since `since`, from the trades reported.
pub async fn bought_since(
    tx: &mut TenantTx,
    investors: &[InvestorId],
    since: OffsetDateTime,
) -> Result<HashMap<(InvestorId, Regulation), Decimal>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT buyer_investor_id AS "investor_id: InvestorId", regulation AS "regulation!",
                  SUM(price * quantity) AS "total!"
           FROM trades
           WHERE organization_id = $1 AND buyer_investor_id = ANY($2)
             AND regulation IS NOT NULL AND executed_at > $3
           GROUP BY buyer_investor_id, regulation"#,
        tx.org(),
        investors as &[InvestorId],
        since
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        // A regulation the BD does not know cannot be one a check asks about.
        if let Ok(regulation) = r.regulation.parse::<Regulation>() {
            out.insert((r.investor_id, regulation), r.total);
        }
    }
    Ok(out)
}

/// The price of each asset's latest trade, for the assets that have traded.
pub async fn last_trade_prices(
    tx: &mut TenantTx,
    assets: &[AssetId],
) -> Result<HashMap<AssetId, Decimal>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (asset_id) asset_id AS "asset_id: AssetId", price
           FROM trades WHERE organization_id = $1 AND asset_id = ANY($2)
           ORDER BY asset_id, executed_at DESC, seq DESC"#,
        tx.org(),
        assets as &[AssetId]
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.asset_id, r.price)).collect())
}

/// What pre-trade decided about an order: the regulation and, for an approved buy, the price
/// its reservation against the investment limit is counted at.
#[derive(Debug, Clone)]
pub struct PreTradeOrder {
    pub id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: Side,
    pub quantity: Decimal,
    pub regulation: Regulation,
    pub approved: bool,
    pub reserve_price: Option<Decimal>,
    pub checked_at: OffsetDateTime,
    pub check_id: CheckId,
}

/// Orders written by one statement: about 10 KiB of parameters, under the size from which a
/// statement waits for a delayed ACK (see `store::checks::insert_many`).
const ROWS_PER_STATEMENT: usize = 48;

/// Records pre-trade's decisions, one statement per 48 orders. A new order is `pending`; an
/// order already known keeps its investor, asset, side and status and takes the decision's
/// regulation, approval, quantity and reservation. An order id appears at most once.
pub async fn record_pre_trades(
    tx: &mut TenantTx,
    orders: &[PreTradeOrder],
) -> Result<(), sqlx::Error> {
    // In id order, as the event batches write orders: two transactions touching the same
    // orders then wait for each other instead of deadlocking.
    let mut orders = orders.to_vec();
    orders.sort_by_key(|o| o.id);
    for chunk in orders.chunks(ROWS_PER_STATEMENT) {
        record_rows(tx, chunk).await?;
    }
    Ok(())
}

async fn record_rows(tx: &mut TenantTx, orders: &[PreTradeOrder]) -> Result<(), sqlx::Error> {
    let n = orders.len();
    let (mut id, mut investor, mut asset) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut side, mut quantity, mut regulation) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut approved, mut price, mut checked_at, mut check) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for o in orders {
        id.push(o.id);
        investor.push(o.investor_id);
        asset.push(o.asset_id);
        side.push(o.side.as_str().to_owned());
        quantity.push(o.quantity);
        regulation.push(o.regulation.as_str().to_owned());
        approved.push(o.approved);
        price.push(o.reserve_price);
        checked_at.push(o.checked_at);
        check.push(o.check_id);
    }
    sqlx::query!(
        "INSERT INTO orders (organization_id, id, investor_id, asset_id, side, quantity, status,
                             regulation, approved, reserve_price, checked_at, last_check_id,
                             updated_at)
         SELECT $1, o.id, o.investor_id, o.asset_id, o.side, o.quantity, 'pending',
                o.regulation, o.approved, o.reserve_price, o.checked_at, o.check_id,
                o.checked_at
         FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::numeric[], $7::text[],
                     $8::bool[], $9::numeric[], $10::timestamptz[], $11::uuid[])
              AS o(id, investor_id, asset_id, side, quantity, regulation, approved,
                   reserve_price, checked_at, check_id)
         ON CONFLICT (organization_id, id) DO UPDATE SET
             regulation = EXCLUDED.regulation, approved = EXCLUDED.approved,
             reserve_price = EXCLUDED.reserve_price, checked_at = EXCLUDED.checked_at,
             last_check_id = EXCLUDED.last_check_id, quantity = EXCLUDED.quantity,
             updated_at = EXCLUDED.updated_at",
        tx.org(),
        &id as &[OrderId],
        &investor as &[InvestorId],
        &asset as &[AssetId],
        &side,
        &quantity,
        &regulation,
        &approved,
        &price as &[Option<Decimal>],
        &checked_at,
        &check as &[CheckId],
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What was filled of each of these orders, per buying investor, from the trades.
pub async fn fills(
    tx: &mut TenantTx,
    orders: &[OrderId],
) -> Result<HashMap<(OrderId, InvestorId), Decimal>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT buy_order_id AS "order_id: OrderId",
                  buyer_investor_id AS "investor_id: InvestorId", SUM(quantity) AS "filled!"
           FROM trades
           WHERE organization_id = $1 AND buy_order_id = ANY($2)
           GROUP BY buy_order_id, buyer_investor_id"#,
        tx.org(),
        orders as &[OrderId]
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.order_id, r.investor_id), r.filled))
        .collect())
}
