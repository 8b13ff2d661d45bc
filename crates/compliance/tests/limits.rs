//! Investment limits: Reg CF and Reg A Tier 2 examples, boundaries, missing
//! profiles.

use compliance::limits::{
    FinancialProfile, InvestmentLimit, LimitCheck, LimitConfig, check_investment_limit,
    investment_limit,
};
use compliance::{InvestorType, ReasonCode, Regulation};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn person(income: &str, net_worth: &str) -> FinancialProfile {
    FinancialProfile::individual(Some(d(income)), Some(d(net_worth)))
}

fn limit(regulation: Regulation, t: InvestorType, profile: &FinancialProfile) -> Decimal {
    match investment_limit(regulation, t, false, profile, &LimitConfig::default()) {
        Ok(InvestmentLimit::Limited { limit, .. }) => limit,
        other => panic!("expected a limit, got {other:?}"),
    }
}

fn reg_cf(income: &str, net_worth: &str) -> Decimal {
    limit(
        Regulation::RegCf,
        InvestorType::Individual,
        &person(income, net_worth),
    )
}

fn reg_a(income: &str, net_worth: &str) -> Decimal {
    limit(
        Regulation::RegATier2,
        InvestorType::Individual,
        &person(income, net_worth),
    )
}

#[test]
fn reg_cf_examples() {
    // Either below $124,000: greater of $2,500 or 5% of the greater figure.
    assert_eq!(reg_cf("30000", "40000"), d("2500.00"));
    assert_eq!(reg_cf("50000", "80000"), d("4000.00"));
    assert_eq!(reg_cf("80000", "50000"), d("4000.00"));
    assert_eq!(reg_cf("80000", "150000"), d("7500.00"));
    assert_eq!(reg_cf("150000", "80000"), d("7500.00"));
    // Both at least $124,000: 10% of the greater figure.
    assert_eq!(reg_cf("150000", "150000"), d("15000.00"));
    assert_eq!(reg_cf("250000", "900000"), d("90000.00"));
    assert_eq!(reg_cf("250000", "250000"), d("25000.00"));
    assert_eq!(reg_cf("250000", "100000"), d("12500.00"));
    // ...capped at $124,000.
    assert_eq!(reg_cf("250000", "2000000"), d("124000.00"));
    assert_eq!(reg_cf("1240000", "124000"), d("124000.00"));
}

#[test]
fn reg_cf_branch_boundary_at_124k() {
    // Both exactly $124,000: the 10% branch.
    assert_eq!(reg_cf("124000", "124000"), d("12400.00"));
    // One cent below on either figure: the 5% branch.
    assert_eq!(reg_cf("123999.99", "124000"), d("6200.00"));
    assert_eq!(reg_cf("124000", "123999.99"), d("6200.00"));
    assert_eq!(reg_cf("124000.01", "124000.01"), d("12400.00"));
}

#[test]
fn reg_cf_floor_boundary_at_50k() {
    // 5% of 50,000 is exactly the $2,500 floor.
    assert_eq!(reg_cf("49999.99", "10000"), d("2500.00"));
    assert_eq!(reg_cf("50000", "10000"), d("2500.00"));
    assert_eq!(reg_cf("50000.20", "10000"), d("2500.01"));
}

#[test]
fn reg_cf_cap_applies_to_the_lower_branch_too() {
    // 5% of 10,000,000 would be 500,000; the 12-month cap still holds.
    assert_eq!(reg_cf("10000000", "100000"), d("124000.00"));
}

#[test]
fn reg_cf_negative_figures_fall_back_to_the_floor() {
    assert_eq!(reg_cf("-50000", "-10"), d("2500.00"));
}

#[test]
fn reg_cf_entities_use_revenue_and_net_assets() {
    let entity = FinancialProfile::entity(Some(d("2000000")), Some(d("500000")));
    assert_eq!(
        limit(Regulation::RegCf, InvestorType::Entity, &entity),
        d("124000.00")
    );
    let small = FinancialProfile::entity(Some(d("100000")), Some(d("60000")));
    assert_eq!(
        limit(Regulation::RegCf, InvestorType::Entity, &small),
        d("5000.00")
    );
}

#[test]
fn reg_a_examples() {
    assert_eq!(reg_a("100000", "300000"), d("30000.00"));
    assert_eq!(reg_a("300000", "100000"), d("30000.00"));
    assert_eq!(reg_a("50000", "20000"), d("5000.00"));
    assert_eq!(reg_a("0", "0"), d("0.00"));
    let entity = FinancialProfile::entity(Some(d("2000000")), Some(d("500000")));
    assert_eq!(
        limit(Regulation::RegATier2, InvestorType::Entity, &entity),
        d("200000.00")
    );
}

#[test]
fn reg_a_uses_the_known_figure_when_only_one_is_known() {
    let p = FinancialProfile::individual(Some(d("100000")), None);
    assert_eq!(
        limit(Regulation::RegATier2, InvestorType::Individual, &p),
        d("10000.00")
    );
    let p = FinancialProfile::entity(None, Some(d("700000")));
    assert_eq!(
        limit(Regulation::RegATier2, InvestorType::Entity, &p),
        d("70000.00")
    );
}

#[test]
fn limits_are_whole_cents_rounded_down() {
    // 10% of 123,456.789 is 12,345.6789: the limit is 12,345.67, never .68.
    assert_eq!(reg_a("123456.789", "0"), d("12345.67"));
    assert_eq!(reg_a("123456.789", "0").to_string(), "12345.67");
}

