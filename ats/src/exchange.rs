//! The books in memory and the one way to change one: [`Matcher`]. A matcher holds the book
//! twice over — the process's lock on its in-memory copy and PostgreSQL's row lock on its
//! `books` row (`FOR UPDATE`) — so one book is matched by one task of one replica at a time.
//! The in-memory book is trusted only at the version the database has: when another replica
//! moved the book (or a commit failed here), it is rebuilt from the working orders. Everything
//! a match changes — orders, trades, their `pending` settlements, the outbox events, the
//! book's version — is written in the matcher's one transaction; the in-memory book becomes
//! the new version only once that commits.

use std::collections::HashMap;

use matching::{Book, Command, Event, Lots, NewOrder, OpenOrder, OrderKind, OwnerId, Snapshot};
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId, OrderId, SettlementId, TradeId};
use rust_decimal::Decimal;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::OwnedMutexGuard;
use vocab::{EventType, OrderStatus, Side};

use crate::books::Books;
use crate::events::{order_event, trade_event};
use crate::grid::Grid;
use crate::store::assets::{self, AssetRow, BookRow};
use crate::store::orders::{self, OrderRow, OrderUpdate};
use crate::store::outbox::{self, NewEvent};
use crate::store::trades;
use crate::views::{CancelReason, TradeView};

/// What a book's orders carry besides what the engine knows, in decimals: enough to write an
/// order's new state without reading it first.
#[derive(Debug, Clone)]
struct Fills {
    /// The BD's check of an order placed in this session, written with its new state.
    check: Option<CheckId>,
    filled: Decimal,
    notional: Decimal,
    cancelled: Decimal,
    price: Option<Decimal>,
    investor: InvestorId,
    side: Side,
}

#[derive(Default)]
pub(crate) struct Slot {
    /// `None`: must be rebuilt before use.
    book: Option<Book>,
    fills: HashMap<OrderId, Fills>,
    version: i64,
}

fn engine_id(id: OrderId) -> matching::OrderId {
    matching::OrderId(id.uuid().as_u128())
}

fn api_id(id: matching::OrderId) -> OrderId {
    OrderId(uuid::Uuid::from_u128(id.0))
}

fn owner(id: InvestorId) -> OwnerId {
    OwnerId(id.uuid().as_u128())
}

/// The engine's view of a stored order.
fn kind_of(row: &OrderRow, grid: Grid) -> anyhow::Result<OrderKind> {
    let price = row.price.map(|p| grid.ticks(p)).transpose()?;
    let stop = row.stop_price.map(|p| grid.ticks(p)).transpose()?;
    OrderKind::from_parts(row.order_type()?, price, stop)
        .map_err(|e| anyhow::anyhow!("order {} cannot be matched: {e}", row.id))
}

/// What a seller has committed beyond the TA's holdings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Committed {
    /// What their working sell orders still offer.
    pub open_sells: Decimal,
    /// What they sold in trades whose settlement is pending.
    pub sold_unsettled: Decimal,
}

impl Committed {
    pub fn total(&self) -> Decimal {
        self.open_sells + self.sold_unsettled
    }
}

/// What a matcher did, once committed: the orders it changed as they now stand, the trades,
/// and the book's new version.
#[derive(Debug, Default)]
pub struct Done {
    pub orders: HashMap<OrderId, OrderRow>,
    pub trades: Vec<TradeView>,
    pub version: i64,
}

/// One book, locked, in one transaction.
pub struct Matcher {
    tx: Option<TenantTx>,
    slot: OwnedMutexGuard<Slot>,
    asset: AssetRow,
    grid: Grid,
    row: BookRow,
    now: OffsetDateTime,
    events: Vec<Event>,
    /// Events that are not the engine's (rejections inside the lock), written with the rest.
    extra_events: Vec<NewEvent>,
    /// Sellers' quantities sold in trades not settled yet, read once per seller.
    unsettled: HashMap<InvestorId, Decimal>,
    /// Quantities sold through this matcher's commands, not written yet.
    sold_here: HashMap<InvestorId, Decimal>,
    dirty: bool,
    committed: bool,
}

