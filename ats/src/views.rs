//! What the ATS answers (API.md, ATS): assets, orders, trades, settlements, the book. Amounts
//! are decimal strings.

use platform::ids::{AssetId, CheckId, InvestorId, OrderId, SettlementId, TradeId, TransferId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use vocab::{OrderStatus, OrderType, Regulation, SettlementStatus, Side, TimeInForce};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssetView {
    /// The TA security's id.
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    /// As the TA gave it when the asset was listed; the BD's pre-trade check applies it.
    pub regulation: Regulation,
    /// Prices are multiples of it.
    #[schema(value_type = String, example = "0.01")]
    pub tick_size: Decimal,
    /// Quantities are multiples of it.
    #[schema(value_type = String, example = "1")]
    pub lot_size: Decimal,
    pub trading_enabled: bool,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Why what was left of an order was cancelled (the order's `cancel_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// `DELETE /v1/orders/{id}`.
    Requested,
    /// Self-trade prevention: an order of the same investor arrived that would have traded
    /// with this resting one.
    SelfTrade,
    /// A market order with nothing (left) to match: market orders never rest.
    NoLiquidity,
    /// The unfilled part of an `ioc` order.
    ImmediateOrCancel,
    /// A `fok` order that could not be filled entirely at once: nothing traded.
    FillOrKill,
    /// A `day` order at the end of the trading day.
    Expired,
}

impl CancelReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::SelfTrade => "self_trade",
            Self::NoLiquidity => "no_liquidity",
            Self::ImmediateOrCancel => "immediate_or_cancel",
            Self::FillOrKill => "fill_or_kill",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Requested,
            Self::SelfTrade,
            Self::NoLiquidity,
            Self::ImmediateOrCancel,
            Self::FillOrKill,
            Self::Expired,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

impl From<matching::CancelReason> for CancelReason {
    fn from(r: matching::CancelReason) -> Self {
        match r {
            matching::CancelReason::Requested => Self::Requested,
            matching::CancelReason::SelfTrade => Self::SelfTrade,
            matching::CancelReason::NoLiquidity => Self::NoLiquidity,
            matching::CancelReason::ImmediateOrCancel => Self::ImmediateOrCancel,
            matching::CancelReason::FillOrKill => Self::FillOrKill,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: OrderId,
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    #[schema(value_type = String, example = "40")]
    pub filled_quantity: Decimal,
    /// What is still working on the book: 0 once the order is filled, cancelled or rejected.
    #[schema(value_type = String, example = "60")]
    pub remaining_quantity: Decimal,
    /// The limit price (`limit`, `stop_limit`).
    #[schema(value_type = Option<String>, example = "12.50")]
    pub price: Option<Decimal>,
    /// The trigger price (`stop`, `stop_limit`).
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    /// Volume-weighted over the fills; null before the first.
    #[schema(value_type = Option<String>)]
    pub average_fill_price: Option<Decimal>,
    pub status: OrderStatus,
    /// Why the order was rejected: the BD's first failing check (`kyc`, `accreditation`,
    /// ...), `insufficient_holdings`, `compliance_unavailable`, `holdings_unavailable`,
    /// `trading_disabled` or `interrupted`.
    pub reject_reason: Option<String>,
    /// Why what was left of it was cancelled (status `cancelled`). API.md has no `expired`
    /// status: an expired `day` order is `cancelled` with reason `expired`.
    pub cancel_reason: Option<CancelReason>,
    /// The caller's own reference, unique per investor.
    pub client_order_id: Option<String>,
    /// `day` orders: the end of the trading day, when what is left expires.
    #[serde(with = "platform::time::rfc3339_opt")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<OffsetDateTime>,
    /// The BD's pre-trade check (`chk_…`), kept for audit.
    pub check_id: Option<CheckId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TradeView {
    pub id: TradeId,
    pub asset_id: AssetId,
    /// The resting order's price.
    #[schema(value_type = String, example = "12.50")]
    pub price: Decimal,
    #[schema(value_type = String, example = "40")]
    pub quantity: Decimal,
    pub buy_order_id: OrderId,
    pub sell_order_id: OrderId,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    /// The side whose order arrived and took the resting one.
    pub aggressor_side: Side,
    #[serde(with = "platform::time::rfc3339")]
    pub executed_at: OffsetDateTime,
    pub settlement_id: SettlementId,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementView {
    pub id: SettlementId,
    pub trade_id: TradeId,
    pub status: SettlementStatus,
    /// The last step completed (null before the first): `mpc_signature`, `chain_record`,
    /// `bd_approval`, `ta_transfer`, `token_transfer`, `settled`.
    pub step: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub tx_hash: Option<String>,
    pub transfer_id: Option<TransferId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339_opt")]
    #[schema(value_type = Option<String>)]
    pub settled_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelView {
    #[schema(value_type = String, example = "12.50")]
    pub price: Decimal,
    /// The sum of the level's orders' remaining quantities.
    #[schema(value_type = String, example = "300")]
    pub quantity: Decimal,
    /// How many orders rest at the level.
    pub orders: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookView {
    pub asset_id: AssetId,
    /// Highest price first.
    pub bids: Vec<LevelView>,
    /// Lowest price first.
    pub asks: Vec<LevelView>,
    /// The price of the last trade, if any.
    #[schema(value_type = Option<String>)]
    pub last_trade_price: Option<Decimal>,
}
