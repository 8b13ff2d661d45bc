//! Accreditation: each method through the endpoint, validity, the list and the one in force.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use testkit::assert_error;

async fn accreditation(app: &testkit::TestServer, id: &str, body: Value) -> (u16, Value) {
    post(
        app,
        &format!("/v1/investors/{id}/accreditation"),
        "acme/carla",
        body,
    )
    .await
}

fn parse_time(v: &Value) -> time::OffsetDateTime {
    platform::time::parse(v.as_str().unwrap()).unwrap()
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn verified_with_dates_and_the_configured_validity(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let today = today().to_string();
    let (s, v) = accreditation(
        &app,
        &id,
        json!({"method": "income", "evidence": {"annual_income": ["250000", 260000], "joint_with_spouse": false, "documents_dated": today}}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "verified");
    assert_eq!(v["method"], "income");
    assert_eq!(v["evidence_date"], today.as_str());
    assert_eq!(v["reasons"], json!([]));
    assert!(v["id"].as_str().unwrap().starts_with("chk_"));
    let verified_at = parse_time(&v["verified_at"]);
    let expires_at = parse_time(&v["expires_at"]);
    assert_eq!(expires_at - verified_at, time::Duration::days(90));
    assert_eq!(v["evidence"]["annual_income"], json!(["250000", "260000"]));

    // ACCREDITATION_VALIDITY_DAYS
    let app30 = app_with(pool, &[("ACCREDITATION_VALIDITY_DAYS", "30")], None).await;
    let (_, v) = accreditation(&app30, &id, json!({"method": "professional_certification", "evidence": {"license": "series_65", "crd_number": "1234567"}})).await;
    assert_eq!(v["status"], "verified", "{v}");
    assert_eq!(
        parse_time(&v["expires_at"]) - parse_time(&v["verified_at"]),
        time::Duration::days(30)
    );
    assert!(v["evidence_date"].is_null());
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn rejections_name_the_rule(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let today = today().to_string();
    // "In excess of": exactly the threshold is not enough.
    let (s, v) = accreditation(
        &app,
        &id,
        json!({"method": "income", "evidence": {"annual_income": ["200000", "300000"], "joint_with_spouse": false, "documents_dated": today}}),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reasons"][0]["code"], "income_below_threshold");
    assert_eq!(v["reasons"][0]["rule"], "17 CFR 230.501(a)(6)");
    assert!(v["verified_at"].is_null() && v["expires_at"].is_null());
    let (_, v) = accreditation(
        &app,
        &id,
        json!({"method": "net_worth", "evidence": {"net_worth": "1000000.01", "documents_dated": today}}),
    )
    .await;
    assert_eq!(v["status"], "verified");
    let (_, v) = accreditation(
        &app,
        &id,
        json!({"method": "net_worth", "evidence": {"net_worth": "1000000", "documents_dated": today}}),
    )
    .await;
    assert_eq!(v["reasons"][0]["code"], "net_worth_below_threshold");

    // Evidence older than three months, or in the future.
    let stale =
        compliance::accreditation::months_before(common::today(), 3) - time::Duration::days(1);
    let (_, v) = accreditation(
        &app,
        &id,
        json!({"method": "third_party_letter", "evidence": {"verifier_type": "cpa", "letter_dated": stale.to_string()}}),
    )
    .await;
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["reasons"][0]["code"], "evidence_stale");
    let (_, v) = accreditation(
        &app,
        &id,
        json!({"method": "third_party_letter", "evidence": {"verifier_type": "cpa", "letter_dated": (stale + time::Duration::days(1)).to_string()}}),
    )
    .await;
    assert_eq!(v["status"], "verified", "{v}");

    // Methods for the other kind of investor.
    let (_, v) = accreditation(
        &app,
        &id,
        json!({"method": "entity_assets", "evidence": {"total_assets": "9000000"}}),
    )
    .await;
    assert_eq!(v["reasons"][0]["code"], "method_not_applicable");
    let entity = create(&app, json!({"type": "entity", "legal_name": "Pied Piper Ventures LLC", "email": "ops@pp.example", "country": "US"})).await;
    let (_, v) = accreditation(
        &app,
        &entity,
        json!({"method": "entity_assets", "evidence": {"total_assets": "5000000.01"}}),
    )
    .await;
    assert_eq!(v["status"], "verified");
    let (_, v) = accreditation(&app, &entity, json!({"method": "net_worth", "evidence": {"net_worth": "9000000", "documents_dated": today}})).await;
    assert_eq!(v["status"], "rejected");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn bad_evidence_is_400_with_every_field(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/accreditation");
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"method": "net_worth"}), vec!["evidence"]),
        (json!({"evidence": {}}), vec!["method"]),
        (json!({"method": "lottery", "evidence": {}}), vec!["method"]),
        (
            json!({"method": "net_worth", "evidence": {}}),
            vec!["evidence.net_worth", "evidence.documents_dated"],
        ),
        (
            json!({"method": "net_worth", "evidence": {"net_worth": "-5", "documents_dated": "yesterday"}}),
            vec!["evidence.net_worth", "evidence.documents_dated"],
        ),
        (
            json!({"method": "income", "evidence": {"annual_income": ["300000"], "documents_dated": "2026-01-01"}}),
            vec!["evidence.annual_income"],
        ),
        (
            json!({"method": "professional_certification", "evidence": {"license": "series_99", "crd_number": ""}}),
            vec!["evidence.license", "evidence.crd_number"],
        ),
        (
            json!({"method": "third_party_letter", "evidence": {"verifier_type": "friend"}}),
            vec!["evidence.verifier_type", "evidence.letter_dated"],
        ),
        (
            json!({"method": "entity_assets", "evidence": "lots"}),
            vec!["evidence"],
        ),
        (
            json!({"method": "net_worth", "evidence": {"net_worth": "2000000", "documents_dated": "2026-01-01"}, "organization_id": "globex"}),
            vec!["organization_id"],
        ),
        (json!([1, 2]), vec!["body"]),
    ];
    for (body, names) in cases {
        let got = post(&app, &path, "acme/carla", body.clone()).await;
        let d = assert_error(&got, 400, "VALIDATION_ERROR");
        for n in names {
            assert!(d["fields"].get(n).is_some(), "{n}: {body} -> {d}");
        }
    }
    assert_error(
        &post_raw(&app, &path, "acme/carla", "{\"method\":").await,
        400,
        "MALFORMED_JSON",
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn roles_and_tenants(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/accreditation");
    let body = json!({"method": "net_worth", "evidence": {"net_worth": "2000000", "documents_dated": today().to_string()}});
    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &post(&app, &path, user, body.clone()).await,
            403,
            "FORBIDDEN",
        );
        assert_error(&get(&app, &path, user).await, 403, "FORBIDDEN");
    }
    assert_error(
        &post(&app, &path, "globex/admin", body.clone()).await,
        404,
        "NOT_FOUND",
    );
    assert_error(&get(&app, &path, "globex/admin").await, 404, "NOT_FOUND");
    let unknown = format!("/v1/investors/{}/accreditation", new_id("inv"));
    assert_error(
        &post(&app, &unknown, "acme/admin", body).await,
        404,
        "NOT_FOUND",
    );
    assert_error(&get(&app, &unknown, "acme/admin").await, 404, "NOT_FOUND");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_list_and_the_verification_in_force(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/accreditation");
    let (s, empty) = get(&app, &path, "acme/carla").await;
    assert_eq!(s, 200);
    assert_eq!(empty["current"]["status"], "none");
    assert_eq!(empty["data"], json!([]));

    let verified = accredit(&app, &id).await;
    let (_, rejected) = accreditation(
        &app,
        &id,
        json!({"method": "net_worth", "evidence": {"net_worth": "10", "documents_dated": today().to_string()}}),
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    let (_, list) = get(&app, &path, "acme/carla").await;
    // Latest first; a later refused request does not revoke the verification in force.
    assert_eq!(list["data"][0]["id"], rejected["id"]);
    assert_eq!(list["data"][1]["id"], verified["id"]);
    assert_eq!(list["current"]["status"], "verified");
    assert_eq!(list["current"]["check_id"], verified["id"]);
    assert_eq!(list["current"]["expires_at"], verified["expires_at"]);
    let (_, page) = get(&app, &format!("{path}?limit=1"), "acme/carla").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = get(
        &app,
        &format!("{path}?limit=1&cursor={cursor}"),
        "acme/carla",
    )
    .await;
    assert_eq!(page2["data"][0]["id"], verified["id"]);

    let (_, c) = get(&app, &format!("/v1/investors/{id}/compliance"), "acme/vic").await;
    assert_eq!(c["accredited"], true);
    assert_eq!(c["accreditation"]["status"], "verified");

    // Once the verification expires, the latest request decides: rejected.
    sqlx::query(
        "UPDATE checks SET expires_at = now() - interval '1 second' WHERE kind = 'accreditation'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (_, list) = get(&app, &path, "acme/carla").await;
    assert_eq!(list["current"]["status"], "rejected");
    let (_, c) = get(&app, &format!("/v1/investors/{id}/compliance"), "acme/vic").await;
    assert_eq!(c["accredited"], false);

    // An expired verification as the latest request is `expired`.
    let again = accredit(&app, &id).await;
    sqlx::query(
        "UPDATE checks SET expires_at = now() - interval '1 second' WHERE kind = 'accreditation'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (_, list) = get(&app, &path, "acme/carla").await;
    assert_eq!(list["current"]["status"], "expired");
    assert_eq!(list["current"]["check_id"], again["id"]);
}
