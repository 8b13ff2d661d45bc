//! Outbox delivery: the dispatcher claims a book's stream (`FOR UPDATE SKIP LOCKED`, so
//! replicas share the streams and never deliver one out of order), delivers its pending events
//! to the BD in order in one call (`/v1/events/batch`, which applies them in that order, all or
//! none), marks them all delivered on a 2xx, and on a failure leaves the stream waiting
//! (exponential backoff on its head) while the other streams go on. Events survive restarts
//! and BD outages; a redelivery is harmless, the BD ignores an event id it has seen.

use std::time::Duration;

use platform::client::CallFailure;
use platform::ids::EventId;
use time::OffsetDateTime;

use crate::AppState;
use crate::store::outbox;

/// Events delivered per stream claim, in one call.
const PER_CLAIM: i64 = 200;
const _: () = assert!(PER_CLAIM as usize <= crate::downstream::EVENTS_BATCH);
/// Streams served per run before looking at the clock again.
const MAX_STREAMS: usize = 1000;

/// Delivers what is due; answers how many events were delivered.
pub async fn run_once(state: &AppState, now: OffsetDateTime) -> anyhow::Result<usize> {
    let mut delivered = 0;
    for _ in 0..MAX_STREAMS {
        match deliver_one_stream(state, now).await? {
            None => break,
            Some(n) => delivered += n,
        }
    }
    publish_backlog(state, now).await?;
    Ok(delivered)
}

/// Claims one due stream and delivers it; `None` when no stream is due.
async fn deliver_one_stream(
    state: &AppState,
    now: OffsetDateTime,
) -> anyhow::Result<Option<usize>> {
    let metrics = &state.platform.metrics;
    // The one cross-organization path: a stream belongs to one organization, and every event
    // is delivered with the service token acting for that organization.
    let mut tx = platform::db::begin_all_organizations(
        &state.platform.pool,
        "delivering outbox events of every organization",
    )
    .await?;
    let Some((org, asset)) = outbox::claim_stream(&mut tx, now).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let events = outbox::pending(&mut tx, &org, asset, PER_CLAIM).await?;
    let Some(head) = events.first() else {
        tx.commit().await?;
        return Ok(Some(0));
    };
    let payloads: Vec<&serde_json::Value> = events.iter().map(|e| &e.payload).collect();
    let done: Vec<EventId> = match state.downstream.deliver_batch(&org, &payloads).await {
        Ok(()) => events.iter().map(|e| e.id).collect(),
        Err(f) => {
            let retry = now + backoff(head.attempts);
            let why = describe(&f);
            tracing::warn!(event = %head.id, events = events.len(), org, attempts = head.attempts + 1, error = %why, "event delivery failed; the stream waits");
            metrics.incr("ats_outbox_delivery_failures_total", "");
            outbox::failed(&mut tx, &org, head.id, &why, retry).await?;
            Vec::new()
        }
    };
    outbox::delivered(&mut tx, &org, &done, now).await?;
    tx.commit().await?;
    for _ in &done {
        metrics.incr("ats_outbox_delivered_total", "");
    }
    Ok(Some(done.len()))
}

/// 1 s, 2 s, 4 s ... up to 5 minutes.
fn backoff(attempts: i32) -> time::Duration {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let secs = 2i64.saturating_pow(exp).min(300);
    time::Duration::seconds(secs)
}

fn describe(f: &CallFailure) -> String {
    let s = f.to_string();
    s.chars().take(500).collect()
}

async fn publish_backlog(state: &AppState, now: OffsetDateTime) -> anyhow::Result<()> {
    let mut tx =
        platform::db::begin_all_organizations(&state.platform.pool, "measuring the outbox backlog")
            .await?;
    let (count, age) = outbox::backlog(&mut tx, now).await?;
    tx.commit().await?;
    let metrics = &state.platform.metrics;
    metrics.set_gauge("ats_outbox_undelivered", "", count as f64);
    metrics.set_gauge("ats_outbox_lag_seconds", "", age);
    Ok(())
}

/// The dispatcher: runs until `shutdown`, at once again while there is work, else every
/// `ATS_OUTBOX_INTERVAL_MS`.
pub fn spawn(
    state: AppState,
    shutdown: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let idle: Duration = state.config.outbox_interval;
        loop {
            let pause = match run_once(&state, state.clock.now()).await {
                Ok(n) if n > 0 => Duration::ZERO,
                Ok(_) => idle,
                Err(e) => {
                    tracing::warn!(error = ?e, "outbox dispatcher failed; retrying");
                    idle.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(0), time::Duration::seconds(1));
        assert_eq!(backoff(3), time::Duration::seconds(8));
        assert_eq!(backoff(40), time::Duration::seconds(300));
        assert_eq!(backoff(-1), time::Duration::seconds(1));
    }
}
