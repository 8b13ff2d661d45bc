//! Investors and their beneficial owners: registering one, reading them, correcting one
//! ([`update`]).

pub mod lookup;
pub mod update;
pub mod validate;

use std::collections::HashMap;

use compliance::InvestorType;
use compliance::pretrade::{KycStatus, SanctionsStatus};
use iam_sdk::Caller;
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult, ListParams, Page};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::store::investors::{self as store, InvestorRow, NewInvestor, NewOwner, OwnerRow};
use crate::wire::ORGANIZATION_REFUSED;

pub use update::{UpdateInvestor, UpdateSummary, UpdatedInvestor};

/// A natural person owning 25% or more of an entity (KYB). Screened against the OFAC list like
/// an individual investor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeneficialOwnerInput {
    /// Full legal name, at most 200 characters.
    pub name: String,
    /// 25 to 100; the owners of one entity total at most 100.
    #[schema(value_type = String, example = "40")]
    pub ownership_percent: Decimal,
    /// ISO 3166-1 alpha-2 country of residence, uppercase.
    pub country: String,
    pub date_of_birth: Date,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvestor {
    #[serde(rename = "type")]
    pub investor_type: InvestorType,
    /// 1 to 200 characters, with at least one letter or digit.
    pub legal_name: String,
    pub email: String,
    /// ISO 3166-1 alpha-2, uppercase (`US`, `GB`; `UK` and user-assigned codes are refused).
    pub country: String,
    /// Individuals only: between 1900-01-01 and the day the investor turned 18.
    pub date_of_birth: Option<Date>,
    /// The caller's own reference, unique in the organization (409 `CONFLICT` otherwise).
    pub external_ref: Option<String>,
    /// Entities only: each natural person owning 25% or more.
    #[serde(default)]
    pub beneficial_owners: Vec<BeneficialOwnerInput>,
    /// Individuals: self-reported annual income (USD), for the Reg CF / Reg A tier 2 limits.
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Decimal>,
    /// Individuals: self-reported net worth excluding the primary residence (USD).
    #[schema(value_type = Option<String>)]
    pub net_worth: Option<Decimal>,
    /// Entities: revenue of the most recent fiscal year (USD).
    #[schema(value_type = Option<String>)]
    pub annual_revenue: Option<Decimal>,
    /// Entities: net assets at the most recent fiscal year end (USD).
    #[schema(value_type = Option<String>)]
    pub net_assets: Option<Decimal>,
    /// Refused: the organization is the caller's, from the token.
    #[serde(default)]
    #[schema(ignore)]
    pub organization_id: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BeneficialOwnerView {
    pub name: String,
    #[schema(value_type = String)]
    pub ownership_percent: Decimal,
    pub country: String,
    pub date_of_birth: Date,
}

impl From<&OwnerRow> for BeneficialOwnerView {
    fn from(o: &OwnerRow) -> Self {
        Self {
            name: o.name.clone(),
            ownership_percent: o.ownership_percent,
            country: o.country.clone(),
            date_of_birth: o.date_of_birth,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvestorView {
    pub id: InvestorId,
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub investor_type: InvestorType,
    pub legal_name: String,
    pub email: String,
    pub country: String,
    pub date_of_birth: Option<Date>,
    pub external_ref: Option<String>,
    pub beneficial_owners: Vec<BeneficialOwnerView>,
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub net_worth: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub annual_revenue: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub net_assets: Option<Decimal>,
    /// The KYC/KYB provider's identity verification: `none`, `approved`, `rejected`, `review`.
    #[schema(value_type = String)]
    pub kyc_status: KycStatus,
    /// Our OFAC screening and jurisdiction check: `none`, `clear`, `hit`, `review`.
    #[schema(value_type = String)]
    pub sanctions_status: SanctionsStatus,
    /// The latest KYC check (`GET /v1/compliance/checks/{id}`).
    pub kyc_check_id: Option<CheckId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl InvestorView {
    pub fn new(row: InvestorRow, owners: &[OwnerRow]) -> Self {
        Self {
            id: row.id,
            investor_type: row.investor_type,
            legal_name: row.legal_name,
            email: row.email,
            country: row.country,
            date_of_birth: row.date_of_birth,
            external_ref: row.external_ref,
            beneficial_owners: owners.iter().map(BeneficialOwnerView::from).collect(),
            annual_income: row.annual_income,
            net_worth: row.net_worth,
            annual_revenue: row.annual_revenue,
            net_assets: row.net_assets,
            kyc_status: row.kyc_status,
            sanctions_status: row.sanctions_status,
            kyc_check_id: row.kyc_check_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The filters of `GET /v1/investors`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestorFilter {
    #[serde(rename = "type")]
    #[param(rename = "type", inline)]
    pub investor_type: Option<InvestorType>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    #[param(inline)]
    pub kyc_status: Option<KycStatus>,
    #[param(inline)]
    pub sanctions_status: Option<SanctionsStatus>,
    pub external_ref: Option<String>,
}

/// What KYC screens and the provider verifies: a change to any of it invalidates the KYC.
pub type Identity = (String, String, Option<Date>, Vec<(String, String, Date)>);

/// The investor's identity as KYC sees it; the owners sorted, so that their order does not
/// matter.
pub fn identity(investor: &InvestorRow, owners: &[OwnerRow]) -> Identity {
    let mut o: Vec<(String, String, Date)> = owners
        .iter()
        .map(|o| (o.name.clone(), o.country.clone(), o.date_of_birth))
        .collect();
    o.sort();
    (
        investor.legal_name.clone(),
        investor.country.clone(),
        investor.date_of_birth,
        o,
    )
}

/// The owners as the store writes them, names trimmed.
pub(crate) fn new_owners(owners: &[BeneficialOwnerInput]) -> Vec<NewOwner<'_>> {
    owners
        .iter()
        .map(|o| NewOwner {
            name: o.name.trim(),
            ownership_percent: o.ownership_percent,
            country: &o.country,
            date_of_birth: o.date_of_birth,
            owner_key: store::person_key(o.name.trim(), o.date_of_birth),
        })
        .collect()
}

/// The 409 of an `external_ref` another investor of the organization holds, naming it.
pub(crate) async fn external_ref_taken(
    tx: &mut TenantTx,
    external_ref: &str,
) -> Result<ApiError, sqlx::Error> {
    let mut err = ApiError::conflict(format!(
        "external_ref {external_ref:?} is already used by another investor of the organization"
    ))
    .with_detail("external_ref", external_ref);
    if let Some(existing) = store::id_by_external_ref(tx, external_ref).await? {
        err = err.with_detail("investor_id", existing);
    }
    Ok(err)
}

/// The investor with its beneficial owners.
pub(crate) async fn load(tx: &mut TenantTx, id: InvestorId) -> ApiResult<Option<InvestorView>> {
    let Some(row) = store::get(tx, id).await? else {
        return Ok(None);
    };
    let owners = store::owners(tx, &[id]).await?;
    Ok(Some(InvestorView::new(row, &owners)))
}

/// Registers an investor: `kyc_status` and `sanctions_status` start `none`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: CreateInvestor,
) -> ApiResult<InvestorView> {
    if body.organization_id.is_some() {
        return Err(ApiError::validation(
            "organization_id",
            ORGANIZATION_REFUSED,
        ));
    }
    let errors = validate::validate(&body, state.clock.today());
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }
    let now = state.clock.now();
    let id = InvestorId::new();
    let owners = new_owners(&body.beneficial_owners);
    let external_ref = body.external_ref.as_deref().map(str::trim);
    let mut tx = state.begin(&caller.org_id).await?;
    let new = NewInvestor {
        id,
        investor_type: body.investor_type,
        legal_name: body.legal_name.trim(),
        email: body.email.trim(),
        country: &body.country,
        date_of_birth: body.date_of_birth,
        external_ref,
        annual_income: body.annual_income,
        net_worth: body.net_worth,
        annual_revenue: body.annual_revenue,
        net_assets: body.net_assets,
        created_at: now,
        created_by: &caller.subject,
    };
    if !store::insert(&mut tx, &new, &owners).await? {
        return Err(external_ref_taken(&mut tx, external_ref.unwrap_or_default()).await?);
    }
    let view = load(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {id} vanished")))?;
    tx.commit().await?;
    Ok(view)
}

/// One investor of the caller's organization.
pub async fn get(state: &AppState, caller: &Caller, id: InvestorId) -> ApiResult<InvestorView> {
    let mut tx = state.begin(&caller.org_id).await?;
    let view = load(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    tx.commit().await?;
    Ok(view)
}

/// A page of the organization's investors, oldest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    page: &ListParams,
    filter: &InvestorFilter,
) -> ApiResult<Page<InvestorView>> {
    let limit = page.limit()?;
    let after = page.after_as(InvestorId::parse)?;
    let mut tx = state.begin(&caller.org_id).await?;
    let rows = store::list(
        &mut tx,
        &store::ListFilter {
            after,
            investor_type: filter.investor_type,
            country: filter.country.as_deref(),
            kyc_status: filter.kyc_status,
            sanctions_status: filter.sanctions_status,
            external_ref: filter.external_ref.as_deref(),
            limit: limit + 1,
        },
    )
    .await?;
    let ids: Vec<InvestorId> = rows.iter().map(|r| r.id).collect();
    let mut owners: HashMap<InvestorId, Vec<OwnerRow>> = HashMap::new();
    for o in store::owners(&mut tx, &ids).await? {
        owners.entry(o.investor_id).or_default().push(o);
    }
    tx.commit().await?;
    let views: Vec<InvestorView> = rows
        .into_iter()
        .map(|r| {
            let o = owners.remove(&r.id).unwrap_or_default();
            InvestorView::new(r, &o)
        })
        .collect();
    Ok(Page::from_rows(views, limit, |v| v.id.to_string()))
}
