//! Every check, kept for audit: KYC (and the provider's later updates), accreditation,
//! compliance officers' decisions, investor updates, pre-trade and settlement.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::ids::{CheckId, InvestorId};

#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: CheckId,
    pub kind: String,
    pub investor_id: Option<InvestorId>,
    pub status: String,
    pub approved: Option<bool>,
    pub reasons: Value,
    pub input: Value,
    pub details: Value,
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
    pub parent_id: Option<CheckId>,
    pub method: Option<String>,
    pub evidence_date: Option<Date>,
    pub verified_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub order_id: Option<Uuid>,
    pub settlement_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub created_by_name: String,
}

#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    pub id: CheckId,
    pub org_id: &'a str,
    pub kind: &'a str,
    pub investor_id: Option<InvestorId>,
    pub status: &'a str,
    pub approved: Option<bool>,
    pub reasons: Value,
    pub input: Value,
    pub details: Value,
    pub provider: Option<&'a str>,
    pub provider_ref: Option<&'a str>,
    pub parent_id: Option<CheckId>,
    pub method: Option<&'a str>,
    pub evidence_date: Option<Date>,
    pub verified_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
    pub order_id: Option<Uuid>,
    pub settlement_id: Option<Uuid>,
    /// Other investors the check concerns besides `investor_id` (a settlement's parties).
    pub parties: Vec<InvestorId>,
    pub created_at: OffsetDateTime,
    pub created_by: &'a str,
    pub created_by_name: &'a str,
}

impl<'a> NewCheck<'a> {
    /// A check with the common fields; the kind-specific ones are set by the caller.
    pub fn new(
        org_id: &'a str,
        kind: &'a str,
        status: &'a str,
        created_by: (&'a str, &'a str),
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: CheckId::new(),
            org_id,
            kind,
            investor_id: None,
            status,
            approved: None,
            reasons: Value::Array(Vec::new()),
            input: Value::Object(serde_json::Map::new()),
            details: Value::Object(serde_json::Map::new()),
            provider: None,
            provider_ref: None,
            parent_id: None,
            method: None,
            evidence_date: None,
            verified_at: None,
            expires_at: None,
            order_id: None,
            settlement_id: None,
            parties: Vec::new(),
            created_at: now,
            created_by: created_by.0,
            created_by_name: created_by.1,
        }
    }
}

pub async fn insert(conn: &mut PgConnection, c: &NewCheck<'_>) -> Result<(), sqlx::Error> {
    let mut investor_ids: Vec<Uuid> = c.investor_id.iter().map(|i| i.uuid()).collect();
    for p in &c.parties {
        if !investor_ids.contains(&p.uuid()) {
            investor_ids.push(p.uuid());
        }
    }
    sqlx::query!(
        "INSERT INTO checks (id, org_id, kind, investor_id, status, approved, reasons, input,
                             details, provider, provider_ref, parent_id, method, evidence_date,
                             verified_at, expires_at, order_id, settlement_id, created_at,
                             created_by, created_by_name, investor_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22)",
        c.id.uuid(),
        c.org_id,
        c.kind,
        c.investor_id.map(InvestorId::uuid),
        c.status,
        c.approved,
        c.reasons,
        c.input,
        c.details,
        c.provider,
        c.provider_ref,
        c.parent_id.map(CheckId::uuid),
        c.method,
        c.evidence_date,
        c.verified_at,
        c.expires_at,
        c.order_id,
        c.settlement_id,
        c.created_at,
        c.created_by,
        c.created_by_name,
        &investor_ids,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(
    pool: &PgPool,
    org_id: &str,
    id: CheckId,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks WHERE org_id = $1 AND id = $2"#,
        org_id,
        id.uuid()
    )
    .fetch_optional(pool)
    .await
}

/// The investor's accreditation verifications and the officers' decisions on them, latest
/// first.
pub async fn accreditations(
    conn: &mut PgConnection,
    org_id: &str,
    investor_id: InvestorId,
    before: Option<CheckId>,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks
           WHERE org_id = $1 AND investor_id = $2
             AND kind IN ('accreditation', 'accreditation_decision')
             AND ($3::uuid IS NULL OR id < $3)
           ORDER BY id DESC
           LIMIT $4"#,
        org_id,
        investor_id.uuid(),
        before.map(CheckId::uuid),
        limit
    )
    .fetch_all(conn)
    .await
}

