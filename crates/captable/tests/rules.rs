//! Each rule of the engine and its boundaries, through the public API.

mod common;

use captable::{
    Action, ConversionScope, DisposalKind, DividendDeclaration, HoldingTerm, Ledger,
    QuantityProblem, RatioError, Refusal, RefusalKind, Regulation, SecurityTerms, TransferStatus,
};
use common::*;
use rust_decimal::Decimal;
use time::macros::date;
use time::{Date, Duration};

// ----- issuance, FIFO and realised gains -----------------------------------------------------

#[test]
fn fifo_transfer_consumes_oldest_lots_and_records_a_gain_per_lot() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2022 - 01 - 10),
        issuance("ast_1", "inv_a", "100", "10"),
    );
    book.apply(
        "ca_2",
        date!(2022 - 06 - 01),
        issuance("ast_1", "inv_a", "50", "12"),
    );
    book.apply(
        "ca_3",
        date!(2023 - 01 - 01),
        issuance("ast_1", "inv_a", "80", "15"),
    );

    let outcome = book.apply(
        "trf_1",
        date!(2023 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "170", "20"),
    );

    let transfer = outcome.transfer.as_ref().unwrap();
    assert_eq!(transfer.status, TransferStatus::Recorded);
    let lines: Vec<_> = outcome
        .disposals
        .iter()
        .map(|g| {
            (
                g.lot_id.as_str(),
                g.quantity,
                g.proceeds,
                g.cost_basis,
                g.gain,
                g.term,
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                "ca_1/0",
                d("100"),
                d("2000"),
                d("1000"),
                d("1000"),
                HoldingTerm::Long
            ),
            (
                "ca_2/0",
                d("50"),
                d("1000"),
                d("600"),
                d("400"),
                HoldingTerm::Short
            ),
            (
                "ca_3/0",
                d("20"),
                d("400"),
                d("300"),
                d("100"),
                HoldingTerm::Short
            ),
        ]
    );
    assert!(
        outcome
            .disposals
            .iter()
            .all(|g| g.disposed_on == date!(2023 - 03 - 01))
    );
    assert_eq!(outcome.disposals[0].acquired_at, date!(2022 - 01 - 10));
    assert!(matches!(
        &outcome.disposals[0].kind,
        DisposalKind::Transfer { transfer_id, to_investor_id }
            if transfer_id == "trf_1" && to_investor_id == "inv_b"
    ));

    // The seller keeps the rest of the newest lot with the rest of its basis.
    let seller = book.ledger.holding("inv_a", "ast_1").unwrap();
    assert_eq!(seller.lots.len(), 1);
    assert_eq!(seller.lots[0].id, "ca_3/0");
    assert_eq!(seller.lots[0].quantity, d("60"));
    assert_eq!(seller.lots[0].cost_basis, d("900"));
    assert_eq!(seller.lots[0].cost_per_share(), d("15"));

    // The buyer has one lot at the transfer price and date.
    let buyer = book.ledger.holding("inv_b", "ast_1").unwrap();
    assert_eq!(buyer.lots.len(), 1);
    assert_eq!(buyer.lots[0].id, "trf_1/0");
    assert_eq!(buyer.lots[0].acquired_at, date!(2023 - 03 - 01));
    assert_eq!(buyer.lots[0].quantity, d("170"));
    assert_eq!(buyer.lots[0].cost_per_share(), d("20"));
    assert_eq!(buyer.cost_basis, d("3400"));
}

#[test]
fn long_term_starts_the_day_after_the_first_anniversary() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2023 - 03 - 15),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    let out = book.apply(
        "trf_1",
        date!(2024 - 03 - 15),
        transfer("ast_1", "inv_a", "inv_b", "5", "2"),
    );
    assert_eq!(out.disposals[0].term, HoldingTerm::Short);
    let out = book.apply(
        "trf_2",
        date!(2024 - 03 - 16),
        transfer("ast_1", "inv_a", "inv_b", "5", "2"),
    );
    assert_eq!(out.disposals[0].term, HoldingTerm::Long);
}

#[test]
fn backdated_issuances_are_inserted_in_fifo_order() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 05 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    let mut old = issuance("ast_1", "inv_a", "20", "0.5");
    if let Action::Issuance { acquired_at, .. } = &mut old {
        *acquired_at = Some(date!(2020 - 01 - 01));
    }
    book.apply("ca_2", date!(2024 - 05 - 02), old);
    let ids: Vec<_> = book
        .ledger
        .lots("inv_a", "ast_1")
        .iter()
        .map(|l| l.id.clone())
        .collect();
    assert_eq!(ids, ["ca_2/0", "ca_1/0"]);

    let mut future = issuance("ast_1", "inv_a", "1", "1");
    if let Action::Issuance { acquired_at, .. } = &mut future {
        *acquired_at = Some(date!(2024 - 06 - 01));
    }
    assert!(matches!(
        book.refuse("ca_3", date!(2024 - 05 - 02), future),
        Refusal::AcquiredInFuture { .. }
    ));
}

// ----- validation -----------------------------------------------------------------------------

#[test]
fn invalid_quantities_and_prices_are_refused() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    for (quantity, problem) in [
        ("0", QuantityProblem::NotPositive),
        ("-5", QuantityProblem::NotPositive),
        ("1.5", QuantityProblem::NotWhole),
        ("1000000000000001", QuantityProblem::TooLarge),
    ] {
        let refusal = book.refuse(
            "trf_x",
            date!(2024 - 01 - 02),
            transfer("ast_1", "inv_a", "inv_b", quantity, "1"),
        );
        assert_eq!(
            refusal,
            Refusal::InvalidQuantity {
                quantity: d(quantity),
                problem
            }
        );
        assert_eq!(refusal.kind(), RefusalKind::Invalid);
        assert!(matches!(
            book.refuse(
                "ca_x",
                date!(2024 - 01 - 02),
                issuance("ast_1", "inv_a", quantity, "1")
            ),
            Refusal::InvalidQuantity { .. }
        ));
    }
    assert!(matches!(
        book.refuse("trf_x", date!(2024 - 01 - 02), transfer("ast_1", "inv_a", "inv_b", "1", "-0.01")),
        Refusal::InvalidAmount { field, .. } if field == "price_per_share"
    ));
    assert!(matches!(
        book.refuse(
            "trf_x",
            date!(2024 - 01 - 02),
            transfer("ast_1", "inv_a", "inv_a", "1", "1")
        ),
        Refusal::SameInvestor { .. }
    ));
    assert!(matches!(
        book.refuse(
            "trf_x",
            date!(2024 - 01 - 02),
            transfer("ast_nope", "inv_a", "inv_b", "1", "1")
        ),
        Refusal::UnknownSecurity { .. }
    ));
    assert!(matches!(
        book.refuse(
            "trf_x",
            date!(2024 - 01 - 02),
            transfer("ast_1", "", "inv_b", "1", "1")
        ),
        Refusal::EmptyId { .. }
    ));
    // Zero is a valid price (a gift).
    book.apply(
        "trf_gift",
        date!(2024 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "1", "0"),
    );
}

