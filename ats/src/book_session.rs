//! A book's session: the orders the BD approved queue for their book, and whoever holds the
//! book next takes all of them into one matcher session (flat combining): the seller's
//! holdings are checked against what they have committed, the orders are matched, and the
//! session commits once. Under load one commit serves every placement that queued while the
//! book was busy.

use std::collections::HashMap;

use platform::ids::{CheckId, OrderId};
use platform::{ApiError, ErrorCode};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::AppState;
use crate::exchange::{Committed, Done, Matcher};
use crate::placement::{Answer, changed};
use crate::store::assets::AssetRow;
use crate::store::orders::{self, OrderRow};

/// An order the BD approved, waiting for its book: with, for a sell, the TA's transferable
/// quantity, and where to send its answer.
pub struct Approved {
    order: OrderId,
    transferable: Option<Decimal>,
    check: CheckId,
    reply: oneshot::Sender<Answer>,
}

/// Queues the book's approved orders and waits for their answers. Whoever holds the book next
/// (this task or another's) matches everything queued for it in one session; a session's
/// failure answers each of its orders with a 500 (they stay `pending_compliance` and are
/// swept as `interrupted`).
pub async fn match_book(
    state: &AppState,
    org: &str,
    asset: AssetRow,
    approved: Vec<(OrderId, Option<Decimal>, CheckId)>,
    now: OffsetDateTime,
) -> Vec<(OrderId, Answer)> {
    let mut waiters = Vec::with_capacity(approved.len());
    let work: Vec<Approved> = approved
        .into_iter()
        .map(|(order, transferable, check)| {
            let (reply, answer) = oneshot::channel();
            waiters.push((order, answer));
            Approved {
                order,
                transferable,
                check,
                reply,
            }
        })
        .collect();
    state.books.enqueue(org, asset.id, work);
    if let Err(e) = match_waiting(state, org, asset, now).await {
        tracing::error!(error = ?e, "matching failed");
    }
    let mut answers = Vec::with_capacity(waiters.len());
    for (order, answer) in waiters {
        let a = answer
            .await
            .unwrap_or_else(|_| Err(ApiError::internal(anyhow::anyhow!("matching failed"))));
        answers.push((order, a));
    }
    answers
}

/// Takes the book and matches everything waiting for it, in queue order, in one transaction.
async fn match_waiting(
    state: &AppState,
    org: &str,
    asset: AssetRow,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let symbol = asset.symbol.clone();
    let asset_id = asset.id;
    let started = std::time::Instant::now();
    let mut m = match Matcher::open(&state.books, &state.platform.pool, org, asset, now).await {
        Ok(m) => m,
        Err(e) => {
            // Without the book (the database is failing), what waits for it is answered now.
            fail(state.books.take_waiting(org, asset_id));
            return Err(e);
        }
    };
    let work = state.books.take_waiting(org, asset_id);
    if work.is_empty() {
        // Another task's session matched ours.
        return Ok(());
    }
    let opened = started.elapsed();
    match match_session(&mut m, org, &symbol, &work).await {
        Ok(refused) => {
            let placed = started.elapsed();
            let done = m.commit().await;
            tracing::debug!(
                orders = work.len(),
                open_ms = opened.as_secs_f64() * 1e3,
                placed_ms = placed.as_secs_f64() * 1e3,
                committed_ms = started.elapsed().as_secs_f64() * 1e3,
                "book session"
            );
            reply_all(work, refused, done)
        }
        Err(e) => {
            drop(m);
            fail(work);
            Err(e)
        }
    }
}

fn fail(work: Vec<Approved>) {
    for w in work {
        let _ = w
            .reply
            .send(Err(ApiError::internal(anyhow::anyhow!("matching failed"))));
    }
}

/// Places the waiting orders; answers those refused inside the session.
async fn match_session(
    m: &mut Matcher,
    org: &str,
    symbol: &str,
    work: &[Approved],
) -> anyhow::Result<HashMap<OrderId, Answer>> {
    let ids: Vec<OrderId> = work.iter().map(|w| w.order).collect();
    let rows: HashMap<OrderId, OrderRow> = orders::get_in(m.tx()?, org, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let sellers: Vec<_> = work
        .iter()
        .filter(|w| w.transferable.is_some())
        .filter_map(|w| rows.get(&w.order).map(|r| r.investor_id))
        .collect();
    m.read_unsettled(&sellers).await?;

    let mut refused = HashMap::new();
    let mut short = Vec::new();
    for w in work {
        let Some(row) = rows.get(&w.order) else {
            continue;
        };
        if row.status != "pending_compliance" {
            // The sweeper rejected it meanwhile (this placement outlived its timeout).
            refused.insert(w.order, Err(changed(w.order)));
            continue;
        }
        if let Some(t) = w.transferable {
            let committed = m.committed_to_sells(row.investor_id).await?;
            let available = (t - committed.total()).max(Decimal::ZERO);
            if row.quantity > available {
                short.push((w.order, w.check, t, committed, available));
                continue;
            }
        }
        m.place(row, w.check)?;
    }
    if !short.is_empty() {
        let rejections: Vec<_> = short
            .iter()
            .map(|s| (s.0, "insufficient_holdings".to_owned(), Some(s.1)))
            .collect();
        let rejected = m.reject(&rejections, symbol).await?;
        for (id, _, transferable, committed, available) in &short {
            if let Some(o) = rejected.iter().find(|o| o.id == *id) {
                refused.insert(
                    *id,
                    Err(insufficient(o, *transferable, *committed, *available)?),
                );
            }
        }
    }
    Ok(refused)
}

fn reply_all(
    work: Vec<Approved>,
    mut refused: HashMap<OrderId, Answer>,
    done: anyhow::Result<Done>,
) -> anyhow::Result<()> {
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            fail(work);
            return Err(e);
        }
    };
    for w in work {
        let answer = match refused.remove(&w.order) {
            Some(a) => a,
            None => match done.orders.get(&w.order).map(OrderRow::view) {
                Some(Ok(view)) => Ok(view),
                Some(Err(e)) => Err(ApiError::internal(e)),
                None => Err(ApiError::internal(anyhow::anyhow!(
                    "order {} not matched",
                    w.order
                ))),
            },
        };
        // A caller that went away does not stop the others.
        let _ = w.reply.send(answer);
    }
    Ok(())
}

fn insufficient(
    o: &OrderRow,
    transferable: Decimal,
    committed: Committed,
    available: Decimal,
) -> anyhow::Result<ApiError> {
    Ok(ApiError::new(
        ErrorCode::InsufficientHoldings,
        format!(
            "the seller may sell {available} of this asset: {transferable} transferable at the TA, less {} offered by their open sell orders and {} sold in trades not settled yet",
            committed.open_sells, committed.sold_unsettled
        ),
    )
    .with_detail("order_id", o.id)
    .with_detail("investor_id", o.investor_id)
    .with_detail("asset_id", o.asset_id)
    .with_detail("requested", o.quantity)
    .with_detail("available", available)
    .with_detail("transferable", transferable)
    .with_detail("committed_to_open_sells", committed.open_sells)
    .with_detail("sold_unsettled", committed.sold_unsettled)
    .with_detail("order", o.view()?))
}
