//! `POST /v1/investors`, `GET /v1/investors`, `GET /v1/investors/{id}`,
//! `PATCH /v1/investors/{id}`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Page};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, Month, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::{MANAGERS, today};
use crate::AppState;
use crate::ids::{CheckId, InvestorId};
use crate::store::checks::{self, NewCheck};
use crate::store::investors::{self as store, InvestorRow, NewInvestor, NewOwner, OwnerRow};
use crate::wire::{CheckReason, MAX_AMOUNT, Paging, reasons_json};

/// Who may read investors: compliance (and admins), and the platform's services.
pub const INVESTOR_READERS: &[&str] = &["compliance", "internal"];

/// Age of majority for opening an account: individuals younger than this are refused.
pub const MINIMUM_AGE_YEARS: i32 = 18;
/// Beneficial owners declared for KYB own at least this percentage (FinCEN CDD rule,
/// 31 CFR 1010.230: each individual owning 25% or more of the equity interests).
pub const BENEFICIAL_OWNER_MIN_PERCENT: Decimal = Decimal::from_parts(25, 0, 0, false, 0);
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvestorKind {
    Individual,
    Entity,
}

impl InvestorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Entity => "entity",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KycStatusName {
    None,
    Approved,
    Rejected,
    Review,
}

impl KycStatusName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Review => "review",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SanctionsStatusName {
    None,
    Clear,
    Hit,
    Review,
}

