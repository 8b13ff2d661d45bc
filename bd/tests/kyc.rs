//! KYC/KYB: the provider, OFAC screening of the investor and its beneficial owners, the
//! jurisdiction check, the 502 path, and the provider's webhook.

#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use common::*;
use hmac::{Hmac, Mac};
use kyc::{KycError, KycOutcome, KycProvider, KycStatus, KycSubject, SumsubConfig, SumsubProvider};
use serde_json::{Value, json};
use sha2::Sha256;
use testkit::{assert_error, send};

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_ordinary_investor_is_approved_and_the_check_kept(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "approved", "{check}");
    assert_eq!(check["kind"], "kyc");
    assert_eq!(check["investor_id"], id.as_str());
    assert_eq!(check["reasons"], json!([]));
    assert_eq!(check["provider"], "dev");
    assert_eq!(check["details"]["identity"]["status"], "approved");
    assert_eq!(check["details"]["sanctions"]["status"], "clear");
    assert_eq!(check["details"]["sanctions_matches"], json!([]));
    assert!(
        check["input"]["list_version"]
            .as_str()
            .unwrap()
            .starts_with("ofac-sdn:")
    );
    assert_eq!(check["created_by"], "carla");
    let check_id = check["id"].as_str().unwrap();
    assert!(check_id.starts_with("chk_"));

    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "approved");
    assert_eq!(inv["sanctions_status"], "clear");
    assert_eq!(inv["kyc_check_id"], check_id);

    // The check is kept and readable by compliance and the services, not by another tenant.
    let (s, got) = get(
        &app,
        &format!("/v1/compliance/checks/{check_id}"),
        "acme/carla",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(got, check);
    let (s, _) = get_service(&app, &format!("/v1/compliance/checks/{check_id}"), "acme").await;
    assert_eq!(s, 200);
    let got = get(
        &app,
        &format!("/v1/compliance/checks/{check_id}"),
        "globex/admin",
    )
    .await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = get(
        &app,
        &format!("/v1/compliance/checks/{check_id}"),
        "acme/alice",
    )
    .await;
    assert_error(&got, 403, "FORBIDDEN");
    let got = get(&app, "/v1/compliance/checks/chk_x", "acme/carla").await;
    assert_error(&got, 404, "NOT_FOUND");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_listed_name_is_rejected_with_the_sdn_entry(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Manuel Antonio Noriega", "PA")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected", "{check}");
    assert_eq!(check["reasons"][0]["code"], "sanctions_hit");
    let m = &check["details"]["sanctions_matches"][0];
    assert_eq!(m["ent_num"], 1572);
    assert_eq!(m["name"], "NORIEGA, Manuel Antonio");
    assert_eq!(m["programs"], json!(["CUBA"]));
    assert_eq!(m["score"], 1.0);
    assert!(m["alias"].is_null());
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["sanctions_status"], "hit");
    // The provider itself approved the identity.
    assert_eq!(inv["kyc_status"], "approved");
    let (_, c) = get(&app, &format!("/v1/investors/{id}/compliance"), "acme/vic").await;
    assert_eq!(c["eligible"], false);
    assert_eq!(c["reasons"][0]["code"], "sanctions_hit");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_alias_from_alt_csv_is_rejected_when_the_date_of_birth_agrees(pool: sqlx::PgPool) {
    // AMDOUNI, Mehrez (7828), aka FUSCO, Fabio: DOB 18 Dec 1969; alt. DOB 25 May 1968; alt.
    // DOB 18 Dec 1968; alt. DOB 14 Jul 1969; nationality Tunisia.
    let app = app(pool).await;
    let mut body = individual("Fabio Fusco", "IT");
    body["date_of_birth"] = json!("1968-05-25");
    let id = create(&app, body).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected", "{check}");
    let m = &check["details"]["sanctions_matches"][0];
    assert_eq!(m["ent_num"], 7828);
    assert_eq!(m["name"], "AMDOUNI, Mehrez");
    assert_eq!(m["alias"], "FUSCO, Fabio");
    assert_eq!(m["alias_type"], "aka");
    assert_eq!(m["programs"], json!(["SDGT"]));
    assert_eq!(m["basis"], "date_of_birth_agrees");
    assert_eq!(
        m["identifiers"]["date_of_birth"]["agreeing"],
        json!(["25 May 1968"])
    );

    // Another Fabio Fusco, born in 1980: approved, the entry kept with why.
    let id = create(&app, individual("Fabio Fusco", "IT")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "approved", "{check}");
    assert_eq!(check["details"]["sanctions"]["status"], "clear");
    let kept = &check["details"]["sanctions"]["cleared"][0];
    assert_eq!(kept["ent_num"], 7828);
    assert_eq!(kept["decision"], "clear");
    assert_eq!(kept["basis"], "date_of_birth_contradicts");
    assert!(
        kept["explanation"]
            .as_str()
            .unwrap()
            .contains("1980-05-17 is none of the entry's"),
        "{kept}"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_weak_match_goes_to_review(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Manuel Noriega", "PA")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_eq!(check["reasons"][0]["code"], "sanctions_under_review");
    let score = check["details"]["sanctions_matches"][0]["score"]
        .as_f64()
        .unwrap();
    assert!((0.85..0.93).contains(&score), "{score}");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["sanctions_status"], "review");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn screening_thresholds_are_configurable(pool: sqlx::PgPool) {
    // One letter off NORIEGA, Manuel Antonio (1572, which lists no date of birth): "Manuel
    // Antonio Noriego" scores 0.98, "Manuel Antonio Norriega" 0.9671. Strong by default
    // (review: only the exact name stands without an identifier); with a weak threshold of
    // 0.975 the first is weak, the second below it and clear.
    let app = app_with(
        pool,
        &[
            ("SANCTIONS_STRONG_THRESHOLD", "0.99"),
            ("SANCTIONS_WEAK_THRESHOLD", "0.975"),
        ],
        None,
    )
    .await;
    let id = create(&app, individual("Manuel Antonio Noriego", "PA")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_eq!(
        check["details"]["sanctions_matches"][0]["name_match"],
        "weak"
    );
    let id = create(&app, individual("Manuel Antonio Norriega", "PA")).await;
    assert_eq!(kyc(&app, &id).await["status"], "approved");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_embargoed_resident_is_rejected(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "IR")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected", "{check}");
    assert_eq!(check["reasons"][0]["code"], "sanctioned_jurisdiction");
    assert_eq!(check["reasons"][0]["details"]["country"], "IR");
    for country in ["CU", "KP", "SY"] {
        let id = create(&app, individual("Grace Hopper", country)).await;
        assert_eq!(kyc(&app, &id).await["status"], "rejected", "{country}");
    }
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn sanctioned_jurisdictions_are_configurable(pool: sqlx::PgPool) {
    let app = app_with(pool, &[("SANCTIONED_JURISDICTIONS", "RU")], None).await;
    let ir = create(&app, individual("Grace Hopper", "IR")).await;
    assert_eq!(kyc(&app, &ir).await["status"], "approved");
    let ru = create(&app, individual("Grace Hopper", "RU")).await;
    assert_eq!(kyc(&app, &ru).await["status"], "rejected");
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
async fn kyb_screens_every_beneficial_owner(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let clean = create(
        &app,
        entity(json!([{"name": "Hedy Lamarr", "ownership_percent": "60", "country": "US", "date_of_birth": "1970-01-01"}])),
    )
    .await;
    let check = kyc(&app, &clean).await;
    assert_eq!(check["status"], "approved", "{check}");
    assert_eq!(check["input"]["subject"]["kind"], "entity");
    assert_eq!(
        check["details"]["sanctions"]["parties"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let listed = create(
        &app,
        entity(json!([
            {"name": "Hedy Lamarr", "ownership_percent": "60", "country": "US", "date_of_birth": "1970-01-01"},
            {"name": "Manuel Antonio Noriega", "ownership_percent": "40", "country": "PA", "date_of_birth": "1934-02-11"}
        ])),
    )
    .await;
    let check = kyc(&app, &listed).await;
    assert_eq!(check["status"], "rejected", "{check}");
    let m = &check["details"]["sanctions_matches"][0];
    assert_eq!(m["party"], "beneficial_owner");
    assert_eq!(m["position"], 1);
    assert_eq!(m["ent_num"], 1572);

    let embargoed = create(
        &app,
        entity(json!([{"name": "Hedy Lamarr", "ownership_percent": "30", "country": "KP", "date_of_birth": "1970-01-01"}])),
    )
    .await;
    let check = kyc(&app, &embargoed).await;
    assert_eq!(check["status"], "rejected");
    assert_eq!(check["reasons"][0]["code"], "sanctioned_jurisdiction");
    assert_eq!(check["reasons"][0]["details"]["party"], "beneficial_owner");

    // A listed entity name is screened against listed entities.
    let bank = create(&app, json!({"type": "entity", "legal_name": "Banco Nacional de Cuba", "email": "x@bnc.example", "country": "ES"})).await;
    assert_eq!(kyc(&app, &bank).await["status"], "rejected");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_provider_decides_identity(pool: sqlx::PgPool) {
    let app = app(pool).await;
    // The dev provider's markers: `review` and `reject` in the name or email.
    let id = create(&app, individual("Pending Review Person", "US")).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "review", "{check}");
    assert_eq!(check["reasons"][0]["code"], "kyc_under_review");
    let (_, c) = get(
        &app,
        &format!("/v1/investors/{id}/compliance"),
        "acme/alice",
    )
    .await;
    assert_eq!(c["kyc"], "review");
    assert_eq!(c["eligible"], false);

    let mut body = individual("Grace Hopper", "US");
    body["email"] = json!("please-reject@example.com");
    let id = create(&app, body).await;
    let check = kyc(&app, &id).await;
    assert_eq!(check["status"], "rejected");
    assert_eq!(check["reasons"][0]["code"], "kyc_rejected");
    assert_eq!(
        check["reasons"][0]["details"]["provider_reasons"][0],
        "dev_marker_reject"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn provider_unavailable_is_502_and_nothing_is_written(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Unavailable Person", "US")).await;
    let got = post(
        &app,
        &format!("/v1/investors/{id}/kyc"),
        "acme/carla",
        json!({}),
    )
    .await;
    let d = assert_error(&got, 502, "DOWNSTREAM_UNAVAILABLE");
    assert_eq!(d["service"], "dev");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "none");
    assert_eq!(inv["sanctions_status"], "none");
    assert!(inv["kyc_check_id"].is_null());
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// `POST /v1/investors/{id}/{action}`: a trader or viewer gets 403; another organization's
/// admin and an unknown id get 404.
async fn refused_to_others(app: &testkit::TestServer, id: &str, action: &str) {
    let path = format!("/v1/investors/{id}/{action}");
    for user in ["acme/alice", "acme/vic"] {
        assert_error(&post(app, &path, user, json!({})).await, 403, "FORBIDDEN");
    }
    let got = post(app, &path, "globex/admin", json!({})).await;
    assert_error(&got, 404, "NOT_FOUND");
    let unknown = format!("/v1/investors/{}/{action}", new_id("inv"));
    let got = post(app, &unknown, "acme/admin", json!({})).await;
    assert_error(&got, 404, "NOT_FOUND");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn kyc_refusals(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/kyc");
    refused_to_others(&app, &id, "kyc").await;
    assert_error(
        &post_raw(&app, &path, "acme/carla", "{").await,
        400,
        "MALFORMED_JSON",
    );
    assert_error(
        &post(
            &app,
            &path,
            "acme/carla",
            json!({"organization_id": "globex"}),
        )
        .await,
        400,
        "VALIDATION_ERROR",
    );
    // An empty body is fine.
    let (s, _) = send(app.post(&path).bearer_auth(token("acme/admin"))).await;
    assert_eq!(s, 201);
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn kyc_replays_with_an_idempotency_key(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let req = || {
        app.post(&format!("/v1/investors/{id}/kyc"))
            .bearer_auth(token("acme/carla"))
            .header("idempotency-key", "kyc-1")
            .json(&json!({}))
    };
    let (s1, v1) = send(req()).await;
    let (s2, v2) = send(req()).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(v1, v2);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

/// A provider that answers "pending" like a real one and checks webhooks like Sumsub.
struct AsyncProvider {
    sumsub: SumsubProvider,
}

const WEBHOOK_SECRET: &str = "test-webhook-secret";

impl KycProvider for AsyncProvider {
    fn name(&self) -> &'static str {
        "sumsub"
    }

    fn verify<'a>(
        &'a self,
        subject: &'a KycSubject,
    ) -> Pin<Box<dyn Future<Output = Result<KycOutcome, KycError>> + Send + 'a>> {
        Box::pin(async move {
            Ok(KycOutcome {
                status: KycStatus::Review,
                provider: "sumsub".into(),
                provider_ref: Some(format!("applicant-{}", subject.investor_id)),
                reasons: vec!["pending_provider_review".into()],
                raw: json!({"reviewStatus": "pending"}),
            })
        })
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<kyc::WebhookEvent, KycError> {
        self.sumsub.verify_webhook(headers, body)
    }

    /// Echoes what it was asked for in the link, so the test sees what the BD sent.
    fn verification_link<'a>(
        &'a self,
        subject: &'a KycSubject,
        ttl_secs: u32,
    ) -> Pin<Box<dyn Future<Output = Result<String, KycError>> + Send + 'a>> {
        Box::pin(async move {
            if subject.legal_name.contains("Unreachable") {
                return Err(KycError::Unavailable("connection refused".into()));
            }
            Ok(format!(
                "https://in.sumsub.com/websdk/p/{}?kind={:?}&ttl={ttl_secs}",
                subject.investor_id, subject.kind
            ))
        })
    }
}

fn async_provider() -> kyc::SharedKycProvider {
    let mut config = SumsubConfig::new("app-token", "secret-key", "basic-kyc-level");
    config.base_url = "http://127.0.0.1:9".into();
    config.webhook_secret = Some(WEBHOOK_SECRET.into());
    Arc::new(AsyncProvider {
        sumsub: SumsubProvider::new(config).unwrap(),
    })
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn sumsub_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    t.format(f).unwrap()
}

fn reviewed(investor: &str, answer: &str, correlation: &str, at: time::OffsetDateTime) -> String {
    json!({
        "applicantId": format!("applicant-{investor}"),
        "inspectionId": "insp-1",
        "correlationId": correlation,
        "externalUserId": investor,
        "type": "applicantReviewed",
        "reviewStatus": "completed",
        "reviewResult": {"reviewAnswer": answer, "rejectLabels": if answer == "RED" { json!(["FORGERY"]) } else { json!([]) }},
        "createdAtMs": sumsub_time(at),
    })
    .to_string()
}

async fn webhook(
    app: &testkit::TestServer,
    provider: &str,
    body: &str,
    signature: &str,
) -> (u16, Value) {
    send(
        app.post(&format!("/v1/kyc/webhooks/{provider}"))
            .header("x-payload-digest", signature)
            .header("x-payload-digest-alg", "HMAC_SHA256_HEX")
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_provider_webhook_finishes_kyc(pool: sqlx::PgPool) {
    let app = app_with(pool, &[], Some(async_provider())).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let first = kyc(&app, &id).await;
    assert_eq!(first["status"], "review");
    assert_eq!(first["provider_ref"], format!("applicant-{id}"));

    let now = time::OffsetDateTime::now_utc();
    let body = reviewed(&id, "GREEN", "corr-1", now);
    // Unsigned, wrongly signed, or for another provider: refused, nothing changes.
    assert_error(
        &webhook(&app, "sumsub", &body, "00ff").await,
        401,
        "UNAUTHENTICATED",
    );
    let tampered = body.replace("GREEN", "RED");
    assert_error(
        &webhook(&app, "sumsub", &tampered, &sign(&body)).await,
        401,
        "UNAUTHENTICATED",
    );
    assert_error(
        &webhook(&app, "dev", &body, &sign(&body)).await,
        404,
        "NOT_FOUND",
    );
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "review");

    let (s, v) = webhook(&app, "sumsub", &body, &sign(&body)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "applied");
    let update_id = v["check_id"].as_str().unwrap().to_owned();
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "approved");
    assert_eq!(inv["kyc_check_id"], update_id.as_str());
    let (_, update) = get(
        &app,
        &format!("/v1/compliance/checks/{update_id}"),
        "acme/carla",
    )
    .await;
    assert_eq!(update["kind"], "kyc_update");
    assert_eq!(update["status"], "approved");
    assert_eq!(update["parent_id"], first["id"]);
    assert_eq!(update["created_by"], "provider:sumsub");
    let (_, c) = get(
        &app,
        &format!("/v1/investors/{id}/compliance"),
        "acme/carla",
    )
    .await;
    assert_eq!(c["eligible"], true, "{c}");

    // Delivered again: applied once.
    let (s, v) = webhook(&app, "sumsub", &body, &sign(&body)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("duplicate")));

    // An older event arriving late changes nothing.
    let old = reviewed(&id, "RED", "corr-0", now - time::Duration::minutes(5));
    let (s, v) = webhook(&app, "sumsub", &old, &sign(&old)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("stale")));
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "approved");

    // A later rejection is applied.
    let later = reviewed(&id, "RED", "corr-2", now + time::Duration::seconds(1));
    let (s, v) = webhook(&app, "sumsub", &later, &sign(&later)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("applied")), "{v}");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "rejected");

    // An applicant nobody knows: 404, so the provider retries later.
    let stranger = reviewed(&new_id("inv"), "GREEN", "corr-3", now);
    assert_error(
        &webhook(&app, "sumsub", &stranger, &sign(&stranger)).await,
        404,
        "NOT_FOUND",
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_dev_provider_has_no_webhooks(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let got = webhook(&app, "dev", "{}", "00").await;
    assert_error(&got, 404, "NOT_FOUND");
    let got = webhook(&app, "sumsub", "{}", "00").await;
    assert_error(&got, 404, "NOT_FOUND");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn an_officers_decision_holds_against_the_providers_later_events(pool: sqlx::PgPool) {
    let app = app_with(pool, &[], Some(async_provider())).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let first = kyc(&app, &id).await;
    assert_eq!(first["status"], "review");
    // The officer rejects the identity while the provider is still reviewing.
    let (s, d) = post(
        &app,
        &format!("/v1/investors/{id}/kyc/decision"),
        "acme/carla",
        json!({"decision": "reject", "note": "forged passport", "check_id": first["id"]}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    // The provider's later approval is recorded, not applied.
    let green = reviewed(&id, "GREEN", "corr-1", now);
    let (s, v) = webhook(&app, "sumsub", &green, &sign(&green)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("held")), "{v}");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "rejected");
    assert_eq!(inv["kyc_check_id"], d["id"]);
    let (_, update) = get(
        &app,
        &format!("/v1/compliance/checks/{}", v["check_id"].as_str().unwrap()),
        "acme/carla",
    )
    .await;
    assert_eq!(update["details"]["applied"], false);
    assert_eq!(update["details"]["held_by"], "kyc_decision");

    // An officer's approval: a later provider rejection still applies.
    let other = create(&app, individual("Ada Lovelace", "GB")).await;
    let check = kyc(&app, &other).await;
    let (s, _) = post(
        &app,
        &format!("/v1/investors/{other}/kyc/decision"),
        "acme/carla",
        json!({"decision": "approve", "note": "verified in person", "check_id": check["id"]}),
    )
    .await;
    assert_eq!(s, 201);
    let red = reviewed(&other, "RED", "corr-2", now);
    let (s, v) = webhook(&app, "sumsub", &red, &sign(&red)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("applied")), "{v}");
    let (_, inv) = get(&app, &format!("/v1/investors/{other}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "rejected");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn events_about_an_old_identity_are_not_applied(pool: sqlx::PgPool) {
    let app = app_with(pool, &[], Some(async_provider())).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    assert_eq!(kyc(&app, &id).await["status"], "review");
    let (s, v) = patch(
        &app,
        &format!("/v1/investors/{id}"),
        "acme/carla",
        json!({"legal_name": "Grace Murray"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["update"]["kyc_invalidated"], true);
    let green = reviewed(&id, "GREEN", "corr-1", time::OffsetDateTime::now_utc());
    let (s, v) = webhook(&app, "sumsub", &green, &sign(&green)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("held")), "{v}");
    let (_, inv) = get(&app, &format!("/v1/investors/{id}"), "acme/carla").await;
    assert_eq!(inv["kyc_status"], "none");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn a_verification_link_comes_from_the_provider(pool: sqlx::PgPool) {
    let app = app_with(pool, &[], Some(async_provider())).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/kyc/link");

    let before = time::OffsetDateTime::now_utc();
    let (s, v) = post_raw(&app, &path, "acme/carla", "").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["investor_id"], id.as_str());
    assert_eq!(v["provider"], "sumsub");
    assert_eq!(
        v["url"],
        format!("https://in.sumsub.com/websdk/p/{id}?kind=Individual&ttl=86400")
    );
    let expires = time::OffsetDateTime::parse(
        v["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let day = time::Duration::seconds(86_400);
    assert!(expires >= before + day && expires <= time::OffsetDateTime::now_utc() + day);

    let (s, v) = post(&app, &path, "acme/admin", json!({"ttl_secs": 3600})).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["url"].as_str().unwrap().ends_with("ttl=3600"), "{v}");

    // An entity is sent as one (the provider puts it on its KYB level).
    let entity = create(
        &app,
        json!({"type": "entity", "legal_name": "Pied Piper Ventures LLC", "email": "ops@pp.example", "country": "US"}),
    )
    .await;
    let (s, v) = post(
        &app,
        &format!("/v1/investors/{entity}/kyc/link"),
        "acme/carla",
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["url"].as_str().unwrap().contains("kind=Entity"), "{v}");

    // The provider down: 502, nothing else.
    let down = create(&app, individual("Unreachable Person", "US")).await;
    let got = post(
        &app,
        &format!("/v1/investors/{down}/kyc/link"),
        "acme/carla",
        json!({}),
    )
    .await;
    assert_error(&got, 502, "DOWNSTREAM_UNAVAILABLE");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn verification_links_refuse_bad_input_roles_and_strangers(pool: sqlx::PgPool) {
    let app = app_with(pool, &[], Some(async_provider())).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let path = format!("/v1/investors/{id}/kyc/link");

    for (body, field) in [
        (r#"{"ttl_secs": 299}"#, "ttl_secs"),
        (r#"{"ttl_secs": 604801}"#, "ttl_secs"),
        (r#"{"ttl_secs": -5}"#, "ttl_secs"),
        (r#"{"ttl_secs": "an hour"}"#, "ttl_secs"),
        (r#"{"ttl": 600}"#, "ttl"),
    ] {
        let got = post_raw(&app, &path, "acme/carla", body).await;
        let v = assert_error(&got, 400, "VALIDATION_ERROR");
        assert!(v["fields"].get(field).is_some(), "{body}: {v}");
    }
    assert_error(
        &post_raw(&app, &path, "acme/carla", "{\"ttl_secs\":").await,
        400,
        "MALFORMED_JSON",
    );

    refused_to_others(&app, &id, "kyc/link").await;
    assert_error(
        &post(&app, "/v1/investors/nope/kyc/link", "acme/carla", json!({})).await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &send(app.post(&path).json(&json!({}))).await,
        401,
        "UNAUTHENTICATED",
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_dev_provider_has_no_hosted_flow(pool: sqlx::PgPool) {
    let app = app(pool).await;
    let id = create(&app, individual("Grace Hopper", "US")).await;
    let got = post(
        &app,
        &format!("/v1/investors/{id}/kyc/link"),
        "acme/carla",
        json!({}),
    )
    .await;
    assert_error(&got, 404, "NOT_FOUND");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hosted verification flow"),
        "{}",
        got.1
    );
}
