//! Conversions between the API's decimal prices and quantities and the engine's integer
//! ticks and lots, for the service's edge. The engine itself never sees a `Decimal`.
//!
//! A price must be a positive whole number of ticks and a quantity a positive whole
//! number of lots; anything off the grid is refused, never rounded. The business limits
//! on what may be traded (`vocab::bounds`: size, price, decimal places) are the service's
//! to check first; these functions only guard the grid and the integer ranges.

use rust_decimal::Decimal;
use thiserror::Error;

use crate::types::{Lots, Ticks};

/// Why a value could not be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum GridError {
    /// The tick or lot size itself is zero or negative.
    #[error("step {step} must be positive")]
    InvalidStep {
        /// The step given.
        step: Decimal,
    },
    /// The value is zero or negative.
    #[error("{value} must be positive")]
    NotPositive {
        /// The value given.
        value: Decimal,
    },
    /// The value is not a whole multiple of the step.
    #[error("{value} is not a multiple of {step}")]
    OffGrid {
        /// The value given.
        value: Decimal,
        /// The tick or lot size.
        step: Decimal,
    },
    /// The value does not fit (in `i64` ticks, `u64` lots, or back in a `Decimal`).
    #[error("{value} is too large")]
    TooLarge {
        /// The value given.
        value: Decimal,
    },
}

fn steps(value: Decimal, step: Decimal) -> Result<Decimal, GridError> {
    if step <= Decimal::ZERO {
        return Err(GridError::InvalidStep { step });
    }
    if value <= Decimal::ZERO {
        return Err(GridError::NotPositive { value });
    }
    let rem = value
        .checked_rem(step)
        .ok_or(GridError::TooLarge { value })?;
    if !rem.is_zero() {
        return Err(GridError::OffGrid { value, step });
    }
    let n = value
        .checked_div(step)
        .ok_or(GridError::TooLarge { value })?;
    if n != n.trunc() {
        // A quotient rounded to fit 28 digits: not exactly representable.
        return Err(GridError::TooLarge { value });
    }
    Ok(n)
}

/// `price` in ticks of `tick`: refuses a non-positive tick or price, a price that is not a
/// whole number of ticks, and more ticks than `i64` holds.
pub fn to_ticks(price: Decimal, tick: Decimal) -> Result<Ticks, GridError> {
    let n = steps(price, tick)?;
    i64::try_from(n).map_err(|_| GridError::TooLarge { value: price })
}

/// `quantity` in lots of `lot`: refuses a non-positive lot or quantity, a quantity that is
/// not a whole number of lots, and more lots than `u64` holds.
pub fn to_lots(quantity: Decimal, lot: Decimal) -> Result<Lots, GridError> {
    let n = steps(quantity, lot)?;
    u64::try_from(n).map_err(|_| GridError::TooLarge { value: quantity })
}

fn times(n: Decimal, step: Decimal) -> Result<Decimal, GridError> {
    if step <= Decimal::ZERO {
        return Err(GridError::InvalidStep { step });
    }
    if n <= Decimal::ZERO {
        return Err(GridError::NotPositive { value: n });
    }
    let value = n
        .checked_mul(step)
        .ok_or(GridError::TooLarge { value: n })?;
    // A product that needed rounding to fit a Decimal would not convert back exactly.
    match steps(value, step) {
        Ok(back) if back == n => Ok(value.normalize()),
        _ => Err(GridError::TooLarge { value: n }),
    }
}

/// The price of `ticks` ticks of `tick`, exactly; refuses non-positive input and a product
/// a `Decimal` cannot hold exactly.
pub fn from_ticks(ticks: Ticks, tick: Decimal) -> Result<Decimal, GridError> {
    times(Decimal::from(ticks), tick)
}

/// The quantity of `lots` lots of `lot`, exactly; refuses non-positive input and a product
/// a `Decimal` cannot hold exactly.
pub fn from_lots(lots: Lots, lot: Decimal) -> Result<Decimal, GridError> {
    times(Decimal::from(lots), lot)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal literal")
    }

    #[test]
    fn prices_on_the_grid_convert_both_ways() {
        assert_eq!(to_ticks(d("12.35"), d("0.05")), Ok(247));
        assert_eq!(to_ticks(d("12.3500"), d("0.05")), Ok(247));
        assert_eq!(from_ticks(247, d("0.05")), Ok(d("12.35")));
        assert_eq!(to_ticks(d("1"), d("1")), Ok(1));
        assert_eq!(to_lots(d("300"), d("100")), Ok(3));
        assert_eq!(from_lots(3, d("100")), Ok(d("300")));
        assert_eq!(to_lots(d("0.003"), d("0.001")), Ok(3));
        assert_eq!(from_lots(3, d("0.001")), Ok(d("0.003")));
    }

    #[test]
    fn off_grid_non_positive_and_bad_steps_are_refused() {
        assert_eq!(
            to_ticks(d("12.34"), d("0.05")),
            Err(GridError::OffGrid {
                value: d("12.34"),
                step: d("0.05")
            })
        );
        assert_eq!(
            to_lots(d("150"), d("100")),
            Err(GridError::OffGrid {
                value: d("150"),
                step: d("100")
            })
        );
        assert_eq!(
            to_ticks(d("0"), d("0.01")),
            Err(GridError::NotPositive { value: d("0") })
        );
        assert_eq!(
            to_lots(d("-1"), d("1")),
            Err(GridError::NotPositive { value: d("-1") })
        );
        assert_eq!(
            to_ticks(d("1"), d("0")),
            Err(GridError::InvalidStep { step: d("0") })
        );
        assert_eq!(
            from_lots(1, d("-0.5")),
            Err(GridError::InvalidStep { step: d("-0.5") })
        );
        assert!(matches!(
            from_ticks(0, d("0.01")),
            Err(GridError::NotPositive { .. })
        ));
        assert!(matches!(
            from_ticks(-5, d("0.01")),
            Err(GridError::NotPositive { .. })
        ));
    }

    #[test]
    fn overflow_is_refused_not_wrapped() {
        // 10^19 ticks: more than i64 holds, fits u64.
        let big = d("10000000000000000000");
        assert!(matches!(
            to_ticks(big, d("1")),
            Err(GridError::TooLarge { .. })
        ));
        assert_eq!(to_lots(big, d("1")), Ok(10_000_000_000_000_000_000));
        // 10^20 lots: more than u64 holds.
        assert!(matches!(
            to_lots(d("100000000000000000000"), d("1")),
            Err(GridError::TooLarge { .. })
        ));
        // The largest Decimal divided by a small step does not fit a Decimal.
        assert!(matches!(
            to_ticks(Decimal::MAX, d("0.1")),
            Err(GridError::TooLarge { .. }) | Err(GridError::OffGrid { .. })
        ));
        // i64::MAX ticks of a large tick overflows a Decimal.
        assert!(matches!(
            from_ticks(i64::MAX, d("1000000000000000000")),
            Err(GridError::TooLarge { .. })
        ));
        assert_eq!(from_ticks(i64::MAX, d("1")), Ok(Decimal::from(i64::MAX)));
        assert_eq!(from_lots(u64::MAX, d("1")), Ok(Decimal::from(u64::MAX)));
    }

    #[test]
    fn round_trips_for_many_values() {
        for tick in ["0.01", "0.05", "0.25", "1", "5", "0.0001"] {
            let tick = d(tick);
            for n in [1i64, 2, 7, 99, 100, 12_345, 1_000_000_007] {
                let price = from_ticks(n, tick).expect("fits");
                assert_eq!(to_ticks(price, tick), Ok(n));
            }
        }
    }
}
