//! The Sumsub adapter against a local server that speaks Sumsub's documented API: it checks the
//! App Token, the timestamp window and the HMAC-SHA256 request signature exactly as Sumsub
//! does (<https://docs.sumsub.com/reference/authentication>) and answers the documented bodies.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use kyc::{
    KycError, KycOutcome, KycProvider, KycStatus, KycSubject, Secret, SubjectKind, SumsubConfig,
    SumsubProvider,
};
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};
use time::OffsetDateTime;

const APP_TOKEN: &str = "sbx:uY0CgwELmgUAEyl4hNWxLngb.0WSeQeiYny4WEqmAALEAiK2qTC96fBad";
const SECRET_KEY: &str = "Hej2ch71kG2kTd1iIUDZFNsO5C1lh5Gq";
const LEVEL: &str = "basic-kyc-level";
const KYB_LEVEL: &str = "basic-kyb-level";
const WEBHOOK_SECRET: &str = "webhook-secret-from-the-webhook-manager";

// ---------------------------------------------------------------------------------------------
// The fake Sumsub
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    Green,
    RedFinal,
    RedRetry,
    Pending,
    OnHold,
    DocsMissing,
    ServerError,
    RateLimited,
    Slow,
    NotJson,
    /// The external user id is taken by an applicant this token cannot see.
    HiddenDuplicate,
    /// The WebSDK link answer lacks its `url`.
    LinkWithoutUrl,
}

#[derive(Default)]
struct FakeState {
    /// externalUserId → applicant
    applicants: HashMap<String, Value>,
    scenarios: HashMap<String, Scenario>,
    /// "METHOD /path?query" of every authenticated call, in order.
    calls: Vec<String>,
    created_bodies: Vec<Value>,
    link_bodies: Vec<Value>,
    next_id: u64,
}

struct Fake {
    levels: HashMap<&'static str, String>,
    state: Mutex<FakeState>,
}

impl Fake {
    fn new(level: &str) -> Arc<Self> {
        Arc::new(Self {
            levels: HashMap::from([
                ("individual", level.to_owned()),
                ("company", KYB_LEVEL.to_owned()),
            ]),
            state: Mutex::new(FakeState::default()),
        })
    }

    fn scenario(&self, external: &str, scenario: Scenario) {
        self.state
            .lock()
            .unwrap()
            .scenarios
            .insert(external.to_owned(), scenario);
    }

    fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    fn clear_calls(&self) {
        self.state.lock().unwrap().calls.clear();
    }
}

fn sumsub_error(status: StatusCode, description: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "description": description,
            "code": status.as_u16(),
            "correlationId": "req-5fd59b09-7f5e-41cd-a86b-38a4e6d57e08",
        })),
    )
        .into_response()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// Sumsub's authentication: all three X-App headers, the token, a timestamp within a minute,
/// and the signature over `ts + METHOD + path?query + body`. `Some(answer)` refuses.
fn authenticate(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(token), Some(ts), Some(sig)) = (
        header("x-app-token"),
        header("x-app-access-ts"),
        header("x-app-access-sig"),
    ) else {
        return Some(sumsub_error(
            StatusCode::UNAUTHORIZED,
            "Missing X-App headers",
        ));
    };
    if token != APP_TOKEN {
        return Some(sumsub_error(
            StatusCode::UNAUTHORIZED,
            "App token not found",
        ));
    }
    let Ok(ts_value) = ts.parse::<i64>() else {
        return Some(sumsub_error(StatusCode::UNAUTHORIZED, "Invalid timestamp"));
    };
    if (OffsetDateTime::now_utc().unix_timestamp() - ts_value).abs() > 60 {
        return Some(sumsub_error(
            StatusCode::UNAUTHORIZED,
            "Request timestamp is out of range",
        ));
    }
    if sig != sig.to_ascii_lowercase() {
        return Some(sumsub_error(StatusCode::UNAUTHORIZED, "Invalid signature"));
    }
    let Ok(sig) = hex::decode(sig) else {
        return Some(sumsub_error(StatusCode::UNAUTHORIZED, "Invalid signature"));
    };
    let target = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET_KEY.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(method.as_str().as_bytes());
    mac.update(target.as_bytes());
    mac.update(body);
    mac.verify_slice(&sig)
        .err()
        .map(|_| sumsub_error(StatusCode::UNAUTHORIZED, "Invalid signature"))
}

