//! Correcting an investor (`PATCH /v1/investors/{id}`): the changes merged into the record,
//! validated as on create, recorded for audit, and the KYC invalidated when the identity it
//! verified changed.

use compliance::pretrade::{KycStatus, SanctionsStatus};
use iam_sdk::Caller;
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::Date;
use utoipa::ToSchema;

use super::validate::{Errors, validate};
use super::{
    BeneficialOwnerInput, BeneficialOwnerView, CreateInvestor, InvestorView, external_ref_taken,
    identity, load, new_owners,
};
use crate::AppState;
use crate::store::checks::{self, NewCheck};
use crate::store::investors::{self as store, InvestorRow, InvestorUpdate, OwnerRow};
use crate::wire::{CheckKind, CheckReason, ORGANIZATION_REFUSED, reasons_json};

/// `null` in a body is `Some(None)`, an absent field `None` (with `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The fields of an investor that can change. Absent fields are kept; `null` clears an optional
/// field (`date_of_birth`, `external_ref`, the financial figures).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInvestor {
    /// Changing it invalidates the KYC (see the operation).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub legal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Changing it invalidates the KYC.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    /// Individuals only. Changing it invalidates the KYC.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Date>)]
    pub date_of_birth: Option<Option<Date>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub external_ref: Option<Option<String>>,
    /// Entities only: replaces the whole list. A change of the persons (name, country, date
    /// of birth) invalidates the KYC; a change of percentages alone does not.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<BeneficialOwnerInput>>)]
    pub beneficial_owners: Option<Option<Vec<BeneficialOwnerInput>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub annual_income: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub net_worth: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub annual_revenue: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub net_assets: Option<Option<Decimal>>,
    /// Refused: the type of an investor never changes.
    #[serde(default, rename = "type", deserialize_with = "present")]
    #[schema(ignore)]
    pub investor_type: Option<Option<serde_json::Value>>,
    /// Refused: the organization is the caller's, from the token.
    #[serde(default, deserialize_with = "present")]
    #[schema(ignore)]
    pub organization_id: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateSummary {
    /// The `investor_update` check recording the change (none when nothing changed).
    pub check_id: Option<CheckId>,
    /// The fields whose value changed.
    pub changed: Vec<String>,
    /// The change touched the identity KYC verified (legal name, country, date of birth, the
    /// beneficial owners): `kyc_status` and `sanctions_status` are back to `none` and KYC must
    /// be run again before the investor may trade.
    pub kyc_invalidated: bool,
    /// What the caller must do next, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdatedInvestor {
    #[serde(flatten)]
    pub investor: InvestorView,
    pub update: UpdateSummary,
}

/// What a PATCH may never do: name the organization, change the type, clear a required field.
fn refuse_forbidden(patch: &UpdateInvestor) -> ApiResult<()> {
    if patch.organization_id.is_some() {
        return Err(ApiError::validation(
            "organization_id",
            ORGANIZATION_REFUSED,
        ));
    }
    if patch.investor_type.is_some() {
        return Err(ApiError::validation(
            "type",
            "is immutable: register a new investor for another type",
        ));
    }
    let nulls: Errors = [
        ("legal_name", matches!(patch.legal_name, Some(None))),
        ("email", matches!(patch.email, Some(None))),
        ("country", matches!(patch.country, Some(None))),
        (
            "beneficial_owners",
            matches!(patch.beneficial_owners, Some(None)),
        ),
    ]
    .into_iter()
    .filter(|(_, is_null)| *is_null)
    .map(|(field, _)| (field.to_owned(), "must not be null".to_owned()))
    .collect();
    if nulls.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation_fields(nulls))
    }
}

fn owner_input(o: &OwnerRow) -> BeneficialOwnerInput {
    BeneficialOwnerInput {
        name: o.name.clone(),
        ownership_percent: o.ownership_percent,
        country: o.country.clone(),
        date_of_birth: o.date_of_birth,
    }
}

