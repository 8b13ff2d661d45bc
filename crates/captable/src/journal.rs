//! The append-only journal: every change to the register is one entry.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::iso_date;
use crate::ratio::Ratio;
use crate::{EntryId, InvestorId, SecurityId};

/// One journal entry. Entries are applied in order and their dates never go backwards;
/// several entries may share a date (their order is the journal's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Unique, chosen by the caller: the transfer id for a transfer (`trf_…`), the
    /// corporate action id (`ca_…`) for the others. Lot ids derive from it.
    pub id: EntryId,
    /// The day the change takes effect on the register.
    #[serde(with = "iso_date")]
    pub effective_on: Date,
    /// What changes.
    pub action: Action,
}

/// Which holders a conversion applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "holders", rename_all = "snake_case")]
pub enum ConversionScope {
    /// Every holder of the source security (a mandatory conversion).
    All,
    /// One holder (an optional conversion).
    Holder {
        /// The holder.
        investor_id: InvestorId,
        /// How many source shares; the whole position when absent.
        #[serde(default)]
        quantity: Option<Decimal>,
    },
}

/// A change to the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// New shares from the issuer.
    Issuance {
        /// The security.
        security_id: SecurityId,
        /// The new holder.
        investor_id: InvestorId,
        /// Whole shares.
        quantity: Decimal,
        /// Cost per share, the lot's basis.
        price_per_share: Decimal,
        /// When the investor acquired the shares, if earlier than the entry (loading an
        /// existing cap table); never later.
        #[serde(default, with = "iso_date::option")]
        acquired_at: Option<Date>,
    },
    /// A transfer between investors. With a right of first refusal it waits as
    /// `pending_rofr` until a [`Action::RofrWaive`], [`Action::RofrExercise`] or
    /// [`Action::RofrLapse`] naming this entry's id.
    Transfer {
        /// The security.
        security_id: SecurityId,
        /// The seller.
        from_investor_id: InvestorId,
        /// The buyer.
        to_investor_id: InvestorId,
        /// Whole shares.
        quantity: Decimal,
        /// Proceeds per share for the seller, cost per share for the buyer.
        price_per_share: Decimal,
        /// When the seller is an affiliate of the issuer the buyer's Rule 144 holding period
        /// starts anew (230.144(d)(1)(ii)); otherwise it tacks the seller's.
        #[serde(default)]
        seller_is_affiliate: bool,
    },
    /// The issuer waives its right: the transfer is recorded now, if still possible.
    RofrWaive {
        /// The pending transfer's entry id.
        transfer_id: EntryId,
    },
    /// The issuer buys the shares itself at the transfer price; the buyer gets nothing.
    RofrExercise {
        /// The pending transfer's entry id.
        transfer_id: EntryId,
    },
    /// The window passed without a decision: the transfer is recorded now, if still possible.
    RofrLapse {
        /// The pending transfer's entry id.
        transfer_id: EntryId,
    },
    /// A forward split (`ratio` new > old).
    Split {
        /// The security.
        security_id: SecurityId,
        /// New:old.
        ratio: Ratio,
        /// Cash paid per post-split share for fractions; required only when a holder
        /// would be left with one.
        #[serde(default)]
        cash_in_lieu_price: Option<Decimal>,
    },
    /// A reverse split (`ratio` new < old).
    ReverseSplit {
        /// The security.
        security_id: SecurityId,
        /// New:old.
        ratio: Ratio,
        /// Cash paid per post-split share for fractions; required only when a holder
        /// would be left with one.
        #[serde(default)]
        cash_in_lieu_price: Option<Decimal>,
    },
    /// Every holder of `security_id` receives `ratio` shares of `target_security_id`; the
    /// source security is retired.
    Merger {
        /// The security that disappears.
        security_id: SecurityId,
        /// The security its holders receive.
        target_security_id: SecurityId,
        /// Target shares : source shares.
        ratio: Ratio,
        /// Cash per target share for fractions; required only when a holder would be left
        /// with one.
        #[serde(default)]
        cash_in_lieu_price: Option<Decimal>,
    },
    /// Shares of `security_id` become shares of `target_security_id` (preferred into
    /// common), keeping acquisition dates and basis.
    Conversion {
        /// The security converted.
        security_id: SecurityId,
        /// The security received.
        target_security_id: SecurityId,
        /// Target shares : source shares.
        ratio: Ratio,
        /// Which holders.
        scope: ConversionScope,
        /// Cash per target share for fractions; required only when a holder would be left
        /// with one.
        #[serde(default)]
        cash_in_lieu_price: Option<Decimal>,
    },
    /// The issuer buys back and cancels shares from a holder, oldest lots first.
    Redemption {
        /// The security.
        security_id: SecurityId,
        /// The holder.
        investor_id: InvestorId,
        /// Whole shares.
        quantity: Decimal,
        /// Paid per share.
        price_per_share: Decimal,
    },
}
