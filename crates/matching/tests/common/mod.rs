#![allow(dead_code, reason = "each test binary uses a different subset")]

//! Test support: command builders, a naive reference model of the book, and an event
//! checker that knows nothing of either.

use std::collections::VecDeque;

use matching::{
    Book, CancelReason, Command, Event, Lots, NewOrder, OpenOrder, OrderId, OrderKind, OwnerId,
    Reject, Side, Ticks, TimeInForce,
};

// ----- builders ---------------------------------------------------------------------------------

pub fn id(n: u128) -> OrderId {
    OrderId(n)
}

pub fn owner(n: u128) -> OwnerId {
    OwnerId(n)
}

pub fn place(
    n: u128,
    who: u128,
    side: Side,
    kind: OrderKind,
    tif: TimeInForce,
    quantity: Lots,
) -> Command {
    Command::Place(NewOrder {
        id: OrderId(n),
        owner: OwnerId(who),
        side,
        kind,
        tif,
        quantity,
    })
}

pub fn limit(n: u128, who: u128, side: Side, price: Ticks, quantity: Lots) -> Command {
    place(
        n,
        who,
        side,
        OrderKind::Limit { price },
        TimeInForce::Gtc,
        quantity,
    )
}

pub fn buy(n: u128, who: u128, price: Ticks, quantity: Lots) -> Command {
    limit(n, who, Side::Buy, price, quantity)
}

pub fn sell(n: u128, who: u128, price: Ticks, quantity: Lots) -> Command {
    limit(n, who, Side::Sell, price, quantity)
}

/// Applies commands that must all be accepted; returns the events of the last.
pub fn run(book: &mut Book, cmds: &[Command]) -> Vec<Event> {
    let mut out = Vec::new();
    for &cmd in cmds {
        out.clear();
        book.apply(cmd, &mut out)
            .unwrap_or_else(|r| panic!("{cmd:?} refused: {r:?}"));
        book.check_invariants().expect("invariants");
    }
    out
}

/// Applies one command, returning its events or refusal.
pub fn apply(book: &mut Book, cmd: Command) -> Result<Vec<Event>, Reject> {
    let mut out = Vec::new();
    book.apply(cmd, &mut out).map(|()| out)
}

pub fn trade(
    taker: (u128, u128),
    maker: (u128, u128),
    price: Ticks,
    quantity: Lots,
    taker_remaining: Lots,
    maker_remaining: Lots,
) -> Event {
    Event::Trade {
        taker: OrderId(taker.0),
        maker: OrderId(maker.0),
        taker_owner: OwnerId(taker.1),
        maker_owner: OwnerId(maker.1),
        price,
        quantity,
        taker_remaining,
        maker_remaining,
    }
}

pub fn accepted(n: u128, seq: u64) -> Event {
    Event::Accepted {
        id: OrderId(n),
        seq,
    }
}

pub fn cancelled(n: u128, remaining: Lots, reason: CancelReason) -> Event {
    Event::Cancelled {
        id: OrderId(n),
        remaining,
        reason,
    }
}

// ----- the reference model ----------------------------------------------------------------------

/// An open order in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MOrder {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub kind: OrderKind,
    pub tif: TimeInForce,
    pub remaining: Lots,
    pub seq: u64,
    pub triggered: bool,
}

impl MOrder {
    fn open(&self) -> OpenOrder {
        OpenOrder {
            id: self.id,
            owner: self.owner,
            side: self.side,
            kind: self.kind,
            tif: self.tif,
            remaining: self.remaining,
            seq: self.seq,
            triggered: self.triggered,
        }
    }
}

/// The book written as plainly as possible: every resting order in one `Vec`, every held
/// stop in another, and each decision a linear scan.
#[derive(Debug, Clone)]
pub struct Model {
    pub resting: Vec<MOrder>,
    pub held: Vec<MOrder>,
    pub next_seq: u64,
    pub last: Option<Ticks>,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            resting: Vec::new(),
            held: Vec::new(),
            next_seq: 1,
            last: None,
        }
    }
}

