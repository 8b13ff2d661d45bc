//! The transfer agent's cap-table engine: a pure library, no I/O, that the TA service calls
//! inside its database transactions.
//!
//! # Model
//!
//! - **Journal.** Every change to the register is a [`JournalEntry`] (issuance, transfer,
//!   right-of-first-refusal decision, split, reverse split, merger, conversion, redemption),
//!   appended in date order. Holdings, lots and the registry *as of any date* are derived
//!   from it: [`Ledger::replay`] with `as_of` applies only the entries effective on or before
//!   that date. Entries dated before the latest one are refused ([`Refusal::OutOfOrder`]),
//!   so "as of D" is always a prefix of the journal.
//! - **Ledger.** [`Ledger::apply`] validates an entry completely against the current state,
//!   then changes it; a refused entry changes nothing. The [`Outcome`] lists what changed
//!   (lots created, realised gains, cash in lieu, transfer status, the positions and totals
//!   after the entry) for the service to persist. A ledger can also be rebuilt from a
//!   [`Snapshot`] of current state, possibly partial, to apply one new entry.
//! - **Ids** are opaque strings chosen by the caller. The engine generates none at random:
//!   lots created by an entry are `"{entry_id}/{n}"`, so a replay reproduces them. A
//!   transfer's id is its entry's id; ROFR decisions name it.
//! - **Lots** ([`Lot`]) are per investor and security, oldest first (non-decreasing
//!   `acquired_at`; lots of the same date in creation order). A lot keeps its *total* cost
//!   basis, so splits never lose basis to rounding; exhausted lots are removed.
//! - **Conservation.** Each security keeps [`SecurityTotals`] updated from the quantities
//!   each entry moved: issued − redeemed ± splits + conversions and mergers in − out. The
//!   lots must always add up to it ([`Ledger::check_invariants`]); the property tests also
//!   compare both with a model that knows nothing of lots.
//!
//! # Choices
//!
//! - **Whole shares.** Quantities in entries must be positive whole numbers (at most
//!   [`money::MAX_QUANTITY`]). Fractions only arise from ratios and are paid in cash.
//! - **FIFO.** A transfer takes the seller's oldest lots that it may move on its date:
//!   lots still under their holding period are skipped (and named in the refusal when the
//!   free lots do not suffice), as are the shares reserved by pending ROFR transfers, which
//!   sit on the oldest free lots. Redemptions take the oldest lots regardless of holding
//!   periods (an issuer buy-back is not a resale) but never reserved shares.
//! - **Realised gains** are recorded per lot consumed: proceeds (quantity × price) − basis
//!   (pro rata to the part of the lot taken), acquisition date, disposal date and
//!   [`HoldingTerm`] — long term only when disposed of after the first anniversary.
//! - **Basis allocation** of part of a lot is pro rata, rounded half-even to
//!   [`money::BASIS_DP`] places; the rest of the lot keeps the remainder, so bases always
//!   add up exactly.
//! - **Month arithmetic.** A holding period of N months ends on `acquired + N months`
//!   ([`add_months`]); the lot is free *on* that day. A day missing from the target month
//!   rolls over to the 1st of the next month (Jan 31 + 1 month = Mar 1), so a restriction
//!   never ends early. 364 days after acquisition a 12-month lot is still restricted, 366
//!   days after it is free.
//! - **Holding periods** (see [`SecurityTerms::holding_period`]): Regulation D — 6 months
//!   for reporting issuers (17 CFR 230.144(d)(1)(i)), 12 for the others (230.144(d)(1)(ii));
//!   Regulation Crowdfunding — 12 months (17 CFR 227.501(a)); Regulation A and registered
//!   securities — none. `rule144_holding_months` overrides all but registered securities.
//!   The buyer of a lot tacks the seller's holding period unless the seller is an affiliate
//!   (230.144(d)(1)(ii)); conversions and splits tack (230.144(d)(3)(i)–(ii)); mergers keep
//!   the dates too (the engine assumes the exchange qualifies; counsel decides otherwise).
//! - **Lock-up.** `lockup_until` is the last locked day: no transfer on or before it.
//! - **Right of first refusal.** With `rofr_days = d`, a transfer requested on day R is
//!   checked as if it were recorded on R, then waits as `pending_rofr`; its quantity is
//!   reserved. The window's last day is R + d: the transfer is still pending that day, and a
//!   lapse may be recorded from the day after ([`Refusal::RofrWindowOpen`] before). An
//!   exercise (within the window) is a redemption from the seller at the transfer price;
//!   the buyer gets nothing. A waive or lapse records the transfer as of that day,
//!   re-checking holdings and restrictions; if that fails the transfer is `rejected` and
//!   the reservation released. Corporate actions that would change reserved shares (splits,
//!   mergers, conversions of all holders) are refused until pending transfers are resolved.
//! - **Ratios** are `"new:old"` with positive whole numbers ([`Ratio`]); `0:1`, `1:0`,
//!   negatives and garbage are refused, and a split or reverse split refuses `1:1` and the
//!   wrong direction.
//! - **Fractions and cash in lieu** are computed per holder, not per lot: the holder's lots
//!   are laid end to end oldest first and the ratio applied to the total; each whole new
//!   share belongs to the lot in which it ends (taking that, later, lot's dates), and the
//!   fractional share left at the end — from the newest lot(s) — is paid at the stated
//!   price per post-action share, rounded down to the cent. The basis that goes with the
//!   fraction is the pro-rata basis of the pieces it came from, and the realised gain of
//!   each piece is recorded. The IRS example holds exactly: 100 shares with a $1,000 basis
//!   become 200 shares with a $1,000 basis, $5 each.
//! - **Dividends** ([`Ledger::dividend`]) are paid on the registry at the record date;
//!   each holder's amount is quantity × amount per share rounded *down* to the currency's
//!   minor unit, so the paying agent never pays more than was declared; total declared,
//!   total paid and the remainder are reported.
//! - **Limits.** Quantities, prices, ratio terms and positions are bounded
//!   ([`money::MAX_QUANTITY`], [`money::MAX_PRICE`], [`ratio::MAX_RATIO_TERM`],
//!   [`money::MAX_POSITION`]) so that no `Decimal` operation can overflow; an action that
//!   would exceed them is refused ([`Refusal::Overflow`]).

