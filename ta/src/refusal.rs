//! The engine's refusals as API errors, in one place: the code their kind maps to
//! ([`code_of`], the only translation of captable's [`RefusalKind`] into the API's
//! vocabulary), the message, and the refusal's fields in `details` (`rule`, the lot, the
//! dates...). Validation refusals also name the request field in `details.fields`, like every
//! other 400. A rejected transfer stores the same code in its `reason`, written here
//! ([`rejection_reason`]) and read back here ([`rejection_error`]).

use captable::{Refusal, RefusalKind};
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

/// The API's code for a kind of refusal.
pub fn code_of(kind: RefusalKind) -> ErrorCode {
    match kind {
        RefusalKind::Invalid => ErrorCode::ValidationError,
        RefusalKind::UnknownObject => ErrorCode::NotFound,
        RefusalKind::Conflict => ErrorCode::Conflict,
        RefusalKind::Restricted => ErrorCode::RestrictionViolated,
        RefusalKind::InsufficientHoldings => ErrorCode::InsufficientHoldings,
        RefusalKind::InvalidState => ErrorCode::InvalidState,
    }
}

/// Whether a transfer refused for this reason is kept as a `rejected` transfer (the request
/// was well formed; a rule of the register refused it).
pub fn is_rule_refusal(refusal: &Refusal) -> bool {
    matches!(
        refusal.kind(),
        RefusalKind::Restricted | RefusalKind::InsufficientHoldings
    )
}

pub fn refusal_error(refusal: &Refusal) -> ApiError {
    let code = code_of(refusal.kind());
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
    let code = code_of(refusal.kind()).as_str();
    map.insert("code".into(), Value::String(code.to_owned()));
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

/// The answer of a rejected transfer, from the `reason` it stored ([`rejection_reason`], or
/// an exercised right of first refusal): 422 with the stored code, message and fields.
pub fn rejection_error(reason: Option<&Value>) -> ApiError {
    let stored = reason.and_then(|r| r.get("code")).and_then(Value::as_str);
    let code = if stored == Some(ErrorCode::InsufficientHoldings.as_str()) {
        ErrorCode::InsufficientHoldings
    } else {
        ErrorCode::RestrictionViolated
    };
    let message = reason
        .and_then(|r| r.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("the transfer was rejected")
        .to_owned();
    let mut err = ApiError::new(code, message);
    if let Some(Value::Object(map)) = reason {
        for (k, v) in map {
            if k != "code" && k != "message" {
                err.details.insert(k.clone(), v.clone());
            }
        }
    }
    err
}
