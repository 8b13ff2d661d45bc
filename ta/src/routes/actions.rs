//! `POST /v1/corporate-actions`, `GET /v1/corporate-actions`, `GET /v1/corporate-actions/{id}`.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::StatusCode;
use captable::{Action, ConversionScope, JournalEntry, Outcome, Ratio};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::extract::parse_json;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ListParams, Page};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::{
    Admin, READERS, check_not_ancient, check_price, check_quantity, cursor_id, parse_ratio,
};
use crate::AppState;
use crate::ids::{CorporateActionId, InvestorId, SecurityId};
use crate::refusal::refusal_error;
use crate::store::actions::{self, ActionRow, NewAction};
use crate::store::dividends;
use crate::store::ledger::{self, ledger_from, load_snapshot};
use crate::store::securities::{self, SecurityRow};
use crate::views::{
    ActionResult, CashInLieuView, CorporateActionView, CreatedLotView, SecurityTotalsAfter,
    TotalsView, qty,
};
use platform::Authorized;

/// New shares from the issuer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssuanceRequest {
    pub asset_id: SecurityId,
    pub investor_id: InvestorId,
    /// Whole shares, positive.
    #[schema(value_type = String, example = "1000")]
    pub quantity: Decimal,
    /// Cost per share (the lot's basis), zero or more.
    #[schema(value_type = String, example = "1.00")]
    pub price_per_share: Decimal,
    /// When the investor acquired the shares, if before today (loading an existing cap
    /// table): the lot's tax date, the start of its holding period, and the day the issuance
    /// takes effect on the register. Not after today, not before 1900-01-01 or the issuer's
    /// formation date, and not before the security's latest journal entry.
    pub acquired_at: Option<Date>,
}

/// A forward (`split`, new > old) or reverse (`reverse_split`, new < old) split.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitRequest {
    pub asset_id: SecurityId,
    /// `new:old` with whole numbers, e.g. `"2:1"`, `"1:10"`.
    #[schema(example = "2:1")]
    pub ratio: String,
    /// Cash per post-split share paid for fractions (rounded down to the cent per holder);
    /// required only when a holder would be left with a fraction.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// Every holder of `asset_id` receives `ratio` shares of `target_asset_id`; `asset_id` is
/// retired.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergerRequest {
    pub asset_id: SecurityId,
    pub target_asset_id: SecurityId,
    /// Target shares : source shares, e.g. `"3:2"`.
    #[schema(example = "1:2")]
    pub ratio: String,
    /// Cash per target share for fractions.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// Shares of `asset_id` become shares of `target_asset_id` (preferred into common), keeping
/// acquisition dates and basis: every holder, or one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConversionRequest {
    pub asset_id: SecurityId,
    pub target_asset_id: SecurityId,
    /// Target shares : source shares.
    #[schema(example = "1:1")]
    pub ratio: String,
    /// Only this holder (an optional conversion); every holder when absent (a mandatory one).
    pub investor_id: Option<InvestorId>,
    /// With `investor_id`: how many source shares (the whole position when absent).
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
    /// Cash per target share for fractions.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// The issuer buys back and cancels a holder's shares, oldest lots first (holding periods
/// do not apply to the issuer; shares reserved by a pending transfer are not taken).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedemptionRequest {
    pub asset_id: SecurityId,
    pub investor_id: InvestorId,
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    /// Paid per share.
    #[schema(value_type = String, example = "2.00")]
    pub price_per_share: Decimal,
}

/// A corporate action, by `type`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorporateActionRequest {
    Issuance(IssuanceRequest),
    Split(SplitRequest),
    ReverseSplit(SplitRequest),
    Merger(MergerRequest),
    Conversion(ConversionRequest),
    Redemption(RedemptionRequest),
}

const TYPES: [&str; 6] = [
    "issuance",
    "split",
    "reverse_split",
    "merger",
    "conversion",
    "redemption",
];

/// What one action will do, before it is tried.
struct Plan {
    kind: &'static str,
    asset: SecurityId,
    target: Option<SecurityId>,
    /// Positions to load: these holders', or every holder's.
    investors: Option<Vec<InvestorId>>,
    action: Action,
    investor: Option<InvestorId>,
    quantity: Option<Decimal>,
    price: Option<Decimal>,
    ratio: Option<Ratio>,
    cash_in_lieu_price: Option<Decimal>,
    acquired_at: Option<Date>,
}

