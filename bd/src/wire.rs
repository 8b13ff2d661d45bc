//! Types shared by several endpoints: enums as the API names them, the reason a check failed,
//! and small parsing helpers.

use platform::ApiError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

pub use vocab::{Regulation, Side};

/// Why a check did not pass: a stable `code`, a message for people, the `rule` that failed
/// (when a regulation names it) and structured `details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckReason {
    /// Stable snake_case code, e.g. `kyc_missing`, `sanctions_hit`,
    /// `investment_limit_exceeded`, `investor_not_found`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
}

impl CheckReason {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            rule: None,
            details: None,
        }
    }

    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    #[must_use]
    pub fn with_rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_owned());
        self
    }

    /// Adds `key: value` to the details object.
    #[must_use]
    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        let mut map = match self.details.take() {
            Some(Value::Object(m)) => m,
            Some(other) => {
                let mut m = serde_json::Map::new();
                m.insert("value".into(), other);
                m
            }
            None => serde_json::Map::new(),
        };
        map.insert(key.to_owned(), value);
        self.details = Some(Value::Object(map));
        self
    }
}

impl From<compliance::Reason> for CheckReason {
    fn from(r: compliance::Reason) -> Self {
        Self {
            code: r.code.as_str().to_owned(),
            message: r.message,
            rule: r.rule,
            details: r.details,
        }
    }
}

pub fn reasons_json(reasons: &[CheckReason]) -> Value {
    serde_json::to_value(reasons).unwrap_or(Value::Array(Vec::new()))
}

pub fn reasons_from_json(v: Value) -> Vec<CheckReason> {
    serde_json::from_value(v).unwrap_or_default()
}

/// `limit` and `cursor`, declared field by field: serde's `flatten` cannot read numbers from a
/// query string.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Paging {
    pub fn params(&self) -> platform::ListParams {
        platform::ListParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }

    /// The limit, validated.
    pub fn limit(&self) -> Result<i64, ApiError> {
        self.params().limit()
    }

    /// The id the page starts after, if any; a cursor that is not one of ours is a 400.
    pub fn after<T>(&self, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ApiError> {
        match self.params().after()? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| ApiError::validation("cursor", "not a cursor returned by this API")),
        }
    }
}

/// The largest quantity the BD accepts (units of a security): a trillion.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
/// The largest price per unit the BD accepts (USD): a billion. With `MAX_QUANTITY` an amount
/// stays below 10^21, so sums over years of trades stay far inside `Decimal`'s range.
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The largest financial figure (income, net worth, ...) the BD accepts: 10^15 USD.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

fn bounded(field: &str, v: Decimal, max: Decimal) -> Result<(), ApiError> {
    if v <= Decimal::ZERO {
        return Err(ApiError::validation(field, "must be greater than zero"));
    }
    if v > max {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max}"),
        ));
    }
    Ok(())
}

/// A quantity: positive, at most `MAX_QUANTITY`.
pub fn check_quantity(field: &str, v: Decimal) -> Result<(), ApiError> {
    bounded(field, v, MAX_QUANTITY)
}

/// A price per unit: positive, at most `MAX_PRICE`.
pub fn check_price(field: &str, v: Decimal) -> Result<(), ApiError> {
    bounded(field, v, MAX_PRICE)
}

/// Refuses a body that names an organization: the token decides which one a request acts for.
pub fn refuse_organization_id(body: &Value) -> Result<(), ApiError> {
    if body.get("organization_id").is_some() || body.get("org_id").is_some() {
        return Err(ApiError::validation(
            "organization_id",
            "must not be sent: the organization is the caller's, from the token",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(MAX_QUANTITY.to_string(), "1000000000000");
        assert_eq!(MAX_PRICE.to_string(), "1000000000");
        assert_eq!(MAX_AMOUNT.to_string(), "1000000000000000");
        assert!(check_quantity("q", MAX_QUANTITY).is_ok());
        assert!(check_quantity("q", MAX_QUANTITY + Decimal::new(1, 6)).is_err());
        assert!(check_price("p", Decimal::ZERO).is_err());
        // The largest amount, summed a million times, still fits.
        let amount = MAX_QUANTITY * MAX_PRICE;
        assert!(amount.checked_mul(Decimal::from(1_000_000)).is_some());
    }
}
