//! Types shared by every module: investor type, side, regulation, the
//! reason a check failed, and the serde helpers that keep dates, instants
//! and amounts in the platform's wire format.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Builds a `Decimal` in a `const` context (`units × 10^-scale`), so the
/// regulatory thresholds can be named constants.
pub(crate) const fn dec(units: u32, scale: u32) -> Decimal {
    Decimal::from_parts(units, 0, 0, false, scale)
}

/// Gives a fieldless enum, whose serde names are its wire names, the same names as text: `ALL`
/// (in the order the API lists them), `as_str`, `Display` and `FromStr`. A name is written once
/// here; the tests check that serde agrees.
macro_rules! wire_names {
    ($ty:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order the API lists them.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $wire),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
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
pub(crate) use wire_names;

/// With the `openapi` feature, the OpenAPI schema of a wire enum (one with `ALL` and `as_str`):
/// a string holding one of the wire names, under the schema name the services' documents use.
/// Written by hand, not derived: a derived schema would carry the type's Rust documentation as
/// its description, and the services describe these values where they use them. It is
/// utoipa's `ComposeSchema` (what its derive implements, and what `PartialSchema` and an inline
/// `Option<T>` parameter are built from), which utoipa 6 keeps in its hidden `__dev` module.
macro_rules! string_schema {
    ($ty:ident as $name:literal) => {
        #[cfg(feature = "openapi")]
        impl utoipa::__dev::ComposeSchema for $ty {
            fn compose(
                _generics: Vec<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
            ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($ty::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}
pub(crate) use string_schema;

/// Whether the investor is a natural person or not. Several rules only
/// apply to one of the two (SEC Rule 501(a) lists them separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestorType {
    /// A natural person.
    Individual,
    /// Anything that is not a natural person: company, trust, partnership, plan.
    Entity,
}

wire_names!(InvestorType {
    Individual = "individual",
    Entity = "entity",
});
// The BD's API has always called the investor's `type` schema `InvestorKind`.
string_schema!(InvestorType as "InvestorKind");

pub use vocab::{Regulation, Side};

/// The stable code of a [`Reason`]. Callers match on these, so a code is
/// never renamed; new ones are only added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    // --- accreditation ---
    /// The method cannot accredit this kind of investor (e.g. `income` for an entity).
    MethodNotApplicable,
    /// Income not above the 501(a)(6) threshold in each of the two years.
    IncomeBelowThreshold,
    /// The investor says they do not expect the same income this year (501(a)(6)).
    IncomeExpectationNotMet,
    /// Income passes but fell towards the threshold: a person should judge the
    /// "reasonable expectation" of 501(a)(6).
    IncomeDeclining,
    /// Net worth not above the 501(a)(5) threshold.
    NetWorthBelowThreshold,
    /// CRD number is not a plausible FINRA CRD number.
    CrdNumberInvalid,
    /// The licence is known not to be in good standing (501(a)(10)).
    LicenseNotInGoodStanding,
    /// Entity assets not above the 501(a)(3)/(7)/(9) threshold.
    EntityAssetsBelowThreshold,
    /// Evidence dated before the accepted window (506(c)(2)(ii)).
    EvidenceStale,
    /// Evidence dated after today.
    EvidenceFutureDated,
    // --- investment limits ---
    /// The order would take the investor past their investment limit.
    InvestmentLimitExceeded,
    /// The financial profile needed to compute a limit is missing.
    FinancialProfileMissing,
    /// The amount of the order (or of prior investments) is not a positive amount.
    InvalidAmount,
    // --- pre-trade ---
    /// No KYC check on file.
    KycMissing,
    /// KYC was refused.
    KycRejected,
    /// KYC is waiting for a person's review.
    KycUnderReview,
    /// No sanctions screening on file.
    SanctionsMissing,
    /// The investor matched a sanctions list or a sanctioned jurisdiction.
    SanctionsHit,
    /// A possible sanctions match is waiting for a person's review.
    SanctionsUnderReview,
    /// The regulation needs a verified accredited investor and there is none.
    AccreditationRequired,
    /// The investor's accreditation has expired.
    AccreditationExpired,
    /// The order's amount is unknown (a market order in an asset that has not traded yet), so
    /// an investment limit cannot be checked.
    PriceUnknown,
}

impl ReasonCode {
    /// The stable wire name of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MethodNotApplicable => "method_not_applicable",
            Self::IncomeBelowThreshold => "income_below_threshold",
            Self::IncomeExpectationNotMet => "income_expectation_not_met",
            Self::IncomeDeclining => "income_declining",
            Self::NetWorthBelowThreshold => "net_worth_below_threshold",
            Self::CrdNumberInvalid => "crd_number_invalid",
            Self::LicenseNotInGoodStanding => "license_not_in_good_standing",
            Self::EntityAssetsBelowThreshold => "entity_assets_below_threshold",
            Self::EvidenceStale => "evidence_stale",
            Self::EvidenceFutureDated => "evidence_future_dated",
            Self::InvestmentLimitExceeded => "investment_limit_exceeded",
            Self::FinancialProfileMissing => "financial_profile_missing",
            Self::InvalidAmount => "invalid_amount",
            Self::KycMissing => "kyc_missing",
            Self::KycRejected => "kyc_rejected",
            Self::KycUnderReview => "kyc_under_review",
            Self::SanctionsMissing => "sanctions_missing",
            Self::SanctionsHit => "sanctions_hit",
            Self::SanctionsUnderReview => "sanctions_under_review",
            Self::AccreditationRequired => "accreditation_required",
            Self::AccreditationExpired => "accreditation_expired",
            Self::PriceUnknown => "price_unknown",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a check did not pass: a stable code, a message for people, the rule
/// that failed and, where useful, structured details (amounts are decimal
/// strings, as everywhere on the platform's wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable machine-readable code.
    pub code: ReasonCode,
    /// Human-readable explanation.
    pub message: String,
    /// The rule that failed, e.g. `17 CFR 230.501(a)(6)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Structured details (e.g. `limit`, `used`, `requested`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl Reason {
    /// A reason without a rule or details.
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            rule: None,
            details: None,
        }
    }

    /// Names the rule that failed.
    #[must_use]
    pub fn with_rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_owned());
        self
    }

    /// Attaches structured details.
    #[must_use]
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// The answer of a compliance check: approved exactly when there is no reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `true` when every check passed.
    pub approved: bool,
    /// Every check that failed; empty when approved.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// Builds the decision from the failed checks.
    pub fn from_reasons(reasons: Vec<Reason>) -> Self {
        Self {
            approved: reasons.is_empty(),
            reasons,
        }
    }

    /// Whether any reason carries `code`.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// An amount as the platform writes it on the wire: a decimal string.