#[test]
fn insufficient_holdings_name_available_and_requested() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    let refusal = book.refuse(
        "trf_1",
        date!(2024 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "101", "1"),
    );
    assert_eq!(
        refusal,
        Refusal::InsufficientHoldings {
            security_id: "ast_1".into(),
            investor_id: "inv_a".into(),
            held: d("100"),
            reserved: d("0"),
            available: d("100"),
            requested: d("101"),
        }
    );
    assert_eq!(refusal.kind(), RefusalKind::InsufficientHoldings);
    assert!(matches!(
        book.refuse(
            "trf_2",
            date!(2024 - 01 - 02),
            transfer("ast_1", "inv_c", "inv_b", "1", "1")
        ),
        Refusal::InsufficientHoldings { .. }
    ));
}

#[test]
fn entries_may_not_go_back_in_time() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 10),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 10),
        issuance("ast_1", "inv_a", "1", "1"),
    );
    let refusal = book.refuse(
        "ca_3",
        date!(2024 - 01 - 09),
        issuance("ast_1", "inv_a", "1", "1"),
    );
    assert_eq!(
        refusal,
        Refusal::OutOfOrder {
            last_effective_on: date!(2024 - 01 - 10),
            effective_on: date!(2024 - 01 - 09)
        }
    );
}

// ----- Rule 144 -------------------------------------------------------------------------------

fn rule144_case(days_held: i64) -> Result<(), Refusal> {
    let on = date!(2025 - 06 - 15);
    let acquired = on - Duration::days(days_held);
    let mut book = Book::new(vec![restricted("ast_1")]);
    book.apply("ca_1", acquired, issuance("ast_1", "inv_a", "100", "1"));
    book.try_apply("trf_1", on, transfer("ast_1", "inv_a", "inv_b", "100", "2"))
        .map(|_| ())
}

#[test]
fn rule144_twelve_months_364_days_is_refused_366_is_allowed() {
    let refusal = rule144_case(364).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Rule144HoldingPeriod {
            lot_id: "ca_1/0".into(),
            acquired_at: date!(2024 - 06 - 16),
            holding_period_start: date!(2024 - 06 - 16),
            free_on: date!(2025 - 06 - 16),
        }
    );
    assert_eq!(refusal.kind(), RefusalKind::Restricted);
    assert_eq!(rule144_case(366), Ok(()));
    // Exactly twelve calendar months: free on that day.
    assert_eq!(rule144_case(365), Ok(()));
}

#[test]
fn rule144_free_on_day_is_exact_and_transferable_quantity_follows_it() {
    let mut book = Book::new(vec![restricted("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 02 - 10),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    let t = |on: Date| {
        book.ledger
            .transferable_quantity("inv_a", "ast_1", on, Decimal::ZERO)
    };
    assert_eq!(t(date!(2025 - 02 - 09)), d("0"));
    assert_eq!(t(date!(2025 - 02 - 10)), d("100"));
    let detail = book
        .ledger
        .transferability("inv_a", "ast_1", date!(2025 - 02 - 09), d("30"))
        .unwrap();
    assert_eq!(
        (detail.held, detail.restricted, detail.transferable),
        (d("100"), d("100"), d("0"))
    );
    // The caller's own reservations (open sell orders) come off too.
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_a", "ast_1", date!(2025 - 02 - 10), d("30")),
        d("70")
    );
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_a", "ast_1", date!(2025 - 02 - 10), d("300")),
        d("0")
    );
}

#[test]
fn reporting_issuers_wait_six_months_and_the_period_can_be_overridden() {
    let mut terms = SecurityTerms::new("ast_r", Regulation::RegD506c, true);
    let mut book = Book::new(vec![terms.clone()]);
    book.apply(
        "ca_1",
        date!(2024 - 03 - 10),
        issuance("ast_r", "inv_a", "10", "1"),
    );
    assert!(matches!(
        book.refuse("trf_1", date!(2024 - 09 - 09), transfer("ast_r", "inv_a", "inv_b", "1", "1")),
        Refusal::Rule144HoldingPeriod { free_on, .. } if free_on == date!(2024 - 09 - 10)
    ));
    book.apply(
        "trf_2",
        date!(2024 - 09 - 10),
        transfer("ast_r", "inv_a", "inv_b", "1", "1"),
    );

    terms.rule144_holding_months = Some(24);
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2024 - 03 - 10),
        issuance("ast_r", "inv_a", "10", "1"),
    );
    assert!(matches!(
        book.refuse("trf_1", date!(2026 - 03 - 09), transfer("ast_r", "inv_a", "inv_b", "1", "1")),
        Refusal::Rule144HoldingPeriod { free_on, .. } if free_on == date!(2026 - 03 - 10)
    ));
}

#[test]
fn month_end_acquisitions_roll_over_to_the_first_of_the_next_month() {
    let mut terms = restricted("ast_1");
    terms.rule144_holding_months = Some(1);
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 31),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    assert!(matches!(
        book.refuse("trf_1", date!(2025 - 02 - 28), transfer("ast_1", "inv_a", "inv_b", "1", "1")),
        Refusal::Rule144HoldingPeriod { free_on, .. } if free_on == date!(2025 - 03 - 01)
    ));
    book.apply(
        "trf_2",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "1", "1"),
    );
}

#[test]
fn refused_transfer_names_the_restricted_lot_it_needs() {
    let mut book = Book::new(vec![restricted("ast_1")]);
    book.apply(
        "ca_1",
        date!(2023 - 01 - 05),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 05),
        issuance("ast_1", "inv_a", "50", "2"),
    );
    book.apply(
        "ca_3",
        date!(2024 - 03 - 05),
        issuance("ast_1", "inv_a", "50", "3"),
    );
    let on = date!(2024 - 06 - 01);
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_a", "ast_1", on, Decimal::ZERO),
        d("100")
    );
    let refusal = book.refuse("trf_1", on, transfer("ast_1", "inv_a", "inv_b", "120", "5"));
    assert_eq!(
        refusal,
        Refusal::Rule144HoldingPeriod {
            lot_id: "ca_2/0".into(),
            acquired_at: date!(2024 - 01 - 05),
            holding_period_start: date!(2024 - 01 - 05),
            free_on: date!(2025 - 01 - 05),
        }
    );
    book.apply("trf_2", on, transfer("ast_1", "inv_a", "inv_b", "100", "5"));
}

