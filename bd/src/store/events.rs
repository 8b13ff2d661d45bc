//! The ATS's events (each applied once), the orders and trades they describe, and what the
//! investment limits and surveillance read from them.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::ids::{AssetId, EventId, InvestorId, OrderId, TradeId};

pub struct NewEvent<'a> {
    pub org_id: &'a str,
    pub id: EventId,
    pub event_type: &'a str,
    pub created_at: OffsetDateTime,
    pub asset_id: AssetId,
    pub order_id: Option<OrderId>,
    pub trade_id: Option<TradeId>,
    pub report_date: Date,
    pub payload: &'a Value,
}

/// Records the event; `false` when this organization already has an event with this id.
pub async fn claim(conn: &mut PgConnection, e: &NewEvent<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO events (org_id, id, type, created_at, asset_id, order_id, trade_id,
                             report_date, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (org_id, id) DO NOTHING",
        e.org_id,
        e.id.uuid(),
        e.event_type,
        e.created_at,
        e.asset_id.uuid(),
        e.order_id.map(OrderId::uuid),
        e.trade_id.map(TradeId::uuid),
        e.report_date,
        e.payload,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct OrderFacts<'a> {
    pub org_id: &'a str,
    pub id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: &'a str,
    pub quantity: Decimal,
    pub created_at: Option<OffsetDateTime>,
}

/// An order event: records the order if new and moves its status. A terminal status
/// (rejected, cancelled, expired) is never left.
pub async fn apply_order_event(
    conn: &mut PgConnection,
    o: &OrderFacts<'_>,
    status: &str,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO orders (org_id, id, investor_id, asset_id, side, quantity, status,
                             order_created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (org_id, id) DO UPDATE SET
             status = CASE WHEN orders.status IN ('rejected', 'cancelled', 'expired')
                           THEN orders.status ELSE EXCLUDED.status END,
             order_created_at = COALESCE(orders.order_created_at, EXCLUDED.order_created_at),
             updated_at = EXCLUDED.updated_at",
        o.org_id,
        o.id.uuid(),
        o.investor_id.uuid(),
        o.asset_id.uuid(),
        o.side,
        o.quantity,
        status,
        o.created_at,
        now,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub struct PreTradeOrder<'a> {
    pub org_id: &'a str,
    pub id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: &'a str,
    pub quantity: Decimal,
    pub regulation: &'a str,
    pub approved: bool,
    pub reserve_price: Option<Decimal>,
    pub checked_at: OffsetDateTime,
    pub check_id: Uuid,
}

/// What pre-trade decided about an order: the regulation and, for an approved buy, the price
/// its reservation against the investment limit is counted at.
pub async fn record_pre_trade(
    conn: &mut PgConnection,
    o: &PreTradeOrder<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO orders (org_id, id, investor_id, asset_id, side, quantity, status, regulation,
                             approved, reserve_price, checked_at, last_check_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $10)
         ON CONFLICT (org_id, id) DO UPDATE SET
             regulation = EXCLUDED.regulation, approved = EXCLUDED.approved,
             reserve_price = EXCLUDED.reserve_price, checked_at = EXCLUDED.checked_at,
             last_check_id = EXCLUDED.last_check_id, quantity = EXCLUDED.quantity,
             updated_at = EXCLUDED.updated_at",
        o.org_id,
        o.id.uuid(),
        o.investor_id.uuid(),
        o.asset_id.uuid(),
        o.side,
        o.quantity,
        o.regulation,
        o.approved,
        o.reserve_price,
        o.checked_at,
        o.check_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub struct NewTrade<'a> {
    pub org_id: &'a str,
    pub id: TradeId,
    pub event_id: EventId,
    pub asset_id: AssetId,
    pub symbol: Option<&'a str>,
    pub price: Decimal,
    pub quantity: Decimal,
    pub buy_order_id: OrderId,
    pub sell_order_id: OrderId,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    pub executed_at: OffsetDateTime,
    pub trade_date: Date,
    pub settlement_id: Option<Uuid>,
}

/// Records the trade, with the regulation of its buy order as pre-trade saw it (else the
/// asset's latest); `false` when the trade is already known (sent again under another event id).
pub async fn insert_trade(conn: &mut PgConnection, t: &NewTrade<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO trades (org_id, id, event_id, asset_id, symbol, price, quantity, buy_order_id,
                             sell_order_id, buyer_investor_id, seller_investor_id, executed_at,
                             trade_date, settlement_id, regulation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 COALESCE(
                     (SELECT regulation FROM orders WHERE org_id = $1 AND id = $8),
                     (SELECT regulation FROM orders
                      WHERE org_id = $1 AND asset_id = $4 AND regulation IS NOT NULL
                      ORDER BY checked_at DESC LIMIT 1)))
         ON CONFLICT (org_id, id) DO NOTHING",
        t.org_id,
        t.id.uuid(),
        t.event_id.uuid(),
        t.asset_id.uuid(),
        t.symbol,
        t.price,
        t.quantity,
        t.buy_order_id.uuid(),
        t.sell_order_id.uuid(),
        t.buyer_investor_id.uuid(),
        t.seller_investor_id.uuid(),
        t.executed_at,
        t.trade_date,
        t.settlement_id,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Serializes the surveillance of one asset's trades (within one organization) until the
/// transaction ends, so "the previous trade" and "the day's volume" are well defined.
pub async fn lock_asset(
    conn: &mut PgConnection,
    org_id: &str,
    asset_id: AssetId,
) -> Result<(), sqlx::Error> {
    let key = format!("bd-surveillance:{org_id}:{asset_id}");
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct TradeRow {
    pub id: TradeId,
    pub asset_id: AssetId,
    pub price: Decimal,
    pub quantity: Decimal,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    pub executed_at: OffsetDateTime,
}

impl TradeRow {
    pub fn executed(&self) -> compliance::surveillance::ExecutedTrade {
        compliance::surveillance::ExecutedTrade {
            trade_id: self.id.to_string(),
            asset_id: self.asset_id.to_string(),
            price: self.price,
            quantity: self.quantity,
            buyer_investor_id: self.buyer_investor_id.to_string(),
            seller_investor_id: self.seller_investor_id.to_string(),
            executed_at: self.executed_at,
        }
    }
}

/// The asset's latest trade before `trade` (by execution time, then arrival).
pub async fn previous_trade(
    conn: &mut PgConnection,
    org_id: &str,
    asset_id: AssetId,
    trade: TradeId,
    executed_at: OffsetDateTime,
) -> Result<Option<TradeRow>, sqlx::Error> {
    sqlx::query_as!(
        TradeRow,
        r#"SELECT id AS "id: TradeId", asset_id AS "asset_id: AssetId", price, quantity,
                  buyer_investor_id AS "buyer_investor_id: InvestorId",
                  seller_investor_id AS "seller_investor_id: InvestorId", executed_at
           FROM trades
           WHERE org_id = $1 AND asset_id = $2 AND id <> $3 AND executed_at <= $4
           ORDER BY executed_at DESC, seq DESC
           LIMIT 1"#,
        org_id,
        asset_id.uuid(),
        trade.uuid(),
        executed_at
    )
    .fetch_optional(conn)
    .await
}

/// The asset's trades of one (Eastern Time) trading day.
pub async fn day_trades(
    conn: &mut PgConnection,
    org_id: &str,
    asset_id: AssetId,
    trade_date: Date,
) -> Result<Vec<TradeRow>, sqlx::Error> {
    sqlx::query_as!(
        TradeRow,
        r#"SELECT id AS "id: TradeId", asset_id AS "asset_id: AssetId", price, quantity,
                  buyer_investor_id AS "buyer_investor_id: InvestorId",
                  seller_investor_id AS "seller_investor_id: InvestorId", executed_at
           FROM trades
           WHERE org_id = $1 AND asset_id = $2 AND trade_date = $3
           ORDER BY executed_at, seq"#,
        org_id,
        asset_id.uuid(),
        trade_date
    )
    .fetch_all(conn)
    .await
}

/// Who owns each investor in the end: an entity's declared beneficial owners, an individual
/// (with a date of birth) itself. Keys are a person's normalised name and date of birth.
pub async fn beneficial_owner_keys(
    conn: &mut PgConnection,
    org_id: &str,
    investors: &[InvestorId],
) -> Result<HashMap<String, BTreeSet<String>>, sqlx::Error> {
    let ids: Vec<Uuid> = investors.iter().map(|i| i.uuid()).collect();
    let owners = sqlx::query!(
        r#"SELECT investor_id AS "investor_id: InvestorId", owner_key FROM beneficial_owners
           WHERE org_id = $1 AND investor_id = ANY($2)"#,
        org_id,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let people = sqlx::query!(
        r#"SELECT id AS "id: InvestorId", legal_name, date_of_birth AS "date_of_birth!"
           FROM investors
           WHERE org_id = $1 AND id = ANY($2) AND type = 'individual'
             AND date_of_birth IS NOT NULL"#,
        org_id,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for o in owners {
        out.entry(o.investor_id.to_string())
            .or_default()
            .insert(o.owner_key);
    }
    for p in people {
        out.entry(p.id.to_string())
            .or_default()
            .insert(super::investors::person_key(&p.legal_name, p.date_of_birth));
    }
    Ok(out)
}

/// What the investor bought under `regulation` since `since`, from the trades reported.
pub async fn bought_since(
    conn: &mut PgConnection,
    org_id: &str,
    investor: InvestorId,
    regulation: &str,
    since: OffsetDateTime,
) -> Result<Decimal, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(SUM(price * quantity), 0) AS "total!"
           FROM trades
           WHERE org_id = $1 AND buyer_investor_id = $2 AND regulation = $3
             AND executed_at > $4"#,
        org_id,
        investor.uuid(),
        regulation,
        since
    )
    .fetch_one(conn)
    .await
}

/// The amount still reserved by the investor's other approved buys under `regulation` that
/// are live (approved and not yet reported, or open): their unfilled quantity at the price
/// pre-trade counted them at.
pub async fn reserved_by_open_buys(
    conn: &mut PgConnection,
    org_id: &str,
    investor: InvestorId,
    regulation: &str,
    except_order: OrderId,
    since: OffsetDateTime,
) -> Result<Decimal, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(SUM(GREATEST(o.quantity - COALESCE(f.filled, 0), 0) * o.reserve_price), 0)
               AS "total!"
           FROM orders o
           LEFT JOIN (SELECT buy_order_id, SUM(quantity) AS filled FROM trades
                      WHERE org_id = $1 AND buyer_investor_id = $2
                      GROUP BY buy_order_id) f ON f.buy_order_id = o.id
           WHERE o.org_id = $1 AND o.investor_id = $2 AND o.regulation = $3 AND o.side = 'buy'
             AND o.approved AND o.status IN ('pending', 'open') AND o.id <> $4
             AND o.reserve_price IS NOT NULL AND o.checked_at > $5"#,
        org_id,
        investor.uuid(),
        regulation,
        except_order.uuid(),
        since
    )
    .fetch_one(conn)
    .await
}

pub async fn last_trade_price(
    conn: &mut PgConnection,
    org_id: &str,
    asset_id: AssetId,
) -> Result<Option<Decimal>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT price FROM trades WHERE org_id = $1 AND asset_id = $2
         ORDER BY executed_at DESC, seq DESC LIMIT 1",
        org_id,
        asset_id.uuid()
    )
    .fetch_optional(conn)
    .await
}

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: EventId,
    pub event_type: String,
    pub created_at: OffsetDateTime,
    pub asset_id: AssetId,
    /// The symbol the security was switched into CAT scope under.
    pub scope_symbol: String,
    pub payload: Value,
}

