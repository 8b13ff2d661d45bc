//! Tax lots and positions.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::iso_date;
use crate::{InvestorId, LotId, SecurityId};

/// Shares one investor acquired together, kept in FIFO order inside a position.
///
/// The lot stores its *total* cost basis, not a per-share cost: a 3:1 split turns $10.00 a
/// share into $3.333…, which no decimal can hold, while the total is untouched. The per-share
/// cost is derived ([`Lot::cost_per_share`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Derived from the journal entry that created it (`"{entry_id}/{n}"`), so a replay
    /// produces the same ids.
    pub id: LotId,
    /// Acquisition date for tax purposes (holding term, 1099-B box 1b). Kept through splits,
    /// conversions and mergers.
    #[serde(with = "iso_date")]
    pub acquired_at: Date,
    /// The day the Rule 144(d) holding period runs from. Equal to `acquired_at` for shares
    /// bought from the issuer; a buyer from a non-affiliate tacks the seller's date
    /// (230.144(d)(1)(ii): the period runs from the acquisition "from the issuer, or from an
    /// affiliate of the issuer"), as do conversions (230.144(d)(3)(ii)) and splits
    /// (230.144(d)(3)(i)).
    #[serde(with = "iso_date")]
    pub holding_period_start: Date,
    /// Whole shares, always positive: exhausted lots are removed.
    pub quantity: Decimal,
    /// Total cost basis of the lot.
    pub cost_basis: Decimal,
}

impl Lot {
    /// Cost basis per share (full precision; round for display only).
    #[must_use]
    pub fn cost_per_share(&self) -> Decimal {
        if self.quantity.is_zero() {
            return Decimal::ZERO;
        }
        self.cost_basis
            .checked_div(self.quantity)
            .unwrap_or(Decimal::ZERO)
            .normalize()
    }
}

/// One investor's lots in one security. An empty `lots` means the position is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The security.
    pub security_id: SecurityId,
    /// The holder.
    pub investor_id: InvestorId,
    /// Oldest first.
    pub lots: Vec<Lot>,
}

/// A holding as the TA's holdings endpoint shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// The holder.
    pub investor_id: InvestorId,
    /// The security.
    pub security_id: SecurityId,
    /// Whole shares held.
    pub quantity: Decimal,
    /// Total cost basis of all lots.
    pub cost_basis: Decimal,
    /// Shares committed to transfers waiting on the issuer's right of first refusal.
    pub reserved_rofr: Decimal,
    /// Oldest first.
    pub lots: Vec<Lot>,
}
