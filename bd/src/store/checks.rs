//! Every check, kept for audit: KYC (and the provider's later updates), accreditation,
//! compliance officers' decisions, investor updates, pre-trade and settlement.

use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId, OrderId, SettlementId};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::wire;
use crate::wire::CheckKind;

#[derive(Debug, Clone)]
pub struct CheckRow {
    pub id: CheckId,
    pub kind: CheckKind,
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
    pub order_id: Option<OrderId>,
    pub settlement_id: Option<SettlementId>,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub created_by_name: String,
}

/// A row as read, before its kind is checked.
struct Record {
    id: CheckId,
    kind: String,
    investor_id: Option<InvestorId>,
    status: String,
    approved: Option<bool>,
    reasons: Value,
    input: Value,
    details: Value,
    provider: Option<String>,
    provider_ref: Option<String>,
    parent_id: Option<CheckId>,
    method: Option<String>,
    evidence_date: Option<Date>,
    verified_at: Option<OffsetDateTime>,
    expires_at: Option<OffsetDateTime>,
    order_id: Option<OrderId>,
    settlement_id: Option<SettlementId>,
    created_at: OffsetDateTime,
    created_by: String,
    created_by_name: String,
}

impl TryFrom<Record> for CheckRow {
    type Error = sqlx::Error;
    fn try_from(r: Record) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.id,
            kind: wire("checks.kind", &r.kind)?,
            investor_id: r.investor_id,
            status: r.status,
            approved: r.approved,
            reasons: r.reasons,
            input: r.input,
            details: r.details,
            provider: r.provider,
            provider_ref: r.provider_ref,
            parent_id: r.parent_id,
            method: r.method,
            evidence_date: r.evidence_date,
            verified_at: r.verified_at,
            expires_at: r.expires_at,
            order_id: r.order_id,
            settlement_id: r.settlement_id,
            created_at: r.created_at,
            created_by: r.created_by,
            created_by_name: r.created_by_name,
        })
    }
}

fn typed(records: Vec<Record>) -> Result<Vec<CheckRow>, sqlx::Error> {
    records.into_iter().map(CheckRow::try_from).collect()
}

fn typed_one(record: Option<Record>) -> Result<Option<CheckRow>, sqlx::Error> {
    record.map(CheckRow::try_from).transpose()
}

#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    pub id: CheckId,
    pub kind: CheckKind,
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
    pub order_id: Option<OrderId>,
    pub settlement_id: Option<SettlementId>,
    /// Other investors the check concerns besides `investor_id` (a settlement's parties).
    pub parties: Vec<InvestorId>,
    pub created_at: OffsetDateTime,
    pub created_by: &'a str,
    pub created_by_name: &'a str,
}

