//! The state derived from the journal, and the rules that decide whether an entry applies.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

use crate::dates::{HoldingTerm, iso_date};
use crate::journal::{Action, ConversionScope, JournalEntry};
use crate::money::{
    CASH_IN_LIEU_DP, MAX_POSITION, MAX_POSITION_BASIS, MAX_PRICE, MAX_QUANTITY, allocate,
    div_rem_whole, floor_to, is_whole, sum,
};
use crate::outcome::{
    CashInLieu, CreatedLot, Disposal, DisposalKind, Outcome, PendingTransfer, Registry,
    RegistryHolder, SecurityTotals, TransferResult, TransferStatus, Transferability,
};
use crate::ratio::{Ratio, SplitKind};
use crate::refusal::{AmountProblem, QuantityProblem, Refusal};
use crate::terms::{HoldingRule, SecurityTerms};
use crate::{EntryId, Holding, InvestorId, Lot, LotId, Position, SecurityId};

/// A security as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityState {
    /// Its restrictions.
    pub terms: SecurityTerms,
    /// Its running totals.
    pub totals: SecurityTotals,
    /// Set by a merger: the security its holders were moved into. A retired security
    /// accepts no further entry.
    #[serde(default)]
    pub merged_into: Option<SecurityId>,
}

/// The current lots of one or more securities, the transfers pending a right of first
/// refusal, and the date of the latest entry applied.
///
/// Built by replaying a journal ([`Ledger::replay`]) or from a snapshot of current state
/// ([`Ledger::from_snapshot`]); changed only by [`Ledger::apply`], which is atomic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    securities: BTreeMap<SecurityId, SecurityState>,
    /// Security → investor → lots, oldest first. No empty position is kept, so two ledgers
    /// with the same holdings compare equal however they were built.
    positions: BTreeMap<SecurityId, BTreeMap<InvestorId, Vec<Lot>>>,
    pending: BTreeMap<EntryId, PendingTransfer>,
    last_effective_on: Option<Date>,
}

/// Current state, for the service to store and to rebuild a [`Ledger`] from.
///
/// A snapshot may be partial: to apply a transfer, the service may load only the security,
/// the two positions and the pending transfers of the seller. A corporate action needs every
/// position of the securities it touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Securities with their totals.
    pub securities: Vec<SecurityState>,
    /// Non-empty positions.
    pub positions: Vec<Position>,
    /// Transfers pending a right of first refusal.
    pub pending_transfers: Vec<PendingTransfer>,
    /// Date of the latest entry reflected.
    #[serde(default, with = "iso_date::option")]
    pub last_effective_on: Option<Date>,
}

/// A snapshot that cannot be a ledger's state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid snapshot: {0}")]
pub struct SnapshotError(pub String);

/// Why a replay stopped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplayError {
    /// The security terms given are inconsistent.
    #[error("security terms: {0}")]
    Terms(Refusal),
    /// An entry of the journal was refused: the journal is corrupt or the terms are not
    /// the ones it was written under.
    #[error("entry {index} ({entry_id}): {refusal}")]
    Entry {
        /// Position in the journal.
        index: usize,
        /// Its id.
        entry_id: EntryId,
        /// Why (boxed: it is large and replays rarely fail).
        refusal: Box<Refusal>,
    },
}

/// Everything an entry will change, computed before anything is changed.
#[derive(Default)]
struct Changes {
    positions: BTreeMap<(SecurityId, InvestorId), Vec<Lot>>,
    totals: BTreeMap<SecurityId, SecurityTotals>,
    add_pending: Option<PendingTransfer>,
    remove_pending: Option<EntryId>,
    retire: Option<(SecurityId, SecurityId)>,
    transfer: Option<TransferResult>,
    created_lots: Vec<CreatedLot>,
    disposals: Vec<Disposal>,
    cash_in_lieu: Vec<CashInLieu>,
}

/// Lot ids derived from the entry id, so a replay reproduces them.
struct LotIds<'a> {
    entry_id: &'a str,
    next: usize,
}

impl LotIds<'_> {
    fn next(&mut self) -> LotId {
        let id = format!("{}/{}", self.entry_id, self.next);
        self.next += 1;
        id
    }
}

/// What a transfer of one seller's shares takes: the lots left and the pieces that go.
struct Taken {
    remaining: Vec<Lot>,
    pieces: Vec<Lot>,
}

/// The transfer being checked or executed.
struct TransferSpec<'a> {
    transfer_id: &'a str,
    security_id: &'a str,
    from: &'a str,
    to: &'a str,
    quantity: Decimal,
    price: Decimal,
    seller_is_affiliate: bool,
}

/// A holder's lots after a ratio (split, merger, conversion).
struct Reshaped {
    /// Per input lot (by index), the whole shares and basis it keeps; lots left with no
    /// whole share are absent.
    lots: Vec<(usize, Decimal, Decimal)>,
    /// Whole shares before (sum of the input lots).
    before: Decimal,
    /// Whole shares after.
    whole: Decimal,
    /// The fractional share left over, in units of 1/old of a new share.
    fraction_units: Decimal,
    /// Where the fraction comes from: (input lot, units, basis).
    fraction_pieces: Vec<(usize, Decimal, Decimal)>,
}

fn overflow(what: &str) -> Refusal {
    Refusal::Overflow {
        what: what.to_owned(),
    }
}

fn check_id(field: &str, value: &str) -> Result<(), Refusal> {
    if value.trim().is_empty() {
        return Err(Refusal::EmptyId {
            field: field.to_owned(),
        });
    }
    Ok(())
}

fn check_quantity(quantity: Decimal) -> Result<(), Refusal> {
    let problem = if quantity <= Decimal::ZERO {
        QuantityProblem::NotPositive
    } else if !is_whole(quantity) {
        QuantityProblem::NotWhole
    } else if quantity > MAX_QUANTITY {
        QuantityProblem::TooLarge
    } else {
        return Ok(());
    };
    Err(Refusal::InvalidQuantity { quantity, problem })
}

/// Prices may be zero (a gift, founder stock issued for services) but not negative.
fn check_price(field: &str, amount: Decimal) -> Result<(), Refusal> {
    let problem = if amount < Decimal::ZERO {
        AmountProblem::OutOfRange
    } else if amount > MAX_PRICE {
        AmountProblem::TooLarge
    } else {
        return Ok(());
    };
    Err(Refusal::InvalidAmount {
        field: field.to_owned(),
        amount,
        problem,
    })
}

fn check_ratio(ratio: Ratio, kind: Option<SplitKind>) -> Result<(), Refusal> {
    if let Some(kind) = kind {
        ratio
            .check_split(kind)
            .map_err(|problem| Refusal::InvalidRatio {
                ratio: ratio.to_string(),
                problem,
            })?;
    }
    Ok(())
}

fn quantity_of(lots: &[Lot]) -> Decimal {
    sum(lots.iter().map(|lot| &lot.quantity))
}