impl Matcher {
    /// Locks the book (in this process, then in PostgreSQL) and makes sure the book in memory
    /// is the database's.
    pub async fn open<W>(
        books: &Books<W>,
        pool: &PgPool,
        org: &str,
        asset: AssetRow,
        now: OffsetDateTime,
    ) -> anyhow::Result<Self> {
        let slot = books.entry(org, asset.id).slot.clone().lock_owned().await;
        let mut tx = platform::db::begin(pool, org).await?;
        let row = assets::lock_book(&mut tx, asset.id).await?;
        let grid = Grid::of(&asset);
        let mut matcher = Self {
            tx: Some(tx),
            slot,
            asset,
            grid,
            row,
            now,
            events: Vec::new(),
            extra_events: Vec::new(),
            unsettled: HashMap::new(),
            sold_here: HashMap::new(),
            dirty: false,
            committed: false,
        };
        if matcher.slot.book.is_none() || matcher.slot.version != row.version {
            matcher.rebuild().await?;
        }
        Ok(matcher)
    }

    async fn rebuild(&mut self) -> anyhow::Result<()> {
        self.slot.book = None;
        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no transaction"))?;
        let rows = orders::working(tx, self.asset.id).await?;
        let mut open = Vec::with_capacity(rows.len());
        let mut fills = HashMap::with_capacity(rows.len());
        for r in &rows {
            let seq = r
                .arrival_seq
                .ok_or_else(|| anyhow::anyhow!("working order {} has no seq", r.id))?;
            open.push(OpenOrder {
                id: engine_id(r.id),
                owner: owner(r.investor_id),
                side: r.side()?,
                kind: kind_of(r, self.grid)?,
                tif: r.time_in_force()?,
                remaining: self.grid.lots(r.remaining_quantity)?,
                seq: u64::try_from(seq)?,
                triggered: r.triggered,
            });
            fills.insert(r.id, fills_of(r)?);
        }
        let snapshot = Snapshot {
            orders: open,
            next_seq: u64::try_from(self.row.next_seq)?,
            last_trade_price: self.row.last_trade_ticks,
        };
        let book = Book::restore(&snapshot)
            .map_err(|e| anyhow::anyhow!("book {} cannot be rebuilt: {e}", self.asset.id))?;
        tracing::debug!(asset = %self.asset.id, orders = rows.len(), version = self.row.version, "book rebuilt");
        self.slot.book = Some(book);
        self.slot.fills = fills;
        self.slot.version = self.row.version;
        Ok(())
    }

    pub fn asset(&self) -> &AssetRow {
        &self.asset
    }

    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The transaction, for reads and writes that belong with the match.
    pub fn tx(&mut self) -> anyhow::Result<&mut TenantTx> {
        self.tx
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no transaction"))
    }

