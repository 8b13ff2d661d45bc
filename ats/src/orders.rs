//! Orders after placement: reading them, cancelling what is left, expiring `day` orders at
//! the end of their trading day, and rejecting orders a dead process left `pending_compliance`.

use platform::ids::{AssetId, OrderId};
use platform::{ApiError, ListParams, Page};
use time::OffsetDateTime;
use vocab::{EventType, OrderStatus};

use crate::AppState;
use crate::events::order_event;
use crate::exchange::Matcher;
use crate::store::assets;
use crate::store::orders::{self, OrderFilter};
use crate::store::outbox;
use crate::views::OrderView;

pub async fn get(state: &AppState, org: &str, id: OrderId) -> Result<OrderView, ApiError> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let row = orders::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("order", id))?;
    tx.commit().await?;
    Ok(row.view()?)
}

pub async fn list(
    state: &AppState,
    org: &str,
    filter: &OrderFilter,
    page: &ListParams,
) -> Result<Page<OrderView>, ApiError> {
    let limit = page.limit()?;
    let before = page.after_as(OrderId::parse)?;
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let rows = orders::list(&mut tx, filter, before, limit).await?;
    tx.commit().await?;
    let views = rows
        .iter()
        .map(|r| r.view())
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Page::from_rows(views, limit, |o| o.id.to_string()))
}

/// Cancels what is left of an order. Nothing left (filled, cancelled, rejected) is 409
/// `INVALID_STATE`; an order still being checked is 409 too (retry once it is placed).
pub async fn cancel(state: &AppState, org: &str, id: OrderId) -> Result<OrderView, ApiError> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let row = orders::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("order", id))?;
    let asset = assets::get(&mut tx, row.asset_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("order {id} of an unlisted asset")))?;
    tx.commit().await?;
    let status = row.status()?;
    if !status.is_working() {
        return Err(not_cancellable(id, status));
    }
    let mut m = Matcher::open(
        &state.books,
        &state.platform.pool,
        org,
        asset,
        state.clock.now(),
    )
    .await?;
    // Under the book's lock the order may have moved on (filled by a match meanwhile).
    let current = orders::get(m.tx()?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("order", id))?;
    let status = current.status()?;
    if !status.is_working() {
        return Err(not_cancellable(id, status));
    }
    m.cancel(id)?;
    let done = m.commit().await?;
    let row = done
        .orders
        .get(&id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("cancel of {id} not written")))?;
    Ok(row.view()?)
}

fn not_cancellable(id: OrderId, status: OrderStatus) -> ApiError {
    let why = match status {
        OrderStatus::New | OrderStatus::PendingCompliance => {
            "the order is still being checked; retry in a moment"
        }
        _ => "nothing is left to cancel",
    };
    ApiError::invalid_state(why)
        .with_detail("order_id", id)
        .with_detail("status", status)
}

/// Expires every `day` order whose trading day has ended, book by book. Safe with replicas:
/// each book is matched under its lock and an order expired by another is no longer due.
pub async fn expire_due(state: &AppState, now: OffsetDateTime) -> anyhow::Result<usize> {
    let books = {
        let mut tx = platform::db::begin_all_organizations(
            &state.platform.pool,
            "finding books with day orders past their trading day",
        )
        .await?;
        let books = orders::books_with_due_day_orders(&mut tx, now).await?;
        tx.commit().await?;
        books
    };
    let mut expired = 0;
    for (org, asset) in books {
        expired += expire_book(state, &org, asset, now).await?;
    }
    Ok(expired)
}

async fn expire_book(
    state: &AppState,
    org: &str,
    asset: AssetId,
    now: OffsetDateTime,
) -> anyhow::Result<usize> {
    let mut tx = platform::db::begin(&state.platform.pool, org).await?;
    let Some(listing) = assets::get(&mut tx, asset).await? else {
        return Ok(0);
    };
    tx.commit().await?;
    let mut m = Matcher::open(&state.books, &state.platform.pool, org, listing, now).await?;
    let due = orders::due_day_orders(m.tx()?, asset, now).await?;
    for id in &due {
        m.expire(*id)?;
    }
    m.commit().await?;
    if !due.is_empty() {
        tracing::info!(org, asset = %asset, orders = due.len(), "day orders expired");
    }
    Ok(due.len())
}

/// Rejects, as `interrupted`, orders left `pending_compliance` longer than the timeout: their
/// placement died with its process. Each answers `order.rejected` to the BD.
pub async fn sweep_interrupted(state: &AppState, now: OffsetDateTime) -> anyhow::Result<usize> {
    let cutoff = now - state.config.pending_timeout;
    let stale = {
        let mut tx = platform::db::begin_all_organizations(
            &state.platform.pool,
            "finding orders a dead process left pending",
        )
        .await?;
        let stale = orders::stale_pending(&mut tx, cutoff).await?;
        tx.commit().await?;
        stale
    };
    let mut by_org: std::collections::BTreeMap<String, Vec<OrderId>> = Default::default();
    for (org, id) in stale {
        by_org.entry(org).or_default().push(id);
    }
    let mut swept = 0;
    for (org, ids) in by_org {
        let mut tx = platform::db::begin(&state.platform.pool, &org).await?;
        let rejections: Vec<_> = ids
            .iter()
            .map(|id| (*id, "interrupted".to_owned(), None))
            .collect();
        let rows = orders::reject(&mut tx, &rejections, Some(cutoff), now).await?;
        let mut asset_ids: Vec<AssetId> = rows.iter().map(|r| r.asset_id).collect();
        asset_ids.sort();
        asset_ids.dedup();
        let listings = assets::get_in(&mut tx, &asset_ids).await?;
        let mut events = Vec::with_capacity(rows.len());
        for r in &rows {
            let symbol = listings
                .iter()
                .find(|a| a.id == r.asset_id)
                .map_or("", |a| a.symbol.as_str());
            events.push(order_event(
                EventType::OrderRejected,
                &r.view()?,
                symbol,
                &org,
                now,
            ));
        }
        outbox::insert(&mut tx, &events).await?;
        tx.commit().await?;
        swept += rows.len();
        if !rows.is_empty() {
            tracing::warn!(
                org,
                orders = rows.len(),
                "orders left pending by a dead process rejected as interrupted"
            );
        }
    }
    Ok(swept)
}
