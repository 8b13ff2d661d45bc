//! Post-trade surveillance: pure detectors over executed trades. Each
//! returns alert drafts (rule code, severity, message, structured details);
//! the BD stores them as `alr_` alerts and de-duplicates if it wishes.
//!
//! # Detectors
//!
//! * **`wash_trade`** — the buyer and the seller are the same investor, or
//!   share a beneficial owner (the caller gives each investor's set of
//!   beneficial-owner ids). No change of beneficial ownership is what makes
//!   a trade a wash (FINRA Rule 6140(b) and 5210 Supplementary Material .02;
//!   Exchange Act §9(a)(1)). Severity `high`.
//! * **`concentration`** — one investor's share of an asset's daily volume
//!   above [`SurveillanceConfig::concentration_share`] (25% by default).
//!   Volume is the quantity traded. An investor's volume counts both its
//!   buys and its sells (participation); a trade with itself counts once,
//!   and so does every trade in the asset's total. With buy+sell counting,
//!   each side of a two-party market is 100%, so the detector stays silent
//!   until the day is big enough to mean something: at least
//!   [`SurveillanceConfig::concentration_min_trades`] trades (10 by default)
//!   and at least [`SurveillanceConfig::concentration_min_daily_volume`] in
//!   quantity. It fires only when the investor *crosses* into concentration
//!   with the new trade (not concentrated before it, concentrated after),
//!   so a dominant investor raises one alert per day, not one per trade.
//!   Severity `medium`, `high` from twice the share.
//! * **`price_deviation`** — the trade price moved more than
//!   [`SurveillanceConfig::price_deviation`] (10% by default) from the
//!   previous trade in the same asset, measured on the previous price.
//!   Exactly the threshold does not fire. Severity `medium`, `high` from
//!   twice the threshold. The first trade in an asset has nothing to
//!   compare with.
//!
//! "Above" is strict everywhere: a value at the threshold does not fire.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::common::{amount_json, dec, rfc3339, string_schema, wire_names};

/// An executed trade, as ATS's `trade.executed` event describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedTrade {
    /// `trd_` id.
    #[serde(alias = "id")]
    pub trade_id: String,
    /// `ast_` id of the asset.
    pub asset_id: String,
    /// Price per unit.
    pub price: Decimal,
    /// Quantity traded.
    pub quantity: Decimal,
    /// Buyer's `inv_` id.
    pub buyer_investor_id: String,
    /// Seller's `inv_` id.
    pub seller_investor_id: String,
    /// Execution time.
    #[serde(with = "rfc3339")]
    pub executed_at: OffsetDateTime,
}

/// The detectors' rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// No change of beneficial ownership.
    WashTrade,
    /// One investor dominates an asset's daily volume.
    Concentration,
    /// The price jumped from the previous trade.
    PriceDeviation,
}

wire_names!(AlertRule {
    WashTrade = "wash_trade",
    Concentration = "concentration",
    PriceDeviation = "price_deviation",
});
string_schema!(AlertRule as "AlertRule");

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record.
    Low,
    /// Look at it today.
    Medium,
    /// Look at it now.
    High,
}

wire_names!(Severity {
    Low = "low",
    Medium = "medium",
    High = "high",
});

/// An alert before the BD gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDraft {
    /// Which detector fired.
    pub rule: AlertRule,
    /// How urgent.
    pub severity: Severity,
    /// For people.
    pub message: String,
    /// The trade that raised it.
    pub trade_id: String,
    /// The asset.
    pub asset_id: String,
    /// The investors concerned.
    pub investor_ids: Vec<String>,
    /// Structured facts (amounts as decimal strings).
    pub details: serde_json::Value,
}

/// Detector thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveillanceConfig {
    /// Share of the asset's daily volume above which one investor is concentrated.
    pub concentration_share: Decimal,
    /// Fewest trades in the asset that day before concentration is judged.
    pub concentration_min_trades: usize,
    /// Least daily quantity before concentration is judged.
    pub concentration_min_daily_volume: Decimal,
    /// Relative move from the previous trade's price above which a trade is flagged.
    pub price_deviation: Decimal,
}

impl Default for SurveillanceConfig {
    fn default() -> Self {
        Self {
            // Platform policy: a quarter of a day's volume in one hand is worth a look.
            concentration_share: dec(25, 2),
            // Platform policy: below ten trades a day every participant is "concentrated".
            concentration_min_trades: 10,
            // Platform policy: no quantity floor by default (units differ per asset).
            concentration_min_daily_volume: Decimal::ZERO,
            // Platform policy: a 10% jump between consecutive trades in an illiquid private security.
            price_deviation: dec(10, 2),
        }
    }
}

