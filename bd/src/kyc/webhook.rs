//! The KYC provider's asynchronous decisions (`POST /v1/kyc/webhooks/{provider}`): a signed
//! event about an applicant, applied once to the investor whose KYC check created that
//! applicant.

use compliance::pretrade::{KycStatus, SanctionsStatus};
use kyc::{KycError, WebhookEvent};
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult, ErrorCode};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::provider_reason;
use crate::AppState;
use crate::store::checks::{self, NewCheck};
use crate::store::investors::{self as store, InvestorRow};
use crate::wire::{CheckKind, CheckReason, reasons_json};

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

/// A provider's event whose signature was verified over the raw body.
#[derive(Debug)]
pub struct SignedEvent {
    pub event: WebhookEvent,
    /// The provider's event id, else the body's SHA-256: what makes a delivery a duplicate.
    pub key: String,
}

/// Checks that `provider_name` is the configured provider and the event its, signed.
pub fn verify(
    state: &AppState,
    provider_name: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> ApiResult<SignedEvent> {
    let provider = state.config.kyc.0.clone();
    if provider_name != provider.name() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no webhook for provider {provider_name:?}"),
        ));
    }
    let event = provider
        .verify_webhook(headers, body)
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
    let key = event
        .event_id
        .clone()
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    Ok(SignedEvent { event, key })
}

/// The organization and KYC check of the event's applicant. The event names an applicant, not
/// a tenant: this is the webhook's one look across organizations
/// (`platform::db::begin_all_organizations`), reading nothing but where the applicant's check
/// is; everything else happens in that check's organization.
async fn applicant_check(
    state: &AppState,
    provider: &str,
    provider_ref: &str,
) -> ApiResult<(String, CheckId)> {
    let mut all = platform::db::begin_all_organizations(
        state.pool(),
        "KYC provider webhook: which organization's KYC check created this applicant",
    )
    .await?;
    let found = checks::kyc_by_provider_ref(&mut all, provider, provider_ref).await?;
    all.commit().await?;
    found.ok_or_else(|| {
        ApiError::new(ErrorCode::NotFound, "no KYC check knows this applicant")
            .with_detail("provider_ref", provider_ref)
    })
}

/// Why the investor's current KYC state holds against the provider's event, if it does: an
/// officer's decision (unless the provider rejects) or an update of the investor's identity.
async fn held_by(
    tx: &mut TenantTx,
    investor: &InvestorRow,
    status: KycStatus,
) -> ApiResult<Option<CheckKind>> {
    let kind = match investor.kyc_check_id {
        Some(c) => checks::get(tx, c).await?.map(|c| c.kind),
        None => None,
    };
    let held = match kind {
        Some(CheckKind::InvestorUpdate) => true,
        Some(CheckKind::KycDecision) => status != KycStatus::Rejected,
        _ => false,
    };
    Ok(held.then_some(kind).flatten())
}

/// The reasons of a `kyc_update` check: the standing sanctions outcome and the provider's.
fn update_reasons(
    provider: &str,
    sanctions: SanctionsStatus,
    e: &WebhookEvent,
) -> Vec<CheckReason> {
    let mut reasons = Vec::new();
    match sanctions {
        SanctionsStatus::Hit => reasons.push(CheckReason::new(
            "sanctions_hit",
            "the investor's last screening matched the OFAC SDN list or a sanctioned jurisdiction",
        )),
        SanctionsStatus::Review => reasons.push(CheckReason::new(
            "sanctions_under_review",
            "the investor's last screening is waiting for a compliance officer",
        )),
        SanctionsStatus::Clear | SanctionsStatus::None => {}
    }
    reasons.extend(provider_reason(
        e.status,
        provider,
        Some(&e.provider_ref),
        &e.reasons,
    ));
    reasons
}

/// Applies a provider's event to the investor of the applicant's KYC check, once.
pub async fn apply(state: &AppState, signed: SignedEvent) -> ApiResult<WebhookAnswer> {
    let SignedEvent { event, key } = signed;
    let provider = state.config.kyc.0.name();
    let (organization, parent_id) = applicant_check(state, provider, &event.provider_ref).await?;
    let now = state.clock.now();
    let mut tx = state.begin(&organization).await?;
    let parent = checks::get(&mut tx, parent_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("KYC check {parent_id} vanished")))?;
    let Some(investor_id) = parent.investor_id else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "KYC check {parent_id} has no investor"
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
    let by = format!("provider:{provider}");
    let mut check = NewCheck::new(CheckKind::KycUpdate, "", (&by, &by), now);
    if !checks::claim_webhook(&mut tx, provider, &key, check.id, now).await? {
        tx.commit().await?;
        return Ok(WebhookAnswer {
            status: "duplicate".into(),
            check_id: None,
            investor_id: Some(investor_id),
        });
    }
    let investor = store::get_for_update(&mut tx, investor_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {investor_id} vanished")))?;
    let decided_at = event.created_at.unwrap_or(now);
    let stale = investor.kyc_provider_at.is_some_and(|at| decided_at < at);
    let held = held_by(&mut tx, &investor, event.status).await?;
    let apply = !stale && held.is_none();

    let sanctions = investor.sanctions_status;
    let status = KycStatus::combined(event.status, sanctions);
    check.status = status.as_str();
    check.investor_id = Some(investor_id);
    check.parent_id = Some(parent.id);
    check.reasons = reasons_json(&update_reasons(provider, sanctions, &event));
    check.provider = Some(provider);
    check.provider_ref = Some(&event.provider_ref);
    check.input = json!({
        "event_type": event.event_type,
        "event_id": event.event_id,
        "event_key": key,
        "created_at": event.created_at.map(platform::time::format),
        "payload": event.raw,
    });
    check.details = json!({
        "identity": {
            "status": event.status,
            "provider": provider,
            "provider_ref": event.provider_ref,
            "reasons": event.reasons,
        },
        "sanctions": {"status": sanctions},
        "applied": apply,
        "held_by": held,
    });
    checks::insert(&mut tx, &check).await?;
    if apply {
        let kyc_status = event.status;
        store::set_provider_status(&mut tx, investor_id, kyc_status, check.id, decided_at, now)
            .await?;
    }
    tx.commit().await?;
    let answer = if stale {
        "stale"
    } else if held.is_some() {
        "held"
    } else {
        "applied"
    };
    Ok(WebhookAnswer {
        status: answer.into(),
        check_id: Some(check.id),
        investor_id: Some(investor_id),
    })
}
