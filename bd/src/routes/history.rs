//! `GET /v1/investors/{id}/checks`: an investor's audit history.

use axum::extract::State;
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::MANAGERS;
use super::compliance::CheckView;
use crate::AppState;
use crate::ids::{CheckId, InvestorId};
use crate::store::checks;
use crate::store::investors as store;
use crate::wire::Paging;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckKindName {
    Kyc,
    KycUpdate,
    KycDecision,
    Accreditation,
    AccreditationDecision,
    InvestorUpdate,
    PreTrade,
    Settlement,
}

impl CheckKindName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kyc => "kyc",
            Self::KycUpdate => "kyc_update",
            Self::KycDecision => "kyc_decision",
            Self::Accreditation => "accreditation",
            Self::AccreditationDecision => "accreditation_decision",
            Self::InvestorUpdate => "investor_update",
            Self::PreTrade => "pre_trade",
            Self::Settlement => "settlement",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only checks of this kind.
    #[param(inline)]
    pub kind: Option<CheckKindName>,
}

/// An investor's checks, newest first.
#[utoipa::path(get, path = "/v1/investors/{id}/checks", tag = "compliance",
    params(("id" = String, Path, description = "`inv_…`"), CheckQuery),
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
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> ApiResult<ApiJson<Page<CheckView>>> {
    caller.require_any_role(MANAGERS)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let paging = Paging {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let limit = paging.limit()?;
    let before = paging.after(CheckId::parse)?;
    let mut conn = state.pool().acquire().await?;
    store::get(&mut conn, &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let rows = checks::for_investor(
        &mut conn,
        &caller.org_id,
        id,
        q.kind.map(CheckKindName::as_str),
        before,
        limit + 1,
    )
    .await?;
    let views: Vec<CheckView> = rows.into_iter().map(CheckView::from).collect();
    Ok(ApiJson(Page::from_rows(views, limit, |v| v.id.to_string())))
}
