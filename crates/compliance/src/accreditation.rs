//! Accredited-investor verification: SEC Rule 501(a) (who is accredited) and
//! the verification methods of Rule 506(c)(2)(ii) (how the BD checks it).
//!
//! # Methods and who may use them
//!
//! | method | individual | entity | rule |
//! |---|---|---|---|
//! | `income` | yes | no | 501(a)(6), verified per 506(c)(2)(ii)(A) |
//! | `net_worth` | yes | no | 501(a)(5), verified per 506(c)(2)(ii)(B) |
//! | `professional_certification` | yes | no | 501(a)(10) |
//! | `third_party_letter` | yes | yes | 506(c)(2)(ii)(C) |
//! | `entity_assets` | no | yes | 501(a)(3), (a)(7), (a)(9) |
//!
//! # Outcomes
//!
//! * `verified` — every check passed; valid from `verified_at` for
//!   [`AccreditationConfig::validity`] (90 days by default).
//! * `rejected` — a rule failed (threshold not exceeded, evidence too old or
//!   future-dated, method not open to this investor type, implausible CRD
//!   number, licence not in good standing, investor says income will drop).
//!   Each reason names the rule.
//! * `review` — every rule passed on the evidence, but an element that needs
//!   human judgement remains. Today that is one case: income above the
//!   threshold in both years but *falling* and within
//!   [`AccreditationConfig::income_review_margin`] of the threshold in the most
//!   recent year, which puts the "reasonable expectation of reaching the same
//!   income level in the current year" of 501(a)(6) in doubt. A rejection
//!   always wins over a review.
//!
//! # Choices
//!
//! * "Above" is strictly greater: the rules say "in excess of" / "exceeds".
//! * Evidence is refused when dated more than
//!   [`AccreditationConfig::evidence_max_age_months`] calendar months before
//!   today (3 by default: 506(c)(2)(ii)(B) and (C) say "within the prior three
//!   months"), or dated after today. Exactly three calendar months old is
//!   still accepted. For `income` the rule sets no such window (tax returns
//!   are older by nature); applying it there is platform policy so that the
//!   BD reviews recent copies.
//! * "Today" is the UTC calendar date of the `now` the caller passes.
//! * A negative amount is a validation error, not a rejection: it is not
//!   evidence of anything, and the client should correct it.
//! * `professional_certification` cannot see FINRA BrokerCheck: a licence is
//!   taken to be in good standing unless the evidence says
//!   `good_standing: false` (the BD fills it in after its own lookup).
//! * `income` may carry `expects_same_income_current_year` (the written
//!   representation of 506(c)(2)(ii)(A)); `false` rejects, absent means the BD
//!   collected the representation in its onboarding attestation.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::common::{
    InvestorType, Reason, ReasonCode, amount_json, dec, decimal_from_json, iso_date, rfc3339,
    string_schema, wire_names,
};

/// Income each of the two most recent years must exceed, alone.
// 17 CFR 230.501(a)(6): "individual income in excess of $200,000"
pub const INDIVIDUAL_INCOME_THRESHOLD: Decimal = dec(200_000, 0);
/// Joint income with a spouse each of the two years must exceed.
// 17 CFR 230.501(a)(6): "joint income with that person's spouse ... in excess of $300,000"
pub const JOINT_INCOME_THRESHOLD: Decimal = dec(300_000, 0);
/// Net worth, excluding the primary residence, must exceed this.
// 17 CFR 230.501(a)(5): "net worth ... exceeds $1,000,000" (primary residence excluded, (a)(5)(i))
pub const NET_WORTH_THRESHOLD: Decimal = dec(1_000_000, 0);
/// Entity total assets must exceed this.
// 17 CFR 230.501(a)(3), (a)(7) ("total assets in excess of $5,000,000") and (a)(9) ("investments ... in excess of $5,000,000")
pub const ENTITY_ASSETS_THRESHOLD: Decimal = dec(5_000_000, 0);

const RULE_INCOME: &str = "17 CFR 230.501(a)(6)";
const RULE_NET_WORTH: &str = "17 CFR 230.501(a)(5)";
const RULE_PROFESSIONAL: &str = "17 CFR 230.501(a)(10)";
const RULE_ENTITY_ASSETS: &str = "17 CFR 230.501(a)(3), (a)(7), (a)(9)";
const RULE_VERIFY_INCOME: &str = "17 CFR 230.506(c)(2)(ii)(A)";
const RULE_VERIFY_NET_WORTH: &str = "17 CFR 230.506(c)(2)(ii)(B)";
const RULE_VERIFY_LETTER: &str = "17 CFR 230.506(c)(2)(ii)(C)";
const RULE_ACCREDITED_INVESTOR: &str = "17 CFR 230.501(a)";

