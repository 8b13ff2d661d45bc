//! An investor's statement for a period, with what a 1099-B and a 1099-DIV need.

use platform::ids::{AssetId, DividendId, InvestorId, TransferId};
use rust_decimal::Decimal;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::SecurityIdDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementLot {
    pub lot_id: String,
    pub acquired_at: Date,
    pub quantity: Decimal,
    pub cost_per_share: Decimal,
    pub cost_basis: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementHolding {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    pub name: String,
    pub issuer: String,
    pub quantity: Decimal,
    pub cost_basis: Decimal,
    pub lots: Vec<StatementLot>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementTransfer {
    pub transfer_id: TransferId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    /// `in` (bought) or `out` (sold).
    pub direction: String,
    pub counterparty_investor_id: InvestorId,
    pub quantity: Decimal,
    pub price_per_share: Decimal,
    /// quantity × price.
    pub amount: Decimal,
    /// `recorded`, `pending_rofr` or `rejected`.
    pub status: String,
    pub requested_on: Date,
    pub recorded_on: Option<Date>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDividend {
    pub dividend_id: DividendId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    /// The payer (the issuer).
    pub issuer: String,
    pub record_date: Date,
    pub payment_date: Date,
    pub quantity: Decimal,
    pub amount_per_share: Decimal,
    pub amount: Decimal,
    pub currency: String,
}

/// One disposal of (part of) a lot: a 1099-B line.
#[derive(Debug, Serialize, ToSchema)]
pub struct GainLine {
    /// Box 1a, e.g. "100 sh ACME (Acme Common)".
    pub description: String,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    pub lot_id: String,
    /// Box 1b.
    pub date_acquired: Date,
    /// Box 1c.
    pub date_sold: Date,
    /// Shares (fractional for cash in lieu of a fraction).
    pub quantity: Decimal,
    /// Box 1d.
    pub proceeds: Decimal,
    /// Box 1e.
    pub cost_basis: Decimal,
    /// proceeds − cost basis.
    pub gain: Decimal,
    /// Box 2: `short` (held one year or less) or `long`.
    pub term: String,
    /// `transfer`, `redemption`, `rofr_exercise` (bought by the issuer) or `cash_in_lieu`.
    pub kind: String,
    pub transfer_id: Option<TransferId>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct GainSummary {
    pub proceeds: Decimal,
    pub cost_basis: Decimal,
    pub gain: Decimal,
}

impl GainSummary {
    pub fn add(&mut self, l: &GainLine) {
        self.proceeds += l.proceeds;
        self.cost_basis += l.cost_basis;
        self.gain += l.gain;
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Form1099B {
    pub short_term: GainSummary,
    pub long_term: GainSummary,
    pub total: GainSummary,
}

/// Total ordinary dividends from one payer and security in one currency (1099-DIV box 1a).
#[derive(Debug, Serialize, ToSchema)]
pub struct Form1099DivLine {
    pub payer: String,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    pub currency: String,
    pub total_ordinary_dividends: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub investor_id: InvestorId,
    pub from: Date,
    pub to: Date,
    #[serde(with = "platform::time::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// Holdings at the end of `to`, from the journal replayed up to that day.
    pub holdings: Vec<StatementHolding>,
    /// Transfers in or out recorded in the period (or requested in it, if not recorded).
    pub transfers: Vec<StatementTransfer>,
    /// Dividends paid in the period (by payment date).
    pub dividends: Vec<StatementDividend>,
    /// FIFO realised gains of the period: the 1099-B lines.
    pub realized_gains: Vec<GainLine>,
    pub form_1099_b: Form1099B,
    pub form_1099_div: Vec<Form1099DivLine>,
}
