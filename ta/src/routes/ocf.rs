//! `GET /v1/securities/{id}/ocf`: the security's cap table in the Open Cap Table Format.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{ApiJson, ApiPath, ApiResult, Authorized};
use serde_json::Value;

use super::Readers;
use crate::AppState;
use crate::service::ocf;

/// The security's cap table as OCF objects.
#[utoipa::path(get, path = "/v1/securities/{id}/ocf", tag = "securities",
    params(("id" = String, Path, description = "`ast_…`")),
    security(("bearer" = [])),
    description = "An OCF package for the security (one stock class): `manifest` (an `OCF_MANIFEST_FILE` with the issuer) and `files`, keyed by file path, \
holding `stock_classes.ocf.json`, `stakeholders.ocf.json` and `transactions.ocf.json`; the manifest's MD5 of each is over the file object's compact JSON serialisation. \
Transactions: TX_STOCK_ISSUANCE (issuances, and the securities transfers, conversions and balances create), TX_STOCK_TRANSFER, TX_STOCK_CLASS_SPLIT (splits and reverse splits), \
TX_STOCK_CONVERSION (conversions and mergers out of the security), TX_STOCK_REPURCHASE (redemptions, exercised rights of first refusal). \
Each lot is an OCF security whose id is the lot id; a lot partly taken leaves a balance security `{lot}@{entry}`. \
Stakeholders are the platform investor ids (names and types are the BD's). Authorized shares, votes per share and seniority are placeholders, said so in comments.",
    responses(
        (status = 200, description = "The OCF package", body = Object),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn get_ocf(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<Value>> {
    let id = AssetId::parse_or_404(&id, "security")?;
    let package = ocf::export(state.pool(), &caller.org_id, id, state.clock.now()).await?;
    Ok(ApiJson(package))
}
