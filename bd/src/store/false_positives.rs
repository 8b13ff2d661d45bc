//! Sanctions matches a compliance officer approved as false positives (see
//! `screening::FalsePositives`).

use platform::db::TenantTx;
use platform::ids::{CheckId, InvestorId};
use time::OffsetDateTime;

use crate::screening::FalsePositives;

pub struct NewFalsePositive<'a> {
    pub investor_id: InvestorId,
    pub decision_check_id: CheckId,
    pub party_key: &'a str,
    pub list_version: &'a str,
    pub party: &'a str,
    pub party_name: &'a str,
    pub ent_nums: &'a [i64],
    pub created_at: OffsetDateTime,
}

pub async fn insert(tx: &mut TenantTx, f: &NewFalsePositive<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sanctions_false_positives (organization_id, investor_id, decision_check_id,
                                                party_key, list_version, party, party_name,
                                                ent_nums, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (decision_check_id, party_key)
         DO UPDATE SET ent_nums = ARRAY(SELECT DISTINCT unnest(sanctions_false_positives.ent_nums
                                                               || EXCLUDED.ent_nums))",
        tx.org(),
        f.investor_id.uuid(),
        f.decision_check_id.uuid(),
        f.party_key,
        f.list_version,
        f.party,
        f.party_name,
        f.ent_nums,
        f.created_at,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The false positives approved for the investor against this list version.
pub async fn for_list(
    tx: &mut TenantTx,
    investor_id: InvestorId,
    list_version: &str,
) -> Result<FalsePositives, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT party_key, ent_nums, decision_check_id AS "decision_check_id: CheckId"
           FROM sanctions_false_positives
           WHERE organization_id = $1 AND investor_id = $2 AND list_version = $3
           ORDER BY decision_check_id"#,
        tx.org(),
        investor_id.uuid(),
        list_version
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = FalsePositives::default();
    for r in rows {
        let ents: Vec<u64> = r
            .ent_nums
            .iter()
            .filter_map(|e| u64::try_from(*e).ok())
            .collect();
        out.add(&r.party_key, &ents, &r.decision_check_id.to_string());
    }
    Ok(out)
}
