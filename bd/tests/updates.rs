//! `PATCH /v1/investors/{id}`: corrections validated as on create, identity changes that
//! invalidate the KYC, and the audit record of each change.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use testkit::{TestServer, assert_error, send};

async fn update(app: &TestServer, id: &str, user: &str, body: Value) -> (u16, Value) {
    patch(app, &format!("/v1/investors/{id}"), user, body).await
}

async fn investor(app: &TestServer, id: &str) -> Value {
    let (s, v) = get(app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn updates(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM checks WHERE kind = 'investor_update'")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn entity(owners: Value) -> Value {
    json!({
        "type": "entity",
        "legal_name": "Pied Piper Ventures LLC",
        "email": "ops@piedpiper.example",
        "country": "US",
        "beneficial_owners": owners,
    })
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn details_are_corrected_without_touching_the_kyc(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let before = investor(&app, &id).await;
    let body = json!({
        "email": "  grace@navy.example ",
        "external_ref": "crm-42",
        "annual_income": "180000",
        "net_worth": 950000,
    });
    let (s, v) = update(&app, &id, "acme/carla", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["email"], "grace@navy.example");
    assert_eq!(v["external_ref"], "crm-42");
    assert_eq!(v["annual_income"], "180000");
    assert_eq!(v["net_worth"], "950000");
    assert_eq!(v["legal_name"], "Grace Hopper");
    assert_eq!(v["kyc_status"], "approved");
    assert_eq!(v["sanctions_status"], "clear");
    assert_eq!(v["kyc_check_id"], before["kyc_check_id"]);
    assert_eq!(v["update"]["kyc_invalidated"], false);
    let mut changed: Vec<String> = v["update"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        ["annual_income", "email", "external_ref", "net_worth"]
    );
    let check_id = v["update"]["check_id"].as_str().unwrap().to_owned();

    // Read back, and the change is on record with who made it.
    let got = investor(&app, &id).await;
    assert_eq!(got["email"], "grace@navy.example");
    assert_eq!(got["annual_income"], "180000");
    let (_, check) = get(
        &app,
        &format!("/v1/compliance/checks/{check_id}"),
        "acme/carla",
    )
    .await;
    assert_eq!(check["kind"], "investor_update");
    assert_eq!(check["status"], "updated");
    assert_eq!(check["created_by"], "carla");
    assert_eq!(
        check["details"]["changes"]["email"],
        json!({"from": "investor@example.com", "to": "grace@navy.example"})
    );
    assert_eq!(
        check["details"]["changes"]["external_ref"]["from"],
        Value::Null
    );
    assert_eq!(check["input"], body);
    let c = {
        let (_, c) = get(
            &app,
            &format!("/v1/investors/{id}/compliance"),
            "acme/carla",
        )
        .await;
        c
    };
    assert_eq!(c["eligible"], true);

    // The same PATCH again changes nothing and records nothing: PATCH is idempotent.
    let (s, again) = update(&app, &id, "acme/admin", body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["update"]["changed"], json!([]));
    assert!(again["update"]["check_id"].is_null());
    assert_eq!(updates(&pool).await, 1);
    // An empty PATCH too.
    let (s, _) = update(&app, &id, "acme/carla", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(updates(&pool).await, 1);

    // null clears an optional field.
    let (s, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"external_ref": null, "annual_income": null}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["external_ref"].is_null());
    assert!(v["annual_income"].is_null());
    assert_eq!(v["net_worth"], "950000");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_name_change_invalidates_the_kyc(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let old_check = investor(&app, &id).await["kyc_check_id"].clone();
    let (s, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"legal_name": "Grace Brewster Murray Hopper"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["legal_name"], "Grace Brewster Murray Hopper");
    assert_eq!(v["update"]["kyc_invalidated"], true);
    assert!(v["update"]["message"].as_str().unwrap().contains("kyc"));
    assert_eq!(v["kyc_status"], "none");
    assert_eq!(v["sanctions_status"], "none");
    assert_eq!(v["kyc_check_id"], v["update"]["check_id"]);
    let (_, check) = get(
        &app,
        &format!(
            "/v1/compliance/checks/{}",
            v["update"]["check_id"].as_str().unwrap()
        ),
        "acme/carla",
    )
    .await;
    assert_eq!(check["status"], "kyc_invalidated");
    assert_eq!(check["reasons"][0]["code"], "kyc_invalidated");
    assert_eq!(check["details"]["before"]["kyc_status"], "approved");
    assert_eq!(check["details"]["before"]["kyc_check_id"], old_check);

    let (_, c) = get(&app, &format!("/v1/investors/{id}/compliance"), "acme/vic").await;
    assert_eq!(c["eligible"], false);
    assert_eq!(c["kyc"], "none");
    // Its orders are refused until KYC runs again.
    let order = order_request(&id, &new_id("ast"), "buy", "1", "10", "reg_d_506b");
    assert_eq!(pre_trade(&app, order).await["approved"], false);
    let rerun = kyc(&app, &id).await;
    assert_eq!(rerun["status"], "approved");
    assert_eq!(
        rerun["input"]["subject"]["legal_name"],
        "Grace Brewster Murray Hopper"
    );

    // The country and the date of birth are identity too; the email is not.
    for body in [
        json!({"country": "GB"}),
        json!({"date_of_birth": "1981-02-03"}),
    ] {
        let (s, v) = update(&app, &id, "acme/carla", body.clone()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["update"]["kyc_invalidated"], true, "{body}");
        assert_eq!(v["kyc_status"], "none");
        assert_eq!(kyc(&app, &id).await["status"], "approved");
    }
    let (_, v) = update(&app, &id, "acme/carla", json!({"email": "g@h.example"})).await;
    assert_eq!(v["update"]["kyc_invalidated"], false);
    assert_eq!(v["kyc_status"], "approved");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_review_cannot_be_decided_once_the_identity_changed(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Manuel Noriega", "PA")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "review");
    // A change of email leaves the review open.
    let (s, _) = update(&app, &id, "acme/carla", json!({"email": "mn@example.com"})).await;
    assert_eq!(s, 200);
    assert_eq!(investor(&app, &id).await["sanctions_status"], "review");
    let (s, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"legal_name": "Manuel Norris"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["update"]["kyc_invalidated"], true);
    let got = post(
        &app,
        &format!("/v1/investors/{id}/kyc/decision"),
        "acme/carla",
        json!({"decision": "approve", "note": "another person", "check_id": check["id"]}),
    )
    .await;
    let details = assert_error(&got, 409, "INVALID_STATE");
    assert_eq!(details["kyc_status"], "none");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn beneficial_owners_are_replaced(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(
        &app,
        entity(json!([{"name": "Hedy Lamarr", "ownership_percent": "60", "country": "US", "date_of_birth": "1970-01-01"}])),
    )
    .await;
    assert_eq!(kyc(&app, &id).await["status"], "approved");

    // Percentages alone are not screened: the KYC stands.
    let (s, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"beneficial_owners": [{"name": "Hedy Lamarr", "ownership_percent": "55.5", "country": "US", "date_of_birth": "1970-01-01"}]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["update"]["changed"], json!(["beneficial_owners"]));
    assert_eq!(v["update"]["kyc_invalidated"], false);
    assert_eq!(v["beneficial_owners"][0]["ownership_percent"], "55.5");
    assert_eq!(v["kyc_status"], "approved");
    // The same percentage written otherwise is no change.
    let (_, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"beneficial_owners": [{"name": "Hedy Lamarr", "ownership_percent": 55.50, "country": "US", "date_of_birth": "1970-01-01"}]}),
    )
    .await;
    assert_eq!(v["update"]["changed"], json!([]));

    // A new owner must be screened: the KYC is invalidated.
    let (s, v) = update(
        &app,
        &id,
        "acme/carla",
        json!({"beneficial_owners": [
            {"name": "Hedy Lamarr", "ownership_percent": "50", "country": "US", "date_of_birth": "1970-01-01"},
            {"name": "Manuel Antonio Noriega", "ownership_percent": "30", "country": "PA", "date_of_birth": "1934-02-11"}
        ], "annual_revenue": "2000000"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["update"]["kyc_invalidated"], true);
    assert_eq!(v["beneficial_owners"].as_array().unwrap().len(), 2);
    assert_eq!(v["annual_revenue"], "2000000");
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected");
    assert_eq!(
        check["details"]["sanctions_matches"][0]["party"],
        "beneficial_owner"
    );

    // Removing every owner is `[]`, not null.
    let (s, v) = update(&app, &id, "acme/carla", json!({"beneficial_owners": []})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["beneficial_owners"], json!([]));
    assert_eq!(v["update"]["kyc_invalidated"], true);
    let got = update(&app, &id, "acme/carla", json!({"beneficial_owners": null})).await;
    assert_error(&got, 400, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn updates_are_validated_as_on_create(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = approved_individual(&app, "Grace Hopper").await;
    let org = create(&app, entity(json!([]))).await;
    let before = investor(&app, &id).await;
    let young = (today() - time::Duration::days(365 * 10)).to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        (&id, json!({"email": "not-an-email"}), "email"),
        (&id, json!({"email": null}), "email"),
        (&id, json!({"legal_name": "   "}), "legal_name"),
        (&id, json!({"legal_name": null}), "legal_name"),
        (&id, json!({"legal_name": "x".repeat(201)}), "legal_name"),
        (&id, json!({"country": "UK"}), "country"),
        (&id, json!({"country": "us"}), "country"),
        (&id, json!({"country": null}), "country"),
        (&id, json!({"annual_income": "-1"}), "annual_income"),
        (&id, json!({"net_worth": "1e30"}), "net_worth"),
        (&id, json!({"net_worth": "abc"}), "net_worth"),
        (&id, json!({"annual_revenue": "10"}), "annual_revenue"),
        (&id, json!({"date_of_birth": young}), "date_of_birth"),
        (&id, json!({"date_of_birth": "1899-12-31"}), "date_of_birth"),
        (&id, json!({"date_of_birth": "17/05/1980"}), "date_of_birth"),
        (&id, json!({"external_ref": ""}), "external_ref"),
        (
            &id,
            json!({"beneficial_owners": [{"name": "A B", "ownership_percent": "30", "country": "US", "date_of_birth": "1970-01-01"}]}),
            "beneficial_owners",
        ),
        (&org, json!({"annual_income": "10"}), "annual_income"),
        (
            &org,
            json!({"date_of_birth": "1970-01-01"}),
            "date_of_birth",
        ),
        (
            &org,
            json!({"beneficial_owners": [{"name": "A B", "ownership_percent": "10", "country": "US", "date_of_birth": "1970-01-01"}]}),
            "beneficial_owners[0].ownership_percent",
        ),
        (
            &org,
            json!({"beneficial_owners": [
                {"name": "A B", "ownership_percent": "60", "country": "US", "date_of_birth": "1970-01-01"},
                {"name": "C D", "ownership_percent": "60", "country": "US", "date_of_birth": "1970-01-01"}
            ]}),
            "beneficial_owners",
        ),
        (&id, json!({"type": "entity"}), "type"),
        (&id, json!({"organization_id": "globex"}), "organization_id"),
    ];
    for (who, body, field) in cases {
        let got = update(&app, who, "acme/carla", body.clone()).await;
        let details = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(details["fields"].get(field).is_some(), "{body}: {details}");
    }
    // Unknown fields, malformed JSON, not an object.
    assert_error(
        &update(&app, &id, "acme/carla", json!({"kyc_status": "approved"})).await,
        400,
        "VALIDATION_ERROR",
    );
    assert_error(
        &update(&app, &id, "acme/carla", json!(["email"])).await,
        400,
        "VALIDATION_ERROR",
    );
    let path = format!("/v1/investors/{id}");
    assert_error(
        &patch_raw(&app, &path, "acme/carla", "{\"email\":").await,
        400,
        "MALFORMED_JSON",
    );
    assert_error(
        &patch_raw(&app, &path, "acme/carla", "").await,
        400,
        "MALFORMED_JSON",
    );
    // Nothing changed by any refusal.
    assert_eq!(investor(&app, &id).await, before);
    assert_eq!(updates(&pool).await, 0);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn update_refusals(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let mut body = individual("Grace Hopper", "US");
    body["external_ref"] = json!("crm-1");
    let first = create(&app, body).await;
    let id = create(&app, individual("Ada Lovelace", "GB")).await;
    let path = format!("/v1/investors/{id}");
    let ok = json!({"email": "ada@example.com"});

    // external_ref stays unique in the organization.
    let got = update(&app, &id, "acme/carla", json!({"external_ref": " crm-1 "})).await;
    let details = assert_error(&got, 409, "CONFLICT");
    assert_eq!(details["investor_id"], first.as_str());
    // Its own external_ref again is fine.
    let (s, _) = update(&app, &first, "acme/carla", json!({"external_ref": "crm-1"})).await;
    assert_eq!(s, 200);

    for user in ["acme/alice", "acme/vic"] {
        assert_error(
            &patch(&app, &path, user, ok.clone()).await,
            403,
            "FORBIDDEN",
        );
    }
    let (s, _) = send(app.request(reqwest::Method::PATCH, &path).json(&ok)).await;
    assert_eq!(s, 401);
    assert_error(
        &patch(&app, &path, "globex/admin", ok.clone()).await,
        404,
        "NOT_FOUND",
    );
    for unknown in [new_id("inv"), "inv_x".to_owned()] {
        assert_error(
            &update(&app, &unknown, "acme/carla", ok.clone()).await,
            404,
            "NOT_FOUND",
        );
    }
    // The service tokens read investors but do not change them.
    let (s, _) = send(
        app.request(reqwest::Method::PATCH, &path)
            .bearer_auth(service())
            .header("x-iam-org", "acme")
            .json(&ok),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(investor(&app, &id).await["email"], "investor@example.com");
    assert_eq!(updates(&pool).await, 0);
}
