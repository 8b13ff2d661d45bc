//! Investment limits for investors who are not accredited, over a rolling
//! 12-month window.
//!
//! # Regulation Crowdfunding — 17 CFR 227.100(a)(2)
//!
//! As amended by Release 33-10884 (effective 15 March 2021) and adjusted for
//! inflation by Release 33-11098 (2022):
//!
//! * if either annual income or net worth is below $124,000: the greater of
//!   $2,500 or 5% of the greater of annual income and net worth;
//! * if both are at least $124,000: 10% of the greater of the two, not more
//!   than $124,000;
//! * accredited investors: no limit.
//!
//! Choices: the $124,000 cap is applied to both branches (the SEC's
//! investor materials state the 12-month aggregate for a non-accredited
//! investor never exceeds it, and applying it can only make us stricter).
//! An entity that is not accredited uses its revenue and net assets for the
//! most recent fiscal year in place of income and net worth, as the 2020
//! amendments allow for investors that are not natural persons.
//!
//! # Regulation A Tier 2 — 17 CFR 230.251(d)(2)(i)(C)
//!
//! * natural persons: 10% of the greater of annual income or net worth;
//! * other investors: 10% of the greater of revenue or net assets for the
//!   most recent fiscal year;
//! * accredited investors: no limit.
//!
//! Choices: the rule caps purchases *in an offering*; we apply it to every
//! buy on the venue over the caller's 12-month window, which is stricter
//! for resales. Because the limit is 10% of the *greater* of two figures,
//! one known figure gives a lower bound of the true limit: we use what is
//! known and only refuse when neither is.
//!
//! # Regulation D and registered offerings
//!
//! Neither Rule 506(b), Rule 506(c) nor a registration caps what an investor
//! may buy: [`InvestmentLimit::Unlimited`]. (Who may buy at all is the
//! pre-trade check's business, see [`crate::pretrade`].)
//!
//! # Amounts
//!
//! A limit is a ceiling in whole cents, rounded down (10% of $123,456.789
//! is a limit of $12,345.67): rounding up would allow more than the rule.
//! The limit may be used exactly ("not to exceed"); one cent more is
//! refused.
//!
//! # Missing profile
//!
//! When a limited regulation applies and the figures it needs are missing,
//! the safe answer is a refusal whose reason (`financial_profile_missing`)
//! names the missing fields.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::common::{Decision, InvestorType, Reason, ReasonCode, Regulation, amount_json, dec};

pub(crate) const RULE_REG_CF: &str = "17 CFR 227.100(a)(2)";
pub(crate) const RULE_REG_A: &str = "17 CFR 230.251(d)(2)(i)(C)";

/// The dollar figures and rates of the limits. The dollar figures are
/// inflation-adjusted by the SEC at least every five years, so they are
/// configuration, not code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitConfig {
    /// Income and net worth both at least this: the 10% branch.
    // 17 CFR 227.100(a)(2)(i)-(ii): $124,000 since the 2022 inflation adjustment (Release 33-11098)
    pub reg_cf_threshold: Decimal,
    /// Floor of the lower branch.
    // 17 CFR 227.100(a)(2)(i): $2,500 since the 2022 inflation adjustment
    pub reg_cf_floor: Decimal,
    /// Rate of the lower branch.
    // 17 CFR 227.100(a)(2)(i): 5 percent
    pub reg_cf_low_rate: Decimal,
    /// Rate of the upper branch.
    // 17 CFR 227.100(a)(2)(ii): 10 percent
    pub reg_cf_high_rate: Decimal,
    /// Most a non-accredited investor may buy in 12 months.
    // 17 CFR 227.100(a)(2)(ii): "not to exceed an amount sold of $124,000"
    pub reg_cf_cap: Decimal,
    /// Rate of the Regulation A Tier 2 limit.
    // 17 CFR 230.251(d)(2)(i)(C): "no more than ten percent (10%)"
    pub reg_a_rate: Decimal,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            reg_cf_threshold: dec(124_000, 0),
            reg_cf_floor: dec(2_500, 0),
            reg_cf_low_rate: dec(5, 2),
            reg_cf_high_rate: dec(10, 2),
            reg_cf_cap: dec(124_000, 0),
            reg_a_rate: dec(10, 2),
        }
    }
}

