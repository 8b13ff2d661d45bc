//! The `orders` table.

use platform::db::TenantTx;
use platform::ids::{AssetId, CheckId, InvestorId, OrderId};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use vocab::{OrderStatus, OrderType, Side, TimeInForce};

use crate::views::{CancelReason, OrderView};

/// An order as stored.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: OrderId,
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: String,
    pub order_type: String,
    pub time_in_force: String,
    pub quantity: Decimal,
    pub filled_quantity: Decimal,
    pub remaining_quantity: Decimal,
    pub cancelled_quantity: Decimal,
    pub filled_notional: Decimal,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub status: String,
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub client_order_id: Option<String>,
    pub arrival_seq: Option<i64>,
    pub triggered: bool,
    pub expires_at: Option<OffsetDateTime>,
    pub check_id: Option<CheckId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> anyhow::Result<T> {
    s.parse()
        .map_err(|_| anyhow::anyhow!("unknown {what} `{s}` in the orders table"))
}

impl OrderRow {
    pub fn side(&self) -> anyhow::Result<Side> {
        parse("side", &self.side)
    }

    pub fn order_type(&self) -> anyhow::Result<OrderType> {
        parse("order type", &self.order_type)
    }

    pub fn time_in_force(&self) -> anyhow::Result<TimeInForce> {
        parse("time in force", &self.time_in_force)
    }

    pub fn status(&self) -> anyhow::Result<OrderStatus> {
        parse("status", &self.status)
    }

