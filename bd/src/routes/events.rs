//! The ATS's events: `POST /v1/events` (order events), `POST /v1/compliance/post-trade`
//! (`trade.executed`) and `POST /v1/events/batch` (up to 500 of either, in order). Each is
//! applied once per organization and event id.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiJson, ApiResult, Authorized};

use super::extract::Audited;
use crate::AppState;
use crate::roles::Internal;
use crate::surveillance::batch::{self, EventBatchAnswer, EventBatchRequest};
use crate::surveillance::events::{self, Delivered, EventAnswer, EventEnvelope};

const EVENTS_DESCRIPTION: &str = "Internal: the platform's services only (a user token is 403). \
`organization_id` must be the organization of `X-IAM-Org` (403 otherwise). Each event is \
applied once per organization: a replay of an id already seen answers 200 with \
`duplicate: true` and changes nothing (at-least-once delivery). A trade already known under \
another event id is recorded as an event but not surveilled again. Order events move the BD's \
view of the order (`accepted` → open; `rejected`, `cancelled`, `expired` are final), which \
releases what an approved buy reserved against an investment limit; every event is kept for \
CAT/OATS reporting. `trade.executed` records the trade (it counts in the buyer's investment \
limits) and runs surveillance: wash trade (same investor on both sides, or a shared beneficial \
owner: an entity's declared owners, an individual with a date of birth itself, matched by \
normalised name and date of birth), concentration (an investor's share of the asset's Eastern \
Time daily volume above `SURVEILLANCE_CONCENTRATION_SHARE`, judged from \
`SURVEILLANCE_CONCENTRATION_MIN_TRADES` trades a day), price deviation from the asset's \
previous trade above `SURVEILLANCE_PRICE_DEVIATION`; the alerts raised are in the answer. Both \
endpoints take any of the five event types; `POST /v1/events/batch` takes up to 500 of them in \
one call.";

async fn consume(
    state: &AppState,
    caller: &Authorized<Internal>,
    event: Audited<EventEnvelope>,
) -> ApiResult<ApiJson<EventAnswer>> {
    let delivered = Delivered {
        envelope: event.body,
        payload: event.raw,
        body: event.bytes,
    };
    Ok(ApiJson(events::consume(state, caller, delivered).await?))
}

/// Order events from the ATS.
#[utoipa::path(post, path = "/v1/events", tag = "events",
    request_body = EventEnvelope,
    security(("bearer" = [])),
    description = EVENTS_DESCRIPTION,
    responses(
        (status = 200, description = "Applied, or already applied", body = EventAnswer),
        (status = 400, description = "Malformed event; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service, or organization_id is not X-IAM-Org", body = ErrorBody),
    ))]
pub async fn order_events(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    event: Audited<EventEnvelope>,
) -> ApiResult<ApiJson<EventAnswer>> {
    consume(&state, &caller, event).await
}

/// `trade.executed` from the ATS: feeds surveillance, limits and CAT.
#[utoipa::path(post, path = "/v1/compliance/post-trade", tag = "events",
    request_body = EventEnvelope,
    security(("bearer" = [])),
    description = EVENTS_DESCRIPTION,
    responses(
        (status = 200, description = "Applied, or already applied", body = EventAnswer),
        (status = 400, description = "Malformed event; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service, or organization_id is not X-IAM-Org", body = ErrorBody),
    ))]
pub async fn post_trade(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    event: Audited<EventEnvelope>,
) -> ApiResult<ApiJson<EventAnswer>> {
    consume(&state, &caller, event).await
}

/// Many events from the ATS at once, applied in order.
#[utoipa::path(post, path = "/v1/events/batch", tag = "events",
    request_body = EventBatchRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only (a user token, even an admin's, is \
403). The batch form of `POST /v1/events` and `POST /v1/compliance/post-trade`, for the ATS \
delivering a book's pending events at once: `{\"events\": [...]}` holds 1 to 500 events, each \
exactly as the single endpoints take it (any of the five types, in any mix), and the answer \
`{\"results\": [...]}` holds one answer per event, in the order of the request, each exactly \
what the single endpoint would have answered had the events been delivered one after the other \
in that order (`event_id`, `type`, `duplicate`, `alerts`).\n\n\
Order matters, and is kept: the events are applied in the order given, each with exactly the \
effect it has delivered alone at that point. An event id the organization has seen, in an \
earlier call or earlier in this batch, is `duplicate: true` and changes nothing. Order events \
move the BD's view of the order in turn (an order accepted then cancelled in one batch ends \
cancelled, and releases what an approved buy reserved; a final status is never left). Each \
trade is recorded and surveilled against the trades recorded before it, those of earlier \
entries included (its previous trade, the day's volume), and the alerts it raises are in its \
own answer. CAT/OATS reporting reads the events in the order given. A trade already known \
under another event id is recorded as an event but not surveilled again.\n\n\
The batch is applied in one transaction: either every event is recorded or, on an error, \
none is; a trade's asset is locked against other calls recording trades of it until the batch \
is done. Invalid input refuses the whole batch and records nothing: an empty or missing \
`events` or more than 500 (400 `details.fields.events`), an entry that is not a JSON object or \
not a valid event, or a quantity or price out of bounds (400, the field named by the entry's \
position, e.g. `events[3].data.quantity`), and an entry whose `organization_id` is not the \
organization of `X-IAM-Org` (403, `details.field` names it, e.g. `events[3].organization_id`). \
The body is at most 1 MiB. A redelivery of the same batch is harmless (its events are \
duplicates), so the call may be retried without an `Idempotency-Key`.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    responses(
        (status = 200, description = "One answer per event, in order", body = EventBatchAnswer),
        (status = 400, description = "Invalid body; details.fields names the fields (`events[i].field`)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service, or an entry's organization_id is not X-IAM-Org", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
    ))]
pub async fn events_batch(
    caller: Authorized<Internal>,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EventBatchRequest>,
) -> ApiResult<ApiJson<EventBatchAnswer>> {
    Ok(ApiJson(batch::consume_batch(&state, &caller, body).await?))
}
