//! Pre-trade decisions for each regulation, and the eligibility summary.

use compliance::limits::FinancialProfile;
use compliance::pretrade::{
    AccreditationState, AccreditationStatusKind, KycStatus, PreTradeInput, PreTradePolicy,
    SanctionsStatus, eligibility, pre_trade_decision,
};
use compliance::{InvestorType, ReasonCode, Regulation, Side};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

const AS_OF: OffsetDateTime = datetime!(2025-06-15 14:00 UTC);

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn base(regulation: Regulation, side: Side) -> PreTradeInput {
    PreTradeInput {
        kyc: KycStatus::Approved,
        sanctions: SanctionsStatus::Clear,
        accreditation: AccreditationState::None,
        investor_type: InvestorType::Individual,
        regulation,
        side,
        amount: d("1000"),
        amount_unknown: false,
        prior_12m_amount: Decimal::ZERO,
        financial_profile: FinancialProfile::default(),
        as_of: AS_OF,
    }
}

fn decide(input: &PreTradeInput) -> compliance::Decision {
    pre_trade_decision(input, &PreTradePolicy::default())
}

fn valid_until(t: OffsetDateTime) -> AccreditationState {
    AccreditationState::Verified { expires_at: t }
}

#[test]
fn registered_security_needs_only_kyc_and_sanctions() {
    for side in [Side::Buy, Side::Sell] {
        let decision = decide(&base(Regulation::Registered, side));
        assert!(decision.approved, "{side:?}");
        assert!(decision.reasons.is_empty());
    }
}

#[test]
fn kyc_must_be_approved_for_everything() {
    let cases = [
        (KycStatus::None, ReasonCode::KycMissing),
        (KycStatus::Rejected, ReasonCode::KycRejected),
        (KycStatus::Review, ReasonCode::KycUnderReview),
    ];
    for regulation in [
        Regulation::Registered,
        Regulation::RegD506b,
        Regulation::RegCf,
    ] {
        for (kyc, code) in cases {
            let mut input = base(regulation, Side::Sell);
            input.kyc = kyc;
            let decision = decide(&input);
            assert!(!decision.approved);
            assert!(decision.has(code), "{regulation:?} {kyc:?}");
        }
    }
}

#[test]
fn sanctions_must_be_clear_for_everything() {
    let cases = [
        (SanctionsStatus::None, ReasonCode::SanctionsMissing),
        (SanctionsStatus::Hit, ReasonCode::SanctionsHit),
        (SanctionsStatus::Review, ReasonCode::SanctionsUnderReview),
    ];
    for (sanctions, code) in cases {
        let mut input = base(Regulation::Registered, Side::Buy);
        input.sanctions = sanctions;
        assert!(decide(&input).has(code));
    }
}

#[test]
fn every_failing_check_is_reported() {
    let mut input = base(Regulation::RegD506c, Side::Buy);
    input.kyc = KycStatus::None;
    input.sanctions = SanctionsStatus::Hit;
    let decision = decide(&input);
    let codes: Vec<ReasonCode> = decision.reasons.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        vec![
            ReasonCode::KycMissing,
            ReasonCode::SanctionsHit,
            ReasonCode::AccreditationRequired
        ]
    );
}

#[test]
fn reg_d_506c_needs_valid_accreditation() {
    let mut input = base(Regulation::RegD506c, Side::Buy);
    assert!(decide(&input).has(ReasonCode::AccreditationRequired));

    input.accreditation = valid_until(datetime!(2025-09-01 00:00 UTC));
    assert!(decide(&input).approved);

    for state in [
        AccreditationState::Review,
        AccreditationState::Rejected,
        AccreditationState::None,
    ] {
        input.accreditation = state;
        assert!(
            decide(&input).has(ReasonCode::AccreditationRequired),
            "{state:?}"
        );
    }
    input.accreditation = AccreditationState::Expired;
    assert!(decide(&input).has(ReasonCode::AccreditationExpired));
}

#[test]
fn accreditation_expiring_today_counts_until_its_instant() {
    let mut input = base(Regulation::RegD506c, Side::Buy);
    // Expires later today.
    input.accreditation = valid_until(datetime!(2025-06-15 23:59:59 UTC));
    assert!(decide(&input).approved);
    // Expires exactly now: no longer valid.
    input.accreditation = valid_until(AS_OF);
    let decision = decide(&input);
    assert!(decision.has(ReasonCode::AccreditationExpired));
    assert_eq!(
        decision.reasons[0]
            .details
            .as_ref()
            .map(|d| d["expires_at"].clone()),
        Some(json!("2025-06-15T14:00:00.000Z"))
    );
    // One nanosecond before.
    input.accreditation = valid_until(AS_OF + time::Duration::nanoseconds(1));
    assert!(decide(&input).approved);
    // Expired earlier today.
    input.accreditation = valid_until(datetime!(2025-06-15 00:00 UTC));
    assert!(decide(&input).has(ReasonCode::AccreditationExpired));
}

