//! The per-security CAT scope switch.

use platform::db::TenantTx;
use platform::ids::AssetId;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub asset_id: AssetId,
    pub symbol: String,
    pub cat_reportable: bool,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

pub async fn upsert(
    tx: &mut TenantTx,
    asset_id: AssetId,
    symbol: &str,
    cat_reportable: bool,
    now: OffsetDateTime,
    by: &str,
) -> Result<SecurityRow, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"INSERT INTO cat_securities (organization_id, asset_id, symbol, cat_reportable,
                                       updated_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (organization_id, asset_id) DO UPDATE SET
               symbol = EXCLUDED.symbol, cat_reportable = EXCLUDED.cat_reportable,
               updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
           RETURNING asset_id AS "asset_id: AssetId", symbol, cat_reportable, updated_at,
                     updated_by"#,
        tx.org(),
        asset_id.uuid(),
        symbol,
        cat_reportable,
        now,
        by
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn list(
    tx: &mut TenantTx,
    after: Option<AssetId>,
    cat_reportable: Option<bool>,
    limit: i64,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT asset_id AS "asset_id: AssetId", symbol, cat_reportable, updated_at, updated_by
           FROM cat_securities
           WHERE organization_id = $1 AND ($2::uuid IS NULL OR asset_id > $2)
             AND ($3::bool IS NULL OR cat_reportable = $3)
           ORDER BY asset_id
           LIMIT $4"#,
        tx.org(),
        after.map(AssetId::uuid),
        cat_reportable,
        limit
    )
    .fetch_all(&mut **tx)
    .await
}
