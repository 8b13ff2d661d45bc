//! `POST /v1/investors/{id}/kyc`, `POST /v1/investors/{id}/kyc/link` and the provider's
//! webhook `POST /v1/kyc/webhooks/{provider}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use iam_sdk::Caller;
use kyc::{KycError, KycOutcome, KycStatus, KycSubject, SubjectKind};
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiResult, ErrorCode};
use sanctions::PartyType;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::MANAGERS;
use super::compliance::CheckView;
use crate::AppState;
use crate::ids::{CheckId, InvestorId};
use crate::screening::{self, Party, SanctionsStatus};
use crate::store::checks::{self, NewCheck};
use crate::store::false_positives;
use crate::store::investors::{self as store, InvestorRow, OwnerRow};
use crate::wire::{CheckReason, reasons_json};

const RULE_CIP: &str = "31 CFR 1023.220 (customer identification program)";

pub fn kyc_status_str(s: KycStatus) -> &'static str {
    match s {
        KycStatus::Approved => "approved",
        KycStatus::Rejected => "rejected",
        KycStatus::Review => "review",
    }
}

fn sanctions_from_str(s: &str) -> Option<SanctionsStatus> {
    match s {
        "clear" => Some(SanctionsStatus::Clear),
        "review" => Some(SanctionsStatus::Review),
        "hit" => Some(SanctionsStatus::Hit),
        _ => None,
    }
}

/// The check's answer: rejected if the provider rejected or screening hit; review if either
/// is waiting for a person; approved otherwise.
pub fn combined_status(identity: KycStatus, sanctions: Option<SanctionsStatus>) -> &'static str {
    match (identity, sanctions) {
        (KycStatus::Rejected, _) | (_, Some(SanctionsStatus::Hit)) => "rejected",
        (KycStatus::Review, _) | (_, Some(SanctionsStatus::Review) | None) => "review",
        (KycStatus::Approved, Some(SanctionsStatus::Clear)) => "approved",
    }
}

fn provider_reason(
    status: KycStatus,
    provider: &str,
    provider_ref: Option<&str>,
    reasons: &[String],
) -> Option<CheckReason> {
    let (code, what) = match status {
        KycStatus::Approved => return None,
        KycStatus::Rejected => (
            "kyc_rejected",
            "refused the investor's identity verification",
        ),
        KycStatus::Review => (
            "kyc_under_review",
            "has not decided yet (pending at the provider, or waiting for the investor or a reviewer)",
        ),
    };
    let mut message = format!("the KYC provider {provider} {what}");
    if !reasons.is_empty() {
        message.push_str(": ");
        message.push_str(&reasons.join("; "));
    }
    Some(
        CheckReason::new(code, message)
            .with_rule(RULE_CIP)
            .with_details(json!({
                "provider": provider,
                "provider_ref": provider_ref,
                "provider_reasons": reasons,
            })),
    )
}

