//! `POST /v1/investors`, `GET /v1/investors`, `GET /v1/investors/{id}`,
//! `PATCH /v1/investors/{id}`, `POST /v1/investors/lookup`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::InvestorId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};

use super::extract::Audited;
use crate::AppState;
use crate::investors::lookup::{LookupAnswer, LookupRequest};
use crate::investors::{
    self, CreateInvestor, InvestorFilter, InvestorView, UpdateInvestor, UpdatedInvestor,
};
use crate::roles::{ComplianceOrInternal, Managers};

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
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateInvestor>,
) -> ApiResult<(StatusCode, ApiJson<InvestorView>)> {
    let view = investors::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Lists the organization's investors, oldest first.
#[utoipa::path(get, path = "/v1/investors", tag = "investors",
    params(ListParams, InvestorFilter),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services. Filters combine with AND.",
    responses(
        (status = 200, description = "A page of investors (`data`, `next_cursor`)", body = inline(Page<InvestorView>)),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
    ))]
pub async fn list_investors(
    caller: Authorized<ComplianceOrInternal>,
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<InvestorFilter>,
) -> ApiResult<ApiJson<Page<InvestorView>>> {
    Ok(ApiJson(
        investors::list(&state, &caller, &page, &filter).await?,
    ))
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
    caller: Authorized<ComplianceOrInternal>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<InvestorView>> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    Ok(ApiJson(investors::get(&state, &caller, id).await?))
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
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    patch: Audited<UpdateInvestor>,
) -> ApiResult<ApiJson<UpdatedInvestor>> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let updated = investors::update::update(&state, &caller, id, patch.body, patch.raw).await?;
    Ok(ApiJson(updated))
}

/// The names and types of many investors at once.
#[utoipa::path(post, path = "/v1/investors/lookup", tag = "investors",
    request_body = LookupRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services (the TA names the holders \
of its OCF export with it, in one call). A read: it changes nothing. `{\"ids\": [...]}` holds 1 \
to 500 `inv_…` ids; the answer `{\"data\": [...]}` holds `id`, `type` (`individual`, `entity`) \
and `legal_name` of each of the organization's investors among them, in id order, each once. \
Ids the organization does not have (unknown, or another organization's) are left out, not \
refused: the caller compares. An empty or missing `ids`, more than 500, or a malformed id \
(named by its position, e.g. `ids[3]`) is 400.",
    responses(
        (status = 200, description = "The organization's investors among the ids", body = LookupAnswer),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin, compliance or a platform service", body = ErrorBody),
    ))]
pub async fn lookup_investors(
    caller: Authorized<ComplianceOrInternal>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LookupRequest>,
) -> ApiResult<ApiJson<LookupAnswer>> {
    Ok(ApiJson(
        investors::lookup::lookup(&state, &caller, body).await?,
    ))
}
