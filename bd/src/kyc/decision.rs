//! A compliance officer's decision on an investor's KYC in review
//! (`POST /v1/investors/{id}/kyc/decision`). The decision is a check of its own
//! (`kyc_decision`) whose `parent_id` is the decided KYC run; the decided check is never
//! changed.

use compliance::InvestorType;
use compliance::pretrade::{KycStatus, SanctionsStatus};
use iam_sdk::Caller;
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::RULE_CIP;
use crate::AppState;
use crate::checks::CheckView;
use crate::screening;
use crate::store::checks::{self, CheckRow, NewCheck};
use crate::store::false_positives::{self, NewFalsePositive};
use crate::store::investors::{self as store, InvestorRow};
use crate::wire::{CheckKind, CheckReason, DecisionName, reasons_from_json, reasons_json};

const RULE_OFAC: &str = "31 CFR Chapter V (OFAC sanctions regulations)";
const MAX_NOTE: usize = 2000;

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

/// An officer's note: 1 to 2000 characters, trimmed, no control characters but line breaks
/// and tabs.
pub fn check_note(note: &str) -> ApiResult<String> {
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
                          replace the list and run KYC again), when the identifiers tell the two \
                          apart (a match resting on the nationality or the name alone: record the \
                          investor's date of birth and run KYC again), or under a licence from OFAC";
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
    let party_type =
        if party["party"] == "investor" && investor.investor_type == InvestorType::Entity {
            sanctions::PartyType::Entity
        } else {
            sanctions::PartyType::Individual
        };
    screening::party_key(name, dob, party_type)
}

/// A party of the KYC check whose name was in review (not already kept clear by an earlier
/// approval), with its matched entries.
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

/// The investor's latest KYC run, which must be the check the officer names.
async fn decided_run(
    tx: &mut TenantTx,
    investor: InvestorId,
    named: CheckId,
) -> ApiResult<CheckRow> {
    let latest = checks::latest_of_kind(tx, investor, CheckKind::Kyc).await?;
    let latest_id = latest.as_ref().map(|c| c.id);
    latest.filter(|c| c.id == named).ok_or_else(|| {
        ApiError::invalid_state(match latest_id {
            Some(_) => {
                format!("{named} is not the investor's latest KYC check: decide the latest one")
            }
            None => "the investor has no KYC check to decide: run KYC first".to_owned(),
        })
        .with_detail("check_id", named)
        .with_detail("latest_check_id", latest_id)
    })
}

/// What the investor's KYC state leaves to decide: (identity in review, sanctions in review).
fn in_review(
    investor: &InvestorRow,
    latest: &CheckRow,
    decision: DecisionName,
) -> ApiResult<(bool, bool)> {
    let (kyc, sanctions) = (investor.kyc_status, investor.sanctions_status);
    if decision == DecisionName::Approve && sanctions == SanctionsStatus::Hit {
        return Err(hit_refusal(investor.id, latest));
    }
    let identity_review = kyc == KycStatus::Review;
    let sanctions_review = sanctions == SanctionsStatus::Review;
    let blocked = matches!(kyc, KycStatus::Rejected | KycStatus::None)
        || matches!(sanctions, SanctionsStatus::Hit | SanctionsStatus::None);
    if blocked || !(identity_review || sanctions_review) {
        let message = if kyc == KycStatus::None || sanctions == SanctionsStatus::None {
            "the investor's KYC was invalidated by an update of its identity: run KYC again"
                .to_owned()
        } else {
            format!(
                "the investor's KYC is not in review (kyc_status {kyc}, sanctions_status \
                 {sanctions}): there is nothing to decide"
            )
        };
        return Err(ApiError::invalid_state(message)
            .with_detail("check_id", latest.id)
            .with_detail("latest_check_id", latest.id)
            .with_detail("kyc_status", kyc)
            .with_detail("sanctions_status", sanctions));
    }
    Ok((identity_review, sanctions_review))
}

/// The refusal's reasons of a `reject`.
fn rejection_reasons(
    note: &str,
    latest: CheckId,
    (identity_review, sanctions_review): (bool, bool),
    entries: &[Value],
) -> Vec<CheckReason> {
    let mut reasons = Vec::new();
    if sanctions_review {
        reasons.push(
            CheckReason::new(
                "sanctions_confirmed",
                format!(
                    "a compliance officer could not exclude the OFAC SDN match in review: {note}"
                ),
            )
            .with_rule(RULE_OFAC)
            .with_details(json!({"decided_check_id": latest, "matches": entries})),
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
            .with_details(json!({"decided_check_id": latest})),
        );
    }
    reasons
}

/// Keeps the approved false positives, so later runs screening the same party against the
/// same list version stay clear for those entries.
async fn keep_false_positives(
    tx: &mut TenantTx,
    investor: InvestorId,
    decision: CheckId,
    list_version: &str,
    reviewed: &[ReviewedParty],
    now: OffsetDateTime,
) -> ApiResult<()> {
    for p in reviewed {
        let ents: Vec<i64> = p
            .ent_nums
            .iter()
            .filter_map(|e| i64::try_from(*e).ok())
            .collect();
        let fp = NewFalsePositive {
            investor_id: investor,
            decision_check_id: decision,
            party_key: &p.party_key,
            list_version,
            party: &p.party,
            party_name: &p.name,
            ent_nums: &ents,
            created_at: now,
        };
        false_positives::insert(tx, &fp).await?;
    }
    Ok(())
}

/// Decides the investor's KYC review: `approve` clears a sanctions review (a documented false
/// positive) and approves an identity review; `reject` confirms the one and rejects the other.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    body: KycDecisionRequest,
) -> ApiResult<CheckView> {
    let note = check_note(&body.note)?;
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let investor = store::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let latest = decided_run(&mut tx, id, body.check_id).await?;
    let (identity_review, sanctions_review) = in_review(&investor, &latest, body.decision)?;
    let approve = body.decision == DecisionName::Approve;
    let (kyc_now, sanctions_now) = (investor.kyc_status, investor.sanctions_status);
    let new_kyc = match (identity_review, approve) {
        (true, true) => KycStatus::Approved,
        (true, false) => KycStatus::Rejected,
        (false, _) => kyc_now,
    };
    let new_sanctions = match (sanctions_review, approve) {
        (true, true) => SanctionsStatus::Clear,
        (true, false) => SanctionsStatus::Hit,
        (false, _) => sanctions_now,
    };
    let status = if approve { "approved" } else { "rejected" };
    let resolved: Vec<&str> = [
        ("sanctions", sanctions_review),
        ("identity", identity_review),
    ]
    .into_iter()
    .filter(|(_, r)| *r)
    .map(|(part, _)| part)
    .collect();
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
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut check = NewCheck::new(CheckKind::KycDecision, status, by, now);
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
    if !approve {
        let review = (identity_review, sanctions_review);
        check.reasons = reasons_json(&rejection_reasons(&note, latest.id, review, &entries));
    }
    check.investor_id = Some(id);
    check.parent_id = Some(latest.id);
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
        keep_false_positives(&mut tx, id, check.id, &list_version, &reviewed, now).await?;
    }
    store::set_kyc_state(&mut tx, id, new_kyc, new_sanctions, check.id, now).await?;
    let row = checks::get(&mut tx, check.id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("check {} vanished", check.id)))?;
    tx.commit().await?;
    Ok(CheckView::from(row))
}
