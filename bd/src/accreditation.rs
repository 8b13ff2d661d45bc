//! Accreditation: verifying the evidence of an investor (SEC Rule 501(a), 506(c)(2)(ii), by
//! the compliance crate), listing the verifications, and a compliance officer's decision on
//! one in review.

use compliance::accreditation::{AccreditationDecision, AccreditationMethod, Evidence, verify};
use compliance::pretrade::{AccreditationState, AccreditationStatusKind};
use iam_sdk::Caller;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult, ListParams, Page};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::AppState;
use crate::checks::DecisionView;
use crate::facts;
use crate::kyc::decision::check_note;
use crate::store::checks::{self, CheckRow, NewCheck};
use crate::store::investors as store;
use crate::wire::{CheckKind, CheckReason, DecisionName, reasons_from_json, reasons_json};

const RULE_506C: &str = "17 CFR 230.506(c)(2)(ii)";

/// `method` and its `evidence` (API.md): amounts are decimal strings (or exact JSON numbers)
/// in USD, dates `YYYY-MM-DD`.
///
/// | method | evidence |
/// |---|---|
/// | `income` | `annual_income` (the two most recent years, oldest first), `joint_with_spouse`, `documents_dated`, optional `expects_same_income_current_year` |
/// | `net_worth` | `net_worth` (primary residence excluded), `documents_dated` |
/// | `professional_certification` | `license` (`series_7`, `series_65`, `series_82`), `crd_number`, optional `good_standing` |
/// | `third_party_letter` | `verifier_type` (`broker_dealer`, `investment_adviser`, `attorney`, `cpa`), `letter_dated` |
/// | `entity_assets` | `total_assets` |
// The body is read as a JSON object and validated field by field by the compliance crate
// (`Evidence::from_request`); this type documents it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccreditationRequest {
    pub method: AccreditationMethod,
    #[schema(value_type = Object)]
    pub evidence: Value,
}