/// How the investor claims to be accredited (API.md's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationMethod {
    /// Income above the thresholds in each of the two most recent years.
    Income,
    /// Net worth above the threshold, primary residence excluded.
    NetWorth,
    /// Series 7, 65 or 82 licence in good standing.
    ProfessionalCertification,
    /// Written confirmation from a broker-dealer, adviser, attorney or CPA.
    ThirdPartyLetter,
    /// Entity total assets above the threshold.
    EntityAssets,
}

impl AccreditationMethod {
    /// Every method, in API.md's order.
    pub const ALL: [Self; 5] = [
        Self::Income,
        Self::NetWorth,
        Self::ProfessionalCertification,
        Self::ThirdPartyLetter,
        Self::EntityAssets,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Income => "income",
            Self::NetWorth => "net_worth",
            Self::ProfessionalCertification => "professional_certification",
            Self::ThirdPartyLetter => "third_party_letter",
            Self::EntityAssets => "entity_assets",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether the method can accredit this kind of investor. Income, net
    /// worth and licences are tests for natural persons (501(a)(5), (6),
    /// (10)); the asset test is for entities (501(a)(3), (7), (9)); a
    /// third-party confirmation (506(c)(2)(ii)(C)) can cover either.
    pub fn applies_to(self, investor_type: InvestorType) -> bool {
        match self {
            Self::Income | Self::NetWorth | Self::ProfessionalCertification => {
                investor_type == InvestorType::Individual
            }
            Self::EntityAssets => investor_type == InvestorType::Entity,
            Self::ThirdPartyLetter => true,
        }
    }
}

impl fmt::Display for AccreditationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// The BD's API has always called the `method` schema `AccreditationMethodName`.
string_schema!(AccreditationMethod as "AccreditationMethodName");

/// Evidence for `income`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeEvidence {
    /// The two most recent years, oldest first.
    pub annual_income: Vec<Decimal>,
    /// Whether the amounts are joint income with a spouse.
    #[serde(default)]
    pub joint_with_spouse: bool,
    /// Date of the supporting documents.
    #[serde(with = "iso_date")]
    pub documents_dated: Date,
    /// The investor's representation that they expect the same income this
    /// year (506(c)(2)(ii)(A)); absent when collected elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expects_same_income_current_year: Option<bool>,
}

/// Evidence for `net_worth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetWorthEvidence {
    /// Net worth excluding the primary residence.
    pub net_worth: Decimal,
    /// Date of the supporting statements.
    #[serde(with = "iso_date")]
    pub documents_dated: Date,
}

/// A FINRA licence that makes its holder accredited under 501(a)(10)
/// (designated by SEC order, Release 33-10824).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum License {
    /// General Securities Representative.
    #[serde(rename = "series_7")]
    Series7,
    /// Investment Adviser Representative.
    #[serde(rename = "series_65")]
    Series65,
    /// Private Securities Offerings Representative.
    #[serde(rename = "series_82")]
    Series82,
}

impl License {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Series7 => "series_7",
            Self::Series65 => "series_65",
            Self::Series82 => "series_82",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Series7, Self::Series65, Self::Series82]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// Evidence for `professional_certification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfessionalCertificationEvidence {
    /// The licence held.
    pub license: License,
    /// The holder's FINRA CRD number.
    pub crd_number: String,
    /// Result of the BD's BrokerCheck lookup, when it made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_standing: Option<bool>,
}

/// Who wrote a third-party verification letter (506(c)(2)(ii)(C)(1)-(4)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifierType {
    /// A registered broker-dealer.
    BrokerDealer,
    /// An SEC-registered investment adviser.
    InvestmentAdviser,
    /// A licensed attorney in good standing.
    Attorney,
    /// A certified public accountant in good standing.
    Cpa,
}

impl VerifierType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BrokerDealer => "broker_dealer",
            Self::InvestmentAdviser => "investment_adviser",
            Self::Attorney => "attorney",
            Self::Cpa => "cpa",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::BrokerDealer,
            Self::InvestmentAdviser,
            Self::Attorney,
            Self::Cpa,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Evidence for `third_party_letter`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThirdPartyLetterEvidence {
    /// Who confirmed the investor's status.
    pub verifier_type: VerifierType,
    /// Date of the letter.
    #[serde(with = "iso_date")]
    pub letter_dated: Date,
}

