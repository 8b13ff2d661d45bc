//! The batch form of the ATS's events (`POST /v1/events/batch`): up to 500 events in one call,
//! each checked as the single endpoints check it, then applied by [`super::events::apply_all`]
//! in order, in one transaction, each answered as the single endpoints would answer it at that
//! point of the sequence.

use bytes::Bytes;
use iam_sdk::Caller;
use platform::extract::parse_json;
use platform::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::events::{self, Delivered, EventAnswer, EventEnvelope, within};
use crate::AppState;

/// The most events one batch may carry.
pub const MAX_BATCH: usize = 500;

/// `{"events": [...]}`: up to 500 events, applied in order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatchRequest {
    /// 1 to 500 events, each exactly as `POST /v1/events` (or `/v1/compliance/post-trade`)
    /// takes it, of any of the five types.
    #[schema(value_type = Vec<EventEnvelope>, min_items = 1, max_items = 500)]
    pub events: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventBatchAnswer {
    /// One answer per event, in the order of the request.
    pub results: Vec<EventAnswer>,
}

/// Checks the entry at `i` exactly as a single endpoint checks its body: a JSON object, an
/// envelope, then [`events::check`]; its fields named `events[i].…`.
fn entry(caller: &Caller, i: usize, document: Value) -> ApiResult<events::Checked> {
    let prefix = format!("events[{i}].");
    if !document.is_object() {
        return Err(ApiError::validation(
            &format!("events[{i}]"),
            "must be a JSON object",
        ));
    }
    // The entry's own document, read as the single endpoints read a body.
    let body = Bytes::from(serde_json::to_vec(&document).map_err(ApiError::internal)?);
    let envelope: EventEnvelope = parse_json(&body).map_err(|e| within(e, &prefix))?;
    let delivered = Delivered {
        envelope,
        payload: document,
        body,
    };
    events::check(caller, delivered, &prefix)
}

/// The events of a batch, in order (see the module). Any entry refused refuses the batch, and
/// nothing is recorded.
pub async fn consume_batch(
    state: &AppState,
    caller: &Caller,
    batch: EventBatchRequest,
) -> ApiResult<EventBatchAnswer> {
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
        return Err(ApiError::validation(
            "events",
            format!("must hold 1 to {MAX_BATCH} events"),
        ));
    }
    let checked = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, document)| entry(caller, i, document))
        .collect::<ApiResult<Vec<_>>>()?;
    let results = events::apply_all(state, caller, &checked).await?;
    Ok(EventBatchAnswer { results })
}
