//! `POST /v1/investors/{id}/accreditation`, `GET /v1/investors/{id}/accreditation`.

use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use compliance::accreditation::{AccreditationDecision, Evidence, verify};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::MANAGERS;
use super::compliance::{AccreditationSummaryView, DecisionView, accreditation_kind_str};
use crate::AppState;
use crate::facts;
use crate::ids::{CheckId, InvestorId};
use crate::store::checks::{self, CheckRow, NewCheck};
use crate::store::investors as store;
use crate::wire::{CheckReason, Paging, reasons_from_json, reasons_json};

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccreditationMethodName {
    Income,
    NetWorth,
    ProfessionalCertification,
    ThirdPartyLetter,
    EntityAssets,
}

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
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccreditationRequest {
    pub method: AccreditationMethodName,
    #[schema(value_type = Object)]
    pub evidence: Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationView {
    /// The verification (`chk_…`), also at `GET /v1/compliance/checks/{id}`.
    pub id: CheckId,
    /// `accreditation` (a verification request) or `accreditation_decision` (a compliance
    /// officer's decision on a verification in review).
    pub kind: String,
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
        let decision = r.kind == "accreditation_decision";
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

#[derive(Debug, Serialize, ToSchema)]
pub struct AccreditationList {
    /// The accreditation in force now (or the state of the latest request when none is).
    pub current: AccreditationSummaryView,
    /// Every verification and every officer's decision on one, latest first.
    pub data: Vec<AccreditationView>,
    pub next_cursor: Option<String>,
}

/// Verifies an investor's accreditation.
#[utoipa::path(post, path = "/v1/investors/{id}/accreditation", tag = "accreditation",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body = AccreditationRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. Applies SEC Rule 501(a) and the verification methods \
of Rule 506(c)(2)(ii) (crates/compliance): thresholds are strict (income above $200,000, or \
$300,000 joint, in each of the two years; net worth above $1,000,000; entity assets above \
$5,000,000); evidence dated more than 3 calendar months ago, or in the future, is refused; \
income methods and licences are for individuals, `entity_assets` for entities, a third-party \
letter for both. Answers 201 with the verification whatever its status (a rejection is an \
outcome, not an error): `verified` with `verified_at` and `expires_at` (validity \
`ACCREDITATION_VALIDITY_DAYS`, default 90), or `rejected` / `review` with `reasons`, each \
naming its rule. Invalid or missing evidence is 400 with every field named. A `review` is \
decided by a compliance officer with \
`POST /v1/investors/{id}/accreditation/{check_id}/decision`.",
    responses(
        (status = 201, description = "The verification", body = AccreditationView),
        (status = 400, description = "Unknown method, missing or invalid evidence; details.fields names each field", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn create_accreditation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<AccreditationView>)> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let body: Value = parse_json(&body)?;
    if !body.is_object() {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    crate::wire::refuse_organization_id(&body)?;
    let evidence = Evidence::from_request(&body).map_err(|e| {
        ApiError::validation_fields(e.errors.into_iter().map(|f| (f.field, f.message)).collect())
    })?;
    let now = platform::time::now();
    let mut tx = state.pool().begin().await?;
    let investor = store::get_for_update(&mut tx, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let investor_type = if investor.investor_type == "entity" {
        compliance::InvestorType::Entity
    } else {
        compliance::InvestorType::Individual
    };
    let decision = verify(investor_type, &evidence, now, &state.config.accreditation);
    let (status, verified_at, expires_at) = match &decision {
        AccreditationDecision::Verified {
            verified_at,
            expires_at,
        } => ("verified", Some(*verified_at), Some(*expires_at)),
        AccreditationDecision::Rejected { .. } => ("rejected", None, None),
        AccreditationDecision::Review { .. } => ("review", None, None),
    };
    let reasons: Vec<CheckReason> = decision
        .reasons()
        .iter()
        .cloned()
        .map(CheckReason::from)
        .collect();
    let evidence_date = match &evidence {
        Evidence::Income(e) => Some(e.documents_dated),
        Evidence::NetWorth(e) => Some(e.documents_dated),
        Evidence::ThirdPartyLetter(e) => Some(e.letter_dated),
        Evidence::ProfessionalCertification(_) | Evidence::EntityAssets(_) => None,
    };
    let method = evidence.method().as_str();
    let mut check = NewCheck::new(
        &caller.org_id,
        "accreditation",
        status,
        (&caller.subject, &caller.name),
        now,
    );
    check.investor_id = Some(id);
    check.reasons = reasons_json(&reasons);
    check.input = serde_json::to_value(&evidence).map_err(ApiError::internal)?;
    check.details = json!({
        "investor_type": investor.investor_type,
        "validity_days": state.config.accreditation.validity.whole_days(),
        "evidence_max_age_months": state.config.accreditation.evidence_max_age_months,
    });
    check.method = Some(method);
    check.evidence_date = evidence_date;
    check.verified_at = verified_at;
    check.expires_at = expires_at;
    checks::insert(&mut tx, &check).await?;
    tx.commit().await?;
    let row = checks::get(state.pool(), &caller.org_id, check.id)
        .await?
        .and_then(AccreditationView::new)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    Ok((StatusCode::CREATED, ApiJson(row)))
}

/// An investor's accreditation verifications and the one in force.
#[utoipa::path(get, path = "/v1/investors/{id}/accreditation", tag = "accreditation",
    params(("id" = String, Path, description = "`inv_…`"), Paging),
    security(("bearer" = [])),
    description = "Roles admin, compliance. `current` is the verification in force now (the one \
lasting longest), else the state of the latest request (`expired`, `review`, `rejected`, or \
`none`); `data` lists every verification and every compliance officer's decision on one \
(`kind` `accreditation_decision`, see `POST /v1/investors/{id}/accreditation/{check_id}/decision`), \
latest first. A decision counts like a verification: an approval is `verified` until its \
`expires_at`, a rejection is `rejected`.",
    responses(
        (status = 200, description = "The verifications", body = AccreditationList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn list_accreditations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<ApiJson<AccreditationList>> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let limit = paging.limit()?;
    let before = paging.after(CheckId::parse)?;
    let now = platform::time::now();
    let mut conn = state.pool().acquire().await?;
    store::get(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let (state_now, current) =
        facts::accreditation_state(&mut conn, &caller.org_id, id, now).await?;
    let rows = checks::accreditations(&mut conn, &caller.org_id, id, before, limit + 1).await?;
    let views: Vec<AccreditationView> = rows
        .into_iter()
        .filter_map(AccreditationView::new)
        .collect();
    let page = platform::Page::from_rows(views, limit, |v| v.id.to_string());
    Ok(ApiJson(AccreditationList {
        current: AccreditationSummaryView {
            status: accreditation_kind_str(state_now.status_at(now)).to_owned(),
            expires_at: match state_now {
                compliance::pretrade::AccreditationState::Verified { expires_at } => {
                    Some(expires_at)
                }
                _ => None,
            },
            decision: current
                .as_ref()
                .filter(|c| c.kind == "accreditation_decision")
                .map(|c| DecisionView::new(c, true)),
            check_id: current.map(|c| c.id),
        },
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}