#[test]
fn registered_and_reg_a_securities_have_no_holding_period_reg_cf_has_one_year() {
    let mut book = Book::new(vec![
        registered("ast_reg"),
        SecurityTerms::new("ast_a", Regulation::RegATier2, false),
        SecurityTerms::new("ast_cf", Regulation::RegCf, false),
    ]);
    let on = date!(2024 - 01 - 01);
    for security in ["ast_reg", "ast_a", "ast_cf"] {
        book.apply(
            &format!("ca_{security}"),
            on,
            issuance(security, "inv_a", "10", "1"),
        );
    }
    book.apply("trf_1", on, transfer("ast_reg", "inv_a", "inv_b", "1", "1"));
    book.apply("trf_2", on, transfer("ast_a", "inv_a", "inv_b", "1", "1"));
    assert!(matches!(
        book.refuse("trf_3", date!(2024 - 12 - 31), transfer("ast_cf", "inv_a", "inv_b", "1", "1")),
        Refusal::RegCfResaleRestriction { free_on, .. } if free_on == date!(2025 - 01 - 01)
    ));
    book.apply(
        "trf_4",
        date!(2025 - 01 - 01),
        transfer("ast_cf", "inv_a", "inv_b", "1", "1"),
    );
}

#[test]
fn buyers_tack_the_sellers_holding_period_unless_the_seller_is_an_affiliate() {
    let mut book = Book::new(vec![restricted("ast_1")]);
    book.apply(
        "ca_1",
        date!(2023 - 01 - 01),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    let on = date!(2024 - 02 - 01);
    book.apply("trf_1", on, transfer("ast_1", "inv_a", "inv_b", "10", "3"));
    let lot = &book.ledger.lots("inv_b", "ast_1")[0];
    assert_eq!(lot.acquired_at, on);
    assert_eq!(lot.holding_period_start, date!(2023 - 01 - 01));
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_b", "ast_1", on, Decimal::ZERO),
        d("10")
    );

    let mut affiliate_sale = transfer("ast_1", "inv_a", "inv_c", "10", "3");
    if let Action::Transfer {
        seller_is_affiliate,
        ..
    } = &mut affiliate_sale
    {
        *seller_is_affiliate = true;
    }
    book.apply("trf_2", on, affiliate_sale);
    assert_eq!(
        book.ledger.lots("inv_c", "ast_1")[0].holding_period_start,
        on
    );
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_c", "ast_1", on, Decimal::ZERO),
        d("0")
    );
}

// ----- lock-up --------------------------------------------------------------------------------

#[test]
fn lockup_day_itself_is_locked() {
    let mut terms = registered("ast_1");
    terms.lockup_until = Some(date!(2025 - 06 - 30));
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    let refusal = book.refuse(
        "trf_1",
        date!(2025 - 06 - 30),
        transfer("ast_1", "inv_a", "inv_b", "1", "1"),
    );
    assert_eq!(
        refusal,
        Refusal::Lockup {
            security_id: "ast_1".into(),
            until: date!(2025 - 06 - 30)
        }
    );
    let t = |on| {
        book.ledger
            .transferable_quantity("inv_a", "ast_1", on, Decimal::ZERO)
    };
    assert_eq!(t(date!(2025 - 06 - 30)), d("0"));
    assert_eq!(t(date!(2025 - 07 - 01)), d("100"));
    book.apply(
        "trf_2",
        date!(2025 - 07 - 01),
        transfer("ast_1", "inv_a", "inv_b", "1", "1"),
    );
}

#[test]
fn issuer_redemptions_ignore_lockups_and_holding_periods() {
    let mut terms = restricted("ast_1");
    terms.lockup_until = Some(date!(2030 - 01 - 01));
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "100", "1"),
    );
    book.apply(
        "ca_2",
        date!(2025 - 02 - 01),
        redemption("ast_1", "inv_a", "40", "2"),
    );
    assert_eq!(book.quantity("inv_a", "ast_1"), d("60"));
}

// ----- right of first refusal -----------------------------------------------------------------

fn rofr_book() -> Book {
    let mut terms = registered("ast_1");
    terms.rofr_days = Some(30);
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "60", "10"),
    );
    book.apply(
        "ca_2",
        date!(2025 - 02 - 01),
        issuance("ast_1", "inv_a", "40", "20"),
    );
    book
}

#[test]
fn rofr_transfer_waits_and_reserves_the_sellers_shares() {
    let mut book = rofr_book();
    let out = book.apply(
        "trf_1",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "70", "30"),
    );
    let status = out.transfer.unwrap();
    assert_eq!(status.status, TransferStatus::PendingRofr);
    assert_eq!(status.rofr_last_day, Some(date!(2025 - 03 - 31)));
    assert!(out.positions.is_empty() && out.disposals.is_empty());
    assert_eq!(book.quantity("inv_a", "ast_1"), d("100"));
    assert_eq!(book.quantity("inv_b", "ast_1"), d("0"));
    let holding = book.ledger.holding("inv_a", "ast_1").unwrap();
    assert_eq!(holding.reserved_rofr, d("70"));
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_a", "ast_1", date!(2025 - 03 - 02), Decimal::ZERO),
        d("30")
    );

    // Reserved shares cannot go elsewhere: not by transfer, not by redemption.
    assert!(matches!(
        book.refuse("trf_2", date!(2025 - 03 - 02), transfer("ast_1", "inv_a", "inv_c", "31", "30")),
        Refusal::InsufficientHoldings { reserved, available, .. } if reserved == d("70") && available == d("30")
    ));
    assert!(matches!(
        book.refuse(
            "ca_3",
            date!(2025 - 03 - 02),
            redemption("ast_1", "inv_a", "31", "1")
        ),
        Refusal::InsufficientHoldings { .. }
    ));
    assert!(matches!(
        book.refuse(
            "trf_1",
            date!(2025 - 03 - 02),
            transfer("ast_1", "inv_a", "inv_c", "1", "30")
        ),
        Refusal::DuplicateTransfer { .. }
    ));
    // Nor be changed by a split.
    assert!(matches!(
        book.refuse("ca_4", date!(2025 - 03 - 02), split("ast_1", "2:1", None)),
        Refusal::PendingRofr { transfer_ids, .. } if transfer_ids == ["trf_1"]
    ));
    // The unreserved rest can go.
    book.apply(
        "trf_3",
        date!(2025 - 03 - 02),
        transfer("ast_1", "inv_a", "inv_c", "30", "30"),
    );
    assert_eq!(book.ledger.pending_transfers().count(), 2);
}