impl SanctionsStatusName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Clear => "clear",
            Self::Hit => "hit",
            Self::Review => "review",
        }
    }
}

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
    pub investor_type: InvestorKind,
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvestorView {
    pub id: InvestorId,
    #[serde(rename = "type")]
    pub investor_type: String,
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
    pub kyc_status: String,
    /// Our OFAC screening and jurisdiction check: `none`, `clear`, `hit`, `review`.
    pub sanctions_status: String,
    /// The latest KYC check (`GET /v1/compliance/checks/{id}`).
    pub kyc_check_id: Option<CheckId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl InvestorView {
    pub fn new(row: InvestorRow, owners: Vec<OwnerRow>) -> Self {
        Self {
            id: row.id,
            investor_type: row.investor_type,
            legal_name: row.legal_name,
            email: row.email,
            country: row.country,
            date_of_birth: row.date_of_birth,
            external_ref: row.external_ref,
            beneficial_owners: owners
                .into_iter()
                .map(|o| BeneficialOwnerView {
                    name: o.name,
                    ownership_percent: o.ownership_percent,
                    country: o.country,
                    date_of_birth: o.date_of_birth,
                })
                .collect(),
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

type Errors = Vec<(String, String)>;

fn check_name(field: &str, s: &str, errors: &mut Errors) {
    let t = s.trim();
    if t.is_empty() {
        errors.push((field.to_owned(), "must not be empty".to_owned()));
    } else if t.chars().count() > MAX_TEXT {
        errors.push((field.to_owned(), format!("at most {MAX_TEXT} characters")));
    } else if t.chars().any(char::is_control) {
        errors.push((
            field.to_owned(),
            "must not contain control characters".to_owned(),
        ));
    } else if !t.chars().any(char::is_alphanumeric) {
        errors.push((
            field.to_owned(),
            "must contain at least one letter or digit".to_owned(),
        ));
    }
}

/// An address of the form `local@domain.tld`: no spaces, one `@`, a domain of dot-separated
/// labels (letters, digits, hyphens) ending in an alphabetic top-level domain.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// An assigned ISO 3166-1 alpha-2 code, uppercase, with a message that says how to fix it.
pub fn check_country(field: &str, s: &str, errors: &mut Errors) {
    if sanctions::is_iso_alpha2(s) {
        return;
    }
    let upper = s.trim().to_ascii_uppercase();
    let message = if upper == "UK" {
        "UK is not an ISO 3166-1 alpha-2 code; the United Kingdom is GB".to_owned()
    } else if upper != s && sanctions::is_iso_alpha2(&upper) {
        format!("must be uppercase ISO 3166-1 alpha-2: {upper}")
    } else {
        "must be an assigned ISO 3166-1 alpha-2 code, e.g. US".to_owned()
    };
    errors.push((field.to_owned(), message));
}

/// `date` plus `years` calendar years; 29 February becomes 1 March in common years.
pub fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
        .unwrap_or(date)
}

fn earliest_birth_date() -> Date {
    Date::from_calendar_date(1900, Month::January, 1).unwrap_or(Date::MIN)
}

fn check_amount(field: &str, v: Option<Decimal>, errors: &mut Errors) {
    match v {
        Some(d) if d.is_sign_negative() && !d.is_zero() => {
            errors.push((field.to_owned(), "must not be negative".to_owned()));
        }
        Some(d) if d > MAX_AMOUNT => {
            errors.push((field.to_owned(), format!("must be at most {MAX_AMOUNT}")));
        }
        _ => {}
    }
}

/// Everything wrong with the body, each field named.
fn validate(b: &CreateInvestor, today: Date) -> Errors {
    let mut errors = Errors::new();
    check_name("legal_name", &b.legal_name, &mut errors);
    if !valid_email(b.email.trim()) {
        errors.push((
            "email".to_owned(),
            "must be an email address such as name@example.com".to_owned(),
        ));
    }
    check_country("country", &b.country, &mut errors);
    if let Some(r) = &b.external_ref {
        let r = r.trim();
        if r.is_empty() || r.chars().count() > 128 || r.chars().any(char::is_control) {
            errors.push((
                "external_ref".to_owned(),
                "1 to 128 characters, no control characters".to_owned(),
            ));
        }
    }
    let individual = b.investor_type == InvestorKind::Individual;
    if let Some(dob) = b.date_of_birth {
        if !individual {
            errors.push((
                "date_of_birth".to_owned(),
                "only individuals have a date of birth; an entity's owners carry theirs".to_owned(),
            ));
        } else if dob < earliest_birth_date() {
            errors.push((
                "date_of_birth".to_owned(),
                "must be on or after 1900-01-01".to_owned(),
            ));
        } else if add_years(dob, MINIMUM_AGE_YEARS) > today {
            errors.push((
                "date_of_birth".to_owned(),
                format!("the investor must be at least {MINIMUM_AGE_YEARS} years old"),
            ));
        }
    }
    for (field, value) in [
        ("annual_income", b.annual_income),
        ("net_worth", b.net_worth),
        ("annual_revenue", b.annual_revenue),
        ("net_assets", b.net_assets),
    ] {
        check_amount(field, value, &mut errors);
    }
    let wrong_profile = if individual {
        [
            ("annual_revenue", b.annual_revenue),
            ("net_assets", b.net_assets),
        ]
    } else {
        [
            ("annual_income", b.annual_income),
            ("net_worth", b.net_worth),
        ]
    };
    for (field, value) in wrong_profile {
        if value.is_some() {
            errors.push((
                field.to_owned(),
                format!("not a figure of an {}", b.investor_type.as_str()),
            ));
        }
    }
    if individual && !b.beneficial_owners.is_empty() {
        errors.push((
            "beneficial_owners".to_owned(),
            "only entities declare beneficial owners".to_owned(),
        ));
    }
    let mut total = Decimal::ZERO;
    for (i, o) in b.beneficial_owners.iter().enumerate() {
        let f = |name: &str| format!("beneficial_owners[{i}].{name}");
        check_name(&f("name"), &o.name, &mut errors);
        if o.ownership_percent < BENEFICIAL_OWNER_MIN_PERCENT
            || o.ownership_percent > Decimal::ONE_HUNDRED
        {
            errors.push((
                f("ownership_percent"),
                "must be between 25 and 100: only owners of 25% or more are declared".to_owned(),
            ));
        }
        total += o.ownership_percent;
        check_country(&f("country"), &o.country, &mut errors);
        if o.date_of_birth < earliest_birth_date() || o.date_of_birth > today {
            errors.push((
                f("date_of_birth"),
                "must be between 1900-01-01 and today".to_owned(),
            ));
        }
    }
    if total > Decimal::ONE_HUNDRED {
        errors.push((
            "beneficial_owners".to_owned(),
            format!("ownership totals {total}%, more than 100%"),
        ));
    }
    errors
}

/// Registers an investor.
#[utoipa::path(post, path = "/v1/investors", tag = "investors",
    request_body = CreateInvestor,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Roles admin, compliance. The investor starts with `kyc_status` and \
`sanctions_status` `none`: run `POST /v1/investors/{id}/kyc` next. Individuals must be 18 or \
older (born on or after 1900-01-01). Entities declare each natural person owning 25% or more \
(FinCEN CDD rule) in `beneficial_owners`; each is screened at KYC and counts for wash-trade \
surveillance. The optional financial figures feed the Reg CF / Reg A tier 2 investment limits \
(see `POST /v1/compliance/pre-trade`). Unknown fields are refused, `organization_id` included: \
the organization is the token's.",
    responses(
        (status = 201, description = "The investor", body = InvestorView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 409, description = "external_ref already used in the organization, or Idempotency-Key reused", body = ErrorBody),
    ))]
pub async fn create_investor(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, ApiJson<InvestorView>)> {
    caller.require_any_role(MANAGERS)?;
    let body: CreateInvestor = parse_json(&body)?;
    if body.organization_id.is_some() {
        return Err(ApiError::validation(
            "organization_id",
            "must not be sent: the organization is the caller's, from the token",
        ));
    }
    let errors = validate(&body, today());
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }
    let now = platform::time::now();
    let id = InvestorId::new();
    let owners: Vec<NewOwner<'_>> = body
        .beneficial_owners
        .iter()
        .map(|o| NewOwner {
            name: o.name.trim(),
            ownership_percent: o.ownership_percent,
            country: &o.country,
            date_of_birth: o.date_of_birth,
            owner_key: store::person_key(o.name.trim(), o.date_of_birth),
        })
        .collect();
    let external_ref = body.external_ref.as_deref().map(str::trim);
    let mut tx = state.pool().begin().await?;
    let inserted = store::insert(
        &mut tx,
        &NewInvestor {
            id,
            org_id: &caller.org_id,
            investor_type: body.investor_type.as_str(),
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
        },
        &owners,
    )
    .await?;
    if !inserted {
        drop(tx);
        let r = external_ref.unwrap_or_default();
        let mut err = ApiError::conflict(format!(
            "external_ref {r:?} is already used by another investor of the organization"
        ))
        .with_detail("external_ref", r);
        if let Some(existing) = store::id_by_external_ref(state.pool(), &caller.org_id, r).await? {
            err = err.with_detail("investor_id", existing);
        }
        return Err(err);
    }
    let view = load(&mut tx, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {id} vanished")))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// The investor with its beneficial owners.
pub async fn load(
    conn: &mut sqlx::PgConnection,
    org_id: &str,
    id: InvestorId,
) -> Result<Option<InvestorView>, sqlx::Error> {
    let Some(row) = store::get(conn, org_id, id).await? else {
        return Ok(None);
    };
    let owners = store::owners(conn, org_id, &[id]).await?;
    Ok(Some(InvestorView::new(row, owners)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestorQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", inline)]
    pub investor_type: Option<InvestorKind>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    #[param(inline)]
    pub kyc_status: Option<KycStatusName>,
    #[param(inline)]
    pub sanctions_status: Option<SanctionsStatusName>,
    pub external_ref: Option<String>,
}

/// Lists the organization's investors, oldest first.
#[utoipa::path(get, path = "/v1/investors", tag = "investors",
    params(InvestorQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services. Filters combine with AND.",
    responses(
        (status = 200, description = "A page of investors (`data`, `next_cursor`)", body = inline(Page<InvestorView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn list_investors(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InvestorQuery>,
) -> ApiResult<ApiJson<Page<InvestorView>>> {
    caller.require_any_role(INVESTOR_READERS)?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let after = paging.after(InvestorId::parse)?;
    let rows = store::list(
        state.pool(),
        &caller.org_id,
        &store::ListFilter {
            after,
            investor_type: q.investor_type.map(InvestorKind::as_str),
            country: q.country.as_deref(),
            kyc_status: q.kyc_status.map(KycStatusName::as_str),
            sanctions_status: q.sanctions_status.map(SanctionsStatusName::as_str),
            external_ref: q.external_ref.as_deref(),
            limit: limit + 1,
        },
    )
    .await?;
    let ids: Vec<InvestorId> = rows.iter().map(|r| r.id).collect();
    let mut conn = state.pool().acquire().await?;
    let mut owners: HashMap<InvestorId, Vec<OwnerRow>> = HashMap::new();
    for o in store::owners(&mut conn, &caller.org_id, &ids).await? {
        owners.entry(o.investor_id).or_default().push(o);
    }
    let views: Vec<InvestorView> = rows
        .into_iter()
        .map(|r| {
            let o = owners.remove(&r.id).unwrap_or_default();
            InvestorView::new(r, o)
        })
        .collect();
    Ok(ApiJson(Page::from_rows(views, limit, |v| v.id.to_string())))
}

/// One investor.
#[utoipa::path(get, path = "/v1/investors/{id}", tag = "investors",
    params(("id" = String, Path, description = "`inv_…`")),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services. Another organization's \
investor answers 404 like an unknown one.",
    responses(
        (status = 200, description = "The investor", body = InvestorView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn get_investor(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<InvestorView>> {
    caller.require_any_role(INVESTOR_READERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let mut conn = state.pool().acquire().await?;
    let view = load(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    Ok(ApiJson(view))
}

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

fn owners_json(owners: &[BeneficialOwnerView]) -> serde_json::Value {
    serde_json::to_value(owners).unwrap_or_default()
}

/// Corrects an investor's details.
#[utoipa::path(patch, path = "/v1/investors/{id}", tag = "investors",
    params(("id" = String, Path, description = "`inv_…`")),
    request_body = UpdateInvestor,
    security(("bearer" = [])),
    description = "Roles admin, compliance. Changes `email`, `external_ref`, `annual_income`, \
`net_worth`, `annual_revenue`, `net_assets`, `date_of_birth`, `beneficial_owners` (the whole \
list is replaced), `legal_name` and `country`. Absent fields are kept; `null` clears an \
optional one (`date_of_birth`, `external_ref`, the figures) and is refused for `legal_name`, \
`email`, `country` and `beneficial_owners` (send `[]`). The investor as changed is validated as \
on create (every field named), `type` is immutable and any other field, `organization_id` \
included, is 400. `external_ref` must stay unique in the organization (409 `CONFLICT`).\n\n\
Identity: the legal name, the country, the date of birth and the beneficial owners (their \
names, countries and dates of birth; not their percentages) are what KYC verified and \
screened. Changing any of them invalidates the KYC: `kyc_status` and `sanctions_status` go \
back to `none` (the investor is not eligible) until `POST /v1/investors/{id}/kyc` runs again, \
which screens the new identity; the answer says so in `update.kyc_invalidated`. A provider's \
webhook about the old identity is then recorded but not applied, and a KYC review can no \
longer be decided. False positives approved for the old name do not apply to a new one.\n\n\
Each change is recorded for audit as a check of kind `investor_update` (every field's old and \
new value, who, and whether the KYC was invalidated; `GET /v1/investors/{id}/checks`). A PATCH \
that changes nothing records nothing. PATCH is idempotent: sending it again changes nothing \
and needs no `Idempotency-Key`.",
    responses(
        (status = 200, description = "The investor as changed, with `update`", body = UpdatedInvestor),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
        (status = 409, description = "external_ref already used by another investor of the organization", body = ErrorBody),
    ))]
pub async fn patch_investor(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<ApiJson<UpdatedInvestor>> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let raw: serde_json::Value = parse_json(&body)?;
    if !raw.is_object() {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    let patch: UpdateInvestor = parse_json(&body)?;
    if patch.organization_id.is_some() {
        return Err(ApiError::validation(
            "organization_id",
            "must not be sent: the organization is the caller's, from the token",
        ));
    }
    if patch.investor_type.is_some() {
        return Err(ApiError::validation(
            "type",
            "is immutable: register a new investor for another type",
        ));
    }
    let mut nulls = Errors::new();
    for (field, is_null) in [
        ("legal_name", matches!(patch.legal_name, Some(None))),
        ("email", matches!(patch.email, Some(None))),
        ("country", matches!(patch.country, Some(None))),
        (
            "beneficial_owners",
            matches!(patch.beneficial_owners, Some(None)),
        ),
    ] {
        if is_null {
            nulls.push((field.to_owned(), "must not be null".to_owned()));
        }
    }
    if !nulls.is_empty() {
        return Err(ApiError::validation_fields(nulls));
    }

    let now = platform::time::now();
    let org = caller.org_id.as_str();
    let mut tx = state.pool().begin().await?;
    let current = store::get_for_update(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let current_owners = store::owners(&mut tx, org, &[id]).await?;
    let investor_type = if current.investor_type == "entity" {
        InvestorKind::Entity
    } else {
        InvestorKind::Individual
    };
    let pick = |p: &Option<Option<Decimal>>, old: Option<Decimal>| match p {
        Some(v) => *v,
        None => old,
    };
    let merged = CreateInvestor {
        investor_type,
        legal_name: patch
            .legal_name
            .clone()
            .flatten()
            .unwrap_or_else(|| current.legal_name.clone()),
        email: patch
            .email
            .clone()
            .flatten()
            .unwrap_or_else(|| current.email.clone()),
        country: patch
            .country
            .clone()
            .flatten()
            .unwrap_or_else(|| current.country.clone()),
        date_of_birth: match patch.date_of_birth {
            Some(v) => v,
            None => current.date_of_birth,
        },
        external_ref: match &patch.external_ref {
            Some(v) => v.clone(),
            None => current.external_ref.clone(),
        },
        beneficial_owners: match &patch.beneficial_owners {
            Some(Some(v)) => v.clone(),
            _ => current_owners
                .iter()
                .map(|o| BeneficialOwnerInput {
                    name: o.name.clone(),
                    ownership_percent: o.ownership_percent,
                    country: o.country.clone(),
                    date_of_birth: o.date_of_birth,
                })
                .collect(),
        },
        annual_income: pick(&patch.annual_income, current.annual_income),
        net_worth: pick(&patch.net_worth, current.net_worth),
        annual_revenue: pick(&patch.annual_revenue, current.annual_revenue),
        net_assets: pick(&patch.net_assets, current.net_assets),
        organization_id: None,
    };
    let errors = validate(&merged, today());
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }

    let new_owners: Vec<NewOwner<'_>> = merged
        .beneficial_owners
        .iter()
        .map(|o| NewOwner {
            name: o.name.trim(),
            ownership_percent: o.ownership_percent,
            country: &o.country,
            date_of_birth: o.date_of_birth,
            owner_key: store::person_key(o.name.trim(), o.date_of_birth),
        })
        .collect();
    let update = store::InvestorUpdate {
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

    // What changed, field by field.
    let old_owner_views: Vec<BeneficialOwnerView> = current_owners
        .iter()
        .map(|o| BeneficialOwnerView {
            name: o.name.clone(),
            ownership_percent: o.ownership_percent,
            country: o.country.clone(),
            date_of_birth: o.date_of_birth,
        })
        .collect();
    let new_owner_views: Vec<BeneficialOwnerView> = new_owners
        .iter()
        .map(|o| BeneficialOwnerView {
            name: o.name.to_owned(),
            ownership_percent: o.ownership_percent,
            country: o.country.to_owned(),
            date_of_birth: o.date_of_birth,
        })
        .collect();
    let mut changes = serde_json::Map::new();
    let mut note = |field: &str, from: serde_json::Value, to: serde_json::Value| {
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
    note(
        "date_of_birth",
        json!(current.date_of_birth),
        json!(update.date_of_birth),
    );
    note(
        "external_ref",
        json!(current.external_ref),
        json!(update.external_ref),
    );
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
    // In order (the list is replaced), percentages compared as numbers.
    let owners_changed = {
        let key = |v: &[BeneficialOwnerView]| -> Vec<(String, String, Date, Decimal)> {
            v.iter()
                .map(|o| {
                    (
                        o.name.clone(),
                        o.country.clone(),
                        o.date_of_birth,
                        o.ownership_percent.normalize(),
                    )
                })
                .collect()
        };
        key(&old_owner_views) != key(&new_owner_views)
    };
    if owners_changed {
        note(
            "beneficial_owners",
            owners_json(&old_owner_views),
            owners_json(&new_owner_views),
        );
    }
    let changed: Vec<String> = changes.keys().cloned().collect();

    if changed.is_empty() {
        let investor = load(&mut tx, org, id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {id} vanished")))?;
        tx.commit().await?;
        return Ok(ApiJson(UpdatedInvestor {
            investor,
            update: UpdateSummary {
                check_id: None,
                changed,
                kyc_invalidated: false,
                message: None,
            },
        }));
    }

    let new_row = InvestorRow {
        legal_name: update.legal_name.to_owned(),
        country: update.country.to_owned(),
        date_of_birth: update.date_of_birth,
        ..current.clone()
    };
    let new_owner_rows: Vec<OwnerRow> = new_owners
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
    let identity_changed = super::kyc::identity(&current, &current_owners)
        != super::kyc::identity(&new_row, &new_owner_rows);
    let had_kyc = current.kyc_status != "none" || current.sanctions_status != "none";
    let kyc_invalidated = identity_changed && had_kyc;

    if !store::update(&mut tx, org, id, &update).await? {
        drop(tx);
        let r = update.external_ref.unwrap_or_default();
        let mut err = ApiError::conflict(format!(
            "external_ref {r:?} is already used by another investor of the organization"
        ))
        .with_detail("external_ref", r);
        if let Some(existing) = store::id_by_external_ref(state.pool(), org, r).await? {
            err = err.with_detail("investor_id", existing);
        }
        return Err(err);
    }
    if owners_changed {
        store::replace_owners(&mut tx, org, id, &new_owners).await?;
    }
    let mut check = NewCheck::new(
        org,
        "investor_update",
        if kyc_invalidated {
            "kyc_invalidated"
        } else {
            "updated"
        },
        (&caller.subject, &caller.name),
        now,
    );
    check.investor_id = Some(id);
    check.input = raw;
    check.details = json!({
        "changes": changes,
        "identity_changed": identity_changed,
        "kyc_invalidated": kyc_invalidated,
        "before": {
            "kyc_status": current.kyc_status,
            "sanctions_status": current.sanctions_status,
            "kyc_check_id": current.kyc_check_id,
        },
        "after": if kyc_invalidated {
            json!({"kyc_status": "none", "sanctions_status": "none"})
        } else {
            json!({"kyc_status": current.kyc_status, "sanctions_status": current.sanctions_status})
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
    checks::insert(&mut tx, &check).await?;
    if kyc_invalidated {
        store::set_kyc_state(&mut tx, org, id, "none", "none", check.id, now).await?;
    }
    let investor = load(&mut tx, org, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("investor {id} vanished")))?;
    tx.commit().await?;
    Ok(ApiJson(UpdatedInvestor {
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
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "x_y@sub-domain.org",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.co",
            "a b@c.co",
            ".a@b.co",
            "a..b@c.co",
            "a@-b.co",
            "a@b.c",
            "a@b.c0",
            "a@b..co",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn leap_day_birthdays() {
        assert_eq!(add_years(date!(2008 - 02 - 29), 18), date!(2026 - 03 - 01));
        assert_eq!(add_years(date!(2008 - 03 - 15), 18), date!(2026 - 03 - 15));
    }
}