fn triggers(side: Side, stop: Ticks, price: Ticks) -> bool {
    match side {
        Side::Buy => price >= stop,
        Side::Sell => price <= stop,
    }
}

fn acceptable(side: Side, limit: Option<Ticks>, price: Ticks) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => price <= l,
        (Side::Sell, Some(l)) => price >= l,
    }
}

/// Whether resting order `a` comes before `b` for a taker (same side orders).
fn before(a: &MOrder, b: &MOrder) -> bool {
    let (pa, pb) = (price_of(a), price_of(b));
    if pa != pb {
        match a.side {
            Side::Buy => pa > pb,
            Side::Sell => pa < pb,
        }
    } else {
        a.seq < b.seq
    }
}

fn price_of(o: &MOrder) -> Ticks {
    o.kind
        .limit_price()
        .expect("resting orders have a limit price")
}

impl Model {
    fn find(&self, id: OrderId) -> Option<&MOrder> {
        self.resting
            .iter()
            .chain(self.held.iter())
            .find(|o| o.id == id)
    }

    pub fn open_orders(&self) -> Vec<OpenOrder> {
        let mut all: Vec<OpenOrder> = self
            .resting
            .iter()
            .chain(self.held.iter())
            .map(MOrder::open)
            .collect();
        all.sort_by_key(|o| o.seq);
        all
    }

    pub fn apply(&mut self, cmd: Command) -> Result<Vec<Event>, Reject> {
        let mut out = Vec::new();
        match cmd {
            Command::Place(o) => {
                if o.quantity == 0 {
                    return Err(Reject::ZeroQuantity);
                }
                for price in [o.kind.stop_price(), o.kind.limit_price()]
                    .into_iter()
                    .flatten()
                {
                    if price <= 0 {
                        return Err(Reject::InvalidPrice { price });
                    }
                }
                if self.find(o.id).is_some() {
                    return Err(Reject::DuplicateId { id: o.id });
                }
                let seq = self.next_seq;
                self.next_seq += 1;
                out.push(Event::Accepted { id: o.id, seq });
                let order = MOrder {
                    id: o.id,
                    owner: o.owner,
                    side: o.side,
                    kind: o.kind,
                    tif: o.tif,
                    remaining: o.quantity,
                    seq,
                    triggered: false,
                };
                let mut queue = VecDeque::new();
                match o.kind.stop_price() {
                    Some(stop) => {
                        if self.last.is_some_and(|last| triggers(o.side, stop, last)) {
                            queue.push_back(order);
                        } else {
                            self.held.push(order);
                        }
                    }
                    None => {
                        let prints = self.take(order, &mut out);
                        self.elect(&prints, &mut queue);
                    }
                }
                self.cascade(queue, &mut out);
            }
            Command::Cancel(id) | Command::Expire(id) => {
                let Some(o) = self.find(id).copied() else {
                    return Err(Reject::UnknownOrder { id });
                };
                self.resting.retain(|r| r.id != id);
                self.held.retain(|r| r.id != id);
                out.push(match cmd {
                    Command::Cancel(_) => Event::Cancelled {
                        id,
                        remaining: o.remaining,
                        reason: CancelReason::Requested,
                    },
                    _ => Event::Expired {
                        id,
                        remaining: o.remaining,
                    },
                });
            }
            Command::Reduce { id, by } => {
                if by == 0 {
                    return Err(Reject::ZeroQuantity);
                }
                let Some(o) = self.find(id).copied() else {
                    return Err(Reject::UnknownOrder { id });
                };
                if by >= o.remaining {
                    self.resting.retain(|r| r.id != id);
                    self.held.retain(|r| r.id != id);
                    out.push(Event::Cancelled {
                        id,
                        remaining: o.remaining,
                        reason: CancelReason::Requested,
                    });
                } else {
                    for r in self.resting.iter_mut().chain(self.held.iter_mut()) {
                        if r.id == id {
                            r.remaining -= by;
                        }
                    }
                    out.push(Event::Reduced {
                        id,
                        by,
                        remaining: o.remaining - by,
                    });
                }
            }
            Command::Move { id, price } => {
                if price <= 0 {
                    return Err(Reject::InvalidPrice { price });
                }
                if self.held.iter().any(|o| o.id == id) {
                    return Err(Reject::NotOnBook { id });
                }
                let Some(pos) = self.resting.iter().position(|o| o.id == id) else {
                    return Err(Reject::UnknownOrder { id });
                };
                let mut order = self.resting.remove(pos);
                order.seq = self.next_seq;
                self.next_seq += 1;
                order.kind = match order.kind {
                    OrderKind::StopLimit { stop, .. } => OrderKind::StopLimit { stop, price },
                    _ => OrderKind::Limit { price },
                };
                out.push(Event::Moved {
                    id,
                    price,
                    seq: order.seq,
                });
                let mut queue = VecDeque::new();
                let prints = self.take(order, &mut out);
                self.elect(&prints, &mut queue);
                self.cascade(queue, &mut out);
            }
        }
        Ok(out)
    }