/// Wash-trade check for one trade. `beneficial_owners` maps an investor id
/// to the ids of its beneficial owners; an investor missing from the map
/// has none declared.
pub fn detect_wash_trade(
    trade: &ExecutedTrade,
    beneficial_owners: &HashMap<String, BTreeSet<String>>,
) -> Option<AlertDraft> {
    let investors = vec![
        trade.buyer_investor_id.clone(),
        trade.seller_investor_id.clone(),
    ];
    if trade.buyer_investor_id == trade.seller_investor_id {
        return Some(AlertDraft {
            rule: AlertRule::WashTrade,
            severity: Severity::High,
            message: format!(
                "trade {} in {}: investor {} is both buyer and seller",
                trade.trade_id, trade.asset_id, trade.buyer_investor_id
            ),
            trade_id: trade.trade_id.clone(),
            asset_id: trade.asset_id.clone(),
            investor_ids: vec![trade.buyer_investor_id.clone()],
            details: serde_json::json!({
                "basis": "same_investor",
                "investor_id": trade.buyer_investor_id,
                "quantity": amount_json(trade.quantity),
                "price": amount_json(trade.price),
            }),
        });
    }
    let empty = BTreeSet::new();
    let buyer = beneficial_owners
        .get(&trade.buyer_investor_id)
        .unwrap_or(&empty);
    let seller = beneficial_owners
        .get(&trade.seller_investor_id)
        .unwrap_or(&empty);
    let shared: Vec<&String> = buyer.intersection(seller).collect();
    if shared.is_empty() {
        return None;
    }
    Some(AlertDraft {
        rule: AlertRule::WashTrade,
        severity: Severity::High,
        message: format!(
            "trade {} in {}: buyer {} and seller {} share beneficial owner(s) {}",
            trade.trade_id,
            trade.asset_id,
            trade.buyer_investor_id,
            trade.seller_investor_id,
            shared
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        trade_id: trade.trade_id.clone(),
        asset_id: trade.asset_id.clone(),
        investor_ids: investors,
        details: serde_json::json!({
            "basis": "shared_beneficial_owner",
            "shared_beneficial_owners": shared,
            "quantity": amount_json(trade.quantity),
            "price": amount_json(trade.price),
        }),
    })
}

/// One asset's volume on one day: the trades, their total and each investor's part (a trade
/// counts for its buyer and its seller, once when they are the same investor). Kept by
/// adding trades one at a time, so a day of n trades is surveilled in O(n), not O(n²).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayVolume {
    trades: usize,
    total: Decimal,
    by_investor: HashMap<String, Decimal>,
}

impl DayVolume {
    /// The volume of `trades`.
    pub fn of<'a>(trades: impl Iterator<Item = &'a ExecutedTrade>) -> Self {
        let mut v = Self::default();
        for t in trades {
            v.add(t);
        }
        v
    }

    /// The volume as aggregated elsewhere (by the database): the day's trade count, its total
    /// quantity and each investor's quantity.
    pub fn from_parts(
        trades: usize,
        total: Decimal,
        by_investor: HashMap<String, Decimal>,
    ) -> Self {
        Self {
            trades,
            total,
            by_investor,
        }
    }

    /// Counts `trade` in.
    pub fn add(&mut self, t: &ExecutedTrade) {
        self.trades += 1;
        self.total += t.quantity;
        for inv in parties(t) {
            *self.by_investor.entry(inv.to_owned()).or_default() += t.quantity;
        }
    }

    fn volume(&self, investor: &str) -> Decimal {
        self.by_investor.get(investor).copied().unwrap_or_default()
    }
}

/// The buyer, and the seller when another investor.
fn parties(t: &ExecutedTrade) -> impl Iterator<Item = &str> {
    let seller =
        (t.seller_investor_id != t.buyer_investor_id).then_some(t.seller_investor_id.as_str());
    std::iter::once(t.buyer_investor_id.as_str()).chain(seller)
}

/// Whether an investor holding `volume` of a day of `trades` trades totalling `total` is
/// concentrated: the day is large enough to judge and their share is above the threshold.
fn concentrated(
    trades: usize,
    total: Decimal,
    volume: Decimal,
    config: &SurveillanceConfig,
) -> bool {
    trades >= config.concentration_min_trades
        && total >= config.concentration_min_daily_volume
        && share(volume, total) > config.concentration_share
}

fn share(volume: Decimal, total: Decimal) -> Decimal {
    if total.is_zero() {
        Decimal::ZERO
    } else {
        volume / total
    }
}

/// Concentration check after `trade`. `day_trades` are the asset's trades
/// of the same day (the caller picks the day), with or without `trade`
/// itself; trades of other assets are ignored.
pub fn detect_concentration(
    trade: &ExecutedTrade,
    day_trades: &[ExecutedTrade],
    config: &SurveillanceConfig,
) -> Vec<AlertDraft> {
    let before = DayVolume::of(
        day_trades
            .iter()
            .filter(|t| t.asset_id == trade.asset_id && t.trade_id != trade.trade_id),
    );
    detect_concentration_on(trade, &before, config)
}