#[test]
fn reg_d_506c_sells_need_accreditation_unless_the_policy_relaxes_it() {
    let input = base(Regulation::RegD506c, Side::Sell);
    assert!(decide(&input).has(ReasonCode::AccreditationRequired));
    let relaxed = PreTradePolicy {
        require_accreditation_for_506c_sells: false,
        ..PreTradePolicy::default()
    };
    assert!(pre_trade_decision(&input, &relaxed).approved);
    // Buys still need it under the relaxed policy.
    assert!(!pre_trade_decision(&base(Regulation::RegD506c, Side::Buy), &relaxed).approved);
}

#[test]
fn reg_d_506b_allows_non_accredited_investors() {
    let mut input = base(Regulation::RegD506b, Side::Buy);
    input.amount = d("5000000");
    assert!(decide(&input).approved);
    input.kyc = KycStatus::Review;
    assert!(!decide(&input).approved);
}

#[test]
fn reg_cf_buys_apply_the_limit() {
    let mut input = base(Regulation::RegCf, Side::Buy);
    input.financial_profile = FinancialProfile::individual(Some(d("50000")), Some(d("80000"))); // limit 4,000
    input.prior_12m_amount = d("1000");
    input.amount = d("3000");
    assert!(decide(&input).approved);
    input.amount = d("3000.01");
    let decision = decide(&input);
    assert!(decision.has(ReasonCode::InvestmentLimitExceeded));
    let details = decision.reasons[0].details.clone().expect("details");
    assert_eq!(details["limit"], "4000.00");
    assert_eq!(details["used"], "1000");
    assert_eq!(details["requested"], "3000.01");
}

#[test]
fn limited_regulations_refuse_a_buy_without_a_profile() {
    for regulation in [Regulation::RegCf, Regulation::RegATier2] {
        let decision = decide(&base(regulation, Side::Buy));
        assert!(
            decision.has(ReasonCode::FinancialProfileMissing),
            "{regulation:?}"
        );
    }
}

#[test]
fn sells_do_not_consume_investment_limits() {
    for regulation in [Regulation::RegCf, Regulation::RegATier2] {
        let mut input = base(regulation, Side::Sell);
        input.amount = d("1000000");
        input.prior_12m_amount = d("1000000");
        assert!(decide(&input).approved, "{regulation:?}");
    }
}

#[test]
fn accredited_investors_have_no_limit_but_an_expired_accreditation_does_not_count() {
    let mut input = base(Regulation::RegATier2, Side::Buy);
    input.amount = d("10000000");
    input.accreditation = valid_until(datetime!(2025-07-01 00:00 UTC));
    assert!(decide(&input).approved);
    input.accreditation = valid_until(datetime!(2025-06-01 00:00 UTC));
    input.financial_profile = FinancialProfile::individual(Some(d("100000")), Some(d("300000")));
    let decision = decide(&input);
    assert!(decision.has(ReasonCode::InvestmentLimitExceeded));
    // Reg A does not need accreditation: being expired is not itself a reason.
    assert!(!decision.has(ReasonCode::AccreditationExpired));
}

#[test]
fn reg_a_tier2_entity_limit() {
    let mut input = base(Regulation::RegATier2, Side::Buy);
    input.investor_type = InvestorType::Entity;
    input.financial_profile = FinancialProfile::entity(Some(d("2000000")), Some(d("500000"))); // 200,000
    input.amount = d("200000");
    assert!(decide(&input).approved);
    input.amount = d("200000.01");
    assert!(decide(&input).has(ReasonCode::InvestmentLimitExceeded));
}

#[test]
fn a_non_positive_amount_is_refused() {
    let mut input = base(Regulation::Registered, Side::Buy);
    input.amount = Decimal::ZERO;
    assert!(decide(&input).has(ReasonCode::InvalidAmount));
    let mut input = base(Regulation::RegCf, Side::Buy);
    input.amount = d("-1");
    let decision = decide(&input);
    assert!(decision.has(ReasonCode::InvalidAmount));
    assert!(!decision.has(ReasonCode::FinancialProfileMissing));
}