    fn cascade(&mut self, mut queue: VecDeque<MOrder>, out: &mut Vec<Event>) {
        while let Some(mut order) = queue.pop_front() {
            order.seq = self.next_seq;
            self.next_seq += 1;
            order.triggered = true;
            out.push(Event::Triggered {
                id: order.id,
                seq: order.seq,
            });
            let prints = self.take(order, out);
            self.elect(&prints, &mut queue);
        }
    }

    /// Moves every held stop that one of `prints` satisfies to the queue, by seq.
    fn elect(&mut self, prints: &[Ticks], queue: &mut VecDeque<MOrder>) {
        let mut elected: Vec<MOrder> = self
            .held
            .iter()
            .filter(|s| {
                let stop = s.kind.stop_price().expect("held orders are stops");
                prints.iter().any(|&p| triggers(s.side, stop, p))
            })
            .copied()
            .collect();
        elected.sort_by_key(|s| s.seq);
        self.held.retain(|s| !elected.iter().any(|e| e.id == s.id));
        queue.extend(elected);
    }

    /// Matches `taker`, then rests or cancels what is left; returns the trade prices.
    fn take(&mut self, mut taker: MOrder, out: &mut Vec<Event>) -> Vec<Ticks> {
        let limit = taker.kind.limit_price();
        let mut prints = Vec::new();
        if taker.tif == TimeInForce::Fok {
            let available: u128 = self
                .resting
                .iter()
                .filter(|o| {
                    o.side != taker.side
                        && o.owner != taker.owner
                        && acceptable(taker.side, limit, price_of(o))
                })
                .map(|o| u128::from(o.remaining))
                .sum();
            if available < u128::from(taker.remaining) {
                out.push(Event::Cancelled {
                    id: taker.id,
                    remaining: taker.remaining,
                    reason: CancelReason::FillOrKill,
                });
                return prints;
            }
        }
        while taker.remaining > 0 {
            let mut best: Option<usize> = None;
            for (i, o) in self.resting.iter().enumerate() {
                if o.side != taker.side
                    && acceptable(taker.side, limit, price_of(o))
                    && best.is_none_or(|b| before(o, &self.resting[b]))
                {
                    best = Some(i);
                }
            }
            let Some(b) = best else { break };
            let maker = self.resting[b];
            if maker.owner == taker.owner {
                self.resting.remove(b);
                out.push(Event::Cancelled {
                    id: maker.id,
                    remaining: maker.remaining,
                    reason: CancelReason::SelfTrade,
                });
                continue;
            }
            let quantity = taker.remaining.min(maker.remaining);
            taker.remaining -= quantity;
            self.resting[b].remaining -= quantity;
            let price = price_of(&maker);
            out.push(Event::Trade {
                taker: taker.id,
                maker: maker.id,
                taker_owner: taker.owner,
                maker_owner: maker.owner,
                price,
                quantity,
                taker_remaining: taker.remaining,
                maker_remaining: maker.remaining - quantity,
            });
            prints.push(price);
            self.last = Some(price);
            if self.resting[b].remaining == 0 {
                self.resting.remove(b);
            }
        }
        if taker.remaining > 0 {
            let rests = limit.is_some() && matches!(taker.tif, TimeInForce::Gtc | TimeInForce::Day);
            if rests {
                self.resting.push(taker);
            } else {
                out.push(Event::Cancelled {
                    id: taker.id,
                    remaining: taker.remaining,
                    reason: match taker.tif {
                        TimeInForce::Ioc => CancelReason::ImmediateOrCancel,
                        TimeInForce::Fok => CancelReason::FillOrKill,
                        _ => CancelReason::NoLiquidity,
                    },
                });
            }
        }
        prints
    }
}