pub(crate) fn amount_json(d: Decimal) -> serde_json::Value {
    serde_json::Value::String(d.to_string())
}

/// Serde helpers for calendar dates written `YYYY-MM-DD` (ISO 8601). The
/// workspace's `time` does not turn on `serde-human-readable`, whose default
/// format would otherwise be a `(year, ordinal)` tuple.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use time::{Date, format_description::FormatItem, macros::format_description};

    const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

    /// Formats a date as `YYYY-MM-DD`.
    pub fn format(date: Date) -> String {
        // `[year]` may need a sign outside 0000..=9999; the formatter handles it,
        // and formatting a `Date` with date-only components cannot fail.
        date.format(FORMAT).unwrap_or_default()
    }

    /// Parses `YYYY-MM-DD`; a full RFC 3339 timestamp is also accepted and
    /// its date kept, since clients often send one for "documents dated".
    pub fn parse(s: &str) -> Option<Date> {
        if let Ok(d) = Date::parse(s, FORMAT) {
            return Some(d);
        }
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.date())
    }

    /// Serializes as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*date))
    }

    /// Deserializes from `YYYY-MM-DD`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s)
            .ok_or_else(|| D::Error::custom(format!("invalid date {s:?}, expected YYYY-MM-DD")))
    }
}

/// Serde helpers for instants: RFC 3339 in UTC with at least millisecond
/// precision, as API.md's conventions require.
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

    /// Formats in UTC as `YYYY-MM-DDTHH:MM:SS.mmmZ`, with 6 or 9 fractional
    /// digits only when the instant has sub-millisecond precision, so a value
    /// read back is the value written.
    pub fn format(t: OffsetDateTime) -> String {
        let t = t.to_offset(UtcOffset::UTC);
        let nanos = t.nanosecond();
        let frac = if nanos.is_multiple_of(1_000_000) {
            format!("{:03}", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            format!("{:06}", nanos / 1_000)
        } else {
            format!("{nanos:09}")
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// Serializes as RFC 3339 UTC with milliseconds.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*t))
    }

    /// Deserializes any RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        OffsetDateTime::parse(&s, &Rfc3339)
            .map_err(|e| D::Error::custom(format!("invalid RFC 3339 timestamp {s:?}: {e}")))
    }

    /// The same for `Option<OffsetDateTime>`.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        /// Serializes `Some` as RFC 3339 UTC, `None` as null.
        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        /// Deserializes an optional RFC 3339 timestamp.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            #[derive(Deserialize)]
            struct Wrap(#[serde(with = "super")] OffsetDateTime);
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    }
}

