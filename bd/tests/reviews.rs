//! Compliance officers' decisions: KYC/sanctions reviews (false positives kept across KYC runs,
//! strong matches and embargoes refused), accreditation reviews, and the audit history.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, send};

/// "Manuel Noriega" scores 0.8814 against SDN entry 1572 (NORIEGA, Manuel Antonio): a weak
/// match, in review.
const WEAK: &str = "Manuel Noriega";

async fn weak_match(app: &TestServer) -> (String, Value) {
    let id = create(app, individual(WEAK, "PA")).await;
    let check = kyc(app, &id).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_eq!(check["reasons"][0]["code"], "sanctions_under_review");
    (id, check)
}

async fn decide(app: &TestServer, id: &str, user: &str, body: Value) -> (u16, Value) {
    post(app, &format!("/v1/investors/{id}/kyc/decision"), user, body).await
}

fn approve(check: &Value) -> Value {
    json!({
        "decision": "approve",
        "note": "Passport shows born 1981 in Madrid; SDN 1572 was born 1934 in Panama: another person",
        "check_id": check["id"],
    })
}

async fn count(pool: &sqlx::PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn investor(app: &TestServer, id: &str) -> Value {
    let (s, v) = get(app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn compliance_view(app: &TestServer, id: &str, user: &str) -> Value {
    let (s, v) = get(app, &format!("/v1/investors/{id}/compliance"), user).await;
    assert_eq!(s, 200, "{v}");
    v
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_weak_match_approved_as_a_false_positive_becomes_eligible(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let (id, check) = weak_match(&app).await;
    let ents: Vec<u64> = check["details"]["sanctions_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ent_num"].as_u64().unwrap())
        .collect();
    assert!(ents.contains(&1572), "{ents:?}");
    assert_eq!(
        compliance_view(&app, &id, "acme/carla").await["eligible"],
        false
    );

    let (s, d) = decide(&app, &id, "acme/carla", approve(&check)).await;
    assert_eq!(s, 201, "{d}");
    assert!(d["id"].as_str().unwrap().starts_with("chk_"));
    assert_ne!(d["id"], check["id"]);
    assert_eq!(d["kind"], "kyc_decision");
    assert_eq!(d["status"], "approved");
    assert_eq!(d["investor_id"], id.as_str());
    assert_eq!(d["parent_id"], check["id"]);
    assert_eq!(d["created_by"], "carla");
    assert_eq!(d["input"]["decision"], "approve");
    assert!(d["input"]["note"].as_str().unwrap().starts_with("Passport"));
    assert_eq!(d["details"]["resolved"], json!(["sanctions"]));
    assert_eq!(d["details"]["before"]["sanctions_status"], "review");
    assert_eq!(d["details"]["after"]["sanctions_status"], "clear");
    assert_eq!(d["details"]["decided_by"]["name"], "carla");
    let fp = &d["details"]["sanctions"]["false_positives"][0];
    assert_eq!(fp["party"], "investor");
    assert_eq!(fp["name"], WEAK);
    assert_eq!(fp["ent_nums"], json!(ents));
    assert_eq!(fp["decision_check_ids"], json!([d["id"]]));
    assert_eq!(
        d["details"]["sanctions"]["list_version"],
        check["input"]["list_version"]
    );

    // The decided check itself is unchanged; the decision is readable like any check.
    let (_, again) = get(
        &app,
        &format!("/v1/compliance/checks/{}", check["id"].as_str().unwrap()),
        "acme/carla",
    )
    .await;
    assert_eq!(again, check);
    let (_, stored) = get(
        &app,
        &format!("/v1/compliance/checks/{}", d["id"].as_str().unwrap()),
        "acme/admin",
    )
    .await;
    assert_eq!(stored, d);

    let inv = investor(&app, &id).await;
    assert_eq!(inv["kyc_status"], "approved");
    assert_eq!(inv["sanctions_status"], "clear");
    assert_eq!(inv["kyc_check_id"], d["id"]);

    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["eligible"], true, "{c}");
    assert_eq!(c["sanctions"], "clear");
    assert_eq!(c["kyc_check_id"], d["id"]);
    assert_eq!(c["kyc_decision"]["check_id"], d["id"]);
    assert_eq!(c["kyc_decision"]["decision"], "approve");
    assert_eq!(c["kyc_decision"]["decided_check_id"], check["id"]);
    assert_eq!(c["kyc_decision"]["decided_by"], "carla");
    assert!(c["kyc_decision"]["note"].is_string());
    assert_eq!(c["sanctions_false_positives"][0]["ent_nums"], json!(ents));
    // A viewer sees that a decision was made, not the officer's note.
    let c = compliance_view(&app, &id, "acme/vic").await;
    assert_eq!(c["eligible"], true);
    assert_eq!(c["kyc_decision"]["check_id"], d["id"]);
    assert!(c["kyc_decision"].get("note").is_none(), "{c}");

    // Pre-trade now approves the investor's orders.
    let asset = new_id("ast");
    let got = pre_trade(
        &app,
        order_request(&id, &asset, "buy", "10", "5", "reg_d_506b"),
    )
    .await;
    assert_eq!(got["approved"], true, "{got}");

    // Decided: the same decision again finds nothing in review.
    let got = decide(&app, &id, "acme/carla", approve(&check)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["sanctions_status"], "clear");
    assert_eq!(count(&pool, "kyc_decision").await, 1);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_rerun_keeps_the_approved_false_positive_clear(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let (id, check) = weak_match(&app).await;
    let (s, d) = decide(&app, &id, "acme/admin", approve(&check)).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["created_by"], "admin");

    // Same name, same list version, same entries: clear, and the check says why.
    let rerun = kyc(&app, &id).await;
    assert_eq!(rerun["status"], "approved", "{rerun}");
    assert_eq!(rerun["reasons"], json!([]));
    assert_eq!(rerun["details"]["sanctions"]["status"], "clear");
    assert_eq!(rerun["details"]["sanctions_matches"][0]["ent_num"], 1572);
    assert_eq!(
        rerun["details"]["sanctions_matches"][0]["false_positive"],
        true
    );
    let fp = &rerun["details"]["sanctions"]["false_positives"][0];
    assert_eq!(fp["carried"], true);
    assert_eq!(fp["decision_check_ids"], json!([d["id"]]));
    let inv = investor(&app, &id).await;
    assert_eq!(inv["sanctions_status"], "clear");
    assert_eq!(inv["kyc_check_id"], rerun["id"]);
    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["eligible"], true);
    assert!(c["kyc_decision"].is_null());
    assert_eq!(
        c["sanctions_false_positives"][0]["decision_check_ids"],
        json!([d["id"]])
    );
    // Nothing left to decide on the new run.
    let got = decide(&app, &id, "acme/carla", approve(&rerun)).await;
    assert_error(&got, 409, "INVALID_STATE");

    // The approval is this investor's: another investor of the same name is in review.
    let (other, _) = weak_match(&app).await;
    assert_eq!(investor(&app, &other).await["sanctions_status"], "review");

    // A new list version with a new entry for the name re-opens the review.
    let dir = std::env::temp_dir().join(format!("bd-ofac-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["alt.csv", "add.csv", "sdn_comments.csv"] {
        std::fs::copy(format!("{OFAC_DIR}/{f}"), dir.join(f)).unwrap();
    }
    let sdn = std::fs::read(format!("{OFAC_DIR}/sdn.csv")).unwrap();
    let mut extended = b"99999,\"NORIEGA, Manuel Jose\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n".to_vec();
    extended.extend_from_slice(&sdn);
    std::fs::write(dir.join("sdn.csv"), extended).unwrap();
    let list = Arc::new(sanctions::SanctionsList::load_dir(&dir).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    let config = bd::Config::from_source(testkit::env(&[("OFAC_DIR", OFAC_DIR)])).unwrap();
    let service = testkit::service_pool(&pool).await;
    let platform =
        platform::Platform::with_pool(config.common.clone(), service, &bd::MIGRATOR).unwrap();
    let updated = TestServer::start(bd::router(&platform, &config, list)).await;
    let reopened = kyc(&updated, &id).await;
    assert_eq!(reopened["status"], "review", "{reopened}");
    assert_ne!(
        reopened["input"]["list_version"],
        check["input"]["list_version"]
    );
    let ents: Vec<u64> = reopened["details"]["sanctions_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ent_num"].as_u64().unwrap())
        .collect();
    assert!(ents.contains(&99999), "{ents:?}");
    assert_eq!(
        reopened["details"]["sanctions"]["false_positives"],
        json!([])
    );
    assert_eq!(investor(&app, &id).await["sanctions_status"], "review");
    // Decided again against the new version, it stays clear on that version too.
    let (s, _) = decide(&updated, &id, "acme/carla", approve(&reopened)).await;
    assert_eq!(s, 201);
    assert_eq!(kyc(&updated, &id).await["status"], "approved");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_rejected_review_is_a_hit(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (id, check) = weak_match(&app).await;
    let (s, d) = decide(
        &app,
        &id,
        "acme/carla",
        json!({"decision": "reject", "note": "Same date of birth as the SDN entry", "check_id": check["id"]}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "rejected");
    assert_eq!(d["reasons"][0]["code"], "sanctions_confirmed");
    assert_eq!(d["details"]["sanctions"]["false_positives"], json!([]));
    assert_eq!(d["details"]["sanctions"]["confirmed"][0]["name"], WEAK);
    let inv = investor(&app, &id).await;
    assert_eq!(inv["sanctions_status"], "hit");
    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["eligible"], false);
    assert_eq!(c["reasons"][0]["code"], "sanctions_hit");
    assert_eq!(c["kyc_decision"]["decision"], "reject");
    // A confirmed match is not re-opened by a decision.
    let got = decide(&app, &id, "acme/carla", approve(&check)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["reason"], "confirmed_match");
    // A rejection is not remembered: running KYC again asks a person again.
    assert_eq!(kyc(&app, &id).await["status"], "review");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_strong_match_or_an_embargo_cannot_be_approved(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Manuel Antonio Noriega", "PA")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected");
    let got = decide(&app, &id, "acme/admin", approve(&check)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["reason"], "strong_match");
    assert_eq!(details["sanctions_status"], "hit");
    assert_eq!(details["reasons"][0]["code"], "sanctions_hit");
    assert!(got.1["error"]["message"].as_str().unwrap().contains("list"));
    // Nor rejected again: it is not in review.
    let got = decide(
        &app,
        &id,
        "acme/carla",
        json!({"decision": "reject", "note": "n", "check_id": check["id"]}),
    )
    .await;
    assert_error(&got, 409, "INVALID_STATE");

    let iran = create(&app, individual("Grace Hopper", "IR")).await;
    let check = kyc(&app, &iran).await;
    let got = decide(&app, &iran, "acme/carla", approve(&check)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["reason"], "sanctioned_jurisdiction");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("licence")
    );

    assert_eq!(count(&pool, "kyc_decision").await, 0);
    assert_eq!(investor(&app, &id).await["sanctions_status"], "hit");
    assert_eq!(investor(&app, &iran).await["sanctions_status"], "hit");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn only_the_latest_check_in_review_can_be_decided(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    // Approved: nothing to decide.
    let ok = create(&app, individual("Grace Hopper", "US")).await;
    let ok_check = kyc(&app, &ok).await;
    let got = decide(&app, &ok, "acme/carla", approve(&ok_check)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["kyc_status"], "approved");

    // Superseded by a later run.
    let (id, first) = weak_match(&app).await;
    let second = kyc(&app, &id).await;
    let got = decide(&app, &id, "acme/carla", approve(&first)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["latest_check_id"], second["id"]);
    // Another investor's check, an unknown check, or no KYC at all.
    let got = decide(&app, &id, "acme/carla", approve(&ok_check)).await;
    assert_error(&got, 409, "INVALID_STATE");
    let got = decide(
        &app,
        &id,
        "acme/carla",
        json!({"decision": "approve", "note": "n", "check_id": new_id("chk")}),
    )
    .await;
    assert_error(&got, 409, "INVALID_STATE");
    let fresh = create(&app, individual("Ada Lovelace", "GB")).await;
    let got = decide(&app, &fresh, "acme/carla", approve(&second)).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert!(details["latest_check_id"].is_null());

    assert_eq!(count(&pool, "kyc_decision").await, 0);
    let (s, _) = decide(&app, &id, "acme/carla", approve(&second)).await;
    assert_eq!(s, 201);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn decision_refusals(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let (id, check) = weak_match(&app).await;
    let path = format!("/v1/investors/{id}/kyc/decision");
    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &post(&app, &path, user, approve(&check)).await,
            403,
            "FORBIDDEN",
        );
    }
    let (s, _) = send(app.post(&path).json(&approve(&check))).await;
    assert_eq!(s, 401);
    // Another organization's investor is not found, like an unknown one.
    assert_error(
        &post(&app, &path, "globex/admin", approve(&check)).await,
        404,
        "NOT_FOUND",
    );
    for unknown in [new_id("inv"), "inv_x".to_owned()] {
        assert_error(
            &decide(&app, &unknown, "acme/carla", approve(&check)).await,
            404,
            "NOT_FOUND",
        );
    }
    // Bad input.
    let cases = [
        (
            json!({"decision": "approve", "check_id": check["id"]}),
            "note",
        ),
        (
            json!({"decision": "approve", "note": "  ", "check_id": check["id"]}),
            "note",
        ),
        (
            json!({"decision": "approve", "note": "x".repeat(2001), "check_id": check["id"]}),
            "note",
        ),
        (
            json!({"decision": "maybe", "note": "n", "check_id": check["id"]}),
            "decision",
        ),
        (json!({"note": "n", "check_id": check["id"]}), "decision"),
        (json!({"decision": "approve", "note": "n"}), "check_id"),
        (
            json!({"decision": "approve", "note": "n", "check_id": "chk_x"}),
            "check_id",
        ),
        (
            json!({"decision": "approve", "note": 5, "check_id": check["id"]}),
            "note",
        ),
    ];
    for (body, field) in cases {
        let got = decide(&app, &id, "acme/carla", body.clone()).await;
        let details = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(details["fields"].get(field).is_some(), "{body}: {details}");
    }
    let mut extra = approve(&check);
    extra["organization_id"] = json!("globex");
    assert_error(
        &decide(&app, &id, "acme/carla", extra).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        &post_raw(&app, &path, "acme/carla", "{").await,
        400,
        "MALFORMED_JSON",
    );
    // Nothing was written by any refusal.
    assert_eq!(count(&pool, "kyc_decision").await, 0);
    assert_eq!(investor(&app, &id).await["sanctions_status"], "review");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_decision_replays_with_an_idempotency_key(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let (id, check) = weak_match(&app).await;
    let req = || {
        app.post(&format!("/v1/investors/{id}/kyc/decision"))
            .bearer_auth(token("acme/carla"))
            .header("idempotency-key", "decide-1")
            .json(&approve(&check))
    };
    let (s1, v1) = send(req()).await;
    let (s2, v2) = send(req()).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(v1, v2);
    assert_eq!(count(&pool, "kyc_decision").await, 1);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_identity_the_provider_did_not_verify_can_be_decided(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // The dev provider leaves `review` in the name pending.
    let id = create(&app, individual("Pending Review Person", "US")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["reasons"][0]["code"], "kyc_under_review");
    let (s, d) = decide(
        &app,
        &id,
        "acme/carla",
        json!({"decision": "approve", "note": "Verified the passport and a utility bill in person", "check_id": check["id"]}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["details"]["resolved"], json!(["identity"]));
    assert_eq!(d["details"]["identity"]["status"], "approved");
    assert_eq!(d["details"]["sanctions"]["false_positives"], json!([]));
    let inv = investor(&app, &id).await;
    assert_eq!(inv["kyc_status"], "approved");
    assert_eq!(inv["sanctions_status"], "clear");
    assert_eq!(
        compliance_view(&app, &id, "acme/carla").await["eligible"],
        true
    );

    let other = create(&app, individual("Another Review Person", "US")).await;
    let check = kyc(&app, &other).await;
    let (s, d) = decide(
        &app,
        &other,
        "acme/carla",
        json!({"decision": "reject", "note": "Documents did not match", "check_id": check["id"]}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["reasons"][0]["code"], "kyc_rejected");
    assert_eq!(investor(&app, &other).await["kyc_status"], "rejected");
}

// ---------------------------------------------------------------------------------------------
// Accreditation

/// Income that fell to within 10% of the $200,000 threshold: the rules leave it to a person.
fn declining_income() -> Value {
    json!({"method": "income", "evidence": {
        "annual_income": ["300000", "210000"],
        "joint_with_spouse": false,
        "documents_dated": today().to_string(),
    }})
}

async fn in_review(app: &TestServer, id: &str) -> Value {
    let (s, v) = post(
        app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        declining_income(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "review", "{v}");
    v
}

async fn decide_accreditation(
    app: &TestServer,
    id: &str,
    check: &str,
    user: &str,
    body: Value,
) -> (u16, Value) {
    post(
        app,
        &format!("/v1/investors/{id}/accreditation/{check}/decision"),
        user,
        body,
    )
    .await
}

fn parse_time(v: &Value) -> time::OffsetDateTime {
    platform::time::parse(v.as_str().unwrap()).unwrap()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_accreditation_review_approved_is_verified(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let review = in_review(&app, &id).await;
    let review_id = review["id"].as_str().unwrap();
    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["accreditation"]["status"], "review");

    let (s, d) = decide_accreditation(
        &app,
        &id,
        review_id,
        "acme/carla",
        json!({"decision": "approve", "note": "Employment contract shows a raise for this year"}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["kind"], "accreditation_decision");
    assert_eq!(d["status"], "verified");
    assert_eq!(d["decided_check_id"], review_id);
    assert_eq!(d["decision"], "approve");
    assert_eq!(d["method"], "income");
    assert_eq!(d["evidence"], review["evidence"]);
    assert_eq!(d["created_by"], "carla");
    assert!(d["note"].as_str().unwrap().contains("raise"));
    assert_eq!(
        parse_time(&d["expires_at"]) - parse_time(&d["verified_at"]),
        time::Duration::days(90)
    );

    let (_, list) = get(
        &app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
    )
    .await;
    assert_eq!(list["current"]["status"], "verified");
    assert_eq!(list["current"]["check_id"], d["id"]);
    assert_eq!(list["current"]["decision"]["decision"], "approve");
    assert_eq!(list["data"][0]["id"], d["id"]);
    assert_eq!(list["data"][1]["id"], review["id"]);
    assert_eq!(list["data"][1]["status"], "review");
    assert_eq!(list["data"][1]["kind"], "accreditation");

    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["accredited"], true, "{c}");
    assert_eq!(c["accreditation"]["status"], "verified");
    assert_eq!(c["accreditation"]["decision"]["check_id"], d["id"]);
    // 506(c) now passes pre-trade.
    let got = pre_trade(
        &app,
        order_request(&id, &new_id("ast"), "buy", "1", "10", "reg_d_506c"),
    )
    .await;
    assert_eq!(got["approved"], true, "{got}");

    // Decided once only.
    let got = decide_accreditation(
        &app,
        &id,
        review_id,
        "acme/carla",
        json!({"decision": "reject", "note": "changed my mind"}),
    )
    .await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["decision_check_id"], d["id"]);
    assert_eq!(count(&pool, "accreditation_decision").await, 1);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_accreditation_review_rejected(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let review = in_review(&app, &id).await;
    // Replayed with an Idempotency-Key: one decision.
    let req = || {
        app.post(&format!(
            "/v1/investors/{id}/accreditation/{}/decision",
            review["id"].as_str().unwrap()
        ))
        .bearer_auth(token("acme/admin"))
        .header("idempotency-key", "acc-decide-1")
        .json(&json!({"decision": "reject", "note": "Income is expected to fall further"}))
    };
    let (s, d) = send(req()).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(send(req()).await, (201, d.clone()));
    assert_eq!(count(&pool, "accreditation_decision").await, 1);
    assert_eq!(d["status"], "rejected");
    assert!(d["expires_at"].is_null());
    assert_eq!(d["reasons"][0]["code"], "accreditation_rejected");
    let c = compliance_view(&app, &id, "acme/carla").await;
    assert_eq!(c["accreditation"]["status"], "rejected");
    assert_eq!(c["accredited"], false);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn accreditation_decision_refusals(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let review = in_review(&app, &id).await;
    let review_id = review["id"].as_str().unwrap().to_owned();
    let ok = json!({"decision": "approve", "note": "fine"});

    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &decide_accreditation(&app, &id, &review_id, user, ok.clone()).await,
            403,
            "FORBIDDEN",
        );
    }
    assert_error(
        &decide_accreditation(&app, &id, &review_id, "globex/admin", ok.clone()).await,
        404,
        "NOT_FOUND",
    );
    // Unknown, malformed, another investor's, or not an accreditation: 404.
    let other = approved_individual(&app, "Ada Lovelace").await;
    let other_review = in_review(&app, &other).await;
    let kyc_check = investor(&app, &id).await["kyc_check_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for check in [
        new_id("chk"),
        "chk_x".to_owned(),
        other_review["id"].as_str().unwrap().to_owned(),
        kyc_check,
    ] {
        assert_error(
            &decide_accreditation(&app, &id, &check, "acme/carla", ok.clone()).await,
            404,
            "NOT_FOUND",
        );
    }
    for body in [
        json!({"decision": "approve"}),
        json!({"decision": "approve", "note": ""}),
        json!({"decision": "verify", "note": "n"}),
        json!({"decision": "approve", "note": "n", "check_id": review_id}),
    ] {
        assert_error(
            &decide_accreditation(&app, &id, &review_id, "acme/carla", body).await,
            400,
            "VALIDATION_ERROR",
        );
    }
    let path = format!("/v1/investors/{id}/accreditation/{review_id}/decision");
    assert_error(
        &post_raw(&app, &path, "acme/carla", "{\"decision\":").await,
        400,
        "MALFORMED_JSON",
    );
    let (s, _) = send(app.post(&path).json(&ok)).await;
    assert_eq!(s, 401);
    // A verified accreditation is not in review.
    let verified = accredit(&app, &other).await;
    let got = decide_accreditation(
        &app,
        &other,
        verified["id"].as_str().unwrap(),
        "acme/carla",
        ok.clone(),
    )
    .await;
    assert_error(&got, 409, "INVALID_STATE");
    // A review superseded by a later request cannot be decided.
    let got = decide_accreditation(
        &app,
        &other,
        other_review["id"].as_str().unwrap(),
        "acme/carla",
        ok.clone(),
    )
    .await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["latest_check_id"], verified["id"]);

    // Evidence that aged past the 3 months while in review is not approved.
    sqlx::query(
        "UPDATE checks SET input = jsonb_set(input, '{evidence,documents_dated}', '\"2020-01-15\"')
         WHERE id = $1",
    )
    .bind(platform::ids::CheckId::parse(&review_id).unwrap().uuid())
    .execute(&pool)
    .await
    .unwrap();
    let got = decide_accreditation(&app, &id, &review_id, "acme/carla", ok.clone()).await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["reasons"][0]["code"], "evidence_stale", "{details}");
    assert_eq!(count(&pool, "accreditation_decision").await, 0);
    // It can still be rejected.
    let (s, _) = decide_accreditation(
        &app,
        &id,
        &review_id,
        "acme/carla",
        json!({"decision": "reject", "note": "stale documents"}),
    )
    .await;
    assert_eq!(s, 201);
}

// ---------------------------------------------------------------------------------------------
// Audit history

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_checks_history_lists_every_check_newest_first(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let (id, first) = weak_match(&app).await;
    let (_, decision) = decide(&app, &id, "acme/carla", approve(&first)).await;
    let rerun = kyc(&app, &id).await;
    let review = in_review(&app, &id).await;
    let (_, acc_decision) = decide_accreditation(
        &app,
        &id,
        review["id"].as_str().unwrap(),
        "acme/carla",
        json!({"decision": "approve", "note": "ok"}),
    )
    .await;
    let (s, updated) = patch(
        &app,
        &format!("/v1/investors/{id}"),
        "acme/carla",
        json!({"email": "new@example.com"}),
    )
    .await;
    assert_eq!(s, 200, "{updated}");
    let asset = new_id("ast");
    let order = order_request(&id, &asset, "buy", "1", "10", "reg_d_506b");
    let pre = pre_trade(&app, order).await;
    let seller = approved_individual(&app, "Ada Lovelace").await;
    let (s, settlement) = post_service(
        &app,
        "/v1/compliance/settlement",
        "acme",
        json!({
            "settlement_id": new_id("stl"),
            "trade_id": new_id("trd"),
            "asset_id": asset,
            "buyer_investor_id": id,
            "seller_investor_id": seller,
            "regulation": "reg_d_506b",
            "quantity": "1",
            "price": "10",
        }),
    )
    .await;
    assert_eq!(s, 200, "{settlement}");

    let expected = [
        (settlement["id"].clone(), "settlement"),
        (pre["id"].clone(), "pre_trade"),
        (updated["update"]["check_id"].clone(), "investor_update"),
        (acc_decision["id"].clone(), "accreditation_decision"),
        (review["id"].clone(), "accreditation"),
        (rerun["id"].clone(), "kyc"),
        (decision["id"].clone(), "kyc_decision"),
        (first["id"].clone(), "kyc"),
    ];
    let (s, all) = get(&app, &format!("/v1/investors/{id}/checks"), "acme/carla").await;
    assert_eq!(s, 200, "{all}");
    let got: Vec<(Value, Value)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].clone(), c["kind"].clone()))
        .collect();
    let want: Vec<(Value, Value)> = expected
        .iter()
        .map(|(id, k)| (id.clone(), json!(k)))
        .collect();
    assert_eq!(got, want);
    assert!(all["next_cursor"].is_null());
    assert_eq!(all["data"][6]["input"]["note"], approve(&first)["note"]);

    // Pages of 3, following the cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/investors/{id}/checks?limit=3&cursor={c}"),
            None => format!("/v1/investors/{id}/checks?limit=3"),
        };
        let (s, page) = get(&app, &path, "acme/admin").await;
        assert_eq!(s, 200, "{page}");
        assert!(page["data"].as_array().unwrap().len() <= 3);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        expected
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    );

    // One kind.
    let (_, kycs) = get(
        &app,
        &format!("/v1/investors/{id}/checks?kind=kyc"),
        "acme/carla",
    )
    .await;
    let ids: Vec<Value> = kycs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![rerun["id"].clone(), first["id"].clone()]);
    // The seller sees the settlement too.
    let (_, theirs) = get(
        &app,
        &format!("/v1/investors/{seller}/checks?kind=settlement"),
        "acme/carla",
    )
    .await;
    assert_eq!(theirs["data"][0]["id"], settlement["id"]);

    // Refusals.
    let path = format!("/v1/investors/{id}/checks");
    assert_error(&get(&app, &path, "globex/admin").await, 404, "NOT_FOUND");
    assert_error(
        &get(
            &app,
            &format!("/v1/investors/{}/checks", new_id("inv")),
            "acme/carla",
        )
        .await,
        404,
        "NOT_FOUND",
    );
    for user in ["acme/alice", "acme/vic"] {
        assert_error(&get(&app, &path, user).await, 403, "FORBIDDEN");
    }
    let (s, _) = send(app.get(&path)).await;
    assert_eq!(s, 401);
    for q in ["?kind=nope", "?limit=0", "?limit=501", "?cursor=garbage"] {
        assert_error(
            &get(&app, &format!("{path}{q}"), "acme/carla").await,
            400,
            "VALIDATION_ERROR",
        );
    }
}
