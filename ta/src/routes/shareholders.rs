//! `GET /v1/shareholders/{asset_id}`: the registry, now or as of a past date.

use axum::extract::State;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;

use super::READERS;
use crate::AppState;
use crate::ids::{InvestorId, SecurityId};
use crate::store::{ledger, securities};
use crate::views::{RegistryHolderView, RegistryView, qty};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// `YYYY-MM-DD`, today or earlier: the registry at the end of that day (UTC).
    pub as_of: Option<Date>,
}

fn holders(lines: Vec<(InvestorId, Decimal)>) -> (Decimal, Vec<RegistryHolderView>) {
    let outstanding: Decimal = lines.iter().map(|l| l.1).sum();
    let holders = lines
        .into_iter()
        .filter(|l| l.1 > Decimal::ZERO)
        .map(|(investor_id, quantity)| RegistryHolderView {
            investor_id,
            quantity: qty(quantity),
            percentage: if outstanding.is_zero() {
                Decimal::ZERO
            } else {
                (quantity * Decimal::ONE_HUNDRED / outstanding)
                    .round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven)
                    .normalize()
            },
        })
        .collect();
    (qty(outstanding), holders)
}

/// The security's shareholders.
#[utoipa::path(get, path = "/v1/shareholders/{asset_id}", tag = "shareholders",
    params(("asset_id" = String, Path, description = "`ast_…`"), RegistryQuery),
    security(("bearer" = [])),
    description = "The holders of record and their whole shares, by investor id. With `as_of` the journal is replayed up to the end of that day \
in effective-date order (entries take effect on the UTC date they were recorded, a back-dated issuance on its `acquired_at`); a date after today is refused (400). A security merged away shows no holders after the merger.",
    responses(
        (status = 200, description = "The registry", body = RegistryView),
        (status = 400, description = "Invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn registry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(asset_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> ApiResult<ApiJson<RegistryView>> {
    caller.require_any_role(READERS)?;
    let id = SecurityId::parse_or_404(&asset_id, "security")?;
    let org = caller.org_id.as_str();
    let today = state.clock.today();
    if q.as_of.is_some_and(|d| d > today) {
        return Err(ApiError::validation(
            "as_of",
            format!("must not be after today ({today})"),
        ));
    }
    let mut conn = state.pool().acquire().await?;
    let row = securities::fetch(&mut conn, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("security", id))?;
    let lines = match q.as_of {
        None => {
            let lots = ledger::lots(&mut conn, org, &[id], None).await?;
            ledger::registry_lines(&lots).into_iter().collect()
        }
        Some(as_of) => {
            drop(conn);
            let replayed = ledger::replay(state.pool(), org, &[id], Some(as_of)).await?;
            let registry = replayed.registry(&id.to_string()).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("security missing from replay"))
            })?;
            registry
                .holders
                .iter()
                .map(|h| Ok((InvestorId::from_engine(&h.investor_id)?, h.quantity)))
                .collect::<anyhow::Result<Vec<_>>>()?
        }
    };
    let (outstanding, holders) = holders(lines);
    Ok(ApiJson(RegistryView {
        asset_id: id,
        symbol: row.symbol,
        as_of: q.as_of,
        outstanding,
        holders,
    }))
}
