//! The full pre-trade decision (`POST /v1/compliance/pre-trade`) and the
//! eligibility summary (`GET /v1/investors/{id}/compliance`).
//!
//! # What each regulation requires
//!
//! For every order, on either side: KYC `approved` and sanctions screening
//! `clear`. Anything else (none on file, rejected, a hit, waiting for
//! review) refuses the order: the BD fails closed.
//!
//! | regulation | buy | sell |
//! |---|---|---|
//! | `reg_d_506c` | verified accreditation | verified accreditation (see below) |
//! | `reg_d_506b` | nothing more | nothing more |
//! | `reg_cf` | the Reg CF limit unless accredited | nothing more |
//! | `reg_a_tier2` | the Reg A Tier 2 limit unless accredited | nothing more |
//! | `registered` | nothing more | nothing more |
//!
//! * `reg_d_506c`: Rule 506(c)(2)(ii) requires the issuer to verify every
//!   purchaser's accredited status; the venue admits only verified
//!   accredited investors to these books, on both sides, so every
//!   counterparty a 506(c) buyer meets was verified too. A holder whose
//!   verification lapsed re-verifies before selling.
//!   [`PreTradePolicy::require_accreditation_for_506c_sells`] relaxes it.
//! * `reg_d_506b`: non-accredited purchasers are allowed. The limits of
//!   Rule 506(b)(2)(ii) (at most 35 non-accredited purchasers, each
//!   sophisticated alone or with a purchaser representative, and the
//!   information of Rule 502(b)) bind the issuer's offering and are tracked
//!   with it; for trading we require what every order requires: KYC and
//!   sanctions.
//! * Sells never consume an investment limit: the limits cap what an
//!   investor *buys*.
//! * An accreditation counts while `as_of` is before its `expires_at`; at
//!   `expires_at` itself it has expired.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::common::{
    Decision, InvestorType, Reason, ReasonCode, Regulation, Side, amount_json, rfc3339,
    string_schema, wire_names,
};
use crate::limits::{
    FinancialProfile, LimitCheck, LimitConfig, RULE_REG_A, RULE_REG_CF, check_investment_limit,
    investment_limit,
};

const RULE_506C_VERIFY: &str = "17 CFR 230.506(c)(2)(ii)";
const RULE_CIP: &str = "31 CFR 1023.220 (customer identification program)";
const RULE_OFAC: &str = "31 CFR Chapter V (OFAC sanctions regulations)";

/// State of the investor's KYC/KYB identity verification: the one definition the BD stores
/// (`investors.kyc_status`), filters on, answers and applies. A provider answers `approved`,
/// `rejected` or `review`; `none` is an investor never verified (or whose identity changed
/// since).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KycStatus {
    /// Identity verified.
    Approved,
    /// Identity refused.
    Rejected,
    /// Waiting for a person.
    Review,
    /// No check on file.
    #[default]
    None,
}

wire_names!(KycStatus {
    None = "none",
    Approved = "approved",
    Rejected = "rejected",
    Review = "review",
});
string_schema!(KycStatus as "KycStatus");

/// State of the investor's sanctions screening (OFAC SDN list and sanctioned jurisdictions):
/// the one definition the BD stores (`investors.sanctions_status`), screens into, answers and
/// applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SanctionsStatus {
    /// No match.
    Clear,
    /// A confirmed match or a sanctioned jurisdiction.
    Hit,
    /// A possible match waiting for a person.
    Review,
    /// Never screened.
    #[default]
    None,
}

wire_names!(SanctionsStatus {
    None = "none",
    Clear = "clear",
    Hit = "hit",
    Review = "review",
});
string_schema!(SanctionsStatus as "SanctionsStatus");

impl SanctionsStatus {
    /// How bad the outcome is, for combining the screening of several parties: the worst one
    /// decides (`hit` over `review` over `clear`; `none` is no screening at all).
    pub fn severity(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Clear => 1,
            Self::Review => 2,
            Self::Hit => 3,
        }
    }

    /// The worse of two outcomes.
    #[must_use]
    pub fn worst(self, other: Self) -> Self {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl KycStatus {
    /// The answer of a KYC check that combines the provider's identity verification with our
    /// sanctions screening: rejected if either refused (a rejected identity, a hit); review if
    /// either waits for a person (or was not made); approved only when both passed.
    pub fn combined(identity: KycStatus, sanctions: SanctionsStatus) -> KycStatus {
        match (identity, sanctions) {
            (Self::Rejected, _) | (_, SanctionsStatus::Hit) => Self::Rejected,
            (Self::Approved, SanctionsStatus::Clear) => Self::Approved,
            _ => Self::Review,
        }
    }
}

/// The accreditation on file, as the BD stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AccreditationState {
    /// Verified, valid until `expires_at` (exclusive).
    Verified {
        /// End of validity.
        #[serde(with = "rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// Was verified, no longer valid.
    Expired,
    /// The last request is waiting for a person.
    Review,
    /// The last request was refused.
    Rejected,
    /// Never requested.
    #[default]
    None,
}

/// The effective accreditation status at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationStatusKind {
    /// Valid now.
    Verified,
    /// Past its `expires_at`.
    Expired,
    /// Waiting for a person.
    Review,
    /// Refused.
    Rejected,
    /// None on file.
    None,
}

