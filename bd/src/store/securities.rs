//! The per-security CAT scope switch.

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::ids::AssetId;

#[derive(Debug, Clone)]
pub struct SecurityRow {
    pub asset_id: AssetId,
    pub symbol: String,
    pub cat_reportable: bool,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

pub async fn upsert(
    pool: &PgPool,
    org_id: &str,
    asset_id: AssetId,
    symbol: &str,
    cat_reportable: bool,
    now: OffsetDateTime,
    by: &str,
) -> Result<(SecurityRow, bool), sqlx::Error> {
    let row = sqlx::query!(
        r#"INSERT INTO cat_securities (org_id, asset_id, symbol, cat_reportable, updated_at,
                                       updated_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (org_id, asset_id) DO UPDATE SET
               symbol = EXCLUDED.symbol, cat_reportable = EXCLUDED.cat_reportable,
               updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
           RETURNING asset_id AS "asset_id: AssetId", symbol, cat_reportable, updated_at,
                     updated_by, (xmax = 0) AS "created!""#,
        org_id,
        asset_id.uuid(),
        symbol,
        cat_reportable,
        now,
        by
    )
    .fetch_one(pool)
    .await?;
    Ok((
        SecurityRow {
            asset_id: row.asset_id,
            symbol: row.symbol,
            cat_reportable: row.cat_reportable,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        },
        row.created,
    ))
}

pub async fn list(
    pool: &PgPool,
    org_id: &str,
    after: Option<AssetId>,
    cat_reportable: Option<bool>,
    limit: i64,
) -> Result<Vec<SecurityRow>, sqlx::Error> {
    sqlx::query_as!(
        SecurityRow,
        r#"SELECT asset_id AS "asset_id: AssetId", symbol, cat_reportable, updated_at, updated_by
           FROM cat_securities
           WHERE org_id = $1 AND ($2::uuid IS NULL OR asset_id > $2)
             AND ($3::bool IS NULL OR cat_reportable = $3)
           ORDER BY asset_id
           LIMIT $4"#,
        org_id,
        after.map(AssetId::uuid),
        cat_reportable,
        limit
    )
    .fetch_all(pool)
    .await
}
