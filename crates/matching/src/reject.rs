//! Why the engine refused a command, or a snapshot.

use thiserror::Error;

use crate::types::{OrderId, Seq, Ticks};

/// A refused command. A refused command changes nothing and emits no event.
///
/// Checks run in this order: the command's own fields (quantity, then prices), then the
/// book's state (the id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum Reject {
    /// A placement of zero lots, or a reduction by zero.
    #[error("quantity must be positive")]
    ZeroQuantity,
    /// A limit, stop or move price of zero or less.
    #[error("price {price} must be positive")]
    InvalidPrice {
        /// The first bad price (the stop price before the limit price).
        price: Ticks,
    },
    /// The order type needs a limit price and none was given
    /// ([`OrderKind::from_parts`](crate::OrderKind::from_parts)).
    #[error("a limit price is required")]
    MissingLimitPrice,
    /// The order type needs a stop price and none was given.
    #[error("a stop price is required")]
    MissingStopPrice,
    /// A limit price was given to an order type that takes none.
    #[error("this order type takes no limit price")]
    UnexpectedLimitPrice,
    /// A stop price was given to an order type that takes none.
    #[error("this order type takes no stop price")]
    UnexpectedStopPrice,
    /// An open order already has this id.
    #[error("order {id:?} is already open")]
    DuplicateId {
        /// The id.
        id: OrderId,
    },
    /// No open order has this id (never placed, or already done).
    #[error("no open order {id:?}")]
    UnknownOrder {
        /// The id.
        id: OrderId,
    },
    /// A move of a held stop: only orders on the book can be moved.
    #[error("order {id:?} is a held stop, not on the book")]
    NotOnBook {
        /// The id.
        id: OrderId,
    },
    /// The book holds [`MAX_OPEN_ORDERS`](crate::MAX_OPEN_ORDERS) open orders already.
    #[error("the book is full")]
    BookFull,
}

/// A snapshot that no sequence of commands could have produced, refused by
/// [`Book::restore`](crate::Book::restore).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum RestoreError {
    /// Two orders with the same id.
    #[error("order {id:?} appears twice")]
    DuplicateId {
        /// The id.
        id: OrderId,
    },
    /// Two orders with the same seq.
    #[error("seq {seq} appears twice")]
    DuplicateSeq {
        /// The seq.
        seq: Seq,
    },
    /// An order's seq is not below the book's next seq.
    #[error("order {id:?} has seq {seq}, not below next_seq {next_seq}")]
    SeqNotBeforeNext {
        /// The order.
        id: OrderId,
        /// Its seq.
        seq: Seq,
        /// The snapshot's next seq.
        next_seq: Seq,
    },
    /// An order with nothing left.
    #[error("order {id:?} has no remaining quantity")]
    ZeroQuantity {
        /// The order.
        id: OrderId,
    },
    /// A price of zero or less (an order's, or the last trade price).
    #[error("price {price} must be positive")]
    InvalidPrice {
        /// The price.
        price: Ticks,
    },
    /// An order that can never be open: a market order, a triggered stop (market), a
    /// limit order marked triggered, or a resting order whose time in force is IOC or FOK.
    #[error("order {id:?} cannot be open in this form")]
    CannotBeOpen {
        /// The order.
        id: OrderId,
    },
    /// The best bid is at or above the best ask.
    #[error("the book is crossed: bid {bid} >= ask {ask}")]
    Crossed {
        /// Best bid.
        bid: Ticks,
        /// Best ask.
        ask: Ticks,
    },
    /// A held stop that the last trade price would have triggered.
    #[error("held stop {id:?} should have been triggered by the last trade")]
    StopShouldHaveTriggered {
        /// The order.
        id: OrderId,
    },
    /// More orders than [`MAX_OPEN_ORDERS`](crate::MAX_OPEN_ORDERS).
    #[error("too many orders")]
    TooManyOrders,
}
