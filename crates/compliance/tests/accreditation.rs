//! Accreditation: every method valid and invalid, every threshold at one
//! cent below / equal / one cent above, date windows, validation errors.

use compliance::accreditation::{
    AccreditationConfig, AccreditationDecision, AccreditationMethod, AccreditationStatus,
    EntityAssetsEvidence, Evidence, FieldErrorCode, IncomeEvidence, License, NetWorthEvidence,
    ProfessionalCertificationEvidence, ThirdPartyLetterEvidence, VerifierType, months_before,
    plausible_crd_number, verify,
};
use compliance::{InvestorType, ReasonCode};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-06-15 12:00 UTC);
const TODAY: Date = date!(2025 - 06 - 15);

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn cfg() -> AccreditationConfig {
    AccreditationConfig::default()
}

fn income(years: [&str; 2], joint: bool) -> Evidence {
    Evidence::Income(IncomeEvidence {
        annual_income: years.iter().map(|y| d(y)).collect(),
        joint_with_spouse: joint,
        documents_dated: TODAY,
        expects_same_income_current_year: None,
    })
}

fn net_worth(amount: &str, dated: Date) -> Evidence {
    Evidence::NetWorth(NetWorthEvidence {
        net_worth: d(amount),
        documents_dated: dated,
    })
}

fn letter(verifier_type: VerifierType, dated: Date) -> Evidence {
    Evidence::ThirdPartyLetter(ThirdPartyLetterEvidence {
        verifier_type,
        letter_dated: dated,
    })
}

fn professional(license: License, crd: &str) -> Evidence {
    Evidence::ProfessionalCertification(ProfessionalCertificationEvidence {
        license,
        crd_number: crd.to_owned(),
        good_standing: None,
    })
}

fn entity_assets(amount: &str) -> Evidence {
    Evidence::EntityAssets(EntityAssetsEvidence {
        total_assets: d(amount),
    })
}

fn individual(e: &Evidence) -> AccreditationDecision {
    verify(InvestorType::Individual, e, NOW, &cfg())
}

fn status(decision: &AccreditationDecision) -> AccreditationStatus {
    decision.status()
}

// ---------------------------------------------------------------- income

#[test]
fn income_individual_threshold_is_strictly_above_200k() {
    let below = individual(&income(["199999.99", "199999.99"], false));
    let equal = individual(&income(["200000", "200000"], false));
    let above = individual(&income(["200000.01", "200000.01"], false));
    assert!(below.has(ReasonCode::IncomeBelowThreshold));
    assert!(equal.has(ReasonCode::IncomeBelowThreshold));
    assert_eq!(status(&above), AccreditationStatus::Verified);
}

#[test]
fn income_must_exceed_the_threshold_in_each_year() {
    let first_year_low = individual(&income(["200000", "500000"], false));
    let second_year_low = individual(&income(["500000", "200000"], false));
    assert!(first_year_low.has(ReasonCode::IncomeBelowThreshold));
    assert!(second_year_low.has(ReasonCode::IncomeBelowThreshold));
    let reason = &first_year_low.reasons()[0];
    assert_eq!(reason.rule.as_deref(), Some("17 CFR 230.501(a)(6)"));
    assert_eq!(
        reason
            .details
            .as_ref()
            .map(|d| d["years_not_above"].clone()),
        Some(json!([0]))
    );
}

#[test]
fn income_joint_threshold_is_strictly_above_300k() {
    let below = individual(&income(["299999.99", "299999.99"], true));
    let equal = individual(&income(["300000", "300000"], true));
    let above = individual(&income(["300000.01", "300000.01"], true));
    assert!(below.has(ReasonCode::IncomeBelowThreshold));
    assert!(equal.has(ReasonCode::IncomeBelowThreshold));
    assert_eq!(status(&above), AccreditationStatus::Verified);
}

#[test]
fn joint_income_uses_only_the_joint_threshold() {
    // 250k joint is above the individual line but the amounts are joint income.
    let joint = individual(&income(["250000", "250000"], true));
    assert!(joint.has(ReasonCode::IncomeBelowThreshold));
}

