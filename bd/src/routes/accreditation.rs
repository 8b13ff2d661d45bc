//! `POST /v1/investors/{id}/accreditation`, `GET /v1/investors/{id}/accreditation`,
//! `POST /v1/investors/{id}/accreditation/{check_id}/decision`.

use axum::extract::State;
use axum::http::StatusCode;
use platform::error::ErrorBody;
use platform::ids::{CheckId, InvestorId};
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams};

use crate::AppState;
use crate::accreditation::{
    self, AccreditationDecisionRequest, AccreditationList, AccreditationRequest, AccreditationView,
};
use crate::roles::Managers;
use crate::wire::{ObjectBody, refuse_organization_id};

/// Verifies an investor's accreditation.
#[utoipa::path(post, path = "/v1/investors/{id}/accreditation", tag = "accreditation",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body = AccreditationRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. Applies SEC Rule 501(a) and the verification methods \
of Rule 506(c)(2)(ii) (crates/compliance): thresholds are strict (income above $200,000, or \
$300,000 joint, in each of the two years; net worth above $1,000,000; entity assets above \
$5,000,000); evidence dated more than 3 calendar months ago, or in the future, is refused; \
income methods and licences are for individuals, `entity_assets` for entities, a third-party \
letter for both. Answers 201 with the verification whatever its status (a rejection is an \
outcome, not an error): `verified` with `verified_at` and `expires_at` (validity \
`ACCREDITATION_VALIDITY_DAYS`, default 90), or `rejected` / `review` with `reasons`, each \
naming its rule. Invalid or missing evidence is 400 with every field named. A `review` is \
decided by a compliance officer with \
`POST /v1/investors/{id}/accreditation/{check_id}/decision`.",
    responses(
        (status = 201, description = "The verification", body = AccreditationView),
        (status = 400, description = "Unknown method, missing or invalid evidence; details.fields names each field", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn create_accreditation(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(ObjectBody(body)): ApiJson<ObjectBody>,
) -> ApiResult<(StatusCode, ApiJson<AccreditationView>)> {
    refuse_organization_id(&body)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let view = accreditation::create(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// An investor's accreditation verifications and the one in force.
#[utoipa::path(get, path = "/v1/investors/{id}/accreditation", tag = "accreditation",
    params(("id" = String, Path, description = "`inv_…`"), ListParams),
    security(("bearer" = [])),
    description = "Roles admin, compliance. `current` is the verification in force now (the one \
lasting longest), else the state of the latest request (`expired`, `review`, `rejected`, or \
`none`); `data` lists every verification and every compliance officer's decision on one \
(`kind` `accreditation_decision`, see `POST /v1/investors/{id}/accreditation/{check_id}/decision`), \
latest first. A decision counts like a verification: an approval is `verified` until its \
`expires_at`, a rejection is `rejected`.",
    responses(
        (status = 200, description = "The verifications", body = AccreditationList),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn list_accreditations(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<ListParams>,
) -> ApiResult<ApiJson<AccreditationList>> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    Ok(ApiJson(
        accreditation::list(&state, &caller, id, &page).await?,
    ))
}

/// Decides an accreditation verification in review.
#[utoipa::path(post, path = "/v1/investors/{id}/accreditation/{check_id}/decision", tag = "accreditation",
    params(
        ("id" = String, Path, description = "`inv_…`"),
        ("check_id" = String, Path, description = "The verification in review, `chk_…`"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours"),
    ),
    request_body = AccreditationDecisionRequest,
    security(("bearer" = [])),
    description = "Roles admin, compliance. A compliance officer decides a verification the \
rules left to a person (`status` `review`, e.g. income that fell to within 10% of the \
threshold: the reasonable expectation of Rule 501(a)(6)).\n\n\
The verification must be the investor's latest accreditation request, in `review` and not yet \
decided; otherwise 409 `INVALID_STATE`. An unknown check, another investor's or another \
organization's, or a check that is not an accreditation, is 404.\n\n\
`approve`: the evidence is checked again against the rules at the moment of the decision — \
evidence dated more than 3 calendar months before the decision, or \
that no longer passes is refused with 409 and the failing `reasons` (submit new evidence) — \
and the investor is `verified` from now (`verified_at`) until now plus the validity \
(`ACCREDITATION_VALIDITY_DAYS`, default 90; `expires_at`). `reject`: `rejected`.\n\n\
Answers 201 with the decision: a check of kind `accreditation_decision` (`parent_id` / \
`decided_check_id`: the verification decided; `note`; `created_by`: the officer) that carries \
the decided method and evidence. It counts as the investor's latest accreditation: it is \
`current` in `GET /v1/investors/{id}/accreditation` and `accreditation` in \
`GET /v1/investors/{id}/compliance`, and is listed in `GET /v1/investors/{id}/checks`. The \
verification in review itself is kept unchanged.",
    responses(
        (status = 201, description = "The decision", body = AccreditationView),
        (status = 400, description = "Malformed body, unknown decision, missing or empty note", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor, or no such accreditation of the investor", body = ErrorBody),
        (status = 409, description = "Not in review, decided already, superseded by a later request, or the evidence no longer passes", body = ErrorBody),
    ))]
pub async fn accreditation_decision(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath((id, check_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AccreditationDecisionRequest>,
) -> ApiResult<(StatusCode, ApiJson<AccreditationView>)> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let check_id = CheckId::parse_or_404(&check_id, "accreditation")?;
    let view = accreditation::decide(&state, &caller, id, check_id, body).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}