/// Evidence for `entity_assets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityAssetsEvidence {
    /// The entity's total assets.
    pub total_assets: Decimal,
}

/// A method with its evidence, as the accreditation request carries them
/// (`{"method": ..., "evidence": {...}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", content = "evidence", rename_all = "snake_case")]
pub enum Evidence {
    /// `income`
    Income(IncomeEvidence),
    /// `net_worth`
    NetWorth(NetWorthEvidence),
    /// `professional_certification`
    ProfessionalCertification(ProfessionalCertificationEvidence),
    /// `third_party_letter`
    ThirdPartyLetter(ThirdPartyLetterEvidence),
    /// `entity_assets`
    EntityAssets(EntityAssetsEvidence),
}

impl<'de> Deserialize<'de> for Evidence {
    /// Deserializes `{"method", "evidence"}` through [`Evidence::parse`], so
    /// the same validation applies however the evidence arrives.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let body = serde_json::Value::deserialize(d)?;
        Self::from_request(&body).map_err(serde::de::Error::custom)
    }
}

/// What is wrong with one field of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// The field is missing or null.
    Required,
    /// The value has the wrong type or format, or is not an allowed value.
    Invalid,
    /// An amount below zero.
    Negative,
    /// A list with the wrong number of entries.
    WrongCount,
}

/// One invalid field, named by its path in the request
/// (e.g. `evidence.annual_income[1]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field in the request body.
    pub field: String,
    /// What is wrong.
    pub code: FieldErrorCode,
    /// Explanation for people.
    pub message: String,
}

/// Every invalid field of a request; the BD answers 400 `VALIDATION_ERROR`
/// with these as details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct ValidationErrors {
    /// The invalid fields, in request order.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request: ")?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    /// Whether `field` is among the invalid fields.
    pub fn names(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

/// Reads the fields of the `evidence` object and collects every problem,
/// so one answer names all the fields to fix.
struct Reader<'a> {
    obj: &'a serde_json::Map<String, serde_json::Value>,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn path(name: &str) -> String {
        format!("evidence.{name}")
    }

    fn err(&mut self, field: String, code: FieldErrorCode, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            code,
            message: message.into(),
        });
    }

    fn get(&mut self, name: &str) -> Option<&'a serde_json::Value> {
        match self.obj.get(name) {
            None | Some(serde_json::Value::Null) => {
                self.err(Self::path(name), FieldErrorCode::Required, "is required");
                None
            }
            Some(v) => Some(v),
        }
    }

    fn amount_at(&mut self, field: String, v: &serde_json::Value) -> Option<Decimal> {
        match decimal_from_json(v) {
            None => {
                self.err(
                    field,
                    FieldErrorCode::Invalid,
                    "must be a decimal amount (string or number)",
                );
                None
            }
            Some(d) if d.is_sign_negative() && !d.is_zero() => {
                self.err(field, FieldErrorCode::Negative, "must not be negative");
                None
            }
            Some(d) => Some(d),
        }
    }

    fn amount(&mut self, name: &str) -> Option<Decimal> {
        let v = self.get(name)?;
        self.amount_at(Self::path(name), v)
    }

    fn date(&mut self, name: &str) -> Option<Date> {
        let v = self.get(name)?;
        match v.as_str().and_then(iso_date::parse) {
            Some(d) => Some(d),
            None => {
                self.err(
                    Self::path(name),
                    FieldErrorCode::Invalid,
                    "must be an ISO 8601 date (YYYY-MM-DD)",
                );
                None
            }
        }
    }

    fn opt_bool(&mut self, name: &str) -> Option<bool> {
        match self.obj.get(name) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.err(
                    Self::path(name),
                    FieldErrorCode::Invalid,
                    "must be true or false",
                );
                None
            }
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        let s = match v {
            serde_json::Value::String(s) => s.trim().to_owned(),
            // A CRD number sent as a JSON number is still a CRD number.
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                self.err(
                    Self::path(name),
                    FieldErrorCode::Invalid,
                    "must be a string",
                );
                return None;
            }
        };
        if s.is_empty() {
            self.err(
                Self::path(name),
                FieldErrorCode::Required,
                "must not be empty",
            );
            return None;
        }
        Some(s)
    }

    fn choice<T>(&mut self, name: &str, parse: fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let v = self.get(name)?;
        match v.as_str().and_then(parse) {
            Some(t) => Some(t),
            None => {
                self.err(
                    Self::path(name),
                    FieldErrorCode::Invalid,
                    format!("must be one of {allowed}"),
                );
                None
            }
        }
    }

    fn income_years(&mut self) -> Option<Vec<Decimal>> {
        let v = self.get("annual_income")?;
        let Some(items) = v.as_array() else {
            self.err(
                Self::path("annual_income"),
                FieldErrorCode::Invalid,
                "must be a list of the two most recent years' income, oldest first",
            );
            return None;
        };
        if items.len() != 2 {
            self.err(
                Self::path("annual_income"),
                FieldErrorCode::WrongCount,
                format!(
                    "must list exactly two years (oldest first), got {}",
                    items.len()
                ),
            );
            return None;
        }
        let mut years = Vec::with_capacity(2);
        for (i, item) in items.iter().enumerate() {
            if let Some(d) = self.amount_at(format!("evidence.annual_income[{i}]"), item) {
                years.push(d);
            }
        }
        (years.len() == 2).then_some(years)
    }
}

