//! `GET /v1/holdings` and `GET /v1/holdings/{investor_id}`.

use std::collections::{BTreeSet, HashMap};

use axum::extract::State;
use captable::{Ledger, Snapshot};
use iam_sdk::Caller;
use platform::error::ErrorBody;
use platform::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ListParams, Page};
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::PgConnection;
use time::Date;
use utoipa::IntoParams;

use super::READERS;
use crate::AppState;
use crate::ids::{InvestorId, SecurityId};
use crate::store::ledger::{self, LotRow, positions};
use crate::store::securities::{self, SecurityRow};
use crate::views::{HoldingView, InvestorHoldings, LotView, qty};

/// Builds the holdings of the given (investor, security) pairs from current state.
async fn holdings_of(
    conn: &mut PgConnection,
    org: &str,
    pairs: &[(InvestorId, SecurityId)],
    today: Date,
) -> ApiResult<Vec<HoldingView>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let sec_ids: Vec<SecurityId> = pairs
        .iter()
        .map(|p| p.1)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let inv_ids: Vec<InvestorId> = pairs
        .iter()
        .map(|p| p.0)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = securities::fetch_many(conn, org, &sec_ids).await?;
    // Every position of these investors in these securities, so that each pending transfer
    // loaded has its seller's position.
    let lots: Vec<LotRow> = ledger::lots(conn, org, &sec_ids, Some(&inv_ids)).await?;
    let pending = ledger::pending_transfers(conn, org, &sec_ids, Some(&inv_ids)).await?;
    let ledger = Ledger::from_snapshot(Snapshot {
        securities: rows
            .iter()
            .map(SecurityRow::state)
            .collect::<anyhow::Result<_>>()?,
        positions: positions(&lots),
        pending_transfers: pending,
        last_effective_on: None,
    })
    .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let symbols: HashMap<SecurityId, &SecurityRow> = rows.iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::with_capacity(pairs.len());
    for (investor, security) in pairs {
        let (inv, sec) = (investor.to_string(), security.to_string());
        let (Some(holding), Some(row)) = (ledger.holding(&inv, &sec), symbols.get(security)) else {
            continue;
        };
        let state = ledger
            .security(&sec)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("security missing")))?;
        let t = ledger
            .transferability(&inv, &sec, today, Decimal::ZERO)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("security missing")))?;
        out.push(HoldingView {
            investor_id: *investor,
            asset_id: *security,
            symbol: row.symbol.clone(),
            quantity: qty(holding.quantity),
            transferable_quantity: qty(t.transferable),
            restricted_quantity: qty(t.restricted),
            reserved_rofr_quantity: qty(t.reserved_rofr),
            locked_up: t.locked_up,
            cost_basis: holding.cost_basis,
            lots: holding
                .lots
                .iter()
                .map(|lot| LotView {
                    lot_id: lot.id.clone(),
                    acquired_at: lot.acquired_at,
                    holding_period_start: lot.holding_period_start,
                    quantity: qty(lot.quantity),
                    cost_per_share: lot.cost_per_share(),
                    cost_basis: lot.cost_basis,
                    restricted_until: state.terms.free_on(lot).filter(|free| *free > today),
                })
                .collect(),
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldingFilter {
    /// `ast_…`
    pub asset_id: Option<String>,
    /// `inv_…`
    pub investor_id: Option<String>,
}

fn parse_filter_id<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    prefix: &str,
) -> ApiResult<Option<T>> {
    value
        .map(|s| {
            parse(s).ok_or_else(|| {
                ApiError::validation(
                    field,
                    format!("expected an id of the form {prefix}_<32 hex digits>"),
                )
            })
        })
        .transpose()
}

/// Lists holdings (one per investor and security), by investor then security.
#[utoipa::path(get, path = "/v1/holdings", tag = "holdings",
    params(ListParams, HoldingFilter),
    security(("bearer" = [])),
    description = "Current positions. `transferable_quantity` is what may be transferred today: lots still serving their Rule 144 / Reg CF holding period, \
everything during a lock-up, and shares reserved by transfers pending a right of first refusal are excluded. Open sell orders are the ATS's: it subtracts them itself.",
    responses(
        (status = 200, description = "A page of holdings", body = Page<HoldingView>),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
    ))]
