//! The checks kept for audit, as the API shows them: one check (`GET /v1/compliance/checks/{id}`)
//! and an investor's history (`GET /v1/investors/{id}/checks`).

use iam_sdk::Caller;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult, ListParams, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::store::checks::{self, CheckRow};
use crate::store::investors;
use crate::wire::{CheckKind, CheckReason, reasons_from_json};

/// A check kept for audit, whatever its kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckView {
    pub id: CheckId,
    /// `kyc`, `kyc_update` (a provider's webhook), `kyc_decision` (a compliance officer's
    /// decision on a KYC review), `accreditation`, `accreditation_decision`,
    /// `investor_update` (a change of the investor's record), `pre_trade`, `settlement`.
    #[schema(value_type = String)]
    pub kind: CheckKind,
    /// The investor checked; settlements name both parties in `input.request` instead.
    pub investor_id: Option<InvestorId>,
    /// kyc, kyc_update, kyc_decision: `approved`, `rejected`, `review`; accreditation and
    /// accreditation_decision: `verified`, `rejected`, `review`; investor_update: `updated` or
    /// `kyc_invalidated`; pre_trade and settlement: `approved`, `rejected`.
    pub status: String,
    /// pre_trade and settlement only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    pub reasons: Vec<CheckReason>,
    /// What was checked, as received and as gathered.
    #[schema(value_type = Object)]
    pub input: Value,
    /// What was found (kyc: `identity`, `sanctions`, `sanctions_matches`).
    #[schema(value_type = Object)]
    pub details: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// kyc_update: the KYC check it updates; kyc_decision, accreditation_decision: the check
    /// decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CheckId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_date: Option<Date>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "platform::time::rfc3339_opt"
    )]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "platform::time::rfc3339_opt"
    )]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<platform::ids::OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_id: Option<platform::ids::SettlementId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who ran it: a user's name, a service's client id, or `provider:<name>`.
    pub created_by: String,
}

impl From<CheckRow> for CheckView {
    fn from(r: CheckRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            investor_id: r.investor_id,
            status: r.status,
            approved: r.approved,
            reasons: reasons_from_json(r.reasons),
            input: r.input,
            details: r.details,
            provider: r.provider,
            provider_ref: r.provider_ref,
            parent_id: r.parent_id,
            method: r.method,
            evidence_date: r.evidence_date,
            verified_at: r.verified_at,
            expires_at: r.expires_at,
            order_id: r.order_id,
            settlement_id: r.settlement_id,
            created_at: r.created_at,
            created_by: r.created_by_name,
        }
    }
}

/// A compliance officer's decision on a check in review, as the summaries show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    /// The decision (`chk_…`, kind `kyc_decision` or `accreditation_decision`).
    pub check_id: CheckId,
    /// `approve` or `reject`.
    pub decision: String,
    /// The check decided.
    pub decided_check_id: Option<CheckId>,
    /// The officer's note: shown to admin, compliance and the platform's services only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The officer's name.
    pub decided_by: String,
    #[serde(with = "platform::time::rfc3339")]
    pub decided_at: OffsetDateTime,
}

impl DecisionView {
    pub fn new(r: &CheckRow, with_note: bool) -> Self {
        Self {
            check_id: r.id,
            decision: r.input["decision"].as_str().unwrap_or_default().to_owned(),
            decided_check_id: r.parent_id,
            note: if with_note {
                r.input["note"].as_str().map(str::to_owned)
            } else {
                None
            },
            decided_by: r.created_by_name.clone(),
            decided_at: r.created_at,
        }
    }
}

/// SDN entries kept clear for a screened party as a documented false positive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FalsePositiveView {
    /// `investor` or `beneficial_owner`.
    pub party: String,
    /// The beneficial owner's position.
    pub position: Option<u64>,
    /// The name screened.
    pub name: String,
    /// The SDN entries (`ent_num`) approved as not this party.
    pub ent_nums: Vec<u64>,
    /// The `kyc_decision` checks that approved them.
    pub decision_check_ids: Vec<String>,
}

/// The filter of `GET /v1/investors/{id}/checks`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckFilter {
    /// Only checks of this kind.
    #[param(inline)]
    pub kind: Option<CheckKind>,
}

/// One stored check of the caller's organization.
pub async fn get(state: &AppState, caller: &Caller, id: CheckId) -> ApiResult<CheckView> {
    let mut tx = state.begin(&caller.org_id).await?;
    let row = checks::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("check", id))?;
    tx.commit().await?;
    Ok(row.into())
}

/// The investor's checks, newest first, optionally of one kind.
pub async fn history(
    state: &AppState,
    caller: &Caller,
    investor: InvestorId,
    page: &ListParams,
    filter: &CheckFilter,
) -> ApiResult<Page<CheckView>> {
    let limit = page.limit()?;
    let before = page.after_as(CheckId::parse)?;
    let mut tx = state.begin(&caller.org_id).await?;
    investors::get(&mut tx, investor)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", investor))?;
    let rows = checks::for_investor(&mut tx, investor, filter.kind, before, limit + 1).await?;
    tx.commit().await?;
    let views: Vec<CheckView> = rows.into_iter().map(CheckView::from).collect();
    Ok(Page::from_rows(views, limit, |v| v.id.to_string()))
}
