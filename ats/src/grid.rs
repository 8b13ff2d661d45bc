//! An asset's grid: prices are whole ticks, quantities whole lots. The engine works in ticks
//! and lots (integers); the API and the database in decimals.

use matching::{Lots, Ticks};
use rust_decimal::Decimal;

use crate::store::assets::AssetRow;

/// The decimal grid of an asset.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub tick: Decimal,
    pub lot: Decimal,
}

impl Grid {
    pub fn of(asset: &AssetRow) -> Self {
        Self {
            tick: asset.tick_size,
            lot: asset.lot_size,
        }
    }

    pub fn ticks(&self, price: Decimal) -> anyhow::Result<Ticks> {
        Ok(matching::grid::to_ticks(price, self.tick)?)
    }

    pub fn lots(&self, quantity: Decimal) -> anyhow::Result<Lots> {
        Ok(matching::grid::to_lots(quantity, self.lot)?)
    }

    /// `ticks` ticks, at the tick's scale (`10.00` for a tick of 0.01), as the API shows it.
    pub fn price(&self, ticks: Ticks) -> anyhow::Result<Decimal> {
        Decimal::from(ticks)
            .checked_mul(self.tick)
            .ok_or_else(|| anyhow::anyhow!("price overflow"))
    }

    /// `lots` lots at the lot's scale; zero is zero.
    pub fn quantity(&self, lots: Lots) -> anyhow::Result<Decimal> {
        Decimal::from(lots)
            .checked_mul(self.lot)
            .ok_or_else(|| anyhow::anyhow!("quantity overflow"))
    }

    pub fn quantity_wide(&self, lots: u128) -> anyhow::Result<Decimal> {
        Decimal::from_i128_with_scale(i128::try_from(lots)?, 0)
            .checked_mul(self.lot)
            .ok_or_else(|| anyhow::anyhow!("quantity overflow"))
    }
}