    pub fn view(&self) -> anyhow::Result<OrderView> {
        let average_fill_price = if self.filled_quantity > Decimal::ZERO {
            self.filled_notional
                .checked_div(self.filled_quantity)
                .map(|p| p.round_dp(8).normalize())
        } else {
            None
        };
        Ok(OrderView {
            id: self.id,
            asset_id: self.asset_id,
            investor_id: self.investor_id,
            side: self.side()?,
            order_type: self.order_type()?,
            time_in_force: self.time_in_force()?,
            quantity: self.quantity,
            filled_quantity: self.filled_quantity,
            remaining_quantity: self.remaining_quantity,
            price: self.price,
            stop_price: self.stop_price,
            average_fill_price,
            status: self.status()?,
            reject_reason: self.reject_reason.clone(),
            cancel_reason: self.cancel_reason.as_deref().and_then(CancelReason::parse),
            client_order_id: self.client_order_id.clone(),
            expires_at: self.expires_at,
            check_id: self.check_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// An order being recorded, before any check.
#[derive(Debug, Clone)]
pub struct NewOrderRow {
    pub id: OrderId,
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub quantity: Decimal,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub client_order_id: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub created_by: String,
}

/// Records orders as `pending_compliance`, all in one statement, and answers the ids
/// recorded: an order whose `client_order_id` its investor already used is not.
pub async fn insert_pending(
    tx: &mut TenantTx,
    orders: &[NewOrderRow],
    now: OffsetDateTime,
) -> Result<Vec<OrderId>, sqlx::Error> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let org = tx.org().to_owned();
    let col = |f: fn(&NewOrderRow) -> String| orders.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<OrderId> = orders.iter().map(|o| o.id).collect();
    let assets: Vec<AssetId> = orders.iter().map(|o| o.asset_id).collect();
    let investors: Vec<InvestorId> = orders.iter().map(|o| o.investor_id).collect();
    let quantities: Vec<Decimal> = orders.iter().map(|o| o.quantity).collect();
    let prices: Vec<Option<Decimal>> = orders.iter().map(|o| o.price).collect();
    let stops: Vec<Option<Decimal>> = orders.iter().map(|o| o.stop_price).collect();
    let clients: Vec<Option<String>> = orders.iter().map(|o| o.client_order_id.clone()).collect();
    let expiries: Vec<Option<OffsetDateTime>> = orders.iter().map(|o| o.expires_at).collect();
    sqlx::query_scalar!(
        r#"INSERT INTO orders (organization_id, id, asset_id, investor_id, side, order_type,
                               time_in_force, quantity, remaining_quantity, price, stop_price,
                               status, client_order_id, expires_at, created_at, updated_at,
                               created_by)
           SELECT $1, u.id, u.asset_id, u.investor_id, u.side, u.order_type, u.tif, u.quantity,
                  u.quantity, u.price, u.stop_price, 'pending_compliance', u.client_order_id,
                  u.expires_at, $13, $13, u.created_by
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                       $8::numeric[], $9::numeric[], $10::numeric[], $11::text[],
                       $12::timestamptz[], $14::text[])
                WITH ORDINALITY AS u(id, asset_id, investor_id, side, order_type, tif, quantity,
                                     price, stop_price, client_order_id, expires_at, created_by,
                                     n)
           ORDER BY u.n
           ON CONFLICT (organization_id, investor_id, client_order_id)
               WHERE client_order_id IS NOT NULL DO NOTHING
           RETURNING id AS "id: OrderId""#,
        org,
        &ids as &[OrderId],
        &assets as &[AssetId],
        &investors as &[InvestorId],
        &col(|o| o.side.as_str().to_owned()),
        &col(|o| o.order_type.as_str().to_owned()),
        &col(|o| o.time_in_force.as_str().to_owned()),
        &quantities,
        &prices as &[Option<Decimal>],
        &stops as &[Option<Decimal>],
        &clients as &[Option<String>],
        &expiries as &[Option<OffsetDateTime>],
        now,
        &col(|o| o.created_by.clone()),
    )
    .fetch_all(&mut **tx)
    .await
}

/// Marks pending orders rejected (nothing reached the book), keeping the BD's check id, and
/// answers those it changed. With `created_before`, only orders recorded before it (the
/// sweep of orders a dead process left pending): an order another process is still placing
/// is not touched, and two replicas sweeping at once reject each order once.
pub async fn reject(
    tx: &mut TenantTx,
    rejections: &[(OrderId, String, Option<CheckId>)],
    created_before: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    let ids: Vec<OrderId> = rejections.iter().map(|r| r.0).collect();
    let reasons: Vec<String> = rejections.iter().map(|r| r.1.clone()).collect();
    let checks: Vec<Option<CheckId>> = rejections.iter().map(|r| r.2).collect();
    sqlx::query_as!(
        OrderRow,
        r#"UPDATE orders o
           SET status = 'rejected', reject_reason = u.reason, check_id = u.check_id,
               remaining_quantity = 0, updated_at = $5
           FROM unnest($2::uuid[], $3::text[], $4::uuid[]) AS u(id, reason, check_id)
           WHERE o.organization_id = $1 AND o.id = ANY($2) AND o.id = u.id
             AND o.status IN ('new', 'pending_compliance')
             AND ($6::timestamptz IS NULL OR o.created_at < $6)
           RETURNING o.id AS "id: OrderId", o.asset_id AS "asset_id: AssetId",
                     o.investor_id AS "investor_id: InvestorId", o.side, o.order_type,
                     o.time_in_force, o.quantity, o.filled_quantity, o.remaining_quantity,
                     o.cancelled_quantity, o.filled_notional, o.price, o.stop_price, o.status,
                     o.reject_reason, o.cancel_reason, o.client_order_id, o.arrival_seq,
                     o.triggered, o.expires_at, o.check_id AS "check_id: CheckId",
                     o.created_at, o.updated_at"#,
        org,
        &ids as &[OrderId],
        &reasons,
        &checks as &[Option<CheckId>],
        now,
        created_before,
    )
    .fetch_all(&mut **tx)
    .await
}

pub async fn get(tx: &mut TenantTx, id: OrderId) -> Result<Option<OrderRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    get_in(tx, &org, &[id]).await.map(|mut v| v.pop())
}

/// Orders by id, in any order.
pub async fn get_in(
    conn: &mut PgConnection,
    org: &str,
    ids: &[OrderId],
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", asset_id AS "asset_id: AssetId",
                  investor_id AS "investor_id: InvestorId", side, order_type, time_in_force,
                  quantity, filled_quantity, remaining_quantity, cancelled_quantity,
                  filled_notional, price, stop_price, status, reject_reason, cancel_reason,
                  client_order_id, arrival_seq, triggered, expires_at,
                  check_id AS "check_id: CheckId", created_at, updated_at
           FROM orders WHERE organization_id = $1 AND id = ANY($2)"#,
        org,
        ids as &[OrderId],
    )
    .fetch_all(conn)
    .await
}

/// The working orders of a book (resting, or held stops): what a book is rebuilt from.
pub async fn working(tx: &mut TenantTx, asset: AssetId) -> Result<Vec<OrderRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", asset_id AS "asset_id: AssetId",
                  investor_id AS "investor_id: InvestorId", side, order_type, time_in_force,
                  quantity, filled_quantity, remaining_quantity, cancelled_quantity,
                  filled_notional, price, stop_price, status, reject_reason, cancel_reason,
                  client_order_id, arrival_seq, triggered, expires_at,
                  check_id AS "check_id: CheckId", created_at, updated_at
           FROM orders
           WHERE organization_id = $1 AND asset_id = $2
             AND status IN ('open', 'partially_filled')
           ORDER BY arrival_seq"#,
        org,
        asset as AssetId,
    )
    .fetch_all(&mut **tx)
    .await
}

