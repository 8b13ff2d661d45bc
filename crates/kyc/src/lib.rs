//! KYC/KYB behind a provider trait.
//!
//! The BD verifies an investor's identity (an individual: KYC) or a legal entity (KYB) through a
//! [`KycProvider`]. Sanctions screening is **not** the provider's job: the BD screens names against
//! OFAC itself with `crates/sanctions`, and nothing here asks a provider to do it.
//!
//! # The contract
//!
//! - [`KycProvider::verify`] takes a [`KycSubject`] (our `inv_…` id is sent to the provider as
//!   its external user id) and answers a [`KycOutcome`]: `approved`, `rejected` or `review`, the
//!   provider's name and its applicant id, `reasons` (stable snake_case codes first, then
//!   human-readable text), and the provider's answers in `raw` for the audit trail (never our
//!   credentials).
//! - `verify` is **idempotent per investor**: calling it again for an investor the provider
//!   already knows reuses the provider's applicant and answers its current state. The BD may call
//!   it again to refresh a `review`.
//! - `review` means "not decided yet" (the provider is still checking, the investor still has to
//!   upload documents, or a human at the provider has to look). It must never be treated as
//!   approved.
//! - Real providers finish asynchronously: their webhooks are checked and parsed by
//!   [`KycProvider::verify_webhook`] into a [`WebhookEvent`] (signature checked in constant time,
//!   stale events refused). Providers without webhooks answer [`KycError::Unsupported`].
//! - Where the provider collects documents itself, [`KycProvider::verification_link`] gives the
//!   link to its hosted flow for the investor to finish there; others answer
//!   [`KycError::Unsupported`].
//! - Errors ([`KycError`]) say what the BD should answer: [`KycError::http_status`] maps
//!   `Unavailable` (network, timeout, 5xx, 429) and provider refusals of our configuration or
//!   credentials to 502, an invalid subject to 400, and a refused webhook to 401.
//!
//! # Providers
//!
//! ## `dev` — [`DevProvider`]
//!
//! Deterministic, no network, for the local stack and tests. Its rules are in its doc comment
//! (approve by default; `reject` / `review` / `unavailable` markers in the legal name or email).
//!
//! ## `sumsub` — [`SumsubProvider`]
//!
//! Sumsub's applicants API (`https://api.sumsub.com`, the `/resources/…` REST API, App Token
//! authentication). Followed documentation:
//!
//! - Authentication and request signing (`X-App-Token`, `X-App-Access-Ts`, `X-App-Access-Sig` =
//!   lowercase hex HMAC-SHA256 over `ts + METHOD + path?query + body`, timestamp within one
//!   minute): <https://docs.sumsub.com/reference/authentication>
//! - Create applicant (`POST /resources/applicants?levelName=…`, `externalUserId`, `type`
//!   `individual`/`company`, `fixedInfo`, alpha-3 countries):
//!   <https://docs.sumsub.com/reference/create-applicant>, and for companies (KYB,
//!   `fixedInfo.companyInfo`): <https://docs.sumsub.com/reference/autokyb-api-examples>
//! - Get applicant data by external user id (`GET /resources/applicants/-;externalUserId=…/one`):
//!   <https://docs.sumsub.com/reference/get-applicant-data-via-externaluserid>
//! - Request applicant check (`POST /resources/applicants/{id}/status/pending`, answers
//!   `{"ok": 1}`, 409 when documents are missing):
//!   <https://docs.sumsub.com/reference/request-applicant-check>
//! - Get applicant review status (`GET /resources/applicants/{id}/status`, `reviewStatus`
//!   `init`/`pending`/`prechecked`/`queued`/`completed`/`onHold`, `reviewResult`):
//!   <https://docs.sumsub.com/reference/get-applicant-review-status>
//! - Results, `reviewAnswer` `GREEN`/`RED`, `reviewRejectType` `FINAL`/`RETRY`, `rejectLabels`:
//!   <https://docs.sumsub.com/docs/receive-and-interpret-results-via-api>
//! - Errors (`{"description", "code", "correlationId", "errorCode"?, "errorName"?}`, 429 when
//!   rate-limited): <https://docs.sumsub.com/reference/review-api-health> and
//!   <https://docs.sumsub.com/reference/error-codes-description>
//! - Generate external WebSDK link (`POST /resources/sdkIntegrations/levels/-/websdkLink` with
//!   `levelName`, `userId` = the external user id, `applicantIdentifiers.email`, `ttlInSecs`;
//!   answers `{"url"}`): <https://docs.sumsub.com/reference/generate-websdk-external-link>
//! - Webhooks (`applicantReviewed`, `applicantPending`, `applicantOnHold`, …, payload attributes,
//!   `createdAtMs`, retries over ~24 h): <https://docs.sumsub.com/docs/user-verification-webhooks>,
//!   <https://docs.sumsub.com/docs/webhooks>; signature (`X-Payload-Digest` = hex HMAC of the raw
//!   body with the webhook's secret key, `X-Payload-Digest-Alg` = `HMAC_SHA256_HEX` (default) or
//!   `HMAC_SHA512_HEX`): <https://docs.sumsub.com/docs/webhook-manager>
//!
//! ### What is mapped how
//!
//! | Sumsub | [`KycOutcome`] |
//! |---|---|
//! | `reviewStatus: completed`, `reviewAnswer: GREEN` | `approved`, no reasons |
//! | `completed`, `RED`, `reviewRejectType: FINAL` (or absent) | `rejected`; reasons: the `rejectLabels` in snake_case (`FORGERY` → `forgery`; `provider_rejected` when there are none), then the `moderationComment` |
//! | `completed`, `RED`, `RETRY` | `review`; reasons: `resubmission_requested`, the labels, the comment |
//! | `pending`, `queued`, `prechecked` | `review`; `pending_provider_review` |
//! | `onHold` | `review`; `pending_provider_review`, `on_hold` |
//! | `init` (investor has not submitted the level's documents yet; the check request answered 409) | `review`; `pending_provider_review`, `applicant_action_required` |
//! | any other status, or `completed` without an answer | `review`; `pending_provider_review`, `unrecognized_provider_status` |
//!
//! `clientComment` (which Sumsub says must not be shown to applicants) is never copied into
//! `reasons`; it stays in `raw`.
//!
//! The flow of [`SumsubProvider::verify`]: create the applicant (`type: individual` with
//! `fixedInfo` first/last name, `dob`, alpha-3 `country`, and `email`; `type: company` with
//! `fixedInfo.companyInfo` `companyName` and `country`, on the KYB level); when Sumsub answers
//! 409 because the external user id already exists, look the applicant up by external user id
//! and reuse it; when its review is still `init`, request the check; then read the review status
//! and map it as above.
//!
//! # Configuration
//!
//! [`from_env`] (or [`from_lookup`] with any variable source) builds the provider the BD should
//! use. Empty values count as unset.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `KYC_PROVIDER` | `dev` or `sumsub` | `dev` |
//! | `SUMSUB_BASE_URL` | API base URL (tests point it at a local server) | `https://api.sumsub.com` |
//! | `SUMSUB_APP_TOKEN` | App Token (`X-App-Token`) | **required** for `sumsub` |
//! | `SUMSUB_SECRET_KEY` | the App Token's secret key, signs requests | **required** for `sumsub` |
//! | `SUMSUB_LEVEL_NAME` | verification level for individuals | **required** for `sumsub` |
//! | `SUMSUB_KYB_LEVEL_NAME` | verification level for companies (Sumsub refuses an individual level for a company) | unset: verifying an entity fails with [`KycError::Config`] |
//! | `SUMSUB_WEBHOOK_SECRET` | the webhook's secret key (not the App Token secret) | unset: webhooks are refused with [`KycError::Config`] |
//! | `SUMSUB_TIMEOUT_SECS` | whole-request timeout | `10` |
//! | `SUMSUB_WEBHOOK_MAX_AGE_SECS` | webhooks whose signed `createdAtMs` is older are refused (`0` disables) | `259200` (3 days; Sumsub retries for ~24 h) |
//!
//! Credentials are held in [`Secret`], whose `Debug` prints `***`; nothing in this crate logs
//! them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod country;
mod dev;
mod env;
mod secret;
pub mod sumsub;