/// What the investor told the BD about their finances. Individuals use
/// income and net worth; entities revenue and net assets for the most
/// recent fiscal year. Any of them may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialProfile {
    /// Annual income (natural persons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_income: Option<Decimal>,
    /// Net worth (natural persons; the primary residence excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_worth: Option<Decimal>,
    /// Revenue for the most recent fiscal year (entities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_revenue: Option<Decimal>,
    /// Net assets at the most recent fiscal year end (entities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_assets: Option<Decimal>,
}

impl FinancialProfile {
    /// A natural person's profile.
    pub fn individual(annual_income: Option<Decimal>, net_worth: Option<Decimal>) -> Self {
        Self {
            annual_income,
            net_worth,
            ..Self::default()
        }
    }

    /// An entity's profile.
    pub fn entity(annual_revenue: Option<Decimal>, net_assets: Option<Decimal>) -> Self {
        Self {
            annual_revenue,
            net_assets,
            ..Self::default()
        }
    }

    /// The two figures a limit is based on for this investor type, with
    /// their field names.
    fn figures(&self, investor_type: InvestorType) -> [(&'static str, Option<Decimal>); 2] {
        match investor_type {
            InvestorType::Individual => [
                ("annual_income", self.annual_income),
                ("net_worth", self.net_worth),
            ],
            InvestorType::Entity => [
                ("annual_revenue", self.annual_revenue),
                ("net_assets", self.net_assets),
            ],
        }
    }
}

/// How much an investor may invest in 12 months under one regulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InvestmentLimit {
    /// No regulatory cap.
    Unlimited,
    /// At most `limit` over 12 months.
    Limited {
        /// The cap, in USD.
        limit: Decimal,
        /// The rule it comes from.
        rule: String,
    },
}

impl InvestmentLimit {
    /// The cap, if any.
    pub fn amount(&self) -> Option<Decimal> {
        match self {
            Self::Unlimited => None,
            Self::Limited { limit, .. } => Some(*limit),
        }
    }
}

fn non_negative(d: Decimal) -> Decimal {
    d.max(Decimal::ZERO)
}

/// A limit in whole cents, rounded down: a limit is a ceiling, and rounding
/// it up would let an investor exceed what the rule allows.
fn cents_down(d: Decimal) -> Decimal {
    let mut c = d.round_dp_with_strategy(2, RoundingStrategy::ToZero);
    c.rescale(2);
    c
}

fn missing(
    investor_type: InvestorType,
    names: &[&str],
    rule: &str,
    regulation: Regulation,
) -> Reason {
    Reason::new(
        ReasonCode::FinancialProfileMissing,
        format!(
            "{} needs the investor's {} to compute the investment limit of a non-accredited {}",
            regulation.as_str(),
            names.join(" and "),
            investor_type.as_str()
        ),
    )
    .with_rule(rule)
    .with_details(serde_json::json!({
        "regulation": regulation.as_str(),
        "missing": names,
    }))
}

