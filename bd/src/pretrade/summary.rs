//! An investor's compliance summary (`GET /v1/investors/{id}/compliance`): KYC, sanctions and
//! accreditation at the clock's now, eligibility and the officers' decisions.

use compliance::pretrade::{KycStatus, SanctionsStatus, eligibility};
use iam_sdk::Caller;
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::accreditation::AccreditationSummaryView;
use crate::checks::{DecisionView, FalsePositiveView};
use crate::facts::{self, InvestorFacts};
use crate::store::checks;
use crate::wire::{CheckKind, CheckReason, reasons_from_json};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceView {
    pub investor_id: InvestorId,
    /// The provider's identity verification: `approved`, `rejected`, `review`, `none`.
    #[schema(value_type = String)]
    pub kyc: KycStatus,
    /// OFAC screening and jurisdiction: `clear`, `hit`, `review`, `none`.
    #[schema(value_type = String)]
    pub sanctions: SanctionsStatus,
    pub accreditation: AccreditationSummaryView,
    /// Holds a verification in force now.
    pub accredited: bool,
    /// May trade at all: KYC approved and sanctions clear.
    pub eligible: bool,
    /// Why not, when not eligible.
    pub reasons: Vec<CheckReason>,
    /// The check that set the current KYC state: a KYC run, a provider update, a compliance
    /// officer's decision or an update of the investor that invalidated the KYC.
    pub kyc_check_id: Option<CheckId>,
    /// The compliance officer's decision on the latest KYC run, when there is one and the KYC
    /// was not invalidated since.
    pub kyc_decision: Option<DecisionView>,
    /// The SDN matches of the latest KYC run that stand cleared as documented false positives
    /// (approved on this run, or carried over from an earlier approval).
    pub sanctions_false_positives: Vec<FalsePositiveView>,
    /// Why sanctions are in `review` or `hit` after the latest KYC run, while no decision
    /// has been taken on it: that run's sanctions reasons, each naming the SDN entry, the
    /// tokens that matched, the score and what every identifier (date and place of birth,
    /// nationality, address) showed, so that an officer can decide without opening the list.
    /// Shown to admin, compliance and the platform's services only; empty otherwise.
    pub sanctions_review: Vec<CheckReason>,
    #[serde(with = "platform::time::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// The officer's decision on the latest KYC run and the false positives standing on it, unless
/// an update of the investor invalidated that KYC since.
async fn kyc_decisions(
    tx: &mut TenantTx,
    f: &InvestorFacts,
    with_note: bool,
) -> ApiResult<(
    Option<DecisionView>,
    Vec<FalsePositiveView>,
    Vec<CheckReason>,
)> {
    if f.kyc == KycStatus::None && f.sanctions == SanctionsStatus::None {
        return Ok((None, Vec::new(), Vec::new()));
    }
    let investor = f.investor.id;
    let Some(latest) = checks::latest_of_kind(tx, investor, CheckKind::Kyc).await? else {
        return Ok((None, Vec::new(), Vec::new()));
    };
    let decision = checks::decision_of(tx, latest.id, CheckKind::KycDecision).await?;
    let source = decision.as_ref().unwrap_or(&latest);
    let fps: Vec<FalsePositiveView> = source.details["sanctions"]["false_positives"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    let undecided =
        decision.is_none() && matches!(f.sanctions, SanctionsStatus::Review | SanctionsStatus::Hit);
    let review = if with_note && undecided {
        reasons_from_json(latest.reasons.clone())
            .into_iter()
            .filter(|r| r.code.starts_with("sanction"))
            .collect()
    } else {
        Vec::new()
    };
    Ok((
        decision.map(|d| DecisionView::new(&d, with_note)),
        fps,
        review,
    ))
}

/// The investor's compliance summary at the clock's now. The officers' notes are shown to
/// `with_note` callers only.
pub async fn summary(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    with_note: bool,
) -> ApiResult<ComplianceView> {
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let f = facts::gather(&mut tx, id, now, false)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let (kyc_decision, sanctions_false_positives, sanctions_review) =
        kyc_decisions(&mut tx, &f, with_note).await?;
    tx.commit().await?;
    let e = eligibility(f.kyc, f.sanctions, &f.accreditation, now);
    let check = f.accreditation_check.as_ref();
    Ok(ComplianceView {
        investor_id: id,
        kyc: e.kyc,
        sanctions: e.sanctions,
        accreditation: AccreditationSummaryView::new(f.accreditation, check, now, with_note),
        accredited: e.accredited,
        eligible: e.eligible,
        reasons: e.reasons.into_iter().map(CheckReason::from).collect(),
        kyc_check_id: f.investor.kyc_check_id,
        kyc_decision,
        sanctions_false_positives,
        sanctions_review,
        as_of: now,
    })
}