    fn book(&mut self) -> anyhow::Result<&mut Book> {
        self.slot
            .book
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("book not loaded"))
    }

    /// What `investor` has already committed of this asset, beyond what the TA knows: what
    /// their working sell orders still offer, and what they sold in trades not settled yet
    /// (in the database, and in this matcher's commands not yet written).
    pub async fn committed_to_sells(&mut self, investor: InvestorId) -> anyhow::Result<Committed> {
        let book = self
            .slot
            .book
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("book not loaded"))?;
        let who = owner(investor);
        let working: u128 = book
            .resting(Side::Sell)
            .chain(book.held(Side::Sell))
            .filter(|o| o.owner == who)
            .map(|o| u128::from(o.remaining))
            .sum();
        let working = self.grid.quantity_wide(working)?;
        let stored = match self.unsettled.get(&investor) {
            Some(q) => *q,
            None => {
                self.read_unsettled(&[investor]).await?;
                self.unsettled.get(&investor).copied().unwrap_or_default()
            }
        };
        let here = self.sold_here.get(&investor).copied().unwrap_or_default();
        Ok(Committed {
            open_sells: working,
            sold_unsettled: stored + here,
        })
    }

    /// Reads what these sellers sold and have not settled yet, in one query, for
    /// [`Matcher::committed_to_sells`].
    pub async fn read_unsettled(&mut self, investors: &[InvestorId]) -> anyhow::Result<()> {
        let wanted: Vec<InvestorId> = investors
            .iter()
            .copied()
            .filter(|i| !self.unsettled.contains_key(i))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let asset = self.asset.id;
        let sold = trades::sold_unsettled(self.tx()?, asset, &wanted).await?;
        for i in wanted {
            self.unsettled.insert(i, Decimal::ZERO);
        }
        self.unsettled.extend(sold);
        Ok(())
    }

    /// Places a recorded order (status `pending_compliance`) on the book, with the BD's check
    /// that approved it.
    pub fn place(&mut self, order: &OrderRow, check: CheckId) -> anyhow::Result<()> {
        let new = NewOrder {
            id: engine_id(order.id),
            owner: owner(order.investor_id),
            side: order.side()?,
            kind: kind_of(order, self.grid)?,
            tif: order.time_in_force()?,
            quantity: self.grid.lots(order.quantity)?,
        };
        let mut fills = fills_of(order)?;
        fills.check = Some(check);
        self.slot.fills.insert(order.id, fills);
        self.apply(Command::Place(new))
    }

    /// Cancels what is left of a working order.
    pub fn cancel(&mut self, id: OrderId) -> anyhow::Result<()> {
        self.apply(Command::Cancel(engine_id(id)))
    }

    /// Expires a working `day` order.
    pub fn expire(&mut self, id: OrderId) -> anyhow::Result<()> {
        self.apply(Command::Expire(engine_id(id)))
    }

    fn apply(&mut self, cmd: Command) -> anyhow::Result<()> {
        let mut events = std::mem::take(&mut self.events);
        let from = events.len();
        let result = self.book()?.apply(cmd, &mut events);
        for e in &events[from..] {
            if let Event::Trade {
                taker,
                maker,
                quantity,
                ..
            } = *e
            {
                let (taker, maker) = (api_id(taker), api_id(maker));
                let seller = [taker, maker]
                    .into_iter()
                    .filter_map(|id| self.slot.fills.get(&id))
                    .find(|f| f.side == Side::Sell)
                    .map(|f| f.investor);
                if let Some(seller) = seller {
                    *self.sold_here.entry(seller).or_default() += self.grid.quantity(quantity)?;
                }
            }
        }
        self.events = events;
        self.dirty = true;
        // Every command is one the service built from a stored, validated order.
        result.map_err(|e| anyhow::anyhow!("the book refused {cmd:?}: {e}"))
    }

    /// Rejects orders inside the lock (a sell beyond the seller's holdings): written with the
    /// match, each with its `order.rejected` event.
    pub async fn reject(
        &mut self,
        rejections: &[(OrderId, String, Option<platform::ids::CheckId>)],
        symbol: &str,
    ) -> anyhow::Result<Vec<OrderRow>> {
        let now = self.now;
        let tx = self.tx()?;
        let org = tx.org().to_owned();
        let rows = orders::reject(tx, rejections, None, now).await?;
        for r in &rows {
            self.extra_events.push(order_event(
                EventType::OrderRejected,
                &r.view()?,
                symbol,
                &org,
                now,
            ));
        }
        Ok(rows)
    }

    /// Writes what the commands did and commits; the book in memory becomes the new version.
    pub async fn commit(mut self) -> anyhow::Result<Done> {
        let events = std::mem::take(&mut self.events);
        let org = tx_org(self.tx.as_ref()).to_owned();
        let symbol = self.asset.symbol.clone();
        let version = self.row.version + 1;
        let now = self.now;

        let mut touched: Vec<OrderId> = Vec::new();
        let mut seqs: HashMap<OrderId, (i64, bool)> = HashMap::new();
        let mut reasons: HashMap<OrderId, CancelReason> = HashMap::new();
        let mut trade_views = Vec::new();
        // (event type, order) or trade index, in the engine's order.
        let mut sequence: Vec<Outgoing> = Vec::new();
        for e in &events {
            match *e {
                Event::Accepted { id, seq } => {
                    let id = api_id(id);
                    touch(&mut touched, id);
                    seqs.insert(id, (i64::try_from(seq)?, false));
                    sequence.push(Outgoing::Order(EventType::OrderAccepted, id));
                }
                Event::Triggered { id, seq } | Event::Moved { id, seq, .. } => {
                    let id = api_id(id);
                    touch(&mut touched, id);
                    let triggered =
                        matches!(e, Event::Triggered { .. }) || seqs.get(&id).is_some_and(|s| s.1);
                    seqs.insert(id, (i64::try_from(seq)?, triggered));
                }
                Event::Trade {
                    taker,
                    maker,
                    price,
                    quantity,
                    ..
                } => {
                    let (taker, maker) = (api_id(taker), api_id(maker));
                    touch(&mut touched, taker);
                    touch(&mut touched, maker);
                    let price = self.grid.price(price)?;
                    let qty = self.grid.quantity(quantity)?;
                    let taker_side = self.fill(taker, price, qty)?;
                    self.fill(maker, price, qty)?;
                    let (buy, sell) = match taker_side {
                        Side::Buy => (taker, maker),
                        Side::Sell => (maker, taker),
                    };
                    let investor = |id: OrderId| {
                        self.slot
                            .fills
                            .get(&id)
                            .map(|f| f.investor)
                            .ok_or_else(|| anyhow::anyhow!("trade of unknown order {id}"))
                    };
                    trade_views.push(TradeView {
                        id: TradeId::new(),
                        asset_id: self.asset.id,
                        price,
                        quantity: qty,
                        buy_order_id: buy,
                        sell_order_id: sell,
                        buyer_investor_id: investor(buy)?,
                        seller_investor_id: investor(sell)?,
                        aggressor_side: taker_side,
                        executed_at: now,
                        settlement_id: SettlementId::new(),
                    });
                    sequence.push(Outgoing::Trade(trade_views.len() - 1));
                }
                Event::Reduced { id, .. } => touch(&mut touched, api_id(id)),
                Event::Cancelled {
                    id,
                    remaining: r,
                    reason,
                } => {
                    let id = api_id(id);
                    touch(&mut touched, id);
                    self.cancelled(id, r)?;
                    reasons.insert(id, reason.into());
                    sequence.push(Outgoing::Order(EventType::OrderCancelled, id));
                }
                Event::Expired { id, remaining: r } => {
                    let id = api_id(id);
                    touch(&mut touched, id);
                    self.cancelled(id, r)?;
                    reasons.insert(id, CancelReason::Expired);
                    sequence.push(Outgoing::Order(EventType::OrderExpired, id));
                }
            }
        }

        // The new state of each order touched.
        let book = self
            .slot
            .book
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("book not loaded"))?;
        let mut updates = Vec::with_capacity(touched.len());
        for id in &touched {
            let f = self
                .slot
                .fills
                .get(id)
                .ok_or_else(|| anyhow::anyhow!("no fills for {id}"))?;
            let open = book.order(engine_id(*id));
            // Done orders have nothing left working; what they did not fill was cancelled.
            let left = open.map_or(0, |o| o.remaining);
            let reason = reasons.get(id).copied();
            let status = if open.is_some() {
                if f.filled > Decimal::ZERO {
                    OrderStatus::PartiallyFilled
                } else {
                    OrderStatus::Open
                }
            } else if reason.is_some() {
                OrderStatus::Cancelled
            } else {
                OrderStatus::Filled
            };
            let (seq, triggered) = match (&open, seqs.get(id)) {
                (Some(o), _) => (Some(i64::try_from(o.seq)?), o.triggered),
                (None, Some((s, t))) => (Some(*s), *t),
                (None, None) => (None, false),
            };
            updates.push(OrderUpdate {
                id: *id,
                status,
                filled_quantity: f.filled,
                remaining_quantity: self.grid.quantity(left)?,
                cancelled_quantity: f.cancelled,
                filled_notional: f.notional,
                price: f.price,
                check_id: f.check,
                cancel_reason: reason,
                arrival_seq: seq,
                triggered,
            });
        }
        let next_seq = i64::try_from(book.next_seq())?;
        let last_trade_ticks = book.last_trade_price();

        let tx = self
            .tx
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no transaction"))?;
        let rows = orders::update(tx, &updates, now).await?;
        let rows: HashMap<OrderId, OrderRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        trades::insert(tx, &trade_views, version).await?;

        let mut outgoing = std::mem::take(&mut self.extra_events);
        for item in sequence {
            outgoing.push(match item {
                Outgoing::Order(kind, id) => {
                    let row = rows
                        .get(&id)
                        .ok_or_else(|| anyhow::anyhow!("order {id} not written"))?;
                    order_event(kind, &row.view()?, &symbol, &org, now)
                }
                Outgoing::Trade(i) => trade_event(&trade_views[i], &symbol, &org, now),
            });
        }
        outbox::insert(tx, &outgoing).await?;
        let row = BookRow {
            version,
            next_seq,
            last_trade_ticks,
        };
        assets::save_book(tx, self.asset.id, row, now).await?;
        let tx = self
            .tx
            .take()
            .ok_or_else(|| anyhow::anyhow!("no transaction"))?;
        tx.commit().await?;

        // Committed: the book in memory is this version; orders that are done are forgotten.
        self.committed = true;
        self.slot.version = version;
        for (id, r) in &rows {
            if !matches!(
                r.status()?,
                OrderStatus::Open | OrderStatus::PartiallyFilled
            ) {
                self.slot.fills.remove(id);
            }
        }
        Ok(Done {
            orders: rows,
            trades: trade_views,
            version,
        })
    }

    /// Adds a fill to an order's running totals; answers its side.
    fn fill(&mut self, id: OrderId, price: Decimal, qty: Decimal) -> anyhow::Result<Side> {
        let f = self
            .slot
            .fills
            .get_mut(&id)
            .ok_or_else(|| anyhow::anyhow!("fill of unknown order {id}"))?;
        f.filled += qty;
        f.notional += price * qty;
        Ok(f.side)
    }

    fn cancelled(&mut self, id: OrderId, lots: Lots) -> anyhow::Result<()> {
        let qty = self.grid.quantity(lots)?;
        let f = self
            .slot
            .fills
            .get_mut(&id)
            .ok_or_else(|| anyhow::anyhow!("cancel of unknown order {id}"))?;
        f.cancelled += qty;
        Ok(())
    }
}

impl Drop for Matcher {
    fn drop(&mut self) {
        // Not committed: the database kept the old version, so the copy in memory, which may
        // have moved, must not be trusted.
        if !self.committed && self.dirty {
            self.slot.book = None;
            self.slot.fills.clear();
        }
    }
}

enum Outgoing {
    Order(EventType, OrderId),
    Trade(usize),
}

fn touch(list: &mut Vec<OrderId>, id: OrderId) {
    if !list.contains(&id) {
        list.push(id);
    }
}

fn tx_org(tx: Option<&TenantTx>) -> &str {
    tx.map_or("", TenantTx::org)
}

fn fills_of(r: &OrderRow) -> anyhow::Result<Fills> {
    Ok(Fills {
        check: None,
        filled: r.filled_quantity,
        notional: r.filled_notional,
        cancelled: r.cancelled_quantity,
        price: r.price,
        investor: r.investor_id,
        side: r.side()?,
    })
}
