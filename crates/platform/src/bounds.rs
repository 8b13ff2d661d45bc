//! The traded bounds of `vocab::bounds` as 400s naming the field: what every service answers
//! for a quantity or price out of range.

use rust_decimal::Decimal;

use crate::error::ApiError;

/// A traded quantity (`vocab::bounds::quantity`).
pub fn check_quantity(field: &str, v: Decimal) -> Result<(), ApiError> {
    vocab::bounds::quantity(v).map_err(|p| ApiError::validation(field, p.to_string()))
}

/// A price per unit (`vocab::bounds::price`).
pub fn check_price(field: &str, v: Decimal) -> Result<(), ApiError> {
    vocab::bounds::price(v).map_err(|p| ApiError::validation(field, p.to_string()))
}