/// What an investor's working sell orders in an asset still commit.
pub async fn committed_to_sells(
    tx: &mut TenantTx,
    asset: AssetId,
    investor: InvestorId,
) -> Result<Decimal, sqlx::Error> {
    let org = tx.org().to_owned();
    let sum = sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(remaining_quantity), 0) AS "sum!" FROM orders
           WHERE organization_id = $1 AND asset_id = $2 AND investor_id = $3 AND side = 'sell'
             AND status IN ('open', 'partially_filled')"#,
        org,
        asset as AssetId,
        investor as InvestorId,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(sum)
}

/// The new state of an order after matching.
#[derive(Debug, Clone)]
pub struct OrderUpdate {
    pub id: OrderId,
    pub status: OrderStatus,
    pub filled_quantity: Decimal,
    pub remaining_quantity: Decimal,
    pub cancelled_quantity: Decimal,
    pub filled_notional: Decimal,
    pub price: Option<Decimal>,
    /// The BD's check, when this write is the order's first since it was approved.
    pub check_id: Option<CheckId>,
    pub cancel_reason: Option<CancelReason>,
    pub arrival_seq: Option<i64>,
    pub triggered: bool,
}

/// Writes the orders' new states in one statement and answers them as stored.
// `o.id = ANY($2)` beside the join makes the orders side a primary-key lookup whatever the
// statistics say: with stale ones (a table never analyzed) the planner chose to scan every
// order of the organization and compare each with every update, 200 ms a session under load.
pub async fn update(
    tx: &mut TenantTx,
    updates: &[OrderUpdate],
    now: OffsetDateTime,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    if updates.is_empty() {
        return Ok(Vec::new());
    }
    let org = tx.org().to_owned();
    let ids: Vec<OrderId> = updates.iter().map(|u| u.id).collect();
    let statuses: Vec<String> = updates
        .iter()
        .map(|u| u.status.as_str().to_owned())
        .collect();
    let filled: Vec<Decimal> = updates.iter().map(|u| u.filled_quantity).collect();
    let remaining: Vec<Decimal> = updates.iter().map(|u| u.remaining_quantity).collect();
    let cancelled: Vec<Decimal> = updates.iter().map(|u| u.cancelled_quantity).collect();
    let notional: Vec<Decimal> = updates.iter().map(|u| u.filled_notional).collect();
    let prices: Vec<Option<Decimal>> = updates.iter().map(|u| u.price).collect();
    let reasons: Vec<Option<String>> = updates
        .iter()
        .map(|u| u.cancel_reason.map(|r| r.as_str().to_owned()))
        .collect();
    let seqs: Vec<Option<i64>> = updates.iter().map(|u| u.arrival_seq).collect();
    let triggered: Vec<bool> = updates.iter().map(|u| u.triggered).collect();
    let checks: Vec<Option<CheckId>> = updates.iter().map(|u| u.check_id).collect();
    sqlx::query_as!(
        OrderRow,
        r#"UPDATE orders o
           SET status = u.status, filled_quantity = u.filled, remaining_quantity = u.remaining,
               cancelled_quantity = u.cancelled, filled_notional = u.notional,
               price = u.price, cancel_reason = u.cancel_reason,
               arrival_seq = u.arrival_seq, triggered = u.triggered,
               check_id = COALESCE(u.check_id, o.check_id), updated_at = $12
           FROM unnest($2::uuid[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[],
                       $7::numeric[], $8::numeric[], $9::text[], $10::bigint[], $11::bool[],
                       $13::uuid[])
                AS u(id, status, filled, remaining, cancelled, notional, price, cancel_reason,
                     arrival_seq, triggered, check_id)
           WHERE o.organization_id = $1 AND o.id = ANY($2) AND o.id = u.id
           RETURNING o.id AS "id: OrderId", o.asset_id AS "asset_id: AssetId",
                     o.investor_id AS "investor_id: InvestorId", o.side, o.order_type,
                     o.time_in_force, o.quantity, o.filled_quantity, o.remaining_quantity,
                     o.cancelled_quantity, o.filled_notional, o.price, o.stop_price, o.status,
                     o.reject_reason, o.cancel_reason, o.client_order_id, o.arrival_seq,
                     o.triggered, o.expires_at, o.check_id AS "check_id: CheckId",
                     o.created_at, o.updated_at"#,
        org,
        &ids as &[OrderId],
        &statuses,
        &filled,
        &remaining,
        &cancelled,
        &notional,
        &prices as &[Option<Decimal>],
        &reasons as &[Option<String>],
        &seqs as &[Option<i64>],
        &triggered,
        now,
        &checks as &[Option<CheckId>],
    )
    .fetch_all(&mut **tx)
    .await
}

/// `GET /v1/orders` filters.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub asset_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
}

