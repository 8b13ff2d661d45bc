//! `POST /v1/investors/lookup`: the names and types of many investors in one call, for the
//! platform's services (the TA names the holders of its OCF export with it).

use std::collections::BTreeSet;

use compliance::InvestorType;
use iam_sdk::Caller;
use platform::ids::InvestorId;
use platform::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::store::investors as store;

/// The most ids one lookup takes.
pub const MAX_LOOKUP: usize = 500;

/// `{"ids": [...]}`: the investors to name.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// 1 to 500 `inv_…` ids; an id given twice is answered once.
    #[schema(min_items = 1, max_items = 500)]
    pub ids: Vec<InvestorId>,
}

/// One investor as a lookup answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvestorName {
    pub id: InvestorId,
    /// `individual` or `entity`.
    #[serde(rename = "type")]
    #[schema(inline)]
    pub investor_type: InvestorType,
    pub legal_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LookupAnswer {
    /// The organization's investors among the ids asked, in id order; ids the organization
    /// does not have are left out.
    pub data: Vec<InvestorName>,
}

/// The organization's investors among `ids` (see the module).
pub async fn lookup(
    state: &AppState,
    caller: &Caller,
    request: LookupRequest,
) -> ApiResult<LookupAnswer> {
    if request.ids.is_empty() || request.ids.len() > MAX_LOOKUP {
        return Err(ApiError::validation(
            "ids",
            format!("must hold 1 to {MAX_LOOKUP} ids"),
        ));
    }
    let ids: Vec<InvestorId> = request
        .ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut tx = state.begin(&caller.org_id).await?;
    let rows = store::get_many(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(LookupAnswer {
        data: rows
            .into_iter()
            .map(|r| InvestorName {
                id: r.id,
                investor_type: r.investor_type,
                legal_name: r.legal_name,
            })
            .collect(),
    })
}
