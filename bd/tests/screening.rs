//! Issue 11 through the BD: partial names in review, the date of birth and nationality
//! deciding a name match (OFAC FAQ 5), entries ruled out kept on the check, and the review
//! showing why — for the four names of the issue.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};

/// An individual in `country`, born on `dob` (none when `None`).
fn person(name: &str, country: &str, dob: Option<&str>) -> Value {
    let mut body = individual(name, country);
    body["date_of_birth"] = json!(dob);
    body
}

async fn screened(app: &testkit::TestServer, body: Value) -> (String, Value) {
    let id = create(app, body).await;
    let check = kyc(app, &id).await;
    (id, check)
}

fn reason(check: &Value) -> &Value {
    &check["reasons"][0]
}

fn message(check: &Value) -> &str {
    reason(check)["message"].as_str().unwrap()
}

#[track_caller]
fn assert_contains(haystack: &str, parts: &[&str]) {
    for part in parts {
        assert!(haystack.contains(part), "{part:?} not in {haystack}");
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn ali_khamenei_is_reviewed_or_rejected_as_the_identifiers_say(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // No date of birth: part of KHAMENEI, Ali Husseini (26945), nothing to tell them apart.
    let (id, check) = screened(&app, person("Ali Khamenei", "US", None)).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_eq!(reason(&check)["code"], "sanctions_under_review");
    assert_contains(
        message(&check),
        &[
            "investor Ali Khamenei resembles the OFAC SDN entry 26945 (KHAMENEI, Ali Husseini; programs IRAN-EO13876)",
            "part of the listed name (ali = ali, khamenei = khamenei; listed only: husseini), score 0.8462",
            "date of birth not given (listed: 19 Apr 1939)",
            "a compliance officer must review",
        ],
    );
    let m = &check["details"]["sanctions_matches"][0];
    assert_eq!(m["ent_num"], 26945);
    assert_eq!(m["name_match"], "partial");
    assert_eq!(
        m["matched_tokens"],
        json!([
            {"screened": "ali", "listed": "ali", "similarity": 1.0},
            {"screened": "khamenei", "listed": "khamenei", "similarity": 1.0}
        ])
    );
    assert_eq!(m["unmatched_listed_tokens"], json!(["husseini"]));
    assert_eq!(m["identifiers"]["date_of_birth"]["outcome"], "not_compared");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["sanctions_status"], "review");

    // His date of birth: rejected.
    let (id, check) = screened(&app, person("Ali Khamenei", "US", Some("1939-04-19"))).await;
    assert_eq!(check["status"], "rejected", "{check}");
    assert_eq!(reason(&check)["code"], "sanctions_hit");
    assert_contains(
        message(&check),
        &[
            "26945",
            "the date of birth 1939-04-19 is one the entry gives (19 Apr 1939)",
        ],
    );
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["sanctions_status"], "hit");

    // Born in 1980: approved, the entry kept with why.
    let (_, check) = screened(&app, person("Ali Khamenei", "US", Some("1980-05-17"))).await;
    assert_eq!(check["status"], "approved", "{check}");
    assert_eq!(check["reasons"], json!([]));
    let cleared = check["details"]["sanctions"]["cleared"].as_array().unwrap();
    let kept = cleared.iter().find(|m| m["ent_num"] == 26945).unwrap();
    assert_eq!(kept["basis"], "date_of_birth_contradicts");
    assert_eq!(
        check["details"]["sanctions"]["guidance"],
        "OFAC FAQ 5, How do I determine if I have a valid OFAC match? (https://ofac.treasury.gov/faqs/5)"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn fabio_ochoa_is_reviewed_or_rejected_as_the_identifiers_say(pool: sqlx::PgPool) {
    // OCHOA VASCO, Fabio Enrique (10214): DOB 20 Nov 1960; alt. DOB 20 Nov 1963.
    let app = app(pool).await;
    let (_, check) = screened(&app, person("Fabio Ochoa", "CO", None)).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_contains(
        message(&check),
        &[
            "OCHOA VASCO, Fabio Enrique",
            "fabio = fabio, ochoa = ochoa; listed only: vasco, enrique",
            "place of birth agrees (Medellin, Colombia)",
        ],
    );
    let (_, check) = screened(&app, person("Fabio Ochoa", "CO", Some("1963-11-20"))).await;
    assert_eq!(check["status"], "rejected", "{check}");
    assert_eq!(check["details"]["sanctions_matches"][0]["ent_num"], 10214);
    let (_, check) = screened(&app, person("Fabio Ochoa", "CO", Some("1980-05-17"))).await;
    assert_eq!(check["status"], "approved", "{check}");
    assert!(
        check["details"]["sanctions"]["cleared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ent_num"] == 10214)
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn ali_hassan_and_wei_zhang_are_cleared_by_their_date_of_birth(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // ALI, Hassan: alias of FADHIL, Mustafa Mohamed (6924), DOB 23 Jun 1976. WEI, Zhang:
    // alias of WEI, Zhao (23647), DOB 16 Sep 1952.
    for (name, country, ent, listed) in [
        ("Ali Hassan", "US", 6924, "ALI, Hassan"),
        ("Wei Zhang", "CN", 23647, "WEI, Zhang"),
    ] {
        let (id, check) = screened(&app, person(name, country, Some("1985-03-02"))).await;
        assert_eq!(check["status"], "approved", "{name}: {check}");
        assert_eq!(check["details"]["sanctions"]["status"], "clear");
        assert_eq!(check["details"]["sanctions_matches"], json!([]));
        let kept = check["details"]["sanctions"]["cleared"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["ent_num"] == ent)
            .unwrap_or_else(|| panic!("{name}: {check}"))
            .clone();
        assert_eq!(kept["alias"], listed);
        assert_eq!(kept["name_match"], "exact");
        assert_eq!(kept["decision"], "clear");
        assert_eq!(kept["basis"], "date_of_birth_contradicts");
        assert_eq!(
            kept["identifiers"]["date_of_birth"]["outcome"],
            "contradicts"
        );
        let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
        assert_eq!(inv["sanctions_status"], "clear");

        // Without a date of birth: review, not rejected.
        let (_, check) = screened(&app, person(name, "US", None)).await;
        assert_eq!(check["status"], "review", "{name}: {check}");
        assert_eq!(check["details"]["sanctions_matches"][0]["ent_num"], ent);
        assert_contains(
            message(&check),
            &[
                &format!("the OFAC SDN entry {ent}"),
                &format!("as {listed}"),
                "the same name",
                "score 1.0",
                "no identifier agrees and none rules the entry out",
                "date of birth not given",
            ],
        );
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_review_queue_shows_why_and_an_officer_decides_from_it(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (id, check) = screened(&app, person("Wei Zhang", "US", None)).await;
    assert_eq!(check["status"], "review");
    let (_, _) = screened(&app, person("Grace Hopper", "US", Some("1980-05-17"))).await;

    // The queue: the investors whose sanctions are in review.
    let (s, page) = get(&app, "/v1/investors?sanctions_status=review", "acme/carla").await;
    assert_eq!(s, 200, "{page}");
    let queue = page["data"].as_array().unwrap();
    assert_eq!(queue.len(), 1, "{page}");
    assert_eq!(queue[0]["id"], id.as_str());
    assert_eq!(queue[0]["kyc_check_id"], check["id"]);

    // Why: the compliance view carries the run's reasons, entry, tokens, score, identifiers.
    let (_, c) = get(
        &app,
        &format!("/v1/investors/{id}/compliance"),
        "acme/carla",
    )
    .await;
    let why = &c["sanctions_review"][0];
    assert_eq!(why["code"], "sanctions_under_review", "{c}");
    assert_eq!(why, reason(&check));
    let m = &why["details"]["match"];
    assert_eq!(
        (m["ent_num"].as_u64(), m["name"].as_str()),
        (Some(23647), Some("WEI, Zhao"))
    );
    assert_eq!(m["alias"], "WEI, Zhang");
    assert_eq!(m["score"], 1.0);
    assert_eq!(
        m["identifiers"]["date_of_birth"]["listed"],
        json!(["16 Sep 1952"])
    );
    assert_eq!(m["identifiers"]["nationality"]["outcome"], "differs");
    assert_eq!(m["identifiers"]["nationality"]["listed"], json!(["China"]));
    assert_eq!(
        m["identifiers"]["address_country"]["listed"],
        json!(["Hong Kong"])
    );
    // Not for every role.
    let (_, c) = get(&app, &format!("/v1/investors/{id}/compliance"), "acme/vic").await;
    assert_eq!(c["sanctions_review"], json!([]));

    // The officer decides; the review is gone from the queue and from the view.
    let (s, d) = post(
        &app,
        &format!("/v1/investors/{id}/kyc/decision"),
        "acme/carla",
        json!({
            "decision": "approve",
            "note": "Passport: born 1988-10-30 in Shanghai; SDN 23647 was born 16 Sep 1952",
            "check_id": check["id"],
        }),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(
        d["details"]["sanctions"]["false_positives"][0]["ent_nums"],
        json!([23647])
    );
    let (_, page) = get(&app, "/v1/investors?sanctions_status=review", "acme/carla").await;
    assert_eq!(page["data"], json!([]));
    let (_, c) = get(
        &app,
        &format!("/v1/investors/{id}/compliance"),
        "acme/carla",
    )
    .await;
    assert_eq!(c["sanctions_review"], json!([]));
    assert_eq!(c["sanctions"], "clear");
}