wire_names!(AccreditationStatusKind {
    Verified = "verified",
    Expired = "expired",
    Review = "review",
    Rejected = "rejected",
    None = "none",
});

impl AccreditationState {
    /// Whether the investor is accredited at `as_of`.
    pub fn is_valid_at(&self, as_of: OffsetDateTime) -> bool {
        matches!(self, Self::Verified { expires_at } if as_of < *expires_at)
    }

    /// The effective status at `as_of` (a verification past its expiry is
    /// `expired`).
    pub fn status_at(&self, as_of: OffsetDateTime) -> AccreditationStatusKind {
        match self {
            Self::Verified { expires_at } if as_of < *expires_at => {
                AccreditationStatusKind::Verified
            }
            Self::Verified { .. } | Self::Expired => AccreditationStatusKind::Expired,
            Self::Review => AccreditationStatusKind::Review,
            Self::Rejected => AccreditationStatusKind::Rejected,
            Self::None => AccreditationStatusKind::None,
        }
    }

    fn expires_at(&self) -> Option<OffsetDateTime> {
        match self {
            Self::Verified { expires_at } => Some(*expires_at),
            _ => None,
        }
    }
}

/// Everything the pre-trade decision looks at. The BD assembles it from its
/// records; `amount` is the order's notional in USD (quantity × limit price,
/// or a conservative estimate for market orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreTradeInput {
    /// KYC state.
    pub kyc: KycStatus,
    /// Sanctions screening state.
    pub sanctions: SanctionsStatus,
    /// Accreditation on file.
    pub accreditation: AccreditationState,
    /// Individual or entity.
    pub investor_type: InvestorType,
    /// The security's regulation.
    pub regulation: Regulation,
    /// Buy or sell.
    pub side: Side,
    /// The order's notional amount in USD.
    pub amount: Decimal,
    /// The amount is not known: a market order (no limit price) in an asset that has not
    /// traded yet. `amount` is then ignored by the investment limit, which cannot be checked:
    /// a limited buy of a non-accredited investor is refused with `price_unknown`.
    #[serde(default)]
    pub amount_unknown: bool,
    /// Bought under the same regulation in the prior 12 months.
    #[serde(default)]
    pub prior_12m_amount: Decimal,
    /// The investor's finances, for the limits.
    #[serde(default)]
    pub financial_profile: FinancialProfile,
    /// The moment of the decision.
    #[serde(with = "rfc3339")]
    pub as_of: OffsetDateTime,
}

/// Tunables of the pre-trade decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreTradePolicy {
    /// The investment-limit figures.
    pub limits: LimitConfig,
    /// Whether selling a 506(c) security also needs a valid accreditation.
    pub require_accreditation_for_506c_sells: bool,
}

impl Default for PreTradePolicy {
    fn default() -> Self {
        Self {
            limits: LimitConfig::default(),
            require_accreditation_for_506c_sells: true,
        }
    }
}

fn kyc_reason(kyc: KycStatus) -> Option<Reason> {
    let (code, message) = match kyc {
        KycStatus::Approved => return None,
        KycStatus::None => (
            ReasonCode::KycMissing,
            "the investor has no KYC check on file",
        ),
        KycStatus::Rejected => (
            ReasonCode::KycRejected,
            "the investor's KYC check was rejected",
        ),
        KycStatus::Review => (
            ReasonCode::KycUnderReview,
            "the investor's KYC check is waiting for review",
        ),
    };
    Some(Reason::new(code, message).with_rule(RULE_CIP))
}

fn sanctions_reason(sanctions: SanctionsStatus) -> Option<Reason> {
    let (code, message) = match sanctions {
        SanctionsStatus::Clear => return None,
        SanctionsStatus::None => (
            ReasonCode::SanctionsMissing,
            "the investor has not been screened against sanctions lists",
        ),
        SanctionsStatus::Hit => (
            ReasonCode::SanctionsHit,
            "the investor matched a sanctions list or a sanctioned jurisdiction",
        ),
        SanctionsStatus::Review => (
            ReasonCode::SanctionsUnderReview,
            "a possible sanctions match is waiting for review",
        ),
    };
    Some(Reason::new(code, message).with_rule(RULE_OFAC))
}

