//! The `outbox`: events for the BD, written in the transaction of the change they report, and
//! the per-book `outbox_streams` a dispatcher holds while it delivers a book's events in order.

use platform::db::TenantTx;
use platform::ids::{AssetId, EventId};
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use vocab::EventType;

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub asset_id: AssetId,
    pub event_type: EventType,
    /// The whole envelope as delivered: `{"id", "type", "created_at", "organization_id", "data"}`.
    pub payload: Value,
    pub created_at: OffsetDateTime,
}

/// Appends events to their books' streams, in the order given.
pub async fn insert(tx: &mut TenantTx, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let org = tx.org().to_owned();
    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    let assets: Vec<AssetId> = events.iter().map(|e| e.asset_id).collect();
    let types: Vec<String> = events
        .iter()
        .map(|e| e.event_type.as_str().to_owned())
        .collect();
    let payloads: Vec<Value> = events.iter().map(|e| e.payload.clone()).collect();
    let times: Vec<OffsetDateTime> = events.iter().map(|e| e.created_at).collect();
    // WITH ORDINALITY keeps the given order in the identity column `position`.
    sqlx::query!(
        r#"INSERT INTO outbox (organization_id, id, asset_id, type, payload, created_at,
                               next_attempt_at)
           SELECT $1, u.id, u.asset_id, u.type, u.payload, u.at, u.at
           FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::jsonb[], $6::timestamptz[])
                WITH ORDINALITY AS u(id, asset_id, type, payload, at, n)
           ORDER BY u.n"#,
        org,
        &ids as &[EventId],
        &assets as &[AssetId],
        &types,
        &payloads,
        &times,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims one book's stream whose next event is due, skipping streams another dispatcher
/// holds. Runs in the cross-organization transaction of the dispatcher, which keeps the
/// stream until it commits.
pub async fn claim_stream(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> Result<Option<(String, AssetId)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT s.organization_id, s.asset_id AS "asset_id: AssetId"
           FROM outbox_streams s
           WHERE (SELECT o.next_attempt_at FROM outbox o
                  WHERE o.organization_id = s.organization_id AND o.asset_id = s.asset_id
                    AND o.delivered_at IS NULL
                  ORDER BY o.position LIMIT 1) <= $1
           LIMIT 1
           FOR UPDATE OF s SKIP LOCKED"#,
        now,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.organization_id, r.asset_id)))
}

#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub id: EventId,
    pub event_type: String,
    pub payload: Value,
    pub attempts: i32,
}

/// The stream's undelivered events, oldest first.
pub async fn pending(
    conn: &mut PgConnection,
    org: &str,
    asset: AssetId,
    limit: i64,
) -> Result<Vec<PendingEvent>, sqlx::Error> {
    sqlx::query_as!(
        PendingEvent,
        r#"SELECT id AS "id: EventId", type AS event_type, payload, attempts FROM outbox
           WHERE organization_id = $1 AND asset_id = $2 AND delivered_at IS NULL
           ORDER BY position LIMIT $3"#,
        org,
        asset as AssetId,
        limit,
    )
    .fetch_all(conn)
    .await
}

pub async fn delivered(
    conn: &mut PgConnection,
    org: &str,
    ids: &[EventId],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE outbox SET delivered_at = $3, attempts = attempts + 1, last_error = NULL
         WHERE organization_id = $1 AND id = ANY($2)",
        org,
        ids as &[EventId],
        now,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed delivery; the stream waits until `retry_at`.
pub async fn failed(
    conn: &mut PgConnection,
    org: &str,
    id: EventId,
    error: &str,
    retry_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4
         WHERE organization_id = $1 AND id = $2",
        org,
        id as EventId,
        error,
        retry_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Undelivered events across every organization, and the age of the oldest in seconds.
pub async fn backlog(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> Result<(i64, f64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "count!",
                  COALESCE(EXTRACT(EPOCH FROM ($1 - min(created_at)))::float8, 0) AS "age!"
           FROM outbox WHERE delivered_at IS NULL"#,
        now,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.count, row.age.max(0.0)))
}