fn review_for(scenario: Scenario) -> Value {
    let base = json!({
        "reviewId": "IUeLG",
        "attemptId": "wLjuf",
        "attemptCnt": 1,
        "elapsedSincePendingMs": 82,
        "levelName": LEVEL,
        "createDate": "2024-07-09 10:24:26+0000",
        "reviewDate": "2024-07-09 10:25:01+0000",
        "priority": 0,
    });
    let mut review = base;
    match scenario {
        Scenario::Green => {
            review["reviewStatus"] = json!("completed");
            review["reviewResult"] = json!({"reviewAnswer": "GREEN"});
        }
        Scenario::RedFinal => {
            review["reviewStatus"] = json!("completed");
            review["reviewResult"] = json!({
                "moderationComment": "We could not verify your profile. If you have any questions, please contact the Company where you try to verify your profile.",
                "clientComment": "Suspected fraudulent account.",
                "reviewAnswer": "RED",
                "rejectLabels": ["FORGERY", "DOCUMENT_TEMPLATE"],
                "reviewRejectType": "FINAL",
            });
        }
        Scenario::RedRetry => {
            review["reviewStatus"] = json!("completed");
            review["reviewResult"] = json!({
                "moderationComment": "The document has expired. Please upload a valid document.",
                "reviewAnswer": "RED",
                "rejectLabels": ["EXPIRATION_DATE"],
                "reviewRejectType": "RETRY",
                "buttonIds": ["badDocument_expiredId"],
            });
        }
        Scenario::OnHold => {
            review["reviewStatus"] = json!("onHold");
        }
        _ => {
            review["reviewStatus"] = json!("pending");
        }
    }
    review
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = authenticate(&method, &uri, &headers, &body) {
        return refused;
    }
    let target = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    fake.state
        .lock()
        .unwrap()
        .calls
        .push(format!("{method} {target}"));
    let path = uri.path();
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect();

    // POST /resources/applicants?levelName=…
    if method == Method::POST && path == "/resources/applicants" {
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return sumsub_error(StatusCode::BAD_REQUEST, "Invalid JSON");
        };
        let Some(external) = request["externalUserId"].as_str().map(str::to_owned) else {
            return sumsub_error(StatusCode::BAD_REQUEST, "externalUserId is required");
        };
        let kind = request["type"].as_str().unwrap_or("individual");
        let level = query.get("levelName").cloned().unwrap_or_default();
        if fake.levels.get(kind) != Some(&level) {
            return sumsub_error(
                StatusCode::BAD_REQUEST,
                &format!("Level '{level}' is not found or is not suitable for '{kind}' applicants"),
            );
        }
        let scenario = fake.state.lock().unwrap().scenarios.get(&external).copied();
        match scenario {
            Some(Scenario::ServerError) => {
                return sumsub_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
            }
            Some(Scenario::RateLimited) => {
                return sumsub_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            }
            Some(Scenario::Slow) => tokio::time::sleep(Duration::from_secs(3)).await,
            Some(Scenario::HiddenDuplicate) => {
                return sumsub_error(
                    StatusCode::CONFLICT,
                    &format!(
                        "Applicant with external user id '{external}' already exists: 690e7f5976808036b2e8fa38"
                    ),
                );
            }
            _ => {}
        }
        let mut state = fake.state.lock().unwrap();
        state.created_bodies.push(request.clone());
        if let Some(existing) = state.applicants.get(&external) {
            let id = existing["id"].as_str().unwrap_or_default().to_owned();
            return sumsub_error(
                StatusCode::CONFLICT,
                &format!("Applicant with external user id '{external}' already exists: {id}"),
            );
        }
        state.next_id += 1;
        let id = format!("5b594ade0a975a36c{:07x}", state.next_id);
        let applicant = json!({
            "id": id,
            "createdAt": "2024-07-09 10:24:26",
            "key": "GTKBHFVVTYWFQX",
            "clientId": "liquidity",
            "inspectionId": "5b594ade0a975a36c9349e67",
            "externalUserId": external,
            "email": request.get("email").cloned().unwrap_or(Value::Null),
            "fixedInfo": request["fixedInfo"],
            "applicantPlatform": "API",
            "requiredIdDocs": {"docSets": [{"idDocSetType": "IDENTITY", "types": ["PASSPORT", "ID_CARD"]}]},
            "review": {
                "reviewId": "IUeLG",
                "attemptId": "wLjuf",
                "attemptCnt": 0,
                "levelName": level,
                "createDate": "2024-07-09 10:24:26+0000",
                "reviewStatus": "init",
                "priority": 0,
            },
            "type": kind,
        });
        state.applicants.insert(external, applicant.clone());
        return (StatusCode::OK, axum::Json(applicant)).into_response();
    }

    // POST /resources/sdkIntegrations/levels/-/websdkLink
    if method == Method::POST && path == "/resources/sdkIntegrations/levels/-/websdkLink" {
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return sumsub_error(StatusCode::BAD_REQUEST, "Invalid JSON");
        };
        let level = request["levelName"].as_str().unwrap_or_default();
        if !fake.levels.values().any(|l| l == level) {
            return sumsub_error(
                StatusCode::NOT_FOUND,
                &format!("Level '{level}' is not found"),
            );
        }
        let Some(user) = request["userId"].as_str().filter(|u| !u.is_empty()) else {
            return sumsub_error(StatusCode::BAD_REQUEST, "userId is required");
        };
        if request["ttlInSecs"].as_u64().is_none_or(|t| t == 0) {
            return sumsub_error(StatusCode::BAD_REQUEST, "ttlInSecs must be positive");
        }
        let mut state = fake.state.lock().unwrap();
        state.link_bodies.push(request.clone());
        return match state.scenarios.get(user).copied() {
            Some(Scenario::ServerError) => {
                sumsub_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
            Some(Scenario::LinkWithoutUrl) => {
                (StatusCode::OK, axum::Json(json!({}))).into_response()
            }
            _ => {
                state.next_id += 1;
                let url = format!("https://in.sumsub.com/websdk/p/sbx_{:012x}", state.next_id);
                (StatusCode::OK, axum::Json(json!({ "url": url }))).into_response()
            }
        };
    }

    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        // GET /resources/applicants/-;externalUserId={externalUserId}/one
        (&Method::GET, ["resources", "applicants", selector, "one"]) => {
            let Some(external) = selector.strip_prefix("-;externalUserId=") else {
                return sumsub_error(StatusCode::NOT_FOUND, "Applicant not found");
            };
            let external = percent_decode(external);
            let state = fake.state.lock().unwrap();
            if state.scenarios.get(&external) == Some(&Scenario::HiddenDuplicate) {
                return sumsub_error(StatusCode::NOT_FOUND, "Applicant not found");
            }
            match state.applicants.get(&external) {
                Some(applicant) => (StatusCode::OK, axum::Json(applicant.clone())).into_response(),
                None => sumsub_error(StatusCode::NOT_FOUND, "Applicant not found"),
            }
        }
        // POST /resources/applicants/{applicantId}/status/pending
        (&Method::POST, ["resources", "applicants", id, "status", "pending"]) => {
            let mut state = fake.state.lock().unwrap();
            let Some((external, _)) = state
                .applicants
                .iter()
                .find(|(_, a)| a["id"] == *id)
                .map(|(e, a)| (e.clone(), a.clone()))
            else {
                return sumsub_error(StatusCode::BAD_REQUEST, &format!("Invalid id '{id}'"));
            };
            let scenario = state
                .scenarios
                .get(&external)
                .copied()
                .unwrap_or(Scenario::Green);
            if scenario == Scenario::DocsMissing {
                return sumsub_error(
                    StatusCode::CONFLICT,
                    "Not all required documents or data are submitted. Make sure to complete [IDENTITY, SELFIE] verification steps beforehand.",
                );
            }
            if let Some(applicant) = state.applicants.get_mut(&external) {
                applicant["review"]["reviewStatus"] = json!("pending");
            }
            (StatusCode::OK, axum::Json(json!({"ok": 1}))).into_response()
        }
        // GET /resources/applicants/{applicantId}/status
        (&Method::GET, ["resources", "applicants", id, "status"]) => {
            let mut state = fake.state.lock().unwrap();
            let Some(external) = state
                .applicants
                .iter()
                .find(|(_, a)| a["id"] == *id)
                .map(|(e, _)| e.clone())
            else {
                return sumsub_error(StatusCode::NOT_FOUND, "Applicant not found");
            };
            let scenario = state
                .scenarios
                .get(&external)
                .copied()
                .unwrap_or(Scenario::Green);
            if scenario == Scenario::NotJson {
                return (StatusCode::OK, "<html>maintenance</html>").into_response();
            }
            let review = review_for(scenario);
            if let Some(applicant) = state.applicants.get_mut(&external) {
                applicant["review"] = review.clone();
            }
            (StatusCode::OK, axum::Json(review)).into_response()
        }
        _ => sumsub_error(StatusCode::NOT_FOUND, "Not found"),
    }
}

