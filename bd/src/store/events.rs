//! The ATS's events (each applied once), the trades they describe, and what surveillance and
//! the CAT/OATS reports read from them.

use std::collections::{BTreeSet, HashMap};

use platform::db::TenantTx;
use platform::ids::{AssetId, EventId, InvestorId, OrderId, SettlementId, TradeId};
use rust_decimal::Decimal;
use serde_json::Value;
use time::{Date, OffsetDateTime};
use vocab::EventType;

use super::wire;

pub struct NewEvent<'a> {
    pub id: EventId,
    pub event_type: EventType,
    pub created_at: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub asset_id: AssetId,
    pub order_id: Option<OrderId>,
    pub trade_id: Option<TradeId>,
    pub report_date: Date,
    pub payload: &'a Value,
}

/// Records the event; `false` when this organization already has an event with this id.
pub async fn claim(tx: &mut TenantTx, e: &NewEvent<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO events (organization_id, id, type, created_at, received_at, asset_id,
                             order_id, trade_id, report_date, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (organization_id, id) DO NOTHING",
        tx.org(),
        e.id.uuid(),
        e.event_type.as_str(),
        e.created_at,
        e.received_at,
        e.asset_id.uuid(),
        e.order_id.map(OrderId::uuid),
        e.trade_id.map(TradeId::uuid),
        e.report_date,
        e.payload,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct NewTrade<'a> {
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
    pub settlement_id: Option<SettlementId>,
}

/// Records the trade, with the regulation of its buy order as pre-trade saw it (else the
/// asset's latest); `false` when the trade is already known (sent again under another event id).
pub async fn insert_trade(tx: &mut TenantTx, t: &NewTrade<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO trades (organization_id, id, event_id, asset_id, symbol, price, quantity,
                             buy_order_id, sell_order_id, buyer_investor_id, seller_investor_id,
                             executed_at, trade_date, settlement_id, regulation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 COALESCE(
                     (SELECT regulation FROM orders WHERE organization_id = $1 AND id = $8),
                     (SELECT regulation FROM orders
                      WHERE organization_id = $1 AND asset_id = $4 AND regulation IS NOT NULL
                      ORDER BY checked_at DESC LIMIT 1)))
         ON CONFLICT (organization_id, id) DO NOTHING",
        tx.org(),
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
        t.settlement_id.map(SettlementId::uuid),
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Serializes the surveillance of one asset's trades (within one organization) until the
/// transaction ends, so "the previous trade" and "the day's volume" are well defined.
pub async fn lock_asset(tx: &mut TenantTx, asset_id: AssetId) -> Result<(), sqlx::Error> {
    let key = format!("bd-surveillance:{}:{asset_id}", tx.org());
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(&mut **tx)
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
    tx: &mut TenantTx,
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
           WHERE organization_id = $1 AND asset_id = $2 AND id <> $3 AND executed_at <= $4
           ORDER BY executed_at DESC, seq DESC
           LIMIT 1"#,
        tx.org(),
        asset_id.uuid(),
        trade.uuid(),
        executed_at
    )
    .fetch_optional(&mut **tx)
    .await
}

/// The asset's trades of one (Eastern Time) trading day.
pub async fn day_trades(
    tx: &mut TenantTx,
    asset_id: AssetId,
    trade_date: Date,
) -> Result<Vec<TradeRow>, sqlx::Error> {
    sqlx::query_as!(
        TradeRow,
        r#"SELECT id AS "id: TradeId", asset_id AS "asset_id: AssetId", price, quantity,
                  buyer_investor_id AS "buyer_investor_id: InvestorId",
                  seller_investor_id AS "seller_investor_id: InvestorId", executed_at
           FROM trades
           WHERE organization_id = $1 AND asset_id = $2 AND trade_date = $3
           ORDER BY executed_at, seq"#,
        tx.org(),
        asset_id.uuid(),
        trade_date
    )
    .fetch_all(&mut **tx)
    .await
}

/// Who owns each investor in the end: an entity's declared beneficial owners, an individual
/// (with a date of birth) itself. Keys are a person's normalised name and date of birth.
pub async fn beneficial_owner_keys(
    tx: &mut TenantTx,
    investors: &[InvestorId],
) -> Result<HashMap<String, BTreeSet<String>>, sqlx::Error> {
    let owners = sqlx::query!(
        r#"SELECT investor_id AS "investor_id: InvestorId", owner_key FROM beneficial_owners
           WHERE organization_id = $1 AND investor_id = ANY($2)"#,
        tx.org(),
        investors as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await?;
    let people = sqlx::query!(
        r#"SELECT id AS "id: InvestorId", legal_name, date_of_birth AS "date_of_birth!"
           FROM investors
           WHERE organization_id = $1 AND id = ANY($2) AND type = 'individual'
             AND date_of_birth IS NOT NULL"#,
        tx.org(),
        investors as &[InvestorId]
    )
    .fetch_all(&mut **tx)
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

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: EventId,
    pub event_type: EventType,
    pub created_at: OffsetDateTime,
    pub asset_id: AssetId,
    /// The symbol the security was switched into CAT scope under.
    pub scope_symbol: String,
    pub payload: Value,
}

/// The day's events of securities switched into CAT scope, in arrival order, and how many
/// events of the day are out of scope.
pub async fn reportable_events(
    tx: &mut TenantTx,
    date: Date,
) -> Result<(Vec<StoredEvent>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT e.id AS "id: EventId", e.type AS event_type, e.created_at,
                  e.asset_id AS "asset_id: AssetId", s.symbol AS scope_symbol, e.payload
           FROM events e
           JOIN cat_securities s
             ON s.organization_id = e.organization_id AND s.asset_id = e.asset_id
                AND s.cat_reportable
           WHERE e.organization_id = $1 AND e.report_date = $2
           ORDER BY e.received_at, e.id"#,
        tx.org(),
        date
    )
    .fetch_all(&mut **tx)
    .await?;
    let events = rows
        .into_iter()
        .map(|r| {
            Ok(StoredEvent {
                id: r.id,
                event_type: wire("events.type", &r.event_type)?,
                created_at: r.created_at,
                asset_id: r.asset_id,
                scope_symbol: r.scope_symbol,
                payload: r.payload,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let out_of_scope = sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!" FROM events e
           WHERE e.organization_id = $1 AND e.report_date = $2
             AND NOT EXISTS (SELECT 1 FROM cat_securities s
                             WHERE s.organization_id = e.organization_id
                               AND s.asset_id = e.asset_id AND s.cat_reportable)"#,
        tx.org(),
        date
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok((events, out_of_scope))
}

/// When the orders were received (from their events), for the trades' order key dates.
pub async fn order_created_at(
    tx: &mut TenantTx,
    orders: &[OrderId],
) -> Result<HashMap<OrderId, OffsetDateTime>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: OrderId", order_created_at AS "created_at!" FROM orders
           WHERE organization_id = $1 AND id = ANY($2) AND order_created_at IS NOT NULL"#,
        tx.org(),
        orders as &[OrderId]
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.created_at)).collect())
}
