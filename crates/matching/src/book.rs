//! The order book: orders in a slab with intrusive FIFO lists per price level; levels in a
//! slab, found by price through a hash index and ordered by a `BTreeMap` per side; an id
//! index with the in-crate hasher; held stops in a `BTreeMap` per side keyed by (stop
//! price, seq).

use std::collections::{BTreeMap, HashMap, VecDeque};

use vocab::{Side, TimeInForce};

use crate::hash::BuildIdHasher;
use crate::reject::{Reject, RestoreError};
use crate::types::{
    CancelReason, Command, Depth, Event, LevelView, Lots, NewOrder, OpenOrder, OrderId, OrderKind,
    OwnerId, Seq, Snapshot, Ticks,
};

/// The most open orders (resting and held) one book holds; slab indices are `u32`.
pub const MAX_OPEN_ORDERS: usize = (u32::MAX - 1) as usize;

const NIL: u32 = u32::MAX;

/// An open order in the slab. `level` is its price level while it rests, [`NIL`] while it
/// is a held stop (or being matched).
#[derive(Debug, Clone)]
struct Node {
    id: OrderId,
    owner: OwnerId,
    kind: OrderKind,
    remaining: Lots,
    seq: Seq,
    prev: u32,
    next: u32,
    level: u32,
    side: Side,
    tif: TimeInForce,
    triggered: bool,
}

/// A price level: the FIFO of orders resting at `price`.
#[derive(Debug, Clone)]
struct Level {
    price: Ticks,
    head: u32,
    tail: u32,
}

/// An order being matched: an arrival, a moved order or a triggered stop. `slot` is its
/// slab entry if it already has one (moved or triggered), else [`NIL`].
#[derive(Debug, Clone, Copy)]
struct Taker {
    id: OrderId,
    owner: OwnerId,
    side: Side,
    kind: OrderKind,
    /// `None`: a market order (any price is acceptable).
    limit: Option<Ticks>,
    tif: TimeInForce,
    remaining: Lots,
    seq: Seq,
    slot: u32,
}

impl Taker {
    #[inline(always)]
    fn accepts(&self, price: Ticks) -> bool {
        match (self.side, self.limit) {
            (_, None) => true,
            (Side::Buy, Some(limit)) => price <= limit,
            (Side::Sell, Some(limit)) => price >= limit,
        }
    }
}

/// Whether a trade at `last` triggers a stop at `stop` on `side`: a buy stop when the
/// trade is at or above it, a sell stop when at or below.
pub fn stop_triggered(side: Side, stop: Ticks, last: Ticks) -> bool {
    match side {
        Side::Buy => last >= stop,
        Side::Sell => last <= stop,
    }
}

/// One asset's order book. See the crate documentation for the rules.
#[derive(Debug, Clone)]
pub struct Book {
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    levels: Vec<Level>,
    free_levels: Vec<u32>,
    /// Price levels in price order, for the next best level and for walking the book.
    bids: BTreeMap<Ticks, u32>,
    asks: BTreeMap<Ticks, u32>,
    /// The same levels by price, for finding an existing level without a tree search.
    bid_index: HashMap<Ticks, u32, BuildIdHasher>,
    ask_index: HashMap<Ticks, u32, BuildIdHasher>,
    /// The best level of each side, or [`NIL`]: kept so matching and crossing checks do
    /// not walk the trees.
    best_bid: u32,
    best_ask: u32,
    buy_stops: BTreeMap<(Ticks, Seq), u32>,
    sell_stops: BTreeMap<(Ticks, Seq), u32>,
    index: HashMap<OrderId, u32, BuildIdHasher>,
    next_seq: Seq,
    last_trade_price: Option<Ticks>,
    /// Scratch: stops elected by one taker's trades, as (seq, slot).
    elected: Vec<(Seq, u32)>,
    /// Scratch: elected stops waiting to enter, in order.
    queue: VecDeque<u32>,
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    /// An empty book whose first seq is 1 and with no last trade price.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty book with room for `orders` open orders before any allocation.
    pub fn with_capacity(orders: usize) -> Self {
        Self {
            nodes: Vec::with_capacity(orders),
            free_nodes: Vec::with_capacity(orders),
            levels: Vec::with_capacity(orders),
            free_levels: Vec::with_capacity(orders),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            bid_index: HashMap::with_capacity_and_hasher(orders, BuildIdHasher::default()),
            ask_index: HashMap::with_capacity_and_hasher(orders, BuildIdHasher::default()),
            best_bid: NIL,
            best_ask: NIL,
            buy_stops: BTreeMap::new(),
            sell_stops: BTreeMap::new(),
            index: HashMap::with_capacity_and_hasher(orders, BuildIdHasher::default()),
            next_seq: 1,
            last_trade_price: None,
            elected: Vec::with_capacity(64),
            queue: VecDeque::with_capacity(64),
        }
    }