#[test]
fn rofr_lapse_is_refused_on_the_last_day_and_recorded_the_day_after() {
    let mut book = rofr_book();
    book.apply(
        "trf_1",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "70", "30"),
    );
    let lapse = || Action::RofrLapse {
        transfer_id: "trf_1".into(),
    };
    assert!(
        book.ledger
            .lapsed_transfers(date!(2025 - 03 - 31))
            .is_empty()
    );
    let refusal = book.refuse("trf_1_lapse", date!(2025 - 03 - 31), lapse());
    assert_eq!(
        refusal,
        Refusal::RofrWindowOpen {
            transfer_id: "trf_1".into(),
            last_day: date!(2025 - 03 - 31)
        }
    );
    assert_eq!(book.ledger.lapsed_transfers(date!(2025 - 04 - 01)).len(), 1);
    let out = book.apply("trf_1_lapse", date!(2025 - 04 - 01), lapse());
    assert_eq!(out.transfer.unwrap().status, TransferStatus::Recorded);
    // Recorded as of the lapse: gains and the buyer's lot carry that date.
    assert!(
        out.disposals
            .iter()
            .all(|g| g.disposed_on == date!(2025 - 04 - 01))
    );
    assert_eq!(out.disposals.len(), 2);
    assert_eq!(out.disposals[0].gain, d("1200")); // 60 × (30 − 10)
    assert_eq!(out.disposals[1].gain, d("100")); // 10 × (30 − 20)
    let buyer = book.ledger.holding("inv_b", "ast_1").unwrap();
    assert_eq!(buyer.lots[0].acquired_at, date!(2025 - 04 - 01));
    assert_eq!(buyer.lots[0].id, "trf_1_lapse/0");
    assert_eq!(book.quantity("inv_a", "ast_1"), d("30"));
    assert_eq!(book.ledger.pending_transfers().count(), 0);
    assert!(matches!(
        book.refuse("trf_1_again", date!(2025 - 04 - 02), lapse()),
        Refusal::TransferNotPending { .. }
    ));
}

#[test]
fn rofr_waive_records_the_transfer_at_the_waiver() {
    let mut book = rofr_book();
    book.apply(
        "trf_1",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "70", "30"),
    );
    let out = book.apply(
        "trf_1_waive",
        date!(2025 - 03 - 10),
        Action::RofrWaive {
            transfer_id: "trf_1".into(),
        },
    );
    assert_eq!(out.transfer.unwrap().status, TransferStatus::Recorded);
    assert_eq!(book.quantity("inv_b", "ast_1"), d("70"));
    assert_eq!(
        book.ledger.lots("inv_b", "ast_1")[0].acquired_at,
        date!(2025 - 03 - 10)
    );
}

#[test]
fn rofr_exercise_is_a_redemption_and_the_buyer_gets_nothing() {
    let mut book = rofr_book();
    book.apply(
        "trf_1",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "70", "30"),
    );
    let exercise = || Action::RofrExercise {
        transfer_id: "trf_1".into(),
    };
    let out = book.apply("trf_1_ex", date!(2025 - 03 - 31), exercise());
    assert_eq!(out.transfer.unwrap().status, TransferStatus::RofrExercised);
    assert!(out.disposals.iter().all(
        |g| matches!(&g.kind, DisposalKind::RofrExercise { transfer_id } if transfer_id == "trf_1")
    ));
    assert_eq!(
        out.disposals.iter().map(|g| g.proceeds).sum::<Decimal>(),
        d("2100")
    );
    assert_eq!(book.quantity("inv_a", "ast_1"), d("30"));
    assert_eq!(book.quantity("inv_b", "ast_1"), d("0"));
    let totals = book.ledger.totals("ast_1").unwrap();
    assert_eq!((totals.issued, totals.redeemed), (d("100"), d("70")));
    assert_eq!(book.ledger.outstanding("ast_1"), d("30"));
}

#[test]
fn rofr_exercise_after_the_window_is_refused() {
    let mut book = rofr_book();
    book.apply(
        "trf_1",
        date!(2025 - 03 - 01),
        transfer("ast_1", "inv_a", "inv_b", "70", "30"),
    );
    let refusal = book.refuse(
        "trf_1_ex",
        date!(2025 - 04 - 01),
        Action::RofrExercise {
            transfer_id: "trf_1".into(),
        },
    );
    assert_eq!(
        refusal,
        Refusal::RofrWindowClosed {
            transfer_id: "trf_1".into(),
            last_day: date!(2025 - 03 - 31)
        }
    );
}

#[test]
fn rofr_request_is_checked_like_a_transfer() {
    let mut terms = restricted("ast_1");
    terms.rofr_days = Some(10);
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    assert!(matches!(
        book.refuse(
            "trf_1",
            date!(2025 - 06 - 01),
            transfer("ast_1", "inv_a", "inv_b", "5", "1")
        ),
        Refusal::Rule144HoldingPeriod { .. }
    ));
    assert!(matches!(
        book.refuse(
            "trf_1",
            date!(2026 - 06 - 01),
            transfer("ast_1", "inv_a", "inv_b", "11", "1")
        ),
        Refusal::InsufficientHoldings { .. }
    ));
}

#[test]
fn rofr_release_that_fails_the_recheck_rejects_the_transfer() {
    // A stored reservation on shares that are not free (e.g. written before a terms change):
    // at the waiver the re-check fails, the transfer is rejected and the reservation freed.
    let mut terms = restricted("ast_1");
    terms.rofr_days = Some(30);
    let mut book = Book::new(vec![terms.clone()]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    let mut snapshot = book.ledger.snapshot();
    snapshot.pending_transfers.push(captable::PendingTransfer {
        transfer_id: "trf_1".into(),
        security_id: "ast_1".into(),
        from_investor_id: "inv_a".into(),
        to_investor_id: "inv_b".into(),
        quantity: d("10"),
        price_per_share: d("2"),
        seller_is_affiliate: false,
        requested_on: date!(2025 - 02 - 01),
        last_day: date!(2025 - 03 - 03),
    });
    let mut ledger = Ledger::from_snapshot(snapshot).unwrap();
    let out = ledger
        .apply(&entry(
            "trf_1_waive",
            date!(2025 - 02 - 10),
            Action::RofrWaive {
                transfer_id: "trf_1".into(),
            },
        ))
        .unwrap();
    let result = out.transfer.unwrap();
    assert_eq!(result.status, TransferStatus::Rejected);
    assert!(matches!(
        result.rejection,
        Some(Refusal::Rule144HoldingPeriod { .. })
    ));
    assert!(out.positions.is_empty());
    assert_eq!(ledger.pending_transfers().count(), 0);
    assert_eq!(ledger.holding("inv_a", "ast_1").unwrap().quantity, d("10"));
}

#[test]
fn rofr_window_of_zero_days_lapses_the_next_day() {
    let mut terms = registered("ast_1");
    terms.rofr_days = Some(0);
    let mut book = Book::new(vec![terms]);
    book.apply(
        "ca_1",
        date!(2025 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    let out = book.apply(
        "trf_1",
        date!(2025 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "5", "1"),
    );
    assert_eq!(
        out.transfer.unwrap().rofr_last_day,
        Some(date!(2025 - 01 - 02))
    );
    let lapse = || Action::RofrLapse {
        transfer_id: "trf_1".into(),
    };
    book.refuse("l1", date!(2025 - 01 - 02), lapse());
    book.apply("l2", date!(2025 - 01 - 03), lapse());
}

// ----- splits and reverse splits --------------------------------------------------------------

#[test]
fn irs_split_example_keeps_the_total_basis() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 05 - 01),
        issuance("ast_1", "inv_a", "100", "10"),
    );
    let out = book.apply("ca_2", date!(2024 - 01 - 01), split("ast_1", "2:1", None));
    assert!(out.cash_in_lieu.is_empty() && out.disposals.is_empty());
    let lot = &book.ledger.lots("inv_a", "ast_1")[0];
    assert_eq!(lot.id, "ca_1/0");
    assert_eq!(lot.acquired_at, date!(2020 - 05 - 01));
    assert_eq!(lot.quantity, d("200"));
    assert_eq!(lot.cost_basis, d("1000"));
    assert_eq!(lot.cost_per_share(), d("5"));
    let totals = book.ledger.totals("ast_1").unwrap();
    assert_eq!(
        (totals.issued, totals.split_adjustment),
        (d("100"), d("100"))
    );
}

