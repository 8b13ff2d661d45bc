//! `GET /v1/investors/{id}/compliance`, `POST /v1/compliance/pre-trade`,
//! `POST /v1/compliance/settlement`, `GET /v1/compliance/checks/{id}`.

use axum::extract::State;
use bytes::Bytes;
use compliance::ReasonCode;
use compliance::limits::{InvestmentLimit, investment_limit};
use compliance::pretrade::{
    AccreditationStatusKind, KycStatus, PreTradeInput, SanctionsStatus, eligibility,
    pre_trade_decision,
};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiResult};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{ANYONE, INTERNAL};
use crate::AppState;
use crate::facts::{self, InvestorFacts};
use crate::ids::{AssetId, CheckId, InvestorId, OrderId, SettlementId, TradeId};
use crate::store::checks::{self, CheckRow, NewCheck};
use crate::store::events;
use crate::wire::{
    CheckReason, Regulation, Side, check_price, check_quantity, reasons_from_json, reasons_json,
};

/// Who may read stored checks.
pub const CHECK_READERS: &[&str] = &["compliance", "internal"];

/// A check kept for audit, whatever its kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckView {
    pub id: CheckId,
    /// `kyc`, `kyc_update` (a provider's webhook), `kyc_decision` (a compliance officer's
    /// decision on a KYC review), `accreditation`, `accreditation_decision`,
    /// `investor_update` (a change of the investor's record), `pre_trade`, `settlement`.
    pub kind: String,
    /// The investor checked; settlements name both parties in `input.request` instead.
    pub investor_id: Option<InvestorId>,
    /// kyc, kyc_update, kyc_decision: `approved`, `rejected`, `review`; accreditation and
    /// accreditation_decision: `verified`, `rejected`, `review`; investor_update: `updated` or
    /// `kyc_invalidated`; pre_trade and settlement: `approved`, `rejected`.
    pub status: String,
    /// pre_trade and settlement only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    pub reasons: Vec<CheckReason>,
    /// What was checked, as received and as gathered.
    #[schema(value_type = Object)]
    pub input: Value,
    /// What was found (kyc: `identity`, `sanctions`, `sanctions_matches`).
    #[schema(value_type = Object)]
    pub details: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// kyc_update: the KYC check it updates; kyc_decision, accreditation_decision: the check
    /// decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CheckId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_date: Option<Date>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "platform::time::rfc3339_opt"
    )]
    pub verified_at: Option<OffsetDateTime>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "platform::time::rfc3339_opt"
    )]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_id: Option<SettlementId>,
    #[serde(with = "platform::time::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who ran it: a user's name, a service's client id, or `provider:<name>`.
    pub created_by: String,
}

/// A compliance officer's decision on a check in review, as the summaries show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    /// The decision (`chk_…`, kind `kyc_decision` or `accreditation_decision`).
    pub check_id: CheckId,
    /// `approve` or `reject`.
    pub decision: String,
    /// The check decided.
    pub decided_check_id: Option<CheckId>,
    /// The officer's note: shown to admin, compliance and the platform's services only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The officer's name.
    pub decided_by: String,
    #[serde(with = "platform::time::rfc3339")]
    pub decided_at: OffsetDateTime,
}

impl DecisionView {
    pub fn new(r: &CheckRow, with_note: bool) -> Self {
        Self {
            check_id: r.id,
            decision: r.input["decision"].as_str().unwrap_or_default().to_owned(),
            decided_check_id: r.parent_id,
            note: if with_note {
                r.input["note"].as_str().map(str::to_owned)
            } else {
                None
            },
            decided_by: r.created_by_name.clone(),
            decided_at: r.created_at,
        }
    }
}

/// SDN entries kept clear for a screened party as a documented false positive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FalsePositiveView {
    /// `investor` or `beneficial_owner`.
    pub party: String,
    /// The beneficial owner's position.
    pub position: Option<u64>,
    /// The name screened.
    pub name: String,
    /// The SDN entries (`ent_num`) approved as not this party.
    pub ent_nums: Vec<u64>,
    /// The `kyc_decision` checks that approved them.
    pub decision_check_ids: Vec<String>,
}