#[test]
fn verified_runs_for_the_configured_validity() {
    match individual(&income(["250000", "260000"], false)) {
        AccreditationDecision::Verified {
            verified_at,
            expires_at,
        } => {
            assert_eq!(verified_at, NOW);
            assert_eq!(expires_at, datetime!(2025-09-13 12:00 UTC));
        }
        other => panic!("expected verified, got {other:?}"),
    }
    let short = AccreditationConfig {
        validity: time::Duration::days(30),
        ..cfg()
    };
    match verify(
        InvestorType::Individual,
        &income(["250000", "260000"], false),
        NOW,
        &short,
    ) {
        AccreditationDecision::Verified { expires_at, .. } => {
            assert_eq!(expires_at, NOW + time::Duration::days(30))
        }
        other => panic!("expected verified, got {other:?}"),
    }
}

#[test]
fn income_falling_close_to_the_threshold_goes_to_review() {
    // Review line is 200,000 × 1.10 = 220,000.
    let at_line = individual(&income(["400000", "220000"], false));
    let just_above_line = individual(&income(["400000", "220000.01"], false));
    let rising = individual(&income(["210000", "215000"], false));
    assert_eq!(status(&at_line), AccreditationStatus::Review);
    assert!(at_line.has(ReasonCode::IncomeDeclining));
    assert_eq!(status(&just_above_line), AccreditationStatus::Verified);
    assert_eq!(status(&rising), AccreditationStatus::Verified);

    let no_review = AccreditationConfig {
        income_review_margin: None,
        ..cfg()
    };
    let decision = verify(
        InvestorType::Individual,
        &income(["400000", "210000"], false),
        NOW,
        &no_review,
    );
    assert_eq!(status(&decision), AccreditationStatus::Verified);
}

#[test]
fn a_rejection_outranks_a_review() {
    let mut e = IncomeEvidence {
        annual_income: vec![d("400000"), d("210000")],
        joint_with_spouse: false,
        documents_dated: date!(2024 - 01 - 01),
        expects_same_income_current_year: None,
    };
    let decision = individual(&Evidence::Income(e.clone()));
    assert_eq!(status(&decision), AccreditationStatus::Rejected);
    assert!(decision.has(ReasonCode::EvidenceStale));
    assert!(!decision.has(ReasonCode::IncomeDeclining));

    e.documents_dated = TODAY;
    e.expects_same_income_current_year = Some(false);
    let decision = individual(&Evidence::Income(e));
    assert!(decision.has(ReasonCode::IncomeExpectationNotMet));
    assert_eq!(status(&decision), AccreditationStatus::Rejected);
}

#[test]
fn income_expectation_representation() {
    let mut e = IncomeEvidence {
        annual_income: vec![d("300000"), d("350000")],
        joint_with_spouse: false,
        documents_dated: TODAY,
        expects_same_income_current_year: Some(true),
    };
    assert_eq!(
        status(&individual(&Evidence::Income(e.clone()))),
        AccreditationStatus::Verified
    );
    e.expects_same_income_current_year = Some(false);
    assert!(individual(&Evidence::Income(e)).has(ReasonCode::IncomeExpectationNotMet));
}

// ---------------------------------------------------------------- net worth

#[test]
fn net_worth_threshold_is_strictly_above_1m() {
    assert!(individual(&net_worth("999999.99", TODAY)).has(ReasonCode::NetWorthBelowThreshold));
    let equal = individual(&net_worth("1000000", TODAY));
    assert!(equal.has(ReasonCode::NetWorthBelowThreshold));
    assert_eq!(
        equal.reasons()[0].rule.as_deref(),
        Some("17 CFR 230.501(a)(5)")
    );
    assert_eq!(
        status(&individual(&net_worth("1000000.01", TODAY))),
        AccreditationStatus::Verified
    );
}

#[test]
fn evidence_exactly_three_months_old_is_accepted_one_day_older_is_not() {
    // 15 June minus three calendar months is 15 March.
    assert_eq!(
        status(&individual(&net_worth("2000000", date!(2025 - 03 - 15)))),
        AccreditationStatus::Verified
    );
    let stale = individual(&net_worth("2000000", date!(2025 - 03 - 14)));
    assert!(stale.has(ReasonCode::EvidenceStale));
    assert_eq!(
        stale.reasons()[0].rule.as_deref(),
        Some("17 CFR 230.506(c)(2)(ii)(B)")
    );
    assert_eq!(
        stale.reasons()[0]
            .details
            .as_ref()
            .map(|d| d["oldest_accepted"].clone()),
        Some(json!("2025-03-15"))
    );
}

