//! `POST /v1/securities`, `GET /v1/securities`, `GET /v1/securities/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ListParams, Page};
use serde::Deserialize;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::{Admin, READERS, cursor_id};
use crate::AppState;
use crate::ids::SecurityId;
use crate::store::securities::{self, NewSecurity};
use crate::views::SecurityView;
use platform::Authorized;

/// The classes of stock the TA registers (those the Open Cap Table Format knows).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecurityClass {
    Common,
    Preferred,
}

impl SecurityClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Common => "common",
            Self::Preferred => "preferred",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSecurity {
    /// 1 to 16 characters: letters, digits, `.` and `-`; stored upper-case; unique in the
    /// organization.
    pub symbol: String,
    /// The security's name (e.g. "Acme Series A Preferred"), at most 200 characters.
    pub name: String,
    /// The issuer's legal name, at most 200 characters.
    pub issuer: String,
    pub security_class: SecurityClass,
    pub regulation: vocab::Regulation,
    /// Whether the issuer files Exchange Act reports (shortens the Rule 144 period to 6 months).
    pub reporting_issuer: bool,
    /// Holding period in months, 0 to 120. Default: Reg D 12 (non-reporting) or 6 (reporting
    /// issuer) under Rule 144(d); Reg CF 12 under Rule 227.501 whatever the issuer's status;
    /// Reg A Tier 2 none (not restricted securities). Registered securities have none and
    /// refuse a positive value.
    pub rule144_holding_months: Option<u32>,
    /// Last locked day, inclusive.
    pub lockup_until: Option<Date>,
    /// The issuer's right of first refusal, 1 to 365 calendar days after the day a transfer
    /// is requested.
    pub rofr_days: Option<u32>,
    /// ISO 3166-1 alpha-2 country of the issuer's formation (default `US`), for the OCF export.
    pub issuer_country: Option<String>,
    /// The issuer's formation date, for the OCF export (which otherwise uses the
    /// security's registration date and says so).
    pub issuer_formation_date: Option<Date>,
}

fn valid_symbol(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

fn check_text(field: &str, s: &str, errors: &mut Vec<(String, String)>) {
    if s.trim().is_empty() {
        errors.push((field.to_owned(), "must not be empty".to_owned()));
    } else if s.chars().count() > 200 {
        errors.push((
            field.to_owned(),
            "must be at most 200 characters".to_owned(),
        ));
    }
}

/// Registers a security.
#[utoipa::path(post, path = "/v1/securities", tag = "securities",
    request_body = CreateSecurity,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. The symbol is unique in the organization (409 CONFLICT otherwise). \
The terms (regulation, holding period, lock-up, right of first refusal) are fixed once registered: the journal is replayed under them.",
    responses(
        (status = 201, description = "The security", body = SecurityView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 409, description = "Symbol taken, or Idempotency-Key reused", body = ErrorBody),
    ))]
pub async fn create_security(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<CreateSecurity>,
) -> ApiResult<(StatusCode, ApiJson<SecurityView>)> {
    let symbol = body.symbol.trim().to_ascii_uppercase();
    let mut errors = Vec::new();
    if !valid_symbol(&symbol) {
        errors.push((
            "symbol".to_owned(),
            "1 to 16 letters, digits, '.' or '-', starting with a letter or digit".to_owned(),
        ));
    }
    check_text("name", &body.name, &mut errors);
    check_text("issuer", &body.issuer, &mut errors);
    if let Some(m) = body.rule144_holding_months {
        if m > 120 {
            errors.push((
                "rule144_holding_months".to_owned(),
                "must be between 0 and 120".to_owned(),
            ));
        } else if m > 0 && body.regulation == vocab::Regulation::Registered {
            errors.push((
                "rule144_holding_months".to_owned(),
                "registered securities are not restricted securities and have no holding period"
                    .to_owned(),
            ));
        }
    }
    if let Some(d) = body.rofr_days
        && !(1..=365).contains(&d)
    {
        errors.push((
            "rofr_days".to_owned(),
            "must be between 1 and 365".to_owned(),
        ));
    }
    let country = body
        .issuer_country
        .as_deref()
        .unwrap_or("US")
        .trim()
        .to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push((
            "issuer_country".to_owned(),
            "an ISO 3166-1 alpha-2 code such as US".to_owned(),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_fields(errors));
    }
    let id = SecurityId::new();
    let inserted = securities::insert(
        state.pool(),
        &NewSecurity {
            id,
            org_id: &caller.org_id,
            symbol: &symbol,
            name: body.name.trim(),
            issuer: body.issuer.trim(),
            issuer_country: &country,
            issuer_formation_date: body.issuer_formation_date,
            security_class: body.security_class.as_str(),
            regulation: body.regulation.as_str(),
            reporting_issuer: body.reporting_issuer,
            rule144_holding_months: body.rule144_holding_months.map(|m| m as i32),
            lockup_until: body.lockup_until,
            rofr_days: body.rofr_days.map(|d| d as i32),
            created_by: &caller.name,
        },
    )
    .await?;
    if !inserted {
        return Err(
            ApiError::conflict(format!("the symbol {symbol} is already registered"))
                .with_detail("symbol", &symbol),
        );
    }
    let mut conn = state.pool().acquire().await?;
    let row = securities::fetch(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("security vanished")))?;
    Ok((StatusCode::CREATED, ApiJson(SecurityView::from_row(&row)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SecurityFilter {
    /// Exact symbol (case-insensitive).
    pub symbol: Option<String>,
    pub regulation: Option<String>,
    pub security_class: Option<String>,
    /// Exact issuer name.
    pub issuer: Option<String>,
}

/// Lists the organization's securities, oldest first.
#[utoipa::path(get, path = "/v1/securities", tag = "securities",
    params(ListParams, SecurityFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of securities", body = Page<SecurityView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_securities(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SecurityFilter>,
) -> ApiResult<ApiJson<Page<SecurityView>>> {
    caller.require_any_role(READERS)?;
    let limit = params.limit()?;
    let after = cursor_id(&params, SecurityId::parse)?;
    let symbol = filter.symbol.map(|s| s.trim().to_ascii_uppercase());
    let rows = securities::list(
        state.pool(),
        &caller.org_id,
        &securities::ListFilter {
            symbol: symbol.as_deref(),
            regulation: filter.regulation.as_deref(),
            security_class: filter.security_class.as_deref(),
            issuer: filter.issuer.as_deref(),
        },
        after,
        limit + 1,
    )
    .await?;
    let views = rows
        .iter()
        .map(SecurityView::from_row)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Page::from_rows(views, limit, |v| v.id.to_string())))
}

/// One security, with its totals.
#[utoipa::path(get, path = "/v1/securities/{id}", tag = "securities",
    params(("id" = String, Path, description = "`ast_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The security", body = SecurityView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn get_security(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<SecurityView>> {
    caller.require_any_role(READERS)?;
    let id = SecurityId::parse_or_404(&id, "security")?;
    let mut conn = state.pool().acquire().await?;
    let row = securities::fetch(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("security", id))?;
    Ok(ApiJson(SecurityView::from_row(&row)?))
}
