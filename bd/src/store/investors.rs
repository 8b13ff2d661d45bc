//! Investors and their beneficial owners.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};

use crate::ids::{CheckId, InvestorId};

#[derive(Debug, Clone)]
pub struct InvestorRow {
    pub id: InvestorId,
    pub investor_type: String,
    pub legal_name: String,
    pub email: String,
    pub country: String,
    pub date_of_birth: Option<Date>,
    pub external_ref: Option<String>,
    pub annual_income: Option<Decimal>,
    pub net_worth: Option<Decimal>,
    pub annual_revenue: Option<Decimal>,
    pub net_assets: Option<Decimal>,
    pub kyc_status: String,
    pub sanctions_status: String,
    pub kyc_check_id: Option<CheckId>,
    pub kyc_provider_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
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
    pub org_id: &'a str,
    pub investor_type: &'a str,
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
    conn: &mut PgConnection,
    inv: &NewInvestor<'_>,
    owners: &[NewOwner<'_>],
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO investors (id, org_id, type, legal_name, email, country, date_of_birth,
                                external_ref, annual_income, net_worth, annual_revenue, net_assets,
                                created_at, updated_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
         ON CONFLICT (org_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING",
        inv.id.uuid(),
        inv.org_id,
        inv.investor_type,
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
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    for (i, o) in owners.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO beneficial_owners (investor_id, position, org_id, name, ownership_percent,
                                            country, date_of_birth, owner_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            inv.id.uuid(),
            i32::try_from(i).unwrap_or(i32::MAX),
            inv.org_id,
            o.name,
            o.ownership_percent,
            o.country,
            o.date_of_birth,
            o.owner_key,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

pub async fn id_by_external_ref(
    pool: &PgPool,
    org_id: &str,
    external_ref: &str,
) -> Result<Option<InvestorId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id: InvestorId" FROM investors WHERE org_id = $1 AND external_ref = $2"#,
        org_id,
        external_ref
    )
    .fetch_optional(pool)
    .await
}

pub async fn get(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
) -> Result<Option<InvestorRow>, sqlx::Error> {
    sqlx::query_as!(
        InvestorRow,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors WHERE org_id = $1 AND id = $2"#,
        org_id,
        id.uuid()
    )
    .fetch_optional(conn)
    .await
}

/// The investor row locked for the rest of the transaction: checks that depend on its state
/// (KYC updates, investment limits) are serialized per investor.
pub async fn get_for_update(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
) -> Result<Option<InvestorRow>, sqlx::Error> {
    sqlx::query_as!(
        InvestorRow,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors WHERE org_id = $1 AND id = $2 FOR UPDATE"#,
        org_id,
        id.uuid()
    )
    .fetch_optional(conn)
    .await
}

pub struct ListFilter<'a> {
    pub after: Option<InvestorId>,
    pub investor_type: Option<&'a str>,
    pub country: Option<&'a str>,
    pub kyc_status: Option<&'a str>,
    pub sanctions_status: Option<&'a str>,
    pub external_ref: Option<&'a str>,
    pub limit: i64,
}

pub async fn list(
    pool: &PgPool,
    org_id: &str,
    f: &ListFilter<'_>,
) -> Result<Vec<InvestorRow>, sqlx::Error> {
    sqlx::query_as!(
        InvestorRow,
        r#"SELECT id AS "id: InvestorId", type AS investor_type, legal_name, email, country,
                  date_of_birth, external_ref, annual_income, net_worth, annual_revenue,
                  net_assets, kyc_status, sanctions_status,
                  kyc_check_id AS "kyc_check_id: CheckId", kyc_provider_at, created_at, updated_at
           FROM investors
           WHERE org_id = $1
             AND ($2::uuid IS NULL OR id > $2)
             AND ($3::text IS NULL OR type = $3)
             AND ($4::text IS NULL OR country = $4)
             AND ($5::text IS NULL OR kyc_status = $5)
             AND ($6::text IS NULL OR sanctions_status = $6)
             AND ($7::text IS NULL OR external_ref = $7)
           ORDER BY id
           LIMIT $8"#,
        org_id,
        f.after.map(InvestorId::uuid),
        f.investor_type,
        f.country,
        f.kyc_status,
        f.sanctions_status,
        f.external_ref,
        f.limit,
    )
    .fetch_all(pool)
    .await
}

/// The beneficial owners of these investors, in their order.
pub async fn owners(
    conn: &mut PgConnection,
    org_id: &str,
    investor_ids: &[InvestorId],
) -> Result<Vec<OwnerRow>, sqlx::Error> {
    let ids: Vec<uuid::Uuid> = investor_ids.iter().map(|i| i.uuid()).collect();
    sqlx::query_as!(
        OwnerRow,
        r#"SELECT investor_id AS "investor_id: InvestorId", position, name, ownership_percent,
                  country, date_of_birth, owner_key
           FROM beneficial_owners
           WHERE org_id = $1 AND investor_id = ANY($2)
           ORDER BY investor_id, position"#,
        org_id,
        &ids
    )
    .fetch_all(conn)
    .await
}

/// Records the outcome of a KYC check on the investor.
pub async fn set_kyc(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    kyc_status: &str,
    sanctions_status: &str,
    check_id: CheckId,
    provider_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, sanctions_status = $4, kyc_check_id = $5, kyc_provider_at = $6,
             updated_at = $6
         WHERE org_id = $1 AND id = $2",
        org_id,
        id.uuid(),
        kyc_status,
        sanctions_status,
        check_id.uuid(),
        provider_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a provider's later decision (webhook).
pub async fn set_provider_status(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    kyc_status: &str,
    check_id: CheckId,
    provider_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, kyc_check_id = $4, kyc_provider_at = $5, updated_at = $6
         WHERE org_id = $1 AND id = $2",
        org_id,
        id.uuid(),
        kyc_status,
        check_id.uuid(),
        provider_at,
        now,
    )
    .execute(conn)
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
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    u: &InvestorUpdate<'_>,
) -> Result<bool, sqlx::Error> {
    let taken = match u.external_ref {
        Some(r) => sqlx::query_scalar!(
            "SELECT 1 AS one FROM investors WHERE org_id = $1 AND external_ref = $2 AND id <> $3",
            org_id,
            r,
            id.uuid()
        )
        .fetch_optional(&mut *conn)
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
         WHERE org_id = $1 AND id = $2",
        org_id,
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
    .execute(conn)
    .await?;
    Ok(true)
}

/// Replaces the investor's beneficial owners.
pub async fn replace_owners(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    owners: &[NewOwner<'_>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM beneficial_owners WHERE org_id = $1 AND investor_id = $2",
        org_id,
        id.uuid()
    )
    .execute(&mut *conn)
    .await?;
    for (i, o) in owners.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO beneficial_owners (investor_id, position, org_id, name, ownership_percent,
                                            country, date_of_birth, owner_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            id.uuid(),
            i32::try_from(i).unwrap_or(i32::MAX),
            org_id,
            o.name,
            o.ownership_percent,
            o.country,
            o.date_of_birth,
            o.owner_key,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Sets the investor's KYC state from a check that is not the provider's (an officer's
/// decision, an update invalidating the KYC): the provider's last decision time is kept.
pub async fn set_kyc_state(
    conn: &mut PgConnection,
    org_id: &str,
    id: InvestorId,
    kyc_status: &str,
    sanctions_status: &str,
    check_id: CheckId,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE investors
         SET kyc_status = $3, sanctions_status = $4, kyc_check_id = $5, updated_at = $6
         WHERE org_id = $1 AND id = $2",
        org_id,
        id.uuid(),
        kyc_status,
        sanctions_status,
        check_id.uuid(),
        now,
    )
    .execute(conn)
    .await?;
    Ok(())
}