impl Evidence {
    /// The method this evidence supports.
    pub fn method(&self) -> AccreditationMethod {
        match self {
            Self::Income(_) => AccreditationMethod::Income,
            Self::NetWorth(_) => AccreditationMethod::NetWorth,
            Self::ProfessionalCertification(_) => AccreditationMethod::ProfessionalCertification,
            Self::ThirdPartyLetter(_) => AccreditationMethod::ThirdPartyLetter,
            Self::EntityAssets(_) => AccreditationMethod::EntityAssets,
        }
    }

    /// Validates a whole request body `{"method": ..., "evidence": {...}}`.
    pub fn from_request(body: &serde_json::Value) -> Result<Self, ValidationErrors> {
        let method = body.get("method").unwrap_or(&serde_json::Value::Null);
        let Some(method) = method.as_str() else {
            return Err(ValidationErrors {
                errors: vec![FieldError {
                    field: "method".into(),
                    code: FieldErrorCode::Required,
                    message: "is required".into(),
                }],
            });
        };
        Self::parse(
            method,
            body.get("evidence").unwrap_or(&serde_json::Value::Null),
        )
    }

    /// Validates `evidence` for `method`. Amounts accept decimal strings or
    /// JSON numbers (exactly: no binary floating point); dates are ISO 8601.
    /// Every invalid field is reported, each named by its path.
    pub fn parse(method: &str, evidence: &serde_json::Value) -> Result<Self, ValidationErrors> {
        let Some(method) = AccreditationMethod::parse(method) else {
            let allowed: Vec<&str> = AccreditationMethod::ALL
                .iter()
                .map(|m| m.as_str())
                .collect();
            return Err(ValidationErrors {
                errors: vec![FieldError {
                    field: "method".into(),
                    code: FieldErrorCode::Invalid,
                    message: format!("must be one of {}", allowed.join(", ")),
                }],
            });
        };
        let obj = match evidence {
            serde_json::Value::Object(obj) => obj,
            serde_json::Value::Null => {
                return Err(ValidationErrors {
                    errors: vec![FieldError {
                        field: "evidence".into(),
                        code: FieldErrorCode::Required,
                        message: format!("is required for method {method}"),
                    }],
                });
            }
            _ => {
                return Err(ValidationErrors {
                    errors: vec![FieldError {
                        field: "evidence".into(),
                        code: FieldErrorCode::Invalid,
                        message: "must be an object".into(),
                    }],
                });
            }
        };
        let mut r = Reader {
            obj,
            errors: Vec::new(),
        };
        let evidence = match method {
            AccreditationMethod::Income => {
                let annual_income = r.income_years();
                let joint = r.opt_bool("joint_with_spouse").unwrap_or(false);
                let dated = r.date("documents_dated");
                let expects = r.opt_bool("expects_same_income_current_year");
                match (annual_income, dated) {
                    (Some(annual_income), Some(documents_dated)) => {
                        Some(Self::Income(IncomeEvidence {
                            annual_income,
                            joint_with_spouse: joint,
                            documents_dated,
                            expects_same_income_current_year: expects,
                        }))
                    }
                    _ => None,
                }
            }
            AccreditationMethod::NetWorth => {
                let net_worth = r.amount("net_worth");
                let dated = r.date("documents_dated");
                match (net_worth, dated) {
                    (Some(net_worth), Some(documents_dated)) => {
                        Some(Self::NetWorth(NetWorthEvidence {
                            net_worth,
                            documents_dated,
                        }))
                    }
                    _ => None,
                }
            }
            AccreditationMethod::ProfessionalCertification => {
                let license = r.choice("license", License::parse, "series_7, series_65, series_82");
                let crd = r.text("crd_number");
                let good_standing = r.opt_bool("good_standing");
                match (license, crd) {
                    (Some(license), Some(crd_number)) => Some(Self::ProfessionalCertification(
                        ProfessionalCertificationEvidence {
                            license,
                            crd_number,
                            good_standing,
                        },
                    )),
                    _ => None,
                }
            }
            AccreditationMethod::ThirdPartyLetter => {
                let verifier = r.choice(
                    "verifier_type",
                    VerifierType::parse,
                    "broker_dealer, investment_adviser, attorney, cpa",
                );
                let dated = r.date("letter_dated");
                match (verifier, dated) {
                    (Some(verifier_type), Some(letter_dated)) => {
                        Some(Self::ThirdPartyLetter(ThirdPartyLetterEvidence {
                            verifier_type,
                            letter_dated,
                        }))
                    }
                    _ => None,
                }
            }
            AccreditationMethod::EntityAssets => r
                .amount("total_assets")
                .map(|total_assets| Self::EntityAssets(EntityAssetsEvidence { total_assets })),
        };
        match evidence {
            Some(e) if r.errors.is_empty() => Ok(e),
            _ => Err(ValidationErrors { errors: r.errors }),
        }
    }
}