/// Parses a JSON value (string or number) as an exact decimal. Numbers keep
/// every digit because the workspace builds `serde_json` with
/// `arbitrary_precision`; binary floating point is never involved.
pub(crate) fn decimal_from_json(v: &serde_json::Value) -> Option<Decimal> {
    let text = match v {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

#[cfg(test)]
mod tests {
    use crate::accreditation::AccreditationStatus;
    use crate::pretrade::{AccreditationStatusKind, KycStatus, SanctionsStatus};
    use crate::surveillance::{AlertRule, Severity};

    fn agree<T>(all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + serde::de::DeserializeOwned,
        T: std::fmt::Display + std::str::FromStr,
    {
        for v in all {
            let json = serde_json::to_string(v).expect("serializes");
            assert_eq!(json, format!("\"{v}\""), "{v:?}");
            assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(*v));
            assert!(v.to_string().parse::<T>().ok() == Some(*v), "{v:?}");
        }
    }

    #[test]
    fn wire_names_are_serde_names() {
        agree(super::InvestorType::ALL);
        agree(KycStatus::ALL);
        agree(SanctionsStatus::ALL);
        agree(AccreditationStatusKind::ALL);
        agree(AccreditationStatus::ALL);
        agree(AlertRule::ALL);
        agree(Severity::ALL);
        assert!("approve".parse::<KycStatus>().is_err());
        // The order the API lists them in (filters of GET /v1/investors).
        assert_eq!(KycStatus::ALL[0], KycStatus::None);
        assert_eq!(SanctionsStatus::ALL[0], SanctionsStatus::None);
    }

    #[test]
    fn the_worst_answer_wins() {
        use KycStatus::*;
        use SanctionsStatus as S;
        assert_eq!(KycStatus::combined(Approved, S::Clear), Approved);
        assert_eq!(KycStatus::combined(Approved, S::Review), Review);
        assert_eq!(KycStatus::combined(Review, S::Clear), Review);
        assert_eq!(KycStatus::combined(Approved, S::Hit), Rejected);
        assert_eq!(KycStatus::combined(Rejected, S::Clear), Rejected);
        assert_eq!(KycStatus::combined(Review, S::Hit), Rejected);
        assert_eq!(KycStatus::combined(Approved, S::None), Review);
        assert_eq!(S::Clear.worst(S::Hit), S::Hit);
        assert_eq!(S::Review.worst(S::Clear), S::Review);
        assert_eq!(S::Hit.worst(S::Review), S::Hit);
    }
}
