//! Surveillance alerts and their transitions.

use compliance::surveillance::{AlertRule, Severity};
use platform::db::TenantTx;
use platform::ids::{AlertId, AssetId, TradeId};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use super::wire;
use crate::wire::AlertStatus;

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: AlertId,
    pub rule: AlertRule,
    pub severity: Severity,
    pub status: AlertStatus,
    pub message: String,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub investor_ids: Vec<String>,
    pub details: Value,
    pub trade_date: Date,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A row as read, before its wire names are checked.
struct Record {
    id: AlertId,
    rule: String,
    severity: String,
    status: String,
    message: String,
    trade_id: TradeId,
    asset_id: AssetId,
    investor_ids: Vec<String>,
    details: Value,
    trade_date: Date,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<Record> for AlertRow {
    type Error = sqlx::Error;
    fn try_from(r: Record) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.id,
            rule: wire("alerts.rule", &r.rule)?,
            severity: wire("alerts.severity", &r.severity)?,
            status: wire("alerts.status", &r.status)?,
            message: r.message,
            trade_id: r.trade_id,
            asset_id: r.asset_id,
            investor_ids: r.investor_ids,
            details: r.details,
            trade_date: r.trade_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
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
    pub rule: AlertRule,
    pub severity: Severity,
    pub message: &'a str,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub investor_ids: &'a [String],
    pub details: &'a Value,
    pub trade_date: Date,
    pub created_at: OffsetDateTime,
}

/// Records the alerts, one statement per [`super::checks::STATEMENT_BYTES`] of them, and
/// answers those recorded as stored: an alert whose rule already fired for its trade and
/// investors is left out.
pub async fn insert_many(
    tx: &mut TenantTx,
    alerts: &[NewAlert<'_>],
) -> Result<Vec<AlertRow>, sqlx::Error> {
    let size = |a: &NewAlert<'_>| {
        256 + a.message.len()
            + a.investor_ids.iter().map(|i| i.len() + 4).sum::<usize>()
            + serde_json::to_string(a.details).map_or(0, |s| s.len())
    };
    let mut out = Vec::with_capacity(alerts.len());
    for run in super::runs(alerts, size) {
        out.extend(insert_rows(tx, run).await?);
    }
    Ok(out)
}

async fn insert_rows(
    tx: &mut TenantTx,
    alerts: &[NewAlert<'_>],
) -> Result<Vec<AlertRow>, sqlx::Error> {
    let n = alerts.len();
    let (mut id, mut rule, mut severity, mut message, mut trade, mut asset) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut investors, mut details, mut date, mut created_at) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for a in alerts {
        id.push(a.id);
        rule.push(a.rule.as_str().to_owned());
        severity.push(a.severity.as_str().to_owned());
        message.push(a.message.to_owned());
        trade.push(a.trade_id);
        asset.push(a.asset_id);
        // An array per row: UNNEST of a text[][] would flatten it, so each goes as JSON.
        investors.push(serde_json::json!(a.investor_ids));
        details.push(a.details.clone());
        date.push(a.trade_date);
        created_at.push(a.created_at);
    }
    let records = sqlx::query_as!(
        Record,
        r#"INSERT INTO alerts (id, organization_id, rule, severity, status, message, trade_id,
                               asset_id, investor_ids, details, trade_date, created_at,
                               updated_at)
           SELECT a.id, $1, a.rule, a.severity, 'open', a.message, a.trade_id, a.asset_id,
                  ARRAY(SELECT i.value FROM jsonb_array_elements_text(a.investor_ids)
                                            WITH ORDINALITY AS i(value, n)
                        ORDER BY i.n),
                  a.details, a.trade_date, a.created_at, a.created_at
           FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],
                       $8::jsonb[], $9::jsonb[], $10::date[], $11::timestamptz[])
                WITH ORDINALITY AS a(id, rule, severity, message, trade_id, asset_id,
                                     investor_ids, details, trade_date, created_at, n)
           ORDER BY a.n
           ON CONFLICT (organization_id, trade_id, rule, investor_ids) DO NOTHING
           RETURNING id AS "id: AlertId", rule, severity, status, message,
                     trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                     investor_ids, details, trade_date, created_at, updated_at"#,
        tx.org(),
        &id as &[AlertId],
        &rule,
        &severity,
        &message,
        &trade as &[TradeId],
        &asset as &[AssetId],
        &investors,
        &details,
        &date,
        &created_at,
    )
    .fetch_all(&mut **tx)
    .await?;
    records.into_iter().map(AlertRow::try_from).collect()
}

