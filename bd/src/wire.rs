//! What several features of the BD share on the wire: the reason a check failed, the BD's own
//! enums (each defined once, used by the store, the rules and the answers), the bound on
//! financial figures, and the bodies that are JSON objects kept as sent.
//!
//! The vocabulary the BD shares with others is not here: ids are `platform::ids`, order types,
//! sides, regulations and event types `vocab`, KYC and sanctions statuses, investor types,
//! accreditation methods and alert rules `compliance`.

use platform::ApiError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

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
                let mut m = Map::new();
                m.insert("value".into(), other);
                m
            }
            None => Map::new(),
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

/// The largest financial figure (income, net worth, ...) the BD accepts: 10^15 USD. Larger
/// than a traded amount (`vocab::bounds`: 10^12 units at 10^9 USD each stay below 10^21, so
/// a trade can be as large, but no investor's yearly income or net worth is): it bounds
/// self-reported figures so that sums and the limits computed from them stay far inside
/// `Decimal`'s 28 digits.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// The message of a body that names an organization.
pub const ORGANIZATION_REFUSED: &str =
    "must not be sent: the organization is the caller's, from the token";

/// A JSON object body kept as sent (the accreditation's evidence is validated field by field
/// by the compliance crate). Anything but an object is refused, naming `body`.
#[derive(Debug, Clone, Default)]
pub struct ObjectBody(pub Map<String, Value>);

impl<'de> Deserialize<'de> for ObjectBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(Self(m)),
            _ => Err(serde::de::Error::custom("must be a JSON object")),
        }
    }
}

/// The body of a request that takes nothing: empty, or a JSON object whose fields are ignored.
#[derive(Debug, Clone, Default)]
pub struct EmptyBody(pub Map<String, Value>);

impl<'de> Deserialize<'de> for EmptyBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(Self(m)),
            _ => Err(serde::de::Error::custom("must be a JSON object or empty")),
        }
    }
}

/// Refuses an object that names an organization: the token decides which one a request acts
/// for.
pub fn refuse_organization_id(body: &Map<String, Value>) -> Result<(), ApiError> {
    if body.contains_key("organization_id") || body.contains_key("org_id") {
        return Err(ApiError::validation(
            "organization_id",
            ORGANIZATION_REFUSED,
        ));
    }
    Ok(())
}

/// Declares one of the BD's own enums with its wire names: serde, the OpenAPI schema, `ALL`,
/// `as_str`, `Display` and `FromStr`. The wire names are the variants' in snake case (serde's
/// and utoipa's `rename_all`; utoipa does not read a per-variant rename made by a macro), and
/// `as_str` spells them out, which the tests check.
macro_rules! bd_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = vocab::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| vocab::UnknownName(s.to_owned()))
            }
        }
    };
}

// The kinds of check kept for audit (`checks.kind`). No doc comment on these types: it would
// become their schema's description, and the API describes them where they are used.
bd_enum!(CheckKind {
    Kyc = "kyc",
    KycUpdate = "kyc_update",
    KycDecision = "kyc_decision",
    Accreditation = "accreditation",
    AccreditationDecision = "accreditation_decision",
    InvestorUpdate = "investor_update",
    PreTrade = "pre_trade",
    Settlement = "settlement",
});

// A surveillance alert's status: `open` → `reviewed` → `closed` (`alerts.status`).
bd_enum!(AlertStatus {
    Open = "open",
    Reviewed = "reviewed",
    Closed = "closed",
});

// A compliance officer's decision on a check in review.
bd_enum!(DecisionName {
    Approve = "approve",
    Reject = "reject",
});

/// `vocab::EventType` as the BD's OpenAPI document shows it: a string holding one of the event
/// types, under the name `EventType` (without vocab's description, which the document never
/// carried). A schema only; the values are vocab's.
pub struct EventTypeSchema;

impl utoipa::PartialSchema for EventTypeSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(vocab::EventType::ALL.iter().map(|t| t.as_str())))
            .into()
    }
}

impl ToSchema for EventTypeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("EventType")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_amount_bound() {
        assert_eq!(MAX_AMOUNT.to_string(), "1000000000000000");
        assert!(MAX_AMOUNT > vocab::bounds::MAX_QUANTITY);
    }

    #[test]
    fn wire_names_round_trip() {
        for k in CheckKind::ALL {
            assert_eq!(
                serde_json::to_string(k).unwrap_or_default(),
                format!("\"{k}\"")
            );
            assert_eq!(k.as_str().parse::<CheckKind>().ok(), Some(*k));
        }
        for s in AlertStatus::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap_or_default(),
                format!("\"{s}\"")
            );
        }
        for d in DecisionName::ALL {
            assert_eq!(
                serde_json::to_string(d).unwrap_or_default(),
                format!("\"{d}\"")
            );
        }
        assert!("approved".parse::<DecisionName>().is_err());
    }
}