fn basis_of(lots: &[Lot]) -> Decimal {
    sum(lots.iter().map(|lot| &lot.cost_basis))
}

/// Refuses a position that would exceed the limits that keep sums from overflowing.
fn check_position(lots: &[Lot]) -> Result<(), Refusal> {
    if quantity_of(lots) > MAX_POSITION {
        return Err(overflow("position exceeds 10^18 shares"));
    }
    if basis_of(lots) > MAX_POSITION_BASIS {
        return Err(overflow("position cost basis exceeds 10^27"));
    }
    Ok(())
}

/// Inserts lots keeping FIFO order: by acquisition date, after existing lots of the same
/// date (a stable sort), so the oldest shares are always consumed first.
fn insert_fifo(mut lots: Vec<Lot>, new: impl IntoIterator<Item = Lot>) -> Vec<Lot> {
    lots.extend(new);
    lots.sort_by_key(|lot| lot.acquired_at);
    lots
}

/// Per lot, how many of its shares are reserved by pending transfers. Reservations sit on
/// the oldest lots that are free on `on` (the lots those transfers will take), then, should
/// the free lots not suffice, on the oldest of the others.
fn reservation_mask(
    lots: &[Lot],
    terms: &SecurityTerms,
    on: Date,
    reserved: Decimal,
) -> Vec<Decimal> {
    let mut mask = vec![Decimal::ZERO; lots.len()];
    let mut left = reserved;
    for free_pass in [true, false] {
        for (slot, lot) in mask.iter_mut().zip(lots) {
            if left <= Decimal::ZERO {
                return mask;
            }
            if free_pass && terms.is_restricted(lot, on) {
                continue;
            }
            let take = (lot.quantity - *slot).min(left);
            *slot += take;
            left -= take;
        }
    }
    mask
}

/// Takes `quantity` shares from `lots`, oldest first, taking from each lot at most what
/// `eligible` allows. A partly taken lot keeps its id, its remaining shares and the rest of
/// its basis. `None` when the eligible shares do not suffice.
fn take_fifo(
    lots: &[Lot],
    eligible: impl Fn(usize, &Lot) -> Decimal,
    quantity: Decimal,
) -> Option<Taken> {
    let mut left = quantity;
    let mut remaining = Vec::with_capacity(lots.len());
    let mut pieces = Vec::new();
    for (index, lot) in lots.iter().enumerate() {
        let take = eligible(index, lot).min(left).max(Decimal::ZERO);
        if take.is_zero() {
            remaining.push(lot.clone());
            continue;
        }
        let basis = allocate(lot.cost_basis, take, lot.quantity);
        pieces.push(Lot {
            quantity: take,
            cost_basis: basis,
            ..lot.clone()
        });
        left -= take;
        if take < lot.quantity {
            remaining.push(Lot {
                quantity: lot.quantity - take,
                cost_basis: lot.cost_basis - basis,
                ..lot.clone()
            });
        }
    }
    left.is_zero().then_some(Taken { remaining, pieces })
}

/// Applies a ratio to one holder's lots.
///
/// The lots are laid end to end in FIFO order on a line measured in new shares. Whole new
/// share `k` covers `[k, k+1)` and belongs to the lot in which it *ends*: a share made of the
/// tail of an older lot and the head of a newer one takes the newer lot's dates, so no
/// holding period ever starts earlier than it should. The holder's fractional share is the
/// end of the line — taken from the newest lot(s) — and is paid in cash. Basis follows the
/// shares along the line (pro rata inside each lot), so the lots' bases plus the fraction's
/// basis always equal the bases before, exactly.
fn reshape(lots: &[Lot], ratio: Ratio) -> Result<Reshaped, Refusal> {
    let new = ratio.new_dec();
    let old = ratio.old_dec();
    // Cumulative ends of each lot on the line, in units of 1/old of a new share.
    let mut ends = Vec::with_capacity(lots.len());
    let mut prefix_basis = Vec::with_capacity(lots.len() + 1);
    let mut end = Decimal::ZERO;
    let mut basis = Decimal::ZERO;
    prefix_basis.push(basis);
    for lot in lots {
        let units = lot
            .quantity
            .checked_mul(new)
            .ok_or_else(|| overflow("ratio"))?;
        end = end.checked_add(units).ok_or_else(|| overflow("ratio"))?;
        basis = basis
            .checked_add(lot.cost_basis)
            .ok_or_else(|| overflow("cost basis"))?;
        ends.push(end);
        prefix_basis.push(basis);
    }
    let total_units = end;
    // Basis of the line up to `x` units.
    let basis_at = |x: Decimal| -> Decimal {
        let Some(lot_index) = ends.iter().position(|&e| e >= x) else {
            return basis;
        };
        let start = if lot_index == 0 {
            Decimal::ZERO
        } else {
            ends[lot_index - 1]
        };
        let lot_units = ends[lot_index] - start;
        prefix_basis[lot_index] + allocate(lots[lot_index].cost_basis, x - start, lot_units)
    };
    let whole_before = |x: Decimal| div_rem_whole(x, old).map(|(q, _)| q);
    let (whole, fraction_units) =
        div_rem_whole(total_units, old).ok_or_else(|| overflow("ratio"))?;
    let mut reshaped = Vec::new();
    let mut start = Decimal::ZERO;
    for (index, &lot_end) in ends.iter().enumerate() {
        let lo = whole_before(start).ok_or_else(|| overflow("ratio"))?;
        let hi = whole_before(lot_end).ok_or_else(|| overflow("ratio"))?;
        if hi > lo {
            let lot_basis = basis_at(hi * old) - basis_at(lo * old);
            reshaped.push((index, hi - lo, lot_basis));
        }
        start = lot_end;
    }
    let mut fraction_pieces = Vec::new();
    if fraction_units > Decimal::ZERO {
        let cut = whole * old;
        let mut start = Decimal::ZERO;
        for (index, &lot_end) in ends.iter().enumerate() {
            if lot_end > cut {
                let from = start.max(cut);
                fraction_pieces.push((index, lot_end - from, basis_at(lot_end) - basis_at(from)));
            }
            start = lot_end;
        }
    }
    Ok(Reshaped {
        lots: reshaped,
        before: quantity_of(lots),
        whole,
        fraction_units,
        fraction_pieces,
    })
}

impl Ledger {
    /// An empty ledger over the given securities.
    ///
    /// # Errors
    /// [`Refusal::DuplicateSecurity`] or [`Refusal::EmptyId`].
    pub fn new(terms: impl IntoIterator<Item = SecurityTerms>) -> Result<Self, Refusal> {
        let mut ledger = Self::default();
        for terms in terms {
            ledger.add_security(terms)?;
        }
        Ok(ledger)
    }

