//! Cash dividends: entitlements from the registry of record.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::iso_date;
use crate::money::{MAX_PRICE, floor_to, minor_units, sum};
use crate::outcome::Registry;
use crate::refusal::{AmountProblem, Refusal};
use crate::{EntryId, InvestorId, Ledger, SecurityId};

/// A dividend as the board declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DividendDeclaration {
    /// `div_…`.
    pub dividend_id: EntryId,
    /// The security.
    pub security_id: SecurityId,
    /// Cash per share (may have more places than the currency, e.g. 0.0125).
    pub amount_per_share: Decimal,
    /// ISO 4217 code; decides the rounding unit ([`minor_units`]).
    pub currency: String,
    /// Holders at the end of this day are paid.
    #[serde(with = "iso_date")]
    pub record_date: Date,
    /// When the cash goes out.
    #[serde(with = "iso_date")]
    pub payment_date: Date,
}

/// What one holder of record is paid: the payment record to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DividendPayment {
    /// The dividend.
    pub dividend_id: EntryId,
    /// The holder of record.
    pub investor_id: InvestorId,
    /// Shares held at the record date.
    pub quantity: Decimal,
    /// `quantity × amount_per_share`, rounded down to the currency's minor unit.
    pub amount: Decimal,
}

/// The dividend worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DividendReport {
    /// The declaration.
    pub declaration: DividendDeclaration,
    /// Shares outstanding at the record date.
    pub shares_of_record: Decimal,
    /// `shares_of_record × amount_per_share`, unrounded.
    pub total_declared: Decimal,
    /// Sum of the payments.
    pub total_paid: Decimal,
    /// `total_declared − total_paid`: what rounding down kept back (never negative).
    pub rounding_remainder: Decimal,
    /// One per holder of record, by investor id.
    pub payments: Vec<DividendPayment>,
}

/// Works out a dividend from the registry at its record date.
///
/// Each payment is rounded *down* to the minor unit: the paying agent can never pay out more
/// than the board declared, whatever the number of holders, and the remainder is reported
/// rather than silently given to someone.
///
/// # Errors
/// [`Refusal::InvalidAmount`] for a non-positive or huge amount per share,
/// [`Refusal::PaymentBeforeRecord`], [`Refusal::UnknownSecurity`] when the registry is of
/// another security, [`Refusal::StateAfterRecordDate`] when the registry is later than the
/// record date.
pub fn dividend_from_registry(
    declaration: &DividendDeclaration,
    registry: &Registry,
) -> Result<DividendReport, Refusal> {
    let per_share = declaration.amount_per_share;
    if per_share <= Decimal::ZERO || per_share > MAX_PRICE {
        return Err(Refusal::InvalidAmount {
            field: "amount_per_share".to_owned(),
            amount: per_share,
            problem: if per_share <= Decimal::ZERO {
                AmountProblem::OutOfRange
            } else {
                AmountProblem::TooLarge
            },
        });
    }
    if declaration.payment_date < declaration.record_date {
        return Err(Refusal::PaymentBeforeRecord {
            record_date: declaration.record_date,
            payment_date: declaration.payment_date,
        });
    }
    if registry.security_id != declaration.security_id {
        return Err(Refusal::UnknownSecurity {
            security_id: declaration.security_id.clone(),
        });
    }
    if let Some(as_of) = registry.as_of
        && as_of > declaration.record_date
    {
        return Err(Refusal::StateAfterRecordDate {
            last_effective_on: as_of,
            record_date: declaration.record_date,
        });
    }
    let unit = minor_units(&declaration.currency);
    let mut payments = Vec::with_capacity(registry.holders.len());
    for holder in &registry.holders {
        let exact = holder
            .quantity
            .checked_mul(per_share)
            .ok_or_else(|| Refusal::Overflow {
                what: "dividend amount".to_owned(),
            })?;
        payments.push(DividendPayment {
            dividend_id: declaration.dividend_id.clone(),
            investor_id: holder.investor_id.clone(),
            quantity: holder.quantity,
            amount: floor_to(exact, unit),
        });
    }
    let total_declared =
        registry
            .outstanding
            .checked_mul(per_share)
            .ok_or_else(|| Refusal::Overflow {
                what: "dividend total".to_owned(),
            })?;
    let total_paid = sum(payments.iter().map(|p| &p.amount));
    Ok(DividendReport {
        declaration: declaration.clone(),
        shares_of_record: registry.outstanding,
        total_declared,
        total_paid,
        rounding_remainder: total_declared - total_paid,
        payments,
    })
}

impl Ledger {
    /// Works out a dividend from this ledger's holdings, which must be those at the record
    /// date: replay with `as_of = record_date` (or hold a snapshot no later than it).
    ///
    /// # Errors
    /// As [`dividend_from_registry`], plus [`Refusal::UnknownSecurity`] and
    /// [`Refusal::SecurityRetired`].
    pub fn dividend(&self, declaration: &DividendDeclaration) -> Result<DividendReport, Refusal> {
        let state =
            self.security(&declaration.security_id)
                .ok_or_else(|| Refusal::UnknownSecurity {
                    security_id: declaration.security_id.clone(),
                })?;
        if let Some(merged_into) = &state.merged_into {
            return Err(Refusal::SecurityRetired {
                security_id: declaration.security_id.clone(),
                merged_into: merged_into.clone(),
            });
        }
        let registry =
            self.registry(&declaration.security_id)
                .ok_or_else(|| Refusal::UnknownSecurity {
                    security_id: declaration.security_id.clone(),
                })?;
        dividend_from_registry(declaration, &registry)
    }
}