/// Newest first (ids are UUIDv7), `limit + 1` rows from before `before`.
pub async fn list(
    tx: &mut TenantTx,
    filter: &OrderFilter,
    before: Option<OrderId>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", asset_id AS "asset_id: AssetId",
                  investor_id AS "investor_id: InvestorId", side, order_type, time_in_force,
                  quantity, filled_quantity, remaining_quantity, cancelled_quantity,
                  filled_notional, price, stop_price, status, reject_reason, cancel_reason,
                  client_order_id, arrival_seq, triggered, expires_at,
                  check_id AS "check_id: CheckId", created_at, updated_at
           FROM orders
           WHERE organization_id = $1
             AND ($2::text IS NULL OR status = $2)
             AND ($3::uuid IS NULL OR asset_id = $3)
             AND ($4::uuid IS NULL OR investor_id = $4)
             AND ($5::uuid IS NULL OR id < $5)
           ORDER BY id DESC
           LIMIT $6"#,
        org,
        filter.status.map(|s| s.as_str()),
        filter.asset_id as Option<AssetId>,
        filter.investor_id as Option<InvestorId>,
        before as Option<OrderId>,
        limit + 1,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A book with `day` orders due to expire: (organization, asset).
pub async fn books_with_due_day_orders(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> Result<Vec<(String, AssetId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT organization_id, asset_id AS "asset_id: AssetId" FROM orders
           WHERE status IN ('open', 'partially_filled') AND expires_at IS NOT NULL
             AND expires_at <= $1"#,
        now,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.organization_id, r.asset_id))
        .collect())
}

/// The book's working orders whose trading day is over.
pub async fn due_day_orders(
    tx: &mut TenantTx,
    asset: AssetId,
    now: OffsetDateTime,
) -> Result<Vec<OrderId>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_scalar!(
        r#"SELECT id AS "id: OrderId" FROM orders
           WHERE organization_id = $1 AND asset_id = $2
             AND status IN ('open', 'partially_filled')
             AND expires_at IS NOT NULL AND expires_at <= $3
           ORDER BY arrival_seq"#,
        org,
        asset as AssetId,
        now,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Orders left `pending_compliance` by a process that died mid-placement: (organization, id).
/// Only found here; [`reject`] with `created_before` settles each once.
pub async fn stale_pending(
    conn: &mut PgConnection,
    older_than: OffsetDateTime,
) -> Result<Vec<(String, OrderId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT organization_id, id AS "id: OrderId" FROM orders
           WHERE status IN ('new', 'pending_compliance') AND created_at < $1
           ORDER BY created_at LIMIT 500"#,
        older_than,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.organization_id, r.id))
        .collect())
}

/// One side's aggregated levels, best first: the resting orders only (limit orders, and
/// stop-limits once triggered; held stops are not on the book).
pub async fn depth(
    tx: &mut TenantTx,
    asset: AssetId,
    side: Side,
    levels: i64,
) -> Result<Vec<(Decimal, Decimal, i64)>, sqlx::Error> {
    let org = tx.org().to_owned();
    let rows = sqlx::query!(
        r#"SELECT price AS "price!", sum(remaining_quantity) AS "quantity!", count(*) AS "orders!"
           FROM orders
           WHERE organization_id = $1 AND asset_id = $2 AND side = $3
             AND status IN ('open', 'partially_filled')
             AND (order_type = 'limit' OR (order_type = 'stop_limit' AND triggered))
           GROUP BY price
           ORDER BY CASE WHEN $3 = 'buy' THEN price END DESC,
                    CASE WHEN $3 = 'sell' THEN price END ASC
           LIMIT $4"#,
        org,
        asset as AssetId,
        side.as_str(),
        levels,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.price, r.quantity, r.orders))
        .collect())
}
