//! What goes into a [`Book`](crate::Book) and what comes out of it.

use vocab::{OrderType, Side, TimeInForce};

use crate::reject::Reject;

/// An order's id. The service maps its UUIDv7 order ids to these (`Uuid::as_u128`); the
/// engine only compares and hashes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub u128);

/// Whose order it is, for self-trade prevention. The service maps its investor ids to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnerId(pub u128);

/// A price in ticks of the asset's tick size (always > 0 once accepted).
pub type Ticks = i64;
/// A quantity in lots of the asset's lot size (always > 0 once accepted).
pub type Lots = u64;
/// The book's arrival sequence: the time in price-time priority.
pub type Seq = u64;

/// How an order is priced. Prices are ticks and must be positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// At the best prices available; never rests.
    Market,
    /// At `price` or better; what does not fill rests (GTC and DAY).
    Limit {
        /// The limit price.
        price: Ticks,
    },
    /// Held off the book until a trade prints at or through `stop`, then a market order.
    Stop {
        /// The trigger price.
        stop: Ticks,
    },
    /// Held off the book until a trade prints at or through `stop`, then a limit order at
    /// `price`.
    StopLimit {
        /// The trigger price.
        stop: Ticks,
        /// The limit price once triggered.
        price: Ticks,
    },
}

impl OrderKind {
    /// Builds a kind from the API's order type and optional prices, refusing a missing
    /// price the type needs ([`Reject::MissingLimitPrice`], [`Reject::MissingStopPrice`])
    /// and a price it does not take ([`Reject::UnexpectedLimitPrice`],
    /// [`Reject::UnexpectedStopPrice`]). Prices are checked to be positive by
    /// [`Book::apply`](crate::Book::apply), not here.
    pub fn from_parts(
        order_type: OrderType,
        price: Option<Ticks>,
        stop: Option<Ticks>,
    ) -> Result<Self, Reject> {
        match (order_type.has_limit_price(), price) {
            (true, None) => return Err(Reject::MissingLimitPrice),
            (false, Some(_)) => return Err(Reject::UnexpectedLimitPrice),
            _ => {}
        }
        match (order_type.has_stop_price(), stop) {
            (true, None) => return Err(Reject::MissingStopPrice),
            (false, Some(_)) => return Err(Reject::UnexpectedStopPrice),
            _ => {}
        }
        Ok(match (order_type, price, stop) {
            (OrderType::Limit, Some(price), _) => Self::Limit { price },
            (OrderType::Stop, _, Some(stop)) => Self::Stop { stop },
            (OrderType::StopLimit, Some(price), Some(stop)) => Self::StopLimit { stop, price },
            _ => Self::Market,
        })
    }

    /// The API's order type.
    pub fn order_type(self) -> OrderType {
        match self {
            Self::Market => OrderType::Market,
            Self::Limit { .. } => OrderType::Limit,
            Self::Stop { .. } => OrderType::Stop,
            Self::StopLimit { .. } => OrderType::StopLimit,
        }
    }

    /// The limit price, if the kind has one.
    pub fn limit_price(self) -> Option<Ticks> {
        match self {
            Self::Limit { price } | Self::StopLimit { price, .. } => Some(price),
            Self::Market | Self::Stop { .. } => None,
        }
    }

    /// The stop (trigger) price, if the kind has one.
    pub fn stop_price(self) -> Option<Ticks> {
        match self {
            Self::Stop { stop } | Self::StopLimit { stop, .. } => Some(stop),
            Self::Market | Self::Limit { .. } => None,
        }
    }

    /// Whether the order is held until a trade triggers it.
    pub fn is_stop(self) -> bool {
        matches!(self, Self::Stop { .. } | Self::StopLimit { .. })
    }

    /// The first non-positive price, if any.
    pub(crate) fn bad_price(self) -> Option<Ticks> {
        [self.stop_price(), self.limit_price()]
            .into_iter()
            .flatten()
            .find(|&p| p <= 0)
    }

    /// The same kind with its limit price replaced (a limit or stop-limit being moved).
    pub(crate) fn with_limit_price(self, price: Ticks) -> Self {
        match self {
            Self::StopLimit { stop, .. } => Self::StopLimit { stop, price },
            _ => Self::Limit { price },
        }
    }
}

/// An order arriving at the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// Unique among the book's open orders (the engine forgets orders once they are done;
    /// the service's UUIDv7 ids never repeat).
    pub id: OrderId,
    /// For self-trade prevention.
    pub owner: OwnerId,
    /// Buy or sell.
    pub side: Side,
    /// Market, limit, stop or stop-limit, with its prices.
    pub kind: OrderKind,
    /// GTC and DAY limit orders rest; IOC and FOK never do; market orders never do.
    pub tif: TimeInForce,
    /// Lots, > 0.
    pub quantity: Lots,
}