async fn start(fake: Arc<Fake>) -> String {
    let app = Router::new().fallback(handle).with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn config(base_url: &str, secret: &str, level: &str) -> SumsubConfig {
    let mut c = SumsubConfig::new(APP_TOKEN, secret, level);
    c.base_url = base_url.to_owned();
    c.kyb_level_name = Some(KYB_LEVEL.to_owned());
    c.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    c.timeout = Duration::from_secs(5);
    c
}

async fn setup() -> (Arc<Fake>, String, Arc<dyn KycProvider>) {
    let fake = Fake::new(LEVEL);
    let base = start(fake.clone()).await;
    let provider: Arc<dyn KycProvider> =
        Arc::new(SumsubProvider::new(config(&base, SECRET_KEY, LEVEL)).unwrap());
    (fake, base, provider)
}

fn individual(id: &str) -> KycSubject {
    KycSubject {
        investor_id: id.to_owned(),
        kind: SubjectKind::Individual,
        legal_name: "Ada King Lovelace".into(),
        email: "ada@example.com".into(),
        country: "GB".into(),
        date_of_birth: Some(time::macros::date!(1990 - 01 - 15)),
        external_ref: Some("crm-42".into()),
    }
}

fn entity(id: &str) -> KycSubject {
    KycSubject {
        investor_id: id.to_owned(),
        kind: SubjectKind::Entity,
        legal_name: "Acme Holdings Ltd".into(),
        email: "kyb@acme.example".into(),
        country: "DE".into(),
        date_of_birth: None,
        external_ref: None,
    }
}

async fn verify(
    provider: &Arc<dyn KycProvider>,
    subject: &KycSubject,
) -> Result<KycOutcome, KycError> {
    provider.verify(subject).await
}

// ---------------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn green_individual_is_approved_after_create_check_and_status() {
    let (fake, _, provider) = setup().await;
    let id = "inv_0190f0a8c0de7000a000000000000001";
    fake.scenario(id, Scenario::Green);

    let out = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(out.status, KycStatus::Approved);
    assert_eq!(out.provider, "sumsub");
    assert!(out.reasons.is_empty());
    let applicant_id = out.provider_ref.clone().unwrap();
    assert_eq!(out.raw["applicant"]["id"], applicant_id.as_str());
    assert_eq!(out.raw["review"]["reviewResult"]["reviewAnswer"], "GREEN");
    assert_eq!(out.raw["check_requested"], json!({"ok": 1}));
    assert_eq!(out.raw["reused_applicant"], false);

    assert_eq!(
        fake.calls(),
        vec![
            format!("POST /resources/applicants?levelName={LEVEL}"),
            format!("POST /resources/applicants/{applicant_id}/status/pending"),
            format!("GET /resources/applicants/{applicant_id}/status"),
        ]
    );
    let body = fake.state.lock().unwrap().created_bodies[0].clone();
    assert_eq!(
        body,
        json!({
            "externalUserId": id,
            "email": "ada@example.com",
            "type": "individual",
            "fixedInfo": {"firstName": "Ada King", "lastName": "Lovelace", "dob": "1990-01-15", "country": "GBR"},
        })
    );
    // Nothing in the audit record is a credential.
    let raw = out.raw.to_string();
    for secret in [APP_TOKEN, SECRET_KEY, WEBHOOK_SECRET] {
        assert!(!raw.contains(secret));
    }
}

