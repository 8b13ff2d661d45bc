//! The Sumsub adapter. Every endpoint, header and field name below follows Sumsub's public API
//! reference; the pages are cited where each is used (see also the crate documentation).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Sha256, Sha512};
use time::OffsetDateTime;

use crate::{
    KycError, KycOutcome, KycProvider, KycStatus, KycSubject, Secret, SubjectKind, WebhookEvent,
    country,
};

/// How to reach and authenticate to Sumsub. `Debug` never shows the credentials.
#[derive(Debug, Clone)]
pub struct SumsubConfig {
    /// `https://api.sumsub.com` (the same host serves sandbox and production; the App Token
    /// decides). Overridable for tests.
    pub base_url: String,
    /// `X-App-Token`.
    pub app_token: Secret,
    /// The App Token's secret key, which signs every request (`X-App-Access-Sig`).
    pub secret_key: Secret,
    /// Verification level for individuals (`levelName`).
    pub level_name: String,
    /// Verification level for companies (KYB). Sumsub refuses to create a company on an
    /// individuals' level; without this, verifying an entity is a [`KycError::Config`].
    pub kyb_level_name: Option<String>,
    /// The webhook's secret key (set in Sumsub's webhook manager; not the App Token secret).
    pub webhook_secret: Option<Secret>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Webhooks whose (signed) `createdAtMs` is older than this are refused; `None` disables.
    pub webhook_max_age: Option<Duration>,
}

impl SumsubConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.sumsub.com";
    /// Sumsub retries a failed webhook after 5 min, 1 h, 5 h and 18 h: three days leaves room.
    pub const DEFAULT_WEBHOOK_MAX_AGE: Duration = Duration::from_secs(3 * 24 * 3600);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How far in the future a webhook's timestamp may be (clock skew).
    pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

    pub fn new(
        app_token: impl Into<Secret>,
        secret_key: impl Into<Secret>,
        level_name: impl Into<String>,
    ) -> Self {
        Self {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            app_token: app_token.into(),
            secret_key: secret_key.into(),
            level_name: level_name.into(),
            kyb_level_name: None,
            webhook_secret: None,
            timeout: Self::DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(3),
            webhook_max_age: Some(Self::DEFAULT_WEBHOOK_MAX_AGE),
        }
    }
}

/// Sumsub behind [`KycProvider`]. See the crate documentation for the flow and the mapping.
#[derive(Debug, Clone)]
pub struct SumsubProvider {
    config: SumsubConfig,
    /// `base_url` without its trailing slash.
    base: String,
    client: reqwest::Client,
}

/// A 4xx answer from Sumsub: `{"description", "code", "correlationId", "errorCode"?,
/// "errorName"?}` (<https://docs.sumsub.com/reference/review-api-health>).
#[derive(Debug)]
struct ApiError {
    status: u16,
    description: String,
    body: Value,
}

impl ApiError {
    fn into_error(self) -> KycError {
        KycError::Rejected {
            status: self.status,
            message: format!("Sumsub: {}", self.description),
        }
    }
}

impl SumsubProvider {
    pub const NAME: &'static str = "sumsub";