    // ----- commands ------------------------------------------------------------------------

    /// Performs `cmd`, appending its events to `out` (which is not cleared: reuse one
    /// vector and clear it between commands to avoid allocating), or refuses it, changing
    /// nothing and appending nothing.
    pub fn apply(&mut self, cmd: Command, out: &mut Vec<Event>) -> Result<(), Reject> {
        match cmd {
            Command::Place(order) => self.place(order, out),
            Command::Cancel(id) => self.close(id, out, |id, remaining| Event::Cancelled {
                id,
                remaining,
                reason: CancelReason::Requested,
            }),
            Command::Expire(id) => {
                self.close(id, out, |id, remaining| Event::Expired { id, remaining })
            }
            Command::Move { id, price } => self.move_order(id, price, out),
            Command::Reduce { id, by } => self.reduce(id, by, out),
        }
    }

    fn place(&mut self, order: NewOrder, out: &mut Vec<Event>) -> Result<(), Reject> {
        if order.quantity == 0 {
            return Err(Reject::ZeroQuantity);
        }
        if let Some(price) = order.kind.bad_price() {
            return Err(Reject::InvalidPrice { price });
        }
        if self.index.contains_key(&order.id) {
            return Err(Reject::DuplicateId { id: order.id });
        }
        if self.index.len() >= MAX_OPEN_ORDERS {
            return Err(Reject::BookFull);
        }
        let seq = self.take_seq();
        out.push(Event::Accepted { id: order.id, seq });
        match order.kind {
            OrderKind::Market | OrderKind::Limit { .. } => {
                let mut taker = Taker {
                    id: order.id,
                    owner: order.owner,
                    side: order.side,
                    kind: order.kind,
                    limit: order.kind.limit_price(),
                    tif: order.tif,
                    remaining: order.quantity,
                    seq,
                    slot: NIL,
                };
                self.take(&mut taker, out);
            }
            OrderKind::Stop { stop } | OrderKind::StopLimit { stop, .. } => {
                let slot = self.alloc_node(Node {
                    id: order.id,
                    owner: order.owner,
                    kind: order.kind,
                    remaining: order.quantity,
                    seq,
                    prev: NIL,
                    next: NIL,
                    level: NIL,
                    side: order.side,
                    tif: order.tif,
                    triggered: false,
                });
                self.index.insert(order.id, slot);
                match self.last_trade_price {
                    // Already through its stop: triggered at once.
                    Some(last) if stop_triggered(order.side, stop, last) => {
                        self.queue.push_back(slot);
                    }
                    _ => {
                        self.stops_mut(order.side).insert((stop, seq), slot);
                    }
                }
            }
        }
        self.cascade(out);
        Ok(())
    }

    /// Cancel or expire: removes an open order, resting or held, emitting `event`.
    fn close(
        &mut self,
        id: OrderId,
        out: &mut Vec<Event>,
        event: impl FnOnce(OrderId, Lots) -> Event,
    ) -> Result<(), Reject> {
        let slot = self.slot_of(id)?;
        out.push(event(id, self.nodes[slot as usize].remaining));
        self.remove_open(slot);
        Ok(())
    }

