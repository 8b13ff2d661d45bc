//! Investors and their beneficial owners.

use compliance::InvestorType;
use compliance::pretrade::{KycStatus, SanctionsStatus};
use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use super::wire;

#[derive(Debug, Clone)]
pub struct InvestorRow {
    pub id: InvestorId,
    pub investor_type: InvestorType,
    pub legal_name: String,
    pub email: String,
    pub country: String,
    pub date_of_birth: Option<Date>,
    pub external_ref: Option<String>,
    pub annual_income: Option<Decimal>,
    pub net_worth: Option<Decimal>,
    pub annual_revenue: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    pub kyc_status: KycStatus,
    pub sanctions_status: SanctionsStatus,
    pub kyc_check_id: Option<CheckId>,
    pub kyc_provider_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A row as read, before its wire names are checked.
struct Record {
    id: InvestorId,
    investor_type: String,
    legal_name: String,
    email: String,
    country: String,
    date_of_birth: Option<Date>,
    external_ref: Option<String>,
    annual_income: Option<Decimal>,
    net_worth: Option<Decimal>,
    annual_revenue: Option<Decimal>,
    net_assets: Option<Decimal>,
    kyc_status: String,
    sanctions_status: String,
    kyc_check_id: Option<CheckId>,
    kyc_provider_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<Record> for InvestorRow {
    type Error = sqlx::Error;
    fn try_from(r: Record) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.id,
            investor_type: wire("investors.type", &r.investor_type)?,
            legal_name: r.legal_name,
            email: r.email,
            country: r.country,
            date_of_birth: r.date_of_birth,
            external_ref: r.external_ref,
            annual_income: r.annual_income,
            net_worth: r.net_worth,
            annual_revenue: r.annual_revenue,
            net_assets: r.net_assets,
            kyc_status: wire("investors.kyc_status", &r.kyc_status)?,
            sanctions_status: wire("investors.sanctions_status", &r.sanctions_status)?,
            kyc_check_id: r.kyc_check_id,
            kyc_provider_at: r.kyc_provider_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn typed(records: Vec<Record>) -> Result<Vec<InvestorRow>, sqlx::Error> {
    records.into_iter().map(InvestorRow::try_from).collect()
}

#[derive(Debug, Clone)]
pub struct OwnerRow {
    pub investor_id: InvestorId,
    pub position: i32,
    pub name: String,
    pub ownership_percent: Decimal,
    pub country: String,
    pub date_of_birth: Date,
    pub owner_key: String,
}

pub struct NewInvestor<'a> {
    pub id: InvestorId,
    pub investor_type: InvestorType,
    pub legal_name: &'a str,
    pub email: &'a str,
    pub country: &'a str,
    pub date_of_birth: Option<Date>,
    pub external_ref: Option<&'a str>,
    pub annual_income: Option<Decimal>,
    pub net_worth: Option<Decimal>,
    pub annual_revenue: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    pub created_at: OffsetDateTime,
    pub created_by: &'a str,
}

pub struct NewOwner<'a> {
    pub name: &'a str,
    pub ownership_percent: Decimal,
    pub country: &'a str,
    pub date_of_birth: Date,
    pub owner_key: String,
}

/// Who a natural person is across records: the normalised name and the date of birth.
pub fn person_key(name: &str, date_of_birth: Date) -> String {
    format!("{}|{date_of_birth}", sanctions::normalize_sorted(name))
}

/// Inserts the investor and its owners. `Ok(false)` when the `external_ref` is taken.
pub async fn insert(
    tx: &mut TenantTx,
    inv: &NewInvestor<'_>,
    owners: &[NewOwner<'_>],
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO investors (id, organization_id, type, legal_name, email, country,
                                date_of_birth, external_ref, annual_income, net_worth,
                                annual_revenue, net_assets, created_at, updated_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
         ON CONFLICT (organization_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING",
        inv.id.uuid(),
        tx.org(),
        inv.investor_type.as_str(),
        inv.legal_name,
        inv.email,
        inv.country,
        inv.date_of_birth,
        inv.external_ref,
        inv.annual_income,
        inv.net_worth,
        inv.annual_revenue,
        inv.net_assets,
        inv.created_at,
        inv.created_by,
    )
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    insert_owners(tx, inv.id, owners).await?;
    Ok(true)
}

async fn insert_owners(
    tx: &mut TenantTx,
    id: InvestorId,
    owners: &[NewOwner<'_>],
) -> Result<(), sqlx::Error> {
    for (i, o) in owners.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO beneficial_owners (investor_id, position, organization_id, name,
                                            ownership_percent, country, date_of_birth, owner_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            id.uuid(),
            i32::try_from(i).unwrap_or(i32::MAX),
            tx.org(),
            o.name,
            o.ownership_percent,
            o.country,
            o.date_of_birth,
            o.owner_key,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn id_by_external_ref(
    tx: &mut TenantTx,
    external_ref: &str,
) -> Result<Option<InvestorId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id: InvestorId" FROM investors
           WHERE organization_id = $1 AND external_ref = $2"#,
        tx.org(),
        external_ref
    )
    .fetch_optional(&mut **tx)
    .await
}

pub async fn get(tx: &mut TenantTx, id: InvestorId) -> Result<Option<InvestorRow>, sqlx::Error> {
    sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors WHERE organization_id = $1 AND id = $2"#,
        tx.org(),
        id.uuid()
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(InvestorRow::try_from)
    .transpose()
}

/// The investor row locked for the rest of the transaction: checks that depend on its state
/// (KYC updates, investment limits) are serialized per investor.
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: InvestorId,
) -> Result<Option<InvestorRow>, sqlx::Error> {
    Ok(lock_many(tx, &[id]).await?.into_iter().next())
}

/// The investors of `ids` that the organization has, each row locked for the rest of the
/// transaction, locked in id order (so that two transactions locking overlapping sets cannot
/// deadlock), in id order.
pub async fn lock_many(
    tx: &mut TenantTx,
    ids: &[InvestorId],
) -> Result<Vec<InvestorRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors WHERE organization_id = $1 AND id = ANY($2)
           ORDER BY id
           FOR UPDATE"#,
        tx.org(),
        ids as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

/// The investors of `ids` that the organization has, in id order.
pub async fn get_many(
    tx: &mut TenantTx,
    ids: &[InvestorId],
) -> Result<Vec<InvestorRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors WHERE organization_id = $1 AND id = ANY($2)
           ORDER BY id"#,
        tx.org(),
        ids as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

pub struct ListFilter<'a> {
    pub after: Option<InvestorId>,
    pub investor_type: Option<InvestorType>,
    pub country: Option<&'a str>,
    pub kyc_status: Option<KycStatus>,
    pub sanctions_status: Option<SanctionsStatus>,
    pub external_ref: Option<&'a str>,
    pub limit: i64,
}

pub async fn list(tx: &mut TenantTx, f: &ListFilter<'_>) -> Result<Vec<InvestorRow>, sqlx::Error> {
    let records = sqlx::query_as!(
        Record,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors
           WHERE organization_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::text IS NULL OR type = $3)
             AND ($4::text IS NULL OR country = $4)
             AND ($5::text IS NULL OR kyc_status = $5)
             AND ($6::text IS NULL OR sanctions_status = $6)
             AND ($7::text IS NULL OR external_ref = $7)
           ORDER BY id
           LIMIT $8"#,
        tx.org(),
        f.after.map(InvestorId::uuid),
        f.investor_type.map(InvestorType::as_str),
        f.country,
        f.kyc_status.map(KycStatus::as_str),
        f.sanctions_status.map(SanctionsStatus::as_str),
        f.external_ref,
        f.limit,
    )
    .fetch_all(&mut **tx)
    .await?;
    typed(records)
}

/// The beneficial owners of these investors, in their order.
pub async fn owners(
    tx: &mut TenantTx,
    investor_ids: &[InvestorId],
) -> Result<Vec<OwnerRow>, sqlx::Error> {
    sqlx::query_as!(
        OwnerRow,
        r#"SELECT investor_id AS "investor_id: InvestorId", position, name, ownership_percent,
                  country, date_of_birth, owner_key
           FROM beneficial_owners
           WHERE organization_id = $1 AND investor_id = ANY($2)
           ORDER BY investor_id, position"#,
        tx.org(),
        investor_ids as &[InvestorId]
    )
    .fetch_all(&mut **tx)
    .await
}

/// Records the outcome of a KYC run on the investor.
pub async fn set_kyc(
    tx: &mut TenantTx,
    id: InvestorId,
    kyc_status: KycStatus,
    sanctions_status: SanctionsStatus,
    check_id: CheckId,
    provider_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, sanctions_status = $4, kyc_check_id = $5, kyc_provider_at = $6,
             updated_at = $6
         WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id.uuid(),
        kyc_status.as_str(),
        sanctions_status.as_str(),
        check_id.uuid(),
        provider_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a provider's later decision (webhook).
pub async fn set_provider_status(
    tx: &mut TenantTx,
    id: InvestorId,
    kyc_status: KycStatus,
    check_id: CheckId,
    provider_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, kyc_check_id = $4, kyc_provider_at = $5, updated_at = $6
         WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id.uuid(),
        kyc_status.as_str(),
        check_id.uuid(),
        provider_at,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The investor's updatable fields, all of them (the PATCH merged into the current record).
pub struct InvestorUpdate<'a> {
    pub legal_name: &'a str,
    pub email: &'a str,
    pub country: &'a str,
    pub date_of_birth: Option<Date>,
    pub external_ref: Option<&'a str>,
    pub annual_income: Option<Decimal>,
    pub net_worth: Option<Decimal>,
    pub annual_revenue: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    pub updated_at: OffsetDateTime,
}

/// Writes the investor's fields. `Ok(false)` when the `external_ref` is another investor's.
pub async fn update(
    tx: &mut TenantTx,
    id: InvestorId,
    u: &InvestorUpdate<'_>,
) -> Result<bool, sqlx::Error> {
    let taken = match u.external_ref {
        Some(r) => sqlx::query_scalar!(
            "SELECT 1 AS one FROM investors
             WHERE organization_id = $1 AND external_ref = $2 AND id <> $3",
            tx.org(),
            r,
            id.uuid()
        )
        .fetch_optional(&mut **tx)
        .await?
        .is_some(),
        None => false,
    };
    if taken {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE investors
         SET legal_name = $3, email = $4, country = $5, date_of_birth = $6, external_ref = $7,
             annual_income = $8, net_worth = $9, annual_revenue = $10, net_assets = $11,
             updated_at = $12
         WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id.uuid(),
        u.legal_name,
        u.email,
        u.country,
        u.date_of_birth,
        u.external_ref,
        u.annual_income,
        u.net_worth,
        u.annual_revenue,
        u.net_assets,
        u.updated_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Replaces the investor's beneficial owners.
pub async fn replace_owners(
    tx: &mut TenantTx,
    id: InvestorId,
    owners: &[NewOwner<'_>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM beneficial_owners WHERE organization_id = $1 AND investor_id = $2",
        tx.org(),
        id.uuid()
    )
    .execute(&mut **tx)
    .await?;
    insert_owners(tx, id, owners).await
}

/// Sets the investor's KYC state from a check that is not the provider's (an officer's
/// decision, an update invalidating the KYC): the provider's last decision time is kept.
pub async fn set_kyc_state(
    tx: &mut TenantTx,
    id: InvestorId,
    kyc_status: KycStatus,
    sanctions_status: SanctionsStatus,
    check_id: CheckId,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, sanctions_status = $4, kyc_check_id = $5, updated_at = $6
         WHERE organization_id = $1 AND id = $2",
        tx.org(),
        id.uuid(),
        kyc_status.as_str(),
        sanctions_status.as_str(),
        check_id.uuid(),
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
