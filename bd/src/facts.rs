//! What the compliance rules need to know about an investor, gathered from the BD's records:
//! KYC and sanctions status, the accreditation in force, and the financial profile for the
//! investment limits. Gathered for many investors at once (a batch of pre-trade checks reads
//! each investor once, in a fixed number of queries); one investor is a set of one.

use std::collections::HashMap;

use compliance::InvestorType;
use compliance::limits::FinancialProfile;
use compliance::pretrade::{AccreditationState, KycStatus, SanctionsStatus};
use platform::db::TenantTx;
use platform::ids::InvestorId;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::store::checks::{self, CheckRow, FinancialEvidence};
use crate::store::investors::{self, InvestorRow};

#[derive(Debug, Clone)]
pub struct InvestorFacts {
    pub investor: InvestorRow,
    pub kyc: KycStatus,
    pub sanctions: SanctionsStatus,
    pub accreditation: AccreditationState,
    /// The verification in force, or the latest one when none is.
    pub accreditation_check: Option<CheckRow>,
    pub profile: FinancialProfile,
    /// Where each figure of the profile comes from (`investor` or the `chk_…` of an
    /// accreditation), for the audit trail.
    pub profile_sources: Value,
}

impl InvestorFacts {
    pub fn investor_type(&self) -> InvestorType {
        self.investor.investor_type
    }

    /// The facts as a check's input records them.
    pub fn audit_json(&self, now: OffsetDateTime) -> Value {
        json!({
            "type": self.investor.investor_type,
            "kyc": self.kyc,
            "sanctions": self.sanctions,
            "accreditation": self.accreditation.status_at(now),
            "accreditation_check_id": self.accreditation_check.as_ref().map(|c| c.id),
            "financial_profile": self.profile,
            "financial_profile_sources": self.profile_sources,
        })
    }
}

/// The accreditation in force at `now`: the valid verification lasting longest; without one,
/// the state of the latest request (an expired verification, a review, a rejection). A later
/// failed request does not revoke a verification still in force.
pub async fn accreditation_state(
    tx: &mut TenantTx,
    investor: InvestorId,
    now: OffsetDateTime,
) -> Result<(AccreditationState, Option<CheckRow>), sqlx::Error> {
    Ok(accreditation_states(tx, &[investor], now)
        .await?
        .remove(&investor)
        .unwrap_or((AccreditationState::None, None)))
}

/// [`accreditation_state`] of each investor (those without any accreditation are absent).
async fn accreditation_states(
    tx: &mut TenantTx,
    investors: &[InvestorId],
    now: OffsetDateTime,
) -> Result<HashMap<InvestorId, (AccreditationState, Option<CheckRow>)>, sqlx::Error> {
    let mut out = HashMap::new();
    for valid in checks::valid_accreditations(tx, investors, now).await? {
        if let (Some(investor), Some(expires_at)) = (valid.investor_id, valid.expires_at) {
            out.insert(
                investor,
                (AccreditationState::Verified { expires_at }, Some(valid)),
            );
        }
    }
    let rest: Vec<InvestorId> = investors
        .iter()
        .copied()
        .filter(|i| !out.contains_key(i))
        .collect();
    if rest.is_empty() {
        return Ok(out);
    }
    for latest in checks::latest_accreditations(tx, &rest).await? {
        let Some(investor) = latest.investor_id else {
            continue;
        };
        let state = match (latest.status.as_str(), latest.expires_at) {
            // Verified once, past its expiry: its `expires_at` says when it lapsed (the
            // pre-trade refusal and the compliance view show it).
            ("verified", Some(expires_at)) => AccreditationState::Verified { expires_at },
            ("verified", None) => AccreditationState::Expired,
            ("review", _) => AccreditationState::Review,
            _ => AccreditationState::Rejected,
        };
        out.insert(investor, (state, Some(latest)));
    }
    Ok(out)
}