pub struct AlertFilter<'a> {
    pub before: Option<AlertId>,
    pub status: Option<AlertStatus>,
    pub rule: Option<AlertRule>,
    pub asset_id: Option<AssetId>,
    pub investor_id: Option<&'a str>,
    pub date: Option<Date>,
    pub limit: i64,
}

/// Newest first.
pub async fn list(tx: &mut TenantTx, f: &AlertFilter<'_>) -> Result<Vec<AlertRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                  trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                  investor_ids, details, trade_date, created_at, updated_at
           FROM alerts
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR id < $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::text IS NULL OR rule = $4)
             AND ($5::uuid IS NULL OR asset_id = $5)
             AND ($6::text IS NULL OR investor_ids @> ARRAY[$6::text])
             AND ($7::date IS NULL OR trade_date = $7)
           ORDER BY id DESC
           LIMIT $8"#,
        tx.org(),
        f.before.map(AlertId::uuid),
        f.status.map(AlertStatus::as_str),
        f.rule.map(AlertRule::as_str),
        f.asset_id.map(AssetId::uuid),
        f.investor_id,
        f.date,
        f.limit,
    )
    .fetch_all(&mut **tx)
    .await?;
    records.into_iter().map(AlertRow::try_from).collect()
}

pub async fn get(
    tx: &mut TenantTx,
    id: AlertId,
    for_update: bool,
) -> Result<Option<AlertRow>, sqlx::Error> {
    let record = if for_update {
        sqlx::query_as!(
            Record,
            r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                      trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                      investor_ids, details, trade_date, created_at, updated_at
               FROM alerts WHERE organization_id = $1 AND id = $2 FOR UPDATE"#,
            tx.org(),
            id.uuid()
        )
        .fetch_optional(&mut **tx)
        .await?
    } else {
        sqlx::query_as!(
            Record,
            r#"SELECT id AS "id: AlertId", rule, severity, status, message,
                      trade_id AS "trade_id: TradeId", asset_id AS "asset_id: AssetId",
                      investor_ids, details, trade_date, created_at, updated_at
               FROM alerts WHERE organization_id = $1 AND id = $2"#,
            tx.org(),
            id.uuid()
        )
        .fetch_optional(&mut **tx)
        .await?
    };
    record.map(AlertRow::try_from).transpose()
}

pub async fn transitions(
    tx: &mut TenantTx,
    alerts: &[AlertId],
) -> Result<Vec<TransitionRow>, sqlx::Error> {
    sqlx::query_as!(
        TransitionRow,
        r#"SELECT alert_id AS "alert_id: AlertId", from_status, to_status, note, actor,
                  actor_name, at
           FROM alert_transitions WHERE organization_id = $1 AND alert_id = ANY($2)
           ORDER BY alert_id, seq"#,
        tx.org(),
        alerts as &[AlertId]
    )
    .fetch_all(&mut **tx)
    .await
}

#[derive(Clone, Copy)]
pub struct Transition<'a> {
    pub id: AlertId,
    pub from: AlertStatus,
    pub to: AlertStatus,
    pub note: &'a str,
    pub actor: &'a str,
    pub actor_name: &'a str,
    pub at: OffsetDateTime,
}

/// Moves the alert (locked by the caller) and records who did it and why.
pub async fn transition(tx: &mut TenantTx, t: &Transition<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE alerts SET status = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2",
        tx.org(),
        t.id.uuid(),
        t.to.as_str(),
        t.at
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO alert_transitions (organization_id, alert_id, seq, from_status, to_status,
                                        note, actor, actor_name, at)
         VALUES ($1, $2,
                 (SELECT COUNT(*) + 1 FROM alert_transitions
                  WHERE organization_id = $1 AND alert_id = $2)::int,
                 $3, $4, $5, $6, $7, $8)",
        tx.org(),
        t.id.uuid(),
        t.from.as_str(),
        t.to.as_str(),
        t.note,
        t.actor,
        t.actor_name,
        t.at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
