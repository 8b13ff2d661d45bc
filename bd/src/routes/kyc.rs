//! `POST /v1/investors/{id}/kyc`, `POST /v1/investors/{id}/kyc/link`,
//! `POST /v1/investors/{id}/kyc/decision` and the provider's webhook
//! `POST /v1/kyc/webhooks/{provider}`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::InvestorId;
use platform::{ApiJson, ApiPath, ApiResult, Authorized, OptionalJson};

use super::extract::SignedWebhook;
use crate::AppState;
use crate::checks::CheckView;
use crate::kyc::decision::KycDecisionRequest;
use crate::kyc::webhook::WebhookAnswer;
use crate::kyc::{self, LinkRequest, VerificationLinkView};
use crate::roles::Managers;
use crate::wire::{EmptyBody, refuse_organization_id};

/// Runs KYC (KYB for an entity) through the provider, screens the investor's name and each
/// beneficial owner's against the OFAC SDN list, and checks every country against the
/// sanctioned jurisdictions.
#[utoipa::path(post, path = "/v1/investors/{id}/kyc", tag = "kyc",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body(content = Option<Object>, description = "Empty, or `{}`"),
    security(("bearer" = [])),
    description = "Roles admin, compliance. Answers the check (`chk_…`, kept for audit, also at \
`GET /v1/compliance/checks/{id}`): `status` is `rejected` when the provider rejected the \
identity, the investor or a beneficial owner resides in a sanctioned jurisdiction \
(`SANCTIONED_JURISDICTIONS`, default CU, IR, KP, SY), or a name matched an SDN entry and the \
other identifiers confirm it; `review` when the provider has not decided yet (real providers \
finish asynchronously and report through `POST /v1/kyc/webhooks/{provider}`) or a name match \
is left for a compliance officer; `approved` otherwise.\n\n\
Names: a score at or above the strong threshold (`SANCTIONS_STRONG_THRESHOLD`, 0.93) is a \
strong match, at or above the weak one (`SANCTIONS_WEAK_THRESHOLD`, 0.85) a weak one; a name \
whose every token is one of a listed name's, its first name and a surname among them, while the \
listed name has more (middle names, a second surname, a title), is a partial match; a name of \
one token matches only exactly. Identifiers (OFAC FAQ 5: compare them before treating a name \
match as a hit): for a listed individual, a date of birth outside every one the entry gives \
clears the entry (kept in `details.sanctions.cleared` with why); a strong match is a hit when \
the date of birth agrees, the country is a nationality or citizenship of the entry, or the name \
is exactly the listed one and the entry gives neither; a partial match is a hit when the date \
of birth agrees to the day; anything else is a review. Entities are decided by the name score. \
`details.sanctions_matches` lists the matched SDN entries (`ent_num`, `name`, `programs`, \
`score`, `alias` when an alias matched, `name_match`, `matched_tokens`, \
`unmatched_listed_tokens`, `identifiers` with what each one showed, `basis` and \
`explanation`); each `sanctions_under_review` or `sanctions_hit` reason says the same in \
words. The investor's `kyc_status` \
becomes the provider's answer and `sanctions_status` ours (`clear`, `review`, `hit`). When the \
provider cannot be reached the answer is 502 and nothing is recorded. Running KYC again makes \
a new check.\n\n\
A review is decided by a compliance officer with `POST /v1/investors/{id}/kyc/decision`. An \
officer's approval of a sanctions review (a documented false positive) carries over to later \
runs precisely when the same party — same normalised name, date of birth and party type \
(investor or beneficial owner) — is screened against the same list version \
(`input.list_version`, which changes whenever the operator replaces the list) and every SDN \
entry it matches was among the entries approved for it: the party is then clear, the match \
carries `false_positive: true` and `details.sanctions.false_positives` names the approving \
decisions. A new entry, another name or date of birth, or a new list version re-opens the \
review; a strong match or a sanctioned jurisdiction is never cleared. If the investor's name, \
country, date of birth or owners change while KYC runs, the answer is 409 `INVALID_STATE` and \
nothing is recorded.",
    responses(
        (status = 201, description = "The check", body = CheckView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
        (status = 409, description = "The investor's identity changed while KYC ran; nothing recorded", body = ErrorBody),
        (status = 502, description = "The KYC provider is unavailable; nothing recorded", body = ErrorBody),
    ))]
pub async fn run_kyc(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<EmptyBody>,
) -> ApiResult<(StatusCode, ApiJson<CheckView>)> {
    if let Some(EmptyBody(fields)) = &body {
        refuse_organization_id(fields)?;
    }
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let check = kyc::run(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, ApiJson(check)))
}

/// A link for the investor to finish verification in the provider's hosted flow.
#[utoipa::path(post, path = "/v1/investors/{id}/kyc/link", tag = "kyc",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body(content = Option<LinkRequest>, description = "Empty, `{}`, or `{\"ttl_secs\": 3600}`"),
    security(("bearer" = [])),
    description = "Roles admin, compliance. When a KYC check is in `review` because the provider \
is waiting for the investor (`applicant_action_required`: documents or a selfie not yet \
given), this gives the link to send the investor: with Sumsub, an external WebSDK link to the \
same applicant (the investor id is its external user id), on the KYB level for an entity. The \
provider's decision then arrives through `POST /v1/kyc/webhooks/{provider}`. The URL is a \
bearer credential for the investor's verification and is not logged or stored. The dev \
provider decides at once and has no hosted flow: 404.",
    responses(
        (status = 200, description = "The link", body = VerificationLinkView),
        (status = 400, description = "Malformed body or `ttl_secs` out of range", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization, or the provider has no hosted flow", body = ErrorBody),
        (status = 502, description = "The KYC provider is unavailable or refused", body = ErrorBody),
    ))]