#[tokio::test]
async fn red_final_is_rejected_with_the_reject_labels() {
    let (fake, _, provider) = setup().await;
    let id = "inv_red_final";
    fake.scenario(id, Scenario::RedFinal);
    let out = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(out.status, KycStatus::Rejected);
    assert_eq!(out.reasons[0], "forgery");
    assert_eq!(out.reasons[1], "document_template");
    assert!(out.reasons[2].starts_with("We could not verify your profile"));
    // The client comment is not for end users: it stays in raw only.
    assert!(!out.reasons.iter().any(|r| r.contains("fraudulent")));
    assert_eq!(
        out.raw["review"]["reviewResult"]["clientComment"],
        "Suspected fraudulent account."
    );
}

#[tokio::test]
async fn red_retry_is_review_with_resubmission_requested() {
    let (fake, _, provider) = setup().await;
    let id = "inv_red_retry";
    fake.scenario(id, Scenario::RedRetry);
    let out = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(out.status, KycStatus::Review);
    assert_eq!(
        out.reasons[..2],
        ["resubmission_requested", "expiration_date"]
    );
}

#[tokio::test]
async fn pending_and_on_hold_are_review() {
    let (fake, _, provider) = setup().await;
    fake.scenario("inv_pending", Scenario::Pending);
    fake.scenario("inv_on_hold", Scenario::OnHold);
    let out = verify(&provider, &individual("inv_pending")).await.unwrap();
    assert_eq!(out.status, KycStatus::Review);
    assert_eq!(out.reasons, vec!["pending_provider_review"]);
    assert!(out.provider_ref.is_some());
    let out = verify(&provider, &individual("inv_on_hold")).await.unwrap();
    assert_eq!(out.status, KycStatus::Review);
    assert_eq!(out.reasons, vec!["pending_provider_review", "on_hold"]);
}

