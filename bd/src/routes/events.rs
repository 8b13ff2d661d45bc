//! The ATS's events: `POST /v1/events` (order events) and `POST /v1/compliance/post-trade`
//! (`trade.executed`). Each is applied once per organization and event id.

use axum::extract::State;
use platform::error::ErrorBody;
use platform::{ApiJson, ApiResult, Authorized};

use super::extract::Audited;
use crate::AppState;
use crate::roles::Internal;
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
endpoints take any of the five event types.";

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