/// Concentration check after `trade`, given the volume of the asset's day before it: an
/// investor is flagged when `trade` takes their share above the threshold.
pub fn detect_concentration_on(
    trade: &ExecutedTrade,
    before: &DayVolume,
    config: &SurveillanceConfig,
) -> Vec<AlertDraft> {
    let q = trade.quantity;
    let (trades, total) = (before.trades + 1, before.total + q);
    parties(trade)
        .filter(|inv| {
            let was = before.volume(inv);
            concentrated(trades, total, was + q, config)
                && !concentrated(before.trades, before.total, was, config)
        })
        .map(|inv| {
            let volume = before.volume(inv) + q;
            let share = share(volume, total);
            let severity = if share > config.concentration_share * Decimal::TWO {
                Severity::High
            } else {
                Severity::Medium
            };
            AlertDraft {
                rule: AlertRule::Concentration,
                severity,
                message: format!(
                    "investor {inv} traded {volume} of {total} units of {} today ({}%, above {}%)",
                    trade.asset_id,
                    (share * Decimal::ONE_HUNDRED).round_dp(2).normalize(),
                    (config.concentration_share * Decimal::ONE_HUNDRED).normalize()
                ),
                trade_id: trade.trade_id.clone(),
                asset_id: trade.asset_id.clone(),
                investor_ids: vec![inv.to_owned()],
                details: serde_json::json!({
                    "investor_id": inv,
                    "investor_volume": amount_json(volume),
                    "daily_volume": amount_json(total),
                    "share": amount_json(share.round_dp(6).normalize()),
                    "threshold": amount_json(config.concentration_share),
                    "trades_today": trades,
                    "counts": "buy_and_sell",
                }),
            }
        })
        .collect()
}

/// Price-deviation check of `trade` against the previous trade in the same
/// asset (`None` for the first trade).
pub fn detect_price_deviation(
    trade: &ExecutedTrade,
    previous: Option<&ExecutedTrade>,
    config: &SurveillanceConfig,
) -> Option<AlertDraft> {
    let previous = previous?;
    if previous.price <= Decimal::ZERO {
        return None;
    }
    // A move too large for a Decimal (a tiny previous price) is beyond any threshold: it
    // raises a high alert instead of overflowing.
    let change = trade
        .price
        .checked_sub(previous.price)
        .and_then(|d| d.checked_div(previous.price));
    let deviation = change.map_or(Decimal::MAX, |c| c.abs());
    if deviation <= config.price_deviation {
        return None;
    }
    let severity = if deviation > config.price_deviation * Decimal::TWO {
        Severity::High
    } else {
        Severity::Medium
    };
    let percent = change
        .and_then(|c| c.checked_mul(Decimal::ONE_HUNDRED))
        .map_or_else(
            || "more than 7.9e28".to_owned(),
            |p| p.round_dp(2).normalize().to_string(),
        );
    Some(AlertDraft {
        rule: AlertRule::PriceDeviation,
        severity,
        message: format!(
            "trade {} in {} at {} moved {}% from the previous trade at {} (threshold {}%)",
            trade.trade_id,
            trade.asset_id,
            trade.price,
            percent,
            previous.price,
            (config.price_deviation * Decimal::ONE_HUNDRED).normalize()
        ),
        trade_id: trade.trade_id.clone(),
        asset_id: trade.asset_id.clone(),
        investor_ids: vec![
            trade.buyer_investor_id.clone(),
            trade.seller_investor_id.clone(),
        ],
        details: serde_json::json!({
            "price": amount_json(trade.price),
            "previous_price": amount_json(previous.price),
            "previous_trade_id": previous.trade_id,
            "change": change.map_or_else(
                || serde_json::Value::String("overflow".into()),
                |c| amount_json(c.round_dp(6).normalize())
            ),
            "threshold": amount_json(config.price_deviation),
        }),
    })
}

/// What the detectors need to know besides the trade.
#[derive(Debug, Clone)]
pub struct SurveillanceContext<'a> {
    /// Beneficial owners of each investor.
    pub beneficial_owners: HashMap<String, BTreeSet<String>>,
    /// The asset's volume of the day before the trade.
    pub day: &'a DayVolume,
    /// The asset's previous trade.
    pub previous_trade: Option<&'a ExecutedTrade>,
}

/// Runs every detector on one trade.
pub fn surveil(
    trade: &ExecutedTrade,
    context: &SurveillanceContext<'_>,
    config: &SurveillanceConfig,
) -> Vec<AlertDraft> {
    let mut alerts = Vec::new();
    alerts.extend(detect_wash_trade(trade, &context.beneficial_owners));
    alerts.extend(detect_concentration_on(trade, context.day, config));
    alerts.extend(detect_price_deviation(
        trade,
        context.previous_trade,
        config,
    ));
    alerts
}
