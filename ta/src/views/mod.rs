//! What the API answers. Quantities are whole shares written without trailing zeros; money
//! keeps the scale it was given or computed with. Every decimal is a string.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use platform::ids::{AssetId, CorporateActionId, DividendId, InvestorId, TransferId};

use crate::store::actions::ActionRow;
use crate::store::dividends::{DividendRow, PaymentRow};
use crate::store::securities::SecurityRow;
use crate::store::transfers::TransferRow;

mod statement;

pub use statement::{
    Form1099B, Form1099DivLine, GainLine, GainSummary, Statement, StatementDividend,
    StatementHolding, StatementLot, StatementTransfer,
};

/// The schema of a security id in the TA's OpenAPI document, which names it `SecurityId` as
/// it always has: the value is the platform's `AssetId` (`ast_…`, one id for the TA, the ATS
/// and the BD), documented with `#[schema(value_type = SecurityIdDoc)]` so the published
/// contract keeps its names.
pub struct SecurityIdDoc;

impl utoipa::PartialSchema for SecurityIdDoc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        platform::ids::id_schema(AssetId::PREFIX)
    }
}

impl ToSchema for SecurityIdDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("SecurityId")
    }
}

/// A quantity as shown: no trailing zeros.
pub fn qty(d: Decimal) -> Decimal {
    d.normalize()
}

/// Running share counts of a security (captable `SecurityTotals`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TotalsView {
    pub issued: Decimal,
    pub redeemed: Decimal,
    pub split_adjustment: Decimal,
    pub converted_in: Decimal,
    pub converted_out: Decimal,
    pub merged_in: Decimal,
    pub merged_out: Decimal,
    /// Fractional shares paid in cash instead of issued (for reporting).
    pub fractions_cashed: Decimal,
    /// issued − redeemed ± splits + conversions in − out + mergers in − out. Always equal to
    /// the sum of the holders' lots.
    pub outstanding: Decimal,
}