    pub fn new(config: SumsubConfig) -> Result<Self, KycError> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| KycError::Config(format!("SUMSUB_BASE_URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.query().is_some() {
            return Err(KycError::Config(format!(
                "SUMSUB_BASE_URL {base:?} must be an http(s) URL without a query"
            )));
        }
        for (what, value) in [
            ("app token", config.app_token.expose()),
            ("secret key", config.secret_key.expose()),
            ("level name", config.level_name.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(KycError::Config(format!("the Sumsub {what} is empty")));
            }
        }
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout.min(config.timeout))
            // A redirect would have to be signed again; Sumsub does not redirect its API.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| KycError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            config,
            base,
            client,
        })
    }

    pub fn config(&self) -> &SumsubConfig {
        &self.config
    }

    fn level_for(&self, kind: SubjectKind) -> Result<&str, KycError> {
        match kind {
            SubjectKind::Individual => Ok(&self.config.level_name),
            SubjectKind::Entity => self.config.kyb_level_name.as_deref().ok_or_else(|| {
                KycError::Config(
                    "no Sumsub KYB level is configured (SUMSUB_KYB_LEVEL_NAME): \
                     entities cannot be verified"
                        .into(),
                )
            }),
        }
    }

    /// One signed call. `Ok(Ok(json))` on 2xx, `Ok(Err(api))` on a 4xx other than 429;
    /// `Err(Unavailable)` on network errors, timeouts, 429 and 5xx.
    async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Result<Value, ApiError>, KycError> {
        let url = reqwest::Url::parse(&format!("{}{}", self.base, path_and_query))
            .map_err(|e| KycError::Config(format!("cannot build a Sumsub URL: {e}")))?;
        // What goes on the wire as the request target: the signature covers exactly that
        // (<https://docs.sumsub.com/reference/authentication>).
        let target = match url.query() {
            Some(q) => format!("{}?{}", url.path(), q),
            None => url.path().to_owned(),
        };
        let ts = OffsetDateTime::now_utc().unix_timestamp();
        let body = body.unwrap_or_default();
        let signature = sign_request(
            self.config.secret_key.expose(),
            ts,
            method.as_str(),
            &target,
            &body,
        )?;

        let mut request = self
            .client
            .request(method.clone(), url)
            .header("X-App-Token", self.config.app_token.expose())
            .header("X-App-Access-Ts", ts.to_string())
            .header("X-App-Access-Sig", signature)
            .header(http::header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|e| {
            KycError::Unavailable(format!(
                "Sumsub {method} {}: {}",
                strip_query(&target),
                describe(&e)
            ))
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            KycError::Unavailable(format!(
                "Sumsub {method} {}: reading the answer: {}",
                strip_query(&target),
                describe(&e)
            ))
        })?;
        tracing::debug!(%method, path = strip_query(&target), status = status.as_u16(), "sumsub call");

        if status.is_success() {
            return serde_json::from_slice::<Value>(&bytes)
                .map(Ok)
                .map_err(|e| {
                    KycError::InvalidResponse(format!(
                        "Sumsub {method} {} answered {status} with a body that is not JSON: {e}",
                        strip_query(&target)
                    ))
                });
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let description = error_description(&body, &bytes);
        if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
            return Err(KycError::Unavailable(format!(
                "Sumsub {method} {} answered {status}: {description}",
                strip_query(&target)
            )));
        }
        if status.is_client_error() {
            return Ok(Err(ApiError {
                status: status.as_u16(),
                description,
                body,
            }));
        }
        Err(KycError::InvalidResponse(format!(
            "Sumsub {method} {} answered {status}",
            strip_query(&target)
        )))
    }

    /// Generate external WebSDK link:
    /// <https://docs.sumsub.com/reference/generate-websdk-external-link>.
    async fn websdk_link(&self, subject: &KycSubject, ttl_secs: u32) -> Result<String, KycError> {
        subject.validate()?;
        let level = self.level_for(subject.kind)?;
        let mut request = json!({
            "levelName": level,
            "userId": subject.investor_id,
            "ttlInSecs": ttl_secs,
        });
        if !subject.email.trim().is_empty() {
            request["applicantIdentifiers"] = json!({ "email": subject.email });
        }
        let body = serde_json::to_vec(&request)
            .map_err(|e| KycError::InvalidSubject(format!("cannot encode the request: {e}")))?;
        let answer = self
            .call(
                Method::POST,
                "/resources/sdkIntegrations/levels/-/websdkLink",
                Some(body),
            )
            .await?
            .map_err(ApiError::into_error)?;
        answer
            .get("url")
            .and_then(Value::as_str)
            .filter(|u| {
                reqwest::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
            })
            .map(str::to_owned)
            .ok_or_else(|| {
                KycError::InvalidResponse("Sumsub's websdkLink answer has no http(s) `url`".into())
            })
    }

    async fn verify_subject(&self, subject: &KycSubject) -> Result<KycOutcome, KycError> {
        subject.validate()?;
        let level = self.level_for(subject.kind)?;
        let alpha3 = country::alpha3(&subject.country).ok_or_else(|| {
            KycError::InvalidSubject(format!("unknown country {:?}", subject.country))
        })?;
        let body = serde_json::to_vec(&create_applicant_body(subject, alpha3))
            .map_err(|e| KycError::InvalidSubject(format!("cannot encode the applicant: {e}")))?;

        // Create applicant: https://docs.sumsub.com/reference/create-applicant
        let create = format!("/resources/applicants?levelName={}", encode(level));
        let (applicant, reused) = match self.call(Method::POST, &create, Some(body)).await? {
            Ok(applicant) => (applicant, false),
            // 409: "Applicant with external user id '…' already exists: <id>". Reuse it:
            // https://docs.sumsub.com/reference/get-applicant-data-via-externaluserid
            Err(conflict) if conflict.status == 409 => {
                let lookup = format!(
                    "/resources/applicants/-;externalUserId={}/one",
                    encode(&subject.investor_id)
                );
                match self.call(Method::GET, &lookup, None).await? {
                    Ok(existing) => (existing, true),
                    Err(e) => {
                        return Err(KycError::Rejected {
                            status: conflict.status,
                            message: format!(
                                "Sumsub: {} — and the existing applicant cannot be read ({}: {})",
                                conflict.description, e.status, e.description
                            ),
                        });
                    }
                }
            }
            Err(e) => return Err(e.into_error()),
        };

        let applicant_id = applicant
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| KycError::InvalidResponse("Sumsub applicant without an id".into()))?
            .to_owned();
        if let Some(external) = applicant.get("externalUserId").and_then(Value::as_str)
            && external != subject.investor_id
        {
            return Err(KycError::InvalidResponse(format!(
                "Sumsub applicant {applicant_id} belongs to another external user id"
            )));
        }
        tracing::debug!(applicant_id, reused, "sumsub applicant");
        let initial_status = applicant
            .pointer("/review/reviewStatus")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut raw = json!({ "applicant": applicant, "reused_applicant": reused });
        let id = encode(&applicant_id);

        // A fresh (or never submitted) applicant: ask Sumsub to check it.
        // https://docs.sumsub.com/reference/request-applicant-check
        if matches!(initial_status.as_deref(), None | Some("init")) {
            let request_check = format!("/resources/applicants/{id}/status/pending");
            match self.call(Method::POST, &request_check, None).await? {
                Ok(answer) => raw["check_requested"] = answer,
                // "Not all required documents or data are submitted": the investor has to
                // complete the level's steps (WebSDK) before Sumsub can decide.
                Err(e) if e.status == 409 => {
                    raw["check_requested"] = e.body;
                    return Ok(outcome(
                        KycStatus::Review,
                        vec![
                            "pending_provider_review".to_owned(),
                            "applicant_action_required".to_owned(),
                            e.description,
                        ],
                        Some(applicant_id),
                        raw,
                    ));
                }
                Err(e) => return Err(e.into_error()),
            }
        }

        // https://docs.sumsub.com/reference/get-applicant-review-status
        let status_path = format!("/resources/applicants/{id}/status");
        let review = match self.call(Method::GET, &status_path, None).await? {
            Ok(review) => review,
            Err(e) => return Err(e.into_error()),
        };
        let review_status = review
            .get("reviewStatus")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                KycError::InvalidResponse(format!(
                    "Sumsub review status of {applicant_id} without reviewStatus"
                ))
            })?;
        let (status, reasons) = map_review(Some(review_status), review.get("reviewResult"));
        raw["review"] = review;
        Ok(outcome(status, reasons, Some(applicant_id), raw))
    }

    /// [`KycProvider::verify_webhook`] with an explicit clock, for tests.
    ///
    /// Checks `X-Payload-Digest` (hex HMAC of the raw body with the webhook secret, algorithm
    /// from `X-Payload-Digest-Alg`: `HMAC_SHA256_HEX`, the default, or `HMAC_SHA512_HEX`; the
    /// legacy `HMAC_SHA1_HEX` is refused) in constant time, then refuses events whose signed
    /// `createdAtMs` is older than [`SumsubConfig::webhook_max_age`] or too far in the future.
    /// <https://docs.sumsub.com/docs/webhook-manager>,
    /// <https://docs.sumsub.com/docs/user-verification-webhooks>
    pub fn verify_webhook_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, KycError> {
        let secret = self.config.webhook_secret.as_ref().ok_or_else(|| {
            KycError::Config(
                "no Sumsub webhook secret is configured (SUMSUB_WEBHOOK_SECRET)".into(),
            )
        })?;
        let digest = headers
            .get("x-payload-digest")
            .ok_or_else(|| KycError::InvalidSignature("missing X-Payload-Digest header".into()))?
            .to_str()
            .map_err(|_| KycError::InvalidSignature("X-Payload-Digest is not text".into()))?;
        let digest = hex::decode(digest.trim())
            .map_err(|_| KycError::InvalidSignature("X-Payload-Digest is not hex".into()))?;
        let algorithm = match headers.get("x-payload-digest-alg") {
            None => "HMAC_SHA256_HEX".to_owned(),
            Some(v) => v
                .to_str()
                .map_err(|_| KycError::InvalidSignature("X-Payload-Digest-Alg is not text".into()))?
                .trim()
                .to_ascii_uppercase(),
        };
        let key = secret.expose().as_bytes();
        let verified = match algorithm.as_str() {
            "HMAC_SHA256_HEX" => Hmac::<Sha256>::new_from_slice(key)
                .map(|mut mac| {
                    mac.update(body);
                    mac.verify_slice(&digest).is_ok()
                })
                .unwrap_or(false),
            "HMAC_SHA512_HEX" => Hmac::<Sha512>::new_from_slice(key)
                .map(|mut mac| {
                    mac.update(body);
                    mac.verify_slice(&digest).is_ok()
                })
                .unwrap_or(false),
            other => {
                return Err(KycError::InvalidSignature(format!(
                    "unsupported X-Payload-Digest-Alg {other:?}: configure the Sumsub webhook \
                     with SHA256 or SHA512"
                )));
            }
        };
        if !verified {
            return Err(KycError::InvalidSignature(
                "X-Payload-Digest does not match the body".into(),
            ));
        }

        let payload: Value = serde_json::from_slice(body)
            .map_err(|e| KycError::InvalidResponse(format!("Sumsub webhook is not JSON: {e}")))?;
        if !payload.is_object() {
            return Err(KycError::InvalidResponse(
                "Sumsub webhook is not a JSON object".into(),
            ));
        }
        let created_at = payload.get("createdAtMs").and_then(parse_created_at);
        if let Some(created_at) = created_at {
            if let Some(max_age) = self.config.webhook_max_age
                && now - created_at > max_age
            {
                return Err(KycError::StaleWebhook(format!(
                    "created at {created_at}, older than {} s",
                    max_age.as_secs()
                )));
            }
            if created_at - now > SumsubConfig::MAX_CLOCK_SKEW {
                return Err(KycError::StaleWebhook(format!(
                    "created at {created_at}, in the future"
                )));
            }
        }

        let text = |key: &str| {
            payload
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let provider_ref = text("applicantId").ok_or_else(|| {
            KycError::InvalidResponse("Sumsub webhook without applicantId".into())
        })?;
        let (status, reasons) = map_review(
            payload.get("reviewStatus").and_then(Value::as_str),
            payload.get("reviewResult"),
        );
        Ok(WebhookEvent {
            provider_ref,
            investor_id: text("externalUserId"),
            status,
            reasons,
            event_type: text("type").unwrap_or_else(|| "unknown".to_owned()),
            event_id: text("correlationId"),
            created_at,
            raw: payload,
        })
    }
}