pub async fn verification_link(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    OptionalJson(request): OptionalJson<LinkRequest>,
) -> ApiResult<ApiJson<VerificationLinkView>> {
    let ttl = request.unwrap_or_default().ttl()?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    Ok(ApiJson(
        kyc::verification_link(&state, &caller, id, ttl).await?,
    ))
}

/// Decides the investor's KYC review.
#[utoipa::path(post, path = "/v1/investors/{id}/kyc/decision", tag = "kyc",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body = KycDecisionRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. A compliance officer resolves an investor's KYC in \
`review`: a weak OFAC match (`sanctions_status` `review`) and/or an identity verification the \
provider has not finished (`kyc_status` `review`).\n\n\
`check_id` must be the investor's latest KYC run (`POST /v1/investors/{id}/kyc`; provider \
updates and decisions are not KYC runs) and the investor's current KYC state — that check \
with any later provider updates — must be in review: neither part `rejected`/`hit`, at least \
one part `review`. Otherwise 409 `INVALID_STATE` (`details.latest_check_id` names the check to \
decide). A KYC invalidated by an update of the investor's name, country, date of birth or \
owners is not in review: run KYC again.\n\n\
`approve`: a sanctions review becomes `clear` — a documented false positive: for each \
screened party in review, the matched SDN entries (`ent_num`), the list version, the note and \
the officer (from the token) are kept, and later KYC runs screening the same party against the \
same list version stay clear for those entries only (see `POST /v1/investors/{id}/kyc`); an \
identity review becomes `approved` (the officer verified the identity; the provider's later \
events are then applied only when they reject). `reject`: a sanctions review becomes `hit`, an \
identity review `rejected`.\n\n\
A strong match (`hit`) or a resident of a sanctioned jurisdiction cannot be approved here \
(409, `details.reason` `strong_match` or `sanctioned_jurisdiction`): the first is cleared only \
by the list changing (the entry delisted or corrected, then KYC run again), the second only \
under a specific licence from OFAC.\n\n\
Answers 201 with the decision, a check of kind `kyc_decision` (`parent_id`: the decided \
check; `input`: the request; `details`: the statuses before and after, the parts resolved and \
`sanctions.false_positives`). It becomes the investor's `kyc_check_id`, shows in \
`GET /v1/investors/{id}/compliance` (`kyc_decision`) and in `GET /v1/investors/{id}/checks`.",
    responses(
        (status = 201, description = "The decision", body = CheckView),
        (status = 400, description = "Malformed body, unknown decision, missing or empty note, malformed check_id", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
        (status = 409, description = "Not the latest KYC check, not in review, or a hit / sanctioned jurisdiction that cannot be approved", body = ErrorBody),
    ))]
pub async fn kyc_decision(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<KycDecisionRequest>,
) -> ApiResult<(StatusCode, ApiJson<CheckView>)> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let decision = kyc::decision::decide(&state, &caller, id, body).await?;
    Ok((StatusCode::CREATED, ApiJson(decision)))
}

/// The KYC provider's asynchronous decisions.
#[utoipa::path(post, path = "/v1/kyc/webhooks/{provider}", tag = "kyc",
    params(("provider" = String, Path, description = "The configured provider's name (`KYC_PROVIDER`), e.g. `sumsub`")),
    request_body(content = Object, description = "The provider's webhook payload, exactly as it sent it"),
    description = "Authenticated by the provider's signature over the raw body (Sumsub: \
`X-Payload-Digest`, HMAC with `SUMSUB_WEBHOOK_SECRET`), not by a JWT. The event names the \
provider's applicant; the BD finds the KYC check that created it, records the update as a \
check of kind `kyc_update` (parent: that check) and sets the investor's `kyc_status` to the \
provider's new answer; `sanctions_status` is unchanged. Events are applied once (by the \
provider's event id, else the body's SHA-256); an event older than the last applied decision \
changes nothing. When a compliance officer decided the investor's KYC \
(`POST /v1/investors/{id}/kyc/decision`), a later provider event is applied only if it \
rejects the identity: an officer's rejection is not lifted, nor an officer's approval re-opened, \
by the provider (answer `held`, recorded with `details.applied: false`). When the investor's \
name, country, date of birth or owners changed since the KYC run (`PATCH /v1/investors/{id}`), \
events about the old identity are recorded and not applied (`held`): run KYC again. The dev \
provider has no webhooks (404).",
    responses(
        (status = 200, description = "Applied, or already applied", body = WebhookAnswer),
        (status = 400, description = "Signed, but not a webhook we understand", body = ErrorBody),
        (status = 401, description = "Signature missing, wrong, or the event is stale", body = ErrorBody),
        (status = 404, description = "Another provider, a provider without webhooks, or an applicant we do not know (the provider retries)", body = ErrorBody),
        (status = 503, description = "Webhooks are not configured (no secret)", body = ErrorBody),
    ))]
pub async fn provider_webhook(
    State(state): State<AppState>,
    SignedWebhook(event): SignedWebhook,
) -> ApiResult<ApiJson<WebhookAnswer>> {
    Ok(ApiJson(kyc::webhook::apply(&state, event).await?))
}