    fn reduce(&mut self, id: OrderId, by: Lots, out: &mut Vec<Event>) -> Result<(), Reject> {
        if by == 0 {
            return Err(Reject::ZeroQuantity);
        }
        let slot = self.slot_of(id)?;
        let node = &mut self.nodes[slot as usize];
        if by >= node.remaining {
            out.push(Event::Cancelled {
                id,
                remaining: node.remaining,
                reason: CancelReason::Requested,
            });
            self.remove_open(slot);
        } else {
            node.remaining -= by;
            out.push(Event::Reduced {
                id,
                by,
                remaining: node.remaining,
            });
        }
        Ok(())
    }

    fn move_order(
        &mut self,
        id: OrderId,
        price: Ticks,
        out: &mut Vec<Event>,
    ) -> Result<(), Reject> {
        if price <= 0 {
            return Err(Reject::InvalidPrice { price });
        }
        let slot = self.slot_of(id)?;
        if self.nodes[slot as usize].level == NIL {
            return Err(Reject::NotOnBook { id });
        }
        self.unlink(slot);
        let seq = self.take_seq();
        let node = &mut self.nodes[slot as usize];
        node.seq = seq;
        node.kind = node.kind.with_limit_price(price);
        out.push(Event::Moved { id, price, seq });
        let side = node.side;
        let crosses = match side {
            Side::Buy => self.best_ask().is_some_and(|ask| ask <= price),
            Side::Sell => self.best_bid().is_some_and(|bid| bid >= price),
        };
        if !crosses {
            // Nothing to match, so no trade and no stop to trigger: straight to the book.
            self.link(slot, side, price);
            return Ok(());
        }
        let node = &self.nodes[slot as usize];
        let mut taker = Taker {
            id,
            owner: node.owner,
            side: node.side,
            kind: node.kind,
            limit: Some(price),
            tif: node.tif,
            remaining: node.remaining,
            seq,
            slot,
        };
        self.take(&mut taker, out);
        self.cascade(out);
        Ok(())
    }

    // ----- matching ------------------------------------------------------------------------

    /// Matches `t` against the other side, then rests or cancels what is left, then elects
    /// the stops its trades triggered (queued, entered by [`Self::cascade`]).
    fn take(&mut self, t: &mut Taker, out: &mut Vec<Event>) {
        if t.tif == TimeInForce::Fok && self.fillable(t) < t.remaining {
            out.push(Event::Cancelled {
                id: t.id,
                remaining: t.remaining,
                reason: CancelReason::FillOrKill,
            });
            self.discard(t);
            return;
        }
        let mut low = Ticks::MAX;
        let mut high = Ticks::MIN;
        while t.remaining > 0 {
            let level = match t.side {
                Side::Buy => self.best_ask,
                Side::Sell => self.best_bid,
            };
            if level == NIL {
                break;
            }
            let price = self.levels[level as usize].price;
            if !t.accepts(price) {
                break;
            }
            let mut cur = self.levels[level as usize].head;
            while cur != NIL && t.remaining > 0 {
                let maker = &mut self.nodes[cur as usize];
                let next = maker.next;
                if maker.owner == t.owner {
                    out.push(Event::Cancelled {
                        id: maker.id,
                        remaining: maker.remaining,
                        reason: CancelReason::SelfTrade,
                    });
                    self.remove_resting(cur);
                } else {
                    let quantity = t.remaining.min(maker.remaining);
                    t.remaining -= quantity;
                    maker.remaining -= quantity;
                    out.push(Event::Trade {
                        taker: t.id,
                        maker: maker.id,
                        taker_owner: t.owner,
                        maker_owner: maker.owner,
                        price,
                        quantity,
                        taker_remaining: t.remaining,
                        maker_remaining: maker.remaining,
                    });
                    low = low.min(price);
                    high = high.max(price);
                    if maker.remaining == 0 {
                        self.remove_resting(cur);
                    }
                }
                cur = next;
            }
        }
        if low <= high {
            // Each level is worse for the taker than the one before: the last trade was at
            // the highest price for a buyer, the lowest for a seller.
            self.last_trade_price = Some(match t.side {
                Side::Buy => high,
                Side::Sell => low,
            });
        }
        if t.remaining > 0 {
            if t.limit.is_some() && matches!(t.tif, TimeInForce::Gtc | TimeInForce::Day) {
                self.rest(t);
            } else {
                let reason = match t.tif {
                    TimeInForce::Ioc => CancelReason::ImmediateOrCancel,
                    TimeInForce::Fok => CancelReason::FillOrKill,
                    TimeInForce::Gtc | TimeInForce::Day => CancelReason::NoLiquidity,
                };
                out.push(Event::Cancelled {
                    id: t.id,
                    remaining: t.remaining,
                    reason,
                });
                self.discard(t);
            }
        } else {
            self.discard(t);
        }
        if low <= high {
            self.elect(low, high);
        }
    }