/// The day's events of securities switched into CAT scope, in arrival order.
pub async fn reportable_events(
    conn: &mut PgConnection,
    org_id: &str,
    date: Date,
) -> Result<(Vec<StoredEvent>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        StoredEvent,
        r#"SELECT e.id AS "id: EventId", e.type AS event_type, e.created_at,
                  e.asset_id AS "asset_id: AssetId", s.symbol AS scope_symbol, e.payload
           FROM events e
           JOIN cat_securities s
             ON s.org_id = e.org_id AND s.asset_id = e.asset_id AND s.cat_reportable
           WHERE e.org_id = $1 AND e.report_date = $2
           ORDER BY e.received_at, e.id"#,
        org_id,
        date
    )
    .fetch_all(&mut *conn)
    .await?;
    let out_of_scope = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!" FROM events e
           WHERE e.org_id = $1 AND e.report_date = $2
             AND NOT EXISTS (SELECT 1 FROM cat_securities s
                             WHERE s.org_id = e.org_id AND s.asset_id = e.asset_id
                               AND s.cat_reportable)"#,
        org_id,
        date
    )
    .fetch_one(conn)
    .await?;
    Ok((rows, out_of_scope))
}

/// When the orders were received (from their events), for the trades' order key dates.
pub async fn order_created_at(
    conn: &mut PgConnection,
    org_id: &str,
    orders: &[Uuid],
) -> Result<HashMap<Uuid, OffsetDateTime>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, order_created_at AS "created_at!" FROM orders
           WHERE org_id = $1 AND id = ANY($2) AND order_created_at IS NOT NULL"#,
        org_id,
        orders
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.created_at)).collect())
}