// ----- an independent checker of events ----------------------------------------------------------

/// Replays one command's events over the open orders as they were before it, and checks
/// what each event claims: every trade's maker was the best-priced, earliest order of the
/// other side still there (self-trade cancellations having removed the taker's own, which
/// must themselves have been the best at that moment), prices were acceptable to the
/// taker, remaining quantities add up, triggered stops were satisfied by a trade, and each
/// taker stopped matching only when nothing acceptable was left. At the end the replayed
/// orders must be the book's.
pub struct Checker {
    pub resting: Vec<OpenOrder>,
    pub held: Vec<OpenOrder>,
    pub last: Option<Ticks>,
}

struct Current {
    order: OpenOrder,
    limit: Option<Ticks>,
    traded: bool,
    done: bool,
}

fn open_price(o: &OpenOrder) -> Ticks {
    o.kind
        .limit_price()
        .expect("resting order has a limit price")
}

impl Checker {
    pub fn of(book: &Book) -> Self {
        Self {
            resting: book
                .resting(Side::Buy)
                .chain(book.resting(Side::Sell))
                .collect(),
            held: book.held(Side::Buy).chain(book.held(Side::Sell)).collect(),
            last: book.last_trade_price(),
        }
    }

    /// The best order on `side` (price, then seq).
    fn best(&self, side: Side) -> Option<&OpenOrder> {
        self.resting
            .iter()
            .filter(|o| o.side == side)
            .min_by_key(|o| {
                let p = open_price(o);
                (if side == Side::Buy { -p } else { p }, o.seq)
            })
    }

    fn finish(&mut self, cur: Option<Current>) -> Result<(), String> {
        let Some(cur) = cur else { return Ok(()) };
        if cur.done {
            return Ok(());
        }
        let o = cur.order;
        if o.remaining == 0 {
            return Ok(());
        }
        // Not cancelled and not filled: it must rest, and nothing acceptable may be left.
        if cur.limit.is_none() || !matches!(o.tif, TimeInForce::Gtc | TimeInForce::Day) {
            return Err(format!(
                "{:?} neither filled nor cancelled nor resting",
                o.id
            ));
        }
        if let Some(best) = self.best(opposite(o.side))
            && acceptable(o.side, cur.limit, open_price(best))
        {
            return Err(format!(
                "{:?} rested while {:?} was still acceptable",
                o.id, best.id
            ));
        }
        self.resting.push(o);
        Ok(())
    }

