//! `GET /v1/investors/{id}/compliance`, `POST /v1/compliance/pre-trade` (and its batch form),
//! `POST /v1/compliance/settlement`, `GET /v1/compliance/checks/{id}`.

use axum::extract::State;
use platform::auth::Roles;
use platform::error::ErrorBody;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiJson, ApiPath, ApiResult, Authorized};

use crate::AppState;
use crate::checks::{self, CheckView};
use crate::pretrade::batch::{self, PreTradeBatchAnswer, PreTradeBatchRequest};
use crate::pretrade::settlement::{self, SettlementAnswer, SettlementRequest};
use crate::pretrade::summary::{self, ComplianceView};
use crate::pretrade::{self, PreTradeAnswer, PreTradeRequest};
use crate::roles::{AnyRole, ComplianceOrInternal, Internal};

/// One stored check.
#[utoipa::path(get, path = "/v1/compliance/checks/{id}", tag = "compliance",
    params(("id" = String, Path, description = "`chk_…`")),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services. Any kind of check: KYC \
(with the screened names, the list version and the matched SDN entries), the provider's \
updates, accreditation verifications, pre-trade and settlement decisions with the facts they \
used.",
    responses(
        (status = 200, description = "The check", body = CheckView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin, compliance or a service", body = ErrorBody),
        (status = 404, description = "No such check in the organization", body = ErrorBody),
    ))]
