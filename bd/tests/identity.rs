//! API.md's identity and tenant rules against the real service on port 0.
//!
//! The list endpoint is `GET /v1/reporting/securities`: the suite reads it as a viewer and as a
//! service, and investors are for admin and compliance only (a viewer gets 403 there, tested
//! in investors.rs).

#![allow(clippy::unwrap_used)]

mod common;

testkit::identity_tests!("bd::MIGRATOR", common::app, "/v1/reporting/securities");
