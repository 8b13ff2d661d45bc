//! Why the engine refused an entry.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

use crate::dates::iso_date;
use crate::ratio::RatioError;
use crate::{EntryId, InvestorId, LotId, SecurityId};

/// What is wrong with a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityProblem {
    /// Zero or negative.
    NotPositive,
    /// Has a fractional part: the register holds whole shares only (fractions arise only
    /// from ratios and are paid in cash).
    NotWhole,
    /// Above [`crate::money::MAX_QUANTITY`].
    TooLarge,
}

/// What is wrong with an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountProblem {
    /// Negative (prices), or zero or negative (dividends).
    OutOfRange,
    /// Above [`crate::money::MAX_PRICE`].
    TooLarge,
}

/// A refused entry. Each names the rule that refused it and what it applies to. A refused
/// entry changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Refusal {
    /// A share quantity is zero, negative, fractional or too large.
    #[error("invalid quantity {quantity}: {problem:?}")]
    InvalidQuantity {
        /// As given.
        quantity: Decimal,
        /// Why.
        problem: QuantityProblem,
    },
    /// A price or amount is out of range.
    #[error("invalid {field} {amount}: {problem:?}")]
    InvalidAmount {
        /// Which field.
        field: String,
        /// As given.
        amount: Decimal,
        /// Why.
        problem: AmountProblem,
    },
    /// A ratio cannot be used.
    #[error("invalid ratio {ratio}: {problem}")]
    InvalidRatio {
        /// As given.
        ratio: String,
        /// Why.
        problem: RatioError,
    },
    /// An id is empty.
    #[error("{field} must not be empty")]
    EmptyId {
        /// Which field.
        field: String,
    },
    /// The security is not in the ledger.
    #[error("unknown security {security_id}")]
    UnknownSecurity {
        /// The id given.
        security_id: SecurityId,
    },
    /// The security is already in the ledger.
    #[error("security {security_id} is already registered")]
    DuplicateSecurity {
        /// The id given.
        security_id: SecurityId,
    },
    /// The security was merged into another and no longer exists.
    #[error("security {security_id} was merged into {merged_into}")]
    SecurityRetired {
        /// The merged security.
        security_id: SecurityId,
        /// Where its holders went.
        merged_into: SecurityId,
    },
    /// A transfer to oneself.
    #[error("a transfer needs two different investors ({investor_id} on both sides)")]
    SameInvestor {
        /// The investor.
        investor_id: InvestorId,
    },
    /// A conversion or merger into the same security.
    #[error("{security_id} cannot be converted or merged into itself")]
    SameSecurity {
        /// The security.
        security_id: SecurityId,
    },
    /// An issuance dated after the entry that records it.
    #[error("acquisition date {acquired_at} is after the entry's date {effective_on}")]
    AcquiredInFuture {
        /// As given.
        #[serde(with = "iso_date")]
        acquired_at: Date,
        /// The entry's date.
        #[serde(with = "iso_date")]
        effective_on: Date,
    },
    /// The journal is append-only in date order: an entry may not be dated before the last.
    #[error("entry dated {effective_on} comes after one dated {last_effective_on}")]
    OutOfOrder {
        /// The latest date already in the ledger.
        #[serde(with = "iso_date")]
        last_effective_on: Date,
        /// The entry's date.
        #[serde(with = "iso_date")]
        effective_on: Date,
    },
    /// A lock-up forbids transfers through `until`, inclusive.
    #[error("security {security_id} is locked up through {until}")]
    Lockup {
        /// The security.
        security_id: SecurityId,
        /// Last locked day.
        #[serde(with = "iso_date")]
        until: Date,
    },
    /// The transfer needs a lot still serving its Rule 144(d) holding period.
    #[error(
        "lot {lot_id} (acquired {acquired_at}) is restricted under Rule 144(d) until {free_on}"
    )]
    Rule144HoldingPeriod {
        /// The oldest lot that would have to move and may not.
        lot_id: LotId,
        /// Its acquisition date.
        #[serde(with = "iso_date")]
        acquired_at: Date,
        /// When its holding period started (tacked, see [`crate::Lot`]).
        #[serde(with = "iso_date")]
        holding_period_start: Date,
        /// First day it may be transferred.
        #[serde(with = "iso_date")]
        free_on: Date,
    },
    /// The transfer needs a Regulation Crowdfunding lot still inside its one-year
    /// restriction (17 CFR 227.501(a)).
    #[error(
        "lot {lot_id} (acquired {acquired_at}) may not be transferred under Reg CF 227.501 until {free_on}"
    )]
    RegCfResaleRestriction {
        /// The oldest lot that would have to move and may not.
        lot_id: LotId,
        /// Its acquisition date.
        #[serde(with = "iso_date")]
        acquired_at: Date,
        /// When its restriction started.
        #[serde(with = "iso_date")]
        holding_period_start: Date,
        /// First day it may be transferred.
        #[serde(with = "iso_date")]
        free_on: Date,
    },
    /// The holder has fewer unreserved shares than requested.
    #[error(
        "{investor_id} has {available} of {security_id} available ({held} held, {reserved} reserved), {requested} requested"
    )]
    InsufficientHoldings {
        /// The security.
        security_id: SecurityId,
        /// The holder.
        investor_id: InvestorId,
        /// Shares held.
        held: Decimal,
        /// Shares committed to pending transfers.
        reserved: Decimal,
        /// `held − reserved`.
        available: Decimal,
        /// Asked for.
        requested: Decimal,
    },
    /// A transfer with this id is already pending.
    #[error("transfer {transfer_id} is already pending")]
    DuplicateTransfer {
        /// The id.
        transfer_id: EntryId,
    },
    /// No pending transfer has this id (never requested, or already resolved).
    #[error("transfer {transfer_id} is not pending")]
    TransferNotPending {
        /// The id.
        transfer_id: EntryId,
    },
    /// A lapse recorded while the window is still open.
    #[error("the right of first refusal on {transfer_id} is open through {last_day}")]
    RofrWindowOpen {
        /// The transfer.
        transfer_id: EntryId,
        /// Last day of the window.
        #[serde(with = "iso_date")]
        last_day: Date,
    },
    /// An exercise after the window closed.
    #[error("the right of first refusal on {transfer_id} closed after {last_day}")]
    RofrWindowClosed {
        /// The transfer.
        transfer_id: EntryId,
        /// Last day of the window.
        #[serde(with = "iso_date")]
        last_day: Date,
    },
    /// A corporate action would change shares reserved by pending transfers: resolve them
    /// first.
    #[error("security {security_id} has transfers pending a right of first refusal")]
    PendingRofr {
        /// The security.
        security_id: SecurityId,
        /// The pending transfers.
        transfer_ids: Vec<EntryId>,
    },
    /// A ratio leaves fractions and no price was given to pay them in cash.
    #[error("the action leaves fractional shares of {security_id}: give a cash-in-lieu price")]
    CashInLieuPriceRequired {
        /// The security whose fractions would be paid.
        security_id: SecurityId,
    },
    /// A dividend's payment date precedes its record date.
    #[error("payment date {payment_date} is before record date {record_date}")]
    PaymentBeforeRecord {
        /// As given.
        #[serde(with = "iso_date")]
        record_date: Date,
        /// As given.
        #[serde(with = "iso_date")]
        payment_date: Date,
    },
    /// The ledger holds entries after the record date, so its holdings are not the
    /// registry of record: replay it as of the record date first.
    #[error(
        "the ledger includes entries up to {last_effective_on}, after the record date {record_date}"
    )]
    StateAfterRecordDate {
        /// Latest entry date in the ledger.
        #[serde(with = "iso_date")]
        last_effective_on: Date,
        /// The dividend's record date.
        #[serde(with = "iso_date")]
        record_date: Date,
    },
    /// A corporate action would give a holder more than [`crate::money::MAX_POSITION`]
    /// shares, or an amount would not fit.
    #[error("arithmetic limit exceeded: {what}")]
    Overflow {
        /// What overflowed.
        what: String,
    },
}