pub async fn get_check(
    caller: Authorized<ComplianceOrInternal>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<CheckView>> {
    let id = CheckId::parse_or_404(&id, "check")?;
    Ok(ApiJson(checks::get(&state, &caller, id).await?))
}

/// An investor's compliance summary.
#[utoipa::path(get, path = "/v1/investors/{id}/compliance", tag = "compliance",
    params(("id" = String, Path, description = "`inv_…`")),
    security(("bearer" = [])),
    description = "Any role of the organization, and the platform's services. `eligible` is \
true when KYC is approved and sanctions are clear; accreditation is reported (`accredited`, \
with the verification in force and when it expires) and required by the pre-trade check for \
`reg_d_506c` securities only. A verification stays in force until it expires even if a later \
request was refused.\n\n\
Compliance officers' decisions show here: `kyc_decision` is the decision on the latest KYC run \
(`POST /v1/investors/{id}/kyc/decision`), `sanctions_false_positives` the SDN matches cleared as \
documented false positives, and `accreditation.decision` the decision when the accreditation \
shown is one (`POST /v1/investors/{id}/accreditation/{check_id}/decision`). While sanctions are \
in `review` or `hit` after the latest KYC run and no decision was taken on it, \
`sanctions_review` gives that run's sanctions reasons: the SDN entry, the tokens that matched, \
the score and what each identifier showed. The officers' notes and `sanctions_review` are \
shown to admin, compliance and the platform's services only.",
    responses(
        (status = 200, description = "The summary", body = ComplianceView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn investor_compliance(
    caller: Authorized<AnyRole>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<ComplianceView>> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    // The officers' notes are for the roles that read checks.
    let with_note = caller.has_any_role(ComplianceOrInternal::ROLES);
    Ok(ApiJson(
        summary::summary(&state, &caller, id, with_note).await?,
    ))
}

/// The pre-trade check of an order, before it reaches the book.
#[utoipa::path(post, path = "/v1/compliance/pre-trade", tag = "compliance",
    request_body = PreTradeRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only (a user token, even an admin's, is \
403). Always 200 with `approved` and every failing rule in `reasons`; the check is kept \
(`chk_…`).\n\n\
Rules (crates/compliance): KYC approved and sanctions clear on either side; `reg_d_506c` needs \
an accreditation in force (buys and sells); `reg_cf` and `reg_a_tier2` buys of a \
non-accredited investor must fit the investment limit over the last 12 months.\n\n\
An unknown investor (or another organization's) is `approved: false` with reason \
`investor_not_found`, not a 404: the ATS records the refusal like any other.\n\n\
Investment limits: the amount already used is the sum, over the last 12 calendar months, of \
(a) the investor's buys under the same regulation in the trades the BD has received \
(`trade.executed`; a trade's regulation is its buy order's as pre-trade saw it) and (b) the \
unfilled part of the investor's other buy orders under that regulation that pre-trade approved \
and that are not rejected, cancelled or expired (counted at the price they were approved at), \
so that several open orders cannot together exceed the limit. Checks of one investor are \
serialized. The financial profile is the investor record's `annual_income` / `net_worth` \
(entities: `annual_revenue` / `net_assets`); a figure not recorded comes, for individuals, from \
the latest `income` or `net_worth` accreditation evidence. A market order (no `price`) is \
counted at the asset's last trade price; without one, a limited buy is refused with \
`price_unknown`.",
    responses(
        (status = 200, description = "The decision", body = PreTradeAnswer),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service", body = ErrorBody),
    ))]
pub async fn pre_trade(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PreTradeRequest>,
) -> ApiResult<ApiJson<PreTradeAnswer>> {
    Ok(ApiJson(pretrade::check(&state, &caller, body).await?))
}

/// The pre-trade checks of several orders at once.
#[utoipa::path(post, path = "/v1/compliance/pre-trade/batch", tag = "compliance",
    request_body = PreTradeBatchRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only (a user token, even an admin's, is \
403). The batch form of `POST /v1/compliance/pre-trade`, for a venue placing many orders at \
once: `{\"checks\": [...]}` holds 1 to 500 pre-trade requests, each exactly as the single \
endpoint takes it, and the answer `{\"results\": [...]}` holds one answer per check, in the \
order of the request, each exactly what the single endpoint would have answered had the checks \
been sent one after the other in that order (its own `chk_…`, kept for audit like any \
pre-trade check, `approved`, `reasons`, `amount`; `checked_at` is the same for the whole \
batch). An unknown investor (or another organization's) is a refusal of its check \
(`investor_not_found`), not of the batch.\n\n\
Order matters: an approved buy reserves its amount against the investor's investment limit \
before the next check is decided, so two buys of one investor in a batch never exceed the limit \
together, and the same order id checked twice keeps only its later decision, as two single \
calls would. The batch is decided in one transaction: each investor is read once and its \
checks are serialized with every other check of that investor (single or batch); either \
every check is recorded or, on an error, none is.\n\n\
Invalid input refuses the whole batch with 400 and records nothing: an empty or missing \
`checks` or more than 500 (`details.fields.checks`), a malformed entry or a quantity or price \
out of bounds, named by its position (e.g. `checks[3].quantity`). A retry with the same \
`Idempotency-Key` replays the first answer.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    responses(
        (status = 200, description = "One decision per check, in order", body = PreTradeBatchAnswer),
        (status = 400, description = "Invalid body; details.fields names the fields (`checks[i].field`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service", body = ErrorBody),
    ))]
pub async fn pre_trade_batch(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PreTradeBatchRequest>,
) -> ApiResult<ApiJson<PreTradeBatchAnswer>> {
    Ok(ApiJson(batch::check_batch(&state, &caller, body).await?))
}

/// Approves a settlement: both parties still eligible.
#[utoipa::path(post, path = "/v1/compliance/settlement", tag = "compliance",
    request_body = SettlementRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only. Always 200 with `approved`; kept for \
audit. Each party must still have KYC approved and sanctions clear, and for `reg_d_506c` an \
accreditation in force (the pre-trade rules at the moment of settlement). Investment limits \
are not applied again: they were applied to the orders, and the trade itself now counts in \
them. An unknown party is refused with `investor_not_found`. Each call is evaluated afresh \
(a retried settlement sees the parties' current state).",
    responses(
        (status = 200, description = "The decision", body = SettlementAnswer),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service", body = ErrorBody),
    ))]
pub async fn settlement(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SettlementRequest>,
) -> ApiResult<ApiJson<SettlementAnswer>> {
    Ok(ApiJson(settlement::approve(&state, &caller, body).await?))
}