#[test]
fn future_dated_evidence_is_refused_today_is_accepted() {
    assert_eq!(
        status(&individual(&net_worth("2000000", TODAY))),
        AccreditationStatus::Verified
    );
    let future = individual(&net_worth("2000000", date!(2025 - 06 - 16)));
    assert!(future.has(ReasonCode::EvidenceFutureDated));
    assert_eq!(status(&future), AccreditationStatus::Rejected);
}

#[test]
fn today_is_the_utc_date_of_now() {
    // 23:30 in New York on 14 June is already 15 June in UTC.
    let late = datetime!(2025-06-15 03:30 UTC);
    let e = net_worth("2000000", date!(2025 - 06 - 15));
    assert_eq!(
        status(&verify(InvestorType::Individual, &e, late, &cfg())),
        AccreditationStatus::Verified
    );
}

#[test]
fn month_end_window_clamps_to_the_shorter_month() {
    let end_of_may = datetime!(2025-05-31 09:00 UTC);
    let ok = net_worth("2000000", date!(2025 - 02 - 28));
    let stale = net_worth("2000000", date!(2025 - 02 - 27));
    assert_eq!(
        status(&verify(InvestorType::Individual, &ok, end_of_may, &cfg())),
        AccreditationStatus::Verified
    );
    assert!(
        verify(InvestorType::Individual, &stale, end_of_may, &cfg()).has(ReasonCode::EvidenceStale)
    );
}

#[test]
fn stale_and_below_threshold_are_both_reported() {
    let decision = individual(&net_worth("500000", date!(2024 - 12 - 01)));
    assert!(decision.has(ReasonCode::EvidenceStale));
    assert!(decision.has(ReasonCode::NetWorthBelowThreshold));
    assert_eq!(decision.reasons().len(), 2);
}

#[test]
fn income_documents_follow_the_same_window() {
    let mut e = IncomeEvidence {
        annual_income: vec![d("250000"), d("260000")],
        joint_with_spouse: false,
        documents_dated: date!(2025 - 03 - 15),
        expects_same_income_current_year: None,
    };
    assert_eq!(
        status(&individual(&Evidence::Income(e.clone()))),
        AccreditationStatus::Verified
    );
    e.documents_dated = date!(2025 - 03 - 14);
    assert!(individual(&Evidence::Income(e.clone())).has(ReasonCode::EvidenceStale));
    e.documents_dated = date!(2025 - 06 - 16);
    assert!(individual(&Evidence::Income(e)).has(ReasonCode::EvidenceFutureDated));
}

// ---------------------------------------------------------------- professional certification

#[test]
fn each_qualifying_licence_with_a_plausible_crd_is_verified() {
    for license in [License::Series7, License::Series65, License::Series82] {
        let decision = individual(&professional(license, "1234567"));
        assert_eq!(
            status(&decision),
            AccreditationStatus::Verified,
            "{license:?}"
        );
    }
}

#[test]
fn implausible_crd_numbers_are_rejected() {
    for crd in ["12AB567", "0000000", "12345678901", "12-34567", "１２３"] {
        let decision = individual(&professional(License::Series7, crd));
        assert!(decision.has(ReasonCode::CrdNumberInvalid), "{crd}");
        assert_eq!(
            decision.reasons()[0].rule.as_deref(),
            Some("17 CFR 230.501(a)(10)")
        );
    }
    assert!(plausible_crd_number("361"));
    assert!(plausible_crd_number("1234567890"));
    assert!(!plausible_crd_number(""));
}

#[test]
fn licence_not_in_good_standing_is_rejected() {
    let e = Evidence::ProfessionalCertification(ProfessionalCertificationEvidence {
        license: License::Series65,
        crd_number: "7654321".into(),
        good_standing: Some(false),
    });
    assert!(individual(&e).has(ReasonCode::LicenseNotInGoodStanding));
}

// ---------------------------------------------------------------- third-party letter

#[test]
fn every_verifier_type_is_accepted_for_individuals_and_entities() {
    for v in [
        VerifierType::BrokerDealer,
        VerifierType::InvestmentAdviser,
        VerifierType::Attorney,
        VerifierType::Cpa,
    ] {
        for t in [InvestorType::Individual, InvestorType::Entity] {
            let decision = verify(t, &letter(v, date!(2025 - 05 - 01)), NOW, &cfg());
            assert_eq!(
                status(&decision),
                AccreditationStatus::Verified,
                "{v:?} {t:?}"
            );
        }
    }
}

