//! A security's transfer restrictions.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::{add_days, add_months, iso_date};
use crate::{Lot, SecurityId};

pub use vocab::Regulation;

/// The rule that imposes a lot's holding period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldingRule {
    /// 17 CFR 230.144(d).
    Rule144,
    /// 17 CFR 227.501(a): Regulation Crowdfunding securities may not be transferred for one
    /// year (the exceptions, such as a transfer to an accredited investor, are the broker's
    /// compliance check, not the cap table's).
    RegCf501,
}

/// A holding period: how many months, under which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HoldingPeriod {
    /// Calendar months (see [`add_months`] for month ends).
    pub months: u32,
    /// The rule that imposes it.
    pub rule: HoldingRule,
}

/// What the transfer agent needs to know about a security to apply its restrictions.
/// Terms are fixed for the life of a ledger; a replay uses the terms given to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityTerms {
    /// Opaque id chosen by the caller (`ast_…`).
    pub id: SecurityId,
    /// The offering exemption or registration.
    pub regulation: Regulation,
    /// Whether the issuer files Exchange Act reports (shortens Rule 144(d) to six months).
    pub reporting_issuer: bool,
    /// Overrides the holding period in months; `Some(0)` means none.
    #[serde(default)]
    pub rule144_holding_months: Option<u32>,
    /// Last day of a lock-up. The day itself is locked: transfers are allowed from the day
    /// after (a lock-up "until June 30" means the holder may sell on July 1).
    #[serde(default, with = "iso_date::option")]
    pub lockup_until: Option<Date>,
    /// Length of the issuer's right of first refusal, in calendar days after the day the
    /// transfer was requested.
    #[serde(default)]
    pub rofr_days: Option<u32>,
}

impl SecurityTerms {
    /// Terms with no override, lock-up or right of first refusal.
    #[must_use]
    pub fn new(id: impl Into<SecurityId>, regulation: Regulation, reporting_issuer: bool) -> Self {
        Self {
            id: id.into(),
            regulation,
            reporting_issuer,
            rule144_holding_months: None,
            lockup_until: None,
            rofr_days: None,
        }
    }

    /// The holding period each lot must serve before it may be transferred, if any.
    #[must_use]
    pub fn holding_period(&self) -> Option<HoldingPeriod> {
        let (default_months, rule) = match self.regulation {
            // Registered shares are not "restricted securities" (230.144(a)(3)).
            Regulation::Registered => return None,
            // Regulation A securities are not restricted securities either (230.144(a)(3)
            // does not list them): no holding period unless the issuer imposes one.
            Regulation::RegATier2 => (0, HoldingRule::Rule144),
            // 17 CFR 227.501(a): one year, whatever the issuer's reporting status.
            Regulation::RegCf => (12, HoldingRule::RegCf501),
            // 17 CFR 230.144(d)(1)(i): six months for reporting issuers;
            // 17 CFR 230.144(d)(1)(ii): one year for non-reporting issuers.
            Regulation::RegD506b | Regulation::RegD506c => {
                if self.reporting_issuer {
                    (6, HoldingRule::Rule144)
                } else {
                    (12, HoldingRule::Rule144)
                }
            }
        };
        let months = self.rule144_holding_months.unwrap_or(default_months);
        (months > 0).then_some(HoldingPeriod { months, rule })
    }

    /// The first day the lot may be transferred under the holding period; `None` when the
    /// security has none. A lot is free *on* this day.
    #[must_use]
    pub fn free_on(&self, lot: &Lot) -> Option<Date> {
        self.holding_period()
            .map(|period| add_months(lot.holding_period_start, period.months))
    }

    /// Whether the lot is still serving its holding period on `on`.
    #[must_use]
    pub fn is_restricted(&self, lot: &Lot, on: Date) -> bool {
        self.free_on(lot).is_some_and(|free| on < free)
    }

    /// Whether a lock-up forbids transfers on `on` (the last day is included).
    #[must_use]
    pub fn is_locked_up(&self, on: Date) -> bool {
        self.lockup_until.is_some_and(|until| on <= until)
    }

    /// The last day of the right-of-first-refusal window for a transfer requested on
    /// `requested_on`: the transfer is pending through this day and lapses the day after.
    #[must_use]
    pub fn rofr_last_day(&self, requested_on: Date) -> Option<Date> {
        self.rofr_days.map(|days| add_days(requested_on, days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_holding_periods_follow_the_rules() {
        let months = |regulation, reporting| {
            SecurityTerms::new("ast_x", regulation, reporting)
                .holding_period()
                .map(|p| (p.months, p.rule))
        };
        assert_eq!(
            months(Regulation::RegD506b, false),
            Some((12, HoldingRule::Rule144))
        );
        assert_eq!(
            months(Regulation::RegD506c, true),
            Some((6, HoldingRule::Rule144))
        );
        assert_eq!(
            months(Regulation::RegCf, true),
            Some((12, HoldingRule::RegCf501))
        );
        assert_eq!(months(Regulation::RegATier2, false), None);
        assert_eq!(months(Regulation::Registered, false), None);
    }

    #[test]
    fn overrides_apply_except_to_registered_securities() {
        let mut terms = SecurityTerms::new("ast_x", Regulation::RegD506b, false);
        terms.rule144_holding_months = Some(3);
        assert_eq!(terms.holding_period().map(|p| p.months), Some(3));
        terms.rule144_holding_months = Some(0);
        assert_eq!(terms.holding_period(), None);
        terms.regulation = Regulation::Registered;
        terms.rule144_holding_months = Some(12);
        assert_eq!(terms.holding_period(), None);
    }

    #[test]
    fn regulation_names_match_the_api() {
        let json = serde_json::to_string(&[
            Regulation::RegD506b,
            Regulation::RegD506c,
            Regulation::RegATier2,
            Regulation::RegCf,
            Regulation::Registered,
        ])
        .unwrap();
        assert_eq!(
            json,
            r#"["reg_d_506b","reg_d_506c","reg_a_tier2","reg_cf","registered"]"#
        );
    }
}
