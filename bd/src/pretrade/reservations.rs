//! What approved buys reserve against an investment limit, held in memory for the checks of
//! one call: read once from the orders, then moved by each decision exactly as the `orders`
//! table would be moved by recording it (`store::orders::record_pre_trades`), so a check sees
//! the reservations of the checks before it.

use std::collections::HashMap;

use compliance::{Regulation, Side};
use platform::ids::{InvestorId, OrderId};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::store::orders::{LIVE, OrderRow, PreTradeOrder};

pub struct Reservations {
    /// What the orders not checked by this call reserve, per investor and regulation.
    others: HashMap<(InvestorId, Regulation), Decimal>,
    /// The orders checked by this call, as they stand.
    rows: HashMap<OrderId, OrderRow>,
    by_investor: HashMap<InvestorId, Vec<OrderId>>,
    /// What was filled of each order, per buying investor (for orders not recorded yet).
    fills: HashMap<(OrderId, InvestorId), Decimal>,
    /// The orders recorded by this call, first recorded first, with their last decision.
    written: Vec<OrderId>,
    decisions: HashMap<OrderId, PreTradeOrder>,
}

impl Reservations {
    /// `others`: the reservations of the orders not checked by this call
    /// (`store::orders::reserved_except`); `rows`: the orders it checks that exist
    /// (`store::orders::by_ids`); `fills`: what was filled of the orders it checks.
    pub fn new(
        others: HashMap<(InvestorId, Regulation), Decimal>,
        rows: Vec<OrderRow>,
        fills: HashMap<(OrderId, InvestorId), Decimal>,
    ) -> Self {
        let mut by_investor: HashMap<InvestorId, Vec<OrderId>> = HashMap::new();
        for r in &rows {
            by_investor.entry(r.investor_id).or_default().push(r.id);
        }
        Self {
            others,
            rows: rows.into_iter().map(|r| (r.id, r)).collect(),
            by_investor,
            fills,
            written: Vec::new(),
            decisions: HashMap::new(),
        }
    }

    /// The amount still reserved by the investor's approved buys under `regulation` that are
    /// live (approved and not yet reported, or open), other than `except`: their unfilled
    /// quantity at the price pre-trade counted them at, for orders checked after `since`.
    pub fn reserved(
        &self,
        investor: InvestorId,
        regulation: Regulation,
        except: OrderId,
        since: OffsetDateTime,
    ) -> Decimal {
        let others = self
            .others
            .get(&(investor, regulation))
            .copied()
            .unwrap_or(Decimal::ZERO);
        let Some(ids) = self.by_investor.get(&investor) else {
            return others;
        };
        let checked: Decimal = ids
            .iter()
            .filter(|id| **id != except)
            .filter_map(|id| self.rows.get(id))
            .filter(|o| {
                o.regulation == Some(regulation)
                    && o.side == Side::Buy
                    && o.approved == Some(true)
                    && LIVE.contains(&o.status.as_str())
                    && o.checked_at.is_some_and(|t| t > since)
            })
            .filter_map(|o| {
                let price = o.reserve_price?;
                Some((o.quantity - o.filled).max(Decimal::ZERO) * price)
            })
            .sum();
        others + checked
    }

    /// Records a decision: a new order is `pending` with it; a known one keeps its investor,
    /// asset, side, status and fills and takes the decision's regulation, approval, quantity,
    /// reservation price and time.
    pub fn record(&mut self, d: PreTradeOrder) {
        match self.rows.get_mut(&d.id) {
            Some(row) => {
                row.regulation = Some(d.regulation);
                row.approved = Some(d.approved);
                row.reserve_price = d.reserve_price;
                row.checked_at = Some(d.checked_at);
                row.quantity = d.quantity;
            }
            None => {
                let filled = self
                    .fills
                    .get(&(d.id, d.investor_id))
                    .copied()
                    .unwrap_or(Decimal::ZERO);
                let row = OrderRow {
                    id: d.id,
                    investor_id: d.investor_id,
                    asset_id: d.asset_id,
                    side: d.side,
                    regulation: Some(d.regulation),
                    approved: Some(d.approved),
                    status: "pending".to_owned(),
                    quantity: d.quantity,
                    reserve_price: d.reserve_price,
                    checked_at: Some(d.checked_at),
                    filled,
                };
                self.by_investor
                    .entry(d.investor_id)
                    .or_default()
                    .push(d.id);
                self.rows.insert(d.id, row);
            }
        }
        if !self.decisions.contains_key(&d.id) {
            self.written.push(d.id);
        }
        self.decisions.insert(d.id, d);
    }