impl From<CheckRow> for CheckView {
    fn from(r: CheckRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            investor_id: r.investor_id,
            status: r.status,
            approved: r.approved,
            reasons: reasons_from_json(r.reasons),
            input: r.input,
            details: r.details,
            provider: r.provider,
            provider_ref: r.provider_ref,
            parent_id: r.parent_id,
            method: r.method,
            evidence_date: r.evidence_date,
            verified_at: r.verified_at,
            expires_at: r.expires_at,
            order_id: r.order_id.map(OrderId),
            settlement_id: r.settlement_id.map(SettlementId),
            created_at: r.created_at,
            created_by: r.created_by_name,
        }
    }
}

/// One stored check.
#[utoipa::path(get, path = "/v1/compliance/checks/{id}", tag = "compliance",
    params(("id" = String, Path, description = "`chk_…`")),
    security(("bearer" = [])),
    description = "Roles admin, compliance, and the platform's services. Any kind of check: KYC \
(with the screened names, the list version and the matched SDN entries), the provider's \
updates, accreditation verifications, pre-trade and settlement decisions with the facts they \
used.",
    responses(
        (status = 200, description = "The check", body = CheckView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not admin, compliance or a service", body = ErrorBody),
        (status = 404, description = "No such check in the organization", body = ErrorBody),
    ))]
pub async fn get_check(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<CheckView>> {
    caller.require_any_role(CHECK_READERS)?;
    let id = CheckId::parse_or_404(&id, "check")?;
    let row = checks::get(state.pool(), &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("check", id))?;
    Ok(ApiJson(row.into()))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationSummaryView {
    /// `verified`, `expired`, `review`, `rejected` or `none`.
    pub status: String,
    #[serde(with = "platform::time::rfc3339_opt")]
    pub expires_at: Option<OffsetDateTime>,
    /// The verification in force, or the latest request (or an officer's decision on one).
    pub check_id: Option<CheckId>,
    /// When `check_id` is a compliance officer's decision: who decided what, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceView {
    pub investor_id: InvestorId,
    /// The provider's identity verification: `approved`, `rejected`, `review`, `none`.
    pub kyc: String,
    /// OFAC screening and jurisdiction: `clear`, `hit`, `review`, `none`.
    pub sanctions: String,
    pub accreditation: AccreditationSummaryView,
    /// Holds a verification in force now.
    pub accredited: bool,
    /// May trade at all: KYC approved and sanctions clear.
    pub eligible: bool,
    /// Why not, when not eligible.
    pub reasons: Vec<CheckReason>,
    /// The check that set the current KYC state: a KYC run, a provider update, a compliance
    /// officer's decision or an update of the investor that invalidated the KYC.
    pub kyc_check_id: Option<CheckId>,
    /// The compliance officer's decision on the latest KYC run, when there is one and the KYC
    /// was not invalidated since.
    pub kyc_decision: Option<DecisionView>,
    /// The SDN matches of the latest KYC run that stand cleared as documented false positives
    /// (approved on this run, or carried over from an earlier approval).
    pub sanctions_false_positives: Vec<FalsePositiveView>,
    #[serde(with = "platform::time::rfc3339")]
    pub as_of: OffsetDateTime,
}

fn kyc_str(k: KycStatus) -> &'static str {
    match k {
        KycStatus::Approved => "approved",
        KycStatus::Rejected => "rejected",
        KycStatus::Review => "review",
        KycStatus::None => "none",
    }
}

fn sanctions_str(s: SanctionsStatus) -> &'static str {
    match s {
        SanctionsStatus::Clear => "clear",
        SanctionsStatus::Hit => "hit",
        SanctionsStatus::Review => "review",
        SanctionsStatus::None => "none",
    }
}

pub fn accreditation_kind_str(k: AccreditationStatusKind) -> &'static str {
    match k {
        AccreditationStatusKind::Verified => "verified",
        AccreditationStatusKind::Expired => "expired",
        AccreditationStatusKind::Review => "review",
        AccreditationStatusKind::Rejected => "rejected",
        AccreditationStatusKind::None => "none",
    }
}

/// An investor's compliance summary.
#[utoipa::path(get, path = "/v1/investors/{id}/compliance", tag = "compliance",
    params(("id" = String, Path, description = "`inv_…`")),
    security(("bearer" = [])),
    description = "Any role of the organization, and the platform's services. `eligible` is \
true when KYC is approved and sanctions are clear; accreditation is reported (`accredited`, \
with the verification in force and when it expires) and required by the pre-trade check for \
`reg_d_506c` securities only. A verification stays in force until it expires even if a later \
request was refused.\n\n\
Compliance officers' decisions show here: `kyc_decision` is the decision on the latest KYC run \
(`POST /v1/investors/{id}/kyc/decision`), `sanctions_false_positives` the SDN matches cleared as \
documented false positives, and `accreditation.decision` the decision when the accreditation \
shown is one (`POST /v1/investors/{id}/accreditation/{check_id}/decision`). The officers' \
notes are shown to admin, compliance and the platform's services only.",
    responses(
        (status = 200, description = "The summary", body = ComplianceView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such investor in the organization", body = ErrorBody),
    ))]
