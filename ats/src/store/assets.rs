//! The `assets` table and each asset's `books` row.

use platform::db::TenantTx;
use platform::ids::AssetId;
use rust_decimal::Decimal;
use time::OffsetDateTime;
use vocab::Regulation;

use crate::views::AssetView;

#[derive(Debug, Clone)]
pub struct AssetRow {
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub regulation: String,
    pub tick_size: Decimal,
    pub lot_size: Decimal,
    pub trading_enabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl AssetRow {
    pub fn regulation(&self) -> anyhow::Result<Regulation> {
        self.regulation
            .parse()
            .map_err(|_| anyhow::anyhow!("unknown regulation `{}` in assets", self.regulation))
    }

    pub fn view(&self) -> anyhow::Result<AssetView> {
        Ok(AssetView {
            id: self.id,
            symbol: self.symbol.clone(),
            name: self.name.clone(),
            regulation: self.regulation()?,
            tick_size: self.tick_size,
            lot_size: self.lot_size,
            trading_enabled: self.trading_enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewAsset {
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub regulation: Regulation,
    pub tick_size: Decimal,
    pub lot_size: Decimal,
    pub trading_enabled: bool,
    pub created_by: String,
}

/// Lists the asset with its (empty) book and its event stream; `None` when it is already
/// listed.
pub async fn insert(
    tx: &mut TenantTx,
    a: &NewAsset,
    now: OffsetDateTime,
) -> Result<Option<AssetRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    let row = sqlx::query_as!(
        AssetRow,
        r#"INSERT INTO assets (organization_id, id, symbol, name, regulation, tick_size,
                               lot_size, trading_enabled, created_at, updated_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
           ON CONFLICT DO NOTHING
           RETURNING id AS "id: AssetId", symbol, name, regulation, tick_size, lot_size,
                     trading_enabled, created_at, updated_at"#,
        org,
        a.id as AssetId,
        a.symbol,
        a.name,
        a.regulation.as_str(),
        a.tick_size,
        a.lot_size,
        a.trading_enabled,
        now,
        a.created_by,
    )
    .fetch_optional(&mut **tx)
    .await?;
    if row.is_some() {
        sqlx::query!(
            "INSERT INTO books (organization_id, asset_id, updated_at) VALUES ($1, $2, $3)",
            org,
            a.id as AssetId,
            now,
        )
        .execute(&mut **tx)
        .await?;
        sqlx::query!(
            "INSERT INTO outbox_streams (organization_id, asset_id) VALUES ($1, $2)",
            org,
            a.id as AssetId,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(row)
}

/// Changes a listed asset's grid and switch.
pub async fn update(
    tx: &mut TenantTx,
    id: AssetId,
    tick_size: Decimal,
    lot_size: Decimal,
    trading_enabled: bool,
    now: OffsetDateTime,
) -> Result<AssetRow, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        AssetRow,
        r#"UPDATE assets SET tick_size = $3, lot_size = $4, trading_enabled = $5, updated_at = $6
           WHERE organization_id = $1 AND id = $2
           RETURNING id AS "id: AssetId", symbol, name, regulation, tick_size, lot_size,
                     trading_enabled, created_at, updated_at"#,
        org,
        id as AssetId,
        tick_size,
        lot_size,
        trading_enabled,
        now,
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn get(tx: &mut TenantTx, id: AssetId) -> Result<Option<AssetRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        AssetRow,
        r#"SELECT id AS "id: AssetId", symbol, name, regulation, tick_size, lot_size,
                  trading_enabled, created_at, updated_at
           FROM assets WHERE organization_id = $1 AND id = $2"#,
        org,
        id as AssetId,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Assets by id, in any order.
pub async fn get_in(tx: &mut TenantTx, ids: &[AssetId]) -> Result<Vec<AssetRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        AssetRow,
        r#"SELECT id AS "id: AssetId", symbol, name, regulation, tick_size, lot_size,
                  trading_enabled, created_at, updated_at
           FROM assets WHERE organization_id = $1 AND id = ANY($2)"#,
        org,
        ids as &[AssetId],
    )
    .fetch_all(&mut **tx)
    .await
}

/// `limit + 1` assets after `after`, by id.
pub async fn list(
    tx: &mut TenantTx,
    after: Option<AssetId>,
    limit: i64,
) -> Result<Vec<AssetRow>, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        AssetRow,
        r#"SELECT id AS "id: AssetId", symbol, name, regulation, tick_size, lot_size,
                  trading_enabled, created_at, updated_at
           FROM assets WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)
           ORDER BY id LIMIT $3"#,
        org,
        after as Option<AssetId>,
        limit + 1,
    )
    .fetch_all(&mut **tx)
    .await
}

/// A book's state beyond its orders, locked for the rest of the transaction: whoever holds
/// it is the only one matching the book, in any replica.
#[derive(Debug, Clone, Copy)]
pub struct BookRow {
    pub version: i64,
    pub next_seq: i64,
    pub last_trade_ticks: Option<i64>,
}

pub async fn lock_book(tx: &mut TenantTx, asset: AssetId) -> Result<BookRow, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        BookRow,
        "SELECT version, next_seq, last_trade_ticks FROM books
         WHERE organization_id = $1 AND asset_id = $2 FOR UPDATE",
        org,
        asset as AssetId,
    )
    .fetch_one(&mut **tx)
    .await
}

/// The book's state without locking it (reads).
pub async fn book(tx: &mut TenantTx, asset: AssetId) -> Result<BookRow, sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query_as!(
        BookRow,
        "SELECT version, next_seq, last_trade_ticks FROM books
         WHERE organization_id = $1 AND asset_id = $2",
        org,
        asset as AssetId,
    )
    .fetch_one(&mut **tx)
    .await
}

pub async fn save_book(
    tx: &mut TenantTx,
    asset: AssetId,
    book: BookRow,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let org = tx.org().to_owned();
    sqlx::query!(
        "UPDATE books SET version = $3, next_seq = $4, last_trade_ticks = $5, updated_at = $6
         WHERE organization_id = $1 AND asset_id = $2",
        org,
        asset as AssetId,
        book.version,
        book.next_seq,
        book.last_trade_ticks,
        now,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
