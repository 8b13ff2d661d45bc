//! Placing orders (API.md, ATS, Placement): record → the BD's pre-trade check → for a sell, the
//! seller's transferable holdings at the TA less what their open sells offer and what they sold
//! in trades whose settlement is pending (the TA counts those shares as theirs until the
//! settlement's transfer) → match,
//! with the order states, trades, `pending` settlements and outbox events in one transaction.
//! Fail closed: when the BD (or, for a sell, the TA) cannot answer, the order is recorded
//! `rejected` and nothing reaches the book.
//!
//! Placement works on batches: the orders of one organization gathered by the [`crate::batch`]
//! queue are recorded in one statement, checked concurrently and matched book by book, one
//! commit per book, so concurrent placements share their commits. A batch of one is the plain
//! case.

use std::collections::{BTreeMap, HashMap};

use platform::client::CallFailure;
use platform::ids::{AssetId, CheckId, InvestorId, OrderId};
use platform::{ApiError, ErrorCode, RequestId};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use time::OffsetDateTime;
use tokio::task::JoinSet;
use utoipa::ToSchema;
use vocab::{EventType, OrderType, Side, TimeInForce};

use crate::AppState;
use crate::book_session::match_book;
use crate::downstream::{PreTrade, PreTradeAnswer};
use crate::events::order_event;
use crate::store::assets::{self, AssetRow};
use crate::store::orders::{self, NewOrderRow};
use crate::store::outbox;
use crate::views::OrderView;

/// `POST /v1/orders`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderRequest {
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    pub side: Side,
    pub order_type: OrderType,
    /// Positive, a multiple of the asset's `lot_size`, at most 10^12.
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    /// The limit price (`limit`, `stop_limit`; refused on the others): positive, a multiple of
    /// the asset's `tick_size`, at most 10^9.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "12.50")]
    pub price: Option<Decimal>,
    /// The trigger price (`stop`, `stop_limit`; refused on the others).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub stop_price: Option<Decimal>,
    /// `gtc` when absent.
    #[serde(default)]
    pub time_in_force: TimeInForce,
    /// Your own reference: 1 to 64 visible characters, unique per investor (409 when reused).
    #[serde(default)]
    pub client_order_id: Option<String>,
}

impl NewOrderRequest {
    /// What can be judged without the asset: bounds and which prices the type takes.
    pub fn validate(&self) -> Result<(), ApiError> {
        platform::bounds::check_quantity("quantity", self.quantity)?;
        let t = self.order_type;
        for (field, value, wanted) in [
            ("price", self.price, t.has_limit_price()),
            ("stop_price", self.stop_price, t.has_stop_price()),
        ] {
            match (value, wanted) {
                (Some(v), true) => platform::bounds::check_price(field, v)?,
                (None, true) => {
                    return Err(ApiError::validation(
                        field,
                        format!("is required for {t} orders"),
                    ));
                }
                (Some(_), false) => {
                    return Err(ApiError::validation(
                        field,
                        format!("is not taken by {t} orders"),
                    ));
                }
                (None, false) => {}
            }
        }
        if let Some(c) = &self.client_order_id
            && (c.is_empty() || c.chars().count() > 64 || c.chars().any(char::is_control))
        {
            return Err(ApiError::validation(
                "client_order_id",
                "must be 1 to 64 characters, none of them control characters",
            ));
        }
        Ok(())
    }
}

/// An order to place and who places it (recorded as `created_by`).
#[derive(Debug, Clone)]
pub struct Placement {
    pub subject: String,
    pub request: NewOrderRequest,
}

pub type Answer = Result<OrderView, ApiError>;

/// Places orders of one organization; one answer per order, in order.
pub async fn place(state: &AppState, org: &str, requests: &[Placement]) -> Vec<Answer> {
    match place_batch(state, org, requests).await {
        Ok(answers) => answers,
        Err(e) => {
            // A failure of our own (the database): every order of the batch answers it. Orders
            // already recorded stay `pending_compliance` and are swept as `interrupted`.
            tracing::error!(error = ?e, orders = requests.len(), "placement failed");
            requests
                .iter()
                .map(|_| Err(ApiError::internal(anyhow::anyhow!("placement failed"))))
                .collect()
        }
    }
}