#[tokio::test]
async fn documents_not_submitted_is_review_waiting_for_the_investor() {
    let (fake, _, provider) = setup().await;
    let id = "inv_docs_missing";
    fake.scenario(id, Scenario::DocsMissing);
    let out = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(out.status, KycStatus::Review);
    assert_eq!(
        out.reasons[..2],
        ["pending_provider_review", "applicant_action_required"]
    );
    assert!(out.reasons[2].contains("Not all required documents"));
    assert_eq!(out.raw["check_requested"]["code"], 409);
    // No status read: the check could not start.
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn re_verifying_reuses_the_existing_applicant() {
    let (fake, _, provider) = setup().await;
    let id = "inv_again";
    fake.scenario(id, Scenario::Pending);
    let first = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(first.status, KycStatus::Review);
    let applicant_id = first.provider_ref.clone().unwrap();

    // Sumsub decides meanwhile; the BD verifies again.
    fake.scenario(id, Scenario::Green);
    fake.clear_calls();
    let second = verify(&provider, &individual(id)).await.unwrap();
    assert_eq!(second.status, KycStatus::Approved);
    assert_eq!(second.provider_ref.as_deref(), Some(applicant_id.as_str()));
    assert_eq!(second.raw["reused_applicant"], true);
    // Conflict on create, lookup by external user id, no new check request (already pending),
    // then the status.
    assert_eq!(
        fake.calls(),
        vec![
            format!("POST /resources/applicants?levelName={LEVEL}"),
            format!("GET /resources/applicants/-;externalUserId={id}/one"),
            format!("GET /resources/applicants/{applicant_id}/status"),
        ]
    );
    assert_eq!(fake.state.lock().unwrap().applicants.len(), 1);
}

#[tokio::test]
async fn a_conflict_whose_applicant_cannot_be_read_is_a_provider_refusal() {
    // Sumsub answers 409 for an external user id taken by an applicant this token cannot see
    // (another token's, or a deleted one): the lookup 404s and the adapter says so.
    let (fake, _, provider) = setup().await;
    let id = "inv_hidden";
    fake.scenario(id, Scenario::HiddenDuplicate);
    let err = verify(&provider, &individual(id)).await.unwrap_err();
    match &err {
        KycError::Rejected { status, message } => {
            assert_eq!(*status, 409);
            assert!(message.contains("already exists"), "{message}");
            assert!(message.contains("cannot be read"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(
        fake.calls(),
        vec![
            format!("POST /resources/applicants?levelName={LEVEL}"),
            format!("GET /resources/applicants/-;externalUserId={id}/one"),
        ]
    );
}

#[tokio::test]
async fn a_looked_up_applicant_of_another_external_user_is_refused() {
    let (fake, _, provider) = setup().await;
    let id = "inv_mixup";
    fake.state.lock().unwrap().applicants.insert(
        id.into(),
        json!({"id": "5b594ade0a975a36c0000998", "externalUserId": "inv_someone_else",
               "review": {"reviewStatus": "completed", "reviewResult": {"reviewAnswer": "GREEN"}}}),
    );
    let err = verify(&provider, &individual(id)).await.unwrap_err();
    assert!(
        matches!(err, KycError::InvalidResponse(ref m) if m.contains("another external user id")),
        "{err}"
    );
}

#[tokio::test]
async fn entities_are_created_as_companies_on_the_kyb_level() {
    let (fake, _, provider) = setup().await;
    let id = "inv_entity";
    fake.scenario(id, Scenario::Green);
    let out = verify(&provider, &entity(id)).await.unwrap();
    assert_eq!(out.status, KycStatus::Approved);
    assert_eq!(
        fake.calls()[0],
        format!("POST /resources/applicants?levelName={KYB_LEVEL}")
    );
    let body = fake.state.lock().unwrap().created_bodies[0].clone();
    assert_eq!(
        body,
        json!({
            "externalUserId": id,
            "email": "kyb@acme.example",
            "type": "company",
            "fixedInfo": {"companyInfo": {"companyName": "Acme Holdings Ltd", "country": "DEU"}},
        })
    );
}

#[tokio::test]
async fn entities_without_a_kyb_level_are_a_configuration_error() {
    let fake = Fake::new(LEVEL);
    let base = start(fake.clone()).await;
    let mut c = config(&base, SECRET_KEY, LEVEL);
    c.kyb_level_name = None;
    let provider: Arc<dyn KycProvider> = Arc::new(SumsubProvider::new(c).unwrap());
    let err = verify(&provider, &entity("inv_entity")).await.unwrap_err();
    assert!(
        matches!(err, KycError::Config(ref m) if m.contains("SUMSUB_KYB_LEVEL_NAME")),
        "{err}"
    );
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn level_names_with_reserved_characters_are_encoded_and_signed_as_sent() {
    let level = "kyc level+poa";
    let fake = Fake::new(level);
    let base = start(fake.clone()).await;
    let provider: Arc<dyn KycProvider> =
        Arc::new(SumsubProvider::new(config(&base, SECRET_KEY, level)).unwrap());
    let out = verify(&provider, &individual("inv_level")).await.unwrap();
    assert_eq!(out.status, KycStatus::Approved);
    assert_eq!(
        fake.calls()[0],
        "POST /resources/applicants?levelName=kyc%20level%2Bpoa"
    );
}

#[tokio::test]
async fn wrong_secret_gets_sumsubs_401_and_a_rejected_error() {
    let fake = Fake::new(LEVEL);
    let base = start(fake.clone()).await;
    let provider: Arc<dyn KycProvider> =
        Arc::new(SumsubProvider::new(config(&base, "not-the-secret", LEVEL)).unwrap());
    let err = verify(&provider, &individual("inv_1")).await.unwrap_err();
    match &err {
        KycError::Rejected { status, message } => {
            assert_eq!(*status, 401);
            assert!(message.contains("Invalid signature"), "{message}");
            assert!(message.contains("correlationId"), "{message}");
            assert!(!message.contains("not-the-secret"));
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(err.http_status(), 502);
    assert!(!err.is_retryable());
    assert!(fake.calls().is_empty(), "nothing reached the API");
}

#[tokio::test]
async fn wrong_app_token_gets_401() {
    let fake = Fake::new(LEVEL);
    let base = start(fake.clone()).await;
    let mut c = config(&base, SECRET_KEY, LEVEL);
    c.app_token = Secret::new("sbx:someone-elses-token");
    let provider: Arc<dyn KycProvider> = Arc::new(SumsubProvider::new(c).unwrap());
    let err = verify(&provider, &individual("inv_1")).await.unwrap_err();
    assert!(
        matches!(err, KycError::Rejected { status: 401, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_unavailable() {
    let (fake, _, provider) = setup().await;
    fake.scenario("inv_500", Scenario::ServerError);
    fake.scenario("inv_429", Scenario::RateLimited);
    let err = verify(&provider, &individual("inv_500")).await.unwrap_err();
    assert!(
        matches!(err, KycError::Unavailable(ref m) if m.contains("500")),
        "{err}"
    );
    assert_eq!(err.http_status(), 502);
    assert!(err.is_retryable());
    let err = verify(&provider, &individual("inv_429")).await.unwrap_err();
    assert!(
        matches!(err, KycError::Unavailable(ref m) if m.contains("429")),
        "{err}"
    );
}

#[tokio::test]
async fn timeouts_are_unavailable() {
    let fake = Fake::new(LEVEL);
    let base = start(fake.clone()).await;
    let mut c = config(&base, SECRET_KEY, LEVEL);
    c.timeout = Duration::from_millis(300);
    let provider: Arc<dyn KycProvider> = Arc::new(SumsubProvider::new(c).unwrap());
    fake.scenario("inv_slow", Scenario::Slow);
    let started = std::time::Instant::now();
    let err = verify(&provider, &individual("inv_slow"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, KycError::Unavailable(ref m) if m.contains("timed out")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn unreachable_provider_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let provider: Arc<dyn KycProvider> =
        Arc::new(SumsubProvider::new(config(&base, SECRET_KEY, LEVEL)).unwrap());
    let err = verify(&provider, &individual("inv_1")).await.unwrap_err();
    assert!(matches!(err, KycError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_an_invalid_response() {
    let (fake, _, provider) = setup().await;
    fake.scenario("inv_html", Scenario::NotJson);
    let err = verify(&provider, &individual("inv_html"))
        .await
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidResponse(_)), "{err}");
    assert_eq!(err.http_status(), 502);
}

#[tokio::test]
async fn invalid_subjects_never_reach_the_provider() {
    let (fake, _, provider) = setup().await;
    let mut s = individual("inv_1");
    s.country = "XX".into();
    let err = verify(&provider, &s).await.unwrap_err();
    assert!(matches!(err, KycError::InvalidSubject(_)), "{err}");
    assert_eq!(err.http_status(), 400);
    assert!(fake.calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// verification_link (external WebSDK link)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_link_opens_the_investors_applicant_on_its_level() {
    let (fake, _, provider) = setup().await;
    let id = "inv_0190f0a8c0de7000a0000000000000a1";
    let url = provider
        .verification_link(&individual(id), 86_400)
        .await
        .unwrap();
    assert_eq!(url, "https://in.sumsub.com/websdk/p/sbx_000000000001");
    assert_eq!(
        fake.calls(),
        vec!["POST /resources/sdkIntegrations/levels/-/websdkLink".to_owned()]
    );
    let sent = fake.state.lock().unwrap().link_bodies.clone();
    assert_eq!(
        sent,
        vec![json!({
            "levelName": LEVEL,
            "userId": id,
            "applicantIdentifiers": {"email": "ada@example.com"},
            "ttlInSecs": 86_400,
        })]
    );

    // The same external user id as verify() uses, so the link continues that applicant.
    fake.clear_calls();
    verify(&provider, &individual(id)).await.unwrap();
    assert!(fake.calls()[0].starts_with("POST /resources/applicants?levelName="));
    let created = fake.state.lock().unwrap().created_bodies[0].clone();
    assert_eq!(created["externalUserId"], id);
}

#[tokio::test]
async fn entity_links_use_the_kyb_level_and_need_one() {
    let (fake, base, provider) = setup().await;
    let id = "inv_0190f0a8c0de7000a0000000000000a2";
    provider.verification_link(&entity(id), 600).await.unwrap();
    let sent = fake.state.lock().unwrap().link_bodies.clone();
    assert_eq!(sent[0]["levelName"], KYB_LEVEL);
    assert_eq!(sent[0]["ttlInSecs"], 600);

    let mut no_kyb = config(&base, SECRET_KEY, LEVEL);
    no_kyb.kyb_level_name = None;
    let provider = SumsubProvider::new(no_kyb).unwrap();
    let err = provider
        .verification_link(&entity(id), 600)
        .await
        .unwrap_err();
    assert!(matches!(err, KycError::Config(_)), "{err:?}");
}

#[tokio::test]
async fn link_failures_are_classified() {
    let (fake, base, provider) = setup().await;
    let down = "inv_0190f0a8c0de7000a0000000000000a3";
    fake.scenario(down, Scenario::ServerError);
    let err = provider
        .verification_link(&individual(down), 600)
        .await
        .unwrap_err();
    assert!(matches!(err, KycError::Unavailable(_)), "{err:?}");

    let odd = "inv_0190f0a8c0de7000a0000000000000a4";
    fake.scenario(odd, Scenario::LinkWithoutUrl);
    let err = provider
        .verification_link(&individual(odd), 600)
        .await
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidResponse(_)), "{err:?}");

    let wrong = SumsubProvider::new(config(&base, "not-the-secret", LEVEL)).unwrap();
    let err = wrong
        .verification_link(&individual("inv_0190f0a8c0de7000a0000000000000a5"), 600)
        .await
        .unwrap_err();
    assert!(
        matches!(err, KycError::Rejected { status: 401, .. }),
        "{err:?}"
    );

    fake.clear_calls();
    let mut nameless = individual("inv_0190f0a8c0de7000a0000000000000a6");
    nameless.legal_name = " ".into();
    let err = provider
        .verification_link(&nameless, 600)
        .await
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidSubject(_)), "{err:?}");
    assert!(
        fake.calls().is_empty(),
        "an invalid subject never reaches Sumsub"
    );
}

fn webhook_provider(max_age: Option<Duration>) -> SumsubProvider {
    let mut c = config("https://api.sumsub.com", SECRET_KEY, LEVEL);
    c.webhook_max_age = max_age;
    SumsubProvider::new(c).unwrap()
}

fn created_at_ms(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"
    );
    t.format(format).unwrap()
}

fn reviewed_payload(created: OffsetDateTime, result: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "applicantId": "5cb56e8e0a975a35f333cb83",
        "inspectionId": "5cb56e8e0a975a35f333cb84",
        "correlationId": "req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4",
        "externalUserId": "inv_0190f0a8c0de7000a000000000000001",
        "levelName": LEVEL,
        "type": "applicantReviewed",
        "reviewResult": result,
        "reviewStatus": "completed",
        "createdAtMs": created_at_ms(created),
        "sandboxMode": true,
        "applicantType": "individual",
    }))
    .unwrap()
}

fn digest_sha256(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn digest_sha512(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn headers(digest: &str, alg: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-payload-digest", digest.parse().unwrap());
    if let Some(alg) = alg {
        h.insert("x-payload-digest-alg", alg.parse().unwrap());
    }
    h.insert("content-type", "application/json".parse().unwrap());
    h
}

#[test]
fn signed_green_webhook_is_accepted_and_parsed() {
    let now = OffsetDateTime::now_utc();
    let provider: Arc<dyn KycProvider> = Arc::new(webhook_provider(Some(
        SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE,
    )));
    let body = reviewed_payload(
        now - Duration::from_secs(30),
        json!({"reviewAnswer": "GREEN"}),
    );
    let event = provider
        .verify_webhook(
            &headers(
                &digest_sha256(WEBHOOK_SECRET, &body),
                Some("HMAC_SHA256_HEX"),
            ),
            &body,
        )
        .unwrap();
    assert_eq!(event.status, KycStatus::Approved);
    assert_eq!(event.provider_ref, "5cb56e8e0a975a35f333cb83");
    assert_eq!(
        event.investor_id.as_deref(),
        Some("inv_0190f0a8c0de7000a000000000000001")
    );
    assert_eq!(event.event_type, "applicantReviewed");
    assert_eq!(
        event.event_id.as_deref(),
        Some("req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4")
    );
    assert!(event.created_at.is_some());
    assert!(event.reasons.is_empty());
    assert_eq!(event.raw["levelName"], LEVEL);
}

#[test]
fn sha512_and_default_algorithm_are_accepted() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let body = reviewed_payload(
        now,
        json!({"reviewAnswer": "RED", "reviewRejectType": "FINAL", "rejectLabels": ["SANCTIONS", "PEP"],
               "moderationComment": "Rejected.", "clientComment": "Hit on list X."}),
    );
    let event = provider
        .verify_webhook_at(
            &headers(
                &digest_sha512(WEBHOOK_SECRET, &body),
                Some("HMAC_SHA512_HEX"),
            ),
            &body,
            now,
        )
        .unwrap();
    assert_eq!(event.status, KycStatus::Rejected);
    assert_eq!(event.reasons, vec!["sanctions", "pep", "Rejected."]);

    // No X-Payload-Digest-Alg: SHA256, Sumsub's default.
    let event = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &body), None),
            &body,
            now,
        )
        .unwrap();
    assert_eq!(event.status, KycStatus::Rejected);
}

#[test]
fn pending_webhook_maps_to_review() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let body = serde_json::to_vec(&json!({
        "applicantId": "5cb56e8e0a975a35f333cb83",
        "externalUserId": "inv_1",
        "type": "applicantPending",
        "reviewStatus": "pending",
        "createdAtMs": created_at_ms(now),
    }))
    .unwrap();
    let event = provider
        .verify_webhook_at(
            &headers(
                &digest_sha256(WEBHOOK_SECRET, &body),
                Some("HMAC_SHA256_HEX"),
            ),
            &body,
            now,
        )
        .unwrap();
    assert_eq!(event.status, KycStatus::Review);
    assert_eq!(event.reasons, vec!["pending_provider_review"]);
    assert_eq!(event.event_type, "applicantPending");
}

#[test]
fn tampered_body_is_refused() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let body = reviewed_payload(
        now,
        json!({"reviewAnswer": "RED", "reviewRejectType": "FINAL"}),
    );
    let digest = digest_sha256(WEBHOOK_SECRET, &body);
    let tampered = String::from_utf8(body)
        .unwrap()
        .replace("\"RED\"", "\"GREEN\"")
        .into_bytes();
    let err = provider
        .verify_webhook_at(&headers(&digest, Some("HMAC_SHA256_HEX")), &tampered, now)
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidSignature(_)), "{err}");
    assert_eq!(err.http_status(), 401);
}

#[test]
fn wrong_secret_is_refused() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let body = reviewed_payload(now, json!({"reviewAnswer": "GREEN"}));
    for digest in [
        digest_sha256("another-secret", &body),
        // The App Token secret is not the webhook secret.
        digest_sha256(SECRET_KEY, &body),
    ] {
        let err = provider
            .verify_webhook_at(&headers(&digest, Some("HMAC_SHA256_HEX")), &body, now)
            .unwrap_err();
        assert!(matches!(err, KycError::InvalidSignature(_)), "{err}");
    }
    // A SHA256 digest announced as SHA512 does not pass either.
    let err = provider
        .verify_webhook_at(
            &headers(
                &digest_sha256(WEBHOOK_SECRET, &body),
                Some("HMAC_SHA512_HEX"),
            ),
            &body,
            now,
        )
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidSignature(_)), "{err}");
}

