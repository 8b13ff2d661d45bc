//! The broker-dealer's compliance rules, as pure functions.
//!
//! This crate has no I/O: no HTTP, no database, no clock. The BD service
//! gathers the facts (investor records, evidence, the time, the day's
//! events), calls these functions and stores what they answer. Every
//! decision can therefore be replayed and tested exactly.
//!
//! # Modules
//!
//! * [`accreditation`] — SEC Rule 501(a) accredited-investor tests and the
//!   Rule 506(c)(2)(ii) verification methods: typed, validated evidence for
//!   each method of API.md (`income`, `net_worth`,
//!   `professional_certification`, `third_party_letter`, `entity_assets`) and
//!   [`accreditation::verify`], which answers `verified` (with
//!   `verified_at`/`expires_at`), `rejected` or `review`, each reason naming
//!   the rule.
//! * [`limits`] — the investment limits of non-accredited investors over
//!   12 months: Regulation Crowdfunding (17 CFR 227.100(a)(2)) and
//!   Regulation A Tier 2 (17 CFR 230.251(d)(2)(i)(C)), with the
//!   inflation-adjusted dollar figures in [`limits::LimitConfig`].
//! * [`pretrade`] — the full pre-trade decision for
//!   `POST /v1/compliance/pre-trade` (KYC, sanctions, accreditation per
//!   regulation, limits on buys) and the eligibility summary of
//!   `GET /v1/investors/{id}/compliance`.
//! * [`surveillance`] — post-trade detectors (`wash_trade`,
//!   `concentration`, `price_deviation`) producing alert drafts.
//! * [`cat`] — Consolidated Audit Trail records (`MENO`, `MEOC`, `MEOT`)
//!   with the field names of the CAT Reporting Technical Specifications for
//!   Industry Members, and in [`cat::oats`] the legacy OATS records (`NW`,
//!   `CL`, `EX`; OATS was retired on 1 September 2021).
//!
//! Sanctions screening and country lists live in the `sanctions` crate; this
//! crate only consumes their outcome ([`pretrade::SanctionsStatus`]).
//!
//! # Conventions and choices
//!
//! * Money is [`rust_decimal::Decimal`], never `f64`. Input amounts accept
//!   decimal strings or JSON numbers (parsed exactly thanks to
//!   `serde_json`'s `arbitrary_precision`); platform output writes them as
//!   strings. CAT output writes them as JSON numbers because the CAT
//!   specification's Price and Quantity types are numbers — still exact.
//! * Thresholds are strict where the rule says "in excess of" or
//!   "exceeds" (accreditation, surveillance), inclusive where it says "not to
//!   exceed" (an investment limit may be used exactly). Each threshold is a
//!   named constant or configuration field with the rule cited beside it.
//! * Reasons carry a stable `code` ([`ReasonCode`]), a message, the `rule`
//!   and structured `details`; decisions list every failing check, not only
//!   the first, so the BD can show the investor everything to fix.
//! * The safe answer wins: missing KYC, sanctions, accreditation or
//!   financial profile refuses; a rejection outranks a review.
//! * Instants are `time::OffsetDateTime`, written RFC 3339 in UTC with
//!   milliseconds; calendar dates are `YYYY-MM-DD`. CAT and OATS use Eastern
//!   Time, computed by [`cat::eastern`] from the statutory DST rules.
//!
//! Each module's documentation lists its own choices in detail.

pub mod accreditation;
pub mod cat;
pub mod common;
pub mod limits;
pub mod pretrade;
pub mod surveillance;

pub use common::{Decision, InvestorType, Reason, ReasonCode, Regulation, Side};