/// Tunables of the verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccreditationConfig {
    /// How long a verification stays valid.
    pub validity: time::Duration,
    /// Oldest accepted evidence, in calendar months before today.
    pub evidence_max_age_months: u32,
    /// Income that passed but fell to at most this fraction above the
    /// threshold in the most recent year goes to review; `None` disables it.
    pub income_review_margin: Option<Decimal>,
}

impl Default for AccreditationConfig {
    fn default() -> Self {
        Self {
            // Platform policy: re-verify every 90 days, in line with the three-month
            // look-back that 506(c)(2)(ii)(B)/(C) put on evidence.
            validity: time::Duration::days(90),
            // 17 CFR 230.506(c)(2)(ii)(B), (C): "within the prior three months"
            evidence_max_age_months: 3,
            // Platform policy for 501(a)(6)'s "reasonable expectation": a fall to
            // within 10% of the threshold is for a person to judge.
            income_review_margin: Some(dec(10, 2)),
        }
    }
}

/// Outcome of a verification, as API.md's accreditation answer carries it
/// (`status` plus `verified_at`/`expires_at` or `reasons`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AccreditationDecision {
    /// Accredited from `verified_at` until `expires_at` (exclusive).
    Verified {
        /// When the verification was made.
        #[serde(with = "rfc3339")]
        verified_at: OffsetDateTime,
        /// When it stops being valid.
        #[serde(with = "rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// A rule failed.
    Rejected {
        /// Every rule that failed.
        reasons: Vec<Reason>,
    },
    /// The evidence passed the rules but a person must decide.
    Review {
        /// What the person must look at.
        reasons: Vec<Reason>,
    },
}

/// The three statuses of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationStatus {
    /// `verified`
    Verified,
    /// `rejected`
    Rejected,
    /// `review`
    Review,
}

wire_names!(AccreditationStatus {
    Verified = "verified",
    Rejected = "rejected",
    Review = "review",
});

impl AccreditationDecision {
    /// The status alone.
    pub fn status(&self) -> AccreditationStatus {
        match self {
            Self::Verified { .. } => AccreditationStatus::Verified,
            Self::Rejected { .. } => AccreditationStatus::Rejected,
            Self::Review { .. } => AccreditationStatus::Review,
        }
    }

    /// The reasons (empty when verified).
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Self::Verified { .. } => &[],
            Self::Rejected { reasons } | Self::Review { reasons } => reasons,
        }
    }

    /// Whether any reason carries `code`.
    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons().iter().any(|r| r.code == code)
    }
}