/// One instruction to the book. [`Book::apply`](crate::Book::apply) either performs it
/// completely, appending its events, or refuses it and changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// A new order: accepted, matched, then rested, held or cancelled by its kind and time
    /// in force.
    Place(NewOrder),
    /// Cancel an open order (resting, or a held stop) on request.
    Cancel(OrderId),
    /// Move a resting order to a new limit price. It always loses time priority (takes a
    /// new seq, even at the same price) and acts like a new arrival: it may cross and
    /// trade (as the taker), and what is left rests at the new price. Held stops cannot be
    /// moved ([`Reject::NotOnBook`]); cancel and place again.
    Move {
        /// The order.
        id: OrderId,
        /// The new limit price, > 0.
        price: Ticks,
    },
    /// Reduce an open order's remaining quantity by `by` lots, keeping its priority. A
    /// reduction by its whole remaining quantity or more cancels it (as a requested
    /// cancellation).
    Reduce {
        /// The order.
        id: OrderId,
        /// Lots to take off, > 0.
        by: Lots,
    },
    /// Expire an open order (resting, or a held stop): what the service does to DAY orders
    /// at the end of the trading day. The engine does not check the time in force.
    Expire(OrderId),
}

/// Why what was left of an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// [`Command::Cancel`], or a [`Command::Reduce`] that took everything.
    Requested,
    /// A resting order cancelled by self-trade prevention: an order of the same owner
    /// arrived that would have traded with it.
    SelfTrade,
    /// A market order (GTC or DAY) with nothing (left) to match.
    NoLiquidity,
    /// The remainder of an IOC order (limit or market).
    ImmediateOrCancel,
    /// An FOK order that could not fill entirely at once: nothing traded.
    FillOrKill,
}

/// What happened, in order. The events of one command are deterministic: the same book and
/// the same command always give the same events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A placed order passed validation and took arrival sequence number `seq` (its time
    /// priority, unless it is a stop: see [`Event::Triggered`]).
    Accepted {
        /// The order.
        id: OrderId,
        /// Its arrival sequence number.
        seq: Seq,
    },
    /// Two orders traded `quantity` lots at the resting (maker) order's price.
    Trade {
        /// The arriving (or moved, or triggered) order.
        taker: OrderId,
        /// The resting order.
        maker: OrderId,
        /// The taker's owner.
        taker_owner: OwnerId,
        /// The maker's owner.
        maker_owner: OwnerId,
        /// The maker's limit price.
        price: Ticks,
        /// Lots traded, > 0.
        quantity: Lots,
        /// What the taker has left to match after this trade.
        taker_remaining: Lots,
        /// What the maker has left on the book after this trade (0: it is filled and gone).
        maker_remaining: Lots,
    },
    /// A held stop was triggered by a trade and enters as a market (stop) or limit
    /// (stop-limit) order with its original time in force. It takes a new sequence number
    /// `seq`, its time priority on the book from now on.
    Triggered {
        /// The order.
        id: OrderId,
        /// Its new sequence number.
        seq: Seq,
    },
    /// A resting order moved to `price` with the new sequence number `seq` (the back of the
    /// queue at that price). Trades it makes as the taker follow.
    Moved {
        /// The order.
        id: OrderId,
        /// Its new limit price.
        price: Ticks,
        /// Its new sequence number.
        seq: Seq,
    },
    /// An open order's remaining quantity was reduced by `by`, keeping its priority.
    Reduced {
        /// The order.
        id: OrderId,
        /// Lots taken off.
        by: Lots,
        /// What is left, > 0.
        remaining: Lots,
    },
    /// What was left of an order (`remaining` lots) was cancelled; the order is done.
    Cancelled {
        /// The order.
        id: OrderId,
        /// The lots cancelled.
        remaining: Lots,
        /// Why.
        reason: CancelReason,
    },
    /// An order was expired ([`Command::Expire`]) with `remaining` lots left; it is done.
    Expired {
        /// The order.
        id: OrderId,
        /// The lots expired.
        remaining: Lots,
    },
}

/// An open order as the service stores it: enough to [`restore`](crate::Book::restore) a
/// book with the same future behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOrder {
    /// The order.
    pub id: OrderId,
    /// Its owner.
    pub owner: OwnerId,
    /// Buy or sell.
    pub side: Side,
    /// As placed, with the limit price as last moved.
    pub kind: OrderKind,
    /// As placed.
    pub tif: TimeInForce,
    /// Lots left, > 0.
    pub remaining: Lots,
    /// Its time priority: the seq of its last [`Event::Accepted`], [`Event::Triggered`] or
    /// [`Event::Moved`]. Held stops are triggered in seq order.
    pub seq: Seq,
    /// For stops: whether it was triggered (a triggered stop-limit rests as a limit order;
    /// an untriggered stop is held off the book). Always `false` for limit orders.
    pub triggered: bool,
}

impl OpenOrder {
    /// Whether the order is on the book (rather than a held stop).
    pub fn is_resting(&self) -> bool {
        !self.kind.is_stop() || self.triggered
    }
}

/// One aggregated price level of [`Book::depth`](crate::Book::depth).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelView {
    /// The level's price.
    pub price: Ticks,
    /// The sum of its orders' remaining lots.
    pub quantity: u128,
    /// How many orders rest there.
    pub orders: usize,
}

/// The best `n` levels on each side, best first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Depth {
    /// Highest price first.
    pub bids: Vec<LevelView>,
    /// Lowest price first.
    pub asks: Vec<LevelView>,
}

/// Everything needed to rebuild a book: its open orders, the next sequence number and the
/// last trade price.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Resting orders and held stops, in any order ([`Book::snapshot`](crate::Book::snapshot)
    /// gives them by seq).
    pub orders: Vec<OpenOrder>,
    /// The seq the next accepted, triggered or moved order will take.
    pub next_seq: Seq,
    /// The price of the last trade, if any.
    pub last_trade_price: Option<Ticks>,
}