/// A decision on an accreditation verification in review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditationDecisionRequest {
    pub decision: DecisionName,
    /// What was looked at and concluded. 1 to 2000 characters.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationView {
    /// The verification (`chk_…`), also at `GET /v1/compliance/checks/{id}`.
    pub id: CheckId,
    /// `accreditation` (a verification request) or `accreditation_decision` (a compliance
    /// officer's decision on a verification in review).
    #[schema(value_type = String)]
    pub kind: CheckKind,
    pub investor_id: InvestorId,
    pub method: String,
    /// The evidence as validated.
    #[schema(value_type = Object)]
    pub evidence: Value,
    /// The date of the documents or letter, when the method has one.
    pub evidence_date: Option<Date>,
    /// `verified`, `rejected` or `review`.
    pub status: String,
    /// Each reason names the rule that failed (`rule`).
    pub reasons: Vec<CheckReason>,
    #[serde(with = "platform::time::rfc3339_opt")]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(with = "platform::time::rfc3339_opt")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    /// Decisions: the verification decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_check_id: Option<CheckId>,
    /// Decisions: `approve` or `reject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Decisions: the officer's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl AccreditationView {
    pub fn new(r: CheckRow) -> Option<Self> {
        let decision = r.kind == CheckKind::AccreditationDecision;
        let text = |k: &str| {
            decision
                .then(|| r.input.get(k).and_then(Value::as_str).map(str::to_owned))
                .flatten()
        };
        let (decision_name, note) = (text("decision"), text("note"));
        Some(Self {
            id: r.id,
            kind: r.kind,
            decided_check_id: if decision { r.parent_id } else { None },
            decision: decision_name,
            note,
            investor_id: r.investor_id?,
            method: r.method.unwrap_or_default(),
            evidence: r.input.get("evidence").cloned().unwrap_or(Value::Null),
            evidence_date: r.evidence_date,
            status: r.status,
            reasons: reasons_from_json(r.reasons),
            verified_at: r.verified_at,
            expires_at: r.expires_at,
            created_at: r.created_at,
            created_by: r.created_by_name,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationSummaryView {
    /// `verified`, `expired`, `review`, `rejected` or `none`.
    #[schema(value_type = String)]
    pub status: AccreditationStatusKind,
    #[serde(with = "platform::time::rfc3339_opt")]
    pub expires_at: Option<OffsetDateTime>,
    /// The verification in force, or the latest request (or an officer's decision on one).
    pub check_id: Option<CheckId>,
    /// When `check_id` is a compliance officer's decision: who decided what, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionView>,
}

impl AccreditationSummaryView {
    /// The accreditation in force at `now` (or the state of the latest request), with the
    /// officer's decision when the check shown is one.
    pub fn new(
        state: AccreditationState,
        check: Option<&CheckRow>,
        now: OffsetDateTime,
        with_note: bool,
    ) -> Self {
        Self {
            status: state.status_at(now),
            expires_at: match state {
                AccreditationState::Verified { expires_at } => Some(expires_at),
                _ => None,
            },
            check_id: check.map(|c| c.id),
            decision: check
                .filter(|c| c.kind == CheckKind::AccreditationDecision)
                .map(|c| DecisionView::new(c, with_note)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccreditationList {
    /// The accreditation in force now (or the state of the latest request when none is).
    pub current: AccreditationSummaryView,
    /// Every verification and every officer's decision on one, latest first.
    pub data: Vec<AccreditationView>,
    pub next_cursor: Option<String>,
}

fn vanished(id: CheckId) -> ApiError {
    ApiError::internal(anyhow::anyhow!("check {id} vanished"))
}

/// The accreditation check of a verification.
fn verification_check<'a>(
    state: &AppState,
    caller: &'a Caller,
    investor: &store::InvestorRow,
    evidence: &Evidence,
    decision: &AccreditationDecision,
    now: OffsetDateTime,
) -> ApiResult<NewCheck<'a>> {
    let config = &state.config.accreditation;
    let by = (caller.subject.as_str(), caller.name.as_str());
    let status = decision.status().as_str();
    let mut check = NewCheck::new(CheckKind::Accreditation, status, by, now);
    check.investor_id = Some(investor.id);
    let reasons: Vec<CheckReason> = decision
        .reasons()
        .iter()
        .cloned()
        .map(CheckReason::from)
        .collect();
    check.reasons = reasons_json(&reasons);
    check.input = serde_json::to_value(evidence).map_err(ApiError::internal)?;
    check.details = json!({
        "investor_type": investor.investor_type,
        "validity_days": config.validity.whole_days(),
        "evidence_max_age_months": config.evidence_max_age_months,
    });
    check.method = Some(evidence.method().as_str());
    check.evidence_date = match evidence {
        Evidence::Income(e) => Some(e.documents_dated),
        Evidence::NetWorth(e) => Some(e.documents_dated),
        Evidence::ThirdPartyLetter(e) => Some(e.letter_dated),
        Evidence::ProfessionalCertification(_) | Evidence::EntityAssets(_) => None,
    };
    if let AccreditationDecision::Verified {
        verified_at,
        expires_at,
    } = decision
    {
        check.verified_at = Some(*verified_at);
        check.expires_at = Some(*expires_at);
    }
    Ok(check)
}

/// Verifies the evidence of `body` (a JSON object: `method` and `evidence`) at the clock's
/// now; every outcome is recorded, a refusal included.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    body: &Map<String, Value>,
) -> ApiResult<AccreditationView> {
    let evidence = Evidence::from_request(&Value::Object(body.clone())).map_err(|e| {
        ApiError::validation_fields(e.errors.into_iter().map(|f| (f.field, f.message)).collect())
    })?;
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let investor = store::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let config = &state.config.accreditation;
    let decision = verify(investor.investor_type, &evidence, now, config);
    let check = verification_check(state, caller, &investor, &evidence, &decision, now)?;
    checks::insert(&mut tx, &check).await?;
    let view = checks::get(&mut tx, check.id)
        .await?
        .and_then(AccreditationView::new)
        .ok_or_else(|| vanished(check.id))?;
    tx.commit().await?;
    Ok(view)
}

/// The investor's verifications, latest first, and the one in force at the clock's now.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    page: &ListParams,
) -> ApiResult<AccreditationList> {
    let limit = page.limit()?;
    let before = page.after_as(CheckId::parse)?;
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    store::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let (in_force, current) = facts::accreditation_state(&mut tx, id, now).await?;
    let rows = checks::accreditations(&mut tx, id, before, limit + 1).await?;
    tx.commit().await?;
    let views: Vec<AccreditationView> = rows
        .into_iter()
        .filter_map(AccreditationView::new)
        .collect();
    let page = Page::from_rows(views, limit, |v| v.id.to_string());
    Ok(AccreditationList {
        current: AccreditationSummaryView::new(in_force, current.as_ref(), now, true),
        data: page.data,
        next_cursor: page.next_cursor,
    })
}

/// The verification an officer may decide: the investor's latest request, in review and not
/// decided yet.
async fn decidable(
    tx: &mut platform::db::TenantTx,
    investor: InvestorId,
    check_id: CheckId,
) -> ApiResult<CheckRow> {
    let decided = checks::get(tx, check_id)
        .await?
        .filter(|c| c.kind == CheckKind::Accreditation && c.investor_id == Some(investor))
        .ok_or_else(|| ApiError::not_found("accreditation", check_id))?;
    if decided.status != "review" {
        return Err(ApiError::invalid_state(format!(
            "the verification is {}: only a verification in review can be decided",
            decided.status
        ))
        .with_detail("check_id", check_id)
        .with_detail("status", &decided.status));
    }
    let kind = CheckKind::AccreditationDecision;
    if let Some(d) = checks::decision_of(tx, check_id, kind).await? {
        return Err(ApiError::invalid_state(format!(
            "the verification was decided already ({}, {})",
            d.id, d.status
        ))
        .with_detail("check_id", check_id)
        .with_detail("decision_check_id", d.id)
        .with_detail("status", &d.status));
    }
    if let Some(latest) = checks::latest_of_kind(tx, investor, CheckKind::Accreditation).await?
        && latest.id != check_id
    {
        return Err(ApiError::invalid_state(
            "a later accreditation request superseded this verification: decide that one, or \
             submit new evidence",
        )
        .with_detail("check_id", check_id)
        .with_detail("latest_check_id", latest.id)
        .with_detail("latest_status", &latest.status));
    }
    Ok(decided)
}

/// An approval checks the evidence again at `now`: (status, verified_at, expires_at, recheck).
type Outcome = (
    &'static str,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Value,
);

fn decided_outcome(
    state: &AppState,
    investor: &store::InvestorRow,
    decided: &CheckRow,
    approve: bool,
    now: OffsetDateTime,
) -> ApiResult<Outcome> {
    if !approve {
        return Ok(("rejected", None, None, Value::Null));
    }
    let check_id = decided.id;
    let evidence = Evidence::from_request(&decided.input).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "stored evidence of {check_id} does not parse: {e:?}"
        ))
    })?;
    let config = &state.config.accreditation;
    let again = verify(investor.investor_type, &evidence, now, config);
    if let AccreditationDecision::Rejected { reasons } = &again {
        let reasons: Vec<CheckReason> = reasons.iter().cloned().map(CheckReason::from).collect();
        return Err(ApiError::invalid_state(
            "the evidence no longer passes the accreditation rules at the time of the \
             decision: submit new evidence",
        )
        .with_detail("check_id", check_id)
        .with_detail("reasons", reasons));
    }
    let recheck = serde_json::to_value(&again).unwrap_or(Value::Null);
    Ok(("verified", Some(now), Some(now + config.validity), recheck))
}