impl KycProvider for SumsubProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn verification_link<'a>(
        &'a self,
        subject: &'a KycSubject,
        ttl_secs: u32,
    ) -> Pin<Box<dyn Future<Output = Result<String, KycError>> + Send + 'a>> {
        Box::pin(self.websdk_link(subject, ttl_secs))
    }

    fn verify<'a>(
        &'a self,
        subject: &'a KycSubject,
    ) -> Pin<Box<dyn Future<Output = Result<KycOutcome, KycError>> + Send + 'a>> {
        Box::pin(self.verify_subject(subject))
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, KycError> {
        self.verify_webhook_at(headers, body, OffsetDateTime::now_utc())
    }
}

fn outcome(
    status: KycStatus,
    reasons: Vec<String>,
    provider_ref: Option<String>,
    raw: Value,
) -> KycOutcome {
    KycOutcome {
        status,
        provider: SumsubProvider::NAME.to_owned(),
        provider_ref,
        reasons,
        raw,
    }
}

/// Sumsub's review (`reviewStatus` and `reviewResult`, the same fields in the review status
/// answer and in webhooks) as our status and reasons. See the table in the crate documentation.
/// <https://docs.sumsub.com/reference/get-applicant-review-status>,
/// <https://docs.sumsub.com/docs/receive-and-interpret-results-via-api>
pub fn map_review(
    review_status: Option<&str>,
    review_result: Option<&Value>,
) -> (KycStatus, Vec<String>) {
    let pending = || "pending_provider_review".to_owned();
    match review_status {
        Some("completed") => {
            let result = review_result.unwrap_or(&Value::Null);
            match result.get("reviewAnswer").and_then(Value::as_str) {
                Some("GREEN") => (KycStatus::Approved, Vec::new()),
                Some("RED") => {
                    let labels: Vec<String> = result
                        .get("rejectLabels")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(label_code)
                        .filter(|l| !l.is_empty())
                        .collect();
                    // Shown to the applicant by Sumsub itself; clientComment is not copied.
                    let comment = result
                        .get("moderationComment")
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned);
                    let retry =
                        result.get("reviewRejectType").and_then(Value::as_str) == Some("RETRY");
                    let mut reasons = Vec::new();
                    if retry {
                        reasons.push("resubmission_requested".to_owned());
                    } else if labels.is_empty() {
                        reasons.push("provider_rejected".to_owned());
                    }
                    reasons.extend(labels);
                    reasons.extend(comment);
                    let status = if retry {
                        KycStatus::Review
                    } else {
                        KycStatus::Rejected
                    };
                    (status, reasons)
                }
                _ => (
                    KycStatus::Review,
                    vec![pending(), "unrecognized_provider_status".to_owned()],
                ),
            }
        }
        Some("init") => (
            KycStatus::Review,
            vec![pending(), "applicant_action_required".to_owned()],
        ),
        Some("pending" | "queued" | "prechecked") => (KycStatus::Review, vec![pending()]),
        Some("onHold") => (KycStatus::Review, vec![pending(), "on_hold".to_owned()]),
        _ => (
            KycStatus::Review,
            vec![pending(), "unrecognized_provider_status".to_owned()],
        ),
    }
}

