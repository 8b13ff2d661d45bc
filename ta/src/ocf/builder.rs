//! The OCF transactions of one security (one stock class), built entry by entry from the
//! journal's stored outcomes (see the module above for the model).

use std::collections::{BTreeMap, BTreeSet};

use captable::{Action, Disposal, DisposalKind, JournalEntry, Outcome, Ratio};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::Date;

use super::{CURRENCY, exemptions, monetary, numeric};
use crate::store::securities::SecurityRow;

#[derive(Debug, Clone)]
struct LotState {
    ocf_id: String,
    investor: String,
    quantity: Decimal,
}

/// The ids of one entry's transactions: `{entry}:{kind}:{n}`, numbered across kinds in the
/// order the transactions are written.
struct Ids<'e> {
    entry: &'e str,
    n: usize,
}

impl Ids<'_> {
    fn next(&mut self, kind: &str) -> String {
        self.n += 1;
        format!("{}:{kind}:{}", self.entry, self.n)
    }
}

/// A position of this security an entry changed: the investor and its lots after the entry.
type Touched<'o> = Vec<(&'o str, BTreeMap<&'o str, Decimal>)>;

/// One new OCF stock security.
struct Issuance<'a> {
    ocf_security: &'a str,
    investor: &'a str,
    date: Date,
    quantity: Decimal,
    price: Decimal,
    basis: Decimal,
    /// Issued by the issuer (it carries the security's exemption), not received.
    original: bool,
    comments: Vec<String>,
}

