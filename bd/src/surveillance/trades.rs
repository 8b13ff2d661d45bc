//! The trades of a call's events: recorded, then run through the detectors of
//! `compliance::surveillance` in the order of the call, each seeing what it would have seen
//! delivered alone at that point: the asset's previous trade and the day's trades as recorded
//! before the call (read once, for every trade of the call) together with the trades recorded
//! earlier in the call (kept in memory), and the beneficial owners of its parties.

use std::collections::{BTreeSet, HashMap, HashSet};

use compliance::cat::eastern;
use compliance::surveillance::{AlertDraft, ExecutedTrade, SurveillanceContext, surveil};
use platform::ApiResult;
use platform::db::TenantTx;
use platform::ids::{AlertId, AssetId, EventId, InvestorId, TradeId};
use time::{Date, OffsetDateTime};

use super::alerts::AlertView;
use super::events::TradeData;
use crate::AppState;
use crate::store::alerts::{self, NewAlert};
use crate::store::events::{self as store, NewTrade, PreviousOf, TradeRow};

fn row(t: &TradeData) -> TradeRow {
    TradeRow {
        id: t.id,
        asset_id: t.asset_id,
        price: t.price,
        quantity: t.quantity,
        buyer_investor_id: t.buyer_investor_id,
        seller_investor_id: t.seller_investor_id,
        executed_at: t.executed_at,
    }
}

/// The latest of `earlier` (this call's trades recorded before `trade`, in order) in `trade`'s
/// asset executed at or before it: by execution time, then the later recorded.
fn latest_before<'a>(
    earlier: &'a [ExecutedTrade],
    trade: &ExecutedTrade,
) -> Option<&'a ExecutedTrade> {
    earlier
        .iter()
        .filter(|p| p.asset_id == trade.asset_id && p.executed_at <= trade.executed_at)
        .fold(None, |best, p| match best {
            Some(b) if b.executed_at > p.executed_at => Some(b),
            _ => Some(p),
        })
}

/// An alert a trade raised, before it is recorded.
struct Raised {
    /// The position of its trade in the call's trades.
    trade: usize,
    id: AlertId,
    draft: AlertDraft,
    trade_id: TradeId,
    asset_id: AssetId,
    trade_date: Date,
}