#[test]
fn accredited_and_unlimited_regulations() {
    let cfg = LimitConfig::default();
    let none = FinancialProfile::default();
    for r in [Regulation::RegCf, Regulation::RegATier2] {
        assert_eq!(
            investment_limit(r, InvestorType::Individual, true, &none, &cfg),
            Ok(InvestmentLimit::Unlimited)
        );
    }
    for r in [
        Regulation::RegD506b,
        Regulation::RegD506c,
        Regulation::Registered,
    ] {
        assert_eq!(
            investment_limit(r, InvestorType::Individual, false, &none, &cfg),
            Ok(InvestmentLimit::Unlimited)
        );
    }
}

#[test]
fn missing_profile_is_refused_naming_what_is_missing() {
    let cfg = LimitConfig::default();
    let only_income = FinancialProfile::individual(Some(d("90000")), None);
    let reason = investment_limit(
        Regulation::RegCf,
        InvestorType::Individual,
        false,
        &only_income,
        &cfg,
    )
    .expect_err("missing net worth");
    assert_eq!(reason.code, ReasonCode::FinancialProfileMissing);
    assert_eq!(
        reason.details.as_ref().map(|d| d["missing"].clone()),
        Some(serde_json::json!(["net_worth"]))
    );
    assert_eq!(reason.rule.as_deref(), Some("17 CFR 227.100(a)(2)"));

    let reason = investment_limit(
        Regulation::RegATier2,
        InvestorType::Entity,
        false,
        &FinancialProfile::default(),
        &cfg,
    )
    .expect_err("nothing known");
    assert_eq!(
        reason.details.as_ref().map(|d| d["missing"].clone()),
        Some(serde_json::json!(["annual_revenue", "net_assets"]))
    );
    assert_eq!(reason.rule.as_deref(), Some("17 CFR 230.251(d)(2)(i)(C)"));

    // An individual's income does not stand in for an entity's revenue.
    let reason = investment_limit(
        Regulation::RegCf,
        InvestorType::Entity,
        false,
        &person("500000", "500000"),
        &cfg,
    )
    .expect_err("entity figures missing");
    assert_eq!(reason.code, ReasonCode::FinancialProfileMissing);
}

fn check(
    regulation: Regulation,
    profile: FinancialProfile,
    prior: &str,
    amount: &str,
) -> compliance::Decision {
    check_investment_limit(
        &LimitCheck {
            regulation,
            investor_type: InvestorType::Individual,
            accredited: false,
            profile,
            prior_12m_amount: d(prior),
            amount: d(amount),
        },
        &LimitConfig::default(),
    )
}

#[test]
fn the_limit_may_be_reached_exactly_but_not_passed() {
    // Limit 4,000.00 (income 50k, net worth 80k).
    let p = person("50000", "80000");
    assert!(check(Regulation::RegCf, p.clone(), "1000", "2999.99").approved);
    assert!(check(Regulation::RegCf, p.clone(), "1000", "3000").approved);
    let over = check(Regulation::RegCf, p, "1000", "3000.01");
    assert!(!over.approved);
    let reason = &over.reasons[0];
    assert_eq!(reason.code, ReasonCode::InvestmentLimitExceeded);
    let details = reason.details.as_ref().expect("details");
    assert_eq!(details["limit"], "4000.00");
    assert_eq!(details["used"], "1000");
    assert_eq!(details["requested"], "3000.01");
    assert_eq!(details["remaining"], "3000.00");
}

#[test]
fn reg_a_boundary() {
    let p = person("100000", "300000"); // limit 30,000.00
    assert!(check(Regulation::RegATier2, p.clone(), "20000", "10000").approved);
    assert!(!check(Regulation::RegATier2, p.clone(), "20000", "10000.01").approved);
    assert!(check(Regulation::RegATier2, p, "0", "29999.99").approved);
}

#[test]
fn prior_investments_already_over_the_limit_leave_nothing() {
    let over = check(Regulation::RegCf, person("50000", "80000"), "5000", "0.01");
    assert!(over.has(ReasonCode::InvestmentLimitExceeded));
    assert_eq!(
        over.reasons[0]
            .details
            .as_ref()
            .map(|d| d["remaining"].clone()),
        Some(serde_json::json!("0.00"))
    );
}

#[test]
fn amounts_must_be_positive() {
    assert!(
        check(Regulation::RegCf, person("50000", "80000"), "0", "0").has(ReasonCode::InvalidAmount)
    );
    assert!(
        check(Regulation::RegCf, person("50000", "80000"), "0", "-5")
            .has(ReasonCode::InvalidAmount)
    );
    assert!(
        check(Regulation::RegCf, person("50000", "80000"), "-1", "5")
            .has(ReasonCode::InvalidAmount)
    );
}

#[test]
fn thresholds_are_configurable() {
    // A future inflation adjustment changes only the configuration.
    let cfg = LimitConfig {
        reg_cf_threshold: d("130000"),
        reg_cf_floor: d("2600"),
        reg_cf_cap: d("130000"),
        ..LimitConfig::default()
    };
    let p = person("125000", "125000");
    match investment_limit(Regulation::RegCf, InvestorType::Individual, false, &p, &cfg) {
        Ok(InvestmentLimit::Limited { limit, .. }) => assert_eq!(limit, d("6250.00")),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn reg_cf_limit_is_between_floor_and_cap(income in 0u64..100_000_000u64, net_worth in 0u64..100_000_000u64) {
        let l = reg_cf(&income.to_string(), &net_worth.to_string());
        prop_assert!(l >= d("2500"));
        prop_assert!(l <= d("124000"));
    }

    #[test]
    fn approval_matches_the_arithmetic(prior in 0u64..50_000u64, amount in 1u64..50_000u64) {
        // Limit 15,000.00 (both figures 150,000).
        let decision = check(Regulation::RegCf, person("150000", "150000"), &prior.to_string(), &amount.to_string());
        prop_assert_eq!(decision.approved, prior + amount <= 15_000);
    }
}