/// The investor as it would be after the PATCH: absent fields kept, `null` clearing.
fn merge(patch: &UpdateInvestor, current: &InvestorRow, owners: &[OwnerRow]) -> CreateInvestor {
    let text = |p: &Option<Option<String>>, old: &str| p.clone().flatten().unwrap_or(old.into());
    let figure = |p: &Option<Option<Decimal>>, old: Option<Decimal>| p.unwrap_or(old);
    CreateInvestor {
        investor_type: current.investor_type,
        legal_name: text(&patch.legal_name, &current.legal_name),
        email: text(&patch.email, &current.email),
        country: text(&patch.country, &current.country),
        date_of_birth: patch.date_of_birth.unwrap_or(current.date_of_birth),
        external_ref: patch
            .external_ref
            .clone()
            .unwrap_or_else(|| current.external_ref.clone()),
        beneficial_owners: match &patch.beneficial_owners {
            Some(Some(v)) => v.clone(),
            _ => owners.iter().map(owner_input).collect(),
        },
        annual_income: figure(&patch.annual_income, current.annual_income),
        net_worth: figure(&patch.net_worth, current.net_worth),
        annual_revenue: figure(&patch.annual_revenue, current.annual_revenue),
        net_assets: figure(&patch.net_assets, current.net_assets),
        organization_id: None,
    }
}

fn owners_json(owners: &[BeneficialOwnerView]) -> Value {
    serde_json::to_value(owners).unwrap_or_default()
}

/// The owners in order (the list is replaced), percentages compared as numbers.
fn owners_key(v: &[BeneficialOwnerView]) -> Vec<(String, String, Date, Decimal)> {
    v.iter()
        .map(|o| {
            let percent = o.ownership_percent.normalize();
            (o.name.clone(), o.country.clone(), o.date_of_birth, percent)
        })
        .collect()
}

/// What changed, field by field (`{"field": {"from", "to"}}`).
fn changes(
    current: &InvestorRow,
    old_owners: &[BeneficialOwnerView],
    update: &InvestorUpdate<'_>,
    new_owners: &[BeneficialOwnerView],
) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut note = |field: &str, from: Value, to: Value| {
        if from != to {
            changes.insert(field.to_owned(), json!({"from": from, "to": to}));
        }
    };
    note(
        "legal_name",
        json!(current.legal_name),
        json!(update.legal_name),
    );
    note("email", json!(current.email), json!(update.email));
    note("country", json!(current.country), json!(update.country));
    let (dob_from, dob_to) = (current.date_of_birth, update.date_of_birth);
    note("date_of_birth", json!(dob_from), json!(dob_to));
    let (ref_from, ref_to) = (&current.external_ref, update.external_ref);
    note("external_ref", json!(ref_from), json!(ref_to));
    for (field, from, to) in [
        ("annual_income", current.annual_income, update.annual_income),
        ("net_worth", current.net_worth, update.net_worth),
        (
            "annual_revenue",
            current.annual_revenue,
            update.annual_revenue,
        ),
        ("net_assets", current.net_assets, update.net_assets),
    ] {
        // 100 and 100.00 are the same figure.
        if from.map(|d| d.normalize()) != to.map(|d| d.normalize()) {
            note(field, json!(from), json!(to));
        }
    }
    if owners_key(old_owners) != owners_key(new_owners) {
        note(
            "beneficial_owners",
            owners_json(old_owners),
            owners_json(new_owners),
        );
    }
    changes
}

/// The `investor_update` check of a change.
fn update_check<'a>(
    caller: &'a Caller,
    id: InvestorId,
    current: &InvestorRow,
    raw: Value,
    changes: Map<String, Value>,
    (identity_changed, kyc_invalidated): (bool, bool),
    now: time::OffsetDateTime,
) -> NewCheck<'a> {
    let status = if kyc_invalidated {
        "kyc_invalidated"
    } else {
        "updated"
    };
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut check = NewCheck::new(CheckKind::InvestorUpdate, status, by, now);
    check.investor_id = Some(id);
    check.input = raw;
    let (kyc, sanctions) = (current.kyc_status, current.sanctions_status);
    check.details = json!({
        "changes": changes,
        "identity_changed": identity_changed,
        "kyc_invalidated": kyc_invalidated,
        "before": {
            "kyc_status": kyc,
            "sanctions_status": sanctions,
            "kyc_check_id": current.kyc_check_id,
        },
        "after": if kyc_invalidated {
            json!({"kyc_status": KycStatus::None, "sanctions_status": SanctionsStatus::None})
        } else {
            json!({"kyc_status": kyc, "sanctions_status": sanctions})
        },
    });
    if kyc_invalidated {
        check.reasons = reasons_json(&[CheckReason::new(
            "kyc_invalidated",
            "the investor's legal name, country, date of birth or beneficial owners changed: \
             the KYC no longer applies; run KYC again",
        )
        .with_details(json!({"previous_kyc_check_id": current.kyc_check_id}))]);
    }
    check
}