/// What a batch has become once recorded: the listed assets, the orders recorded (and their
/// place in the batch), and the answers already known.
struct Batch {
    listed: HashMap<AssetId, AssetRow>,
    rows: Vec<NewOrderRow>,
    recorded: Vec<OrderId>,
    index_of: HashMap<OrderId, usize>,
    answers: Vec<Option<Answer>>,
}

impl Batch {
    fn answer(&mut self, id: OrderId, answer: Answer) {
        if let Some(i) = self.index_of.get(&id) {
            self.answers[*i] = Some(answer);
        }
    }

    fn recorded_rows(&self) -> Vec<&NewOrderRow> {
        self.rows
            .iter()
            .filter(|r| self.recorded.contains(&r.id))
            .collect()
    }
}

async fn place_batch(
    state: &AppState,
    org: &str,
    placements: &[Placement],
) -> anyhow::Result<Vec<Answer>> {
    let now = state.clock.now();
    let started = std::time::Instant::now();
    let mut batch = record(state, org, placements, now).await?;
    let recorded_ms = started.elapsed().as_secs_f64() * 1e3;

    let recorded = batch.recorded_rows();
    let ((checks, bd_ms), (holdings, ta_ms)) = tokio::join!(
        timed(pre_trade(state, org, &recorded, &batch.listed)),
        timed(transferable(state, org, &recorded))
    );
    let (refusals, approved) = judge(&recorded, &checks, &holdings);
    refuse(state, org, &mut batch, refusals, now).await?;

    // Book by book, in a fixed order, so two batches never wait on each other's books in
    // turn; each book matches what every batch queued for it meanwhile.
    for (asset, orders) in approved {
        let Some(listing) = batch.listed.get(&asset).cloned() else {
            continue;
        };
        for (id, answer) in match_book(state, org, listing, orders, now).await {
            batch.answer(id, answer);
        }
    }
    tracing::debug!(
        orders = placements.len(),
        recorded_ms,
        bd_ms,
        ta_ms,
        total_ms = started.elapsed().as_secs_f64() * 1e3,
        "batch placed"
    );
    Ok(batch
        .answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(ApiError::internal(anyhow::anyhow!("order lost")))))
        .collect())
}

/// Records what the assets admit as `pending_compliance`, before anything else, in one
/// statement; answers the rest (unlisted asset, trading off, off the grid, a reused
/// `client_order_id`).
async fn record(
    state: &AppState,
    org: &str,
    placements: &[Placement],
    now: OffsetDateTime,
) -> anyhow::Result<Batch> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let mut ids: Vec<AssetId> = placements.iter().map(|p| p.request.asset_id).collect();
    ids.sort();
    ids.dedup();
    let listed: HashMap<AssetId, AssetRow> = assets::get_in(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut batch = Batch {
        listed,
        rows: Vec::new(),
        recorded: Vec::new(),
        index_of: HashMap::new(),
        answers: (0..placements.len()).map(|_| None).collect(),
    };
    for (i, p) in placements.iter().enumerate() {
        let r = &p.request;
        if let Err(e) = admit(r, batch.listed.get(&r.asset_id)) {
            batch.answers[i] = Some(Err(e));
            continue;
        }
        let id = OrderId::new();
        batch.index_of.insert(id, i);
        batch.rows.push(NewOrderRow {
            id,
            asset_id: r.asset_id,
            investor_id: r.investor_id,
            side: r.side,
            order_type: r.order_type,
            time_in_force: r.time_in_force,
            quantity: r.quantity,
            price: r.price,
            stop_price: r.stop_price,
            client_order_id: r.client_order_id.clone(),
            expires_at: (r.time_in_force == TimeInForce::Day)
                .then(|| state.config.calendar.day_end_after(now)),
            created_by: p.subject.clone(),
        });
    }
    batch.recorded = orders::insert_pending(&mut tx, &batch.rows, now).await?;
    tx.commit().await?;
    let reused: Vec<(OrderId, Option<String>)> = batch
        .rows
        .iter()
        .filter(|r| !batch.recorded.contains(&r.id))
        .map(|r| (r.id, r.client_order_id.clone()))
        .collect();
    for (id, client_order_id) in reused {
        batch.answer(
            id,
            Err(
                ApiError::conflict("this client_order_id was already used for this investor")
                    .with_detail("client_order_id", client_order_id),
            ),
        );
    }
    Ok(batch)
}