#[test]
fn reverse_split_pays_the_holders_fraction_from_the_newest_lot() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "60", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "45", "2"),
    );
    book.apply(
        "ca_3",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_b", "7", "1"),
    );
    let out = book.apply(
        "ca_4",
        date!(2024 - 06 - 01),
        reverse_split("ast_1", "1:10", Some("30")),
    );

    let lots: Vec<_> = book
        .ledger
        .lots("inv_a", "ast_1")
        .iter()
        .map(|l| (l.id.as_str(), l.acquired_at, l.quantity, l.cost_basis))
        .collect();
    assert_eq!(
        lots,
        vec![
            ("ca_1/0", date!(2020 - 01 - 01), d("6"), d("60")),
            ("ca_2/0", date!(2024 - 01 - 01), d("4"), d("80")),
        ]
    );
    // inv_a: 10.5 → 10 shares + 0.5 × $30; inv_b: 0.7 → nothing left, 0.7 × $30.
    let cash: Vec<_> = out
        .cash_in_lieu
        .iter()
        .map(|c| (c.investor_id.as_str(), c.fractional_shares, c.amount))
        .collect();
    assert_eq!(
        cash,
        vec![
            ("inv_a", d("0.5"), d("15.00")),
            ("inv_b", d("0.7"), d("21.00"))
        ]
    );
    let gains: Vec<_> = out
        .disposals
        .iter()
        .map(|g| {
            (
                g.investor_id.as_str(),
                g.lot_id.as_str(),
                g.proceeds,
                g.cost_basis,
                g.gain,
                g.term,
            )
        })
        .collect();
    assert_eq!(
        gains,
        vec![
            (
                "inv_a",
                "ca_2/0",
                d("15.00"),
                d("10"),
                d("5.00"),
                HoldingTerm::Short
            ),
            (
                "inv_b",
                "ca_3/0",
                d("21.00"),
                d("7"),
                d("14.00"),
                HoldingTerm::Short
            ),
        ]
    );
    assert!(
        out.disposals
            .iter()
            .all(|g| g.kind == DisposalKind::CashInLieu)
    );
    assert_eq!(book.quantity("inv_b", "ast_1"), d("0"));
    let totals = book.ledger.totals("ast_1").unwrap();
    assert_eq!(totals.split_adjustment, d("-102")); // 112 → 10
    assert_eq!(totals.fractions_cashed, d("1.2"));
    assert_eq!(book.ledger.outstanding("ast_1"), d("10"));
}

#[test]
fn fractions_are_per_holder_not_per_lot() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "5", "1"),
    );
    book.apply(
        "ca_2",
        date!(2021 - 01 - 01),
        issuance("ast_1", "inv_a", "5", "3"),
    );
    // Per lot, each 5 would become 0.5; per holder, 10 become exactly 1.
    let out = book.apply(
        "ca_3",
        date!(2024 - 01 - 01),
        reverse_split("ast_1", "1:10", None),
    );
    assert!(out.cash_in_lieu.is_empty());
    let lots = book.ledger.lots("inv_a", "ast_1");
    assert_eq!(lots.len(), 1);
    // The share is made of both lots; it takes the later lot's dates and both bases.
    assert_eq!(
        (lots[0].id.as_str(), lots[0].acquired_at),
        ("ca_2/0", date!(2021 - 01 - 01))
    );
    assert_eq!((lots[0].quantity, lots[0].cost_basis), (d("1"), d("20")));
}

#[test]
fn a_fraction_spanning_two_lots_splits_its_basis_and_proceeds() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "3", "10"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "1", "20"),
    );
    // 4 shares 1:3 → 1 whole share + 1/3. The whole share is lot 1's first 3 shares; the
    // third of a share is lot 2.
    let out = book.apply(
        "ca_3",
        date!(2024 - 06 - 01),
        reverse_split("ast_1", "1:3", Some("100")),
    );
    let lots = book.ledger.lots("inv_a", "ast_1");
    assert_eq!(
        (lots.len(), lots[0].id.as_str(), lots[0].cost_basis),
        (1, "ca_1/0", d("30"))
    );
    assert_eq!(out.cash_in_lieu[0].amount, d("33.33"));
    assert_eq!(out.disposals.len(), 1);
    assert_eq!(
        (
            out.disposals[0].lot_id.as_str(),
            out.disposals[0].cost_basis
        ),
        ("ca_2/0", d("20"))
    );

    // 2 + 2 shares at 1:3: 1 whole share ends in lot 2; the fraction (1/3) is lot 2's rest.
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "2", "9"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "2", "6"),
    );
    let out = book.apply(
        "ca_3",
        date!(2024 - 06 - 01),
        reverse_split("ast_1", "1:3", Some("90")),
    );
    let lots = book.ledger.lots("inv_a", "ast_1");
    assert_eq!(
        (lots.len(), lots[0].id.as_str(), lots[0].cost_basis),
        (1, "ca_2/0", d("24"))
    );
    assert_eq!(out.disposals[0].cost_basis, d("6"));
    assert_eq!(out.cash_in_lieu[0].amount, d("30.00"));
}

