//! Surveillance alerts and their transitions.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use crate::ids::{AlertId, AssetId, TradeId};

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: AlertId,
    pub rule: String,
    pub severity: String,
    pub status: String,
    pub message: String,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub investor_ids: Vec<String>,
    pub details: Value,
    pub trade_date: Date,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct TransitionRow {
    pub alert_id: AlertId,
    pub from_status: String,
    pub to_status: String,
    pub note: String,
    pub actor: String,
    pub actor_name: String,
    pub at: OffsetDateTime,
}

pub struct NewAlert<'a> {
    pub id: AlertId,
    pub org_id: &'a str,
    pub rule: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub investor_ids: &'a [String],
    pub details: &'a Value,
    pub trade_date: Date,
    pub created_at: OffsetDateTime,
}

/// `false` when the same rule already fired for this trade and these investors.
pub async fn insert(conn: &mut PgConnection, a: &NewAlert<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO alerts (id, org_id, rule, severity, status, message, trade_id, asset_id,
                             investor_ids, details, trade_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (org_id, trade_id, rule, investor_ids) DO NOTHING",
        a.id.uuid(),
        a.org_id,
        a.rule,
        a.severity,
        a.message,
        a.trade_id.uuid(),
        a.asset_id.uuid(),
        a.investor_ids,
        a.details,
        a.trade_date,
        a.created_at,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct AlertFilter<'a> {
    pub before: Option<AlertId>,
    pub status: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub asset_id: Option<AssetId>,
    pub investor_id: Option<&'a str>,
    pub date: Option<Date>,
    pub limit: i64,
}

/// Newest first.
pub async fn list(
    pool: &PgPool,
    org_id: &str,
    f: &AlertFilter<'_>,
) -> Result<Vec<AlertRow>, sqlx::Error> {
    sqlx::query_as!(
        AlertRow,
        r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                  trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                  investor_ids, details, trade_date, created_at, updated_at
           FROM alerts
           WHERE org_id = $1
             AND ($2::uuid IS NULL OR id < $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::text IS NULL OR rule = $4)
             AND ($5::uuid IS NULL OR asset_id = $5)
             AND ($6::text IS NULL OR investor_ids @> ARRAY[$6::text])
             AND ($7::date IS NULL OR trade_date = $7)
           ORDER BY id DESC
           LIMIT $8"#,
        org_id,
        f.before.map(AlertId::uuid),
        f.status,
        f.rule,
        f.asset_id.map(AssetId::uuid),
        f.investor_id,
        f.date,
        f.limit,
    )
    .fetch_all(pool)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    org_id: &str,
    id: AlertId,
    for_update: bool,
) -> Result<Option<AlertRow>, sqlx::Error> {
    if for_update {
        sqlx::query_as!(
            AlertRow,
            r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                      trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                      investor_ids, details, trade_date, created_at, updated_at
               FROM alerts WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
            org_id,
            id.uuid()
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            AlertRow,
            r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                      trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                      investor_ids, details, trade_date, created_at, updated_at
               FROM alerts WHERE org_id = $1 AND id = $2"#,
            org_id,
            id.uuid()
        )
        .fetch_optional(conn)
        .await
    }
}

pub async fn transitions(
    conn: &mut PgConnection,
    alerts: &[AlertId],
) -> Result<Vec<TransitionRow>, sqlx::Error> {
    let ids: Vec<uuid::Uuid> = alerts.iter().map(|a| a.uuid()).collect();
    sqlx::query_as!(
        TransitionRow,
        r#"SELECT alert_id AS "alert_id: AlertId", from_status, to_status, note, actor,
                  actor_name, at
           FROM alert_transitions WHERE alert_id = ANY($1)
           ORDER BY alert_id, seq"#,
        &ids
    )
    .fetch_all(conn)
    .await
}

#[derive(Clone, Copy)]
pub struct Transition<'a> {
    pub id: AlertId,
    pub from: &'a str,
    pub to: &'a str,
    pub note: &'a str,
    pub actor: &'a str,
    pub actor_name: &'a str,
    pub at: OffsetDateTime,
}

/// Moves the alert (locked by the caller) and records who did it and why.
pub async fn transition(conn: &mut PgConnection, t: &Transition<'_>) -> Result<(), sqlx::Error> {
    let Transition {
        id,
        from,
        to,
        note,
        actor,
        actor_name,
        at,
    } = *t;
    sqlx::query!(
        "UPDATE alerts SET status = $2, updated_at = $3 WHERE id = $1",
        id.uuid(),
        to,
        at
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO alert_transitions (alert_id, seq, from_status, to_status, note, actor,
                                        actor_name, at)
         VALUES ($1, (SELECT COUNT(*) + 1 FROM alert_transitions WHERE alert_id = $1)::int,
                 $2, $3, $4, $5, $6, $7)",
        id.uuid(),
        from,
        to,
        note,
        actor,
        actor_name,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}