/// `DOCUMENT_PAGE_MISSING` → `document_page_missing`.
fn label_code(label: &str) -> String {
    label
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The create-applicant body. Individuals: `fixedInfo` with the name split at its last space,
/// `dob` and the alpha-3 `country`. Companies: `type: company` and `fixedInfo.companyInfo`
/// (<https://docs.sumsub.com/reference/create-applicant>,
/// <https://docs.sumsub.com/reference/autokyb-api-examples>).
fn create_applicant_body(subject: &KycSubject, alpha3: &str) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("externalUserId".into(), json!(subject.investor_id));
    let email = subject.email.trim();
    if !email.is_empty() {
        body.insert("email".into(), json!(email));
    }
    let legal_name = subject
        .legal_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match subject.kind {
        SubjectKind::Individual => {
            body.insert("type".into(), json!("individual"));
            let mut info = serde_json::Map::new();
            match legal_name.rsplit_once(' ') {
                Some((first, last)) => {
                    info.insert("firstName".into(), json!(first));
                    info.insert("lastName".into(), json!(last));
                }
                None => {
                    info.insert("firstName".into(), json!(legal_name));
                }
            }
            if let Some(dob) = subject.date_of_birth {
                info.insert(
                    "dob".into(),
                    json!(format!(
                        "{:04}-{:02}-{:02}",
                        dob.year(),
                        u8::from(dob.month()),
                        dob.day()
                    )),
                );
            }
            info.insert("country".into(), json!(alpha3));
            body.insert("fixedInfo".into(), Value::Object(info));
        }
        SubjectKind::Entity => {
            body.insert("type".into(), json!("company"));
            body.insert(
                "fixedInfo".into(),
                json!({ "companyInfo": { "companyName": legal_name, "country": alpha3 } }),
            );
        }
    }
    Value::Object(body)
}

