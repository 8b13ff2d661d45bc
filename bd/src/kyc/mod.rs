//! KYC: running it (the provider's identity verification and our OFAC screening), the link to
//! the provider's hosted flow, the provider's later decisions ([`webhook`]) and a compliance
//! officer's decision on a review ([`decision`]).

pub mod decision;
pub mod webhook;

use compliance::InvestorType;
use compliance::pretrade::KycStatus;
use iam_sdk::Caller;
use kyc::{KycError, KycOutcome, KycSubject, SubjectKind};
use platform::ids::InvestorId;
use platform::{ApiError, ApiResult, ErrorCode};
use sanctions::PartyType;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::checks::CheckView;
use crate::investors::identity;
use crate::screening::{self, Party, ScreeningOutcome};
use crate::store::checks::{self, NewCheck};
use crate::store::false_positives;
use crate::store::investors::{self as store, InvestorRow, OwnerRow};
use crate::wire::{CheckKind, CheckReason, reasons_json};

pub(crate) const RULE_CIP: &str = "31 CFR 1023.220 (customer identification program)";

/// The provider's own reason when it did not approve: what it said, with the rule.
pub(crate) fn provider_reason(
    status: KycStatus,
    provider: &str,
    provider_ref: Option<&str>,
    reasons: &[String],
) -> Option<CheckReason> {
    let (code, what) = match status {
        KycStatus::Approved | KycStatus::None => return None,
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

/// The investor as the KYC provider sees it (our id is its external user id).
fn subject_of(investor: &InvestorRow) -> KycSubject {
    KycSubject {
        investor_id: investor.id.to_string(),
        kind: match investor.investor_type {
            InvestorType::Entity => SubjectKind::Entity,
            InvestorType::Individual => SubjectKind::Individual,
        },
        legal_name: investor.legal_name.clone(),
        email: investor.email.clone(),
        country: investor.country.clone(),
        date_of_birth: investor.date_of_birth,
        external_ref: investor.external_ref.clone(),
    }
}

/// Who KYC screens: the investor and each beneficial owner.
fn parties(investor: &InvestorRow, owners: &[OwnerRow]) -> Vec<Party> {
    let mut parties = vec![Party {
        role: "investor",
        position: None,
        name: investor.legal_name.clone(),
        party_type: match investor.investor_type {
            InvestorType::Entity => PartyType::Entity,
            InvestorType::Individual => PartyType::Individual,
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
    parties
}

/// The KYC check recording what the provider and the screening found.
fn kyc_check<'a>(
    state: &AppState,
    caller: &'a Caller,
    investor: &InvestorRow,
    parties: &[Party],
    screened: &ScreeningOutcome,
    outcome: &'a KycOutcome,
) -> NewCheck<'a> {
    let status = KycStatus::combined(outcome.status, screened.status);
    let mut reasons = screened.reasons.clone();
    reasons.extend(provider_reason(
        outcome.status,
        &outcome.provider,
        outcome.provider_ref.as_deref(),
        &outcome.reasons,
    ));
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut check = NewCheck::new(CheckKind::Kyc, status.as_str(), by, state.clock.now());
    check.investor_id = Some(investor.id);
    check.reasons = reasons_json(&reasons);
    check.input = json!({
        "subject": subject_of(investor),
        "screened": parties.iter().map(|p| json!({
            "party": p.role, "position": p.position, "name": p.name,
            "country": p.country, "date_of_birth": p.date_of_birth,
        })).collect::<Vec<_>>(),
        "list_version": screened.list_version,
        "thresholds": {"strong": state.config.screening.strong(), "weak": state.config.screening.weak()},
        "sanctioned_jurisdictions": state.config.jurisdictions.codes().collect::<Vec<_>>(),
    });
    check.details = json!({
        "identity": {
            "status": outcome.status,
            "provider": outcome.provider,
            "provider_ref": outcome.provider_ref,
            "reasons": outcome.reasons,
            "raw": outcome.raw,
        },
        "sanctions": {
            "status": screened.status,
            "list_version": screened.list_version,
            "parties": screened.parties,
            "false_positives": screened.false_positives,
            "cleared": screened.cleared,
            "guidance": screening::OFAC_GUIDANCE,
        },
        "sanctions_matches": screened.matches,
    });
    check.provider = Some(&outcome.provider);
    check.provider_ref = outcome.provider_ref.as_deref();
    check
}

/// Runs KYC (KYB for an entity): the provider verifies the identity, we screen every party
/// against the OFAC list and the sanctioned jurisdictions; the check is recorded and becomes
/// the investor's KYC state, unless the identity changed meanwhile (409, nothing recorded).
pub async fn run(state: &AppState, caller: &Caller, id: InvestorId) -> ApiResult<CheckView> {
    let list_version = state.sanctions.info().version();
    let mut tx = state.begin(&caller.org_id).await?;
    let investor = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let owners = store::owners(&mut tx, &[id]).await?;
    let cleared = false_positives::for_list(&mut tx, id, &list_version).await?;
    tx.commit().await?;

    // Our screening first: it needs nothing outside the process.
    let parties = parties(&investor, &owners);
    let (list, config, screened_parties) = (
        state.sanctions.clone(),
        state.config.clone(),
        parties.clone(),
    );
    let screened = tokio::task::spawn_blocking(move || {
        let (screening, jurisdictions) = (&config.screening, &config.jurisdictions);
        screening::screen(&list, screening, jurisdictions, &screened_parties, &cleared)
    })
    .await
    .map_err(ApiError::internal)?;

    let provider = state.config.kyc.0.clone();
    let outcome = provider
        .verify(&subject_of(&investor))
        .await
        .map_err(|e| kyc_error(&e, provider.name()))?;
    let check = kyc_check(state, caller, &investor, &parties, &screened, &outcome);

    let mut tx = state.begin(&caller.org_id).await?;
    // Serialize with other updates of the investor's KYC, and refuse to record a screening of
    // names that were changed while it ran.
    let locked = store::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let locked_owners = store::owners(&mut tx, &[id]).await?;
    if identity(&locked, &locked_owners) != identity(&investor, &owners) {
        return Err(ApiError::invalid_state(
            "the investor's name, country, date of birth or beneficial owners changed while KYC \
             ran; nothing was recorded: run KYC again",
        )
        .with_detail("investor_id", id));
    }
    checks::insert(&mut tx, &check).await?;
    let (kyc_status, sanctions_status) = (outcome.status, screened.status);
    store::set_kyc(
        &mut tx,
        id,
        kyc_status,
        sanctions_status,
        check.id,
        check.created_at,
    )
    .await?;
    let row = checks::get(&mut tx, check.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    tx.commit().await?;
    Ok(CheckView::from(row))
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

impl LinkRequest {
    /// The validity asked for, within bounds.
    pub fn ttl(&self) -> ApiResult<u32> {
        let ttl = self.ttl_secs.unwrap_or(LINK_TTL_DEFAULT_SECS);
        if !(LINK_TTL_MIN_SECS..=LINK_TTL_MAX_SECS).contains(&ttl) {
            return Err(ApiError::validation(
                "ttl_secs",
                format!("must be between {LINK_TTL_MIN_SECS} and {LINK_TTL_MAX_SECS} seconds"),
            ));
        }
        Ok(ttl)
    }
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

/// A link for the investor to finish verification in the provider's hosted flow, valid for
/// `ttl` seconds. The URL is a bearer credential: it is neither logged nor stored.
pub async fn verification_link(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    ttl: u32,
) -> ApiResult<VerificationLinkView> {
    let mut tx = state.begin(&caller.org_id).await?;
    let investor = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    tx.commit().await?;
    let provider = state.config.kyc.0.clone();
    let url = provider
        .verification_link(&subject_of(&investor), ttl)
        .await
        .map_err(|e| kyc_error(&e, provider.name()))?;
    tracing::info!(investor_id = %id, provider = provider.name(), ttl_secs = ttl, by = %caller.subject, "KYC verification link issued");
    Ok(VerificationLinkView {
        investor_id: id.to_string(),
        provider: provider.name().to_owned(),
        url,
        expires_at: state.clock.now() + time::Duration::seconds(i64::from(ttl)),
    })
}
