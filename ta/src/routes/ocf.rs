//! `GET /v1/securities/{id}/ocf`: the security's cap table in the Open Cap Table Format, as
//! JSON or as the ZIP package OCF tools open.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE, VARY};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use platform::error::ErrorBody;
use platform::ids::AssetId;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Authorized};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::Readers;
use crate::AppState;
use crate::service::ocf;

/// The answer's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OcfFormat {
    Json,
    Zip,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OcfQuery {
    /// `json` (`{"manifest", "files"}`) or `zip` (the package OCF tools open). Without it,
    /// `Accept: application/zip` asks for the ZIP; otherwise the answer is JSON.
    #[param(inline)]
    pub format: Option<OcfFormat>,
}

/// The ZIP package's bytes (`application/zip`), for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct OcfZip(pub Vec<u8>);

/// Whether the request's `Accept` header asks for `application/zip` at least as much as for
/// `application/json` (by their `q`); the TA's one reading of `Accept`.
pub struct AcceptsZip(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for AcceptsZip {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let zip = parts
            .headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(prefers_zip);
        Ok(Self(zip))
    }
}

fn prefers_zip(accept: &str) -> bool {
    let (mut zip, mut json) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=")?.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/zip" => zip = zip.max(q),
            "application/json" => json = json.max(q),
            _ => {}
        }
    }
    zip > 0.0 && zip >= json
}

/// The security's cap table as an OCF package.
#[utoipa::path(get, path = "/v1/securities/{id}/ocf", tag = "securities",
    params(("id" = String, Path, description = "`ast_…`"), OcfQuery),
    security(("bearer" = [])),
    description = "An OCF package (Open Cap Table Format release 1.2.0, `ocf_version` `1.2.0`) for the security (one stock class), as of today (UTC). \
Two forms of one package: by default JSON, `manifest` (an `OCF_MANIFEST_FILE` with the issuer) and `files`, keyed by file path, holding `stock_classes.ocf.json`, \
`stakeholders.ocf.json` and `transactions.ocf.json`; with `?format=zip` or `Accept: application/zip` (`format` wins over `Accept`), `application/zip`: `Manifest.ocf.json` \
at the archive's root and the three files it names, with `Content-Disposition: attachment; filename=\"{symbol}-{as_of}.ocf.zip\"` — what OCF tools load. \
Each file is written as its compact JSON serialisation, and the manifest's MD5 of a file is over exactly those bytes (in the JSON form, over the file object's compact serialisation). \
Transactions: TX_STOCK_ISSUANCE (issuances, and the securities transfers, conversions and balances create), TX_STOCK_TRANSFER, TX_STOCK_CLASS_SPLIT (splits and reverse splits), \
TX_STOCK_CONVERSION (conversions and mergers out of the security), TX_STOCK_REPURCHASE (redemptions, exercised rights of first refusal). \
Each lot is an OCF security whose id is the lot id; a lot partly taken leaves a balance security `{lot}@{entry}`. \
Stakeholders are the holders: `id` the platform investor id, `name.legal_name` and `stakeholder_type` (`INDIVIDUAL` for the BD's individuals, `INSTITUTION` for its entities) \
as the BD holds them, asked in one call with the TA's service token for the caller's organization. When the BD cannot answer (unreachable, an error, no answer within \
`TA_BD_TIMEOUT_SECS`) the export is still answered: each stakeholder is named by its investor id (type `INDIVIDUAL`, a placeholder) with a comment saying why, and so does the \
manifest's `comments`; an investor the BD does not know is named the same way. Authorized shares, votes per share and seniority are placeholders, said so in comments. \
Every error, whatever the form asked for, is the JSON error envelope.",
    responses(
        (status = 200, description = "The OCF package: JSON, or the ZIP with `?format=zip` / `Accept: application/zip`",
            content((Object = "application/json"), (OcfZip = "application/zip")),
            headers(("Content-Disposition" = String, description = "ZIP only: `attachment; filename=\"{symbol}-{as_of}.ocf.zip\"`"))),
        (status = 400, description = "`format` is neither `json` nor `zip`", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
    ))]
pub async fn get_ocf(
    State(state): State<AppState>,
    caller: Authorized<Readers>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<OcfQuery>,
    AcceptsZip(accepts_zip): AcceptsZip,
) -> ApiResult<Response> {
    let id = AssetId::parse_or_404(&id, "security")?;
    let zip = query.format.map_or(accepts_zip, |f| f == OcfFormat::Zip);
    let package = ocf::export(
        state.pool(),
        &state.downstream,
        &caller.org_id,
        id,
        state.clock.now(),
    )
    .await?;
    if !zip {
        return Ok(([(VARY, "Accept")], ApiJson(package.into_json())).into_response());
    }
    let bytes = package.to_zip().map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"{}\"", package.file_name);
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (VARY, "Accept".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::prefers_zip;

    #[test]
    fn accept_asks_for_the_zip() {
        assert!(prefers_zip("application/zip"));
        assert!(prefers_zip("application/json;q=0.5, application/zip"));
        assert!(prefers_zip("Application/ZIP; q=0.9, */*;q=0.1"));
        assert!(prefers_zip("application/zip, application/json"));
        assert!(!prefers_zip("application/json"));
        assert!(!prefers_zip("*/*"));
        assert!(!prefers_zip("application/zip;q=0"));
        assert!(!prefers_zip("application/zip;q=0.5, application/json"));
        assert!(!prefers_zip(""));
    }
}