    /// What `t` could fill at once: the other owners' remaining quantity at prices it
    /// accepts (stops counting once it covers `t`).
    fn fillable(&self, t: &Taker) -> Lots {
        let mut sum: Lots = 0;
        let mut add_level = |level: u32| -> bool {
            let mut cur = self.levels[level as usize].head;
            while cur != NIL {
                let node = &self.nodes[cur as usize];
                if node.owner != t.owner {
                    sum = sum.saturating_add(node.remaining);
                    if sum >= t.remaining {
                        return true;
                    }
                }
                cur = node.next;
            }
            false
        };
        match t.side {
            Side::Buy => {
                for (&price, &level) in &self.asks {
                    if !t.accepts(price) || add_level(level) {
                        break;
                    }
                }
            }
            Side::Sell => {
                for (&price, &level) in self.bids.iter().rev() {
                    if !t.accepts(price) || add_level(level) {
                        break;
                    }
                }
            }
        }
        sum
    }

    /// Queues the held stops that trades between `low` and `high` triggered: buy stops at
    /// or below `high`, sell stops at or above `low`, in seq order.
    fn elect(&mut self, low: Ticks, high: Ticks) {
        self.elected.clear();
        for (&(_, seq), &slot) in self.buy_stops.range(..=(high, Seq::MAX)) {
            self.elected.push((seq, slot));
        }
        for (&(_, seq), &slot) in self.sell_stops.range((low, 0)..) {
            self.elected.push((seq, slot));
        }
        if self.elected.is_empty() {
            return;
        }
        self.elected.sort_unstable();
        for i in 0..self.elected.len() {
            let (seq, slot) = self.elected[i];
            let node = &self.nodes[slot as usize];
            let stop = node.kind.stop_price().unwrap_or_default();
            let side = node.side;
            self.stops_mut(side).remove(&(stop, seq));
            self.queue.push_back(slot);
        }
    }

    /// Enters the queued triggered stops one by one; their trades may queue more.
    fn cascade(&mut self, out: &mut Vec<Event>) {
        while let Some(slot) = self.queue.pop_front() {
            let seq = self.take_seq();
            let node = &mut self.nodes[slot as usize];
            node.triggered = true;
            node.seq = seq;
            out.push(Event::Triggered { id: node.id, seq });
            let mut taker = Taker {
                id: node.id,
                owner: node.owner,
                side: node.side,
                kind: node.kind,
                limit: node.kind.limit_price(),
                tif: node.tif,
                remaining: node.remaining,
                seq,
                slot,
            };
            self.take(&mut taker, out);
        }
    }

    // ----- slab, levels and index ------------------------------------------------------------