fn decimal_at(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Whether the financial profile of `investor` may need accreditation evidence.
fn needs_evidence(investor: &InvestorRow) -> bool {
    investor.investor_type == InvestorType::Individual
        && (investor.annual_income.is_none() || investor.net_worth.is_none())
}

/// The financial profile: the figures recorded on the investor first; for individuals, a
/// figure not recorded comes from the latest accreditation evidence that carries it (the most
/// recent year of `income` evidence, the `net_worth` of net-worth evidence), whatever that
/// verification's outcome: evidence that fell short of accreditation is exactly what the
/// limits of a non-accredited investor are computed from.
fn financial_profile(
    investor: &InvestorRow,
    evidence: &[&FinancialEvidence],
) -> (FinancialProfile, Value) {
    if investor.investor_type == InvestorType::Entity {
        let profile = FinancialProfile::entity(investor.annual_revenue, investor.net_assets);
        let sources = json!({
            "annual_revenue": investor.annual_revenue.map(|_| "investor"),
            "net_assets": investor.net_assets.map(|_| "investor"),
        });
        return (profile, sources);
    }
    let mut income = investor.annual_income.map(|v| (v, "investor".to_owned()));
    let mut net_worth = investor.net_worth.map(|v| (v, "investor".to_owned()));
    let latest = |method: &str| evidence.iter().find(|e| e.method == method);
    if income.is_none()
        && let Some(e) = latest("income")
    {
        income = e.input["evidence"]["annual_income"]
            .as_array()
            .and_then(|years| years.last())
            .and_then(decimal_at)
            .map(|v| (v, e.check_id.to_string()));
    }
    if net_worth.is_none()
        && let Some(e) = latest("net_worth")
    {
        net_worth =
            decimal_at(&e.input["evidence"]["net_worth"]).map(|v| (v, e.check_id.to_string()));
    }
    let sources = json!({
        "annual_income": income.as_ref().map(|(_, s)| s),
        "net_worth": net_worth.as_ref().map(|(_, s)| s),
    });
    (
        FinancialProfile::individual(income.map(|(v, _)| v), net_worth.map(|(v, _)| v)),
        sources,
    )
}

/// Everything about each of `ids` the organization has (the others are absent). `lock` takes
/// the investors' rows for the rest of the transaction, in id order.
pub async fn gather_many(
    tx: &mut TenantTx,
    ids: &[InvestorId],
    now: OffsetDateTime,
    lock: bool,
) -> Result<HashMap<InvestorId, InvestorFacts>, sqlx::Error> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let rows = if lock {
        investors::lock_many(tx, &ids).await?
    } else {
        investors::get_many(tx, &ids).await?
    };
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<InvestorId> = rows.iter().map(|r| r.id).collect();
    let mut accreditations = accreditation_states(tx, &found, now).await?;
    let wanting: Vec<InvestorId> = rows
        .iter()
        .filter(|r| needs_evidence(r))
        .map(|r| r.id)
        .collect();
    let evidence = if wanting.is_empty() {
        Vec::new()
    } else {
        checks::financial_evidence(tx, &wanting).await?
    };
    let mut out = HashMap::with_capacity(rows.len());
    for investor in rows {
        let own: Vec<&FinancialEvidence> = evidence
            .iter()
            .filter(|e| e.investor_id == investor.id)
            .collect();
        let (profile, profile_sources) = financial_profile(&investor, &own);
        let (accreditation, check) = accreditations
            .remove(&investor.id)
            .unwrap_or((AccreditationState::None, None));
        out.insert(
            investor.id,
            InvestorFacts {
                kyc: investor.kyc_status,
                sanctions: investor.sanctions_status,
                accreditation,
                accreditation_check: check,
                profile,
                profile_sources,
                investor,
            },
        );
    }
    Ok(out)
}

/// Everything about the investor, or `None` when the organization has no such investor.
/// `lock` takes the investor's row for the rest of the transaction.
pub async fn gather(
    tx: &mut TenantTx,
    id: InvestorId,
    now: OffsetDateTime,
    lock: bool,
) -> Result<Option<InvestorFacts>, sqlx::Error> {
    Ok(gather_many(tx, &[id], now, lock).await?.remove(&id))
}
