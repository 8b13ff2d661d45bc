//! What applying an entry changed, and the totals that let the conservation of shares be
//! checked without trusting the lots.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::{HoldingTerm, iso_date};
use crate::{EntryId, InvestorId, Lot, LotId, Position, Refusal, SecurityId};

/// Per-security counters, updated by each entry from the quantities it moved (not from the
/// lots), so that `outstanding()` is an independent account of what the lots must add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityTotals {
    /// Shares issued.
    pub issued: Decimal,
    /// Shares bought back and cancelled (redemptions and exercised rights of first refusal).
    pub redeemed: Decimal,
    /// Net whole shares added by splits, removed by reverse splits (after fractions were
    /// paid in cash).
    pub split_adjustment: Decimal,
    /// Whole shares received by conversion into this security.
    pub converted_in: Decimal,
    /// Shares converted out of this security.
    pub converted_out: Decimal,
    /// Whole shares received by merger into this security.
    pub merged_in: Decimal,
    /// Shares merged out of this security.
    pub merged_out: Decimal,
    /// Fractional shares of this security paid in cash instead of issued (for reporting;
    /// already excluded from the adjustments above).
    pub fractions_cashed: Decimal,
}

impl SecurityTotals {
    /// Shares that should be outstanding: issued − redeemed ± splits + conversions in − out
    /// + mergers in − out.
    #[must_use]
    pub fn outstanding(&self) -> Decimal {
        self.issued - self.redeemed + self.split_adjustment + self.converted_in - self.converted_out
            + self.merged_in
            - self.merged_out
    }
}

/// A transfer waiting on the issuer's right of first refusal. Its quantity is reserved in
/// the seller's position: nothing else may take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTransfer {
    /// The transfer entry's id.
    pub transfer_id: EntryId,
    /// The security.
    pub security_id: SecurityId,
    /// The seller.
    pub from_investor_id: InvestorId,
    /// The buyer.
    pub to_investor_id: InvestorId,
    /// Reserved whole shares.
    pub quantity: Decimal,
    /// Price per share.
    pub price_per_share: Decimal,
    /// Whether the seller is an affiliate (decides the buyer's holding period).
    #[serde(default)]
    pub seller_is_affiliate: bool,
    /// The day the transfer was requested.
    #[serde(with = "iso_date")]
    pub requested_on: Date,
    /// The last day of the window: pending through it, lapsed the day after.
    #[serde(with = "iso_date")]
    pub last_day: Date,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Shares moved to the buyer.
    Recorded,
    /// Waiting on the issuer's right of first refusal.
    PendingRofr,
    /// Waived or lapsed, but the re-check at that moment failed; nothing moved.
    Rejected,
    /// The issuer bought the shares; the buyer got nothing. (The API may show this as
    /// `rejected`; it is kept distinct here because the seller did sell.)
    RofrExercised,
}

/// What happened to a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferResult {
    /// The transfer's entry id.
    pub transfer_id: EntryId,
    /// Its status after this entry.
    pub status: TransferStatus,
    /// Last day of the right-of-first-refusal window, while pending.
    #[serde(default, with = "iso_date::option")]
    pub rofr_last_day: Option<Date>,
    /// Why a waived or lapsed transfer could not be recorded.
    #[serde(default)]
    pub rejection: Option<Refusal>,
}

/// Why shares left a holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DisposalKind {
    /// Sold to another investor.
    Transfer {
        /// The transfer.
        transfer_id: EntryId,
        /// The buyer.
        to_investor_id: InvestorId,
    },
    /// Bought back by the issuer.
    Redemption,
    /// Bought by the issuer exercising its right of first refusal.
    RofrExercise {
        /// The transfer it pre-empted.
        transfer_id: EntryId,
    },
    /// A fractional share paid in cash by a split, reverse split, merger or conversion.
    CashInLieu,
}

/// A realised gain on (part of) one lot: one 1099-B line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposal {
    /// The security the shares were in (for cash in lieu: the post-action security).
    pub security_id: SecurityId,
    /// The seller.
    pub investor_id: InvestorId,
    /// The lot the shares came from.
    pub lot_id: LotId,
    /// Box 1b.
    #[serde(with = "iso_date")]
    pub acquired_at: Date,
    /// Box 1c.
    #[serde(with = "iso_date")]
    pub disposed_on: Date,
    /// Shares disposed of (fractional for cash in lieu).
    pub quantity: Decimal,
    /// Box 1d.
    pub proceeds: Decimal,
    /// Box 1e.
    pub cost_basis: Decimal,
    /// `proceeds − cost_basis`.
    pub gain: Decimal,
    /// Box 2.
    pub term: HoldingTerm,
    /// Why.
    #[serde(flatten)]
    pub kind: DisposalKind,
}

/// A lot that did not exist before the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedLot {
    /// The security.
    pub security_id: SecurityId,
    /// The holder.
    pub investor_id: InvestorId,
    /// The lot.
    pub lot: Lot,
    /// The lot it was converted or merged from, if any.
    #[serde(default)]
    pub source_lot_id: Option<LotId>,
}

/// Cash paid to one holder for a fractional share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashInLieu {
    /// The security the fraction is of (post-action).
    pub security_id: SecurityId,
    /// The holder.
    pub investor_id: InvestorId,
    /// The fraction of a share (less than one).
    pub fractional_shares: Decimal,
    /// Price per post-action share.
    pub price_per_share: Decimal,
    /// `fractional_shares × price`, rounded down to the cent.
    pub amount: Decimal,
}

/// Everything an accepted entry changed, for the service to persist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The entry.
    pub entry_id: EntryId,
    /// Its date.
    #[serde(with = "iso_date")]
    pub effective_on: Date,
    /// For transfers and rights of first refusal.
    #[serde(default)]
    pub transfer: Option<TransferResult>,
    /// New lots.
    pub created_lots: Vec<CreatedLot>,
    /// Realised gains, one per lot (or part of a lot) that left a holder.
    pub disposals: Vec<Disposal>,
    /// Cash paid for fractions.
    pub cash_in_lieu: Vec<CashInLieu>,
    /// The state after the entry of every position it touched (empty lots = closed).
    pub positions: Vec<Position>,
    /// The totals after the entry of every security it touched.
    pub totals: BTreeMap<SecurityId, SecurityTotals>,
}

/// One line of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryHolder {
    /// The holder.
    pub investor_id: InvestorId,
    /// Whole shares.
    pub quantity: Decimal,
}

/// The holders of a security.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// The security.
    pub security_id: SecurityId,
    /// Date of the latest entry reflected (None for a ledger with no entry yet).
    #[serde(default, with = "iso_date::option")]
    pub as_of: Option<Date>,
    /// Sum of the holders' quantities.
    pub outstanding: Decimal,
    /// Holders with a positive quantity, by investor id.
    pub holders: Vec<RegistryHolder>,
}

/// How much of a holding may be transferred on a date, and why not the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transferability {
    /// Shares held.
    pub held: Decimal,
    /// Shares in lots still serving their holding period on the date.
    pub restricted: Decimal,
    /// True when a lock-up blocks everything on the date.
    pub locked_up: bool,
    /// Shares reserved by transfers pending a right of first refusal.
    pub reserved_rofr: Decimal,
    /// Shares the caller reserved (open sell orders, …).
    pub reserved_other: Decimal,
    /// What may be transferred: 0 under lock-up, else
    /// `max(0, held − restricted − reserved_rofr − reserved_other)`.
    pub transferable: Decimal,
}