    #[inline]
    fn take_seq(&mut self) -> Seq {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    #[inline]
    fn slot_of(&self, id: OrderId) -> Result<u32, Reject> {
        self.index
            .get(&id)
            .copied()
            .ok_or(Reject::UnknownOrder { id })
    }

    fn stops_mut(&mut self, side: Side) -> &mut BTreeMap<(Ticks, Seq), u32> {
        match side {
            Side::Buy => &mut self.buy_stops,
            Side::Sell => &mut self.sell_stops,
        }
    }

    #[inline]
    fn alloc_node(&mut self, node: Node) -> u32 {
        match self.free_nodes.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Puts what is left of `t` on the book at its limit price, behind the orders there.
    fn rest(&mut self, t: &Taker) {
        let price = t.limit.unwrap_or_default();
        let slot = if t.slot == NIL {
            let slot = self.alloc_node(Node {
                id: t.id,
                owner: t.owner,
                kind: t.kind,
                remaining: t.remaining,
                seq: t.seq,
                prev: NIL,
                next: NIL,
                level: NIL,
                side: t.side,
                tif: t.tif,
                triggered: false,
            });
            self.index.insert(t.id, slot);
            slot
        } else {
            self.nodes[t.slot as usize].remaining = t.remaining;
            t.slot
        };
        self.link(slot, t.side, price);
    }

    /// Appends `slot` to the FIFO at `price` on `side`, creating the level if needed.
    fn link(&mut self, slot: u32, side: Side, price: Ticks) {
        let index = match side {
            Side::Buy => &mut self.bid_index,
            Side::Sell => &mut self.ask_index,
        };
        let level = match index.get(&price) {
            Some(&level) => level,
            None => {
                let fresh = Level {
                    price,
                    head: NIL,
                    tail: NIL,
                };
                let level = match self.free_levels.pop() {
                    Some(level) => {
                        self.levels[level as usize] = fresh;
                        level
                    }
                    None => {
                        self.levels.push(fresh);
                        (self.levels.len() - 1) as u32
                    }
                };
                index.insert(price, level);
                let (map, best) = match side {
                    Side::Buy => (&mut self.bids, &mut self.best_bid),
                    Side::Sell => (&mut self.asks, &mut self.best_ask),
                };
                map.insert(price, level);
                let better = *best == NIL || {
                    let current = self.levels[*best as usize].price;
                    match side {
                        Side::Buy => price > current,
                        Side::Sell => price < current,
                    }
                };
                if better {
                    *best = level;
                }
                level
            }
        };
        let tail = self.levels[level as usize].tail;
        {
            let node = &mut self.nodes[slot as usize];
            node.level = level;
            node.prev = tail;
            node.next = NIL;
        }
        if tail == NIL {
            self.levels[level as usize].head = slot;
        } else {
            self.nodes[tail as usize].next = slot;
        }
        self.levels[level as usize].tail = slot;
    }

    /// Takes `slot` out of its level's FIFO, removing the level if it empties.
    fn unlink(&mut self, slot: u32) {
        let (prev, next, level, side) = {
            let node = &self.nodes[slot as usize];
            (node.prev, node.next, node.level, node.side)
        };
        if prev == NIL {
            self.levels[level as usize].head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NIL {
            self.levels[level as usize].tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        let node = &mut self.nodes[slot as usize];
        node.level = NIL;
        node.prev = NIL;
        node.next = NIL;
        if self.levels[level as usize].head == NIL {
            let price = self.levels[level as usize].price;
            let (map, index, best) = match side {
                Side::Buy => (&mut self.bids, &mut self.bid_index, &mut self.best_bid),
                Side::Sell => (&mut self.asks, &mut self.ask_index, &mut self.best_ask),
            };
            map.remove(&price);
            index.remove(&price);
            if *best == level {
                *best = match side {
                    Side::Buy => map.last_key_value(),
                    Side::Sell => map.first_key_value(),
                }
                .map_or(NIL, |(_, &l)| l);
            }
            self.free_levels.push(level);
        }
    }

    /// Removes a resting order from the book, the index and the slab.
    fn remove_resting(&mut self, slot: u32) {
        self.unlink(slot);
        self.free_slot(slot);
    }

    /// Removes an open order, resting or held.
    fn remove_open(&mut self, slot: u32) {
        let node = &self.nodes[slot as usize];
        if node.level != NIL {
            self.unlink(slot);
        } else {
            let key = (node.kind.stop_price().unwrap_or_default(), node.seq);
            let side = node.side;
            self.stops_mut(side).remove(&key);
        }
        self.free_slot(slot);
    }

    /// A taker that does not rest: frees its slot if it had one.
    fn discard(&mut self, t: &Taker) {
        if t.slot != NIL {
            self.free_slot(t.slot);
        }
    }

    fn free_slot(&mut self, slot: u32) {
        let id = self.nodes[slot as usize].id;
        self.index.remove(&id);
        self.free_nodes.push(slot);
    }

    // ----- queries ---------------------------------------------------------------------------

    /// The highest bid price.
    pub fn best_bid(&self) -> Option<Ticks> {
        (self.best_bid != NIL).then(|| self.levels[self.best_bid as usize].price)
    }

    /// The lowest ask price.
    pub fn best_ask(&self) -> Option<Ticks> {
        (self.best_ask != NIL).then(|| self.levels[self.best_ask as usize].price)
    }

    /// The price of the last trade, if any.
    pub fn last_trade_price(&self) -> Option<Ticks> {
        self.last_trade_price
    }

    /// The seq the next accepted, triggered or moved order will take.
    pub fn next_seq(&self) -> Seq {
        self.next_seq
    }

    /// How many orders are open (resting and held).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no order is open.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The remaining quantity of an open order.
    pub fn remaining(&self, id: OrderId) -> Option<Lots> {
        self.index
            .get(&id)
            .map(|&slot| self.nodes[slot as usize].remaining)
    }

    /// An open order, resting or held.
    pub fn order(&self, id: OrderId) -> Option<OpenOrder> {
        self.index.get(&id).map(|&slot| self.open_order(slot))
    }

    fn open_order(&self, slot: u32) -> OpenOrder {
        let n = &self.nodes[slot as usize];
        OpenOrder {
            id: n.id,
            owner: n.owner,
            side: n.side,
            kind: n.kind,
            tif: n.tif,
            remaining: n.remaining,
            seq: n.seq,
            triggered: n.triggered,
        }
    }

    fn level_orders(&self, level: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(
            Some(self.levels[level as usize].head).filter(|&s| s != NIL),
            move |&s| Some(self.nodes[s as usize].next).filter(|&n| n != NIL),
        )
    }

    fn side_levels(&self, side: Side) -> Box<dyn Iterator<Item = (Ticks, u32)> + '_> {
        match side {
            Side::Buy => Box::new(self.bids.iter().rev().map(|(&p, &l)| (p, l))),
            Side::Sell => Box::new(self.asks.iter().map(|(&p, &l)| (p, l))),
        }
    }

    /// The orders resting on `side`, in priority order (best price first, then seq).
    pub fn resting(&self, side: Side) -> impl Iterator<Item = OpenOrder> + '_ {
        self.side_levels(side)
            .flat_map(move |(_, level)| self.level_orders(level))
            .map(move |slot| self.open_order(slot))
    }

    /// The held stops of `side`, by stop price (ascending) then seq.
    pub fn held(&self, side: Side) -> impl Iterator<Item = OpenOrder> + '_ {
        let stops = match side {
            Side::Buy => &self.buy_stops,
            Side::Sell => &self.sell_stops,
        };
        stops.values().map(move |&slot| self.open_order(slot))
    }

    /// The best `n` price levels of each side, aggregated.
    pub fn depth(&self, n: usize) -> Depth {
        let side = |side| {
            self.side_levels(side)
                .take(n)
                .map(|(price, level)| {
                    let (quantity, orders) =
                        self.level_orders(level).fold((0u128, 0usize), |(q, c), s| {
                            (q + u128::from(self.nodes[s as usize].remaining), c + 1)
                        });
                    LevelView {
                        price,
                        quantity,
                        orders,
                    }
                })
                .collect()
        };
        Depth {
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }

    /// Every open order (by seq), the next seq and the last trade price: what
    /// [`Book::restore`] needs.
    pub fn snapshot(&self) -> Snapshot {
        let mut orders: Vec<OpenOrder> = self
            .index
            .values()
            .map(|&slot| self.open_order(slot))
            .collect();
        orders.sort_unstable_by_key(|o| o.seq);
        Snapshot {
            orders,
            next_seq: self.next_seq,
            last_trade_price: self.last_trade_price,
        }
    }

    // ----- restore ---------------------------------------------------------------------------

    /// Rebuilds a book from a snapshot of its open orders (as the service stores them):
    /// orders rest in seq order at each price, so the restored book behaves exactly like
    /// the original from here on. Refuses a snapshot no book could have produced.
    pub fn restore(snapshot: &Snapshot) -> Result<Self, RestoreError> {
        if snapshot.orders.len() > MAX_OPEN_ORDERS {
            return Err(RestoreError::TooManyOrders);
        }
        if let Some(price) = snapshot.last_trade_price.filter(|&p| p <= 0) {
            return Err(RestoreError::InvalidPrice { price });
        }
        let mut orders = snapshot.orders.clone();
        orders.sort_unstable_by_key(|o| o.seq);
        for pair in orders.windows(2) {
            if pair[0].seq == pair[1].seq {
                return Err(RestoreError::DuplicateSeq { seq: pair[0].seq });
            }
        }
        let mut book = Self::with_capacity(orders.len());
        book.next_seq = snapshot.next_seq;
        book.last_trade_price = snapshot.last_trade_price;
        for o in &orders {
            let id = o.id;
            if o.seq >= snapshot.next_seq {
                return Err(RestoreError::SeqNotBeforeNext {
                    id,
                    seq: o.seq,
                    next_seq: snapshot.next_seq,
                });
            }
            if o.remaining == 0 {
                return Err(RestoreError::ZeroQuantity { id });
            }
            if let Some(price) = o.kind.bad_price() {
                return Err(RestoreError::InvalidPrice { price });
            }
            if book.index.contains_key(&id) {
                return Err(RestoreError::DuplicateId { id });
            }
            let resting = match (o.kind, o.triggered) {
                (OrderKind::Limit { .. }, false) | (OrderKind::StopLimit { .. }, true) => true,
                (OrderKind::Stop { .. } | OrderKind::StopLimit { .. }, false) => false,
                _ => return Err(RestoreError::CannotBeOpen { id }),
            };
            if resting && !matches!(o.tif, TimeInForce::Gtc | TimeInForce::Day) {
                return Err(RestoreError::CannotBeOpen { id });
            }
            let slot = book.alloc_node(Node {
                id,
                owner: o.owner,
                kind: o.kind,
                remaining: o.remaining,
                seq: o.seq,
                prev: NIL,
                next: NIL,
                level: NIL,
                side: o.side,
                tif: o.tif,
                triggered: o.triggered,
            });
            book.index.insert(id, slot);
            match (resting, o.kind.limit_price(), o.kind.stop_price()) {
                (true, Some(price), _) => book.link(slot, o.side, price),
                (false, _, Some(stop)) => {
                    if let Some(last) = book.last_trade_price
                        && stop_triggered(o.side, stop, last)
                    {
                        return Err(RestoreError::StopShouldHaveTriggered { id });
                    }
                    book.stops_mut(o.side).insert((stop, o.seq), slot);
                }
                _ => return Err(RestoreError::CannotBeOpen { id }),
            }
        }
        if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask())
            && bid >= ask
        {
            return Err(RestoreError::Crossed { bid, ask });
        }
        Ok(book)
    }

    // ----- checks ----------------------------------------------------------------------------

    /// Checks the book's internal consistency (for tests and debugging; it walks
    /// everything): levels sorted, non-empty and linked both ways, best levels cached
    /// right, the book not crossed, every open order indexed once and in exactly one
    /// place, seqs increasing within a level and below `next_seq`, and no held stop that
    /// the last trade price would trigger.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen = 0usize;
        for side in [Side::Buy, Side::Sell] {
            let (map, index, best) = match side {
                Side::Buy => (&self.bids, &self.bid_index, self.best_bid),
                Side::Sell => (&self.asks, &self.ask_index, self.best_ask),
            };
            if index.len() != map.len() || map.iter().any(|(p, l)| index.get(p) != Some(l)) {
                return Err(format!("{side} level index differs from the level tree"));
            }
            let expected_best = match side {
                Side::Buy => map.last_key_value(),
                Side::Sell => map.first_key_value(),
            }
            .map_or(NIL, |(_, &l)| l);
            if best != expected_best {
                return Err(format!("{side} best level cache is stale"));
            }
            for (&price, &level) in map {
                let lvl = &self.levels[level as usize];
                if lvl.price != price {
                    return Err(format!(
                        "level {level} has price {} under {price}",
                        lvl.price
                    ));
                }
                if lvl.head == NIL {
                    return Err(format!("empty level at {price}"));
                }
                let mut prev = NIL;
                let mut last_seq: Option<Seq> = None;
                for slot in self.level_orders(level) {
                    let n = &self.nodes[slot as usize];
                    if n.prev != prev || n.level != level || n.side != side {
                        return Err(format!("order {:?} badly linked", n.id));
                    }
                    if last_seq.is_some_and(|last| n.seq <= last) || n.seq >= self.next_seq {
                        return Err(format!("order {:?} out of seq order", n.id));
                    }
                    if n.remaining == 0 || n.kind.limit_price() != Some(price) {
                        return Err(format!("order {:?} empty or at a wrong price", n.id));
                    }
                    if self.index.get(&n.id) != Some(&slot) {
                        return Err(format!("order {:?} not indexed", n.id));
                    }
                    last_seq = Some(n.seq);
                    prev = slot;
                    seen += 1;
                }
                if lvl.tail != prev {
                    return Err(format!("level {price} tail is wrong"));
                }
            }
        }
        if let (Some(bid), Some(ask)) = (self.best_bid(), self.best_ask())
            && bid >= ask
        {
            return Err(format!("crossed: bid {bid} >= ask {ask}"));
        }
        for side in [Side::Buy, Side::Sell] {
            let stops = match side {
                Side::Buy => &self.buy_stops,
                Side::Sell => &self.sell_stops,
            };
            for (&(stop, seq), &slot) in stops {
                let n = &self.nodes[slot as usize];
                if n.seq != seq
                    || n.side != side
                    || n.level != NIL
                    || n.triggered
                    || n.kind.stop_price() != Some(stop)
                    || n.remaining == 0
                    || seq >= self.next_seq
                {
                    return Err(format!("held stop {:?} is inconsistent", n.id));
                }
                if self.index.get(&n.id) != Some(&slot) {
                    return Err(format!("held stop {:?} not indexed", n.id));
                }
                if let Some(last) = self.last_trade_price
                    && stop_triggered(side, stop, last)
                {
                    return Err(format!("held stop {:?} should have triggered", n.id));
                }
                seen += 1;
            }
        }
        if seen != self.index.len() {
            return Err(format!(
                "{} orders indexed, {seen} on the book or held",
                self.index.len()
            ));
        }
        if !self.queue.is_empty() {
            return Err("triggered stops left in the queue".to_owned());
        }
        Ok(())
    }
}
