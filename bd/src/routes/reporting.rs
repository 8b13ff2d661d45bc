//! CAT and legacy OATS reports, and the per-security CAT scope switch:
//! `GET /v1/reporting/cat`, `GET /v1/reporting/oats`, `GET /v1/reporting/securities`,
//! `PUT /v1/reporting/securities/{asset_id}`.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};

use crate::AppState;
use crate::reporting::{
    self, CatReport, OatsReport, ReportQuery, SecurityFilter, SecurityScope, SecurityView,
};
use crate::roles::{AnyRole, Managers};

/// The day's CAT records.
#[utoipa::path(get, path = "/v1/reporting/cat", tag = "reporting",
    params(ReportQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance. Builds the Consolidated Audit Trail records of one \
Eastern Time day from the order and trade events the ATS delivered (crates/compliance, CAT \
Reporting Technical Specifications for Industry Members v4.1.0 r15): `MENO` for each accepted \
order (filed under the day it was received); `MEOC` for each cancel the order's time in force \
does not imply, with `initiator` `C` for the customer's cancel (`cancel_reason` `requested`) and \
`F` for the venue's (`self_trade`, `no_liquidity` of a `gtc`/`day` order) — IOC/FOK remainders \
and day-order expiries are not reported; `MEOT` for each trade, with `tapeTradeID` when the ATS \
gives one, otherwise `reportingExceptionCode` `CAT_REPORTING_EXCEPTION_CODE` (only `F`, \
reported on Form T, is accepted). Rejected orders never became orders and produce nothing. \
Reporter: `CAT_IMID`. Only securities switched into scope with \
`PUT /v1/reporting/securities/{asset_id}` (`cat_reportable: true`) are reported: restricted \
securities are outside CAT's scope, so every security is out until enabled; the day's other \
events are counted in `out_of_scope_events`. Every record is checked against the \
specification's field rules before it is listed; an event that cannot become a valid record (a \
trade whose order's receipt time is unknown, a trade with neither a tape report nor a reporting \
exception code, a cancel without `cancel_reason`, a limit order without a price) is listed in \
`exceptions` instead of failing the whole report. \
Running the report again gives the same `firmROEID`s.",
    responses(
        (status = 200, description = "The report", body = CatReport),
        (status = 400, description = "Missing or invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn cat_report(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<CatReport>> {
    Ok(ApiJson(
        reporting::cat_report(&state, &caller, q.date).await?,
    ))
}

/// The day's events as legacy OATS records (OATS was retired on 2021-09-01).
#[utoipa::path(get, path = "/v1/reporting/oats", tag = "reporting",
    params(ReportQuery),
    security(("bearer" = [])),
    description = "Roles admin, compliance. **OATS was retired on 2021-09-01** (FINRA Rules \
7410–7470 were retired with it when CAT took over): nothing is reported to OATS any more. \
This gives the same events as `GET /v1/reporting/cat` in the legacy OATS layout (NW new \
orders, CL cancels, EX executions, two per trade; firm `OATS_MPID`), for comparison with \
historical data, with the same scope switch and exceptions.",
    responses(
        (status = 200, description = "The records", body = OatsReport),
        (status = 400, description = "Missing or invalid date", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn oats_report(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<ApiJson<OatsReport>> {
    Ok(ApiJson(
        reporting::oats_report(&state, &caller, q.date).await?,
    ))
}

/// Switches a security into or out of CAT scope.
#[utoipa::path(put, path = "/v1/reporting/securities/{asset_id}", tag = "reporting",
    params(("asset_id" = String, Path, description = "`ast_…` (the TA's security, as listed on the ATS)")),
    request_body = SecurityScope,
    security(("bearer" = [])),
    description = "Roles admin, compliance. Securities are out of CAT scope until switched in: \
the restricted securities this venue trades (Reg D, Reg CF, ...) are outside CAT's scope, and \
a firm opts in the ones that are NMS or OTC equity securities. The switch applies to every \
report built afterwards, including reports of past days. The BD does not check the asset \
against the TA.",
    responses(
        (status = 200, description = "The security's scope", body = SecurityView),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "Not an asset id", body = ErrorBody),
    ))]
pub async fn put_security(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(asset_id): ApiPath<String>,
    ApiJson(body): ApiJson<SecurityScope>,
) -> ApiResult<ApiJson<SecurityView>> {
    let asset_id = AssetId::parse_or_404(&asset_id, "asset")?;
    Ok(ApiJson(
        reporting::set_scope(&state, &caller, asset_id, &body).await?,
    ))
}

/// The securities whose CAT scope was set.
#[utoipa::path(get, path = "/v1/reporting/securities", tag = "reporting",
    params(ListParams, SecurityFilter),
    security(("bearer" = [])),
    description = "Any role of the organization, and the platform's services. Securities never \
set are out of scope and not listed.",
    responses(
        (status = 200, description = "A page of securities (`data`, `next_cursor`)", body = inline(Page<SecurityView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    ))]
pub async fn list_securities(
    caller: Authorized<AnyRole>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<SecurityFilter>,
) -> ApiResult<ApiJson<Page<SecurityView>>> {
    let securities = reporting::list_securities(&state, &caller, &page, &filter).await?;
    Ok(ApiJson(securities))
}
