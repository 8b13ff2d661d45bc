//! Assets listed for trading, their books, and the trades and settlements they produced.

use platform::ids::{AssetId, SettlementId};
use platform::{ApiError, ListParams, Page};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;
use vocab::Side;

use crate::AppState;
use crate::grid::Grid;
use crate::store::assets::{self, NewAsset};
use crate::store::orders;
use crate::store::trades::{self, SettlementFilter, TradeFilter};
use crate::views::{AssetView, BookView, LevelView, SettlementView, TradeView};

/// `POST /v1/assets`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAsset {
    /// The TA security (`ast_…`) of the caller's organization.
    pub asset_id: AssetId,
    /// Prices are multiples of it; default `ATS_DEFAULT_TICK_SIZE` (0.01).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "0.01")]
    pub tick_size: Option<Decimal>,
    /// Quantities are multiples of it; default `ATS_DEFAULT_LOT_SIZE` (1).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "1")]
    pub lot_size: Option<Decimal>,
    /// Default true.
    #[serde(default)]
    pub trading_enabled: Option<bool>,
}

/// Largest tick or lot size accepted, and the finest (8 decimal places, as prices).
const MAX_STEP: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

fn check_step(field: &str, v: Decimal) -> Result<(), ApiError> {
    if v <= Decimal::ZERO || v > MAX_STEP || v.normalize().scale() > vocab::bounds::MAX_SCALE {
        return Err(ApiError::validation(
            field,
            format!(
                "must be greater than zero, at most {MAX_STEP}, with at most {} decimal places",
                vocab::bounds::MAX_SCALE
            ),
        ));
    }
    Ok(())
}

/// Lists a TA security, or changes a listed one (answering whether it was created). The TA
/// must know the security in the caller's organization; its regulation is kept for the BD's
/// checks. A listed asset's tick or lot size cannot change while orders rest on its book.
pub async fn list_asset(
    state: &AppState,
    org: &str,
    subject: &str,
    req: &ListAsset,
) -> Result<(bool, AssetView), ApiError> {
    if let Some(t) = req.tick_size {
        check_step("tick_size", t)?;
    }
    if let Some(l) = req.lot_size {
        check_step("lot_size", l)?;
    }
    let now = state.clock.now();
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    if let Some(existing) = assets::get(&mut tx, req.asset_id).await? {
        let tick = req.tick_size.unwrap_or(existing.tick_size);
        let lot = req.lot_size.unwrap_or(existing.lot_size);
        let enabled = req.trading_enabled.unwrap_or(existing.trading_enabled);
        if tick != existing.tick_size || lot != existing.lot_size {
            // The book holds prices and quantities in ticks and lots of the old grid.
            assets::lock_book(&mut tx, req.asset_id).await?;
            if !orders::working(&mut tx, req.asset_id).await?.is_empty() {
                return Err(ApiError::invalid_state(
                    "the tick or lot size cannot change while orders are working on the book",
                )
                .with_detail("asset_id", req.asset_id));
            }
        }
        let row = assets::update(&mut tx, req.asset_id, tick, lot, enabled, now).await?;
        tx.commit().await?;
        return Ok((false, row.view()?));
    }
    tx.commit().await?;

    let security = state
        .downstream
        .security(org, req.asset_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("security", req.asset_id)
                .with_detail("hint", "register it at the TA first (POST /v1/securities)")
        })?;
    if security.status != "active" {
        return Err(ApiError::invalid_state(format!(
            "the security is {} at the TA and cannot be listed",
            security.status
        ))
        .with_detail("asset_id", req.asset_id));
    }
    let new = NewAsset {
        id: req.asset_id,
        symbol: security.symbol,
        name: security.name,
        regulation: security.regulation,
        tick_size: req.tick_size.unwrap_or(state.config.default_tick_size),
        lot_size: req.lot_size.unwrap_or(state.config.default_lot_size),
        trading_enabled: req.trading_enabled.unwrap_or(true),
        created_by: subject.to_owned(),
    };
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let created = assets::insert(&mut tx, &new, now).await?;
    let row = match created {
        Some(row) => row,
        // Listed by a concurrent request meanwhile: answer it as it stands.
        None => assets::get(&mut tx, req.asset_id)
            .await?
            .ok_or_else(|| ApiError::conflict("the asset is being listed; retry"))?,
    };
    tx.commit().await?;
    Ok((true, row.view()?))
}

pub async fn assets(
    state: &AppState,
    org: &str,
    page: &ListParams,
) -> Result<Page<AssetView>, ApiError> {
    let limit = page.limit()?;
    let after = page.after_as(AssetId::parse)?;
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let rows = assets::list(&mut tx, after, limit).await?;
    tx.commit().await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Page::from_rows(views, limit, |a| a.id.to_string()))
}

/// The aggregated book, `depth` levels a side.
pub async fn book(
    state: &AppState,
    org: &str,
    asset_id: AssetId,
    depth: i64,
) -> Result<BookView, ApiError> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let asset = assets::get(&mut tx, asset_id)
        .await?
        .ok_or_else(|| ApiError::not_found("asset", asset_id))?;
    let book = assets::book(&mut tx, asset_id).await?;
    let mut sides = Vec::with_capacity(2);
    for side in [Side::Buy, Side::Sell] {
        let levels = orders::depth(&mut tx, asset_id, side, depth).await?;
        sides.push(
            levels
                .into_iter()
                .map(|(price, quantity, n)| LevelView {
                    price,
                    quantity,
                    orders: u64::try_from(n).unwrap_or(0),
                })
                .collect::<Vec<_>>(),
        );
    }
    tx.commit().await?;
    let asks = sides.pop().unwrap_or_default();
    let bids = sides.pop().unwrap_or_default();
    let last_trade_price = book
        .last_trade_ticks
        .map(|t| Grid::of(&asset).price(t))
        .transpose()?;
    Ok(BookView {
        asset_id,
        bids,
        asks,
        last_trade_price,
    })
}

pub async fn trades(
    state: &AppState,
    org: &str,
    filter: &TradeFilter,
    page: &ListParams,
) -> Result<Page<TradeView>, ApiError> {
    let limit = page.limit()?;
    let before = page.after_as(platform::ids::TradeId::parse)?;
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let rows = trades::list(&mut tx, filter, before, limit).await?;
    tx.commit().await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Page::from_rows(views, limit, |t| t.id.to_string()))
}

pub async fn settlements(
    state: &AppState,
    org: &str,
    filter: &SettlementFilter,
    page: &ListParams,
) -> Result<Page<SettlementView>, ApiError> {
    let limit = page.limit()?;
    let before = page.after_as(SettlementId::parse)?;
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let rows = trades::settlements(&mut tx, filter, before, limit).await?;
    tx.commit().await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Page::from_rows(views, limit, |s| s.id.to_string()))
}

pub async fn settlement(
    state: &AppState,
    org: &str,
    id: SettlementId,
) -> Result<SettlementView, ApiError> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let row = trades::settlement(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("settlement", id))?;
    tx.commit().await?;
    Ok(row.view()?)
}

pub async fn trade(
    state: &AppState,
    org: &str,
    id: platform::ids::TradeId,
) -> Result<TradeView, ApiError> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let row = trades::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("trade", id))?;
    tx.commit().await?;
    Ok(row.view()?)
}