pub use dev::DevProvider;
pub use env::{from_env, from_lookup};
pub use secret::Secret;
pub use sumsub::{SumsubConfig, SumsubProvider};

/// Whether the subject is a person (KYC) or a legal entity (KYB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Individual,
    Entity,
}

/// The investor to verify, as the BD knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KycSubject {
    /// Our `inv_…` id, sent to the provider as its external user id.
    pub investor_id: String,
    pub kind: SubjectKind,
    pub legal_name: String,
    pub email: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub date_of_birth: Option<time::Date>,
    pub external_ref: Option<String>,
}

impl KycSubject {
    /// The checks every provider makes before doing anything: a non-empty investor id and legal
    /// name, and an assigned upper-case ISO 3166-1 alpha-2 country.
    pub fn validate(&self) -> Result<(), KycError> {
        if self.investor_id.trim().is_empty() {
            return Err(KycError::InvalidSubject("investor_id is empty".into()));
        }
        if self.legal_name.trim().is_empty() {
            return Err(KycError::InvalidSubject("legal_name is empty".into()));
        }
        if country::alpha3(&self.country).is_none() {
            return Err(KycError::InvalidSubject(format!(
                "country {:?} is not an assigned ISO 3166-1 alpha-2 code",
                self.country
            )));
        }
        Ok(())
    }
}

/// The decision: the platform's one KYC status (`compliance::pretrade::KycStatus`). A provider
/// answers `Approved`, `Rejected` or `Review` (not decided yet: pending at the provider, waiting
/// for the investor, or for a human); `None` (never verified) is the BD's, never a provider's.
pub use compliance::pretrade::KycStatus;

/// What a provider answered about a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KycOutcome {
    pub status: KycStatus,
    /// `"dev"`, or the real provider's name (`"sumsub"`).
    pub provider: String,
    /// The provider's applicant/check id.
    pub provider_ref: Option<String>,
    /// Stable snake_case codes first (e.g. `"document_page_missing"`), then human-readable text.
    pub reasons: Vec<String>,
    /// What the provider answered, for audit. Never contains our credentials.
    pub raw: serde_json::Value,
}