/// The limit that applies to an investor: `Unlimited` for accredited
/// investors and for unlimited regulations, otherwise the computed cap, or
/// a `financial_profile_missing` reason when the figures are not known.
pub fn investment_limit(
    regulation: Regulation,
    investor_type: InvestorType,
    accredited: bool,
    profile: &FinancialProfile,
    config: &LimitConfig,
) -> Result<InvestmentLimit, Reason> {
    if accredited {
        return Ok(InvestmentLimit::Unlimited);
    }
    match regulation {
        Regulation::RegD506b | Regulation::RegD506c | Regulation::Registered => {
            Ok(InvestmentLimit::Unlimited)
        }
        Regulation::RegCf => {
            // The branch depends on both figures, so both are needed.
            let [(a_name, a), (b_name, b)] = profile.figures(investor_type);
            let (a, b) = match (a, b) {
                (Some(a), Some(b)) => (a, b),
                (a, b) => {
                    let names: Vec<&str> = [(a_name, a), (b_name, b)]
                        .into_iter()
                        .filter(|(_, v)| v.is_none())
                        .map(|(n, _)| n)
                        .collect();
                    return Err(missing(investor_type, &names, RULE_REG_CF, regulation));
                }
            };
            let greater = non_negative(a.max(b));
            let limit = if a < config.reg_cf_threshold || b < config.reg_cf_threshold {
                config.reg_cf_floor.max(greater * config.reg_cf_low_rate)
            } else {
                greater * config.reg_cf_high_rate
            };
            Ok(InvestmentLimit::Limited {
                limit: cents_down(limit.min(config.reg_cf_cap)),
                rule: RULE_REG_CF.to_owned(),
            })
        }
        Regulation::RegATier2 => {
            let [(a_name, a), (b_name, b)] = profile.figures(investor_type);
            let greater = match (a, b) {
                (None, None) => {
                    return Err(missing(
                        investor_type,
                        &[a_name, b_name],
                        RULE_REG_A,
                        regulation,
                    ));
                }
                (Some(x), None) | (None, Some(x)) => x,
                (Some(a), Some(b)) => a.max(b),
            };
            Ok(InvestmentLimit::Limited {
                limit: cents_down(non_negative(greater) * config.reg_a_rate),
                rule: RULE_REG_A.to_owned(),
            })
        }
    }
}

/// One investment-limit question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitCheck {
    /// The security's regulation.
    pub regulation: Regulation,
    /// Individual or entity.
    pub investor_type: InvestorType,
    /// Whether the investor holds a valid accreditation.
    pub accredited: bool,
    /// The investor's finances, as far as known.
    #[serde(default)]
    pub profile: FinancialProfile,
    /// Already invested under this regulation in the prior 12 months.
    pub prior_12m_amount: Decimal,
    /// The new order's amount.
    pub amount: Decimal,
}

/// Whether the new amount fits under the investor's limit. The limit may
/// be reached exactly ("not to exceed"); one cent more is refused with
/// `investment_limit_exceeded` and details `limit`, `used`, `requested`,
/// `remaining`.
pub fn check_investment_limit(check: &LimitCheck, config: &LimitConfig) -> Decision {
    let mut reasons = Vec::new();
    if check.amount <= Decimal::ZERO {
        reasons.push(
            Reason::new(
                ReasonCode::InvalidAmount,
                "the order amount must be positive",
            )
            .with_details(serde_json::json!({ "amount": amount_json(check.amount) })),
        );
    }
    if check.prior_12m_amount < Decimal::ZERO {
        reasons.push(
            Reason::new(
                ReasonCode::InvalidAmount,
                "the prior 12-month amount cannot be negative",
            )
            .with_details(
                serde_json::json!({ "prior_12m_amount": amount_json(check.prior_12m_amount) }),
            ),
        );
    }
    if !reasons.is_empty() {
        return Decision::from_reasons(reasons);
    }
    match investment_limit(
        check.regulation,
        check.investor_type,
        check.accredited,
        &check.profile,
        config,
    ) {
        Err(reason) => reasons.push(reason),
        Ok(InvestmentLimit::Unlimited) => {}
        Ok(InvestmentLimit::Limited { limit, rule }) => {
            let total = check.prior_12m_amount + check.amount;
            if total > limit {
                reasons.push(
                    Reason::new(
                        ReasonCode::InvestmentLimitExceeded,
                        format!(
                            "{} limits this investor to ${limit} in 12 months; ${} already invested, ${} requested",
                            check.regulation.as_str(),
                            check.prior_12m_amount,
                            check.amount
                        ),
                    )
                    .with_rule(&rule)
                    .with_details(serde_json::json!({
                        "regulation": check.regulation.as_str(),
                        "limit": amount_json(limit),
                        "used": amount_json(check.prior_12m_amount),
                        "requested": amount_json(check.amount),
                        "remaining": amount_json(cents_down(non_negative(limit - check.prior_12m_amount))),
                    })),
                );
            }
        }
    }
    Decision::from_reasons(reasons)
}