/// Decides a verification in review: `approve` verifies the investor from now (the evidence
/// checked again at the clock's now), `reject` refuses it. The decision is a check of its own.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    check_id: CheckId,
    body: AccreditationDecisionRequest,
) -> ApiResult<AccreditationView> {
    let note = check_note(&body.note)?;
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let investor = store::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let decided = decidable(&mut tx, id, check_id).await?;
    let approve = body.decision == DecisionName::Approve;
    let (status, verified_at, expires_at, recheck) =
        decided_outcome(state, &investor, &decided, approve, now)?;
    let config = &state.config.accreditation;
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut check = NewCheck::new(CheckKind::AccreditationDecision, status, by, now);
    if !approve {
        let reason = CheckReason::new(
            "accreditation_rejected",
            format!("a compliance officer rejected the verification in review: {note}"),
        )
        .with_rule(RULE_506C)
        .with_details(json!({
            "decided_check_id": check_id,
            "review_reasons": decided.reasons,
        }));
        check.reasons = reasons_json(&[reason]);
    }
    let mut input = decided.input.clone();
    if let Value::Object(m) = &mut input {
        m.insert("decision".into(), json!(body.decision));
        m.insert("note".into(), json!(note));
        m.insert("check_id".into(), json!(check_id));
    }
    check.investor_id = Some(id);
    check.parent_id = Some(check_id);
    check.input = input;
    check.details = json!({
        "decided_check_id": check_id,
        "decision": body.decision,
        "note": note,
        "decided_by": {"id": caller.subject, "name": caller.name},
        "before": decided.status,
        "after": status,
        "review_reasons": decided.reasons,
        "recheck": recheck,
        "investor_type": investor.investor_type,
        "validity_days": config.validity.whole_days(),
        "evidence_max_age_months": config.evidence_max_age_months,
    });
    check.method = decided.method.as_deref();
    check.evidence_date = decided.evidence_date;
    check.verified_at = verified_at;
    check.expires_at = expires_at;
    checks::insert(&mut tx, &check).await?;
    let view = checks::get(&mut tx, check.id)
        .await?
        .and_then(AccreditationView::new)
        .ok_or_else(|| vanished(check.id))?;
    tx.commit().await?;
    Ok(view)
}
