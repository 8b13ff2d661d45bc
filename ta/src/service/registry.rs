//! The registry of a security: its holders of record, now (from the lots) or at the end of a
//! past day (the journal replayed up to it).

use std::collections::BTreeMap;

use platform::db::{self, TenantTx};
use platform::ids::{AssetId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::{Decimal, RoundingStrategy};
use sqlx::PgPool;
use time::Date;

use super::finish;
use super::register::replay;
use crate::engine::FromEngine;
use crate::store::{lots, securities};
use crate::views::{RegistryHolderView, RegistryView, qty};

/// The registry of one of the organization's securities (404 otherwise), now or as of the end
/// of `as_of` (not after `today`: 400).
pub async fn registry(
    pool: &PgPool,
    org: &str,
    today: Date,
    id: AssetId,
    as_of: Option<Date>,
) -> ApiResult<RegistryView> {
    if as_of.is_some_and(|d| d > today) {
        return Err(ApiError::validation(
            "as_of",
            format!("must not be after today ({today})"),
        ));
    }
    let mut tx = db::begin(pool, org).await?;
    let result = registry_in(&mut tx, id, as_of).await;
    finish(tx, result).await
}

async fn registry_in(
    tx: &mut TenantTx,
    id: AssetId,
    as_of: Option<Date>,
) -> ApiResult<RegistryView> {
    let row = securities::fetch(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("security", id))?;
    let lines = match as_of {
        None => {
            let mut lines = BTreeMap::new();
            for l in lots::lots(tx, &[id], None).await? {
                *lines.entry(l.investor_id).or_insert(Decimal::ZERO) += l.quantity;
            }
            lines.into_iter().collect()
        }
        Some(as_of) => {
            let replayed = replay(tx, &[id], Some(as_of)).await?;
            let registry = replayed.registry(&id.to_string()).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("security missing from replay"))
            })?;
            registry
                .holders
                .iter()
                .map(|h| Ok((InvestorId::from_engine(&h.investor_id)?, h.quantity)))
                .collect::<anyhow::Result<Vec<_>>>()?
        }
    };
    let (outstanding, holders) = holders(lines);
    Ok(RegistryView {
        asset_id: id,
        symbol: row.symbol,
        as_of,
        outstanding,
        holders,
    })
}

/// The holders with a positive quantity and their share of the outstanding total.
fn holders(lines: Vec<(InvestorId, Decimal)>) -> (Decimal, Vec<RegistryHolderView>) {
    let outstanding: Decimal = lines.iter().map(|l| l.1).sum();
    let holders = lines
        .into_iter()
        .filter(|l| l.1 > Decimal::ZERO)
        .map(|(investor_id, quantity)| RegistryHolderView {
            investor_id,
            quantity: qty(quantity),
            percentage: if outstanding.is_zero() {
                Decimal::ZERO
            } else {
                (quantity * Decimal::ONE_HUNDRED / outstanding)
                    .round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven)
                    .normalize()
            },
        })
        .collect();
    (qty(outstanding), holders)
}