#[test]
fn fraction_spanning_lots_records_one_gain_per_lot() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "4", "10"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "1", "40"),
    );
    // 5 shares 1:3 → 1 share + 2/3: the fraction is 1 share of lot 1 and lot 2's share.
    let out = book.apply(
        "ca_3",
        date!(2025 - 06 - 01),
        reverse_split("ast_1", "1:3", Some("60")),
    );
    assert_eq!(out.cash_in_lieu[0].amount, d("40.00"));
    let gains: Vec<_> = out
        .disposals
        .iter()
        .map(|g| (g.lot_id.as_str(), g.proceeds, g.cost_basis, g.term))
        .collect();
    assert_eq!(
        gains,
        vec![
            ("ca_1/0", d("20.00"), d("10"), HoldingTerm::Long),
            ("ca_2/0", d("20.00"), d("40"), HoldingTerm::Long),
        ]
    );
    let lots = book.ledger.lots("inv_a", "ast_1");
    assert_eq!((lots[0].quantity, lots[0].cost_basis), (d("1"), d("30")));
}

#[test]
fn cash_in_lieu_rounds_down_to_the_cent() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "1", "1"),
    );
    let out = book.apply(
        "ca_2",
        date!(2024 - 02 - 01),
        reverse_split("ast_1", "1:3", Some("10")),
    );
    // 1/3 × $10 = $3.333… → $3.33
    assert_eq!(out.cash_in_lieu[0].amount, d("3.33"));
    assert_eq!(out.disposals[0].gain, d("2.33"));
}

#[test]
fn split_with_fractions_needs_a_cash_price_and_ratios_are_validated() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "101", "1"),
    );
    assert_eq!(
        book.refuse("ca_2", date!(2024 - 02 - 01), split("ast_1", "3:2", None)),
        Refusal::CashInLieuPriceRequired {
            security_id: "ast_1".into()
        }
    );
    for (r, problem) in [
        ("1:1", RatioError::Identity),
        ("1:2", RatioError::MustIncrease),
    ] {
        assert_eq!(
            book.refuse("ca_2", date!(2024 - 02 - 01), split("ast_1", r, Some("1"))),
            Refusal::InvalidRatio {
                ratio: r.into(),
                problem
            }
        );
    }
    assert!(matches!(
        book.refuse(
            "ca_2",
            date!(2024 - 02 - 01),
            reverse_split("ast_1", "2:1", Some("1"))
        ),
        Refusal::InvalidRatio {
            problem: RatioError::MustDecrease,
            ..
        }
    ));
    // Garbage never becomes a ratio: the entry cannot even be deserialised.
    for garbage in ["0:1", "1:0", "-2:1", "two", "2:1:1"] {
        let json = format!(
            r#"{{"id":"ca_9","effective_on":"2024-02-01","action":{{"type":"split","security_id":"ast_1","ratio":"{garbage}"}}}}"#
        );
        assert!(
            serde_json::from_str::<captable::JournalEntry>(&json).is_err(),
            "{garbage}"
        );
    }
    let out = book.apply(
        "ca_2",
        date!(2024 - 02 - 01),
        split("ast_1", "3:2", Some("0.80")),
    );
    assert_eq!(book.quantity("inv_a", "ast_1"), d("151"));
    assert_eq!(out.cash_in_lieu[0].amount, d("0.40"));
}

#[test]
fn split_beyond_the_position_limit_is_refused() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "1000000000000000", "1"),
    );
    assert!(matches!(
        book.refuse(
            "ca_2",
            date!(2024 - 02 - 01),
            split("ast_1", "10000:1", None)
        ),
        Refusal::Overflow { .. }
    ));
}

// ----- mergers and conversions ----------------------------------------------------------------

#[test]
fn merger_moves_lots_with_their_dates_and_basis_and_empties_the_source() {
    let mut book = Book::new(vec![restricted("ast_old"), restricted("ast_new")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_old", "inv_a", "101", "2"),
    );
    book.apply(
        "ca_2",
        date!(2021 - 01 - 01),
        issuance("ast_old", "inv_b", "50", "4"),
    );
    book.apply(
        "ca_3",
        date!(2022 - 01 - 01),
        issuance("ast_new", "inv_b", "10", "7"),
    );
    let out = book.apply(
        "ca_4",
        date!(2024 - 01 - 01),
        merger("ast_old", "ast_new", "1:2", Some("9")),
    );

    assert_eq!(book.ledger.outstanding("ast_old"), d("0"));
    assert_eq!(
        book.ledger.outstanding("ast_new"),
        d("10") + d("50") + d("25")
    );
    let a = book.ledger.lots("inv_a", "ast_new");
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].id.as_str(), a[0].acquired_at, a[0].quantity),
        ("ca_4/0", date!(2020 - 01 - 01), d("50"))
    );
    // 100 of the 101 shares' basis stays; 1 old share (half a new one) is paid in cash.
    assert_eq!(a[0].cost_basis, d("200"));
    assert_eq!(out.cash_in_lieu[0].investor_id, "inv_a");
    assert_eq!(out.cash_in_lieu[0].amount, d("4.50"));
    assert_eq!(out.disposals[0].cost_basis, d("2"));
    // The merged lot is older than inv_b's existing one: FIFO puts it first.
    let b: Vec<_> = book
        .ledger
        .lots("inv_b", "ast_new")
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    assert_eq!(b, ["ca_4/1", "ca_3/0"]);
    assert_eq!(out.created_lots[0].source_lot_id.as_deref(), Some("ca_1/0"));

    let old = book.ledger.totals("ast_old").unwrap();
    assert_eq!(
        (old.issued, old.merged_out, old.outstanding()),
        (d("151"), d("151"), d("0"))
    );
    let new = book.ledger.totals("ast_new").unwrap();
    assert_eq!(
        (new.issued, new.merged_in, new.outstanding()),
        (d("10"), d("75"), d("85"))
    );
    assert_eq!(new.fractions_cashed, d("0.5"));

    assert_eq!(
        book.refuse(
            "ca_5",
            date!(2024 - 01 - 02),
            issuance("ast_old", "inv_a", "1", "1")
        ),
        Refusal::SecurityRetired {
            security_id: "ast_old".into(),
            merged_into: "ast_new".into()
        }
    );
    // Tacking: the merged lot acquired in 2020 is free under Rule 144.
    assert_eq!(
        book.ledger
            .transferable_quantity("inv_a", "ast_new", date!(2024 - 01 - 02), Decimal::ZERO),
        d("50")
    );
    assert!(matches!(
        book.refuse(
            "ca_6",
            date!(2024 - 01 - 02),
            merger("ast_new", "ast_new", "1:1", None)
        ),
        Refusal::SameSecurity { .. }
    ));
}

