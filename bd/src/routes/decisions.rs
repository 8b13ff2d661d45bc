//! A compliance officer's decisions on checks in review:
//! `POST /v1/investors/{id}/kyc/decision` and
//! `POST /v1/investors/{id}/accreditation/{check_id}/decision`.
//!
//! Every decision is a check of its own (`kyc_decision`, `accreditation_decision`) whose
//! `parent_id` is the decided check; the decided check itself is never changed.

use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use compliance::accreditation::{AccreditationDecision, Evidence, verify};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::MANAGERS;
use super::accreditation::AccreditationView;
use super::compliance::CheckView;
use crate::AppState;
use crate::ids::{CheckId, InvestorId};
use crate::screening;
use crate::store::checks::{self, CheckRow, NewCheck};
use crate::store::false_positives::{self, NewFalsePositive};
use crate::store::investors::{self as store, InvestorRow};
use crate::wire::{CheckReason, reasons_from_json, reasons_json};

const RULE_OFAC: &str = "31 CFR Chapter V (OFAC sanctions regulations)";
const RULE_CIP: &str = "31 CFR 1023.220 (customer identification program)";
const RULE_506C: &str = "17 CFR 230.506(c)(2)(ii)";
const MAX_NOTE: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionName {
    Approve,
    Reject,
}

impl DecisionName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

/// A decision on the investor's KYC check in review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KycDecisionRequest {
    pub decision: DecisionName,
    /// What was looked at and concluded (e.g. why the matched SDN entries are not this
    /// person). 1 to 2000 characters.
    pub note: String,
    /// The KYC check decided (`chk_…`): the investor's latest KYC run.
    pub check_id: CheckId,
}

/// A decision on an accreditation verification in review.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditationDecisionRequest {
    pub decision: DecisionName,
    /// What was looked at and concluded. 1 to 2000 characters.
    pub note: String,
}

fn check_note(note: &str) -> Result<String, ApiError> {
    let n = note.trim();
    if n.is_empty() || n.chars().count() > MAX_NOTE {
        return Err(ApiError::validation(
            "note",
            format!("1 to {MAX_NOTE} characters: say what was looked at and concluded"),
        ));
    }
    if n.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(ApiError::validation(
            "note",
            "must not contain control characters",
        ));
    }
    Ok(n.to_owned())
}

/// Why a sanctions `hit` cannot be approved here, from the KYC check's reasons.
fn hit_refusal(investor: InvestorId, latest: &CheckRow) -> ApiError {
    let reasons: Vec<CheckReason> = reasons_from_json(latest.reasons.clone())
        .into_iter()
        .filter(|r| r.code == "sanctions_hit" || r.code == "sanctioned_jurisdiction")
        .collect();
    let embargo = reasons.iter().any(|r| r.code == "sanctioned_jurisdiction");
    let strong = reasons.iter().any(|r| r.code == "sanctions_hit");
    const STRONG: &str = "a strong OFAC SDN match cannot be approved by a decision: it is \
                          cleared only when the list changes (the entry is delisted or corrected: \
                          replace the list and run KYC again) or under a licence from OFAC";
    const EMBARGO: &str = "a resident of a comprehensively sanctioned jurisdiction cannot be \
                           approved by a decision: that needs a specific licence from OFAC (or a \
                           change of the sanctioned jurisdictions), not a compliance officer's \
                           review";
    let (code, message) = match (strong, embargo) {
        (true, true) => ("strong_match", format!("{STRONG}; and {EMBARGO}")),
        (true, false) => ("strong_match", STRONG.to_owned()),
        (false, true) => ("sanctioned_jurisdiction", EMBARGO.to_owned()),
        (false, false) => (
            "confirmed_match",
            "the investor's sanctions status is hit (a compliance officer confirmed the match); \
             it is not re-opened by a decision: run KYC again"
                .to_owned(),
        ),
    };
    ApiError::invalid_state(message)
        .with_detail("investor_id", investor)
        .with_detail("check_id", latest.id)
        .with_detail("sanctions_status", "hit")
        .with_detail("reason", code)
        .with_detail("reasons", reasons)
}