impl From<&captable::SecurityTotals> for TotalsView {
    fn from(t: &captable::SecurityTotals) -> Self {
        Self {
            issued: qty(t.issued),
            redeemed: qty(t.redeemed),
            split_adjustment: qty(t.split_adjustment),
            converted_in: qty(t.converted_in),
            converted_out: qty(t.converted_out),
            merged_in: qty(t.merged_in),
            merged_out: qty(t.merged_out),
            fractions_cashed: qty(t.fractions_cashed),
            outstanding: qty(t.outstanding()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityView {
    #[schema(value_type = SecurityIdDoc)]
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub issuer: String,
    /// ISO 3166-1 alpha-2 country where the issuer was formed (OCF `country_of_formation`).
    pub issuer_country: String,
    pub issuer_formation_date: Option<Date>,
    /// `common` or `preferred`.
    pub security_class: String,
    /// `reg_d_506b`, `reg_d_506c`, `reg_a_tier2`, `reg_cf` or `registered`.
    pub regulation: String,
    pub reporting_issuer: bool,
    /// The holding period in force, in months: the value given, or the regulation's default
    /// (see `POST /v1/securities`). 0 when the shares are not restricted.
    pub rule144_holding_months: u32,
    /// The rule that imposes it: `rule144` (17 CFR 230.144(d)), `reg_cf501` (17 CFR 227.501)
    /// or null when there is none.
    pub holding_period_rule: Option<String>,
    /// Last locked day (inclusive): no transfer on or before it.
    pub lockup_until: Option<Date>,
    /// Length of the issuer's right of first refusal in calendar days, if any.
    pub rofr_days: Option<u32>,
    /// `active`, or `retired` once merged into another security.
    pub status: String,
    #[schema(value_type = Option<SecurityIdDoc>)]
    pub merged_into: Option<AssetId>,
    pub totals: TotalsView,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl SecurityView {
    pub fn from_row(r: &SecurityRow) -> anyhow::Result<Self> {
        let terms = r.terms()?;
        let period = terms.holding_period();
        Ok(Self {
            id: r.id,
            symbol: r.symbol.clone(),
            name: r.name.clone(),
            issuer: r.issuer.clone(),
            issuer_country: r.issuer_country.clone(),
            issuer_formation_date: r.issuer_formation_date,
            security_class: r.security_class.clone(),
            regulation: r.regulation.clone(),
            reporting_issuer: r.reporting_issuer,
            rule144_holding_months: period.map_or(0, |p| p.months),
            holding_period_rule: period.map(|p| match p.rule {
                captable::HoldingRule::Rule144 => "rule144".to_owned(),
                captable::HoldingRule::RegCf501 => "reg_cf501".to_owned(),
            }),
            lockup_until: r.lockup_until,
            rofr_days: terms.rofr_days,
            status: if r.merged_into.is_some() {
                "retired".to_owned()
            } else {
                "active".to_owned()
            },
            merged_into: r.merged_into,
            totals: TotalsView::from(&r.totals()),
            created_at: r.created_at,
        })
    }
}

/// The issuer's right of first refusal on a transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RofrView {
    /// Last day of the window: the transfer is pending through it and lapses (is recorded)
    /// from the day after, when the background job runs.
    pub last_day: Option<Date>,
    /// `waived`, `exercised`, `lapsed`, or null while pending.
    pub resolution: Option<String>,
    pub resolved_on: Option<Date>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub id: TransferId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub from_investor_id: InvestorId,
    pub to_investor_id: InvestorId,
    pub quantity: Decimal,
    pub price_per_share: Decimal,
    pub seller_is_affiliate: bool,
    pub settlement_id: Option<String>,
    /// `recorded`, `pending_rofr` or `rejected`.
    pub status: String,
    /// Why a rejected transfer was refused: `code` (`RESTRICTION_VIOLATED`,
    /// `INSUFFICIENT_HOLDINGS`, `ROFR_EXERCISED`), `rule` (`rule144_holding_period`,
    /// `reg_cf_resale_restriction`, `lockup`, `insufficient_holdings`, `rofr_exercised`),
    /// `message`, and the rule's fields (the lot, its dates...).
    #[schema(value_type = Option<Object>)]
    pub reason: Option<Value>,
    /// The day the transfer was requested (its effective date when recorded at once).
    pub requested_on: Date,
    /// The day the shares moved on the register.
    pub recorded_on: Option<Date>,
    /// Present when the security has a right of first refusal.
    pub rofr: Option<RofrView>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&TransferRow> for TransferView {
    fn from(r: &TransferRow) -> Self {
        Self {
            id: r.id,
            asset_id: r.security_id,
            from_investor_id: r.from_investor_id,
            to_investor_id: r.to_investor_id,
            quantity: qty(r.quantity),
            price_per_share: r.price_per_share,
            seller_is_affiliate: r.seller_is_affiliate,
            settlement_id: r.settlement_id.clone(),
            status: r.status.clone(),
            reason: r.reason.clone(),
            requested_on: r.requested_on,
            recorded_on: r.recorded_on,
            rofr: (r.rofr_last_day.is_some() || r.rofr_resolution.is_some()).then(|| RofrView {
                last_day: r.rofr_last_day,
                resolution: r.rofr_resolution.clone(),
                resolved_on: r.rofr_resolved_on,
            }),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One FIFO tax lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    pub lot_id: String,
    /// Acquisition date for tax purposes (kept through splits, conversions and mergers).
    pub acquired_at: Date,
    /// The day the Rule 144 holding period runs from (tacked from the seller's when bought
    /// from a non-affiliate).
    pub holding_period_start: Date,
    pub quantity: Decimal,
    /// Cost basis per share (the lot keeps its total basis exactly; this is derived).
    pub cost_per_share: Decimal,
    pub cost_basis: Decimal,
    /// First day the lot may be transferred under its holding period; null when free.
    pub restricted_until: Option<Date>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingView {
    pub investor_id: InvestorId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    pub quantity: Decimal,
    /// What the investor may transfer today: 0 during a lock-up, otherwise the quantity less
    /// lots still serving their holding period (Rule 144 / Reg CF) and less shares reserved
    /// by transfers pending a right of first refusal. Open sell orders are the ATS's to
    /// subtract: the TA does not know them.
    pub transferable_quantity: Decimal,
    /// Shares in lots still serving their holding period today.
    pub restricted_quantity: Decimal,
    /// Shares reserved by transfers pending a right of first refusal.
    pub reserved_rofr_quantity: Decimal,
    /// True while a lock-up forbids every transfer.
    pub locked_up: bool,
    pub cost_basis: Decimal,
    /// Oldest first (the order transfers consume them).
    pub lots: Vec<LotView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvestorHoldings {
    pub investor_id: InvestorId,
    pub holdings: Vec<HoldingView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CashInLieuView {
    pub investor_id: InvestorId,
    /// The security the fraction is of (after the action).
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub fractional_shares: Decimal,
    pub price_per_share: Decimal,
    /// Rounded down to the cent.
    pub amount: Decimal,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedLotView {
    pub investor_id: InvestorId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub lot_id: String,
    pub quantity: Decimal,
    pub acquired_at: Date,
    /// The lot it was converted or merged from.
    pub source_lot_id: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SecurityTotalsAfter {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub totals: TotalsView,
}

/// What a corporate action changed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionResult {
    /// Holders whose positions changed.
    pub holders_affected: usize,
    pub lots_created: Vec<CreatedLotView>,
    pub cash_in_lieu: Vec<CashInLieuView>,
    /// Total cash paid in lieu of fractional shares.
    pub cash_in_lieu_total: Decimal,
    /// The totals of each security touched, after the action.
    pub totals: Vec<SecurityTotalsAfter>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorporateActionView {
    pub id: CorporateActionId,
    /// `issuance`, `split`, `reverse_split`, `merger`, `conversion` or `redemption`.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    /// The security received (merger, conversion).
    #[schema(value_type = Option<SecurityIdDoc>)]
    pub target_asset_id: Option<AssetId>,
    pub investor_id: Option<InvestorId>,
    pub quantity: Option<Decimal>,
    pub price_per_share: Option<Decimal>,
    /// `new:old`.
    pub ratio: Option<String>,
    pub cash_in_lieu_price: Option<Decimal>,
    pub acquired_at: Option<Date>,
    /// The day the action took effect on the register: the day it was recorded (UTC), or
    /// `acquired_at` for a back-dated issuance.
    pub effective_date: Date,
    pub result: ActionResult,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntitlementView {
    pub investor_id: InvestorId,
    /// Shares held at the end of the record date.
    pub quantity: Decimal,
    /// quantity × amount per share, rounded down to the currency's minor unit.
    pub amount: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DividendView {
    pub id: DividendId,
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub amount_per_share: Decimal,
    pub currency: String,
    pub record_date: Date,
    pub payment_date: Date,
    /// `declared`: the record date is not over yet (or the dividend job has not run since);
    /// the figures below are null and there are no entitlements. `entitled`: fixed from the
    /// registry at the end of the record date.
    #[schema(example = "entitled")]
    pub status: String,
    /// Shares outstanding at the end of the record date (null while declared).
    pub shares_of_record: Option<Decimal>,
    /// shares_of_record × amount_per_share, unrounded (null while declared).
    pub total_declared: Option<Decimal>,
    /// Sum of the entitlements (null while declared).
    pub total_paid: Option<Decimal>,
    /// total_declared − total_paid: what rounding each payment down kept back (null while
    /// declared).
    pub rounding_remainder: Option<Decimal>,
    /// One per holder of record, by investor id (empty while declared, and when nobody held
    /// the security at the end of the record date).
    pub entitlements: Vec<EntitlementView>,
    /// When the entitlements were fixed (null while declared).
    #[serde(with = "platform::time::rfc3339_opt")]
    pub entitled_at: Option<OffsetDateTime>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryHolderView {
    pub investor_id: InvestorId,
    pub quantity: Decimal,
    /// Share of the outstanding shares, in percent, rounded to 6 places.
    pub percentage: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryView {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub symbol: String,
    /// The date asked for; null for the current registry.
    pub as_of: Option<Date>,
    pub outstanding: Decimal,
    /// Holders with a positive quantity, by investor id.
    pub holders: Vec<RegistryHolderView>,
}

impl CorporateActionView {
    pub fn from_row(row: &ActionRow) -> anyhow::Result<Self> {
        Ok(Self {
            id: row.id,
            kind: row.kind.clone(),
            asset_id: row.security_id,
            target_asset_id: row.target_security_id,
            investor_id: row.investor_id,
            quantity: row.quantity.map(qty),
            price_per_share: row.price_per_share,
            ratio: row.ratio.clone(),
            cash_in_lieu_price: row.cash_in_lieu_price,
            acquired_at: row.acquired_at,
            effective_date: row.effective_on,
            result: serde_json::from_value(row.result.clone())?,
            created_at: row.created_at,
        })
    }
}

impl DividendView {
    pub fn new(row: &DividendRow, payments: &[PaymentRow]) -> Self {
        Self {
            id: row.id,
            asset_id: row.security_id,
            amount_per_share: row.amount_per_share,
            currency: row.currency.clone(),
            record_date: row.record_date,
            payment_date: row.payment_date,
            status: row.status.clone(),
            shares_of_record: row.shares_of_record.map(qty),
            total_declared: row.total_declared,
            total_paid: row.total_paid,
            rounding_remainder: row.rounding_remainder,
            entitlements: payments
                .iter()
                .map(|p| EntitlementView {
                    investor_id: p.investor_id,
                    quantity: qty(p.quantity),
                    amount: p.amount,
                })
                .collect(),
            entitled_at: row.entitled_at,
            created_at: row.created_at,
        }
    }
}