fn kyc_error(e: &KycError, provider: &str) -> ApiError {
    match e {
        KycError::InvalidSubject(m) => ApiError::new(
            ErrorCode::ValidationError,
            format!("the investor cannot be sent to the KYC provider: {m}"),
        ),
        KycError::Config(_) => {
            tracing::error!(error = %e, provider, "KYC provider misconfigured");
            ApiError::not_ready("the KYC provider is not configured")
        }
        KycError::Unsupported(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
        _ => {
            tracing::warn!(error = %e, provider, "KYC provider unavailable");
            ApiError::downstream(
                provider,
                "the KYC provider could not be reached or failed; nothing was recorded, retry later",
            )
        }
    }
}

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
identity, a name matched an SDN entry with a score at or above the strong threshold \
(`SANCTIONS_STRONG_THRESHOLD`, 0.93), or the investor or a beneficial owner resides in a \
sanctioned jurisdiction (`SANCTIONED_JURISDICTIONS`, default CU, IR, KP, SY); `review` when the \
provider has not decided yet (real providers finish asynchronously and report through \
`POST /v1/kyc/webhooks/{provider}`) or a name scored at or above the weak threshold (0.85); \
`approved` otherwise. `details.sanctions_matches` lists the matched SDN entries (`ent_num`, \
`name`, `programs`, `score`, `alias` when an alias matched). The investor's `kyc_status` \
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<CheckView>)> {
    caller.require_any_role(MANAGERS)?;
    if let Some(v) = platform::extract::parse_json_or_empty::<Value>(&body)? {
        if !v.is_object() {
            return Err(ApiError::validation(
                "body",
                "must be a JSON object or empty",
            ));
        }
        crate::wire::refuse_organization_id(&v)?;
    }
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let list_version = state.sanctions.info().version();
    let (investor, owners, cleared) = {
        let mut conn = state.pool().acquire().await?;
        let investor = store::get(&mut conn, &caller.org_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found("investor", id))?;
        let owners = store::owners(&mut conn, &caller.org_id, &[id]).await?;
        let cleared =
            false_positives::for_list(&mut conn, &caller.org_id, id, &list_version).await?;
        (investor, owners, cleared)
    };
    let entity = investor.investor_type == "entity";

    // Our screening first: it needs nothing outside the process.
    let mut parties = vec![Party {
        role: "investor",
        position: None,
        name: investor.legal_name.clone(),
        party_type: if entity {
            PartyType::Entity
        } else {
            PartyType::Individual
        },
        date_of_birth: investor.date_of_birth,
        country: investor.country.clone(),
    }];
    parties.extend(owners.iter().map(|o| Party {
        role: "beneficial_owner",
        position: usize::try_from(o.position).ok(),
        name: o.name.clone(),
        party_type: PartyType::Individual,
        date_of_birth: Some(o.date_of_birth),
        country: o.country.clone(),
    }));
    let list = state.sanctions.clone();
    let config = state.config.clone();
    let screened_parties = parties.clone();
    let screened = tokio::task::spawn_blocking(move || {
        screening::screen(
            &list,
            &config.screening,
            &config.jurisdictions,
            &screened_parties,
            &cleared,
        )
    })
    .await
    .map_err(ApiError::internal)?;

    let subject = subject_of(id, &investor);
    let provider = state.config.kyc.0.clone();
    let outcome: KycOutcome = provider
        .verify(&subject)
        .await
        .map_err(|e| kyc_error(&e, provider.name()))?;

    let now = platform::time::now();
    let status = combined_status(outcome.status, Some(screened.status));
    let mut reasons = screened.reasons.clone();
    reasons.extend(provider_reason(
        outcome.status,
        &outcome.provider,
        outcome.provider_ref.as_deref(),
        &outcome.reasons,
    ));
    let input = json!({
        "subject": subject,
        "screened": parties.iter().map(|p| json!({
            "party": p.role, "position": p.position, "name": p.name,
            "country": p.country, "date_of_birth": p.date_of_birth,
        })).collect::<Vec<_>>(),
        "list_version": screened.list_version,
        "thresholds": {"strong": state.config.screening.strong(), "weak": state.config.screening.weak()},
        "sanctioned_jurisdictions": state.config.jurisdictions.codes().collect::<Vec<_>>(),
    });
    let details = json!({
        "identity": {
            "status": kyc_status_str(outcome.status),
            "provider": outcome.provider,
            "provider_ref": outcome.provider_ref,
            "reasons": outcome.reasons,
            "raw": outcome.raw,
        },
        "sanctions": {
            "status": screened.status.as_str(),
            "list_version": screened.list_version,
            "parties": screened.parties,
            "false_positives": screened.false_positives,
        },
        "sanctions_matches": screened.matches,
    });
    let mut check = NewCheck::new(
        &caller.org_id,
        "kyc",
        status,
        (&caller.subject, &caller.name),
        now,
    );
    check.investor_id = Some(id);
    check.reasons = reasons_json(&reasons);
    check.input = input;
    check.details = details;
    check.provider = Some(&outcome.provider);
    check.provider_ref = outcome.provider_ref.as_deref();

    let mut tx = state.pool().begin().await?;
    // Serialize with other updates of the investor's KYC, and refuse to record a screening of
    // names that were changed while it ran.
    let locked = store::get_for_update(&mut tx, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let locked_owners = store::owners(&mut tx, &caller.org_id, &[id]).await?;
    if identity(&locked, &locked_owners) != identity(&investor, &owners) {
        return Err(ApiError::invalid_state(
            "the investor's name, country, date of birth or beneficial owners changed while KYC \
             ran; nothing was recorded: run KYC again",
        )
        .with_detail("investor_id", id));
    }
    checks::insert(&mut tx, &check).await?;
    store::set_kyc(
        &mut tx,
        &caller.org_id,
        id,
        kyc_status_str(outcome.status),
        screened.status.as_str(),
        check.id,
        now,
    )
    .await?;
    tx.commit().await?;
    let row = checks::get(state.pool(), &caller.org_id, check.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    Ok((StatusCode::CREATED, ApiJson(CheckView::from(row))))
}

/// The investor as the KYC provider sees it (our id is its external user id).
fn subject_of(id: InvestorId, investor: &InvestorRow) -> KycSubject {
    KycSubject {
        investor_id: id.to_string(),
        kind: if investor.investor_type == "entity" {
            SubjectKind::Entity
        } else {
            SubjectKind::Individual
        },
        legal_name: investor.legal_name.clone(),
        email: investor.email.clone(),
        country: investor.country.clone(),
        date_of_birth: investor.date_of_birth,
        external_ref: investor.external_ref.clone(),
    }
}

const LINK_TTL_DEFAULT_SECS: u32 = 86_400;
const LINK_TTL_MIN_SECS: u32 = 300;
const LINK_TTL_MAX_SECS: u32 = 604_800;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// How long the link stays valid, in seconds: 300 to 604800 (7 days); default 86400.
    pub ttl_secs: Option<u32>,
}

/// A link to the KYC provider's hosted verification flow.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationLinkView {
    pub investor_id: String,
    pub provider: String,
    /// Hand it to the investor only: whoever holds it can act in the investor's verification.
    pub url: String,
    #[serde(with = "platform::time::rfc3339")]
    pub expires_at: time::OffsetDateTime,
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<ApiJson<VerificationLinkView>> {
    caller.require_any_role(MANAGERS)?;
    let request: LinkRequest = platform::extract::parse_json_or_empty(&body)?.unwrap_or_default();
    let ttl = request.ttl_secs.unwrap_or(LINK_TTL_DEFAULT_SECS);
    if !(LINK_TTL_MIN_SECS..=LINK_TTL_MAX_SECS).contains(&ttl) {
        return Err(ApiError::validation(
            "ttl_secs",
            format!("must be between {LINK_TTL_MIN_SECS} and {LINK_TTL_MAX_SECS} seconds"),
        ));
    }
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let investor = {
        let mut conn = state.pool().acquire().await?;
        store::get(&mut conn, &caller.org_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found("investor", id))?
    };
    let provider = state.config.kyc.0.clone();
    let url = provider
        .verification_link(&subject_of(id, &investor), ttl)
        .await
        .map_err(|e| kyc_error(&e, provider.name()))?;
    tracing::info!(investor_id = %id, provider = provider.name(), ttl_secs = ttl, by = %caller.subject, "KYC verification link issued");
    Ok(ApiJson(VerificationLinkView {
        investor_id: id.to_string(),
        provider: provider.name().to_owned(),
        url,
        expires_at: platform::time::now() + time::Duration::seconds(i64::from(ttl)),
    }))
}

/// What KYC screens and the provider verifies: a change to any of it invalidates the KYC.
pub type Identity = (
    String,
    String,
    Option<time::Date>,
    Vec<(String, String, time::Date)>,
);

/// The investor's identity as KYC sees it; the owners sorted, so that their order does not
/// matter.
pub fn identity(investor: &InvestorRow, owners: &[OwnerRow]) -> Identity {
    let mut o: Vec<(String, String, time::Date)> = owners
        .iter()
        .map(|o| (o.name.clone(), o.country.clone(), o.date_of_birth))
        .collect();
    o.sort();
    (
        investor.legal_name.clone(),
        investor.country.clone(),
        investor.date_of_birth,
        o,
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// `applied`, `duplicate` (this event was applied before), `stale` (an event newer than
    /// this one was applied already; recorded, no change) or `held` (recorded, no change: a
    /// compliance officer's decision or an update of the investor since stands, see the
    /// operation's description).
    pub status: String,
    pub check_id: Option<CheckId>,
    pub investor_id: Option<InvestorId>,
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
    ApiPath(provider_name): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<ApiJson<WebhookAnswer>> {
    let provider = state.config.kyc.0.clone();
    if provider_name != provider.name() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no webhook for provider {provider_name:?}"),
        ));
    }
    let event = provider
        .verify_webhook(&headers, &body)
        .map_err(|e| match &e {
            KycError::InvalidSignature(_) | KycError::StaleWebhook(_) => {
                ApiError::new(ErrorCode::Unauthenticated, e.to_string())
            }
            KycError::Unsupported(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
            KycError::Config(_) => {
                tracing::error!(error = %e, "KYC webhook refused: not configured");
                ApiError::not_ready("KYC webhooks are not configured")
            }
            _ => ApiError::validation("body", e.to_string()),
        })?;
    let event_key = event
        .event_id
        .clone()
        .unwrap_or_else(|| hex::encode(Sha256::digest(&body)));
    let now = platform::time::now();
    let mut tx = state.pool().begin().await?;
    let Some((org_id, parent)) =
        checks::kyc_by_provider_ref(&mut tx, provider.name(), &event.provider_ref).await?
    else {
        return Err(
            ApiError::new(ErrorCode::NotFound, "no KYC check knows this applicant")
                .with_detail("provider_ref", &event.provider_ref),
        );
    };
    let Some(investor_id) = parent.investor_id else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "KYC check {} has no investor",
            parent.id
        )));
    };
    if let Some(external) = &event.investor_id
        && *external != investor_id.to_string()
    {
        return Err(ApiError::validation(
            "externalUserId",
            "names another investor than the applicant's KYC check",
        ));
    }
    if !checks::claim_webhook(&mut tx, provider.name(), &event_key, Some(&org_id), None).await? {
        return Ok(ApiJson(WebhookAnswer {
            status: "duplicate".into(),
            check_id: None,
            investor_id: Some(investor_id),
        }));
    }
    let investor = store::get_for_update(&mut tx, &org_id, investor_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {investor_id} vanished")))?;
    let decided_at = event.created_at.unwrap_or(now);
    let stale = investor.kyc_provider_at.is_some_and(|at| decided_at < at);
    // What set the investor's current KYC state: an officer's decision or an update of the
    // investor's identity hold against the provider's later events (see the description).
    let state_kind = match investor.kyc_check_id {
        Some(c) => checks::get_in(&mut tx, &org_id, c).await?.map(|c| c.kind),
        None => None,
    };
    let held = match state_kind.as_deref() {
        Some("investor_update") => true,
        Some("kyc_decision") => event.status != KycStatus::Rejected,
        _ => false,
    };
    let apply = !stale && !held;

    let sanctions = sanctions_from_str(&investor.sanctions_status);
    let status = combined_status(event.status, sanctions);
    let mut reasons: Vec<CheckReason> = Vec::new();
    match sanctions {
        Some(SanctionsStatus::Hit) => reasons.push(CheckReason::new(
            "sanctions_hit",
            "the investor's last screening matched the OFAC SDN list or a sanctioned jurisdiction",
        )),
        Some(SanctionsStatus::Review) => reasons.push(CheckReason::new(
            "sanctions_under_review",
            "the investor's last screening is waiting for a compliance officer",
        )),
        _ => {}
    }
    reasons.extend(provider_reason(
        event.status,
        provider.name(),
        Some(&event.provider_ref),
        &event.reasons,
    ));
    let by = format!("provider:{}", provider.name());
    let mut check = NewCheck::new(&org_id, "kyc_update", status, (&by, &by), now);
    check.investor_id = Some(investor_id);
    check.parent_id = Some(parent.id);
    check.reasons = reasons_json(&reasons);
    check.provider = Some(provider.name());
    check.provider_ref = Some(&event.provider_ref);
    check.input = json!({
        "event_type": event.event_type,
        "event_id": event.event_id,
        "event_key": event_key,
        "created_at": event.created_at.map(platform::time::format),
        "payload": event.raw,
    });
    check.details = json!({
        "identity": {
            "status": kyc_status_str(event.status),
            "provider": provider.name(),
            "provider_ref": event.provider_ref,
            "reasons": event.reasons,
        },
        "sanctions": {"status": investor.sanctions_status},
        "applied": apply,
        "held_by": if held { state_kind.clone() } else { None },
    });
    checks::insert(&mut tx, &check).await?;
    if apply {
        store::set_provider_status(
            &mut tx,
            &org_id,
            investor_id,
            kyc_status_str(event.status),
            check.id,
            decided_at,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ApiJson(WebhookAnswer {
        status: if stale {
            "stale"
        } else if held {
            "held"
        } else {
            "applied"
        }
        .into(),
        check_id: Some(check.id),
        investor_id: Some(investor_id),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_answer_wins() {
        use KycStatus::*;
        use SanctionsStatus as S;
        assert_eq!(combined_status(Approved, Some(S::Clear)), "approved");
        assert_eq!(combined_status(Approved, Some(S::Review)), "review");
        assert_eq!(combined_status(Review, Some(S::Clear)), "review");
        assert_eq!(combined_status(Approved, Some(S::Hit)), "rejected");
        assert_eq!(combined_status(Rejected, Some(S::Clear)), "rejected");
        assert_eq!(combined_status(Review, Some(S::Hit)), "rejected");
        assert_eq!(combined_status(Approved, None), "review");
    }
}
