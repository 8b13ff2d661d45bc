//! Organizations are kept apart by PostgreSQL itself: every BD table is a tenant table under
//! row-level security, and after a realistic day of acme's through the API the service role
//! sees none of acme's rows without acme set, and cannot write a row for another organization.

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
use testkit::send;

const WEBHOOK_SECRET: &str = "tenancy-webhook-secret";

/// A provider that leaves every identity pending, like a real one, and takes Sumsub's signed
/// webhooks for the decision.
struct PendingProvider(SumsubProvider);

impl KycProvider for PendingProvider {
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
        self.0.verify_webhook(headers, body)
    }
}

fn provider() -> kyc::SharedKycProvider {
    let mut config = SumsubConfig::new("app-token", "secret-key", "basic-kyc-level");
    config.base_url = "http://127.0.0.1:9".into();
    config.webhook_secret = Some(WEBHOOK_SECRET.into());
    Arc::new(PendingProvider(SumsubProvider::new(config).unwrap()))
}

/// The provider's signed decision approving the investor's identity.
async fn approved_by_provider(app: &testkit::TestServer, investor: &str) {
    let at = time::OffsetDateTime::now_utc();
    let f = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    let body = json!({
        "applicantId": format!("applicant-{investor}"),
        "inspectionId": "insp-1",
        "correlationId": format!("corr-{investor}"),
        "externalUserId": investor,
        "type": "applicantReviewed",
        "reviewStatus": "completed",
        "reviewResult": {"reviewAnswer": "GREEN", "rejectLabels": []},
        "createdAtMs": at.format(f).unwrap(),
    })
    .to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let (s, v) = send(
        app.post("/v1/kyc/webhooks/sumsub")
            .header("x-payload-digest", hex::encode(mac.finalize().into_bytes()))
            .header("x-payload-digest-alg", "HMAC_SHA256_HEX")
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("applied")), "{v}");
}

