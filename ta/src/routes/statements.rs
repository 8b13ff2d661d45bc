//! `GET /v1/statements/{investor_id}`: an investor's statement for a period, with what a
//! 1099-B and a 1099-DIV need.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::InvestorId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;

use super::Readers;
use crate::AppState;
use crate::service::statements;
use crate::views::Statement;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day of the period (default: 1 January of `to`'s year).
    pub from: Option<Date>,
    /// Last day of the period, today or earlier (default: today, UTC).
    pub to: Option<Date>,
}

/// An investor's statement for a period.
#[utoipa::path(get, path = "/v1/statements/{investor_id}", tag = "statements",
    params(("investor_id" = String, Path, description = "`inv_…`"), PeriodQuery),
    security(("bearer" = [])),
    description = "Holdings at the end of `to` (the journal replayed up to that day), the transfers, the dividends paid and the FIFO realised gains of the period, \
with the lines of a Form 1099-B (per disposal: description, dates acquired and sold, proceeds, cost basis, gain, short or long term) and of a Form 1099-DIV \
(total ordinary dividends per payer and security). Proceeds and bases are in the transfer prices' currency. `from` after `to`, or `to` after today, is a 400; \
an investor the TA has no record of in the organization is a 404.",
    responses(
        (status = 200, description = "The statement", body = Statement),
        (status = 400, description = "Invalid period", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No record of this investor in the organization", body = ErrorBody),
    ))]
pub async fn statement(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(investor_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<ApiJson<Statement>> {
    let investor = InvestorId::parse_or_404(&investor_id, "investor")?;
    let (org, now) = (caller.org_id.as_str(), state.clock.now());
    let statement = statements::statement(state.pool(), org, now, investor, q.from, q.to).await?;
    Ok(ApiJson(statement))
}