/// `date` minus `months` calendar months, the day clamped to the length of
/// the target month (31 May minus 3 months is 28 or 29 February).
pub fn months_before(date: Date, months: u32) -> Date {
    // i64 so that no `months` can overflow; a result outside `Date`'s range
    // falls back to `Date::MIN`, which refuses nothing more than the caller asked.
    let total =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 - i64::from(months);
    let Ok(year) = i32::try_from(total.div_euclid(12)) else {
        return Date::MIN;
    };
    let month_number = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let month = Month::try_from(month_number).unwrap_or(Month::January);
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

/// Checks that evidence dated `dated` is neither in the future nor older
/// than the accepted window, pushing the failures.
fn check_dated(
    field: &str,
    dated: Date,
    today: Date,
    config: &AccreditationConfig,
    rule: &str,
    out: &mut Vec<Reason>,
) {
    if dated > today {
        out.push(
            Reason::new(
                ReasonCode::EvidenceFutureDated,
                format!(
                    "{field} {} is after today ({})",
                    iso_date::format(dated),
                    iso_date::format(today)
                ),
            )
            .with_rule(rule)
            .with_details(serde_json::json!({
                "field": field,
                "dated": iso_date::format(dated),
                "today": iso_date::format(today),
            })),
        );
        return;
    }
    let oldest = months_before(today, config.evidence_max_age_months);
    if dated < oldest {
        out.push(
            Reason::new(
                ReasonCode::EvidenceStale,
                format!(
                    "{field} {} is more than {} months old (oldest accepted: {})",
                    iso_date::format(dated),
                    config.evidence_max_age_months,
                    iso_date::format(oldest)
                ),
            )
            .with_rule(rule)
            .with_details(serde_json::json!({
                "field": field,
                "dated": iso_date::format(dated),
                "oldest_accepted": iso_date::format(oldest),
            })),
        );
    }
}

/// A CRD number is digits only; FINRA assigns them sequentially, so they
/// are short (today 7 or 8 digits for individuals). Ten digits leaves room
/// without accepting phone numbers or account numbers.
pub fn plausible_crd_number(crd: &str) -> bool {
    let crd = crd.trim();
    (1..=10).contains(&crd.len())
        && crd.bytes().all(|b| b.is_ascii_digit())
        && crd.bytes().any(|b| b != b'0')
}

fn verify_income(
    e: &IncomeEvidence,
    config: &AccreditationConfig,
    rejects: &mut Vec<Reason>,
    reviews: &mut Vec<Reason>,
) {
    let (threshold, basis) = if e.joint_with_spouse {
        (JOINT_INCOME_THRESHOLD, "joint income with spouse")
    } else {
        (INDIVIDUAL_INCOME_THRESHOLD, "individual income")
    };
    let below: Vec<usize> = e
        .annual_income
        .iter()
        .enumerate()
        .filter(|(_, amount)| **amount <= threshold)
        .map(|(i, _)| i)
        .collect();
    if !below.is_empty() || e.annual_income.len() != 2 {
        rejects.push(
            Reason::new(
                ReasonCode::IncomeBelowThreshold,
                format!("{basis} must exceed ${threshold} in each of the two most recent years"),
            )
            .with_rule(RULE_INCOME)
            .with_details(serde_json::json!({
                "threshold": amount_json(threshold),
                "joint_with_spouse": e.joint_with_spouse,
                "annual_income": e.annual_income.iter().map(|a| amount_json(*a)).collect::<Vec<_>>(),
                "years_not_above": below,
            })),
        );
        return;
    }
    if e.expects_same_income_current_year == Some(false) {
        rejects.push(
            Reason::new(
                ReasonCode::IncomeExpectationNotMet,
                "the investor does not expect to reach the same income level in the current year",
            )
            .with_rule(RULE_INCOME),
        );
        return;
    }
    if let (Some(margin), [older, recent]) =
        (config.income_review_margin, e.annual_income.as_slice())
    {
        let review_line = threshold * (Decimal::ONE + margin);
        if recent < older && *recent <= review_line {
            reviews.push(
                Reason::new(
                    ReasonCode::IncomeDeclining,
                    format!(
                        "income fell from ${older} to ${recent}, within {}% of the ${threshold} threshold: \
                         the expectation of the same income this year needs a person's review",
                        (margin * Decimal::ONE_HUNDRED).normalize()
                    ),
                )
                .with_rule(RULE_INCOME)
                .with_details(serde_json::json!({
                    "threshold": amount_json(threshold),
                    "review_below": amount_json(review_line),
                    "annual_income": [amount_json(*older), amount_json(*recent)],
                })),
            );
        }
    }
}

/// Verifies `evidence` for an investor of `investor_type` at `now`.
///
/// Pure: the clock and the configuration are inputs. On success the
/// verification runs from `now` for `config.validity`.
pub fn verify(
    investor_type: InvestorType,
    evidence: &Evidence,
    now: OffsetDateTime,
    config: &AccreditationConfig,
) -> AccreditationDecision {
    let method = evidence.method();
    if !method.applies_to(investor_type) {
        let who = match investor_type {
            InvestorType::Individual => "entities",
            InvestorType::Entity => "natural persons",
        };
        return AccreditationDecision::Rejected {
            reasons: vec![
                Reason::new(
                    ReasonCode::MethodNotApplicable,
                    format!(
                        "method {method} is only open to {who}, not to an {}",
                        investor_type.as_str()
                    ),
                )
                .with_rule(RULE_ACCREDITED_INVESTOR)
                .with_details(serde_json::json!({
                    "method": method.as_str(),
                    "investor_type": investor_type.as_str(),
                })),
            ],
        };
    }

    let today = now.to_offset(UtcOffset::UTC).date();
    let mut rejects = Vec::new();
    let mut reviews = Vec::new();
    match evidence {
        Evidence::Income(e) => {
            check_dated(
                "documents_dated",
                e.documents_dated,
                today,
                config,
                RULE_VERIFY_INCOME,
                &mut rejects,
            );
            verify_income(e, config, &mut rejects, &mut reviews);
        }
        Evidence::NetWorth(e) => {
            check_dated(
                "documents_dated",
                e.documents_dated,
                today,
                config,
                RULE_VERIFY_NET_WORTH,
                &mut rejects,
            );
            if e.net_worth <= NET_WORTH_THRESHOLD {
                rejects.push(
                    Reason::new(
                        ReasonCode::NetWorthBelowThreshold,
                        format!("net worth excluding the primary residence must exceed ${NET_WORTH_THRESHOLD}"),
                    )
                    .with_rule(RULE_NET_WORTH)
                    .with_details(serde_json::json!({
                        "threshold": amount_json(NET_WORTH_THRESHOLD),
                        "net_worth": amount_json(e.net_worth),
                    })),
                );
            }
        }
        Evidence::ProfessionalCertification(e) => {
            if !plausible_crd_number(&e.crd_number) {
                rejects.push(
                    Reason::new(
                        ReasonCode::CrdNumberInvalid,
                        "crd_number must be a FINRA CRD number: 1 to 10 digits, not all zeros",
                    )
                    .with_rule(RULE_PROFESSIONAL)
                    .with_details(serde_json::json!({ "crd_number": e.crd_number })),
                );
            }
            if e.good_standing == Some(false) {
                rejects.push(
                    Reason::new(
                        ReasonCode::LicenseNotInGoodStanding,
                        format!(
                            "the {} licence must be held in good standing",
                            e.license.as_str()
                        ),
                    )
                    .with_rule(RULE_PROFESSIONAL),
                );
            }
        }
        Evidence::ThirdPartyLetter(e) => {
            // Every VerifierType is one of the four persons 506(c)(2)(ii)(C) names;
            // the type system has already refused the others.
            check_dated(
                "letter_dated",
                e.letter_dated,
                today,
                config,
                RULE_VERIFY_LETTER,
                &mut rejects,
            );
        }
        Evidence::EntityAssets(e) => {
            if e.total_assets <= ENTITY_ASSETS_THRESHOLD {
                rejects.push(
                    Reason::new(
                        ReasonCode::EntityAssetsBelowThreshold,
                        format!("total assets must exceed ${ENTITY_ASSETS_THRESHOLD}"),
                    )
                    .with_rule(RULE_ENTITY_ASSETS)
                    .with_details(serde_json::json!({
                        "threshold": amount_json(ENTITY_ASSETS_THRESHOLD),
                        "total_assets": amount_json(e.total_assets),
                    })),
                );
            }
        }
    }

    if !rejects.is_empty() {
        AccreditationDecision::Rejected { reasons: rejects }
    } else if !reviews.is_empty() {
        AccreditationDecision::Review { reasons: reviews }
    } else {
        AccreditationDecision::Verified {
            verified_at: now,
            expires_at: now + config.validity,
        }
    }
}