#[test]
fn letter_date_window() {
    assert_eq!(
        status(&individual(&letter(
            VerifierType::Cpa,
            date!(2025 - 03 - 15)
        ))),
        AccreditationStatus::Verified
    );
    let stale = individual(&letter(VerifierType::Cpa, date!(2025 - 03 - 14)));
    assert!(stale.has(ReasonCode::EvidenceStale));
    assert_eq!(
        stale.reasons()[0].rule.as_deref(),
        Some("17 CFR 230.506(c)(2)(ii)(C)")
    );
    assert!(
        individual(&letter(VerifierType::Attorney, date!(2025 - 07 - 01)))
            .has(ReasonCode::EvidenceFutureDated)
    );
}

// ---------------------------------------------------------------- entity assets

#[test]
fn entity_assets_threshold_is_strictly_above_5m() {
    let entity = |a: &str| verify(InvestorType::Entity, &entity_assets(a), NOW, &cfg());
    assert!(entity("4999999.99").has(ReasonCode::EntityAssetsBelowThreshold));
    let equal = entity("5000000");
    assert!(equal.has(ReasonCode::EntityAssetsBelowThreshold));
    assert_eq!(
        equal.reasons()[0].rule.as_deref(),
        Some("17 CFR 230.501(a)(3), (a)(7), (a)(9)")
    );
    assert_eq!(status(&entity("5000000.01")), AccreditationStatus::Verified);
}

// ---------------------------------------------------------------- who may use which method

#[test]
fn individual_methods_are_refused_for_entities_and_vice_versa() {
    let individual_only = [
        income(["900000", "900000"], false),
        net_worth("9000000", TODAY),
        professional(License::Series7, "1234567"),
    ];
    for e in &individual_only {
        let decision = verify(InvestorType::Entity, e, NOW, &cfg());
        assert!(
            decision.has(ReasonCode::MethodNotApplicable),
            "{:?}",
            e.method()
        );
        assert_eq!(decision.reasons().len(), 1);
    }
    let decision = verify(
        InvestorType::Individual,
        &entity_assets("90000000"),
        NOW,
        &cfg(),
    );
    assert!(decision.has(ReasonCode::MethodNotApplicable));
    assert!(AccreditationMethod::ThirdPartyLetter.applies_to(InvestorType::Entity));
    assert!(AccreditationMethod::ThirdPartyLetter.applies_to(InvestorType::Individual));
}

// ---------------------------------------------------------------- parsing and validation

#[test]
fn parses_every_method_from_api_json() {
    let cases = [
        json!({"method": "income", "evidence": {"annual_income": ["250000.00", 260000], "joint_with_spouse": false, "documents_dated": "2025-06-01"}}),
        json!({"method": "net_worth", "evidence": {"net_worth": "1500000", "documents_dated": "2025-06-01"}}),
        json!({"method": "professional_certification", "evidence": {"license": "series_65", "crd_number": "1234567"}}),
        json!({"method": "third_party_letter", "evidence": {"verifier_type": "investment_adviser", "letter_dated": "2025-06-01"}}),
        json!({"method": "entity_assets", "evidence": {"total_assets": 7500000.5}}),
    ];
    for body in cases {
        let e = Evidence::from_request(&body).unwrap_or_else(|err| panic!("{body}: {err}"));
        assert_eq!(e.method().as_str(), body["method"]);
        // The typed evidence serialises back to the same shape.
        let back = serde_json::to_value(&e).expect("serialise");
        assert_eq!(back["method"], body["method"]);
        let again: Evidence = serde_json::from_value(back).expect("round trip");
        assert_eq!(again, e);
    }
}

