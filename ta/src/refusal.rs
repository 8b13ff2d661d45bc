//! The engine's refusals as API errors: the code captable assigns (`Refusal::api_code`), its
//! message, and its fields in `details` (`rule`, the lot, the dates...). Validation refusals
//! also name the request field in `details.fields`, like every other 400.

use captable::Refusal;
use platform::{ApiError, ErrorCode};
use serde_json::{Map, Value, json};

/// The request field a validation refusal is about.
fn field_of(refusal: &Refusal) -> Option<String> {
    Some(match refusal {
        Refusal::InvalidQuantity { .. } => "quantity".to_owned(),
        Refusal::InvalidAmount { field, .. } | Refusal::EmptyId { field } => field.clone(),
        Refusal::InvalidRatio { .. } => "ratio".to_owned(),
        Refusal::SameInvestor { .. } => "to_investor_id".to_owned(),
        Refusal::SameSecurity { .. } => "target_asset_id".to_owned(),
        Refusal::AcquiredInFuture { .. } => "acquired_at".to_owned(),
        Refusal::CashInLieuPriceRequired { .. } => "cash_in_lieu_price".to_owned(),
        Refusal::PaymentBeforeRecord { .. } => "payment_date".to_owned(),
        Refusal::Overflow { .. } => "body".to_owned(),
        _ => return None,
    })
}

/// The refusal's fields, with the engine's `security_id` spelled as the API's `asset_id`.
pub fn refusal_details(refusal: &Refusal) -> Map<String, Value> {
    let mut map = match serde_json::to_value(refusal) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (engine, api) in [
        ("security_id", "asset_id"),
        ("merged_into", "merged_into_asset_id"),
    ] {
        if let Some(v) = map.remove(engine) {
            map.insert(api.to_owned(), v);
        }
    }
    map
}

fn code_of(refusal: &Refusal) -> ErrorCode {
    match refusal.api_code() {
        "VALIDATION_ERROR" => ErrorCode::ValidationError,
        "NOT_FOUND" => ErrorCode::NotFound,
        "CONFLICT" => ErrorCode::Conflict,
        "RESTRICTION_VIOLATED" => ErrorCode::RestrictionViolated,
        "INSUFFICIENT_HOLDINGS" => ErrorCode::InsufficientHoldings,
        _ => ErrorCode::InvalidState,
    }
}

/// Whether a transfer refused for this reason is kept as a `rejected` transfer (the request
/// was well formed; a rule of the register refused it).
pub fn is_rule_refusal(refusal: &Refusal) -> bool {
    matches!(
        code_of(refusal),
        ErrorCode::RestrictionViolated | ErrorCode::InsufficientHoldings
    )
}

pub fn refusal_error(refusal: &Refusal) -> ApiError {
    let code = code_of(refusal);
    let message = refusal.to_string();
    let mut err = ApiError::new(code, message.clone());
    err.details = refusal_details(refusal);
    if code == ErrorCode::ValidationError
        && let Some(field) = field_of(refusal)
    {
        err = err.with_detail("fields", json!({ field: message }));
    }
    err
}

/// What a rejected transfer stores and shows as its `reason`.
pub fn rejection_reason(refusal: &Refusal) -> Value {
    let mut map = refusal_details(refusal);
    map.insert("code".into(), Value::String(refusal.api_code().to_owned()));
    map.insert("message".into(), Value::String(refusal.to_string()));
    Value::Object(map)
}

/// The reason shown for a transfer pre-empted by the issuer.
pub fn rofr_exercised_reason() -> Value {
    json!({
        "code": "ROFR_EXERCISED",
        "rule": "rofr_exercised",
        "message": "the issuer exercised its right of first refusal and bought the shares at the transfer price; the buyer received nothing",
    })
}