    /// Checks `events` (the result of `cmd`) and updates the replayed state.
    pub fn check(&mut self, cmd: Command, events: &[Event]) -> Result<(), String> {
        let mut cur: Option<Current> = None;
        let mut prints: Vec<Ticks> = Vec::new();
        let last_before = self.last;
        for event in events {
            match *event {
                Event::Accepted { id, seq } => {
                    let Command::Place(o) = cmd else {
                        return Err("Accepted without a placement".into());
                    };
                    if id != o.id || cur.is_some() {
                        return Err("Accepted out of place".into());
                    }
                    let order = OpenOrder {
                        id,
                        owner: o.owner,
                        side: o.side,
                        kind: o.kind,
                        tif: o.tif,
                        remaining: o.quantity,
                        seq,
                        triggered: false,
                    };
                    if o.kind.is_stop() {
                        self.held.push(order);
                    } else {
                        cur = Some(Current {
                            order,
                            limit: o.kind.limit_price(),
                            traded: false,
                            done: false,
                        });
                    }
                }
                Event::Triggered { id, seq } => {
                    self.finish(cur.take())?;
                    let pos = self
                        .held
                        .iter()
                        .position(|o| o.id == id)
                        .ok_or(format!("triggered {id:?} was not held"))?;
                    let mut order = self.held.remove(pos);
                    let stop = order.kind.stop_price().ok_or("held non-stop")?;
                    let satisfied = prints.iter().any(|&p| triggers(order.side, stop, p))
                        || last_before.is_some_and(|p| triggers(order.side, stop, p));
                    if !satisfied {
                        return Err(format!("{id:?} triggered without a trade through {stop}"));
                    }
                    order.seq = seq;
                    order.triggered = true;
                    cur = Some(Current {
                        order,
                        limit: order.kind.limit_price(),
                        traded: false,
                        done: false,
                    });
                }
                Event::Moved { id, price, seq } => {
                    let pos = self
                        .resting
                        .iter()
                        .position(|o| o.id == id)
                        .ok_or(format!("moved {id:?} was not resting"))?;
                    let mut order = self.resting.remove(pos);
                    order.kind = match order.kind {
                        OrderKind::StopLimit { stop, .. } => OrderKind::StopLimit { stop, price },
                        _ => OrderKind::Limit { price },
                    };
                    order.seq = seq;
                    cur = Some(Current {
                        order,
                        limit: Some(price),
                        traded: false,
                        done: false,
                    });
                }
                Event::Trade {
                    taker,
                    maker,
                    taker_owner,
                    maker_owner,
                    price,
                    quantity,
                    taker_remaining,
                    maker_remaining,
                } => {
                    let c = cur.as_mut().ok_or("trade without a taker")?;
                    if c.order.id != taker || c.order.owner != taker_owner || c.done {
                        return Err(format!("trade names taker {taker:?}"));
                    }
                    if taker_owner == maker_owner {
                        return Err("self-trade".into());
                    }
                    let side = opposite(c.order.side);
                    let best = *self.best(side).ok_or("trade with an empty side")?;
                    if best.id != maker || best.owner != maker_owner {
                        return Err(format!(
                            "maker {maker:?} is not the best order {:?}",
                            best.id
                        ));
                    }
                    if open_price(&best) != price || !acceptable(c.order.side, c.limit, price) {
                        return Err(format!(
                            "trade at {price} is not the maker's or not acceptable"
                        ));
                    }
                    if quantity == 0
                        || quantity != c.order.remaining.min(best.remaining)
                        || taker_remaining != c.order.remaining - quantity
                        || maker_remaining != best.remaining - quantity
                    {
                        return Err("trade quantities do not add up".into());
                    }
                    c.order.remaining -= quantity;
                    c.traded = true;
                    let m = self
                        .resting
                        .iter_mut()
                        .find(|o| o.id == maker)
                        .ok_or("maker vanished")?;
                    m.remaining -= quantity;
                    self.resting.retain(|o| o.remaining > 0);
                    prints.push(price);
                    self.last = Some(price);
                }
                Event::Cancelled {
                    id,
                    remaining,
                    reason,
                } => match reason {
                    CancelReason::SelfTrade => {
                        let c = cur.as_ref().ok_or("self-trade cancel without a taker")?;
                        let best = *self
                            .best(opposite(c.order.side))
                            .ok_or("self-trade cancel of nothing")?;
                        if best.id != id
                            || best.owner != c.order.owner
                            || best.remaining != remaining
                            || !acceptable(c.order.side, c.limit, open_price(&best))
                        {
                            return Err(format!("self-trade cancel of {id:?} is not the best"));
                        }
                        self.resting.retain(|o| o.id != id);
                    }
                    CancelReason::Requested => {
                        let before = self.resting.len() + self.held.len();
                        let found = self
                            .resting
                            .iter()
                            .chain(self.held.iter())
                            .find(|o| o.id == id)
                            .ok_or("cancel of an unknown order")?;
                        if found.remaining != remaining {
                            return Err("cancelled quantity is wrong".into());
                        }
                        self.resting.retain(|o| o.id != id);
                        self.held.retain(|o| o.id != id);
                        if self.resting.len() + self.held.len() + 1 != before {
                            return Err("cancel removed more than one".into());
                        }
                    }
                    CancelReason::NoLiquidity
                    | CancelReason::ImmediateOrCancel
                    | CancelReason::FillOrKill => {
                        let c = cur.as_mut().ok_or("cancel without a taker")?;
                        if c.order.id != id || c.order.remaining != remaining || c.done {
                            return Err(format!("{reason:?} cancel of {id:?} out of place"));
                        }
                        let expected = match c.order.tif {
                            TimeInForce::Ioc => CancelReason::ImmediateOrCancel,
                            TimeInForce::Fok => CancelReason::FillOrKill,
                            _ if c.limit.is_none() => CancelReason::NoLiquidity,
                            _ => return Err(format!("{id:?} should have rested")),
                        };
                        if reason != expected {
                            return Err(format!("{id:?} cancelled for {reason:?}"));
                        }
                        if reason == CancelReason::FillOrKill {
                            // Killed before trading, and rightly: too little available.
                            let available: u128 = self
                                .resting
                                .iter()
                                .filter(|o| {
                                    o.side != c.order.side
                                        && o.owner != c.order.owner
                                        && acceptable(c.order.side, c.limit, open_price(o))
                                })
                                .map(|o| u128::from(o.remaining))
                                .sum();
                            if c.traded || available >= u128::from(remaining) {
                                return Err(format!("{id:?} killed though fillable"));
                            }
                        } else if let Some(best) = self.best(opposite(c.order.side))
                            && acceptable(c.order.side, c.limit, open_price(best))
                        {
                            return Err(format!("{id:?} cancelled with liquidity left"));
                        }
                        c.done = true;
                    }
                },
                Event::Expired { id, remaining } => {
                    let found = self
                        .resting
                        .iter()
                        .chain(self.held.iter())
                        .find(|o| o.id == id)
                        .ok_or("expiry of an unknown order")?;
                    if found.remaining != remaining {
                        return Err("expired quantity is wrong".into());
                    }
                    self.resting.retain(|o| o.id != id);
                    self.held.retain(|o| o.id != id);
                }
                Event::Reduced { id, by, remaining } => {
                    let o = self
                        .resting
                        .iter_mut()
                        .chain(self.held.iter_mut())
                        .find(|o| o.id == id)
                        .ok_or("reduction of an unknown order")?;
                    if o.remaining != remaining + by || remaining == 0 {
                        return Err("reduction does not add up".into());
                    }
                    o.remaining = remaining;
                }
            }
        }
        self.finish(cur)?;
        Ok(())
    }

    /// The replayed open orders must be the book's.
    pub fn matches(&self, book: &Book) -> Result<(), String> {
        let mut mine: Vec<OpenOrder> = self
            .resting
            .iter()
            .chain(self.held.iter())
            .copied()
            .collect();
        mine.sort_by_key(|o| o.seq);
        let theirs = book.snapshot().orders;
        if mine != theirs {
            return Err(format!("replayed orders {mine:?}\nbook's {theirs:?}"));
        }
        Ok(())
    }
}

pub fn opposite(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}