type Refusals = Vec<(OrderId, String, Option<CheckId>, ApiError)>;
type ByBook = BTreeMap<AssetId, Vec<(OrderId, Option<Decimal>, CheckId)>>;

/// Sorts the recorded orders by what the BD (and, for sells, the TA) answered: refused (the
/// reason kept on the order, the error answered) or approved, by book.
fn judge(
    recorded: &[&NewOrderRow],
    checks: &HashMap<OrderId, Result<PreTradeAnswer, CallFailure>>,
    holdings: &Holdings,
) -> (Refusals, ByBook) {
    let mut refusals = Vec::new();
    let mut approved = ByBook::new();
    for r in recorded {
        let Some(check) = checks.get(&r.id) else {
            continue;
        };
        match check {
            Err(f) => refusals.push((
                r.id,
                "compliance_unavailable".into(),
                None,
                unavailable(r, "bd", f),
            )),
            Ok(a) if !a.approved => {
                let reason = a
                    .reasons
                    .first()
                    .map_or_else(|| "compliance".to_owned(), |x| x.check());
                refusals.push((r.id, reason, Some(a.id), compliance_rejected(r, a)));
            }
            Ok(a) => {
                let transferable = match holdings.get(&(r.investor_id, r.asset_id)) {
                    Some(Err(f)) if r.side == Side::Sell => {
                        refusals.push((
                            r.id,
                            "holdings_unavailable".into(),
                            Some(a.id),
                            unavailable(r, "ta", f),
                        ));
                        continue;
                    }
                    Some(Ok(t)) if r.side == Side::Sell => Some(*t),
                    _ => None,
                };
                approved
                    .entry(r.asset_id)
                    .or_default()
                    .push((r.id, transferable, a.id));
            }
        }
    }
    (refusals, approved)
}

/// Records the refusals (`rejected`, each with its `order.rejected` event) and answers them.
async fn refuse(
    state: &AppState,
    org: &str,
    batch: &mut Batch,
    refusals: Refusals,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    if refusals.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = refusals.iter().map(|r| (r.0, r.1.clone(), r.2)).collect();
    let mut errors: HashMap<OrderId, ApiError> = refusals.into_iter().map(|r| (r.0, r.3)).collect();
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let rejected = orders::reject(&mut tx, &rows, None, now).await?;
    let mut events = Vec::with_capacity(rejected.len());
    for o in &rejected {
        let symbol = batch
            .listed
            .get(&o.asset_id)
            .map_or("", |a| a.symbol.as_str());
        events.push(order_event(
            EventType::OrderRejected,
            &o.view()?,
            symbol,
            org,
            now,
        ));
    }
    outbox::insert(&mut tx, &events).await?;
    tx.commit().await?;
    for o in rejected {
        if let Some(e) = errors.remove(&o.id) {
            batch.answer(o.id, Err(e.with_detail("order", o.view()?)));
        }
    }
    // Not rejected here: someone else settled it meanwhile (the sweeper).
    for (id, _) in errors {
        batch.answer(id, Err(changed(id)));
    }
    Ok(())
}

/// `f`'s output and how long it took, in milliseconds (debug logs).
async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, f64) {
    let t = std::time::Instant::now();
    let out = f.await;
    (out, t.elapsed().as_secs_f64() * 1e3)
}

/// An order the asset admits: listed, trading, on its grid.
fn admit(r: &NewOrderRequest, asset: Option<&AssetRow>) -> Result<(), ApiError> {
    let Some(a) = asset else {
        return Err(ApiError::not_found("asset", r.asset_id)
            .with_detail("hint", "list the TA security with POST /v1/assets first"));
    };
    if !a.trading_enabled {
        return Err(ApiError::invalid_state("trading in this asset is disabled")
            .with_detail("asset_id", a.id));
    }
    let on_grid = |field: &str, v: Decimal, step: Decimal, what: &str| {
        if (v % step).is_zero() {
            Ok(())
        } else {
            Err(ApiError::validation(
                field,
                format!("must be a multiple of the asset's {what} {step}"),
            ))
        }
    };
    on_grid("quantity", r.quantity, a.lot_size, "lot_size")?;
    if let Some(p) = r.price {
        on_grid("price", p, a.tick_size, "tick_size")?;
    }
    if let Some(p) = r.stop_price {
        on_grid("stop_price", p, a.tick_size, "tick_size")?;
    }
    Ok(())
}