async fn reload(tx: &mut TenantTx, id: InvestorId) -> ApiResult<InvestorView> {
    load(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {id} vanished")))
}

/// Applies a PATCH (`raw` is the body as sent, kept in the audit record).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: InvestorId,
    patch: UpdateInvestor,
    raw: Value,
) -> ApiResult<UpdatedInvestor> {
    refuse_forbidden(&patch)?;
    let now = state.clock.now();
    let mut tx = state.begin(&caller.org_id).await?;
    let current = store::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let current_owners = store::owners(&mut tx, &[id]).await?;
    let merged = merge(&patch, &current, &current_owners);
    let errors = validate(&merged, state.clock.today());
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }
    let owners = new_owners(&merged.beneficial_owners);
    let update = InvestorUpdate {
        legal_name: merged.legal_name.trim(),
        email: merged.email.trim(),
        country: &merged.country,
        date_of_birth: merged.date_of_birth,
        external_ref: merged.external_ref.as_deref().map(str::trim),
        annual_income: merged.annual_income,
        net_worth: merged.net_worth,
        annual_revenue: merged.annual_revenue,
        net_assets: merged.net_assets,
        updated_at: now,
    };
    let old_views: Vec<BeneficialOwnerView> = current_owners
        .iter()
        .map(BeneficialOwnerView::from)
        .collect();
    let new_rows: Vec<OwnerRow> = owners
        .iter()
        .enumerate()
        .map(|(i, o)| OwnerRow {
            investor_id: id,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            name: o.name.to_owned(),
            ownership_percent: o.ownership_percent,
            country: o.country.to_owned(),
            date_of_birth: o.date_of_birth,
            owner_key: o.owner_key.clone(),
        })
        .collect();
    let new_views: Vec<BeneficialOwnerView> =
        new_rows.iter().map(BeneficialOwnerView::from).collect();
    let changes = changes(&current, &old_views, &update, &new_views);
    let changed: Vec<String> = changes.keys().cloned().collect();
    if changed.is_empty() {
        let investor = reload(&mut tx, id).await?;
        tx.commit().await?;
        let update = UpdateSummary {
            check_id: None,
            changed,
            kyc_invalidated: false,
            message: None,
        };
        return Ok(UpdatedInvestor { investor, update });
    }

    let new_row = InvestorRow {
        legal_name: update.legal_name.to_owned(),
        country: update.country.to_owned(),
        date_of_birth: update.date_of_birth,
        ..current.clone()
    };
    let identity_changed = identity(&current, &current_owners) != identity(&new_row, &new_rows);
    let had_kyc =
        current.kyc_status != KycStatus::None || current.sanctions_status != SanctionsStatus::None;
    let kyc_invalidated = identity_changed && had_kyc;

    if !store::update(&mut tx, id, &update).await? {
        let taken = update.external_ref.unwrap_or_default();
        return Err(external_ref_taken(&mut tx, taken).await?);
    }
    if changes.contains_key("beneficial_owners") {
        store::replace_owners(&mut tx, id, &owners).await?;
    }
    let flags = (identity_changed, kyc_invalidated);
    let check = update_check(caller, id, &current, raw, changes, flags, now);
    checks::insert(&mut tx, &check).await?;
    if kyc_invalidated {
        let (kyc, sanctions) = (KycStatus::None, SanctionsStatus::None);
        store::set_kyc_state(&mut tx, id, kyc, sanctions, check.id, now).await?;
    }
    let investor = reload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(UpdatedInvestor {
        investor,
        update: UpdateSummary {
            check_id: Some(check.id),
            changed,
            kyc_invalidated,
            message: kyc_invalidated.then(|| {
                "the identity KYC verified changed: kyc_status and sanctions_status are none \
                 until POST /v1/investors/{id}/kyc runs again"
                    .to_owned()
            }),
        },
    })
}