/// A provider's asynchronous notification, signature checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// The provider's applicant id.
    pub provider_ref: String,
    /// The external user id (our `inv_…` id) when the provider sent one.
    pub investor_id: Option<String>,
    /// The status the applicant is in after this event, mapped like [`KycProvider::verify`].
    pub status: KycStatus,
    pub reasons: Vec<String>,
    /// The provider's event type (Sumsub: `applicantReviewed`, `applicantPending`, …). Events
    /// that do not change the review (e.g. `applicantTagsChanged`) still map to a status; the BD
    /// decides which types it acts on.
    pub event_type: String,
    /// The provider's event id, for de-duplication (delivery is at least once).
    pub event_id: Option<String>,
    /// When the provider created the event, for ordering.
    pub created_at: Option<time::OffsetDateTime>,
    /// The parsed payload, for audit.
    pub raw: serde_json::Value,
}

/// What went wrong. [`KycError::http_status`] says what the BD should answer.
#[derive(Debug, thiserror::Error)]
pub enum KycError {
    /// The provider could not be reached or failed: network error, timeout, 5xx, 429.
    /// Retry with backoff; the BD answers 502 `DOWNSTREAM_UNAVAILABLE`.
    #[error("KYC provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (4xx): bad credentials or signature (401), missing
    /// permission (403), unknown level or malformed data (400), a conflict it cannot resolve.
    /// A configuration problem on our side; retrying unchanged will not help.
    #[error("KYC provider refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The provider answered something we do not understand.
    #[error("KYC provider answered an invalid response: {0}")]
    InvalidResponse(String),
    /// The subject cannot be sent to a provider (e.g. unknown country code).
    #[error("invalid KYC subject: {0}")]
    InvalidSubject(String),
    /// The provider is not configured for this (missing credentials, no KYB level, no webhook
    /// secret, unknown `KYC_PROVIDER`).
    #[error("KYC configuration: {0}")]
    Config(String),
    /// The provider does not do this (e.g. webhooks on the dev provider).
    #[error("not supported by this KYC provider: {0}")]
    Unsupported(String),
    /// A webhook whose signature is missing, malformed or wrong (tampered body, wrong secret).
    #[error("webhook signature refused: {0}")]
    InvalidSignature(String),
    /// A correctly signed webhook whose timestamp is too old (or in the future).
    #[error("webhook refused as stale: {0}")]
    StaleWebhook(String),
}

impl KycError {
    /// The HTTP status the BD should answer for this error: 502 when the provider is unavailable,
    /// refused us or answered nonsense; 400 for an invalid subject; 401 for a refused webhook;
    /// 500 for our own configuration; 404 for an unsupported operation.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unavailable(_) | Self::Rejected { .. } | Self::InvalidResponse(_) => 502,
            Self::InvalidSubject(_) => 400,
            Self::InvalidSignature(_) | Self::StaleWebhook(_) => 401,
            Self::Config(_) => 500,
            Self::Unsupported(_) => 404,
        }
    }

    /// Whether retrying later (unchanged) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A KYC/KYB provider. Object-safe: the BD holds an `Arc<dyn KycProvider>`.
pub trait KycProvider: Send + Sync + 'static {
    /// `"dev"`, `"sumsub"`, …: the value of [`KycOutcome::provider`].
    fn name(&self) -> &'static str;

    /// Verify a subject (see the crate documentation for the contract). Idempotent per
    /// `investor_id`.
    fn verify<'a>(
        &'a self,
        subject: &'a KycSubject,
    ) -> Pin<Box<dyn Future<Output = Result<KycOutcome, KycError>> + Send + 'a>>;

    /// A link the investor opens to give the provider what it still needs (documents, a
    /// selfie) in the provider's hosted flow, valid for `ttl_secs`. It opens the same applicant
    /// [`KycProvider::verify`] works with (the investor id is the external user id), and is a
    /// bearer credential for that flow: hand it to the investor, never log it. Providers
    /// without a hosted flow answer [`KycError::Unsupported`].
    fn verification_link<'a>(
        &'a self,
        subject: &'a KycSubject,
        ttl_secs: u32,
    ) -> Pin<Box<dyn Future<Output = Result<String, KycError>> + Send + 'a>> {
        let _ = (subject, ttl_secs);
        let name = self.name();
        Box::pin(async move {
            Err(KycError::Unsupported(format!(
                "the {name} provider has no hosted verification flow: its answer to KYC is final"
            )))
        })
    }

    /// Check a webhook's signature (constant time) and timestamp, and parse it. `body` must be
    /// the raw request body exactly as received. Providers without webhooks answer
    /// [`KycError::Unsupported`].
    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, KycError> {
        let _ = (headers, body);
        Err(KycError::Unsupported(format!(
            "the {} provider has no webhooks",
            self.name()
        )))
    }
}

/// A shared provider, as the BD holds it.
pub type SharedKycProvider = Arc<dyn KycProvider>;