#[test]
fn missing_or_malformed_headers_are_refused() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let body = reviewed_payload(now, json!({"reviewAnswer": "GREEN"}));

    let mut no_digest = HeaderMap::new();
    no_digest.insert("x-payload-digest-alg", "HMAC_SHA256_HEX".parse().unwrap());
    let err = provider
        .verify_webhook_at(&no_digest, &body, now)
        .unwrap_err();
    assert!(
        matches!(err, KycError::InvalidSignature(ref m) if m.contains("missing")),
        "{err}"
    );

    let err = provider
        .verify_webhook_at(&headers("not-hex!", Some("HMAC_SHA256_HEX")), &body, now)
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidSignature(_)), "{err}");

    let err = provider
        .verify_webhook_at(&headers("", Some("HMAC_SHA256_HEX")), &body, now)
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidSignature(_)), "{err}");

    // The legacy SHA1 digest is not accepted.
    let err = provider
        .verify_webhook_at(
            &headers(&"00".repeat(20), Some("HMAC_SHA1_HEX")),
            &body,
            now,
        )
        .unwrap_err();
    assert!(
        matches!(err, KycError::InvalidSignature(ref m) if m.contains("HMAC_SHA1_HEX")),
        "{err}"
    );
}

#[test]
fn stale_and_future_webhooks_are_refused() {
    let now = OffsetDateTime::now_utc();
    let provider = webhook_provider(Some(SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE));
    let old = reviewed_payload(
        now - Duration::from_secs(4 * 24 * 3600),
        json!({"reviewAnswer": "GREEN"}),
    );
    let err = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &old), None),
            &old,
            now,
        )
        .unwrap_err();
    assert!(matches!(err, KycError::StaleWebhook(_)), "{err}");
    assert_eq!(err.http_status(), 401);

    // Sumsub's last retry (after ~24 h) is still accepted.
    let retried = reviewed_payload(
        now - Duration::from_secs(25 * 3600),
        json!({"reviewAnswer": "GREEN"}),
    );
    assert!(
        provider
            .verify_webhook_at(
                &headers(&digest_sha256(WEBHOOK_SECRET, &retried), None),
                &retried,
                now
            )
            .is_ok()
    );

    let future = reviewed_payload(
        now + Duration::from_secs(3600),
        json!({"reviewAnswer": "GREEN"}),
    );
    let err = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &future), None),
            &future,
            now,
        )
        .unwrap_err();
    assert!(matches!(err, KycError::StaleWebhook(_)), "{err}");

    // With the age check disabled, the old event passes (its signature is good).
    let lenient = webhook_provider(None);
    assert!(
        lenient
            .verify_webhook_at(
                &headers(&digest_sha256(WEBHOOK_SECRET, &old), None),
                &old,
                now
            )
            .is_ok()
    );
}