    /// The orders to write, once each: the state the decisions left them in (what recording
    /// each decision in turn would have written).
    pub fn written(&self) -> Vec<PreTradeOrder> {
        self.written
            .iter()
            .filter_map(|id| {
                let (row, last) = (self.rows.get(id)?, self.decisions.get(id)?);
                Some(PreTradeOrder {
                    id: *id,
                    investor_id: row.investor_id,
                    asset_id: row.asset_id,
                    side: row.side,
                    quantity: row.quantity,
                    regulation: last.regulation,
                    approved: last.approved,
                    reserve_price: last.reserve_price,
                    checked_at: last.checked_at,
                    check_id: last.check_id,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::ids::{AssetId, CheckId};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);
    const SINCE: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn decision(id: OrderId, investor: InvestorId, qty: &str, approved: bool) -> PreTradeOrder {
        PreTradeOrder {
            id,
            investor_id: investor,
            asset_id: AssetId::new(),
            side: Side::Buy,
            quantity: d(qty),
            regulation: Regulation::RegCf,
            approved,
            reserve_price: Some(d("10")),
            checked_at: NOW,
            check_id: CheckId::new(),
        }
    }

    #[test]
    fn earlier_decisions_reserve_against_later_ones() {
        let (alice, bob) = (InvestorId::new(), InvestorId::new());
        let (o1, o2, o3) = (OrderId::new(), OrderId::new(), OrderId::new());
        let others = HashMap::from([((alice, Regulation::RegCf), d("5"))]);
        let mut r = Reservations::new(others, Vec::new(), HashMap::new());
        r.record(decision(o1, alice, "100", true));
        r.record(decision(o2, alice, "50", false));
        r.record(decision(o3, bob, "7", true));
        assert_eq!(r.reserved(alice, Regulation::RegCf, o3, SINCE), d("1005"));
        assert_eq!(r.reserved(alice, Regulation::RegCf, o1, SINCE), d("5"));
        assert_eq!(r.reserved(alice, Regulation::RegATier2, o3, SINCE), d("0"));
        assert_eq!(r.reserved(bob, Regulation::RegCf, o1, SINCE), d("70"));
        // Checked again: the order's reservation is replaced, never counted twice.
        r.record(decision(o1, alice, "20", true));
        assert_eq!(r.reserved(alice, Regulation::RegCf, o3, SINCE), d("205"));
        let written = r.written();
        assert_eq!(written.len(), 3);
        assert_eq!((written[0].id, written[0].quantity), (o1, d("20")));
    }

    #[test]
    fn a_known_order_keeps_its_status_and_fills() {
        let alice = InvestorId::new();
        let o = OrderId::new();
        let row = OrderRow {
            id: o,
            investor_id: alice,
            asset_id: AssetId::new(),
            side: Side::Buy,
            regulation: Some(Regulation::RegCf),
            approved: Some(true),
            status: "cancelled".to_owned(),
            quantity: d("10"),
            reserve_price: Some(d("5")),
            checked_at: Some(NOW),
            filled: d("4"),
        };
        let mut r = Reservations::new(HashMap::new(), vec![row.clone()], HashMap::new());
        let other = OrderId::new();
        assert_eq!(r.reserved(alice, Regulation::RegCf, other, SINCE), d("0"));
        let open = OrderRow {
            status: "open".to_owned(),
            ..row
        };
        r = Reservations::new(HashMap::new(), vec![open], HashMap::new());
        assert_eq!(r.reserved(alice, Regulation::RegCf, other, SINCE), d("30"));
        r.record(decision(o, alice, "12", true));
        // (12 - 4) at the new price 10.
        assert_eq!(r.reserved(alice, Regulation::RegCf, other, SINCE), d("80"));
        // Older than the window: not counted.
        assert_eq!(r.reserved(alice, Regulation::RegCf, other, NOW), d("0"));
    }
}