#[test]
fn conversion_of_one_holder_takes_the_oldest_shares_and_keeps_their_dates() {
    let mut book = Book::new(vec![restricted("ast_pref"), restricted("ast_com")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_pref", "inv_a", "10", "100"),
    );
    book.apply(
        "ca_2",
        date!(2021 - 01 - 01),
        issuance("ast_pref", "inv_a", "10", "200"),
    );
    book.apply(
        "ca_3",
        date!(2021 - 01 - 01),
        issuance("ast_pref", "inv_b", "10", "100"),
    );
    let scope = ConversionScope::Holder {
        investor_id: "inv_a".into(),
        quantity: Some(d("15")),
    };
    let out = book.apply(
        "ca_4",
        date!(2024 - 01 - 01),
        conversion("ast_pref", "ast_com", "10:1", scope, None),
    );
    assert!(out.cash_in_lieu.is_empty());

    let common: Vec<_> = book
        .ledger
        .lots("inv_a", "ast_com")
        .iter()
        .map(|l| {
            (
                l.acquired_at,
                l.holding_period_start,
                l.quantity,
                l.cost_basis,
            )
        })
        .collect();
    assert_eq!(
        common,
        vec![
            (
                date!(2020 - 01 - 01),
                date!(2020 - 01 - 01),
                d("100"),
                d("1000")
            ),
            (
                date!(2021 - 01 - 01),
                date!(2021 - 01 - 01),
                d("50"),
                d("1000")
            ),
        ]
    );
    let pref = book.ledger.lots("inv_a", "ast_pref");
    assert_eq!(
        (pref.len(), pref[0].quantity, pref[0].cost_basis),
        (1, d("5"), d("1000"))
    );
    let p = book.ledger.totals("ast_pref").unwrap();
    let c = book.ledger.totals("ast_com").unwrap();
    assert_eq!((p.converted_out, p.outstanding()), (d("15"), d("15")));
    assert_eq!((c.converted_in, c.outstanding()), (d("150"), d("150")));
    assert!(matches!(
        book.refuse(
            "ca_5",
            date!(2024 - 01 - 02),
            conversion(
                "ast_pref",
                "ast_com",
                "10:1",
                ConversionScope::Holder {
                    investor_id: "inv_a".into(),
                    quantity: Some(d("6"))
                },
                None
            )
        ),
        Refusal::InsufficientHoldings { .. }
    ));
}

#[test]
fn conversion_of_all_holders_empties_the_source_and_pays_fractions() {
    let mut book = Book::new(vec![registered("ast_pref"), registered("ast_com")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_pref", "inv_a", "3", "10"),
    );
    book.apply(
        "ca_2",
        date!(2020 - 01 - 01),
        issuance("ast_pref", "inv_b", "4", "10"),
    );
    let out = book.apply(
        "ca_3",
        date!(2024 - 01 - 01),
        conversion(
            "ast_pref",
            "ast_com",
            "3:2",
            ConversionScope::All,
            Some("10"),
        ),
    );
    assert_eq!(book.quantity("inv_a", "ast_com"), d("4"));
    assert_eq!(book.quantity("inv_b", "ast_com"), d("6"));
    assert_eq!(book.ledger.outstanding("ast_pref"), d("0"));
    assert_eq!(out.cash_in_lieu.len(), 1);
    assert_eq!(
        (
            out.cash_in_lieu[0].investor_id.as_str(),
            out.cash_in_lieu[0].amount
        ),
        ("inv_a", d("5.00"))
    );
    assert_eq!(book.ledger.totals("ast_com").unwrap().converted_in, d("10"));
    // Unlike a merger, the source still exists.
    book.apply(
        "ca_4",
        date!(2024 - 01 - 02),
        issuance("ast_pref", "inv_a", "1", "1"),
    );
}

// ----- redemption -----------------------------------------------------------------------------

#[test]
fn redemption_is_fifo_with_realised_gains() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2020 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "3"),
    );
    let out = book.apply(
        "ca_3",
        date!(2024 - 06 - 01),
        redemption("ast_1", "inv_a", "15", "2"),
    );
    let gains: Vec<_> = out
        .disposals
        .iter()
        .map(|g| (g.lot_id.as_str(), g.quantity, g.gain, g.term))
        .collect();
    assert_eq!(
        gains,
        vec![
            ("ca_1/0", d("10"), d("10"), HoldingTerm::Long),
            ("ca_2/0", d("5"), d("-5"), HoldingTerm::Short)
        ]
    );
    assert!(
        out.disposals
            .iter()
            .all(|g| g.kind == DisposalKind::Redemption)
    );
    let totals = book.ledger.totals("ast_1").unwrap();
    assert_eq!(
        (totals.issued, totals.redeemed, totals.outstanding()),
        (d("20"), d("15"), d("5"))
    );
    assert_eq!(book.ledger.outstanding("ast_1"), d("5"));
}

// ----- dividends ------------------------------------------------------------------------------

#[test]
fn dividend_rounds_each_payment_down_and_reports_the_remainder() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "1", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_b", "2", "1"),
    );
    book.apply(
        "ca_3",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_c", "3", "1"),
    );
    let declaration = DividendDeclaration {
        dividend_id: "div_1".into(),
        security_id: "ast_1".into(),
        amount_per_share: d("0.333"),
        currency: "USD".into(),
        record_date: date!(2024 - 03 - 31),
        payment_date: date!(2024 - 04 - 15),
    };
    let report = book.ledger.dividend(&declaration).unwrap();
    let payments: Vec<_> = report
        .payments
        .iter()
        .map(|p| (p.investor_id.as_str(), p.quantity, p.amount))
        .collect();
    assert_eq!(
        payments,
        vec![
            ("inv_a", d("1"), d("0.33")),
            ("inv_b", d("2"), d("0.66")),
            ("inv_c", d("3"), d("0.99"))
        ]
    );
    assert_eq!(report.shares_of_record, d("6"));
    assert_eq!(report.total_declared, d("1.998"));
    assert_eq!(report.total_paid, d("1.98"));
    assert_eq!(report.rounding_remainder, d("0.018"));
    assert!(report.payments.iter().all(|p| p.dividend_id == "div_1"));
}

#[test]
fn dividend_uses_the_registry_at_the_record_date() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    book.apply(
        "trf_1",
        date!(2024 - 04 - 01),
        transfer("ast_1", "inv_a", "inv_b", "4", "1"),
    );
    let declaration = DividendDeclaration {
        dividend_id: "div_1".into(),
        security_id: "ast_1".into(),
        amount_per_share: d("1.5"),
        currency: "USD".into(),
        record_date: date!(2024 - 03 - 31),
        payment_date: date!(2024 - 04 - 15),
    };
    assert_eq!(
        book.ledger.dividend(&declaration),
        Err(Refusal::StateAfterRecordDate {
            last_effective_on: date!(2024 - 04 - 01),
            record_date: date!(2024 - 03 - 31)
        })
    );
    let at_record = book.replayed(Some(declaration.record_date));
    let report = at_record.dividend(&declaration).unwrap();
    assert_eq!(report.payments.len(), 1);
    assert_eq!(report.payments[0].amount, d("15.0"));

    let mut bad = declaration.clone();
    bad.payment_date = date!(2024 - 03 - 30);
    assert!(matches!(
        at_record.dividend(&bad),
        Err(Refusal::PaymentBeforeRecord { .. })
    ));
    bad = declaration.clone();
    bad.amount_per_share = d("0");
    assert!(matches!(
        at_record.dividend(&bad),
        Err(Refusal::InvalidAmount { .. })
    ));
    bad = declaration;
    bad.currency = "JPY".into();
    bad.amount_per_share = d("1.5");
    assert_eq!(
        at_record.dividend(&bad).unwrap().payments[0].amount,
        d("15")
    );
}