fn accreditation_reason(
    state: &AccreditationState,
    as_of: OffsetDateTime,
    regulation: Regulation,
) -> Option<Reason> {
    let status = state.status_at(as_of);
    let details = serde_json::json!({
        "regulation": regulation.as_str(),
        "accreditation_status": status,
        "expires_at": state.expires_at().map(rfc3339::format),
    });
    match status {
        AccreditationStatusKind::Verified => None,
        AccreditationStatusKind::Expired => Some(
            Reason::new(
                ReasonCode::AccreditationExpired,
                "the investor's accreditation has expired",
            )
            .with_rule(RULE_506C_VERIFY)
            .with_details(details),
        ),
        _ => Some(
            Reason::new(
                ReasonCode::AccreditationRequired,
                format!(
                    "{} securities need a verified accredited investor",
                    regulation.as_str()
                ),
            )
            .with_rule(RULE_506C_VERIFY)
            .with_details(details),
        ),
    }
}

/// Why a limited buy whose amount is unknown cannot be approved.
fn price_unknown_reason(regulation: Regulation) -> Reason {
    Reason::new(
        ReasonCode::PriceUnknown,
        "a market order in an asset without a trade yet cannot be checked against the \
         investment limit; send a limit price",
    )
    .with_rule(match regulation {
        Regulation::RegCf => RULE_REG_CF,
        _ => RULE_REG_A,
    })
}

/// The pre-trade decision: every failing check is a reason; approved when
/// there is none.
///
/// An order whose amount is unknown ([`PreTradeInput::amount_unknown`]) is
/// judged on everything but the amount: under `reg_cf` and `reg_a_tier2` a
/// buy of a non-accredited investor is refused with `price_unknown` (a limit
/// that cannot be measured is not met), after any missing financial profile.
pub fn pre_trade_decision(input: &PreTradeInput, policy: &PreTradePolicy) -> Decision {
    let mut reasons = Vec::new();
    if !input.amount_unknown && input.amount <= Decimal::ZERO {
        reasons.push(
            Reason::new(
                ReasonCode::InvalidAmount,
                "the order amount must be positive",
            )
            .with_details(serde_json::json!({ "amount": amount_json(input.amount) })),
        );
    }
    reasons.extend(kyc_reason(input.kyc));
    reasons.extend(sanctions_reason(input.sanctions));

    let accredited = input.accreditation.is_valid_at(input.as_of);
    match input.regulation {
        Regulation::RegD506c => {
            let needed = input.side == Side::Buy || policy.require_accreditation_for_506c_sells;
            if needed {
                reasons.extend(accreditation_reason(
                    &input.accreditation,
                    input.as_of,
                    input.regulation,
                ));
            }
        }
        Regulation::RegCf | Regulation::RegATier2
            if input.side == Side::Buy && input.amount_unknown =>
        {
            // What can be judged without the amount: whether a limit applies and the
            // figures it needs are known.
            if let Err(missing) = investment_limit(
                input.regulation,
                input.investor_type,
                accredited,
                &input.financial_profile,
                &policy.limits,
            ) {
                reasons.push(missing);
            }
            if !accredited {
                reasons.push(price_unknown_reason(input.regulation));
            }
        }
        Regulation::RegCf | Regulation::RegATier2
            if input.side == Side::Buy && input.amount > Decimal::ZERO =>
        {
            let limit = check_investment_limit(
                &LimitCheck {
                    regulation: input.regulation,
                    investor_type: input.investor_type,
                    accredited,
                    profile: input.financial_profile.clone(),
                    prior_12m_amount: input.prior_12m_amount,
                    amount: input.amount,
                },
                &policy.limits,
            );
            reasons.extend(limit.reasons);
        }
        _ => {}
    }
    Decision::from_reasons(reasons)
}

/// The accreditation part of the eligibility summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationSummary {
    /// Effective status at the moment of the summary.
    pub status: AccreditationStatusKind,
    /// End of validity of the last verification, if any.
    #[serde(default, with = "rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// The body of `GET /v1/investors/{id}/compliance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// KYC state.
    pub kyc: KycStatus,
    /// Sanctions state.
    pub sanctions: SanctionsStatus,
    /// Accreditation state.
    pub accreditation: AccreditationSummary,
    /// Whether the investor counts as accredited now.
    pub accredited: bool,
    /// Whether the investor may trade at all (KYC approved and sanctions clear).
    pub eligible: bool,
    /// Why not, when not eligible.
    pub reasons: Vec<Reason>,
}

/// The eligibility summary. An investor is eligible to trade when KYC is
/// approved and sanctions are clear; accreditation is reported but only
/// required by some regulations, which the pre-trade check applies.
pub fn eligibility(
    kyc: KycStatus,
    sanctions: SanctionsStatus,
    accreditation: &AccreditationState,
    as_of: OffsetDateTime,
) -> Eligibility {
    let reasons: Vec<Reason> = kyc_reason(kyc)
        .into_iter()
        .chain(sanctions_reason(sanctions))
        .collect();
    Eligibility {
        kyc,
        sanctions,
        accreditation: AccreditationSummary {
            status: accreditation.status_at(as_of),
            expires_at: accreditation.expires_at(),
        },
        accredited: accreditation.is_valid_at(as_of),
        eligible: reasons.is_empty(),
        reasons,
    }
}