pub(super) struct Builder<'a> {
    security: &'a SecurityRow,
    sec: String,
    lots: BTreeMap<String, LotState>,
    pub(super) items: Vec<Value>,
    pub(super) stakeholders: BTreeSet<String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(security: &'a SecurityRow) -> Self {
        Self {
            security,
            sec: security.id.to_string(),
            lots: BTreeMap::new(),
            items: Vec::new(),
            stakeholders: BTreeSet::new(),
        }
    }

    fn mine(&self, security_id: &str) -> bool {
        security_id == self.sec
    }

    fn issuance(&mut self, id: String, i: Issuance<'_>) {
        self.stakeholders.insert(i.investor.to_owned());
        let mut tx = json!({
            "id": id,
            "object_type": "TX_STOCK_ISSUANCE",
            "date": i.date.to_string(),
            "security_id": i.ocf_security,
            "custom_id": i.ocf_security,
            "stakeholder_id": i.investor,
            "stock_class_id": self.sec,
            "share_price": monetary(i.price),
            "quantity": numeric(i.quantity),
            "cost_basis": monetary(i.basis),
            "stock_legend_ids": [],
            "security_law_exemptions": if i.original { exemptions(&self.security.regulation) } else { json!([]) },
        });
        if !i.comments.is_empty() {
            tx["comments"] = json!(i.comments);
        }
        self.items.push(tx);
    }

    /// The OCF transactions of one journal entry.
    pub(super) fn entry(&mut self, entry: &JournalEntry, outcome: &Outcome) {
        let eid = entry.id.as_str();
        let mut ids = Ids { entry: eid, n: 0 };
        // Splits change quantities in place: one class-level transaction.
        if let Action::Split { ratio, .. } | Action::ReverseSplit { ratio, .. } = &entry.action {
            self.class_split(entry, outcome, ratio, &mut ids);
            self.apply_positions(outcome);
            return;
        }
        let touched = self.touched(outcome);
        let (consumed, balances) = self.consumed(&touched, eid);
        for (lot_id, quantity) in &consumed {
            if let Some(mut tx) = self.disposal(entry, outcome, lot_id, *quantity, &mut ids) {
                if let Some(balance) = balances.get(lot_id) {
                    tx["balance_security_id"] = json!(balance);
                }
                self.items.push(tx);
            }
        }
        self.issue_created(entry, outcome, &mut ids);
        self.issue_balances(entry, outcome, &touched, &balances, &mut ids);
        self.apply_positions(outcome);
        for (lot_id, balance_id) in balances {
            if let Some(state) = self.lots.get_mut(&lot_id) {
                state.ocf_id = balance_id;
            }
        }
    }

    fn class_split(
        &mut self,
        entry: &JournalEntry,
        outcome: &Outcome,
        ratio: &Ratio,
        ids: &mut Ids<'_>,
    ) {
        let eid = entry.id.as_str();
        let mut comments = vec![format!(
            "{} {ratio} (new:old), transfer agent entry {eid}",
            if matches!(entry.action, Action::Split { .. }) {
                "split"
            } else {
                "reverse split"
            }
        )];
        let paid: Vec<_> = outcome
            .cash_in_lieu
            .iter()
            .filter(|c| self.mine(&c.security_id))
            .collect();
        let cash: Decimal = paid.iter().map(|c| c.amount).sum();
        if !cash.is_zero() {
            comments.push(format!(
                "fractional shares paid in cash in lieu: {} {CURRENCY} to {} holder(s)",
                cash,
                paid.len()
            ));
        }
        self.items.push(json!({
            "id": ids.next("split"),
            "object_type": "TX_STOCK_CLASS_SPLIT",
            "date": entry.effective_on.to_string(),
            "stock_class_id": self.sec,
            "split_ratio": {
                "numerator": ratio.new_shares().to_string(),
                "denominator": ratio.old_shares().to_string(),
            },
            "comments": comments,
        }));
    }

    /// The positions of this security the entry changed, with their lots after it.
    fn touched<'o>(&self, outcome: &'o Outcome) -> Touched<'o> {
        outcome
            .positions
            .iter()
            .filter(|p| self.mine(&p.security_id))
            .map(|p| {
                (
                    p.investor_id.as_str(),
                    p.lots.iter().map(|l| (l.id.as_str(), l.quantity)).collect(),
                )
            })
            .collect()
    }

    /// The lots (or parts of lots) the entry took, and the balance security each partly taken
    /// lot leaves.
    fn consumed(
        &self,
        touched: &Touched<'_>,
        eid: &str,
    ) -> (Vec<(String, Decimal)>, BTreeMap<String, String>) {
        let mut balances: BTreeMap<String, String> = BTreeMap::new();
        let mut consumed: Vec<(String, Decimal)> = Vec::new();
        for (investor, after) in touched {
            for (lot_id, state) in &self.lots {
                if state.investor != *investor {
                    continue;
                }
                let left = after.get(lot_id.as_str()).copied().unwrap_or(Decimal::ZERO);
                if left < state.quantity {
                    consumed.push((lot_id.clone(), state.quantity - left));
                    if left > Decimal::ZERO {
                        balances.insert(lot_id.clone(), format!("{lot_id}@{eid}"));
                    }
                }
            }
        }
        (consumed, balances)
    }

    /// The transaction that took `quantity` of a lot: a conversion or merger out of the
    /// security, a transfer, a repurchase (redemption, exercised right of first refusal), or
    /// none (cash in lieu of a fraction is a comment elsewhere).
    fn disposal(
        &self,
        entry: &JournalEntry,
        outcome: &Outcome,
        lot_id: &str,
        quantity: Decimal,
        ids: &mut Ids<'_>,
    ) -> Option<Value> {
        let state = self.lots.get(lot_id)?;
        let conversion_out = matches!(
            &entry.action,
            Action::Conversion { security_id, .. } | Action::Merger { security_id, .. } if self.mine(security_id)
        );
        if conversion_out {
            return Some(conversion(entry, outcome, state, lot_id, quantity, ids));
        }
        let disposal = outcome.disposals.iter().find(|d| {
            self.mine(&d.security_id)
                && d.lot_id == lot_id
                && !matches!(d.kind, DisposalKind::CashInLieu)
        })?;
        let date = entry.effective_on.to_string();
        match &disposal.kind {
            DisposalKind::Transfer {
                transfer_id,
                to_investor_id,
            } => {
                let resulting: Vec<String> = outcome
                    .created_lots
                    .iter()
                    .filter(|c| self.mine(&c.security_id) && &c.investor_id == to_investor_id)
                    .map(|c| c.lot.id.clone())
                    .collect();
                Some(json!({
                    "id": ids.next("transfer"),
                    "object_type": "TX_STOCK_TRANSFER",
                    "date": date,
                    "security_id": state.ocf_id,
                    "quantity": numeric(quantity),
                    "resulting_security_ids": resulting,
                    "consideration_text": format!("{} {CURRENCY}", disposal.proceeds),
                    "comments": [format!("transfer {transfer_id}")],
                }))
            }
            DisposalKind::Redemption | DisposalKind::RofrExercise { .. } => {
                Some(repurchase(entry, disposal, state, quantity, ids))
            }
            DisposalKind::CashInLieu => None,
        }
    }

    /// New securities of this class: issuances, transfers in, conversions and mergers in.
    fn issue_created(&mut self, entry: &JournalEntry, outcome: &Outcome, ids: &mut Ids<'_>) {
        let eid = entry.id.as_str();
        let date = entry.effective_on;
        let sec = self.sec.clone();
        for c in outcome.created_lots.iter().filter(|c| c.security_id == sec) {
            let (price, original, comment) = match (&entry.action, &c.source_lot_id) {
                (
                    Action::Issuance {
                        price_per_share, ..
                    },
                    _,
                ) => (*price_per_share, true, None),
                (
                    Action::Transfer {
                        price_per_share,
                        from_investor_id,
                        ..
                    },
                    _,
                ) => (
                    *price_per_share,
                    false,
                    Some(format!(
                        "acquired by transfer {eid} from {from_investor_id}"
                    )),
                ),
                (_, Some(source)) => (
                    c.lot.cost_per_share(),
                    false,
                    Some(format!(
                        "received for lot {source} by {}, transfer agent entry {eid}",
                        kind_name(&entry.action)
                    )),
                ),
                _ => (
                    c.lot.cost_per_share(),
                    false,
                    Some(format!(
                        "acquired by transfer after the issuer's right of first refusal ended, entry {eid}"
                    )),
                ),
            };
            let mut comments: Vec<String> = comment.into_iter().collect();
            if c.lot.acquired_at != date {
                comments.push(format!("acquired {} (tax date)", c.lot.acquired_at));
            }
            let id = ids.next("issuance");
            self.issuance(
                id,
                Issuance {
                    ocf_security: &c.lot.id,
                    investor: &c.investor_id,
                    date,
                    quantity: c.lot.quantity,
                    price,
                    basis: c.lot.cost_basis,
                    original,
                    comments,
                },
            );
        }
    }

    /// The balance securities of partly consumed lots, issued to their holders.
    fn issue_balances(
        &mut self,
        entry: &JournalEntry,
        outcome: &Outcome,
        touched: &Touched<'_>,
        balances: &BTreeMap<String, String>,
        ids: &mut Ids<'_>,
    ) {
        for (investor, after) in touched {
            for (lot_id, balance_id) in balances {
                let Some(state) = self.lots.get(lot_id) else {
                    continue;
                };
                if state.investor != *investor {
                    continue;
                }
                let comment = format!("balance of {} after entry {}", state.ocf_id, entry.id);
                let left = after.get(lot_id.as_str()).copied().unwrap_or(Decimal::ZERO);
                let lot = outcome
                    .positions
                    .iter()
                    .filter(|p| self.mine(&p.security_id) && p.investor_id == *investor)
                    .flat_map(|p| p.lots.iter())
                    .find(|l| &l.id == lot_id);
                let (price, basis) = lot.map_or((Decimal::ZERO, Decimal::ZERO), |l| {
                    (l.cost_per_share(), l.cost_basis)
                });
                let id = ids.next("issuance");
                self.issuance(
                    id,
                    Issuance {
                        ocf_security: balance_id,
                        investor,
                        date: entry.effective_on,
                        quantity: left,
                        price,
                        basis,
                        original: false,
                        comments: vec![comment],
                    },
                );
            }
        }
    }

    /// Brings the lot states of this security up to the positions after the entry.
    fn apply_positions(&mut self, outcome: &Outcome) {
        for p in outcome
            .positions
            .iter()
            .filter(|p| p.security_id == self.sec)
        {
            let old: BTreeMap<String, LotState> = self
                .lots
                .iter()
                .filter(|(_, s)| s.investor == p.investor_id)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.lots.retain(|_, s| s.investor != p.investor_id);
            for lot in &p.lots {
                let ocf_id = old
                    .get(&lot.id)
                    .map_or_else(|| lot.id.clone(), |s| s.ocf_id.clone());
                self.lots.insert(
                    lot.id.clone(),
                    LotState {
                        ocf_id,
                        investor: p.investor_id.clone(),
                        quantity: lot.quantity,
                    },
                );
            }
        }
    }
}

