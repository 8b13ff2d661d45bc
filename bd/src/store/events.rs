//! The ATS's events (each applied once), the trades they describe, and what surveillance and
//! the CAT/OATS reports read from them.

use std::collections::{BTreeSet, HashMap, HashSet};

use compliance::surveillance::DayVolume;
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

/// Records the events (distinct ids), one statement per [`super::checks::STATEMENT_BYTES`] of
/// payloads, in id order (so calls claiming the same ids wait for each other rather than
/// deadlock); answers the ids that were new: the others this organization already has.
pub async fn claim_many(
    tx: &mut TenantTx,
    events: &[NewEvent<'_>],
) -> Result<HashSet<EventId>, sqlx::Error> {
    let mut sorted: Vec<&NewEvent<'_>> = events.iter().collect();
    sorted.sort_by_key(|e| e.id);
    let size = |e: &&NewEvent<'_>| 128 + serde_json::to_string(e.payload).map_or(0, |s| s.len());
    let mut new = HashSet::with_capacity(events.len());
    for run in super::runs(&sorted, size) {
        new.extend(claim_rows(tx, run).await?);
    }
    Ok(new)
}

async fn claim_rows(
    tx: &mut TenantTx,
    events: &[&NewEvent<'_>],
) -> Result<Vec<EventId>, sqlx::Error> {
    let n = events.len();
    let (mut id, mut kind, mut created_at, mut received_at) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut asset, mut order, mut trade, mut date, mut payload) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in events {
        id.push(e.id);
        kind.push(e.event_type.as_str().to_owned());
        created_at.push(e.created_at);
        received_at.push(e.received_at);
        asset.push(e.asset_id);
        order.push(e.order_id);
        trade.push(e.trade_id);
        date.push(e.report_date);
        payload.push(e.payload.clone());
    }
    sqlx::query_scalar!(
        r#"INSERT INTO events (organization_id, id, type, created_at, received_at, asset_id,
                               order_id, trade_id, report_date, payload)
           SELECT $1, e.id, e.type, e.created_at, e.received_at, e.asset_id, e.order_id,
                  e.trade_id, e.report_date, e.payload
           FROM UNNEST($2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                       $6::uuid[], $7::uuid[], $8::uuid[], $9::date[], $10::jsonb[])
                WITH ORDINALITY AS e(id, type, created_at, received_at, asset_id, order_id,
                                     trade_id, report_date, payload, n)
           ORDER BY e.n
           ON CONFLICT (organization_id, id) DO NOTHING
           RETURNING id AS "id: EventId""#,
        tx.org(),
        &id as &[EventId],
        &kind,
        &created_at,
        &received_at,
        &asset as &[AssetId],
        &order as &[Option<OrderId>],
        &trade as &[Option<TradeId>],
        &date,
        &payload,
    )
    .fetch_all(&mut **tx)
    .await
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

/// Trades written by one statement: about 10 KiB of parameters (see
/// [`super::checks::STATEMENT_BYTES`]).
const TRADES_PER_STATEMENT: usize = 40;

/// Records the trades (distinct ids) in the order given, so that their `seq` follows it, each
/// with the regulation of its buy order as pre-trade saw it (else the asset's latest); answers
/// the ids that were new: a trade already known (sent again under another event id) is left
/// as it is.
pub async fn insert_trades(
    tx: &mut TenantTx,
    trades: &[NewTrade<'_>],
) -> Result<HashSet<TradeId>, sqlx::Error> {
    let mut new = HashSet::with_capacity(trades.len());
    for chunk in trades.chunks(TRADES_PER_STATEMENT) {
        new.extend(insert_trade_rows(tx, chunk).await?);
    }
    Ok(new)
}

async fn insert_trade_rows(
    tx: &mut TenantTx,
    trades: &[NewTrade<'_>],
) -> Result<Vec<TradeId>, sqlx::Error> {
    let n = trades.len();
    let (mut id, mut event, mut asset, mut symbol, mut price, mut quantity) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut buy, mut sell, mut buyer, mut seller, mut at, mut date, mut settlement) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for t in trades {
        id.push(t.id);
        event.push(t.event_id);
        asset.push(t.asset_id);
        symbol.push(t.symbol.map(str::to_owned));
        price.push(t.price);
        quantity.push(t.quantity);
        buy.push(t.buy_order_id);
        sell.push(t.sell_order_id);
        buyer.push(t.buyer_investor_id);
        seller.push(t.seller_investor_id);
        at.push(t.executed_at);
        date.push(t.trade_date);
        settlement.push(t.settlement_id);
    }
    // ORDER BY the position: `seq` (the order of trades executed at the same instant) is drawn
    // in the order the rows come.
    sqlx::query_scalar!(
        r#"INSERT INTO trades (organization_id, id, event_id, asset_id, symbol, price, quantity,
                               buy_order_id, sell_order_id, buyer_investor_id,
                               seller_investor_id, executed_at, trade_date, settlement_id,
                               regulation)
           SELECT $1, t.id, t.event_id, t.asset_id, t.symbol, t.price, t.quantity,
                  t.buy_order_id, t.sell_order_id, t.buyer_investor_id, t.seller_investor_id,
                  t.executed_at, t.trade_date, t.settlement_id,
                  COALESCE(
                      (SELECT o.regulation FROM orders o
                       WHERE o.organization_id = $1 AND o.id = t.buy_order_id),
                      (SELECT o.regulation FROM orders o
                       WHERE o.organization_id = $1 AND o.asset_id = t.asset_id
                         AND o.regulation IS NOT NULL
                       ORDER BY o.checked_at DESC LIMIT 1))
           FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::numeric[],
                       $7::numeric[], $8::uuid[], $9::uuid[], $10::uuid[], $11::uuid[],
                       $12::timestamptz[], $13::date[], $14::uuid[])
                WITH ORDINALITY AS t(id, event_id, asset_id, symbol, price, quantity,
                                     buy_order_id, sell_order_id, buyer_investor_id,
                                     seller_investor_id, executed_at, trade_date, settlement_id,
                                     n)
           ORDER BY t.n
           ON CONFLICT (organization_id, id) DO NOTHING
           RETURNING id AS "id: TradeId""#,
        tx.org(),
        &id as &[TradeId],
        &event as &[EventId],
        &asset as &[AssetId],
        &symbol as &[Option<String>],
        &price,
        &quantity,
        &buy as &[OrderId],
        &sell as &[OrderId],
        &buyer as &[InvestorId],
        &seller as &[InvestorId],
        &at,
        &date,
        &settlement as &[Option<SettlementId>],
    )
    .fetch_all(&mut **tx)
    .await
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

/// Where the previous trade of a trade is looked for: its asset, before or at its execution.
pub struct PreviousOf {
    pub trade: TradeId,
    pub asset_id: AssetId,
    pub executed_at: OffsetDateTime,
}

/// Lookups of previous trades sent in one statement (about 40 bytes of parameters each).
const LOOKUPS_PER_STATEMENT: usize = 250;

/// For each lookup, in order, the asset's latest recorded trade other than `trade` executed at
/// or before `executed_at` (by execution time, then arrival).
pub async fn previous_trades(
    tx: &mut TenantTx,
    lookups: &[PreviousOf],
) -> Result<Vec<Option<TradeRow>>, sqlx::Error> {
    let mut out = Vec::with_capacity(lookups.len());
    for chunk in lookups.chunks(LOOKUPS_PER_STATEMENT) {
        let trades: Vec<TradeId> = chunk.iter().map(|l| l.trade).collect();
        let assets: Vec<AssetId> = chunk.iter().map(|l| l.asset_id).collect();
        let at: Vec<OffsetDateTime> = chunk.iter().map(|l| l.executed_at).collect();
        let rows = sqlx::query!(
            r#"SELECT q.n AS "n!", p.id AS "id!: TradeId", p.asset_id AS "asset_id!: AssetId",
                      p.price AS "price!", p.quantity AS "quantity!",
                      p.buyer_investor_id AS "buyer_investor_id!: InvestorId",
                      p.seller_investor_id AS "seller_investor_id!: InvestorId",
                      p.executed_at AS "executed_at!"
               FROM UNNEST($2::uuid[], $3::uuid[], $4::timestamptz[])
                    WITH ORDINALITY AS q(trade_id, asset_id, at, n)
               CROSS JOIN LATERAL (
                   SELECT t.id, t.asset_id, t.price, t.quantity, t.buyer_investor_id,
                          t.seller_investor_id, t.executed_at
                   FROM trades t
                   WHERE t.organization_id = $1 AND t.asset_id = q.asset_id
                     AND t.id <> q.trade_id AND t.executed_at <= q.at
                   ORDER BY t.executed_at DESC, t.seq DESC
                   LIMIT 1) p"#,
            tx.org(),
            &trades as &[TradeId],
            &assets as &[AssetId],
            &at,
        )
        .fetch_all(&mut **tx)
        .await?;
        let mut found: Vec<Option<TradeRow>> = vec![None; chunk.len()];
        for r in rows {
            let slot = usize::try_from(r.n - 1)
                .ok()
                .and_then(|i| found.get_mut(i))
                .ok_or_else(|| sqlx::Error::Protocol("a lookup out of range".into()))?;
            *slot = Some(TradeRow {
                id: r.id,
                asset_id: r.asset_id,
                price: r.price,
                quantity: r.quantity,
                buyer_investor_id: r.buyer_investor_id,
                seller_investor_id: r.seller_investor_id,
                executed_at: r.executed_at,
            });
        }
        out.extend(found);
    }
    Ok(out)
}

/// Each asked asset's volume on each asked (Eastern Time) trading day as recorded: the trade
/// count and total, and the parts of `parties` (what the concentration rule compares; other
/// investors' parts are not read). Read by key from the running sums [`add_day_volumes`]
/// keeps, so the cost does not grow with the day's trading.
pub async fn day_volumes(
    tx: &mut TenantTx,
    days: &[(AssetId, Date)],
    parties: &[InvestorId],
) -> Result<HashMap<(AssetId, Date), DayVolume>, sqlx::Error> {
    let assets: Vec<AssetId> = days.iter().map(|d| d.0).collect();
    let dates: Vec<Date> = days.iter().map(|d| d.1).collect();
    let totals = sqlx::query!(
        r#"SELECT d.asset_id AS "asset_id: AssetId", d.trade_date, d.trades, d.total
           FROM trade_days d
           JOIN unnest($2::uuid[], $3::date[]) AS k(asset_id, trade_date)
             ON d.asset_id = k.asset_id AND d.trade_date = k.trade_date
           WHERE d.organization_id = $1"#,
        tx.org(),
        &assets as &[AssetId],
        &dates,
    )
    .fetch_all(&mut **tx)
    .await?;
    let parts = sqlx::query!(
        r#"SELECT v.asset_id AS "asset_id: AssetId", v.trade_date,
                  v.investor_id AS "investor_id: InvestorId", v.volume
           FROM trade_day_investors v
           JOIN unnest($2::uuid[], $3::date[]) AS k(asset_id, trade_date)
             ON v.asset_id = k.asset_id AND v.trade_date = k.trade_date
           WHERE v.organization_id = $1 AND v.investor_id = ANY($4)"#,
        tx.org(),
        &assets as &[AssetId],
        &dates,
        parties as &[InvestorId],
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut by_investor: HashMap<(AssetId, Date), HashMap<String, Decimal>> = HashMap::new();
    for p in parts {
        by_investor
            .entry((p.asset_id, p.trade_date))
            .or_default()
            .insert(p.investor_id.to_string(), p.volume);
    }
    let totals: HashMap<(AssetId, Date), (i64, Decimal)> = totals
        .into_iter()
        .map(|t| ((t.asset_id, t.trade_date), (t.trades, t.total)))
        .collect();
    // Each pair asked for is answered, a day without trades with an empty volume.
    Ok(days
        .iter()
        .map(|day| {
            let (trades, total) = totals.get(day).copied().unwrap_or_default();
            let trades = usize::try_from(trades).unwrap_or(usize::MAX);
            let by = by_investor.remove(day).unwrap_or_default();
            (*day, DayVolume::from_parts(trades, total, by))
        })
        .collect())
}

/// Adds newly recorded trades to their days' running sums (see [`day_volumes`]). The caller
/// holds the lock of each asset (`lock_asset`), and adds each trade once, with its recording.
pub async fn add_day_volumes(
    tx: &mut TenantTx,
    trades: &[&NewTrade<'_>],
) -> Result<(), sqlx::Error> {
    if trades.is_empty() {
        return Ok(());
    }
    let mut days: HashMap<(AssetId, Date), (i64, Decimal)> = HashMap::new();
    let mut parts: HashMap<(AssetId, Date, InvestorId), Decimal> = HashMap::new();
    for t in trades {
        let day = days.entry((t.asset_id, t.trade_date)).or_default();
        day.0 += 1;
        day.1 += t.quantity;
        *parts
            .entry((t.asset_id, t.trade_date, t.buyer_investor_id))
            .or_default() += t.quantity;
        if t.seller_investor_id != t.buyer_investor_id {
            *parts
                .entry((t.asset_id, t.trade_date, t.seller_investor_id))
                .or_default() += t.quantity;
        }
    }
    let (mut assets, mut dates, mut counts, mut totals) = (vec![], vec![], vec![], vec![]);
    for ((asset, date), (n, total)) in days {
        assets.push(asset);
        dates.push(date);
        counts.push(n);
        totals.push(total);
    }
    sqlx::query!(
        r#"INSERT INTO trade_days (organization_id, asset_id, trade_date, trades, total)
           SELECT $1, * FROM unnest($2::uuid[], $3::date[], $4::bigint[], $5::numeric[])
           ON CONFLICT (organization_id, asset_id, trade_date) DO UPDATE
           SET trades = trade_days.trades + EXCLUDED.trades,
               total = trade_days.total + EXCLUDED.total"#,
        tx.org(),
        &assets as &[AssetId],
        &dates,
        &counts,
        &totals,
    )
    .execute(&mut **tx)
    .await?;
    let (mut assets, mut dates, mut investors, mut volumes) = (vec![], vec![], vec![], vec![]);
    for ((asset, date, investor), volume) in parts {
        assets.push(asset);
        dates.push(date);
        investors.push(investor);
        volumes.push(volume);
    }
    sqlx::query!(
        r#"INSERT INTO trade_day_investors (organization_id, asset_id, trade_date, investor_id, volume)
           SELECT $1, * FROM unnest($2::uuid[], $3::date[], $4::uuid[], $5::numeric[])
           ON CONFLICT (organization_id, asset_id, trade_date, investor_id) DO UPDATE
           SET volume = trade_day_investors.volume + EXCLUDED.volume"#,
        tx.org(),
        &assets as &[AssetId],
        &dates,
        &investors as &[InvestorId],
        &volumes,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
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
