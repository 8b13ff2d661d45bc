//! The ATS's matching engine: a pure, deterministic library — no I/O, no clock, no
//! threads — that the service drives one command at a time.
//!
//! # Model
//!
//! - **One [`Book`] per (organization, asset).** The engine knows neither; the service keeps
//!   one book per pair and serializes the commands to each.
//! - **Integers only.** Prices are [`Ticks`] (`i64`, > 0) of the asset's tick size and
//!   quantities [`Lots`] (`u64`, > 0) of its lot size. The service converts at its edge
//!   with [`grid`] (which refuses off-grid, non-positive and overflowing values); the
//!   matching path never touches a decimal.
//! - **Commands and events.** [`Book::apply`] takes a [`Command`] and either performs it,
//!   appending its [`Event`]s in order to a caller-owned vector, or refuses it with a typed
//!   [`Reject`] and changes nothing. The same book and command always give the same events.
//! - **Sequence numbers.** Each book counts from 1. Every accepted placement
//!   ([`Event::Accepted`]), triggered stop ([`Event::Triggered`]) and move
//!   ([`Event::Moved`]) takes the next number; an order's latest one is its time priority.
//!   Refused commands take none.
//! - **Open orders only.** The engine forgets an order once it is filled, cancelled or
//!   expired; ids must be unique among open orders ([`Reject::DuplicateId`]), and the
//!   service's UUIDv7 ids never repeat anyway.
//!
//! # Rules
//!
//! - **Price-time priority.** An arriving order trades with the best-priced resting order
//!   of the other side, earliest seq first at a price, while prices are acceptable (at or
//!   below a buy limit, at or above a sell limit, any for a market order). Every trade is
//!   at the resting (maker) order's price.
//! - **Time in force.** GTC and DAY limit orders rest with what is left after matching.
//!   IOC orders cancel their remainder ([`CancelReason::ImmediateOrCancel`]). FOK orders
//!   first compute what they could fill — the *other* owners' resting quantity at
//!   acceptable prices — and if that is short, are cancelled
//!   ([`CancelReason::FillOrKill`]) with nothing traded and nothing else changed (no
//!   self-trade cancellations either); otherwise they fill entirely. Market orders never
//!   rest: a GTC or DAY market order's unfilled part is cancelled
//!   ([`CancelReason::NoLiquidity`]); an IOC or FOK market order's takes the reason of its
//!   time in force. DAY orders rest like GTC; the service expires them at the end of the
//!   trading day with [`Command::Expire`].
//! - **Self-trade prevention.** An arriving order never trades with a resting order of the
//!   same owner: the resting one is cancelled ([`CancelReason::SelfTrade`]) when matching
//!   reaches it, and matching goes on.
//! - **Stops.** Stop and stop-limit orders are held off the book until a trade prints at or
//!   through their stop price (buy: trade price >= stop; sell: trade price <= stop). A
//!   stop placed when the last trade price already satisfies it is triggered at once.
//!   After an order (arriving, moved or triggered) has finished matching and has rested or
//!   been cancelled, every held stop that any of its trades satisfied is *elected*; the
//!   elected stops are queued in seq order, and each in turn enters ([`Event::Triggered`],
//!   with a new seq) as a market (stop) or limit (stop-limit) order with its original time
//!   in force. Their trades may elect more stops, queued behind: the cascade runs within
//!   the same command until no stop is left to trigger. Held stops can be cancelled,
//!   reduced and expired, not moved.
//! - **Move** ([`Command::Move`]) takes a resting order off the book and re-enters it at the
//!   new price with a new seq — it always loses time priority, even at the same price —
//!   as the taker: it may cross and trade, and rests with what is left.
//! - **Reduce** ([`Command::Reduce`]) lowers an open order's quantity keeping its
//!   priority; reducing by all that is left (or more) cancels it as
//!   [`CancelReason::Requested`]. Together with Move it is what a replace is made of.
//! - **Never crossed.** After every command the best bid is below the best ask.
//! - **Conservation.** For every order, the quantity placed equals what it traded plus
//!   what rests plus what was cancelled (including reductions) or expired.
//!
//! # Rebuilding
//!
//! [`Book::snapshot`] lists the open orders with their seqs, the next seq and the last
//! trade price; [`Book::restore`] rebuilds a book from that (as the service stores it)
//! with the same priorities, so it answers every later command exactly as the original.
//!
//! # Performance
//!
//! Orders live in a slab (`Vec`) with an intrusive FIFO list per price level; price levels
//! in a slab too, found by price through a hash index per side, and kept in price order in
//! a `BTreeMap` per side (touched only when a level appears or empties) with the best level
//! of each side cached. Open orders are found by id through a `HashMap` with the in-crate
//! [`hash::IdHasher`]. Once the slabs, indices and the caller's event vector have grown,
//! a command allocates only when a `BTreeMap` node splits or merges as levels come and go
//! (about one command in a hundred in the exchange-core mix). A move that does not cross
//! goes straight back to the book. Figures: `benches/exchange_mix.rs`,
//! `examples/callgrind_mix.rs` and docs/benchmarks.md.

mod book;
pub mod grid;
pub mod hash;
mod reject;
mod types;

pub use book::{Book, MAX_OPEN_ORDERS, stop_triggered};
pub use reject::{Reject, RestoreError};
pub use types::{
    CancelReason, Command, Depth, Event, LevelView, Lots, NewOrder, OpenOrder, OrderId, OrderKind,
    OwnerId, Seq, Snapshot, Ticks,
};
pub use vocab::{OrderType, Side, TimeInForce};