pub async fn list_holdings(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<HoldingFilter>,
) -> ApiResult<ApiJson<Page<HoldingView>>> {
    caller.require_any_role(READERS)?;
    let limit = params.limit()?;
    let after = match params.after()? {
        None => None,
        Some(s) => {
            let parsed = s
                .split_once('|')
                .and_then(|(i, a)| Some((InvestorId::parse(i)?, SecurityId::parse(a)?)));
            Some(parsed.ok_or_else(|| {
                ApiError::validation("cursor", "not a cursor returned by this API")
            })?)
        }
    };
    let security = parse_filter_id(
        "asset_id",
        filter.asset_id.as_deref(),
        SecurityId::parse,
        "ast",
    )?;
    let investor = parse_filter_id(
        "investor_id",
        filter.investor_id.as_deref(),
        InvestorId::parse,
        "inv",
    )?;
    let org = caller.org_id.as_str();
    let mut tx = state.pool().begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let pairs = sqlx::query!(
        r#"SELECT investor_id AS "investor_id: InvestorId", security_id AS "security_id: SecurityId"
           FROM lots
           WHERE org_id = $1
             AND ($2::uuid IS NULL OR investor_id = $2)
             AND ($3::uuid IS NULL OR security_id = $3)
             AND ($4::uuid IS NULL OR (investor_id, security_id) > ($4, $5::uuid))
           GROUP BY investor_id, security_id
           ORDER BY investor_id, security_id LIMIT $6"#,
        org,
        investor as Option<InvestorId>,
        security as Option<SecurityId>,
        after.map(|a| a.0) as Option<InvestorId>,
        after.map(|a| a.1) as Option<SecurityId>,
        limit + 1,
    )
    .fetch_all(&mut *tx)
    .await?;
    let pairs: Vec<(InvestorId, SecurityId)> = pairs
        .into_iter()
        .map(|r| (r.investor_id, r.security_id))
        .collect();
    let views = holdings_of(&mut tx, org, &pairs, state.clock.today()).await?;
    tx.commit().await?;
    Ok(ApiJson(Page::from_rows(views, limit, |h: &HoldingView| {
        format!("{}|{}", h.investor_id, h.asset_id)
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvestorHoldingFilter {
    /// `ast_…`: only this security.
    pub asset_id: Option<String>,
}

/// One investor's holdings.
#[utoipa::path(get, path = "/v1/holdings/{investor_id}", tag = "holdings",
    params(("investor_id" = String, Path, description = "`inv_…`"), InvestorHoldingFilter),
    security(("bearer" = [])),
    description = "Every current position of the investor, by security. An investor the TA has never recorded in this organization (no issuance, transfer or \
corporate action) answers 404; one who held shares and no longer does answers an empty list.",
    responses(
        (status = 200, description = "The investor's holdings", body = InvestorHoldings),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Wrong organization", body = ErrorBody),
        (status = 404, description = "No record of this investor in the organization", body = ErrorBody),
    ))]
pub async fn investor_holdings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(investor_id): ApiPath<String>,
    ApiQuery(filter): ApiQuery<InvestorHoldingFilter>,
) -> ApiResult<ApiJson<InvestorHoldings>> {
    caller.require_any_role(READERS)?;
    let investor = InvestorId::parse_or_404(&investor_id, "investor")?;
    let security = parse_filter_id(
        "asset_id",
        filter.asset_id.as_deref(),
        SecurityId::parse,
        "ast",
    )?;
    let org = caller.org_id.as_str();
    if !ledger::investor_known(state.pool(), org, investor).await? {
        return Err(ApiError::not_found("investor", investor));
    }
    let mut tx = state.pool().begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let securities = sqlx::query_scalar!(
        r#"SELECT DISTINCT security_id AS "security_id: SecurityId" FROM lots
           WHERE org_id = $1 AND investor_id = $2 AND ($3::uuid IS NULL OR security_id = $3)
           ORDER BY 1"#,
        org,
        investor as InvestorId,
        security as Option<SecurityId>,
    )
    .fetch_all(&mut *tx)
    .await?;
    let pairs: Vec<_> = securities.into_iter().map(|s| (investor, s)).collect();
    let holdings = holdings_of(&mut tx, org, &pairs, state.clock.today()).await?;
    tx.commit().await?;
    Ok(ApiJson(InvestorHoldings {
        investor_id: investor,
        holdings,
    }))
}
