//! The HTTP surface. Handlers parse, authorize, call the store and the captable engine, and
//! answer.

pub mod actions;
pub mod dividends;
pub mod holdings;
pub mod ocf;
pub mod securities;
pub mod shareholders;
pub mod statements;
pub mod transfers;

use captable::money::{MAX_PRICE, MAX_QUANTITY};
use platform::{ApiError, ListParams};
use rust_decimal::Decimal;
use time::Date;
use time::macros::date;

/// No date the TA records (acquisition, record or payment date) is earlier: an earlier one is
/// a typing mistake.
pub const EARLIEST_DATE: Date = date!(1900 - 01 - 01);

/// Refuses a date before [`EARLIEST_DATE`], naming `field`.
pub fn check_not_ancient(field: &str, d: Date) -> Result<(), ApiError> {
    if d < EARLIEST_DATE {
        return Err(ApiError::validation(
            field,
            format!("must not be before {EARLIEST_DATE}"),
        ));
    }
    Ok(())
}

/// Roles that may read (every role of the organization, and the platform's services).
pub const READERS: &[&str] = &["admin", "trader", "compliance", "viewer", "internal"];

platform::roles!(
    /// Registering securities, corporate actions, dividends, ROFR decisions.
    Admin = ["admin"]
);
platform::roles!(
    /// Recording transfers: the issuer's admin, or the ATS settling a trade.
    AdminOrInternal = ["admin", "internal"]
);

/// The position after which a page starts, as the id type of the list.
pub fn cursor_id<T>(
    params: &ListParams,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match params.after()? {
        None => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API")),
    }
}

/// A share quantity: positive, whole, at most 10^15 (captable's limit).
pub fn check_quantity(field: &str, q: Decimal) -> Result<(), ApiError> {
    if q <= Decimal::ZERO {
        return Err(ApiError::validation(field, "must be positive"));
    }
    if !q.fract().is_zero() {
        return Err(ApiError::validation(
            field,
            "must be a whole number of shares (fractions only arise from ratios and are paid in cash)",
        ));
    }
    if q > MAX_QUANTITY {
        return Err(ApiError::validation(
            field,
            "must be at most 1000000000000000",
        ));
    }
    Ok(())
}

/// A price per share: zero or more (a gift, founder stock for services), at most 10^9.
pub fn check_price(field: &str, p: Decimal) -> Result<(), ApiError> {
    if p < Decimal::ZERO {
        return Err(ApiError::validation(field, "must not be negative"));
    }
    if p > MAX_PRICE {
        return Err(ApiError::validation(field, "must be at most 1000000000"));
    }
    Ok(())
}

/// A ratio `new:old` as captable reads it, the error naming `field`.
pub fn parse_ratio(field: &str, s: &str) -> Result<captable::Ratio, ApiError> {
    s.parse::<captable::Ratio>()
        .map_err(|e| ApiError::validation(field, e.to_string()))
}