/// The verification (or an officer's approval) that is valid at `now` and lasts longest, if
/// any.
pub async fn valid_accreditation(
    conn: &mut PgConnection,
    org_id: &str,
    investor_id: InvestorId,
    now: OffsetDateTime,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks
           WHERE org_id = $1 AND investor_id = $2
             AND kind IN ('accreditation', 'accreditation_decision')
             AND status = 'verified' AND expires_at > $3
           ORDER BY expires_at DESC, id DESC
           LIMIT 1"#,
        org_id,
        investor_id.uuid(),
        now
    )
    .fetch_optional(conn)
    .await
}

/// The latest accreditation evidence of each method that carries financial figures
/// (`income`, `net_worth`), newest first.
pub async fn financial_evidence(
    conn: &mut PgConnection,
    org_id: &str,
    investor_id: InvestorId,
) -> Result<Vec<(String, Value, CheckId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (method) method AS "method!", input, id AS "id: CheckId"
           FROM checks
           WHERE org_id = $1 AND investor_id = $2 AND kind = 'accreditation'
             AND method IN ('income', 'net_worth')
           ORDER BY method, id DESC"#,
        org_id,
        investor_id.uuid()
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.method, r.input, r.id))
        .collect())
}

/// The latest KYC check (not a provider update) with this provider's applicant id.
pub async fn kyc_by_provider_ref(
    conn: &mut PgConnection,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<(String, CheckRow)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT org_id, id AS "id: CheckId" FROM checks
           WHERE provider = $1 AND provider_ref = $2 AND kind = 'kyc'
           ORDER BY id DESC LIMIT 1"#,
        provider,
        provider_ref
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let check = sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks WHERE id = $1"#,
        row.id.uuid()
    )
    .fetch_one(conn)
    .await?;
    Ok(Some((row.org_id, check)))
}

/// Claims a provider webhook event; `false` when it was applied already.
pub async fn claim_webhook(
    conn: &mut PgConnection,
    provider: &str,
    event_key: &str,
    org_id: Option<&str>,
    check_id: Option<CheckId>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO kyc_webhook_events (provider, event_key, org_id, check_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        provider,
        event_key,
        org_id,
        check_id.map(CheckId::uuid),
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One check, read inside a transaction.
pub async fn get_in(
    conn: &mut PgConnection,
    org_id: &str,
    id: CheckId,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks WHERE org_id = $1 AND id = $2"#,
        org_id,
        id.uuid()
    )
    .fetch_optional(conn)
    .await
}

/// The investor's latest check of `kind` (`kyc`: a KYC run, not a provider update or a
/// decision; `accreditation`: a verification request, not a decision).
pub async fn latest_of_kind(
    conn: &mut PgConnection,
    org_id: &str,
    investor_id: InvestorId,
    kind: &str,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks
           WHERE org_id = $1 AND investor_id = $2 AND kind = $3
           ORDER BY id DESC
           LIMIT 1"#,
        org_id,
        investor_id.uuid(),
        kind
    )
    .fetch_optional(conn)
    .await
}

/// The latest check of `kind` that decides `parent`, if any.
pub async fn decision_of(
    conn: &mut PgConnection,
    org_id: &str,
    parent: CheckId,
    kind: &str,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks
           WHERE org_id = $1 AND parent_id = $2 AND kind = $3
           ORDER BY id DESC
           LIMIT 1"#,
        org_id,
        parent.uuid(),
        kind
    )
    .fetch_optional(conn)
    .await
}

/// Every check concerning the investor (its own and the settlements it is a party to),
/// newest first, optionally of one kind.
pub async fn for_investor(
    conn: &mut PgConnection,
    org_id: &str,
    investor_id: InvestorId,
    kind: Option<&str>,
    before: Option<CheckId>,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as!(
        CheckRow,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id, settlement_id, created_at, created_by, created_by_name
           FROM checks
           WHERE org_id = $1 AND investor_ids @> ARRAY[$2::uuid]
             AND ($3::text IS NULL OR kind = $3)
             AND ($4::uuid IS NULL OR id < $4)
           ORDER BY id DESC
           LIMIT $5"#,
        org_id,
        investor_id.uuid(),
        kind,
        before.map(CheckId::uuid),
        limit
    )
    .fetch_all(conn)
    .await
}
