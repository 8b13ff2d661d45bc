//! `GET /v1/investors/{id}/checks`: an investor's audit history.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::InvestorId;
use platform::{ApiJson, ApiPath, ApiQuery, ApiResult, Authorized, ListParams, Page};

use crate::AppState;
use crate::checks::{self, CheckFilter, CheckView};
use crate::roles::Managers;

/// An investor's checks, newest first.
#[utoipa::path(get, path = "/v1/investors/{id}/checks", tag = "compliance",
    params(("id" = String, Path, description = "`inv_…`"), ListParams, CheckFilter),
    security(("bearer" = [])),
    description = "Roles admin, compliance. The investor's audit history: every check \
concerning it — KYC runs (`kyc`), the provider's updates (`kyc_update`), compliance officers' \
decisions (`kyc_decision`, `accreditation_decision`, with the note and the officer), \
accreditation verifications (`accreditation`), updates of the investor's record \
(`investor_update`, with each change and whether it invalidated the KYC), pre-trade checks of \
its orders (`pre_trade`) and settlements it is a party to, as buyer or seller \
(`settlement`) — newest first, each as `GET /v1/compliance/checks/{id}` answers it. `kind` \
keeps one kind. Paginated: `limit` (1 to 500, default 50) and the opaque `next_cursor`. \
Another organization's investor answers 404 like an unknown one.",
    responses(
        (status = 200, description = "A page of checks (`data`, `next_cursor`)", body = inline(Page<CheckView>)),
        (status = 400, description = "Invalid query (limit, cursor, unknown kind)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin or compliance", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn list_investor_checks(
    caller: Authorized<Managers>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<CheckFilter>,
) -> ApiResult<ApiJson<Page<CheckView>>> {
    let id = InvestorId::parse_or_404(&id, "investor")?;
    Ok(ApiJson(
        checks::history(&state, &caller, id, &page, &filter).await?,
    ))
}