/// `X-App-Access-Sig`: lowercase hex HMAC-SHA256, keyed with the secret key, over
/// `ts + METHOD + path?query + body` (<https://docs.sumsub.com/reference/authentication>).
fn sign_request(
    secret: &str,
    ts: i64,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> Result<String, KycError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| KycError::Config(format!("Sumsub secret key: {e}")))?;
    mac.update(ts.to_string().as_bytes());
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(path_and_query.as_bytes());
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for path segments and query
/// values (Sumsub: a level name with reserved characters must be URL-encoded, and the signature
/// covers the encoded form).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Paths carry applicant ids but never credentials; query strings are dropped from messages
/// anyway.
fn strip_query(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot connect ({e})")
    } else {
        e.to_string()
    }
}

fn error_description(body: &Value, bytes: &[u8]) -> String {
    let description = body.get("description").and_then(Value::as_str);
    let correlation = body.get("correlationId").and_then(Value::as_str);
    let error_name = body.get("errorName").and_then(Value::as_str);
    match (description, error_name, correlation) {
        (Some(d), name, corr) => {
            let mut s = d.to_owned();
            if let Some(name) = name {
                s.push_str(&format!(" [{name}]"));
            }
            if let Some(corr) = corr {
                s.push_str(&format!(" (correlationId {corr})"));
            }
            s
        }
        _ => {
            let text = String::from_utf8_lossy(bytes);
            let text = text.trim();
            if text.is_empty() {
                "no details".to_owned()
            } else {
                text.chars().take(200).collect()
            }
        }
    }
}