/// The party key of a screened party of `check` (older checks did not store it: computed from
/// the screened name, date of birth and the party's type).
fn party_key_of(check: &CheckRow, index: usize, party: &Value, investor: &InvestorRow) -> String {
    if let Some(k) = party["party_key"].as_str() {
        return k.to_owned();
    }
    let screened = &check.input["screened"][index];
    let name = screened["name"]
        .as_str()
        .or_else(|| party["name"].as_str())
        .unwrap_or_default();
    let dob = screened["date_of_birth"].as_str().and_then(|d| {
        time::Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok()
    });
    let party_type = if party["party"] == "investor" && investor.investor_type == "entity" {
        sanctions::PartyType::Entity
    } else {
        sanctions::PartyType::Individual
    };
    screening::party_key(name, dob, party_type)
}

/// The parties of the KYC check whose names were in review (not already kept clear by an
/// earlier approval), with their matched entries.
struct ReviewedParty {
    party: String,
    position: Value,
    name: String,
    party_key: String,
    ent_nums: Vec<u64>,
}

fn reviewed_parties(check: &CheckRow, investor: &InvestorRow) -> Vec<ReviewedParty> {
    let parties = check.details["sanctions"]["parties"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    parties
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p["screening"]["decision"] == "review"
                && p.get("false_positive").is_none_or(Value::is_null)
                && p["screening"].get("error").is_none()
        })
        .map(|(i, p)| ReviewedParty {
            party: p["party"].as_str().unwrap_or("investor").to_owned(),
            position: p["position"].clone(),
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            party_key: party_key_of(check, i, p, investor),
            ent_nums: p["screening"]["matches"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["ent_num"].as_u64())
                .collect(),
        })
        .collect()
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<CheckView>)> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let body: KycDecisionRequest = parse_json(&body)?;
    let note = check_note(&body.note)?;
    let now = platform::time::now();
    let org = caller.org_id.as_str();
    let mut tx = state.pool().begin().await?;
    let investor = store::get_for_update(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let latest = checks::latest_of_kind(&mut tx, org, id, "kyc").await?;
    let latest_id = latest.as_ref().map(|c| c.id);
    let Some(latest) = latest.filter(|c| c.id == body.check_id) else {
        return Err(ApiError::invalid_state(match latest_id {
            Some(_) => format!(
                "{} is not the investor's latest KYC check: decide the latest one",
                body.check_id
            ),
            None => "the investor has no KYC check to decide: run KYC first".to_owned(),
        })
        .with_detail("check_id", body.check_id)
        .with_detail("latest_check_id", latest_id));
    };

    let kyc_now = investor.kyc_status.clone();
    let sanctions_now = investor.sanctions_status.clone();
    if body.decision == DecisionName::Approve && sanctions_now == "hit" {
        return Err(hit_refusal(id, &latest));
    }
    let identity_review = kyc_now == "review";
    let sanctions_review = sanctions_now == "review";
    let blocked = matches!(kyc_now.as_str(), "rejected" | "none")
        || matches!(sanctions_now.as_str(), "hit" | "none");
    if blocked || !(identity_review || sanctions_review) {
        let message = if kyc_now == "none" || sanctions_now == "none" {
            "the investor's KYC was invalidated by an update of its identity: run KYC again"
                .to_owned()
        } else {
            format!(
                "the investor's KYC is not in review (kyc_status {kyc_now}, sanctions_status \
                 {sanctions_now}): there is nothing to decide"
            )
        };
        return Err(ApiError::invalid_state(message)
            .with_detail("check_id", latest.id)
            .with_detail("latest_check_id", latest.id)
            .with_detail("kyc_status", &kyc_now)
            .with_detail("sanctions_status", &sanctions_now));
    }

    let approve = body.decision == DecisionName::Approve;
    let new_kyc = match (identity_review, approve) {
        (true, true) => "approved",
        (true, false) => "rejected",
        (false, _) => kyc_now.as_str(),
    };
    let new_sanctions = match (sanctions_review, approve) {
        (true, true) => "clear",
        (true, false) => "hit",
        (false, _) => sanctions_now.as_str(),
    };
    let status = if approve { "approved" } else { "rejected" };
    let mut resolved = Vec::new();
    if sanctions_review {
        resolved.push("sanctions");
    }
    if identity_review {
        resolved.push("identity");
    }
    let list_version = latest.details["sanctions"]["list_version"]
        .as_str()
        .or_else(|| latest.input["list_version"].as_str())
        .unwrap_or_default()
        .to_owned();
    let reviewed = if sanctions_review {
        reviewed_parties(&latest, &investor)
    } else {
        Vec::new()
    };
    let mut check = NewCheck::new(
        org,
        "kyc_decision",
        status,
        (&caller.subject, &caller.name),
        now,
    );
    let decision_id = check.id.to_string();
    let entries: Vec<Value> = reviewed
        .iter()
        .map(|p| {
            json!({
                "party": p.party,
                "position": p.position,
                "name": p.name,
                "party_key": p.party_key,
                "ent_nums": p.ent_nums,
                "decision_check_ids": [decision_id],
                "carried": false,
            })
        })
        .collect();
    // Carried over from earlier approvals on the decided run: still in force after this one.
    let carried: Vec<Value> = latest.details["sanctions"]["false_positives"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut reasons = Vec::new();
    if !approve {
        if sanctions_review {
            reasons.push(
                CheckReason::new(
                    "sanctions_confirmed",
                    format!(
                        "a compliance officer could not exclude the OFAC SDN match in review: {note}"
                    ),
                )
                .with_rule(RULE_OFAC)
                .with_details(json!({"decided_check_id": latest.id, "matches": entries})),
            );
        }
        if identity_review {
            reasons.push(
                CheckReason::new(
                    "kyc_rejected",
                    format!(
                        "a compliance officer rejected the identity verification in review: {note}"
                    ),
                )
                .with_rule(RULE_CIP)
                .with_details(json!({"decided_check_id": latest.id})),
            );
        }
    }
    check.investor_id = Some(id);
    check.parent_id = Some(latest.id);
    check.reasons = reasons_json(&reasons);
    check.input = json!({
        "decision": body.decision,
        "note": note,
        "check_id": latest.id,
    });
    check.details = json!({
        "decided_check_id": latest.id,
        "decision": body.decision,
        "note": note,
        "decided_by": {"id": caller.subject, "name": caller.name},
        "resolved": resolved,
        "before": {"kyc_status": kyc_now, "sanctions_status": sanctions_now},
        "after": {"kyc_status": new_kyc, "sanctions_status": new_sanctions},
        "identity": identity_review.then(|| json!({
            "status": new_kyc,
            "by": "compliance_officer",
            "provider": latest.provider,
            "provider_ref": latest.provider_ref,
        })),
        "sanctions": {
            "status": new_sanctions,
            "list_version": list_version,
            "false_positives": if approve {
                entries.iter().chain(carried.iter()).cloned().collect::<Vec<_>>()
            } else {
                carried.clone()
            },
            "confirmed": if approve { Vec::new() } else { entries.clone() },
        },
    });
    checks::insert(&mut tx, &check).await?;
    if approve {
        for p in &reviewed {
            let ents: Vec<i64> = p
                .ent_nums
                .iter()
                .filter_map(|e| i64::try_from(*e).ok())
                .collect();
            false_positives::insert(
                &mut tx,
                &NewFalsePositive {
                    org_id: org,
                    investor_id: id,
                    decision_check_id: check.id,
                    party_key: &p.party_key,
                    list_version: &list_version,
                    party: &p.party,
                    party_name: &p.name,
                    ent_nums: &ents,
                    created_at: now,
                },
            )
            .await?;
        }
    }
    store::set_kyc_state(&mut tx, org, id, new_kyc, new_sanctions, check.id, now).await?;
    let row = checks::get_in(&mut tx, org, check.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(CheckView::from(row))))
}