/// A repurchase by the issuer: a redemption, or an exercised right of first refusal.
fn repurchase(
    entry: &JournalEntry,
    disposal: &Disposal,
    state: &LotState,
    quantity: Decimal,
    ids: &mut Ids<'_>,
) -> Value {
    let price = if disposal.quantity.is_zero() {
        Decimal::ZERO
    } else {
        disposal.proceeds / disposal.quantity
    };
    let why = match &disposal.kind {
        DisposalKind::RofrExercise { transfer_id } => {
            format!("the issuer exercised its right of first refusal on transfer {transfer_id}")
        }
        _ => format!("redemption, transfer agent entry {}", entry.id),
    };
    json!({
        "id": ids.next("repurchase"),
        "object_type": "TX_STOCK_REPURCHASE",
        "date": entry.effective_on.to_string(),
        "security_id": state.ocf_id,
        "quantity": numeric(quantity),
        "price": monetary(price),
        "comments": [why],
    })
}

/// A conversion or merger out of the security: the lot's shares become the target's.
fn conversion(
    entry: &JournalEntry,
    outcome: &Outcome,
    state: &LotState,
    lot_id: &str,
    quantity: Decimal,
    ids: &mut Ids<'_>,
) -> Value {
    let resulting: Vec<&str> = outcome
        .created_lots
        .iter()
        .filter(|c| c.source_lot_id.as_deref() == Some(lot_id))
        .map(|c| c.lot.id.as_str())
        .collect();
    let target = match &entry.action {
        Action::Conversion {
            target_security_id, ..
        }
        | Action::Merger {
            target_security_id, ..
        } => target_security_id.as_str(),
        _ => "",
    };
    json!({
        "id": ids.next("conversion"),
        "object_type": "TX_STOCK_CONVERSION",
        "date": entry.effective_on.to_string(),
        "security_id": state.ocf_id,
        "quantity_converted": numeric(quantity),
        "resulting_security_ids": resulting,
        "comments": [format!(
            "{} into {target}, transfer agent entry {}",
            if matches!(entry.action, Action::Merger { .. }) { "merger" } else { "conversion" },
            entry.id
        )],
    })
}

fn kind_name(action: &Action) -> &'static str {
    match action {
        Action::Merger { .. } => "merger",
        Action::Conversion { .. } => "conversion",
        _ => "corporate action",
    }
}
