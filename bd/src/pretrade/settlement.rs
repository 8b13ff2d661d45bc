//! The settlement approval (`POST /v1/compliance/settlement`): both parties still pass the
//! pre-trade rules at the moment of settlement (investment limits aside).

use compliance::pretrade::{PreTradeInput, pre_trade_decision};
use compliance::{ReasonCode, Regulation, Side};
use iam_sdk::Caller;
use platform::ApiResult;
use platform::bounds::{check_price, check_quantity};
use platform::ids::{AssetId, CheckId, InvestorId, SettlementId, TradeId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::not_found_reason;
use crate::AppState;
use crate::facts;
use crate::store::checks::{self, NewCheck};
use crate::wire::{CheckKind, CheckReason, reasons_json};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct SettlementRequest {
    pub settlement_id: SettlementId,
    pub trade_id: TradeId,
    pub asset_id: AssetId,
    pub buyer_investor_id: InvestorId,
    pub seller_investor_id: InvestorId,
    pub regulation: Regulation,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub price: Decimal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettlementAnswer {
    pub id: CheckId,
    pub settlement_id: SettlementId,
    pub trade_id: TradeId,
    pub approved: bool,
    /// Each reason's `details.party` is `buyer` or `seller`.
    pub reasons: Vec<CheckReason>,
    #[serde(with = "platform::time::rfc3339")]
    pub checked_at: OffsetDateTime,
}

/// Approves a settlement when both parties are still eligible; the decision is kept.
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    body: SettlementRequest,
) -> ApiResult<SettlementAnswer> {
    check_quantity("quantity", body.quantity)?;
    check_price("price", body.price)?;
    let now = state.clock.now();
    let amount = body.quantity * body.price;
    let mut tx = state.begin(&caller.org_id).await?;
    let (buyer, seller) = (body.buyer_investor_id, body.seller_investor_id);
    let facts = facts::gather_many(&mut tx, &[buyer, seller], now, false).await?;
    let mut reasons: Vec<CheckReason> = Vec::new();
    let mut parties = serde_json::Map::new();
    for (party, investor, side) in [("buyer", buyer, Side::Buy), ("seller", seller, Side::Sell)] {
        let Some(f) = facts.get(&investor) else {
            reasons.push(not_found_reason(investor, Some(party)));
            let missing = json!({"investor_id": investor, "found": false});
            parties.insert(party.into(), missing);
            continue;
        };
        let decision = pre_trade_decision(
            &PreTradeInput {
                kyc: f.kyc,
                sanctions: f.sanctions,
                accreditation: f.accreditation,
                investor_type: f.investor_type(),
                regulation: body.regulation,
                side,
                amount,
                amount_unknown: false,
                prior_12m_amount: Decimal::ZERO,
                financial_profile: f.profile.clone(),
                as_of: now,
            },
            &state.config.pre_trade,
        );
        // The limits were applied to the orders; the trade itself now counts in them.
        let applies = |code| {
            !matches!(
                code,
                ReasonCode::InvestmentLimitExceeded | ReasonCode::FinancialProfileMissing
            )
        };
        for r in decision.reasons.into_iter().filter(|r| applies(r.code)) {
            reasons.push(
                CheckReason::from(r)
                    .with_detail("party", json!(party))
                    .with_detail("investor_id", json!(investor)),
            );
        }
        parties.insert(party.into(), f.audit_json(now));
    }
    let approved = reasons.is_empty();
    let status = if approved { "approved" } else { "rejected" };
    let by = (caller.subject.as_str(), caller.name.as_str());
    let mut check = NewCheck::new(CheckKind::Settlement, status, by, now);
    check.approved = Some(approved);
    check.reasons = reasons_json(&reasons);
    check.input = json!({"request": body, "parties": parties});
    check.settlement_id = Some(body.settlement_id);
    check.parties = vec![buyer, seller];
    checks::insert(&mut tx, &check).await?;
    tx.commit().await?;
    Ok(SettlementAnswer {
        id: check.id,
        settlement_id: body.settlement_id,
        trade_id: body.trade_id,
        approved,
        reasons,
        checked_at: now,
    })
}
