//! The pre-trade check of orders before they reach the book (`POST /v1/compliance/pre-trade`
//! and its batch form), the settlement approval ([`settlement`]) and an investor's compliance
//! summary ([`summary`]).
//!
//! One path decides every pre-trade check: [`check_all`] takes the checks in order, in one
//! transaction. The single endpoint is a batch of one, so a check in a batch is answered
//! exactly as the single endpoint would answer it at that point of the sequence. The facts are
//! gathered once per distinct investor (their rows locked in id order, which serializes the
//! checks of one investor as the single endpoint always did), the reservations of the orders
//! checked earlier in the batch count against the later ones exactly as if they had been
//! checked one by one, and the checks and orders are written with one statement each.

pub mod batch;
pub mod reservations;
pub mod settlement;
pub mod summary;

use std::collections::{HashMap, HashSet};

use compliance::limits::{InvestmentLimit, investment_limit};
use compliance::pretrade::{PreTradeInput, pre_trade_decision};
use compliance::{Regulation, Side};
use iam_sdk::Caller;
use platform::bounds::{check_price, check_quantity};
use platform::ids::{AssetId, CheckId, InvestorId, OrderId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::facts::{self, InvestorFacts};
use crate::store::checks::{self, NewCheck};
use crate::store::orders::{self, PreTradeOrder};
use crate::wire::{CheckKind, CheckReason, reasons_json};
use reservations::Reservations;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PreTradeRequest {
    pub order_id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: Side,
    /// Positive.
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    /// The limit price; absent or null for market orders (the BD then counts the order at
    /// the asset's last trade price).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "12.50")]
    pub price: Option<Decimal>,
    /// The asset's regulation.
    pub regulation: Regulation,
}

impl PreTradeRequest {
    /// The bounds of a traded quantity and price, the fields named with `prefix`.
    pub fn check_bounds(&self, prefix: &str) -> ApiResult<()> {
        check_quantity(&format!("{prefix}quantity"), self.quantity)?;
        if let Some(p) = self.price {
            check_price(&format!("{prefix}price"), p)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreTradeAnswer {
    /// The check kept for audit (`GET /v1/compliance/checks/{id}`).
    pub id: CheckId,
    pub order_id: OrderId,
    pub investor_id: InvestorId,
    pub approved: bool,
    pub reasons: Vec<CheckReason>,
    /// The order's amount as counted: quantity × price (or the last trade price).
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    #[serde(with = "platform::time::rfc3339")]
    pub checked_at: OffsetDateTime,
}

/// 12 calendar months before `now`: the window of the investment limits.
pub fn twelve_months_before(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_date(compliance::accreditation::months_before(now.date(), 12))
}

/// `investor_not_found`: the organization has no such investor (another organization's is
/// unknown too); a refusal like any other, not a 404.
pub(crate) fn not_found_reason(investor: InvestorId, party: Option<&str>) -> CheckReason {
    let r = CheckReason::new(
        "investor_not_found",
        format!("the organization has no investor {investor}"),
    )
    .with_detail("investor_id", json!(investor));
    match party {
        Some(p) => r.with_detail("party", json!(p)),
        None => r,
    }
}

/// What the checks of one call read, gathered once for all of them.
struct Gathered {
    facts: HashMap<InvestorId, InvestorFacts>,
    last_prices: HashMap<AssetId, Decimal>,
    bought: HashMap<(InvestorId, Regulation), Decimal>,
    reservations: Reservations,
}

async fn gather(
    tx: &mut platform::db::TenantTx,
    requests: &[PreTradeRequest],
    now: OffsetDateTime,
    since: OffsetDateTime,
) -> ApiResult<Gathered> {
    let investors: Vec<InvestorId> = requests.iter().map(|r| r.investor_id).collect();
    let facts = facts::gather_many(tx, &investors, now, true).await?;
    let mut market: Vec<AssetId> = requests
        .iter()
        .filter(|r| r.price.is_none())
        .map(|r| r.asset_id)
        .collect();
    market.sort();
    market.dedup();
    let last_prices = if market.is_empty() {
        HashMap::new()
    } else {
        orders::last_trade_prices(tx, &market).await?
    };
    let found: Vec<InvestorId> = facts.keys().copied().collect();
    if found.is_empty() {
        let reservations = Reservations::new(HashMap::new(), Vec::new(), HashMap::new());
        let bought = HashMap::new();
        return Ok(Gathered {
            facts,
            last_prices,
            bought,
            reservations,
        });
    }
    let recorded: HashSet<OrderId> = requests
        .iter()
        .filter(|r| facts.contains_key(&r.investor_id))
        .map(|r| r.order_id)
        .collect();
    let recorded: Vec<OrderId> = recorded.into_iter().collect();
    // What was bought and is reserved matters only to the investment limits, that is to buys
    // under Reg CF or Reg A tier 2: the sums are read for the investors making one (they grow
    // with an investor's history, and most checks need none of them).
    let mut limited: Vec<InvestorId> = requests
        .iter()
        .filter(|r| r.side == Side::Buy && facts.contains_key(&r.investor_id))
        .filter(|r| matches!(r.regulation, Regulation::RegCf | Regulation::RegATier2))
        .map(|r| r.investor_id)
        .collect();
    limited.sort();
    limited.dedup();
    let (bought, others) = if limited.is_empty() {
        (HashMap::new(), HashMap::new())
    } else {
        (
            orders::bought_since(tx, &limited, since).await?,
            orders::reserved_except(tx, &limited, &recorded, since).await?,
        )
    };
    let rows = orders::by_ids(tx, &recorded).await?;
    let fills = orders::fills(tx, &recorded).await?;
    Ok(Gathered {
        facts,
        last_prices,
        bought,
        reservations: Reservations::new(others, rows, fills),
    })
}

/// One check's decision, its audit record's input and details.
struct Decided {
    approved: bool,
    reasons: Vec<CheckReason>,
    amount: Option<Decimal>,
    price: Option<Decimal>,
    input: Value,
    details: Value,
}

/// Decides one check against the gathered facts and the reservations as they stand.
fn decide(
    state: &AppState,
    g: &Gathered,
    r: &PreTradeRequest,
    now: OffsetDateTime,
    since: OffsetDateTime,
) -> Decided {
    let last = r
        .price
        .is_none()
        .then(|| g.last_prices.get(&r.asset_id))
        .flatten();
    let (price, price_source) = match (r.price, last) {
        (Some(p), _) => (Some(p), "order"),
        (None, Some(p)) => (Some(*p), "last_trade"),
        (None, None) => (None, "unknown"),
    };
    let amount = price.map(|p| p * r.quantity);
    let mut input = json!({
        "request": r,
        "price_used": price,
        "price_source": price_source,
        "amount": amount,
        "window_start": platform::time::format(since),
    });
    let mut details = json!({});
    let Some(f) = g.facts.get(&r.investor_id) else {
        let reasons = vec![not_found_reason(r.investor_id, None)];
        return Decided {
            approved: false,
            reasons,
            amount,
            price,
            input,
            details,
        };
    };
    let bought = g
        .bought
        .get(&(r.investor_id, r.regulation))
        .copied()
        .unwrap_or(Decimal::ZERO);
    let reserved = g
        .reservations
        .reserved(r.investor_id, r.regulation, r.order_id, since);
    let decision = pre_trade_decision(
        &PreTradeInput {
            kyc: f.kyc,
            sanctions: f.sanctions,
            accreditation: f.accreditation,
            investor_type: f.investor_type(),
            regulation: r.regulation,
            side: r.side,
            amount: amount.unwrap_or(r.quantity),
            amount_unknown: amount.is_none(),
            prior_12m_amount: bought + reserved,
            financial_profile: f.profile.clone(),
            as_of: now,
        },
        &state.config.pre_trade,
    );
    input["investor"] = f.audit_json(now);
    let limited =
        r.side == Side::Buy && matches!(r.regulation, Regulation::RegCf | Regulation::RegATier2);
    if limited {
        // Only these checks read the sums (see `gather`): another check's record carries none
        // rather than a zero that was never looked up.
        input["prior_12m"] = json!({"bought": bought, "reserved_by_open_orders": reserved});
        let accredited = f.accreditation.is_valid_at(now);
        let limits = &state.config.pre_trade.limits;
        let profile = &f.profile;
        details["investment_limit"] =
            match investment_limit(r.regulation, f.investor_type(), accredited, profile, limits) {
                Ok(InvestmentLimit::Unlimited) => json!({"kind": "unlimited"}),
                Ok(InvestmentLimit::Limited { limit, rule }) => json!({
                    "kind": "limited", "limit": limit, "rule": rule,
                    "used": bought + reserved, "requested": amount,
                }),
                Err(reason) => json!({"kind": "unknown", "reason": CheckReason::from(reason)}),
            };
    }
    let reasons: Vec<CheckReason> = decision
        .reasons
        .into_iter()
        .map(CheckReason::from)
        .collect();
    Decided {
        approved: reasons.is_empty(),
        reasons,
        amount,
        price,
        input,
        details,
    }
}

/// Decides `requests` in order, in one transaction, keeping a check for each; see the module.
pub async fn check_all(
    state: &AppState,
    caller: &Caller,
    requests: &[PreTradeRequest],
) -> ApiResult<Vec<PreTradeAnswer>> {
    let now = state.clock.now();
    let since = twelve_months_before(now);
    let mut tx = state.begin(&caller.org_id).await?;
    let mut g = gather(&mut tx, requests, now, since).await?;
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut records = Vec::with_capacity(requests.len());
    let mut answers = Vec::with_capacity(requests.len());
    for r in requests {
        let d = decide(state, &g, r, now, since);
        let status = if d.approved { "approved" } else { "rejected" };
        let mut check = NewCheck::new(CheckKind::PreTrade, status, by, now);
        check.investor_id = Some(r.investor_id);
        check.approved = Some(d.approved);
        check.reasons = reasons_json(&d.reasons);
        check.order_id = Some(r.order_id);
        if g.facts.contains_key(&r.investor_id) {
            g.reservations.record(PreTradeOrder {
                id: r.order_id,
                investor_id: r.investor_id,
                asset_id: r.asset_id,
                side: r.side,
                quantity: r.quantity,
                regulation: r.regulation,
                approved: d.approved,
                reserve_price: d.price,
                checked_at: now,
                check_id: check.id,
            });
        }
        answers.push(PreTradeAnswer {
            id: check.id,
            order_id: r.order_id,
            investor_id: r.investor_id,
            approved: d.approved,
            reasons: d.reasons,
            amount: d.amount,
            checked_at: now,
        });
        check.input = d.input;
        check.details = d.details;
        records.push(check);
    }
    checks::insert_many(&mut tx, &records).await?;
    orders::record_pre_trades(&mut tx, &g.reservations.written()).await?;
    tx.commit().await?;
    Ok(answers)
}

/// The pre-trade check of one order.
pub async fn check(
    state: &AppState,
    caller: &Caller,
    request: PreTradeRequest,
) -> ApiResult<PreTradeAnswer> {
    request.check_bounds("")?;
    check_all(state, caller, std::slice::from_ref(&request))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a check of one answered nothing")))
}
