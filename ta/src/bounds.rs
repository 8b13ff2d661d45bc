//! The bounds the TA checks a request's quantities, prices and dates against (400s naming the
//! field).
//!
//! Prices are the platform's traded bound (`vocab::bounds::MAX_PRICE`, 10^9), which captable
//! also applies; unlike a trade's, a price on the register may be zero (a gift, founder stock
//! issued for services). Quantities are register quantities, whole shares up to captable's
//! `money::MAX_QUANTITY` (10^15), larger than a trade's bound (`vocab::bounds::MAX_QUANTITY`,
//! 10^12): an issuance or the lots a split leaves may exceed any single trade.

use captable::money::MAX_QUANTITY;
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use time::Date;
use time::macros::date;
use vocab::bounds::MAX_PRICE;

/// No date the TA records (acquisition, record or payment date) is earlier: an earlier one is
/// a typing mistake.
pub const EARLIEST_DATE: Date = date!(1900 - 01 - 01);

/// Refuses a date before [`EARLIEST_DATE`], naming `field`.
pub fn check_not_ancient(field: &str, d: Date) -> ApiResult<()> {
    if d < EARLIEST_DATE {
        return Err(ApiError::validation(
            field,
            format!("must not be before {EARLIEST_DATE}"),
        ));
    }
    Ok(())
}

/// A share quantity on the register: positive, whole, at most 10^15.
pub fn check_quantity(field: &str, q: Decimal) -> ApiResult<()> {
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
            format!("must be at most {MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

/// A price per share: zero or more, at most the traded bound.
pub fn check_price(field: &str, p: Decimal) -> ApiResult<()> {
    if p < Decimal::ZERO {
        return Err(ApiError::validation(field, "must not be negative"));
    }
    if p > MAX_PRICE {
        return Err(ApiError::validation(
            field,
            format!("must be at most {MAX_PRICE}"),
        ));
    }
    Ok(())
}

/// A cash amount per share (a dividend): positive, at most the traded price bound.
pub fn amount_problem(v: Decimal) -> Option<String> {
    if v <= Decimal::ZERO {
        Some("must be positive".to_owned())
    } else if v > MAX_PRICE {
        Some(format!("must be at most {MAX_PRICE}"))
    } else {
        None
    }
}

/// A ratio `new:old` as captable reads it, the error naming `field`.
pub fn parse_ratio(field: &str, s: &str) -> ApiResult<captable::Ratio> {
    s.parse::<captable::Ratio>()
        .map_err(|e| ApiError::validation(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_bounds_as_before() {
        let max_q = check_quantity("quantity", MAX_QUANTITY + Decimal::ONE).unwrap_err();
        assert_eq!(
            max_q.details["fields"]["quantity"],
            "must be at most 1000000000000000"
        );
        let max_p = check_price("price", MAX_PRICE + Decimal::ONE).unwrap_err();
        assert_eq!(
            max_p.details["fields"]["price"],
            "must be at most 1000000000"
        );
        assert!(check_price("price", Decimal::ZERO).is_ok());
        assert!(check_quantity("quantity", MAX_QUANTITY).is_ok());
        assert_eq!(
            amount_problem(MAX_PRICE + Decimal::ONE).as_deref(),
            Some("must be at most 1000000000")
        );
    }
}