// ----- journal, replay, snapshots, serialisation ----------------------------------------------

#[test]
fn registry_as_of_a_date_replays_only_the_entries_up_to_it() {
    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    book.apply(
        "trf_1",
        date!(2024 - 02 - 01),
        transfer("ast_1", "inv_a", "inv_b", "4", "1"),
    );
    book.apply("ca_2", date!(2024 - 03 - 01), split("ast_1", "2:1", None));

    let registry = |as_of| book.replayed(Some(as_of)).registry("ast_1").unwrap();
    let holders = |as_of| -> Vec<(String, Decimal)> {
        registry(as_of)
            .holders
            .into_iter()
            .map(|h| (h.investor_id, h.quantity))
            .collect()
    };
    assert!(holders(date!(2023 - 12 - 31)).is_empty());
    assert_eq!(
        holders(date!(2024 - 01 - 31)),
        vec![("inv_a".into(), d("10"))]
    );
    assert_eq!(
        holders(date!(2024 - 02 - 01)),
        vec![("inv_a".into(), d("6")), ("inv_b".into(), d("4"))]
    );
    assert_eq!(
        holders(date!(2024 - 03 - 01)),
        vec![("inv_a".into(), d("12")), ("inv_b".into(), d("8"))]
    );
    assert_eq!(
        registry(date!(2024 - 02 - 15)).as_of,
        Some(date!(2024 - 02 - 01))
    );
    assert_eq!(book.replayed(None), book.ledger);
}

#[test]
fn snapshots_round_trip_and_a_partial_snapshot_applies_a_transfer() {
    let mut terms = registered("ast_1");
    terms.rofr_days = Some(5);
    let mut book = Book::new(vec![terms, registered("ast_2")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    book.apply(
        "ca_2",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_c", "10", "1"),
    );
    book.apply(
        "ca_3",
        date!(2024 - 01 - 01),
        issuance("ast_2", "inv_a", "10", "1"),
    );
    book.apply(
        "trf_1",
        date!(2024 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "3", "1"),
    );

    let snapshot = book.ledger.snapshot();
    let json = serde_json::to_string(&snapshot).unwrap();
    let restored = Ledger::from_snapshot(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(restored, book.ledger);

    // Only what a waiver needs: the security, the seller's and buyer's positions, the
    // pending transfer.
    let partial = captable::Snapshot {
        securities: vec![book.ledger.security("ast_1").unwrap().clone()],
        positions: snapshot
            .positions
            .iter()
            .filter(|p| p.security_id == "ast_1" && p.investor_id == "inv_a")
            .cloned()
            .collect(),
        pending_transfers: snapshot.pending_transfers.clone(),
        last_effective_on: snapshot.last_effective_on,
    };
    let mut partial = Ledger::from_snapshot(partial).unwrap();
    let waive = entry(
        "trf_1_w",
        date!(2024 - 01 - 03),
        Action::RofrWaive {
            transfer_id: "trf_1".into(),
        },
    );
    let from_partial = partial.apply(&waive).unwrap();
    let from_full = book.ledger.apply(&waive).unwrap();
    assert_eq!(from_partial, from_full);

    // Snapshots that cannot be state are refused.
    let mut broken = snapshot.clone();
    broken.positions[0].lots[0].quantity = d("0");
    assert!(Ledger::from_snapshot(broken).is_err());
    let mut broken = snapshot.clone();
    let duplicate = broken.positions[0].lots[0].clone();
    broken.positions[0].lots.push(duplicate);
    assert!(Ledger::from_snapshot(broken).is_err());
    let mut broken = snapshot;
    broken.pending_transfers[0].quantity = d("11");
    assert!(Ledger::from_snapshot(broken).is_err());
}

#[test]
fn journal_entries_and_outcomes_serialise_with_decimal_strings() {
    let e = entry(
        "trf_1",
        date!(2024 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "3", "187.50"),
    );
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["effective_on"], "2024-01-02");
    assert_eq!(json["action"]["type"], "transfer");
    assert_eq!(json["action"]["quantity"], "3");
    assert_eq!(json["action"]["price_per_share"], "187.50");
    let back: captable::JournalEntry = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);

    // Input may use JSON numbers.
    let with_numbers = r#"{"id":"ca_1","effective_on":"2024-01-01","action":{"type":"issuance","security_id":"ast_1","investor_id":"inv_a","quantity":100,"price_per_share":187.5}}"#;
    let parsed: captable::JournalEntry = serde_json::from_str(with_numbers).unwrap();
    assert!(
        matches!(parsed.action, Action::Issuance { quantity, price_per_share, .. }
        if quantity == d("100") && price_per_share == d("187.5"))
    );

    let mut book = Book::new(vec![registered("ast_1")]);
    book.apply(
        "ca_1",
        date!(2024 - 01 - 01),
        issuance("ast_1", "inv_a", "10", "1"),
    );
    let outcome = book.apply(
        "trf_1",
        date!(2024 - 01 - 02),
        transfer("ast_1", "inv_a", "inv_b", "3", "2"),
    );
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["transfer"]["status"], "recorded");
    assert_eq!(json["disposals"][0]["kind"], "transfer");
    assert_eq!(json["disposals"][0]["gain"], "3");
    assert_eq!(json["disposals"][0]["term"], "short");
    let back: captable::Outcome = serde_json::from_value(json).unwrap();
    assert_eq!(back, outcome);

    let refusal = Refusal::Lockup {
        security_id: "ast_1".into(),
        until: date!(2025 - 06 - 30),
    };
    let json = serde_json::to_value(&refusal).unwrap();
    assert_eq!(json["rule"], "lockup");
    assert_eq!(json["until"], "2025-06-30");
    let conversion_json = serde_json::to_value(conversion(
        "ast_p",
        "ast_c",
        "1:1",
        ConversionScope::Holder {
            investor_id: "inv_a".into(),
            quantity: None,
        },
        None,
    ))
    .unwrap();
    assert_eq!(conversion_json["scope"]["holders"], "holder");
    assert_eq!(conversion_json["ratio"], "1:1");
}