/// What kind of refusal an entry met, for the service to answer with: the engine knows no
/// HTTP, the service maps each kind to its API's code once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// The entry itself is malformed (a quantity, amount, ratio, id or date).
    Invalid,
    /// The entry names something the ledger does not hold.
    UnknownObject,
    /// The entry would create something that already exists.
    Conflict,
    /// A restriction of the register forbids it (holding period, lock-up).
    Restricted,
    /// The holder has fewer unreserved shares than it needs.
    InsufficientHoldings,
    /// The ledger's state does not allow it now (retired security, order of dates, a right
    /// of first refusal in the way, a transfer no longer pending).
    InvalidState,
}

impl Refusal {
    /// The kind of refusal, which decides how the service answers it.
    #[must_use]
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::InvalidQuantity { .. }
            | Self::InvalidAmount { .. }
            | Self::InvalidRatio { .. }
            | Self::EmptyId { .. }
            | Self::SameInvestor { .. }
            | Self::SameSecurity { .. }
            | Self::AcquiredInFuture { .. }
            | Self::CashInLieuPriceRequired { .. }
            | Self::PaymentBeforeRecord { .. }
            | Self::Overflow { .. } => RefusalKind::Invalid,
            Self::UnknownSecurity { .. } => RefusalKind::UnknownObject,
            Self::DuplicateSecurity { .. } | Self::DuplicateTransfer { .. } => {
                RefusalKind::Conflict
            }
            Self::SecurityRetired { .. }
            | Self::OutOfOrder { .. }
            | Self::TransferNotPending { .. }
            | Self::RofrWindowOpen { .. }
            | Self::RofrWindowClosed { .. }
            | Self::PendingRofr { .. }
            | Self::StateAfterRecordDate { .. } => RefusalKind::InvalidState,
            Self::Lockup { .. }
            | Self::Rule144HoldingPeriod { .. }
            | Self::RegCfResaleRestriction { .. } => RefusalKind::Restricted,
            Self::InsufficientHoldings { .. } => RefusalKind::InsufficientHoldings,
        }
    }
}