/// `createdAtMs`: `yyyy-MM-dd HH:mm:ss.fff` in UTC per Sumsub's webhook attributes; a number of
/// milliseconds since the epoch is accepted too.
fn parse_created_at(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::String(s) => {
            let with_ms = time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"
            );
            let without_ms =
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            time::PrimitiveDateTime::parse(s.trim(), with_ms)
                .or_else(|_| time::PrimitiveDateTime::parse(s.trim(), without_ms))
                .ok()
                .map(time::PrimitiveDateTime::assume_utc)
        }
        Value::Number(n) => n.as_i64().and_then(|ms| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
        }),
        _ => None,
    }
}

/// reqwest is built with `rustls-no-provider`: install ring once, like `iam_sdk` does.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_documented_recipe() {
        // The string to sign from Sumsub's authentication page, signed independently here.
        let target = "/resources/accessTokens?userId=cfd20712-24a2-4c7d-9ab0-146f3c142335&levelName=basic-kyc-level&ttlInSecs=600";
        let sig = sign_request("secret", 1_607_551_635, "post", target, b"").expect("sig");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").expect("key");
        mac.update(format!("1607551635POST{target}").as_bytes());
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sig.len(), 64);
        assert_eq!(sig, sig.to_ascii_lowercase());
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("basic-kyc_level.1~"), "basic-kyc_level.1~");
        assert_eq!(encode("kyc level+@"), "kyc%20level%2B%40");
        assert_eq!(encode("inv_ab/c"), "inv_ab%2Fc");
    }

    #[test]
    fn maps_every_review_state() {
        let r = |s: &str, v: Value| map_review(Some(s), Some(&v));
        assert_eq!(
            r("completed", json!({"reviewAnswer": "GREEN"})),
            (KycStatus::Approved, vec![])
        );
        assert_eq!(
            r(
                "completed",
                json!({"reviewAnswer": "RED", "reviewRejectType": "FINAL",
                       "rejectLabels": ["FORGERY", "DOCUMENT_PAGE_MISSING"],
                       "moderationComment": " Forged document. ", "clientComment": "internal"})
            ),
            (
                KycStatus::Rejected,
                vec![
                    "forgery".to_owned(),
                    "document_page_missing".to_owned(),
                    "Forged document.".to_owned()
                ]
            )
        );
        assert_eq!(
            r("completed", json!({"reviewAnswer": "RED"})),
            (KycStatus::Rejected, vec!["provider_rejected".to_owned()])
        );
        assert_eq!(
            r(
                "completed",
                json!({"reviewAnswer": "RED", "reviewRejectType": "RETRY", "rejectLabels": ["BAD_SELFIE"]})
            ),
            (
                KycStatus::Review,
                vec!["resubmission_requested".to_owned(), "bad_selfie".to_owned()]
            )
        );
        for s in ["pending", "queued", "prechecked"] {
            assert_eq!(
                r(s, Value::Null),
                (
                    KycStatus::Review,
                    vec!["pending_provider_review".to_owned()]
                )
            );
        }
        assert_eq!(r("onHold", Value::Null).1[1], "on_hold");
        assert_eq!(r("init", Value::Null).1[1], "applicant_action_required");
        assert_eq!(r("completed", json!({})).0, KycStatus::Review);
        assert_eq!(
            r("somethingNew", Value::Null).1[1],
            "unrecognized_provider_status"
        );
        assert_eq!(map_review(None, None).0, KycStatus::Review);
    }

    #[test]
    fn builds_individual_and_company_bodies() {
        let mut subject = KycSubject {
            investor_id: "inv_1".into(),
            kind: SubjectKind::Individual,
            legal_name: "  Ada  King Lovelace ".into(),
            email: "ada@example.com".into(),
            country: "GB".into(),
            date_of_birth: Some(time::macros::date!(1815 - 12 - 10)),
            external_ref: None,
        };
        assert_eq!(
            create_applicant_body(&subject, "GBR"),
            json!({"externalUserId": "inv_1", "email": "ada@example.com", "type": "individual",
                   "fixedInfo": {"firstName": "Ada King", "lastName": "Lovelace",
                                 "dob": "1815-12-10", "country": "GBR"}})
        );
        subject.kind = SubjectKind::Entity;
        subject.legal_name = "Acme  Holdings Ltd".into();
        subject.email = String::new();
        assert_eq!(
            create_applicant_body(&subject, "GBR"),
            json!({"externalUserId": "inv_1", "type": "company",
                   "fixedInfo": {"companyInfo": {"companyName": "Acme Holdings Ltd", "country": "GBR"}}})
        );
    }

    #[test]
    fn parses_created_at() {
        let t = parse_created_at(&json!("2020-02-21 13:23:19.002")).expect("ms");
        assert_eq!(t.unix_timestamp(), 1_582_291_399);
        assert_eq!(t.millisecond(), 2);
        assert!(parse_created_at(&json!("2020-02-21 13:23:19")).is_some());
        assert_eq!(parse_created_at(&json!(1_582_291_399_002_i64)), Some(t));
        assert_eq!(parse_created_at(&json!("yesterday")), None);
    }

    #[test]
    fn config_debug_hides_credentials() {
        let mut c = SumsubConfig::new("sbx:app-token", "the-secret-key", "basic-kyc-level");
        c.webhook_secret = Some(Secret::new("the-webhook-secret"));
        let p = SumsubProvider::new(c).expect("provider");
        let debug = format!("{p:?}");
        for secret in ["sbx:app-token", "the-secret-key", "the-webhook-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("basic-kyc-level"));
    }

    #[test]
    fn refuses_bad_base_urls_and_empty_credentials() {
        let mut c = SumsubConfig::new("t", "s", "l");
        c.base_url = "ftp://example.com".into();
        assert!(matches!(SumsubProvider::new(c), Err(KycError::Config(_))));
        let c = SumsubConfig::new("t", " ", "l");
        assert!(matches!(SumsubProvider::new(c), Err(KycError::Config(_))));
    }
}