pub async fn investor_compliance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<ComplianceView>> {
    caller.require_any_role(ANYONE)?;
    let id = InvestorId::parse_or_404(&id, "investor")?;
    let now = platform::time::now();
    let mut conn = state.pool().acquire().await?;
    let f = facts::gather(&mut conn, &caller.org_id, id, now, false)
        .await?
        .ok_or_else(|| ApiError::not_found("investor", id))?;
    let e = eligibility(f.kyc, f.sanctions, &f.accreditation, now);
    let with_note = caller.has_any_role(CHECK_READERS);
    let (kyc_decision, sanctions_false_positives) =
        kyc_decisions(&mut conn, &caller.org_id, &f, with_note).await?;
    let accreditation_decision = match f.accreditation_check {
        Some(c) => checks::get_in(&mut conn, &caller.org_id, c)
            .await?
            .filter(|r| r.kind == "accreditation_decision")
            .map(|r| DecisionView::new(&r, with_note)),
        None => None,
    };
    Ok(ApiJson(ComplianceView {
        investor_id: id,
        kyc: kyc_str(e.kyc).to_owned(),
        sanctions: sanctions_str(e.sanctions).to_owned(),
        accreditation: AccreditationSummaryView {
            status: accreditation_kind_str(e.accreditation.status).to_owned(),
            expires_at: e.accreditation.expires_at,
            check_id: f.accreditation_check,
            decision: accreditation_decision,
        },
        accredited: e.accredited,
        eligible: e.eligible,
        reasons: e.reasons.into_iter().map(CheckReason::from).collect(),
        kyc_check_id: f.investor.kyc_check_id,
        kyc_decision,
        sanctions_false_positives,
        as_of: now,
    }))
}

/// The officer's decision on the latest KYC run and the false positives standing on it, unless
/// an update of the investor invalidated that KYC since.
async fn kyc_decisions(
    conn: &mut sqlx::PgConnection,
    org_id: &str,
    f: &InvestorFacts,
    with_note: bool,
) -> Result<(Option<DecisionView>, Vec<FalsePositiveView>), sqlx::Error> {
    if f.investor.kyc_status == "none" && f.investor.sanctions_status == "none" {
        return Ok((None, Vec::new()));
    }
    let Some(latest) = checks::latest_of_kind(conn, org_id, f.investor.id, "kyc").await? else {
        return Ok((None, Vec::new()));
    };
    let decision = checks::decision_of(conn, org_id, latest.id, "kyc_decision").await?;
    let source = decision.as_ref().unwrap_or(&latest);
    let fps: Vec<FalsePositiveView> = source.details["sanctions"]["false_positives"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    Ok((decision.map(|d| DecisionView::new(&d, with_note)), fps))
}

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

fn not_found_reason(investor: InvestorId, party: Option<&str>) -> CheckReason {
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

/// The pre-trade check of an order, before it reaches the book.
#[utoipa::path(post, path = "/v1/compliance/pre-trade", tag = "compliance",
    request_body = PreTradeRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only (a user token, even an admin's, is \
403). Always 200 with `approved` and every failing rule in `reasons`; the check is kept \
(`chk_…`).\n\n\
Rules (crates/compliance): KYC approved and sanctions clear on either side; `reg_d_506c` needs \
an accreditation in force (buys and sells); `reg_cf` and `reg_a_tier2` buys of a \
non-accredited investor must fit the investment limit over the last 12 months.\n\n\
An unknown investor (or another organization's) is `approved: false` with reason \
`investor_not_found`, not a 404: the ATS records the refusal like any other.\n\n\
Investment limits: the amount already used is the sum, over the last 12 calendar months, of \
(a) the investor's buys under the same regulation in the trades the BD has received \
(`trade.executed`; a trade's regulation is its buy order's as pre-trade saw it) and (b) the \
unfilled part of the investor's other buy orders under that regulation that pre-trade approved \
and that are not rejected, cancelled or expired (counted at the price they were approved at), \
so that several open orders cannot together exceed the limit. Checks of one investor are \
serialized. The financial profile is the investor record's `annual_income` / `net_worth` \
(entities: `annual_revenue` / `net_assets`); a figure not recorded comes, for individuals, from \
the latest `income` or `net_worth` accreditation evidence. A market order (no `price`) is \
counted at the asset's last trade price; without one, a limited buy is refused with \
`price_unknown`.",
    responses(
        (status = 200, description = "The decision", body = PreTradeAnswer),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service", body = ErrorBody),
    ))]