#[test]
fn webhooks_need_a_configured_secret_and_a_json_object() {
    let now = OffsetDateTime::now_utc();
    let mut c = config("https://api.sumsub.com", SECRET_KEY, LEVEL);
    c.webhook_secret = None;
    let provider = SumsubProvider::new(c).unwrap();
    let body = reviewed_payload(now, json!({"reviewAnswer": "GREEN"}));
    let err = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &body), None),
            &body,
            now,
        )
        .unwrap_err();
    assert!(
        matches!(err, KycError::Config(ref m) if m.contains("SUMSUB_WEBHOOK_SECRET")),
        "{err}"
    );

    let provider = webhook_provider(None);
    let body = b"not json".to_vec();
    let err = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &body), None),
            &body,
            now,
        )
        .unwrap_err();
    assert!(matches!(err, KycError::InvalidResponse(_)), "{err}");

    let body = br#"{"type":"applicantReviewed","reviewStatus":"completed"}"#.to_vec();
    let err = provider
        .verify_webhook_at(
            &headers(&digest_sha256(WEBHOOK_SECRET, &body), None),
            &body,
            now,
        )
        .unwrap_err();
    assert!(
        matches!(err, KycError::InvalidResponse(ref m) if m.contains("applicantId")),
        "{err}"
    );
}