/// Decides an accreditation verification in review.
#[utoipa::path(post, path = "/v1/investors/{id}/accreditation/{check_id}/decision", tag = "accreditation",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("check_id" = String, Path, description = "The verification in review, `chk_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body = AccreditationDecisionRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. A compliance officer decides a verification the \
rules left to a person (`status` `review`, e.g. income that fell to within 10% of the \
threshold: the reasonable expectation of Rule 501(a)(6)).\n\n\
The verification must be the investor's latest accreditation request, in `review` and not yet \
decided; otherwise 409 `INVALID_STATE`. An unknown check, another investor's or another \
organization's, or a check that is not an accreditation, is 404.\n\n\
`approve`: the evidence is checked again against the rules at the moment of the decision — \
evidence dated more than 3 calendar months before the decision, or \
that no longer passes is refused with 409 and the failing `reasons` (submit new evidence) — \
and the investor is `verified` from now (`verified_at`) until now plus the validity \
(`ACCREDITATION_VALIDITY_DAYS`, default 90; `expires_at`). `reject`: `rejected`.\n\n\
Answers 201 with the decision: a check of kind `accreditation_decision` (`parent_id` / \
`decided_check_id`: the verification decided; `note`; `created_by`: the officer) that carries \
the decided method and evidence. It counts as the investor's latest accreditation: it is \
`current` in `GET /v1/investors/{id}/accreditation` and `accreditation` in \
`GET /v1/investors/{id}/compliance`, and is listed in `GET /v1/investors/{id}/checks`. The \
verification in review itself is kept unchanged.",
    responses(
        (status = 201, description = "The decision", body = AccreditationView),
        (status = 400, description = "Malformed body, unknown decision, missing or empty note", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor, or no such accreditation of the investor", body = ErrorBody),
        (status = 409, description = "Not in review, decided already, superseded by a later request, or the evidence no longer passes", body = ErrorBody),
    ))]