    /// Registers a security.
    ///
    /// # Errors
    /// [`Refusal::DuplicateSecurity`] or [`Refusal::EmptyId`].
    pub fn add_security(&mut self, terms: SecurityTerms) -> Result<(), Refusal> {
        check_id("security_id", &terms.id)?;
        if self.securities.contains_key(&terms.id) {
            return Err(Refusal::DuplicateSecurity {
                security_id: terms.id,
            });
        }
        self.securities.insert(
            terms.id.clone(),
            SecurityState {
                terms,
                totals: SecurityTotals::default(),
                merged_into: None,
            },
        );
        Ok(())
    }

    /// Rebuilds the state by applying `entries` in order, keeping only those effective on or
    /// before `as_of` when given: the registry as of that date.
    ///
    /// # Errors
    /// [`ReplayError`] naming the first entry refused.
    pub fn replay<'a>(
        terms: impl IntoIterator<Item = SecurityTerms>,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
        as_of: Option<Date>,
    ) -> Result<Self, ReplayError> {
        let mut ledger = Self::new(terms).map_err(ReplayError::Terms)?;
        for (index, entry) in entries.into_iter().enumerate() {
            if as_of.is_some_and(|as_of| entry.effective_on > as_of) {
                continue;
            }
            ledger.apply(entry).map_err(|refusal| ReplayError::Entry {
                index,
                entry_id: entry.id.clone(),
                refusal: Box::new(refusal),
            })?;
        }
        Ok(ledger)
    }

    /// Applies one entry: validates it completely against the current state, then changes
    /// the state. A refused entry changes nothing.
    ///
    /// # Errors
    /// The [`Refusal`] naming the rule and, where there is one, the lot that blocked it.
    pub fn apply(&mut self, entry: &JournalEntry) -> Result<Outcome, Refusal> {
        check_id("id", &entry.id)?;
        if let Some(last) = self.last_effective_on
            && entry.effective_on < last
        {
            return Err(Refusal::OutOfOrder {
                last_effective_on: last,
                effective_on: entry.effective_on,
            });
        }
        let mut ids = LotIds {
            entry_id: &entry.id,
            next: 0,
        };
        let mut changes = Changes::default();
        self.plan(entry, &mut ids, &mut changes)?;
        Ok(self.commit(entry, changes))
    }

    fn plan(
        &self,
        entry: &JournalEntry,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        let on = entry.effective_on;
        match &entry.action {
            Action::Issuance {
                security_id,
                investor_id,
                quantity,
                price_per_share,
                acquired_at,
            } => self.plan_issuance(
                security_id,
                investor_id,
                *quantity,
                *price_per_share,
                acquired_at.unwrap_or(on),
                on,
                ids,
                changes,
            ),
            Action::Transfer {
                security_id,
                from_investor_id,
                to_investor_id,
                quantity,
                price_per_share,
                seller_is_affiliate,
            } => {
                let spec = TransferSpec {
                    transfer_id: &entry.id,
                    security_id,
                    from: from_investor_id,
                    to: to_investor_id,
                    quantity: *quantity,
                    price: *price_per_share,
                    seller_is_affiliate: *seller_is_affiliate,
                };
                self.plan_transfer_request(&spec, on, ids, changes)
            }
            Action::RofrWaive { transfer_id } | Action::RofrLapse { transfer_id } => {
                let lapse = matches!(entry.action, Action::RofrLapse { .. });
                self.plan_rofr_release(transfer_id, lapse, on, ids, changes)
            }
            Action::RofrExercise { transfer_id } => {
                self.plan_rofr_exercise(transfer_id, on, changes)
            }
            Action::Split {
                security_id,
                ratio,
                cash_in_lieu_price,
            } => self.plan_split(
                security_id,
                *ratio,
                SplitKind::Forward,
                *cash_in_lieu_price,
                on,
                changes,
            ),
            Action::ReverseSplit {
                security_id,
                ratio,
                cash_in_lieu_price,
            } => self.plan_split(
                security_id,
                *ratio,
                SplitKind::Reverse,
                *cash_in_lieu_price,
                on,
                changes,
            ),
            Action::Merger {
                security_id,
                target_security_id,
                ratio,
                cash_in_lieu_price,
            } => self.plan_exchange(
                security_id,
                target_security_id,
                *ratio,
                *cash_in_lieu_price,
                Exchange::Merger,
                on,
                ids,
                changes,
            ),
            Action::Conversion {
                security_id,
                target_security_id,
                ratio,
                scope,
                cash_in_lieu_price,
            } => self.plan_exchange(
                security_id,
                target_security_id,
                *ratio,
                *cash_in_lieu_price,
                Exchange::Conversion(scope),
                on,
                ids,
                changes,
            ),
            Action::Redemption {
                security_id,
                investor_id,
                quantity,
                price_per_share,
            } => {
                check_id("investor_id", investor_id)?;
                check_quantity(*quantity)?;
                check_price("price_per_share", *price_per_share)?;
                self.active_security(security_id)?;
                self.plan_redemption(
                    security_id,
                    investor_id,
                    *quantity,
                    *price_per_share,
                    None,
                    on,
                    changes,
                )
            }
        }
    }

    fn commit(&mut self, entry: &JournalEntry, changes: Changes) -> Outcome {
        let Changes {
            positions,
            totals,
            add_pending,
            remove_pending,
            retire,
            transfer,
            created_lots,
            disposals,
            cash_in_lieu,
        } = changes;
        let mut touched = Vec::with_capacity(positions.len());
        for ((security_id, investor_id), lots) in positions {
            let holders = self.positions.entry(security_id.clone()).or_default();
            if lots.is_empty() {
                holders.remove(&investor_id);
            } else {
                holders.insert(investor_id.clone(), lots.clone());
            }
            if holders.is_empty() {
                self.positions.remove(&security_id);
            }
            touched.push(Position {
                security_id,
                investor_id,
                lots,
            });
        }
        for (security_id, new_totals) in &totals {
            if let Some(state) = self.securities.get_mut(security_id) {
                state.totals = new_totals.clone();
            }
        }
        if let Some(transfer_id) = remove_pending {
            self.pending.remove(&transfer_id);
        }
        if let Some(pending) = add_pending {
            self.pending.insert(pending.transfer_id.clone(), pending);
        }
        if let Some((source, target)) = retire
            && let Some(state) = self.securities.get_mut(&source)
        {
            state.merged_into = Some(target);
        }
        self.last_effective_on = Some(entry.effective_on);
        Outcome {
            entry_id: entry.id.clone(),
            effective_on: entry.effective_on,
            transfer,
            created_lots,
            disposals,
            cash_in_lieu,
            positions: touched,
            totals,
        }
    }

    // ----- rules --------------------------------------------------------------------------

    fn active_security(&self, security_id: &str) -> Result<&SecurityState, Refusal> {
        let state = self
            .securities
            .get(security_id)
            .ok_or_else(|| Refusal::UnknownSecurity {
                security_id: security_id.to_owned(),
            })?;
        if let Some(merged_into) = &state.merged_into {
            return Err(Refusal::SecurityRetired {
                security_id: security_id.to_owned(),
                merged_into: merged_into.clone(),
            });
        }
        Ok(state)
    }

    fn reserved(&self, security_id: &str, investor_id: &str, excluding: Option<&str>) -> Decimal {
        sum(self
            .pending
            .values()
            .filter(|p| {
                p.security_id == security_id
                    && p.from_investor_id == investor_id
                    && Some(p.transfer_id.as_str()) != excluding
            })
            .map(|p| &p.quantity))
    }

    fn pending_on(&self, security_id: &str) -> Vec<EntryId> {
        self.pending
            .values()
            .filter(|p| p.security_id == security_id)
            .map(|p| p.transfer_id.clone())
            .collect()
    }

    fn refuse_if_pending(&self, security_id: &str) -> Result<(), Refusal> {
        let transfer_ids = self.pending_on(security_id);
        if transfer_ids.is_empty() {
            Ok(())
        } else {
            Err(Refusal::PendingRofr {
                security_id: security_id.to_owned(),
                transfer_ids,
            })
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one entry's fields, passed once")]
    fn plan_issuance(
        &self,
        security_id: &str,
        investor_id: &str,
        quantity: Decimal,
        price: Decimal,
        acquired_at: Date,
        on: Date,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        check_id("investor_id", investor_id)?;
        check_quantity(quantity)?;
        check_price("price_per_share", price)?;
        let state = self.active_security(security_id)?;
        if acquired_at > on {
            return Err(Refusal::AcquiredInFuture {
                acquired_at,
                effective_on: on,
            });
        }
        let lot = Lot {
            id: ids.next(),
            acquired_at,
            holding_period_start: acquired_at,
            quantity,
            cost_basis: quantity * price,
        };
        let lots = insert_fifo(self.lots(investor_id, security_id).to_vec(), [lot.clone()]);
        check_position(&lots)?;
        let mut totals = state.totals.clone();
        totals.issued += quantity;
        changes.created_lots.push(CreatedLot {
            security_id: security_id.to_owned(),
            investor_id: investor_id.to_owned(),
            lot,
            source_lot_id: None,
        });
        changes
            .positions
            .insert((security_id.to_owned(), investor_id.to_owned()), lots);
        changes.totals.insert(security_id.to_owned(), totals);
        Ok(())
    }

    /// Checks a transfer at `on` and works out which shares it takes: the lock-up, the
    /// seller's unreserved holdings, then the holding period of each lot it would need.
    fn check_transfer(
        &self,
        spec: &TransferSpec<'_>,
        on: Date,
        excluding: Option<&str>,
    ) -> Result<Taken, Refusal> {
        let state = self.active_security(spec.security_id)?;
        let terms = &state.terms;
        if let Some(until) = terms.lockup_until
            && terms.is_locked_up(on)
        {
            return Err(Refusal::Lockup {
                security_id: spec.security_id.to_owned(),
                until,
            });
        }
        let lots = self.lots(spec.from, spec.security_id);
        let held = quantity_of(lots);
        let reserved = self.reserved(spec.security_id, spec.from, excluding);
        let available = held - reserved;
        if available < spec.quantity {
            return Err(Refusal::InsufficientHoldings {
                security_id: spec.security_id.to_owned(),
                investor_id: spec.from.to_owned(),
                held,
                reserved,
                available,
                requested: spec.quantity,
            });
        }
        let mask = reservation_mask(lots, terms, on, reserved);
        let eligible = |index: usize, lot: &Lot| {
            if terms.is_restricted(lot, on) {
                Decimal::ZERO
            } else {
                lot.quantity - mask[index]
            }
        };
        if let Some(taken) = take_fifo(lots, eligible, spec.quantity) {
            return Ok(taken);
        }
        // Enough shares, not enough free ones: name the oldest restricted lot, which is the
        // first one the transfer would need.
        let blocking = lots
            .iter()
            .zip(&mask)
            .find(|(lot, reserved)| terms.is_restricted(lot, on) && lot.quantity > **reserved)
            .map(|(lot, _)| lot);
        match (blocking, terms.holding_period()) {
            (Some(lot), Some(period)) => {
                let free_on = terms.free_on(lot).unwrap_or(Date::MAX);
                Err(match period.rule {
                    HoldingRule::Rule144 => Refusal::Rule144HoldingPeriod {
                        lot_id: lot.id.clone(),
                        acquired_at: lot.acquired_at,
                        holding_period_start: lot.holding_period_start,
                        free_on,
                    },
                    HoldingRule::RegCf501 => Refusal::RegCfResaleRestriction {
                        lot_id: lot.id.clone(),
                        acquired_at: lot.acquired_at,
                        holding_period_start: lot.holding_period_start,
                        free_on,
                    },
                })
            }
            // Unreachable while the reservations are covered by free lots; refuse rather
            // than move a share the seller may not move.
            _ => Err(Refusal::InsufficientHoldings {
                security_id: spec.security_id.to_owned(),
                investor_id: spec.from.to_owned(),
                held,
                reserved,
                available,
                requested: spec.quantity,
            }),
        }
    }

    /// Moves the shares: realised gains for the seller, one new lot for the buyer.
    fn plan_transfer_execution(
        &self,
        spec: &TransferSpec<'_>,
        on: Date,
        excluding: Option<&str>,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        let taken = self.check_transfer(spec, on, excluding)?;
        let holding_period_start = if spec.seller_is_affiliate {
            on
        } else {
            taken
                .pieces
                .iter()
                .map(|piece| piece.holding_period_start)
                .max()
                .unwrap_or(on)
        };
        let lot = Lot {
            id: ids.next(),
            acquired_at: on,
            holding_period_start,
            quantity: spec.quantity,
            cost_basis: spec.quantity * spec.price,
        };
        let buyer_lots = insert_fifo(self.lots(spec.to, spec.security_id).to_vec(), [lot.clone()]);
        check_position(&buyer_lots)?;
        for piece in &taken.pieces {
            let proceeds = piece.quantity * spec.price;
            changes.disposals.push(Disposal {
                security_id: spec.security_id.to_owned(),
                investor_id: spec.from.to_owned(),
                lot_id: piece.id.clone(),
                acquired_at: piece.acquired_at,
                disposed_on: on,
                quantity: piece.quantity,
                proceeds,
                cost_basis: piece.cost_basis,
                gain: proceeds - piece.cost_basis,
                term: HoldingTerm::of(piece.acquired_at, on),
                kind: DisposalKind::Transfer {
                    transfer_id: spec.transfer_id.to_owned(),
                    to_investor_id: spec.to.to_owned(),
                },
            });
        }
        changes.created_lots.push(CreatedLot {
            security_id: spec.security_id.to_owned(),
            investor_id: spec.to.to_owned(),
            lot,
            source_lot_id: None,
        });
        changes.positions.insert(
            (spec.security_id.to_owned(), spec.from.to_owned()),
            taken.remaining,
        );
        changes.positions.insert(
            (spec.security_id.to_owned(), spec.to.to_owned()),
            buyer_lots,
        );
        Ok(())
    }

    fn plan_transfer_request(
        &self,
        spec: &TransferSpec<'_>,
        on: Date,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        check_id("from_investor_id", spec.from)?;
        check_id("to_investor_id", spec.to)?;
        check_quantity(spec.quantity)?;
        check_price("price_per_share", spec.price)?;
        if spec.from == spec.to {
            return Err(Refusal::SameInvestor {
                investor_id: spec.from.to_owned(),
            });
        }
        let state = self.active_security(spec.security_id)?;
        if self.pending.contains_key(spec.transfer_id) {
            return Err(Refusal::DuplicateTransfer {
                transfer_id: spec.transfer_id.to_owned(),
            });
        }
        let Some(last_day) = state.terms.rofr_last_day(on) else {
            self.plan_transfer_execution(spec, on, None, ids, changes)?;
            changes.transfer = Some(TransferResult {
                transfer_id: spec.transfer_id.to_owned(),
                status: TransferStatus::Recorded,
                rofr_last_day: None,
                rejection: None,
            });
            return Ok(());
        };
        // The issuer must be offered only a transfer that could be recorded today.
        self.check_transfer(spec, on, None)?;
        changes.add_pending = Some(PendingTransfer {
            transfer_id: spec.transfer_id.to_owned(),
            security_id: spec.security_id.to_owned(),
            from_investor_id: spec.from.to_owned(),
            to_investor_id: spec.to.to_owned(),
            quantity: spec.quantity,
            price_per_share: spec.price,
            seller_is_affiliate: spec.seller_is_affiliate,
            requested_on: on,
            last_day,
        });
        changes.transfer = Some(TransferResult {
            transfer_id: spec.transfer_id.to_owned(),
            status: TransferStatus::PendingRofr,
            rofr_last_day: Some(last_day),
            rejection: None,
        });
        Ok(())
    }

    fn pending_transfer_for(&self, transfer_id: &str) -> Result<&PendingTransfer, Refusal> {
        self.pending
            .get(transfer_id)
            .ok_or_else(|| Refusal::TransferNotPending {
                transfer_id: transfer_id.to_owned(),
            })
    }

    /// Waive or lapse: the transfer is recorded now, re-checked against the holdings and
    /// restrictions of today. If the re-check fails the transfer is rejected (the entry
    /// itself is accepted: the issuer's decision stands, the reservation is released).
    fn plan_rofr_release(
        &self,
        transfer_id: &str,
        lapse: bool,
        on: Date,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        let pending = self.pending_transfer_for(transfer_id)?;
        if lapse && on <= pending.last_day {
            return Err(Refusal::RofrWindowOpen {
                transfer_id: transfer_id.to_owned(),
                last_day: pending.last_day,
            });
        }
        let spec = TransferSpec {
            transfer_id,
            security_id: &pending.security_id,
            from: &pending.from_investor_id,
            to: &pending.to_investor_id,
            quantity: pending.quantity,
            price: pending.price_per_share,
            seller_is_affiliate: pending.seller_is_affiliate,
        };
        let mut execution = Changes::default();
        let status =
            match self.plan_transfer_execution(&spec, on, Some(transfer_id), ids, &mut execution) {
                Ok(()) => {
                    *changes = execution;
                    TransferResult {
                        transfer_id: transfer_id.to_owned(),
                        status: TransferStatus::Recorded,
                        rofr_last_day: None,
                        rejection: None,
                    }
                }
                Err(rejection) => TransferResult {
                    transfer_id: transfer_id.to_owned(),
                    status: TransferStatus::Rejected,
                    rofr_last_day: None,
                    rejection: Some(rejection),
                },
            };
        changes.transfer = Some(status);
        changes.remove_pending = Some(transfer_id.to_owned());
        Ok(())
    }

    /// The issuer buys the reserved shares at the transfer price: a redemption from the
    /// seller. The buyer gets nothing.
    fn plan_rofr_exercise(
        &self,
        transfer_id: &str,
        on: Date,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        let pending = self.pending_transfer_for(transfer_id)?;
        if on > pending.last_day {
            return Err(Refusal::RofrWindowClosed {
                transfer_id: transfer_id.to_owned(),
                last_day: pending.last_day,
            });
        }
        self.plan_redemption(
            &pending.security_id,
            &pending.from_investor_id,
            pending.quantity,
            pending.price_per_share,
            Some(transfer_id),
            on,
            changes,
        )?;
        changes.transfer = Some(TransferResult {
            transfer_id: transfer_id.to_owned(),
            status: TransferStatus::RofrExercised,
            rofr_last_day: None,
            rejection: None,
        });
        changes.remove_pending = Some(transfer_id.to_owned());
        Ok(())
    }

    /// The issuer buys back and cancels shares, oldest lots first, leaving alone the shares
    /// reserved by other pending transfers. Restrictions do not apply: a repurchase by the
    /// issuer is not a resale (Rule 144 governs resales; lock-ups bind transfers to third
    /// parties).
    #[expect(clippy::too_many_arguments, reason = "one entry's fields, passed once")]
    fn plan_redemption(
        &self,
        security_id: &str,
        investor_id: &str,
        quantity: Decimal,
        price: Decimal,
        rofr_transfer: Option<&str>,
        on: Date,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        let state = self.active_security(security_id)?;
        let lots = self.lots(investor_id, security_id);
        let held = quantity_of(lots);
        let reserved = self.reserved(security_id, investor_id, rofr_transfer);
        let available = held - reserved;
        let insufficient = || Refusal::InsufficientHoldings {
            security_id: security_id.to_owned(),
            investor_id: investor_id.to_owned(),
            held,
            reserved,
            available,
            requested: quantity,
        };
        if available < quantity {
            return Err(insufficient());
        }
        let mask = reservation_mask(lots, &state.terms, on, reserved);
        let taken = take_fifo(lots, |index, lot| lot.quantity - mask[index], quantity)
            .ok_or_else(insufficient)?;
        for piece in &taken.pieces {
            let proceeds = piece.quantity * price;
            changes.disposals.push(Disposal {
                security_id: security_id.to_owned(),
                investor_id: investor_id.to_owned(),
                lot_id: piece.id.clone(),
                acquired_at: piece.acquired_at,
                disposed_on: on,
                quantity: piece.quantity,
                proceeds,
                cost_basis: piece.cost_basis,
                gain: proceeds - piece.cost_basis,
                term: HoldingTerm::of(piece.acquired_at, on),
                kind: match rofr_transfer {
                    Some(transfer_id) => DisposalKind::RofrExercise {
                        transfer_id: transfer_id.to_owned(),
                    },
                    None => DisposalKind::Redemption,
                },
            });
        }
        let mut totals = state.totals.clone();
        totals.redeemed += quantity;
        changes.totals.insert(security_id.to_owned(), totals);
        changes.positions.insert(
            (security_id.to_owned(), investor_id.to_owned()),
            taken.remaining,
        );
        Ok(())
    }

    /// Records the cash paid for one holder's fractional share and the realised gain of each
    /// piece of lot it came from.
    #[expect(clippy::too_many_arguments, reason = "the parts of one payment")]
    fn pay_fraction(
        reshaped: &Reshaped,
        lots: &[Lot],
        ratio: Ratio,
        price: Option<Decimal>,
        security_id: &str,
        investor_id: &str,
        on: Date,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        if reshaped.fraction_units.is_zero() {
            return Ok(());
        }
        let price = price.ok_or_else(|| Refusal::CashInLieuPriceRequired {
            security_id: security_id.to_owned(),
        })?;
        let old = ratio.old_dec();
        let fraction = reshaped.fraction_units / old;
        // Rounded down: the holder is paid for the fraction it had, never more.
        let amount = floor_to(reshaped.fraction_units * price / old, CASH_IN_LIEU_DP);
        changes.cash_in_lieu.push(CashInLieu {
            security_id: security_id.to_owned(),
            investor_id: investor_id.to_owned(),
            fractional_shares: fraction,
            price_per_share: price,
            amount,
        });
        let mut paid = Decimal::ZERO;
        let last = reshaped.fraction_pieces.len().saturating_sub(1);
        for (n, &(index, units, basis)) in reshaped.fraction_pieces.iter().enumerate() {
            let Some(lot) = lots.get(index) else { continue };
            let proceeds = if n == last {
                amount - paid
            } else {
                allocate(amount, units, reshaped.fraction_units)
            };
            paid += proceeds;
            changes.disposals.push(Disposal {
                security_id: security_id.to_owned(),
                investor_id: investor_id.to_owned(),
                lot_id: lot.id.clone(),
                acquired_at: lot.acquired_at,
                disposed_on: on,
                quantity: units / old,
                proceeds,
                cost_basis: basis,
                gain: proceeds - basis,
                term: HoldingTerm::of(lot.acquired_at, on),
                kind: DisposalKind::CashInLieu,
            });
        }
        Ok(())
    }

    fn check_cash_price(price: Option<Decimal>) -> Result<(), Refusal> {
        match price {
            Some(price) => check_price("cash_in_lieu_price", price),
            None => Ok(()),
        }
    }

    fn plan_split(
        &self,
        security_id: &str,
        ratio: Ratio,
        kind: SplitKind,
        price: Option<Decimal>,
        on: Date,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        check_ratio(ratio, Some(kind))?;
        Self::check_cash_price(price)?;
        let state = self.active_security(security_id)?;
        self.refuse_if_pending(security_id)?;
        let mut totals = state.totals.clone();
        for (investor_id, lots) in self.holders(security_id) {
            let reshaped = reshape(lots, ratio)?;
            let new_lots: Vec<Lot> = reshaped
                .lots
                .iter()
                .filter_map(|&(index, quantity, cost_basis)| {
                    lots.get(index).map(|lot| Lot {
                        quantity,
                        cost_basis,
                        ..lot.clone()
                    })
                })
                .collect();
            check_position(&new_lots)?;
            Self::pay_fraction(
                &reshaped,
                lots,
                ratio,
                price,
                security_id,
                investor_id,
                on,
                changes,
            )?;
            totals.split_adjustment += reshaped.whole - reshaped.before;
            totals.fractions_cashed += reshaped.fraction_units / ratio.old_dec();
            changes
                .positions
                .insert((security_id.to_owned(), investor_id.clone()), new_lots);
        }
        changes.totals.insert(security_id.to_owned(), totals);
        Ok(())
    }

    /// Mergers and conversions: lots move to the target security with their acquisition
    /// dates, holding-period starts and bases (230.144(d)(3)(ii) tacking), under new ids.
    #[expect(clippy::too_many_arguments, reason = "one entry's fields, passed once")]
    fn plan_exchange(
        &self,
        security_id: &str,
        target_id: &str,
        ratio: Ratio,
        price: Option<Decimal>,
        exchange: Exchange<'_>,
        on: Date,
        ids: &mut LotIds<'_>,
        changes: &mut Changes,
    ) -> Result<(), Refusal> {
        check_ratio(ratio, None)?;
        Self::check_cash_price(price)?;
        let source = self.active_security(security_id)?;
        let target = self.active_security(target_id)?;
        if security_id == target_id {
            return Err(Refusal::SameSecurity {
                security_id: security_id.to_owned(),
            });
        }
        // Which shares of which holders move: (holder, pieces of lots, lots left behind).
        let mut moving: Vec<(InvestorId, Vec<Lot>, Vec<Lot>)> = Vec::new();
        match exchange {
            Exchange::Merger | Exchange::Conversion(ConversionScope::All) => {
                self.refuse_if_pending(security_id)?;
                for (investor_id, lots) in self.holders(security_id) {
                    moving.push((investor_id.clone(), lots.clone(), Vec::new()));
                }
            }
            Exchange::Conversion(ConversionScope::Holder {
                investor_id,
                quantity,
            }) => {
                check_id("investor_id", investor_id)?;
                let lots = self.lots(investor_id, security_id);
                let held = quantity_of(lots);
                let reserved = self.reserved(security_id, investor_id, None);
                let requested = match quantity {
                    Some(quantity) => {
                        check_quantity(*quantity)?;
                        *quantity
                    }
                    None if reserved > Decimal::ZERO => {
                        return Err(Refusal::PendingRofr {
                            security_id: security_id.to_owned(),
                            transfer_ids: self
                                .pending
                                .values()
                                .filter(|p| {
                                    p.security_id == security_id
                                        && &p.from_investor_id == investor_id
                                })
                                .map(|p| p.transfer_id.clone())
                                .collect(),
                        });
                    }
                    None => held,
                };
                let available = held - reserved;
                let insufficient = || Refusal::InsufficientHoldings {
                    security_id: security_id.to_owned(),
                    investor_id: investor_id.clone(),
                    held,
                    reserved,
                    available,
                    requested,
                };
                if requested.is_zero() || available < requested {
                    return Err(insufficient());
                }
                let mask = reservation_mask(lots, &source.terms, on, reserved);
                let taken = take_fifo(lots, |index, lot| lot.quantity - mask[index], requested)
                    .ok_or_else(insufficient)?;
                moving.push((investor_id.clone(), taken.pieces, taken.remaining));
            }
        }
        let mut source_totals = source.totals.clone();
        let mut target_totals = target.totals.clone();
        for (investor_id, pieces, left) in moving {
            let reshaped = reshape(&pieces, ratio)?;
            let mut new_lots = Vec::with_capacity(reshaped.lots.len());
            for &(index, quantity, cost_basis) in &reshaped.lots {
                let Some(piece) = pieces.get(index) else {
                    continue;
                };
                let lot = Lot {
                    id: ids.next(),
                    acquired_at: piece.acquired_at,
                    holding_period_start: piece.holding_period_start,
                    quantity,
                    cost_basis,
                };
                changes.created_lots.push(CreatedLot {
                    security_id: target_id.to_owned(),
                    investor_id: investor_id.clone(),
                    lot: lot.clone(),
                    source_lot_id: Some(piece.id.clone()),
                });
                new_lots.push(lot);
            }
            let target_lots = insert_fifo(self.lots(&investor_id, target_id).to_vec(), new_lots);
            check_position(&target_lots)?;
            Self::pay_fraction(
                &reshaped,
                &pieces,
                ratio,
                price,
                target_id,
                &investor_id,
                on,
                changes,
            )?;
            let fraction = reshaped.fraction_units / ratio.old_dec();
            target_totals.fractions_cashed += fraction;
            match exchange {
                Exchange::Merger => {
                    source_totals.merged_out += reshaped.before;
                    target_totals.merged_in += reshaped.whole;
                }
                Exchange::Conversion(_) => {
                    source_totals.converted_out += reshaped.before;
                    target_totals.converted_in += reshaped.whole;
                }
            }
            changes
                .positions
                .insert((security_id.to_owned(), investor_id.clone()), left);
            changes
                .positions
                .insert((target_id.to_owned(), investor_id), target_lots);
        }
        changes.totals.insert(security_id.to_owned(), source_totals);
        changes.totals.insert(target_id.to_owned(), target_totals);
        if matches!(exchange, Exchange::Merger) {
            changes.retire = Some((security_id.to_owned(), target_id.to_owned()));
        }
        Ok(())
    }

    // ----- queries ------------------------------------------------------------------------

    /// A security's terms, totals and merger status.
    #[must_use]
    pub fn security(&self, security_id: &str) -> Option<&SecurityState> {
        self.securities.get(security_id)
    }

    /// All securities, by id.
    pub fn securities(&self) -> impl Iterator<Item = &SecurityState> {
        self.securities.values()
    }

    /// Date of the latest entry applied (or of the snapshot).
    #[must_use]
    pub fn last_effective_on(&self) -> Option<Date> {
        self.last_effective_on
    }

    /// An investor's lots in a security, oldest first (empty when none).
    #[must_use]
    pub fn lots(&self, investor_id: &str, security_id: &str) -> &[Lot] {
        self.positions
            .get(security_id)
            .and_then(|holders| holders.get(investor_id))
            .map_or(&[], Vec::as_slice)
    }

    fn holders(&self, security_id: &str) -> impl Iterator<Item = (&InvestorId, &Vec<Lot>)> {
        self.positions.get(security_id).into_iter().flatten()
    }

    /// An investor's holding of a security, `None` when there is none.
    #[must_use]
    pub fn holding(&self, investor_id: &str, security_id: &str) -> Option<Holding> {
        let lots = self.lots(investor_id, security_id);
        if lots.is_empty() {
            return None;
        }
        Some(Holding {
            investor_id: investor_id.to_owned(),
            security_id: security_id.to_owned(),
            quantity: quantity_of(lots),
            cost_basis: basis_of(lots),
            reserved_rofr: self.reserved(security_id, investor_id, None),
            lots: lots.to_vec(),
        })
    }

    /// All of an investor's holdings, by security id.
    #[must_use]
    pub fn holdings_of(&self, investor_id: &str) -> Vec<Holding> {
        self.positions
            .keys()
            .filter_map(|security_id| self.holding(investor_id, security_id))
            .collect()
    }

    /// Every non-empty position, by security then investor.
    pub fn positions(&self) -> impl Iterator<Item = Position> + '_ {
        self.positions.iter().flat_map(|(security_id, holders)| {
            holders.iter().map(|(investor_id, lots)| Position {
                security_id: security_id.clone(),
                investor_id: investor_id.clone(),
                lots: lots.clone(),
            })
        })
    }

    /// The holders of a security and their quantities, as of the latest entry applied (replay
    /// with `as_of` for an earlier date). `None` for an unknown security.
    #[must_use]
    pub fn registry(&self, security_id: &str) -> Option<Registry> {
        self.securities.get(security_id)?;
        let holders: Vec<RegistryHolder> = self
            .holders(security_id)
            .map(|(investor_id, lots)| RegistryHolder {
                investor_id: investor_id.clone(),
                quantity: quantity_of(lots),
            })
            .collect();
        Some(Registry {
            security_id: security_id.to_owned(),
            as_of: self.last_effective_on,
            outstanding: sum(holders.iter().map(|h| &h.quantity)),
            holders,
        })
    }

    /// Shares outstanding, summed from the lots.
    #[must_use]
    pub fn outstanding(&self, security_id: &str) -> Decimal {
        sum(self
            .holders(security_id)
            .flat_map(|(_, lots)| lots.iter().map(|lot| &lot.quantity)))
    }

    /// A security's running totals.
    #[must_use]
    pub fn totals(&self, security_id: &str) -> Option<&SecurityTotals> {
        self.securities.get(security_id).map(|state| &state.totals)
    }

    /// Transfers pending a right of first refusal, by id.
    pub fn pending_transfers(&self) -> impl Iterator<Item = &PendingTransfer> {
        self.pending.values()
    }

    /// One pending transfer.
    #[must_use]
    pub fn pending_transfer(&self, transfer_id: &str) -> Option<&PendingTransfer> {
        self.pending.get(transfer_id)
    }

    /// Pending transfers whose window has ended by `on` (the caller records a
    /// [`Action::RofrLapse`] for each).
    #[must_use]
    pub fn lapsed_transfers(&self, on: Date) -> Vec<&PendingTransfer> {
        self.pending.values().filter(|p| on > p.last_day).collect()
    }

    /// How much of a holding may be transferred on `on`, less `reserved_other` (shares the
    /// caller has committed elsewhere, such as open sell orders). `None` for an unknown
    /// security.
    #[must_use]
    pub fn transferability(
        &self,
        investor_id: &str,
        security_id: &str,
        on: Date,
        reserved_other: Decimal,
    ) -> Option<Transferability> {
        let state = self.securities.get(security_id)?;
        let lots = self.lots(investor_id, security_id);
        let held = quantity_of(lots);
        let restricted = sum(lots
            .iter()
            .filter(|lot| state.terms.is_restricted(lot, on))
            .map(|lot| &lot.quantity));
        let reserved_rofr = self.reserved(security_id, investor_id, None);
        let reserved_other = reserved_other.max(Decimal::ZERO);
        let locked_up = state.terms.is_locked_up(on);
        let transferable = if locked_up {
            Decimal::ZERO
        } else {
            (held - restricted - reserved_rofr - reserved_other).max(Decimal::ZERO)
        };
        Some(Transferability {
            held,
            restricted,
            locked_up,
            reserved_rofr,
            reserved_other,
            transferable,
        })
    }

    /// Shares transferable on `on`: excludes lots still under their holding period,
    /// everything during a lock-up, shares reserved by pending transfers and
    /// `reserved_other`. Zero for an unknown security.
    #[must_use]
    pub fn transferable_quantity(
        &self,
        investor_id: &str,
        security_id: &str,
        on: Date,
        reserved_other: Decimal,
    ) -> Decimal {
        self.transferability(investor_id, security_id, on, reserved_other)
            .map_or(Decimal::ZERO, |t| t.transferable)
    }

    // ----- snapshots and invariants -------------------------------------------------------

    /// The current state.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            securities: self.securities.values().cloned().collect(),
            positions: self.positions().collect(),
            pending_transfers: self.pending.values().cloned().collect(),
            last_effective_on: self.last_effective_on,
        }
    }

    /// A ledger from stored state, checked for what must hold of any state: known
    /// securities, positive whole lots in FIFO order with unique ids, reservations covered by
    /// the sellers' holdings. The totals are taken as given (a partial snapshot cannot be
    /// checked against them; [`Ledger::check_invariants`] does that for a full one).
    ///
    /// # Errors
    /// [`SnapshotError`] describing the first problem found.
    pub fn from_snapshot(snapshot: Snapshot) -> Result<Self, SnapshotError> {
        let fail = |message: String| Err(SnapshotError(message));
        let mut ledger = Self {
            last_effective_on: snapshot.last_effective_on,
            ..Self::default()
        };
        for state in snapshot.securities {
            if state.terms.id.trim().is_empty() {
                return fail("a security has an empty id".to_owned());
            }
            if ledger.securities.contains_key(&state.terms.id) {
                return fail(format!("security {} appears twice", state.terms.id));
            }
            ledger.securities.insert(state.terms.id.clone(), state);
        }
        let mut lot_ids = BTreeSet::new();
        for position in snapshot.positions {
            let Some(state) = ledger.securities.get(&position.security_id) else {
                return fail(format!("unknown security {}", position.security_id));
            };
            if position.lots.is_empty() {
                continue;
            }
            if state.merged_into.is_some() {
                return fail(format!(
                    "retired security {} has holders",
                    position.security_id
                ));
            }
            if let Err(problem) = check_lots(&position.lots, &mut lot_ids) {
                return fail(format!(
                    "{} in {}: {problem}",
                    position.investor_id, position.security_id
                ));
            }
            let holders = ledger
                .positions
                .entry(position.security_id.clone())
                .or_default();
            if holders
                .insert(position.investor_id.clone(), position.lots)
                .is_some()
            {
                return fail(format!(
                    "position of {} in {} appears twice",
                    position.investor_id, position.security_id
                ));
            }
        }
        for pending in snapshot.pending_transfers {
            if ledger
                .securities
                .get(&pending.security_id)
                .is_none_or(|s| s.merged_into.is_some())
            {
                return fail(format!(
                    "pending transfer {} on an unknown or retired security",
                    pending.transfer_id
                ));
            }
            if check_quantity(pending.quantity).is_err() || pending.price_per_share < Decimal::ZERO
            {
                return fail(format!(
                    "pending transfer {} has an invalid quantity or price",
                    pending.transfer_id
                ));
            }
            let id = pending.transfer_id.clone();
            if ledger.pending.insert(id.clone(), pending).is_some() {
                return fail(format!("pending transfer {id} appears twice"));
            }
        }
        for pending in ledger.pending.values() {
            let held = quantity_of(ledger.lots(&pending.from_investor_id, &pending.security_id));
            let reserved = ledger.reserved(&pending.security_id, &pending.from_investor_id, None);
            if reserved > held {
                return fail(format!(
                    "{} has {held} of {} but {reserved} reserved",
                    pending.from_investor_id, pending.security_id
                ));
            }
        }
        Ok(ledger)
    }

    /// Checks everything that must hold of a full ledger: per security, the lots add up to
    /// the totals' `outstanding()`; every lot is positive, whole, with a non-negative basis,
    /// in FIFO order, with a unique id; retired securities have no holders; reservations are
    /// covered by the sellers' holdings.
    ///
    /// # Errors
    /// A description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut lot_ids = BTreeSet::new();
        for (security_id, state) in &self.securities {
            let outstanding = self.outstanding(security_id);
            if outstanding != state.totals.outstanding() {
                return Err(format!(
                    "{security_id}: lots add up to {outstanding}, totals say {}",
                    state.totals.outstanding()
                ));
            }
            if state.merged_into.is_some() && !outstanding.is_zero() {
                return Err(format!(
                    "{security_id} is retired but has {outstanding} outstanding"
                ));
            }
        }
        for (security_id, holders) in &self.positions {
            if !self.securities.contains_key(security_id) {
                return Err(format!("positions in unknown security {security_id}"));
            }
            for (investor_id, lots) in holders {
                if lots.is_empty() {
                    return Err(format!(
                        "empty position kept for {investor_id} in {security_id}"
                    ));
                }
                check_lots(lots, &mut lot_ids)
                    .map_err(|problem| format!("{investor_id} in {security_id}: {problem}"))?;
            }
        }
        for pending in self.pending.values() {
            let held = quantity_of(self.lots(&pending.from_investor_id, &pending.security_id));
            let reserved = self.reserved(&pending.security_id, &pending.from_investor_id, None);
            if reserved > held {
                return Err(format!(
                    "{} reserved {reserved} of {} but holds {held}",
                    pending.from_investor_id, pending.security_id
                ));
            }
        }
        Ok(())
    }
}

/// Which exchange [`Ledger::plan_exchange`] performs.
#[derive(Clone, Copy)]
enum Exchange<'a> {
    Merger,
    Conversion(&'a ConversionScope),
}

fn check_lots(lots: &[Lot], seen: &mut BTreeSet<LotId>) -> Result<(), String> {
    let mut previous: Option<Date> = None;
    for lot in lots {
        if lot.quantity <= Decimal::ZERO || !is_whole(lot.quantity) {
            return Err(format!("lot {} has quantity {}", lot.id, lot.quantity));
        }
        if lot.cost_basis < Decimal::ZERO {
            return Err(format!("lot {} has basis {}", lot.id, lot.cost_basis));
        }
        if previous.is_some_and(|previous| lot.acquired_at < previous) {
            return Err(format!("lot {} breaks FIFO order", lot.id));
        }
        if !seen.insert(lot.id.clone()) {
            return Err(format!("lot id {} appears twice", lot.id));
        }
        previous = Some(lot.acquired_at);
    }
    Ok(())
}