/// Records the trades of newly applied `trade.executed` events (in the order of the call) and
/// surveils each trade recorded for the first time; answers the alerts each raised, one list
/// per trade given. A trade already known, before the call or earlier in it (sent again under
/// another event id), is not recorded or surveilled again. The caller holds the lock of every
/// asset among them (`store::events::lock_asset`), so no other call records trades of these
/// assets meanwhile.
pub(super) async fn record(
    state: &AppState,
    tx: &mut TenantTx,
    trades: &[(EventId, &TradeData)],
    now: OffsetDateTime,
) -> ApiResult<Vec<Vec<AlertView>>> {
    let mut out: Vec<Vec<AlertView>> = trades.iter().map(|_| Vec::new()).collect();
    let mut ids = HashSet::with_capacity(trades.len());
    let firsts: Vec<usize> = (0..trades.len())
        .filter(|&i| ids.insert(trades[i].1.id))
        .collect();
    if firsts.is_empty() {
        return Ok(out);
    }
    let date = |t: &TradeData| eastern::eastern_date(t.executed_at);

    // What the detectors read, as recorded before the call.
    let mut parties: Vec<InvestorId> = firsts
        .iter()
        .flat_map(|&i| {
            [
                trades[i].1.buyer_investor_id,
                trades[i].1.seller_investor_id,
            ]
        })
        .collect();
    parties.sort();
    parties.dedup();
    let owners = store::beneficial_owner_keys(tx, &parties).await?;
    let mut asked: Vec<(AssetId, Date)> = firsts
        .iter()
        .map(|&i| (trades[i].1.asset_id, date(trades[i].1)))
        .collect();
    asked.sort();
    asked.dedup();
    let mut days = store::day_volumes(tx, &asked, &parties).await?;
    let lookups: Vec<PreviousOf> = firsts
        .iter()
        .map(|&i| PreviousOf {
            trade: trades[i].1.id,
            asset_id: trades[i].1.asset_id,
            executed_at: trades[i].1.executed_at,
        })
        .collect();
    let previous = store::previous_trades(tx, &lookups).await?;

    let new: Vec<NewTrade<'_>> = firsts
        .iter()
        .map(|&i| {
            let (event_id, t) = trades[i];
            NewTrade {
                id: t.id,
                event_id,
                asset_id: t.asset_id,
                symbol: t.symbol.as_deref(),
                price: t.price,
                quantity: t.quantity,
                buy_order_id: t.buy_order_id,
                sell_order_id: t.sell_order_id,
                buyer_investor_id: t.buyer_investor_id,
                seller_investor_id: t.seller_investor_id,
                executed_at: t.executed_at,
                trade_date: date(t),
                settlement_id: t.settlement_id,
            }
        })
        .collect();
    let recorded = store::insert_trades(tx, &new).await?;
    let added: Vec<&NewTrade<'_>> = new.iter().filter(|t| recorded.contains(&t.id)).collect();
    store::add_day_volumes(tx, &added).await?;

    // The detectors, trade after trade, each trade then joining what the next ones see.
    let mut earlier: Vec<ExecutedTrade> = Vec::new();
    let mut raised: Vec<Raised> = Vec::new();
    for (&i, before) in firsts.iter().zip(previous) {
        let t = trades[i].1;
        if !recorded.contains(&t.id) {
            // Known before the call: its surveillance already ran.
            continue;
        }
        let executed = row(t).executed();
        // A trade of this call was recorded after any recorded before it: at the same
        // execution time it is the later one.
        let before = before.map(|r| r.executed());
        let previous = match (before, latest_before(&earlier, &executed)) {
            (Some(b), Some(c)) if b.executed_at > c.executed_at => Some(b),
            (_, Some(c)) => Some(c.clone()),
            (b, None) => b,
        };
        let trade_date = date(t);
        let day = days.entry((t.asset_id, trade_date)).or_default();
        let parties = [
            t.buyer_investor_id.to_string(),
            t.seller_investor_id.to_string(),
        ];
        let beneficial_owners: HashMap<String, BTreeSet<String>> = parties
            .iter()
            .filter_map(|p| owners.get(p).map(|o| (p.clone(), o.clone())))
            .collect();
        let context = SurveillanceContext {
            beneficial_owners,
            day,
            previous_trade: previous.as_ref(),
        };
        for draft in surveil(&executed, &context, &state.config.surveillance) {
            raised.push(Raised {
                trade: i,
                id: AlertId::new(),
                draft,
                trade_id: t.id,
                asset_id: t.asset_id,
                trade_date,
            });
        }
        day.add(&executed);
        earlier.push(executed);
    }
    if raised.is_empty() {
        return Ok(out);
    }

    let new: Vec<NewAlert<'_>> = raised
        .iter()
        .map(|r| NewAlert {
            id: r.id,
            rule: r.draft.rule,
            severity: r.draft.severity,
            message: &r.draft.message,
            trade_id: r.trade_id,
            asset_id: r.asset_id,
            investor_ids: &r.draft.investor_ids,
            details: &r.draft.details,
            trade_date: r.trade_date,
            created_at: now,
        })
        .collect();
    let mut stored: HashMap<AlertId, _> = alerts::insert_many(tx, &new)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    for r in &raised {
        if let (Some(a), Some(list)) = (stored.remove(&r.id), out.get_mut(r.trade)) {
            list.push(AlertView::new(a, Vec::new()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use time::macros::datetime;

    fn trade(id: &str, asset: &str, at: OffsetDateTime) -> ExecutedTrade {
        ExecutedTrade {
            trade_id: id.into(),
            asset_id: asset.into(),
            price: Decimal::ONE,
            quantity: Decimal::ONE,
            buyer_investor_id: "b".into(),
            seller_investor_id: "s".into(),
            executed_at: at,
        }
    }

    #[test]
    fn the_latest_earlier_trade_by_time_then_arrival() {
        let t0 = datetime!(2026-03-10 15:00 UTC);
        let s = time::Duration::seconds(1);
        let earlier = [
            trade("1", "a", t0 + s),
            trade("2", "a", t0 + s),
            trade("3", "a", t0),
            trade("4", "other", t0 + s),
            trade("5", "a", t0 + s * 5),
        ];
        let latest =
            |at| latest_before(&earlier, &trade("x", "a", at)).map(|t| t.trade_id.as_str());
        assert_eq!(
            latest(t0 + s),
            Some("2"),
            "the later of two at the same time"
        );
        assert_eq!(latest(t0 + s * 3), Some("2"));
        assert_eq!(latest(t0), Some("3"));
        assert_eq!(latest(t0 - s), None);
        assert_eq!(latest(t0 + s * 9), Some("5"));
    }
}