pub async fn accreditation_decision(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, check_id)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<AccreditationView>)> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let check_id = CheckId::parse_or_404(&check_id, "accreditation")?;
    let body: AccreditationDecisionRequest = parse_json(&body)?;
    let note = check_note(&body.note)?;
    let now = platform::time::now();
    let org = caller.org_id.as_str();
    let mut tx = state.pool().begin().await?;
    let investor = store::get_for_update(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let decided = checks::get_in(&mut tx, org, check_id)
        .await?
        .filter(|c| c.kind == "accreditation" && c.investor_id == Some(id))
        .ok_or_else(|| ApiError::not_found("accreditation", check_id))?;
    if decided.status != "review" {
        return Err(ApiError::invalid_state(format!(
            "the verification is {}: only a verification in review can be decided",
            decided.status
        ))
        .with_detail("check_id", check_id)
        .with_detail("status", &decided.status));
    }
    if let Some(d) = checks::decision_of(&mut tx, org, check_id, "accreditation_decision").await? {
        return Err(ApiError::invalid_state(format!(
            "the verification was decided already ({}, {})",
            d.id, d.status
        ))
        .with_detail("check_id", check_id)
        .with_detail("decision_check_id", d.id)
        .with_detail("status", &d.status));
    }
    if let Some(latest) = checks::latest_of_kind(&mut tx, org, id, "accreditation").await?
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
    let evidence = Evidence::from_request(&decided.input).map_err(|e| {
        ApiError::internal(anyhow::anyhow!(
            "stored evidence of {check_id} does not parse: {e:?}"
        ))
    })?;
    let investor_type = if investor.investor_type == "entity" {
        compliance::InvestorType::Entity
    } else {
        compliance::InvestorType::Individual
    };
    let config = &state.config.accreditation;
    let approve = body.decision == DecisionName::Approve;
    let (status, verified_at, expires_at, recheck) = if approve {
        let again = verify(investor_type, &evidence, now, config);
        if let AccreditationDecision::Rejected { reasons } = &again {
            let reasons: Vec<CheckReason> =
                reasons.iter().cloned().map(CheckReason::from).collect();
            return Err(ApiError::invalid_state(
                "the evidence no longer passes the accreditation rules at the time of the \
                 decision: submit new evidence",
            )
            .with_detail("check_id", check_id)
            .with_detail("reasons", reasons));
        }
        (
            "verified",
            Some(now),
            Some(now + config.validity),
            serde_json::to_value(&again).unwrap_or(Value::Null),
        )
    } else {
        ("rejected", None, None, Value::Null)
    };
    let mut reasons = Vec::new();
    if !approve {
        reasons.push(
            CheckReason::new(
                "accreditation_rejected",
                format!("a compliance officer rejected the verification in review: {note}"),
            )
            .with_rule(RULE_506C)
            .with_details(json!({
                "decided_check_id": check_id,
                "review_reasons": decided.reasons,
            })),
        );
    }
    let mut check = NewCheck::new(
        org,
        "accreditation_decision",
        status,
        (&caller.subject, &caller.name),
        now,
    );
    let mut input = decided.input.clone();
    if let Value::Object(m) = &mut input {
        m.insert("decision".into(), json!(body.decision));
        m.insert("note".into(), json!(note));
        m.insert("check_id".into(), json!(check_id));
    }
    check.investor_id = Some(id);
    check.parent_id = Some(check_id);
    check.reasons = reasons_json(&reasons);
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
    let view = checks::get_in(&mut tx, org, check.id)
        .await?
        .and_then(AccreditationView::new)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}