pub async fn pre_trade(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<ApiJson<PreTradeAnswer>> {
    caller.require_any_role(INTERNAL)?;
    let body: PreTradeRequest = parse_json(&body)?;
    check_quantity("quantity", body.quantity)?;
    if let Some(p) = body.price {
        check_price("price", p)?;
    }
    let now = platform::time::now();
    let regulation = body.regulation;
    let mut tx = state.pool().begin().await?;
    let facts = facts::gather(&mut tx, &caller.org_id, body.investor_id, now, true).await?;

    let last_price = if body.price.is_none() {
        events::last_trade_price(&mut tx, &caller.org_id, body.asset_id).await?
    } else {
        None
    };
    let (price, price_source) = match (body.price, last_price) {
        (Some(p), _) => (Some(p), "order"),
        (None, Some(p)) => (Some(p), "last_trade"),
        (None, None) => (None, "unknown"),
    };
    let amount = price.map(|p| p * body.quantity);
    let since = twelve_months_before(now);

    let mut input = json!({
        "request": body,
        "price_used": price,
        "price_source": price_source,
        "amount": amount,
        "window_start": platform::time::format(since),
    });
    let mut details = json!({});
    let (approved, reasons) = match &facts {
        None => (false, vec![not_found_reason(body.investor_id, None)]),
        Some(f) => {
            let bought = events::bought_since(
                &mut tx,
                &caller.org_id,
                body.investor_id,
                regulation.as_str(),
                since,
            )
            .await?;
            let reserved = events::reserved_by_open_buys(
                &mut tx,
                &caller.org_id,
                body.investor_id,
                regulation.as_str(),
                body.order_id,
                since,
            )
            .await?;
            let decision_input = PreTradeInput {
                kyc: f.kyc,
                sanctions: f.sanctions,
                accreditation: f.accreditation,
                investor_type: f.investor_type(),
                regulation,
                side: body.side,
                // Without a price the amount is unknown; the limit is then refused below.
                amount: amount.unwrap_or(body.quantity),
                prior_12m_amount: bought + reserved,
                financial_profile: f.profile.clone(),
                as_of: now,
            };
            let decision = pre_trade_decision(&decision_input, &state.config.pre_trade);
            let accredited = f.accreditation.is_valid_at(now);
            let limited = body.side == Side::Buy
                && matches!(
                    regulation,
                    compliance::Regulation::RegCf | compliance::Regulation::RegATier2
                );
            let mut reasons: Vec<CheckReason> = Vec::new();
            for r in decision.reasons {
                if amount.is_none() && r.code == ReasonCode::InvestmentLimitExceeded {
                    continue;
                }
                reasons.push(r.into());
            }
            if amount.is_none() && limited && !accredited {
                reasons.push(CheckReason::new(
                    "price_unknown",
                    "a market order in an asset without a trade yet cannot be checked against the investment limit; send a limit price",
                ).with_rule(match regulation {
                    compliance::Regulation::RegCf => "17 CFR 227.100(a)(2)",
                    _ => "17 CFR 230.251(d)(2)(i)(C)",
                }));
            }
            input["investor"] = investor_facts_json(f, now);
            input["prior_12m"] = json!({"bought": bought, "reserved_by_open_orders": reserved});
            if limited {
                details["investment_limit"] = match investment_limit(
                    regulation,
                    f.investor_type(),
                    accredited,
                    &f.profile,
                    &state.config.pre_trade.limits,
                ) {
                    Ok(InvestmentLimit::Unlimited) => json!({"kind": "unlimited"}),
                    Ok(InvestmentLimit::Limited { limit, rule }) => json!({
                        "kind": "limited", "limit": limit, "rule": rule,
                        "used": bought + reserved, "requested": amount,
                    }),
                    Err(r) => json!({"kind": "unknown", "reason": CheckReason::from(r)}),
                };
            }
            (reasons.is_empty(), reasons)
        }
    };

    let mut check = NewCheck::new(
        &caller.org_id,
        "pre_trade",
        if approved { "approved" } else { "rejected" },
        (&caller.subject, &caller.name),
        now,
    );
    check.investor_id = Some(body.investor_id);
    check.approved = Some(approved);
    check.reasons = reasons_json(&reasons);
    check.input = input;
    check.details = details;
    check.order_id = Some(body.order_id.uuid());
    checks::insert(&mut tx, &check).await?;
    if facts.is_some() {
        events::record_pre_trade(
            &mut tx,
            &events::PreTradeOrder {
                org_id: &caller.org_id,
                id: body.order_id,
                investor_id: body.investor_id,
                asset_id: body.asset_id,
                side: body.side.as_str(),
                quantity: body.quantity,
                regulation: regulation.as_str(),
                approved,
                reserve_price: price,
                checked_at: now,
                check_id: check.id.uuid(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ApiJson(PreTradeAnswer {
        id: check.id,
        order_id: body.order_id,
        investor_id: body.investor_id,
        approved,
        reasons,
        amount,
        checked_at: now,
    }))
}

fn investor_facts_json(f: &InvestorFacts, now: OffsetDateTime) -> Value {
    json!({
        "type": f.investor.investor_type,
        "kyc": f.kyc,
        "sanctions": f.sanctions,
        "accreditation": accreditation_kind_str(f.accreditation.status_at(now)),
        "accreditation_check_id": f.accreditation_check,
        "financial_profile": f.profile,
        "financial_profile_sources": f.profile_sources,
    })
}

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

/// Approves a settlement: both parties still eligible.
#[utoipa::path(post, path = "/v1/compliance/settlement", tag = "compliance",
    request_body = SettlementRequest,
    security(("bearer" = [])),
    description = "Internal: the platform's services only. Always 200 with `approved`; kept for \
audit. Each party must still have KYC approved and sanctions clear, and for `reg_d_506c` an \
accreditation in force (the pre-trade rules at the moment of settlement). Investment limits \
are not applied again: they were applied to the orders, and the trade itself now counts in \
them. An unknown party is refused with `investor_not_found`. Each call is evaluated afresh \
(a retried settlement sees the parties' current state).",
    responses(
        (status = 200, description = "The decision", body = SettlementAnswer),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not a platform service", body = ErrorBody),
    ))]
pub async fn settlement(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<ApiJson<SettlementAnswer>> {
    caller.require_any_role(INTERNAL)?;
    let body: SettlementRequest = parse_json(&body)?;
    check_quantity("quantity", body.quantity)?;
    check_price("price", body.price)?;
    let now = platform::time::now();
    let amount = body.quantity * body.price;
    let mut tx = state.pool().begin().await?;
    let mut reasons: Vec<CheckReason> = Vec::new();
    let mut parties = serde_json::Map::new();
    for (party, investor, side) in [
        ("buyer", body.buyer_investor_id, compliance::Side::Buy),
        ("seller", body.seller_investor_id, compliance::Side::Sell),
    ] {
        let Some(f) = facts::gather(&mut tx, &caller.org_id, investor, now, false).await? else {
            reasons.push(not_found_reason(investor, Some(party)));
            parties.insert(
                party.into(),
                json!({"investor_id": investor, "found": false}),
            );
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
                prior_12m_amount: Decimal::ZERO,
                financial_profile: f.profile.clone(),
                as_of: now,
            },
            &state.config.pre_trade,
        );
        for r in decision.reasons {
            if matches!(
                r.code,
                ReasonCode::InvestmentLimitExceeded | ReasonCode::FinancialProfileMissing
            ) {
                continue;
            }
            reasons.push(
                CheckReason::from(r)
                    .with_detail("party", json!(party))
                    .with_detail("investor_id", json!(investor)),
            );
        }
        parties.insert(party.into(), investor_facts_json(&f, now));
    }
    let approved = reasons.is_empty();
    let mut check = NewCheck::new(
        &caller.org_id,
        "settlement",
        if approved { "approved" } else { "rejected" },
        (&caller.subject, &caller.name),
        now,
    );
    check.approved = Some(approved);
    check.reasons = reasons_json(&reasons);
    check.input = json!({"request": body, "parties": parties});
    check.settlement_id = Some(body.settlement_id.uuid());
    check.parties = vec![body.buyer_investor_id, body.seller_investor_id];
    checks::insert(&mut tx, &check).await?;
    tx.commit().await?;
    Ok(ApiJson(SettlementAnswer {
        id: check.id,
        settlement_id: body.settlement_id,
        trade_id: body.trade_id,
        approved,
        reasons,
        checked_at: now,
    }))
}
