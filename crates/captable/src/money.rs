//! Rounding and pro-rata allocation of money and shares.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept when a cost basis (or proceeds) is split pro rata between parts of a
/// lot. Finer than a cent because founder stock is priced at fractions of a cent ($0.0001):
/// rounding the basis of a one-share piece to cents would erase it. Whatever rounding does,
/// the remainder stays with the other part, so the parts always add up to the whole exactly.
pub const BASIS_DP: u32 = 6;

/// The largest quantity accepted in one entry (10^15 shares). Together with [`MAX_PRICE`]
/// it keeps every product well inside `Decimal`'s 28 digits, so arithmetic cannot overflow.
///
/// Larger than a trade's bound (`vocab::bounds::MAX_QUANTITY`, 10^12): a register entry is not
/// a trade. An issuance (a founder's or an employee pool's shares) or the lots a split leaves
/// may exceed any single order, and the register must hold them; what moves between investors
/// through the ATS stays within the traded bound anyway.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The largest price (or dividend) per share accepted (10^9): the traded bound of every
/// service, `vocab::bounds::MAX_PRICE`.
pub const MAX_PRICE: Decimal = vocab::bounds::MAX_PRICE;

/// The largest position any entry may produce (10^18 shares); a split that would exceed it
/// is refused rather than risk overflowing a sum.
pub const MAX_POSITION: Decimal = Decimal::from_parts(0xA764_0000, 0x0DE0_B6B3, 0, false, 0);

/// The largest total cost basis of a position (10^27), for the same reason.
pub const MAX_POSITION_BASIS: Decimal =
    Decimal::from_parts(0xE800_0000, 0x9FD0_803C, 0x033B_2E3C, false, 0);

/// Minor units of the cash paid in lieu of fractional shares (USD cents).
pub const CASH_IN_LIEU_DP: u32 = 2;

/// Sum that saturates instead of panicking; the position limits keep real sums far below.
#[must_use]
pub(crate) fn sum<'a>(values: impl IntoIterator<Item = &'a Decimal>) -> Decimal {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
        .unwrap_or(Decimal::MAX)
}

/// `total × part / whole`, rounded half-even to [`BASIS_DP`] places and kept within
/// `[0, total]`. The whole (`part >= whole`) always receives exactly `total`, which is what
/// makes "allocate a part, keep `total − part` for the rest" conserve money exactly.
#[must_use]
pub(crate) fn allocate(total: Decimal, part: Decimal, whole: Decimal) -> Decimal {
    if part >= whole || whole <= Decimal::ZERO {
        return total;
    }
    if part <= Decimal::ZERO || total.is_zero() {
        return Decimal::ZERO;
    }
    let share = match total.checked_mul(part) {
        Some(product) => product.checked_div(whole),
        // Huge totals: divide first; precision is still ~28 significant digits.
        None => total
            .checked_div(whole)
            .and_then(|unit| unit.checked_mul(part)),
    }
    .unwrap_or(total);
    let rounded = share.round_dp_with_strategy(BASIS_DP, RoundingStrategy::MidpointNearestEven);
    rounded.clamp(Decimal::ZERO, total)
}

/// Rounds a cash amount down to the currency's minor unit.
#[must_use]
pub(crate) fn floor_to(amount: Decimal, minor_units: u32) -> Decimal {
    amount.round_dp_with_strategy(minor_units, RoundingStrategy::ToNegativeInfinity)
}

/// `(a div b, a mod b)` for whole, non-negative `a` and positive whole `b`.
///
/// `Decimal` division rounds to 28 significant digits, so the quotient is floored and then
/// corrected against the exact product; the remainder is exact.
#[must_use]
pub(crate) fn div_rem_whole(a: Decimal, b: Decimal) -> Option<(Decimal, Decimal)> {
    let mut quotient = a.checked_div(b)?.floor();
    let mut remainder = a.checked_sub(quotient.checked_mul(b)?)?;
    while remainder < Decimal::ZERO {
        quotient -= Decimal::ONE;
        remainder = remainder.checked_add(b)?;
    }
    while remainder >= b {
        quotient += Decimal::ONE;
        remainder = remainder.checked_sub(b)?;
    }
    Some((quotient, remainder))
}

/// True for a whole number.
#[must_use]
pub(crate) fn is_whole(quantity: Decimal) -> bool {
    quantity.fract().is_zero()
}

/// Minor units of a currency (ISO 4217): 2 unless the currency is known to use 0 or 3.
#[must_use]
pub fn minor_units(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" | "XAF" | "XOF" | "UGX" | "PYG" => 0,
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn limits_are_what_they_say() {
        assert_eq!(MAX_QUANTITY, d("1000000000000000"));
        assert_eq!(MAX_PRICE, d("1000000000"));
        assert_eq!(MAX_POSITION_BASIS, d("1000000000000000000000000000"));
        assert_eq!(MAX_POSITION, d("1000000000000000000"));
    }

    #[test]
    fn allocation_is_exact_when_it_can_be_and_never_exceeds_the_total() {
        assert_eq!(allocate(d("1000"), d("1"), d("3")), d("333.333333"));
        assert_eq!(allocate(d("1000"), d("3"), d("3")), d("1000"));
        assert_eq!(allocate(d("1012.30"), d("1"), d("100")), d("10.123"));
        assert_eq!(allocate(d("0.0001"), d("1"), d("3")), d("0.000033"));
        assert_eq!(
            allocate(d("0.0151"), d("999999"), d("1000000")),
            d("0.015100")
        );
        assert_eq!(allocate(d("5"), d("0"), d("3")), d("0"));
    }

    #[test]
    fn division_with_remainder_is_exact() {
        assert_eq!(div_rem_whole(d("7"), d("3")), Some((d("2"), d("1"))));
        assert_eq!(div_rem_whole(d("6"), d("3")), Some((d("2"), d("0"))));
        assert_eq!(
            div_rem_whole(d("999999999999999999999"), d("1000000")),
            Some((d("999999999999999"), d("999999")))
        );
    }

    #[test]
    fn cash_rounds_down() {
        assert_eq!(floor_to(d("10.999"), 2), d("10.99"));
        assert_eq!(floor_to(d("10.999"), 0), d("10"));
        assert_eq!(minor_units("usd"), 2);
        assert_eq!(minor_units("JPY"), 0);
    }
}