#[test]
fn json_numbers_are_exact_decimals() {
    let body = json!({"method": "net_worth", "evidence": {"net_worth": 1000000.01, "documents_dated": "2025-06-01"}});
    match Evidence::from_request(&body).expect("valid") {
        Evidence::NetWorth(e) => assert_eq!(e.net_worth, d("1000000.01")),
        other => panic!("{other:?}"),
    }
    let body: serde_json::Value =
        serde_json::from_str(r#"{"method":"income","evidence":{"annual_income":[200000.000000000000001,"200000.01"],"documents_dated":"2025-06-01"}}"#)
            .expect("json");
    match Evidence::from_request(&body).expect("valid") {
        Evidence::Income(e) => assert_eq!(e.annual_income[0].to_string(), "200000.000000000000001"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dates_accept_a_full_timestamp_too() {
    let e = Evidence::parse(
        "net_worth",
        &json!({"net_worth": "2000000", "documents_dated": "2025-06-01T10:00:00Z"}),
    )
    .expect("valid");
    assert_eq!(e, net_worth("2000000", date!(2025 - 06 - 01)));
}

#[test]
fn missing_evidence_names_the_field() {
    let err = Evidence::from_request(&json!({"method": "net_worth"})).expect_err("missing");
    assert!(err.names("evidence"));
    assert_eq!(err.errors[0].code, FieldErrorCode::Required);

    let err = Evidence::parse("net_worth", &json!({"documents_dated": "2025-06-01"}))
        .expect_err("missing");
    assert!(err.names("evidence.net_worth"));

    let err = Evidence::parse("entity_assets", &json!({})).expect_err("missing");
    assert!(err.names("evidence.total_assets"));

    let err = Evidence::parse("third_party_letter", &json!({"verifier_type": null}))
        .expect_err("missing");
    assert!(err.names("evidence.verifier_type"));
    assert!(err.names("evidence.letter_dated"));

    let err = Evidence::parse(
        "professional_certification",
        &json!({"license": "series_7", "crd_number": "  "}),
    )
    .expect_err("empty");
    assert!(err.names("evidence.crd_number"));

    let err = Evidence::from_request(&json!({"evidence": {}})).expect_err("no method");
    assert!(err.names("method"));
}

#[test]
fn wrong_number_of_income_years_is_a_validation_error() {
    for years in [
        json!([]),
        json!(["300000"]),
        json!(["300000", "300000", "300000"]),
    ] {
        let err = Evidence::parse(
            "income",
            &json!({"annual_income": years, "documents_dated": "2025-06-01"}),
        )
        .expect_err("wrong count");
        assert_eq!(err.errors[0].field, "evidence.annual_income");
        assert_eq!(err.errors[0].code, FieldErrorCode::WrongCount);
    }
    let err = Evidence::parse(
        "income",
        &json!({"annual_income": "300000", "documents_dated": "2025-06-01"}),
    )
    .expect_err("not a list");
    assert_eq!(err.errors[0].code, FieldErrorCode::Invalid);
}

#[test]
fn negative_amounts_are_validation_errors_naming_the_field() {
    let err = Evidence::parse(
        "income",
        &json!({"annual_income": ["300000", "-1"], "documents_dated": "2025-06-01"}),
    )
    .expect_err("negative");
    assert_eq!(err.errors[0].field, "evidence.annual_income[1]");
    assert_eq!(err.errors[0].code, FieldErrorCode::Negative);

    let err = Evidence::parse(
        "net_worth",
        &json!({"net_worth": "-0.01", "documents_dated": "2025-06-01"}),
    )
    .expect_err("negative");
    assert!(err.names("evidence.net_worth"));
    let err = Evidence::parse("entity_assets", &json!({"total_assets": -5})).expect_err("negative");
    assert_eq!(err.errors[0].code, FieldErrorCode::Negative);
}

#[test]
fn invalid_values_are_reported_all_at_once() {
    let err = Evidence::parse(
        "income",
        &json!({"annual_income": ["abc", "300000"], "joint_with_spouse": "yes", "documents_dated": "15/06/2025"}),
    )
    .expect_err("invalid");
    assert!(err.names("evidence.annual_income[0]"));
    assert!(err.names("evidence.joint_with_spouse"));
    assert!(err.names("evidence.documents_dated"));
    assert_eq!(err.errors.len(), 3);

    let err = Evidence::parse(
        "professional_certification",
        &json!({"license": "series_63", "crd_number": "1"}),
    )
    .expect_err("licence");
    assert!(err.names("evidence.license"));
    let err = Evidence::parse(
        "third_party_letter",
        &json!({"verifier_type": "notary", "letter_dated": "2025-06-01"}),
    )
    .expect_err("verifier");
    assert!(err.names("evidence.verifier_type"));
    let err = Evidence::parse("lottery_win", &json!({})).expect_err("method");
    assert!(err.names("method"));
    let err = Evidence::parse("net_worth", &json!([1, 2])).expect_err("not an object");
    assert!(err.names("evidence"));
}

#[test]
fn typed_structs_accept_strings_or_numbers_and_iso_dates() {
    let e: NetWorthEvidence =
        serde_json::from_value(json!({"net_worth": 1500000.5, "documents_dated": "2025-06-01"}))
            .expect("typed");
    assert_eq!(e.net_worth, d("1500000.5"));
    assert_eq!(e.documents_dated, date!(2025 - 06 - 01));
    let e: IncomeEvidence = serde_json::from_value(
        json!({"annual_income": ["210000.10", 220000], "joint_with_spouse": true, "documents_dated": "2025-05-30"}),
    )
    .expect("typed");
    assert_eq!(e.annual_income, vec![d("210000.10"), d("220000")]);
    assert_eq!(
        serde_json::to_value(&e).expect("json"),
        json!({"annual_income": ["210000.10", "220000"], "joint_with_spouse": true, "documents_dated": "2025-05-30"})
    );
    let bad = serde_json::from_value::<ThirdPartyLetterEvidence>(
        json!({"verifier_type": "cpa", "letter_dated": "June 1"}),
    );
    assert!(bad.is_err());
}

#[test]
fn crd_number_may_arrive_as_a_number() {
    let e = Evidence::parse(
        "professional_certification",
        &json!({"license": "series_82", "crd_number": 1234567}),
    )
    .expect("valid");
    assert_eq!(e, professional(License::Series82, "1234567"));
}

#[test]
fn serde_deserialize_applies_the_same_validation() {
    let bad = serde_json::from_value::<Evidence>(
        json!({"method": "income", "evidence": {"annual_income": ["1"], "documents_dated": "2025-06-01"}}),
    );
    let msg = bad.expect_err("invalid").to_string();
    assert!(msg.contains("evidence.annual_income"), "{msg}");
}

#[test]
fn decision_json_shape() {
    let verified = serde_json::to_value(individual(&net_worth("2000000", TODAY))).expect("json");
    assert_eq!(
        verified,
        json!({"status": "verified", "verified_at": "2025-06-15T12:00:00.000Z", "expires_at": "2025-09-13T12:00:00.000Z"})
    );
    let rejected = serde_json::to_value(individual(&net_worth("1000000", TODAY))).expect("json");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reasons"][0]["code"], "net_worth_below_threshold");
    assert_eq!(rejected["reasons"][0]["rule"], "17 CFR 230.501(a)(5)");
    assert_eq!(rejected["reasons"][0]["details"]["threshold"], "1000000");
    assert_eq!(rejected["reasons"][0]["details"]["net_worth"], "1000000");
    let back: AccreditationDecision = serde_json::from_value(rejected).expect("round trip");
    assert_eq!(back.status(), AccreditationStatus::Rejected);
}

#[test]
fn months_before_examples() {
    assert_eq!(
        months_before(date!(2025 - 06 - 15), 3),
        date!(2025 - 03 - 15)
    );
    assert_eq!(
        months_before(date!(2025 - 05 - 31), 3),
        date!(2025 - 02 - 28)
    );
    assert_eq!(
        months_before(date!(2024 - 05 - 31), 3),
        date!(2024 - 02 - 29)
    );
    assert_eq!(
        months_before(date!(2025 - 02 - 10), 3),
        date!(2024 - 11 - 10)
    );
    assert_eq!(
        months_before(date!(2025 - 01 - 31), 12),
        date!(2024 - 01 - 31)
    );
}

proptest! {
    #[test]
    fn net_worth_verified_exactly_when_above_threshold(cents in 0u64..300_000_000) {
        let amount = Decimal::new(cents as i64, 2);
        let e = Evidence::NetWorth(NetWorthEvidence { net_worth: amount, documents_dated: TODAY });
        let verified = individual(&e).status() == AccreditationStatus::Verified;
        prop_assert_eq!(verified, amount > Decimal::new(1_000_000, 0));
    }

    #[test]
    fn months_before_goes_back_and_stays_within_the_month(days in 0i64..20_000, months in 0u32..36) {
        let date = date!(1990 - 01 - 01) + time::Duration::days(days);
        let back = months_before(date, months);
        prop_assert!(back <= date);
        let month_diff = (date.year() - back.year()) * 12 + i32::from(u8::from(date.month())) - i32::from(u8::from(back.month()));
        prop_assert_eq!(month_diff, months as i32);
    }
}