/// The BD's pre-trade decision on each recorded order, in one batch call (or as few as the
/// batch limit allows). A failure of the call fails every order it carried: closed.
async fn pre_trade(
    state: &AppState,
    org: &str,
    recorded: &[&NewOrderRow],
    listed: &HashMap<AssetId, AssetRow>,
) -> HashMap<OrderId, Result<PreTradeAnswer, CallFailure>> {
    let mut out = HashMap::with_capacity(recorded.len());
    let mut checks = Vec::with_capacity(recorded.len());
    for r in recorded {
        match listed.get(&r.asset_id).map(AssetRow::regulation) {
            Some(Ok(regulation)) => checks.push(PreTrade {
                order_id: r.id,
                investor_id: r.investor_id,
                asset_id: r.asset_id,
                side: r.side,
                quantity: r.quantity,
                price: r.price,
                regulation,
            }),
            _ => {
                out.insert(
                    r.id,
                    Err(CallFailure::Unavailable {
                        service: "bd",
                        reason: "the asset's regulation is unreadable".into(),
                    }),
                );
            }
        }
    }
    match state.downstream.pre_trade_batch(org, &checks).await {
        Ok(answers) => {
            for a in answers {
                out.insert(a.order_id, Ok(a));
            }
        }
        Err(f) => {
            for c in &checks {
                out.insert(c.order_id, Err(f.clone()));
            }
        }
    }
    for r in recorded {
        out.entry(r.id).or_insert_with(|| {
            Err(CallFailure::Unavailable {
                service: "bd",
                reason: "the batch pre-trade did not answer for this order".into(),
            })
        });
    }
    out
}

type Holdings = HashMap<(InvestorId, AssetId), Result<Decimal, CallFailure>>;

/// The TA's transferable quantity of each seller, asked alongside the BD's checks (a refused
/// sell's answer is simply unused).
async fn transferable(state: &AppState, org: &str, recorded: &[&NewOrderRow]) -> Holdings {
    let mut wanted: Vec<(InvestorId, AssetId)> = recorded
        .iter()
        .filter(|r| r.side == Side::Sell)
        .map(|r| (r.investor_id, r.asset_id))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut set = JoinSet::new();
    for (investor, asset) in wanted {
        let down = state.downstream.clone();
        let org = org.to_owned();
        set.spawn(platform::request_id::scope(
            RequestId::current(),
            async move {
                let t = down.transferable(&org, investor, asset).await;
                ((investor, asset), t)
            },
        ));
    }
    set.join_all().await.into_iter().collect()
}

pub(crate) fn changed(id: OrderId) -> ApiError {
    ApiError::conflict("the order changed while it was being placed; fetch it")
        .with_detail("order_id", id)
}

fn unavailable(r: &NewOrderRow, service: &'static str, f: &CallFailure) -> ApiError {
    tracing::warn!(order = %r.id, service, failure = %f, "placement failed closed");
    let what = if service == "bd" {
        "the compliance check"
    } else {
        "the seller's holdings"
    };
    ApiError::downstream(
        service,
        format!("{what} could not be made ({service} unavailable); the order was rejected: retry with backoff"),
    )
    .with_detail("order_id", r.id)
    .with_detail("reject_reason", if service == "bd" { "compliance_unavailable" } else { "holdings_unavailable" })
}

fn compliance_rejected(r: &NewOrderRow, a: &PreTradeAnswer) -> ApiError {
    let first = a.reasons.first();
    let message = first.map_or_else(
        || "the compliance check refused the order".to_owned(),
        |x| x.message.clone(),
    );
    let mut e = ApiError::new(ErrorCode::ComplianceRejected, message)
        .with_detail("order_id", r.id)
        .with_detail("investor_id", r.investor_id)
        .with_detail("check", first.map(|x| x.check()))
        .with_detail("reasons", &a.reasons)
        .with_detail("check_id", a.id);
    if let Some(at) = first.and_then(|x| x.expires_at()) {
        e = e.with_detail("expires_at", json!(at));
    }
    e
}
