//! The batch form of the pre-trade check (`POST /v1/compliance/pre-trade/batch`): up to 500
//! checks in one call, decided by [`super::check_all`] in order, in one transaction, each
//! answered exactly as the single endpoint would answer it at that point of the sequence.

use iam_sdk::Caller;
use platform::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PreTradeAnswer, PreTradeRequest, check_all};
use crate::AppState;

/// The most checks one batch may carry.
pub const MAX_BATCH: usize = 500;

/// `{"checks": [...]}`: up to 500 pre-trade requests, decided in order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreTradeBatchRequest {
    /// 1 to 500 checks, each as `POST /v1/compliance/pre-trade` takes it.
    #[schema(min_items = 1, max_items = 500)]
    pub checks: Vec<PreTradeRequest>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreTradeBatchAnswer {
    /// One answer per check, in the order of the request.
    pub results: Vec<PreTradeAnswer>,
}

/// The pre-trade checks of several orders, in order (see the module).
pub async fn check_batch(
    state: &AppState,
    caller: &Caller,
    batch: PreTradeBatchRequest,
) -> ApiResult<PreTradeBatchAnswer> {
    if batch.checks.is_empty() || batch.checks.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "checks",
            format!("must hold 1 to {MAX_BATCH} checks"),
        ));
    }
    for (i, r) in batch.checks.iter().enumerate() {
        r.check_bounds(&format!("checks[{i}]."))?;
    }
    let results = check_all(state, caller, &batch.checks).await?;
    Ok(PreTradeBatchAnswer { results })
}
