//! Registering and reading securities.

use iam_sdk::Caller;
use platform::db::{self, TenantTx};
use platform::ids::AssetId;
use platform::{ApiError, ApiResult};
use serde::Deserialize;
use sqlx::PgPool;
use time::Date;
use utoipa::ToSchema;

use super::finish;
use crate::store::securities::{self, ListFilter, NewSecurity, SecurityRow};

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

/// A registration as stored: the symbol and the issuer's country normalised.
struct Checked {
    symbol: String,
    country: String,
}

impl CreateSecurity {
    /// Every field's problem at once (400 naming them), or the normalised values.
    fn check(&self) -> ApiResult<Checked> {
        let symbol = self.symbol.trim().to_ascii_uppercase();
        let mut errors = Vec::new();
        if !valid_symbol(&symbol) {
            errors.push((
                "symbol".to_owned(),
                "1 to 16 letters, digits, '.' or '-', starting with a letter or digit".to_owned(),
            ));
        }
        check_text("name", &self.name, &mut errors);
        check_text("issuer", &self.issuer, &mut errors);
        if let Some(m) = self.rule144_holding_months {
            if m > 120 {
                errors.push((
                    "rule144_holding_months".to_owned(),
                    "must be between 0 and 120".to_owned(),
                ));
            } else if m > 0 && self.regulation == vocab::Regulation::Registered {
                errors.push((
                    "rule144_holding_months".to_owned(),
                    "registered securities are not restricted securities and have no holding period"
                        .to_owned(),
                ));
            }
        }
        if let Some(d) = self.rofr_days
            && !(1..=365).contains(&d)
        {
            errors.push((
                "rofr_days".to_owned(),
                "must be between 1 and 365".to_owned(),
            ));
        }
        let country = self
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
        Ok(Checked { symbol, country })
    }
}

/// Registers a security for the caller's organization (409 when the symbol is taken).
pub async fn create(
    pool: &PgPool,
    caller: &Caller,
    body: &CreateSecurity,
) -> ApiResult<SecurityRow> {
    let checked = body.check()?;
    let mut tx = db::begin(pool, &caller.org_id).await?;
    let result = insert(&mut tx, &caller.name, body, &checked).await;
    finish(tx, result).await
}

async fn insert(
    tx: &mut TenantTx,
    by: &str,
    body: &CreateSecurity,
    checked: &Checked,
) -> ApiResult<SecurityRow> {
    let id = AssetId::new();
    let inserted = securities::insert(
        tx,
        &NewSecurity {
            id,
            symbol: &checked.symbol,
            name: body.name.trim(),
            issuer: body.issuer.trim(),
            issuer_country: &checked.country,
            issuer_formation_date: body.issuer_formation_date,
            security_class: body.security_class.as_str(),
            regulation: body.regulation.as_str(),
            reporting_issuer: body.reporting_issuer,
            rule144_holding_months: body.rule144_holding_months.map(|m| m as i32),
            lockup_until: body.lockup_until,
            rofr_days: body.rofr_days.map(|d| d as i32),
            created_by: by,
        },
    )
    .await?;
    if !inserted {
        let symbol = &checked.symbol;
        return Err(
            ApiError::conflict(format!("the symbol {symbol} is already registered"))
                .with_detail("symbol", symbol),
        );
    }
    securities::fetch(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("security vanished")))
}

/// A page of the organization's securities, oldest first.
pub async fn list(
    pool: &PgPool,
    org: &str,
    filter: &ListFilter<'_>,
    after: Option<AssetId>,
    limit: i64,
) -> ApiResult<Vec<SecurityRow>> {
    let mut tx = db::begin(pool, org).await?;
    let result = securities::list(&mut tx, filter, after, limit).await;
    finish(tx, result.map_err(ApiError::from)).await
}

/// One of the organization's securities (404 otherwise).
pub async fn get(pool: &PgPool, org: &str, id: AssetId) -> ApiResult<SecurityRow> {
    let mut tx = db::begin(pool, org).await?;
    let result = securities::fetch(&mut tx, id).await;
    let found = result
        .map_err(ApiError::from)
        .and_then(|row| row.ok_or_else(|| ApiError::not_found("security", id)));
    finish(tx, found).await
}