impl<'a> NewCheck<'a> {
    /// A check with the common fields; the kind-specific ones are set by the caller.
    pub fn new(
        kind: CheckKind,
        status: &'a str,
        created_by: (&'a str, &'a str),
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: CheckId::new(),
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

    /// Every investor the check concerns: its own and the parties, once each.
    fn investor_ids(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.investor_id.iter().map(|i| i.uuid()).collect();
        for p in &self.parties {
            if !ids.contains(&p.uuid()) {
                ids.push(p.uuid());
            }
        }
        ids
    }
}

pub async fn insert(tx: &mut TenantTx, c: &NewCheck<'_>) -> Result<(), sqlx::Error> {
    let investor_ids = c.investor_ids();
    sqlx::query!(
        "INSERT INTO checks (id, organization_id, kind, investor_id, status, approved, reasons,
                             input, details, provider, provider_ref, parent_id, method,
                             evidence_date, verified_at, expires_at, order_id, settlement_id,
                             created_at, created_by, created_by_name, investor_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22)",
        c.id.uuid(),
        tx.org(),
        c.kind.as_str(),
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
        c.order_id.map(OrderId::uuid),
        c.settlement_id.map(SettlementId::uuid),
        c.created_at,
        c.created_by,
        c.created_by_name,
        &investor_ids,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// About the most parameter bytes one multi-row statement carries (the JSON of its checks, the
/// rest estimated). sqlx 0.9 does not set `TCP_NODELAY`: a statement whose message does not go
/// out in one piece waits for the server's delayed ACK, about 40 ms, before its tail is sent.
/// Measured on loopback, 64 pre-trade checks (~56 KiB) in one statement took 45 ms, and in
/// chunks of ~16 KiB under 1 ms each; from about 23 KiB on, each statement stalled. (Over a
/// real network the segment is ~1.4 KiB: the cure there is `TCP_NODELAY` on the connection.)
pub(crate) const STATEMENT_BYTES: usize = 12 * 1024;

/// Inserts many checks at once (a batch of pre-trade checks): one statement per
/// [`STATEMENT_BYTES`] of checks, whatever their number. Checks with parties beyond their investor are not batched
/// (settlements).
pub async fn insert_many(tx: &mut TenantTx, checks: &[NewCheck<'_>]) -> Result<(), sqlx::Error> {
    let mut start = 0;
    let mut bytes = 0;
    for (i, c) in checks.iter().enumerate() {
        let size = 256
            + [&c.reasons, &c.input, &c.details]
                .iter()
                .map(|v| serde_json::to_string(v).map_or(0, |s| s.len()))
                .sum::<usize>();
        if i > start && bytes + size > STATEMENT_BYTES {
            insert_rows(tx, &checks[start..i]).await?;
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    insert_rows(tx, &checks[start..]).await
}

async fn insert_rows(tx: &mut TenantTx, checks: &[NewCheck<'_>]) -> Result<(), sqlx::Error> {
    if checks.is_empty() {
        return Ok(());
    }
    let n = checks.len();
    let mut id = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut investor = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut approved = Vec::with_capacity(n);
    let mut reasons = Vec::with_capacity(n);
    let mut input = Vec::with_capacity(n);
    let mut details = Vec::with_capacity(n);
    let mut order = Vec::with_capacity(n);
    let mut created_at = Vec::with_capacity(n);
    let mut created_by = Vec::with_capacity(n);
    let mut created_by_name = Vec::with_capacity(n);
    for c in checks {
        debug_assert!(
            c.parties.is_empty(),
            "a check with parties is inserted alone"
        );
        id.push(c.id.uuid());
        kind.push(c.kind.as_str().to_owned());
        investor.push(c.investor_id.map(InvestorId::uuid));
        status.push(c.status.to_owned());
        approved.push(c.approved);
        reasons.push(c.reasons.clone());
        input.push(c.input.clone());
        details.push(c.details.clone());
        order.push(c.order_id.map(OrderId::uuid));
        created_at.push(c.created_at);
        created_by.push(c.created_by.to_owned());
        created_by_name.push(c.created_by_name.to_owned());
    }
    sqlx::query!(
        "INSERT INTO checks (id, organization_id, kind, investor_id, status, approved, reasons,
                             input, details, order_id, created_at, created_by, created_by_name,
                             investor_ids)
         SELECT c.id, $1, c.kind, c.investor_id, c.status, c.approved, c.reasons, c.input,
                c.details, c.order_id, c.created_at, c.created_by, c.created_by_name,
                CASE WHEN c.investor_id IS NULL THEN '{}'::uuid[] ELSE ARRAY[c.investor_id] END
         FROM UNNEST($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::bool[], $7::jsonb[],
                     $8::jsonb[], $9::jsonb[], $10::uuid[], $11::timestamptz[], $12::text[],
                     $13::text[])
              AS c(id, kind, investor_id, status, approved, reasons, input, details, order_id,
                   created_at, created_by, created_by_name)",
        tx.org(),
        &id,
        &kind,
        &investor as &[Option<Uuid>],
        &status,
        &approved as &[Option<bool>],
        &reasons,
        &input,
        &details,
        &order as &[Option<Uuid>],
        &created_at,
        &created_by,
        &created_by_name,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: CheckId) -> Result<Option<CheckRow>, sqlx::Error> {
    let record = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks WHERE organization_id = $1 AND id = $2"#,
        tx.org(),
        id.uuid()
    )
    .fetch_optional(&mut **tx)
    .await?;
    typed_one(record)
}

/// The investor's accreditation verifications and the officers' decisions on them, latest
/// first.
pub async fn accreditations(
    tx: &mut TenantTx,
    investor_id: InvestorId,
    before: Option<CheckId>,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND investor_id = $2
             AND kind IN ('accreditation', 'accreditation_decision')
             AND ($3::uuid IS NULL OR id < $3)
           ORDER BY id DESC
           LIMIT $4"#,
        tx.org(),
        investor_id.uuid(),
        before.map(CheckId::uuid),
        limit
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

/// For each of these investors, the verification (or an officer's approval) that is valid at
/// `now` and lasts longest, if any.
pub async fn valid_accreditations(
    tx: &mut TenantTx,
    investors: &[InvestorId],
    now: OffsetDateTime,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT DISTINCT ON (investor_id)
                  id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND investor_id = ANY($2)
             AND kind IN ('accreditation', 'accreditation_decision')
             AND status = 'verified' AND expires_at > $3
           ORDER BY investor_id, expires_at DESC, id DESC"#,
        tx.org(),
        investors as &[InvestorId],
        now
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

/// For each of these investors, the latest accreditation verification or officer's decision.
pub async fn latest_accreditations(
    tx: &mut TenantTx,
    investors: &[InvestorId],
) -> Result<Vec<CheckRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT DISTINCT ON (investor_id)
                  id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND investor_id = ANY($2)
             AND kind IN ('accreditation', 'accreditation_decision')
           ORDER BY investor_id, id DESC"#,
        tx.org(),
        investors as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

/// Accreditation evidence that carries financial figures.
#[derive(Debug, Clone)]
pub struct FinancialEvidence {
    pub investor_id: InvestorId,
    /// `income` or `net_worth`.
    pub method: String,
    pub input: Value,
    pub check_id: CheckId,
}

/// For each of these investors, the latest accreditation evidence of each method that carries
/// financial figures (`income`, `net_worth`).
pub async fn financial_evidence(
    tx: &mut TenantTx,
    investors: &[InvestorId],
) -> Result<Vec<FinancialEvidence>, sqlx::Error> {
    sqlx::query_as!(
        FinancialEvidence,
        r#"SELECT DISTINCT ON (investor_id, method)
                  investor_id AS "investor_id!: InvestorId", method AS "method!", input,
                  id AS "check_id: CheckId"
           FROM checks
           WHERE organization_id = $1 AND investor_id = ANY($2) AND kind = 'accreditation'
             AND method IN ('income', 'net_worth')
           ORDER BY investor_id, method, id DESC"#,
        tx.org(),
        investors as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await
}

/// The latest KYC check (not a provider update) with this provider's applicant id, in any
/// organization: the organization and the check's id. The KYC provider's webhook names an
/// applicant, not a tenant, so this is the one query that runs in the cross-organization
/// transaction (`platform::db::begin_all_organizations`); the webhook then works in the
/// check's organization.
pub async fn kyc_by_provider_ref(
    all: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<(String, CheckId)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT organization_id, id AS "id: CheckId" FROM checks
           WHERE provider = $1 AND provider_ref = $2 AND kind = 'kyc'
           ORDER BY id DESC LIMIT 1"#,
        provider,
        provider_ref
    )
    .fetch_optional(&mut **all)
    .await?;
    Ok(row.map(|r| (r.organization_id, r.id)))
}

/// Claims a provider webhook event for the check it produced; `false` when it was applied
/// already.
pub async fn claim_webhook(
    tx: &mut TenantTx,
    provider: &str,
    event_key: &str,
    check_id: CheckId,
    received_at: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO kyc_webhook_events (provider, event_key, organization_id, check_id,
                                         received_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        provider,
        event_key,
        tx.org(),
        check_id.uuid(),
        received_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The investor's latest check of `kind` (`kyc`: a KYC run, not a provider update or a
/// decision; `accreditation`: a verification request, not a decision).
pub async fn latest_of_kind(
    tx: &mut TenantTx,
    investor_id: InvestorId,
    kind: CheckKind,
) -> Result<Option<CheckRow>, sqlx::Error> {
    let record = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND investor_id = $2 AND kind = $3
           ORDER BY id DESC
           LIMIT 1"#,
        tx.org(),
        investor_id.uuid(),
        kind.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?;
    typed_one(record)
}

/// The latest check of `kind` that decides `parent`, if any.
pub async fn decision_of(
    tx: &mut TenantTx,
    parent: CheckId,
    kind: CheckKind,
) -> Result<Option<CheckRow>, sqlx::Error> {
    let record = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND parent_id = $2 AND kind = $3
           ORDER BY id DESC
           LIMIT 1"#,
        tx.org(),
        parent.uuid(),
        kind.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?;
    typed_one(record)
}

/// Every check concerning the investor (its own and the settlements it is a party to),
/// newest first, optionally of one kind.
pub async fn for_investor(
    tx: &mut TenantTx,
    investor_id: InvestorId,
    kind: Option<CheckKind>,
    before: Option<CheckId>,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: CheckId", kind, investor_id AS "investor_id: InvestorId", status,
                  approved, reasons, input, details, provider, provider_ref,
                  parent_id AS "parent_id: CheckId", method, evidence_date, verified_at,
                  expires_at, order_id AS "order_id: OrderId",
                  settlement_id AS "settlement_id: SettlementId", created_at, created_by,
                  created_by_name
           FROM checks
           WHERE organization_id = $1 AND investor_ids @> ARRAY[$2::uuid]
             AND ($3::text IS NULL OR kind = $3)
             AND ($4::uuid IS NULL OR id < $4)
           ORDER BY id DESC
           LIMIT $5"#,
        tx.org(),
        investor_id.uuid(),
        kind.map(CheckKind::as_str),
        before.map(CheckId::uuid),
        limit
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}