#[test]
fn decision_and_input_json() {
    let input: PreTradeInput = serde_json::from_value(json!({
        "kyc": "approved",
        "sanctions": "clear",
        "accreditation": {"status": "verified", "expires_at": "2025-09-13T12:00:00Z"},
        "investor_type": "individual",
        "regulation": "reg_d_506c",
        "side": "buy",
        "amount": "187.50",
        "as_of": "2025-06-15T14:00:00.000Z"
    }))
    .expect("input");
    let decision = decide(&input);
    assert_eq!(
        serde_json::to_value(&decision).expect("json"),
        json!({"approved": true, "reasons": []})
    );

    let mut input = input;
    input.kyc = KycStatus::None;
    let value = serde_json::to_value(decide(&input)).expect("json");
    assert_eq!(value["approved"], false);
    assert_eq!(value["reasons"][0]["code"], "kyc_missing");
    assert!(value["reasons"][0]["message"].as_str().is_some());
}

#[test]
fn eligibility_summary() {
    let e = eligibility(
        KycStatus::Approved,
        SanctionsStatus::Clear,
        &valid_until(datetime!(2025-09-13 12:00 UTC)),
        AS_OF,
    );
    assert!(e.eligible);
    assert!(e.accredited);
    assert_eq!(
        serde_json::to_value(&e).expect("json"),
        json!({
            "kyc": "approved",
            "sanctions": "clear",
            "accreditation": {"status": "verified", "expires_at": "2025-09-13T12:00:00.000Z"},
            "accredited": true,
            "eligible": true,
            "reasons": []
        })
    );

    let e = eligibility(
        KycStatus::Review,
        SanctionsStatus::Hit,
        &valid_until(AS_OF),
        AS_OF,
    );
    assert!(!e.eligible);
    assert!(!e.accredited);
    assert_eq!(e.accreditation.status, AccreditationStatusKind::Expired);
    let codes: Vec<ReasonCode> = e.reasons.iter().map(|r| r.code).collect();
    assert_eq!(
        codes,
        vec![ReasonCode::KycUnderReview, ReasonCode::SanctionsHit]
    );

    let e = eligibility(
        KycStatus::Approved,
        SanctionsStatus::Clear,
        &AccreditationState::None,
        AS_OF,
    );
    assert!(e.eligible, "accreditation is not needed to be eligible");
    assert_eq!(
        serde_json::to_value(&e.accreditation).expect("json"),
        json!({"status": "none", "expires_at": null})
    );
}

#[test]
fn an_unknown_amount_refuses_a_limited_buy_of_a_non_accredited_investor() {
    for (regulation, rule) in [
        (Regulation::RegCf, "17 CFR 227.100(a)(2)"),
        (Regulation::RegATier2, "17 CFR 230.251(d)(2)(i)(C)"),
    ] {
        let mut input = base(regulation, Side::Buy);
        input.financial_profile = FinancialProfile::individual(Some(d("50000")), Some(d("80000")));
        input.amount = d("1000000000"); // far above the limit: ignored, it is not the amount
        input.amount_unknown = true;
        let decision = decide(&input);
        let codes: Vec<ReasonCode> = decision.reasons.iter().map(|r| r.code).collect();
        assert_eq!(codes, vec![ReasonCode::PriceUnknown], "{regulation:?}");
        assert_eq!(decision.reasons[0].rule.as_deref(), Some(rule));
        assert_eq!(ReasonCode::PriceUnknown.as_str(), "price_unknown");

        // A missing profile is said first.
        input.financial_profile = FinancialProfile::default();
        let codes: Vec<ReasonCode> = decide(&input).reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            vec![
                ReasonCode::FinancialProfileMissing,
                ReasonCode::PriceUnknown
            ]
        );

        // Accredited: no limit, nothing to measure.
        input.accreditation = valid_until(datetime!(2025-09-13 12:00 UTC));
        assert!(decide(&input).approved, "{regulation:?}");

        // Sells and unlimited regulations do not need the amount.
        let mut sell = base(regulation, Side::Sell);
        sell.amount_unknown = true;
        assert!(decide(&sell).approved);
    }
    let mut input = base(Regulation::RegD506b, Side::Buy);
    input.amount_unknown = true;
    input.amount = Decimal::ZERO;
    assert!(
        decide(&input).approved,
        "an unknown amount is not a zero amount"
    );
}
