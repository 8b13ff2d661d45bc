//! What the compliance rules need to know about an investor, gathered from the BD's records:
//! KYC and sanctions status, the accreditation in force, and the financial profile for the
//! investment limits.

use compliance::limits::FinancialProfile;
use compliance::pretrade::{AccreditationState, KycStatus, SanctionsStatus};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::ids::{CheckId, InvestorId};
use crate::store::checks::{self, CheckRow};
use crate::store::investors::{self, InvestorRow};

#[derive(Debug, Clone)]
pub struct InvestorFacts {
    pub investor: InvestorRow,
    pub kyc: KycStatus,
    pub sanctions: SanctionsStatus,
    pub accreditation: AccreditationState,
    /// The verification in force, or the latest one when none is.
    pub accreditation_check: Option<CheckId>,
    pub profile: FinancialProfile,
    /// Where each figure of the profile comes from (`investor` or the `chk_…` of an
    /// accreditation), for the audit trail.
    pub profile_sources: Value,
}

impl InvestorFacts {
    pub fn investor_type(&self) -> compliance::InvestorType {
        if self.investor.investor_type == "entity" {
            compliance::InvestorType::Entity
        } else {
            compliance::InvestorType::Individual
        }
    }
}

pub fn kyc_status(s: &str) -> KycStatus {
    match s {
        "approved" => KycStatus::Approved,
        "rejected" => KycStatus::Rejected,
        "review" => KycStatus::Review,
        _ => KycStatus::None,
    }
}

pub fn sanctions_status(s: &str) -> SanctionsStatus {
    match s {
        "clear" => SanctionsStatus::Clear,
        "hit" => SanctionsStatus::Hit,
        "review" => SanctionsStatus::Review,
        _ => SanctionsStatus::None,
    }
}

/// The accreditation in force at `now`: the valid verification lasting longest; without one,
/// the state of the latest request (an expired verification, a review, a rejection). A later
/// failed request does not revoke a verification still in force.
pub async fn accreditation_state(
    conn: &mut PgConnection,
    org_id: &str,
    investor: InvestorId,
    now: OffsetDateTime,
) -> Result<(AccreditationState, Option<CheckRow>), sqlx::Error> {
    if let Some(valid) = checks::valid_accreditation(conn, org_id, investor, now).await?
        && let Some(expires_at) = valid.expires_at
    {
        return Ok((AccreditationState::Verified { expires_at }, Some(valid)));
    }
    let latest = checks::accreditations(conn, org_id, investor, None, 1)
        .await?
        .into_iter()
        .next();
    let state = match latest.as_ref().map(|c| c.status.as_str()) {
        None => AccreditationState::None,
        Some("verified") => AccreditationState::Expired,
        Some("review") => AccreditationState::Review,
        Some(_) => AccreditationState::Rejected,
    };
    Ok((state, latest))
}

fn decimal_at(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// The financial profile: the figures recorded on the investor first; for individuals, a
/// figure not recorded comes from the latest accreditation evidence that carries it (the most
/// recent year of `income` evidence, the `net_worth` of net-worth evidence), whatever that
/// verification's outcome: evidence that fell short of accreditation is exactly what the
/// limits of a non-accredited investor are computed from.
pub async fn financial_profile(
    conn: &mut PgConnection,
    org_id: &str,
    investor: &InvestorRow,
) -> Result<(FinancialProfile, Value), sqlx::Error> {
    if investor.investor_type == "entity" {
        let profile = FinancialProfile::entity(investor.annual_revenue, investor.net_assets);
        let sources = json!({
            "annual_revenue": investor.annual_revenue.map(|_| "investor"),
            "net_assets": investor.net_assets.map(|_| "investor"),
        });
        return Ok((profile, sources));
    }
    let mut income = investor.annual_income.map(|v| (v, "investor".to_owned()));
    let mut net_worth = investor.net_worth.map(|v| (v, "investor".to_owned()));
    if income.is_none() || net_worth.is_none() {
        let evidence = checks::financial_evidence(conn, org_id, investor.id).await?;
        let latest = |method: &str| {
            evidence_of(&evidence, method).map(|(input, check)| (input.clone(), check))
        };
        if income.is_none()
            && let Some((input, check)) = latest("income")
        {
            income = input["evidence"]["annual_income"]
                .as_array()
                .and_then(|years| years.last())
                .and_then(decimal_at)
                .map(|v| (v, check));
        }
        if net_worth.is_none()
            && let Some((input, check)) = latest("net_worth")
        {
            net_worth = decimal_at(&input["evidence"]["net_worth"]).map(|v| (v, check));
        }
    }
    let sources = json!({
        "annual_income": income.as_ref().map(|(_, s)| s),
        "net_worth": net_worth.as_ref().map(|(_, s)| s),
    });
    Ok((
        FinancialProfile::individual(income.map(|(v, _)| v), net_worth.map(|(v, _)| v)),
        sources,
    ))
}

/// The evidence of `method` with the id of its check, from `financial_evidence`'s rows.
fn evidence_of<'a>(
    rows: &'a [(String, Value, CheckId)],
    method: &str,
) -> Option<(&'a Value, String)> {
    rows.iter()
        .find(|(m, _, _)| m == method)
        .map(|(_, input, id)| (input, id.to_string()))
}

/// Everything about the investor, or `None` when the organization has no such investor.
/// `lock` takes the investor's row for the rest of the transaction.
pub async fn gather(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    now: OffsetDateTime,
    lock: bool,
) -> Result<Option<InvestorFacts>, sqlx::Error> {
    let investor = if lock {
        investors::get_for_update(conn, org_id, id).await?
    } else {
        investors::get(conn, org_id, id).await?
    };
    let Some(investor) = investor else {
        return Ok(None);
    };
    let (accreditation, check) = accreditation_state(conn, org_id, id, now).await?;
    let (profile, profile_sources) = financial_profile(conn, org_id, &investor).await?;
    Ok(Some(InvestorFacts {
        kyc: kyc_status(&investor.kyc_status),
        sanctions: sanctions_status(&investor.sanctions_status),
        accreditation,
        accreditation_check: check.map(|c| c.id),
        profile,
        profile_sources,
        investor,
    }))
}