/// A day of acme's through the API, touching every table of the BD.
async fn acme_day(app: &testkit::TestServer) {
    // Investors: two individuals, an entity with beneficial owners, a name that resembles an
    // SDN entry; one registered with an Idempotency-Key (and replayed).
    let body = individual("Grace Hopper", "US");
    let send_keyed = || {
        app.post("/v1/investors")
            .bearer_auth(token("acme/carla"))
            .header("idempotency-key", "acme-grace")
            .json(&body)
    };
    let (s, grace) = send(send_keyed()).await;
    assert_eq!(s, 201, "{grace}");
    let (s, again) = send(send_keyed()).await;
    assert_eq!((s, &again["id"]), (201, &grace["id"]));
    let grace = grace["id"].as_str().unwrap().to_owned();
    let ada = create(app, individual("Ada Lovelace", "GB")).await;
    let entity = create(
        app,
        json!({
            "type": "entity", "legal_name": "Analytical Engines Ltd", "email": "ops@ae.example",
            "country": "GB", "beneficial_owners": [
                {"name": "Charles Babbage", "ownership_percent": "60", "country": "GB", "date_of_birth": "1971-12-26"},
                {"name": "Ada Byron", "ownership_percent": "40", "country": "GB", "date_of_birth": "1975-12-10"},
            ],
        }),
    )
    .await;
    let weak = create(app, individual("Manuel Noriega", "PA")).await;

    // KYC: every identity pending at the provider, then its webhook approves them; the weak
    // OFAC match stays in review until a compliance officer clears it (a false positive).
    let mut weak_check = Value::Null;
    for id in [&grace, &ada, &entity, &weak] {
        let check = kyc(app, id).await;
        assert_eq!(check["status"], "review", "{check}");
        approved_by_provider(app, id).await;
        if id == &weak {
            weak_check = check;
        }
    }
    assert_eq!(weak_check["details"]["sanctions"]["status"], "review");
    let (s, v) = post(
        app,
        &format!("/v1/investors/{weak}/kyc/decision"),
        "acme/carla",
        json!({"decision": "approve", "check_id": weak_check["id"], "note": "Born 1980, not the listed person"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");

    // Accreditation, pre-trade and a settlement.
    accredit(app, &grace).await;
    let asset = new_id("ast");
    let buy = order_request(&grace, &asset, "buy", "10", "12.5", "reg_d_506c");
    assert_eq!(pre_trade(app, buy.clone()).await["approved"], true);
    let sell = order_request(&ada, &asset, "sell", "10", "12.5", "reg_d_506b");
    assert_eq!(pre_trade(app, sell.clone()).await["approved"], true);

    // The ATS's events: the orders accepted, a trade of one investor with itself (a wash
    // trade) raising an alert, which compliance reviews; the security in CAT scope.
    let now = time::OffsetDateTime::now_utc();
    let o = order(
        buy["order_id"].as_str().unwrap(),
        &grace,
        &asset,
        "buy",
        "10",
        Some("12.5"),
        now,
    );
    let (s, v) = post_service(
        app,
        "/v1/events",
        "acme",
        order_event("order.accepted", &o, now),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let trade = trade_event(&asset, &grace, &grace, "10", "12.5", now);
    let (s, v) = post_service(app, "/v1/compliance/post-trade", "acme", trade).await;
    assert_eq!(s, 200, "{v}");
    let alert = v["alerts"][0]["id"].as_str().unwrap().to_owned();
    let (s, v) = post(
        app,
        &format!("/v1/surveillance/alerts/{alert}/review"),
        "acme/carla",
        json!({"note": "Test order of the operations desk"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("reviewed")), "{v}");
    let (s, v) = send(
        app.request(
            reqwest::Method::PUT,
            &format!("/v1/reporting/securities/{asset}"),
        )
        .bearer_auth(token("acme/carla"))
        .json(&json!({"symbol": "ACME", "cat_reportable": true})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = post_service(
        app,
        "/v1/compliance/settlement",
        "acme",
        json!({
            "settlement_id": new_id("stl"), "trade_id": new_id("trd"), "asset_id": asset,
            "buyer_investor_id": grace, "seller_investor_id": ada,
            "regulation": "reg_d_506b", "quantity": "10", "price": "12.5",
        }),
    )
    .await;
    assert_eq!((s, v["approved"].as_bool()), (200, Some(true)), "{v}");
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn every_table_is_a_tenant_table_and_acme_stays_acme_s(pool: sqlx::PgPool) {
    testkit::tenancy::assert_tenant_tables(&pool).await;
    let app = app_with(pool.clone(), &[], Some(provider())).await;
    acme_day(&app).await;
    // A little of globex's, so that isolation is between two organizations with data.
    create_as(&app, "globex/admin", individual("Gus Fring", "US")).await;

    let service = testkit::service_pool(&pool).await;
    let tables = testkit::tenancy::assert_isolated(&pool, &service, "acme").await;
    let all: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        i64::try_from(tables).unwrap(),
        all,
        "the scenario should leave acme rows in every table"
    );
}

#[sqlx::test(migrator = "bd::MIGRATOR")]
async fn the_database_refuses_what_a_forgotten_filter_would_allow(pool: sqlx::PgPool) {
    let app = app(pool.clone()).await;
    let acme = create(&app, individual("Grace Hopper", "US")).await;
    let acme_id = platform::ids::InvestorId::parse(&acme).unwrap();
    let service = testkit::service_pool(&pool).await;

    // Without an organization set, the service role sees no rows at all.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM investors")
        .fetch_one(&service)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // The superuser does (it bypasses the policy: the service never runs as one).
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM investors")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // Another organization's transaction: the store finds nothing, and a query without any
    // organization filter sees nothing of acme's either.
    let mut globex = platform::db::begin(&service, "globex").await.unwrap();
    assert!(
        bd::store::investors::get(&mut globex, acme_id)
            .await
            .unwrap()
            .is_none()
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM investors")
        .fetch_one(&mut *globex)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // An update of acme's row by id alone changes nothing: the row is not there for globex.
    let done = sqlx::query("UPDATE investors SET legal_name = 'Mallory' WHERE id = $1")
        .bind(acme_id.uuid())
        .execute(&mut *globex)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 0);
    drop(globex);

    // Writing a row for another organization is refused by PostgreSQL (42501).
    let mut tx = platform::db::begin(&service, "acme").await.unwrap();
    let refused = sqlx::query(
        "INSERT INTO investors (id, organization_id, type, legal_name, email, country,
                                created_at, updated_at, created_by)
         VALUES ($1, 'globex', 'individual', 'Eve', 'eve@example.com', 'US', now(), now(), 'x')",
    )
    .bind(platform::ids::InvestorId::new().uuid())
    .execute(&mut *tx)
    .await
    .unwrap_err();
    let code = refused.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("42501"), "{refused}");
    drop(tx);
    // Nor can acme move its own row to another organization.
    let mut tx = platform::db::begin(&service, "acme").await.unwrap();
    let moved = sqlx::query("UPDATE investors SET organization_id = 'globex' WHERE id = $1")
        .bind(acme_id.uuid())
        .execute(&mut *tx)
        .await
        .unwrap_err();
    let code = moved.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("42501"), "{moved}");
    drop(tx);

    // The name is unchanged, seen through the API.
    let (_, v) = get(&app, &format!("/v1/investors/{acme}"), "acme/carla").await;
    assert_eq!(v["legal_name"], "Grace Hopper");
}