pub mod dates;
pub mod dividend;
pub mod journal;
pub mod ledger;
pub mod lot;
pub mod money;
pub mod outcome;
pub mod ratio;
pub mod refusal;
pub mod terms;

pub use dates::{HoldingTerm, add_months};
pub use dividend::{DividendDeclaration, DividendPayment, DividendReport, dividend_from_registry};
pub use journal::{Action, ConversionScope, JournalEntry};
pub use ledger::{Ledger, ReplayError, SecurityState, Snapshot, SnapshotError};
pub use lot::{Holding, Lot, Position};
pub use outcome::{
    CashInLieu, CreatedLot, Disposal, DisposalKind, Outcome, PendingTransfer, Registry,
    RegistryHolder, SecurityTotals, TransferResult, TransferStatus, Transferability,
};
pub use ratio::{Ratio, RatioError, SplitKind};
pub use refusal::{AmountProblem, QuantityProblem, Refusal, RefusalKind};
pub use terms::{HoldingPeriod, HoldingRule, Regulation, SecurityTerms};

/// A security id (`ast_…`), chosen by the caller.
pub type SecurityId = String;
/// An investor id (`inv_…`), chosen by the caller.
pub type InvestorId = String;
/// A journal entry id (`trf_…`, `ca_…`), chosen by the caller.
pub type EntryId = String;
/// A lot id, derived from the entry that created the lot.
pub type LotId = String;