fn parse_variant<T: DeserializeOwned>(body: &Value) -> ApiResult<T> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    parse_json(&bytes)
}

fn plan(mut body: Value) -> ApiResult<Plan> {
    let Some(map) = body.as_object_mut() else {
        return Err(ApiError::validation("body", "expected a JSON object"));
    };
    let kind = match map.remove("type") {
        None | Some(Value::Null) => {
            return Err(ApiError::validation(
                "type",
                format!("missing; one of {}", TYPES.join(", ")),
            ));
        }
        Some(Value::String(s)) => match TYPES.iter().find(|t| **t == s) {
            Some(t) => *t,
            None => {
                return Err(ApiError::validation(
                    "type",
                    format!("unknown type {s:?}; one of {}", TYPES.join(", ")),
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::validation(
                "type",
                format!("must be a string, one of {}", TYPES.join(", ")),
            ));
        }
    };
    let cash = |p: Option<Decimal>| -> ApiResult<Option<Decimal>> {
        if let Some(p) = p {
            check_price("cash_in_lieu_price", p)?;
        }
        Ok(p)
    };
    Ok(match kind {
        "issuance" => {
            let r: IssuanceRequest = parse_variant(&body)?;
            check_quantity("quantity", r.quantity)?;
            check_price("price_per_share", r.price_per_share)?;
            Plan {
                kind,
                asset: r.asset_id,
                target: None,
                investors: Some(vec![r.investor_id]),
                action: Action::Issuance {
                    security_id: r.asset_id.to_string(),
                    investor_id: r.investor_id.to_string(),
                    quantity: r.quantity,
                    price_per_share: r.price_per_share,
                    acquired_at: r.acquired_at,
                },
                investor: Some(r.investor_id),
                quantity: Some(r.quantity),
                price: Some(r.price_per_share),
                ratio: None,
                cash_in_lieu_price: None,
                acquired_at: r.acquired_at,
            }
        }
        "split" | "reverse_split" => {
            let r: SplitRequest = parse_variant(&body)?;
            let ratio = parse_ratio("ratio", &r.ratio)?;
            let price = cash(r.cash_in_lieu_price)?;
            let security_id = r.asset_id.to_string();
            let action = if kind == "split" {
                Action::Split {
                    security_id,
                    ratio,
                    cash_in_lieu_price: price,
                }
            } else {
                Action::ReverseSplit {
                    security_id,
                    ratio,
                    cash_in_lieu_price: price,
                }
            };
            Plan {
                kind,
                asset: r.asset_id,
                target: None,
                investors: None,
                action,
                investor: None,
                quantity: None,
                price: None,
                ratio: Some(ratio),
                cash_in_lieu_price: price,
                acquired_at: None,
            }
        }
        "merger" => {
            let r: MergerRequest = parse_variant(&body)?;
            let ratio = parse_ratio("ratio", &r.ratio)?;
            let price = cash(r.cash_in_lieu_price)?;
            Plan {
                kind,
                asset: r.asset_id,
                target: Some(r.target_asset_id),
                investors: None,
                action: Action::Merger {
                    security_id: r.asset_id.to_string(),
                    target_security_id: r.target_asset_id.to_string(),
                    ratio,
                    cash_in_lieu_price: price,
                },
                investor: None,
                quantity: None,
                price: None,
                ratio: Some(ratio),
                cash_in_lieu_price: price,
                acquired_at: None,
            }
        }
        "conversion" => {
            let r: ConversionRequest = parse_variant(&body)?;
            let ratio = parse_ratio("ratio", &r.ratio)?;
            let price = cash(r.cash_in_lieu_price)?;
            if let Some(q) = r.quantity {
                if r.investor_id.is_none() {
                    return Err(ApiError::validation(
                        "quantity",
                        "only with investor_id: a conversion of every holder converts whole positions",
                    ));
                }
                check_quantity("quantity", q)?;
            }
            let scope = match r.investor_id {
                Some(investor) => ConversionScope::Holder {
                    investor_id: investor.to_string(),
                    quantity: r.quantity,
                },
                None => ConversionScope::All,
            };
            Plan {
                kind,
                asset: r.asset_id,
                target: Some(r.target_asset_id),
                investors: r.investor_id.map(|i| vec![i]),
                action: Action::Conversion {
                    security_id: r.asset_id.to_string(),
                    target_security_id: r.target_asset_id.to_string(),
                    ratio,
                    scope,
                    cash_in_lieu_price: price,
                },
                investor: r.investor_id,
                quantity: r.quantity,
                price: None,
                ratio: Some(ratio),
                cash_in_lieu_price: price,
                acquired_at: None,
            }
        }
        _ => {
            let r: RedemptionRequest = parse_variant(&body)?;
            check_quantity("quantity", r.quantity)?;
            check_price("price_per_share", r.price_per_share)?;
            Plan {
                kind,
                asset: r.asset_id,
                target: None,
                investors: Some(vec![r.investor_id]),
                action: Action::Redemption {
                    security_id: r.asset_id.to_string(),
                    investor_id: r.investor_id.to_string(),
                    quantity: r.quantity,
                    price_per_share: r.price_per_share,
                },
                investor: Some(r.investor_id),
                quantity: Some(r.quantity),
                price: Some(r.price_per_share),
                ratio: None,
                cash_in_lieu_price: None,
                acquired_at: None,
            }
        }
    })
}

fn result_of(outcome: &Outcome) -> anyhow::Result<ActionResult> {
    let holders: BTreeSet<&str> = outcome
        .positions
        .iter()
        .map(|p| p.investor_id.as_str())
        .collect();
    Ok(ActionResult {
        holders_affected: holders.len(),
        lots_created: outcome
            .created_lots
            .iter()
            .map(|c| {
                Ok(CreatedLotView {
                    investor_id: InvestorId::from_engine(&c.investor_id)?,
                    asset_id: SecurityId::from_engine(&c.security_id)?,
                    lot_id: c.lot.id.clone(),
                    quantity: qty(c.lot.quantity),
                    acquired_at: c.lot.acquired_at,
                    source_lot_id: c.source_lot_id.clone(),
                })
            })
            .collect::<anyhow::Result<_>>()?,
        cash_in_lieu: outcome
            .cash_in_lieu
            .iter()
            .map(|c| {
                Ok(CashInLieuView {
                    investor_id: InvestorId::from_engine(&c.investor_id)?,
                    asset_id: SecurityId::from_engine(&c.security_id)?,
                    fractional_shares: c.fractional_shares.normalize(),
                    price_per_share: c.price_per_share,
                    amount: c.amount,
                })
            })
            .collect::<anyhow::Result<_>>()?,
        cash_in_lieu_total: outcome.cash_in_lieu.iter().map(|c| c.amount).sum(),
        totals: outcome
            .totals
            .iter()
            .map(|(id, t)| {
                Ok(SecurityTotalsAfter {
                    asset_id: SecurityId::from_engine(id)?,
                    totals: TotalsView::from(t),
                })
            })
            .collect::<anyhow::Result<_>>()?,
    })
}

fn view(row: &ActionRow) -> anyhow::Result<CorporateActionView> {
    Ok(CorporateActionView {
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

/// Whether an issuance may take effect on `effective_on`, before today: not before the
/// issuer's formation date, not before any journal entry of the security (the register is in
/// date order: history first, then trading), and not on or before the record date of a
/// dividend already paid on the registry of that day. The security is locked.
async fn check_back_dated(
    conn: &mut sqlx::PgConnection,
    org: &str,
    rows: &[SecurityRow],
    asset: SecurityId,
    effective_on: Date,
) -> ApiResult<()> {
    if let Some(formed) = rows
        .iter()
        .find(|r| r.id == asset)
        .and_then(|r| r.issuer_formation_date)
        && effective_on < formed
    {
        return Err(ApiError::validation(
            "acquired_at",
            format!("must not be before the issuer's formation date ({formed})"),
        ));
    }
    let ids: Vec<SecurityId> = rows.iter().map(|r| r.id).collect();
    let latest = ledger::latest_entry_date(conn, org, &ids)
        .await?
        .into_iter()
        .chain(rows.iter().filter_map(|r| r.last_effective_on))
        .max();
    if let Some(latest) = latest
        && latest > effective_on
    {
        let refusal = captable::Refusal::OutOfOrder {
            last_effective_on: latest,
            effective_on,
        };
        let mut err = refusal_error(&refusal);
        err.message = format!(
            "the security's latest journal entry is dated {latest}: an issuance acquired on {effective_on} cannot take effect before it \
(record the history of a cap table before any later issuance, transfer or corporate action)"
        );
        return Err(err
            .with_detail("asset_id", asset)
            .with_detail("acquired_at", effective_on.to_string()));
    }
    if let Some((dividend, record_date)) =
        dividends::last_entitled_record_date(conn, org, asset).await?
        && record_date >= effective_on
    {
        return Err(ApiError::invalid_state(format!(
            "dividend {dividend} was paid on the registry of record of {record_date}: an issuance acquired on {effective_on} would change it"
        ))
        .with_detail("rule", "dividend_entitled")
        .with_detail("asset_id", asset)
        .with_detail("acquired_at", effective_on.to_string())
        .with_detail("dividend_id", dividend)
        .with_detail("record_date", record_date.to_string()));
    }
    Ok(())
}

/// Records a corporate action: an issuance, a split or reverse split, a merger, a
/// conversion or a redemption.
#[utoipa::path(post, path = "/v1/corporate-actions", tag = "corporate-actions",
    request_body = CorporateActionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to the same request for 24 hours")),
    security(("bearer" = [])),
    description = "Admin only. Takes effect today (UTC) on every holder at once, except a back-dated issuance (below). `type` decides the fields (an unknown or missing `type` is a 400 naming `type`). \
Ratios are `new:old` with positive whole numbers (`0:1`, `1:0`, `1.5:1` are refused; a split must increase the share count, a reverse split decrease it). \
Fractions are computed per holder and paid in cash at `cash_in_lieu_price` per post-action share, rounded down to the cent; without a price an action that leaves a fraction is refused. \
Splits, mergers and conversions of every holder are refused (409) while transfers of the security wait on a right of first refusal. \
A merger retires `asset_id` (409 for any later change to it). A redemption takes the oldest lots whatever their holding period (422 INSUFFICIENT_HOLDINGS when the holder's unreserved shares do not suffice). \
A refused action changes nothing and is not stored.\n\n\
**Back-dated issuances** (onboarding an existing cap table): an `issuance` whose `acquired_at` is before today takes effect on that day: \
`effective_date` is `acquired_at`, and the registry, statements, dividends and OCF export as of any later date include it (as of an earlier date they do not). \
`acquired_at` must not be after today (400), before 1900-01-01 or before the issuer's formation date (400). \
The register is kept in date order, so the history comes first and trading after: an issuance dated before the latest journal entry of the security \
(any issuance, transfer, decision on a right of first refusal or corporate action touching it) is refused with 409 `INVALID_STATE` \
(`details.rule` = `out_of_order`, `details.last_effective_on` = the date of that latest entry), and so is one dated on or before the record date of a dividend \
of the security whose entitlements are already fixed (`details.rule` = `dividend_entitled`, `details.record_date`, `details.dividend_id`): \
the registry of record it was paid on would change. Every other action, and an issuance without `acquired_at`, takes effect today.",
    responses(
        (status = 201, description = "The action and what it changed", body = CorporateActionView),
        (status = 400, description = "Invalid body; details.fields names the fields", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not an admin of the organization", body = ErrorBody),
        (status = 404, description = "No such security in the organization", body = ErrorBody),
        (status = 409, description = "Security retired, transfers pending ROFR, a back-dated issuance before the security's latest entry or an entitled dividend's record date, or Idempotency-Key reused", body = ErrorBody),
        (status = 422, description = "INSUFFICIENT_HOLDINGS (redemption, conversion of one holder)", body = ErrorBody),
    ))]
pub async fn create_action(
    State(state): State<AppState>,
    caller: Authorized<Admin>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, ApiJson<CorporateActionView>)> {
    let plan = plan(body)?;
    let org = caller.org_id.as_str();
    let id = CorporateActionId::new();
    let today = state.clock.today();
    if let Some(acquired_at) = plan.acquired_at {
        if acquired_at > today {
            return Err(ApiError::validation(
                "acquired_at",
                format!("must not be after today ({today})"),
            ));
        }
        check_not_ancient("acquired_at", acquired_at)?;
    }
    // An issuance takes effect when the shares were acquired; everything else today.
    let effective_on = match plan.action {
        Action::Issuance { .. } => plan.acquired_at.unwrap_or(today),
        _ => today,
    };
    let mut ids = vec![plan.asset];
    ids.extend(plan.target);
    ids.sort();
    ids.dedup();
    let mut tx = state.pool().begin().await?;
    let rows = securities::lock(&mut tx, org, &ids).await?;
    for (field, id) in [
        ("asset_id", Some(plan.asset)),
        ("target_asset_id", plan.target),
    ] {
        if let Some(id) = id
            && !rows.iter().any(|r| r.id == id)
        {
            return Err(ApiError::not_found("security", id).with_detail("field", field));
        }
    }
    if effective_on < today {
        check_back_dated(&mut tx, org, &rows, plan.asset, effective_on).await?;
    }
    let snapshot = load_snapshot(&mut tx, org, &rows, plan.investors.as_deref()).await?;
    let mut ledger = ledger_from(snapshot)?;
    let entry = JournalEntry {
        id: id.to_string(),
        effective_on,
        action: plan.action.clone(),
    };
    let outcome = ledger.apply(&entry).map_err(|r| refusal_error(&r))?;
    if plan.investors.is_none() {
        // Every position of the securities is in this ledger: conservation must hold.
        ledger
            .check_invariants()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("invariant broken: {e}")))?;
    }
    let seq = ledger::record(
        &mut tx,
        org,
        &entry,
        &outcome,
        &ids,
        plan.investor.as_slice(),
        &caller.name,
    )
    .await?;
    if plan.kind == "merger"
        && let Some(target) = plan.target
    {
        securities::retire(&mut tx, org, plan.asset, target).await?;
    }
    let result = result_of(&outcome)?;
    actions::insert(
        &mut tx,
        &NewAction {
            id,
            org_id: org,
            kind: plan.kind,
            security_id: plan.asset,
            target_security_id: plan.target,
            investor_id: plan.investor,
            quantity: plan.quantity,
            price_per_share: plan.price,
            ratio: plan.ratio.map(|r| r.to_string()),
            cash_in_lieu_price: plan.cash_in_lieu_price,
            acquired_at: plan.acquired_at,
            effective_on,
            journal_seq: seq,
            result: serde_json::to_value(&result).map_err(ApiError::internal)?,
            created_by: &caller.name,
        },
    )
    .await?;
    tx.commit().await?;
    let row = actions::get(state.pool(), org, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("corporate action vanished")))?;
    Ok((StatusCode::CREATED, ApiJson(view(&row)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionFilter {
    /// `ast_…`, as source or target.
    pub asset_id: Option<String>,
    /// `issuance`, `split`, `reverse_split`, `merger`, `conversion` or `redemption`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
}

/// Lists corporate actions (issuances included), oldest first.
#[utoipa::path(get, path = "/v1/corporate-actions", tag = "corporate-actions",
    params(ListParams, ActionFilter),
    security(("bearer" = [])),
    description = "Any role of the organization.",
    responses(
        (status = 200, description = "A page of corporate actions", body = Page<CorporateActionView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_actions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<ActionFilter>,
) -> ApiResult<ApiJson<Page<CorporateActionView>>> {
    caller.require_any_role(READERS)?;
    let limit = params.limit()?;
    let after = cursor_id(&params, CorporateActionId::parse)?;
    let security = filter
        .asset_id
        .as_deref()
        .map(|s| {
            SecurityId::parse(s).ok_or_else(|| {
                ApiError::validation("asset_id", "expected an id of the form ast_<32 hex digits>")
            })
        })
        .transpose()?;
    if let Some(k) = &filter.kind
        && !TYPES.contains(&k.as_str())
    {
        return Err(ApiError::validation(
            "type",
            format!("one of {}", TYPES.join(", ")),
        ));
    }
    let rows = actions::list(
        state.pool(),
        &caller.org_id,
        security,
        filter.kind.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let views = rows.iter().map(view).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Page::from_rows(
        views,
        limit,
        |v: &CorporateActionView| v.id.to_string(),
    )))
}

/// One corporate action.
#[utoipa::path(get, path = "/v1/corporate-actions/{id}", tag = "corporate-actions",
    params(("id" = String, Path, description = "`ca_…`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The corporate action", body = CorporateActionView),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No such corporate action in the organization", body = ErrorBody),
    ))]
pub async fn get_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<ApiJson<CorporateActionView>> {
    caller.require_any_role(READERS)?;
    let id = CorporateActionId::parse_or_404(&id, "corporate action")?;
    let row = actions::get(state.pool(), &caller.org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("corporate action", id))?;
    Ok(ApiJson(view(&row)?))
}
