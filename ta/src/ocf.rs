//! A security's cap table as Open Cap Table Format objects (OCF, Open Cap Table Coalition).
//!
//! The export is built from the journal's stored outcomes, in order, for one security (one
//! OCF stock class). OCF models stock as securities that transactions consume and create: a
//! captable lot is an OCF stock security (its id is the lot id). A transfer consumes the
//! seller's lots (one `TX_STOCK_TRANSFER` per lot taken) and creates the buyer's security
//! (a `TX_STOCK_ISSUANCE` of the same date); a lot only partly taken leaves a balance
//! security, issued to the holder under a new id (`{lot}@{entry}`) and named as
//! `balance_security_id`. Redemptions and exercised rights of first refusal are
//! `TX_STOCK_REPURCHASE`; splits and reverse splits `TX_STOCK_CLASS_SPLIT`; conversions and
//! mergers out of the security `TX_STOCK_CONVERSION` (their resulting securities are issued
//! in the target's export). Cash in lieu of fractions is noted in comments.

use std::collections::{BTreeMap, BTreeSet};

use captable::{Action, DisposalKind, JournalEntry, Outcome};
use md5::{Digest, Md5};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::store::ledger::JournalRow;
use crate::store::securities::SecurityRow;

/// The OCF version the bundled schemas require of a manifest.
pub const OCF_VERSION: &str = "1.2.1-alpha+main";
pub const CURRENCY: &str = "USD";

/// A fixed-point OCF `Numeric` (at most 10 decimal places).
pub fn numeric(d: Decimal) -> String {
    let s = d.round_dp(10).normalize().to_string();
    if s == "-0" { "0".to_owned() } else { s }
}

fn monetary(d: Decimal) -> Value {
    json!({"amount": numeric(d), "currency": CURRENCY})
}

fn exemptions(regulation: &str) -> Value {
    let description = match regulation {
        "reg_d_506b" => "Regulation D, Rule 506(b)",
        "reg_d_506c" => "Regulation D, Rule 506(c)",
        "reg_a_tier2" => "Regulation A, Tier 2",
        "reg_cf" => "Regulation Crowdfunding",
        _ => return json!([]),
    };
    json!([{"description": description, "jurisdiction": "US"}])
}

#[derive(Debug, Clone)]
struct LotState {
    ocf_id: String,
    investor: String,
    quantity: Decimal,
}

struct Builder<'a> {
    security: &'a SecurityRow,
    sec: String,
    lots: BTreeMap<String, LotState>,
    items: Vec<Value>,
    stakeholders: BTreeSet<String>,
}

impl Builder<'_> {
    #[expect(clippy::too_many_arguments, reason = "the fields of one OCF issuance")]
    fn issuance(
        &mut self,
        id: String,
        ocf_security: &str,
        investor: &str,
        date: Date,
        quantity: Decimal,
        price: Decimal,
        basis: Decimal,
        original: bool,
        comments: Vec<String>,
    ) {
        self.stakeholders.insert(investor.to_owned());
        let mut tx = json!({
            "id": id,
            "object_type": "TX_STOCK_ISSUANCE",
            "date": date.to_string(),
            "security_id": ocf_security,
            "custom_id": ocf_security,
            "stakeholder_id": investor,
            "stock_class_id": self.sec,
            "share_price": monetary(price),
            "quantity": numeric(quantity),
            "cost_basis": monetary(basis),
            "stock_legend_ids": [],
            "security_law_exemptions": if original { exemptions(&self.security.regulation) } else { json!([]) },
        });
        if !comments.is_empty() {
            tx["comments"] = json!(comments);
        }
        self.items.push(tx);
    }

    fn entry(&mut self, entry: &JournalEntry, outcome: &Outcome) {
        let date = entry.effective_on;
        let eid = entry.id.as_str();
        let mut n = 0usize;
        let mut next_id = |kind: &str| {
            n += 1;
            format!("{eid}:{kind}:{n}")
        };
        let sec = self.sec.clone();
        let mine = |s: &str| s == sec;

        // Splits change quantities in place: one class-level transaction.
        if let Action::Split { ratio, .. } | Action::ReverseSplit { ratio, .. } = &entry.action {
            let mut comments = vec![format!(
                "{} {ratio} (new:old), transfer agent entry {eid}",
                if matches!(entry.action, Action::Split { .. }) {
                    "split"
                } else {
                    "reverse split"
                }
            )];
            let cash: Decimal = outcome
                .cash_in_lieu
                .iter()
                .filter(|c| mine(&c.security_id))
                .map(|c| c.amount)
                .sum();
            if !cash.is_zero() {
                comments.push(format!(
                    "fractional shares paid in cash in lieu: {} {CURRENCY} to {} holder(s)",
                    cash,
                    outcome
                        .cash_in_lieu
                        .iter()
                        .filter(|c| mine(&c.security_id))
                        .count()
                ));
            }
            self.items.push(json!({
                "id": next_id("split"),
                "object_type": "TX_STOCK_CLASS_SPLIT",
                "date": date.to_string(),
                "stock_class_id": self.sec,
                "split_ratio": {
                    "numerator": ratio.new_shares().to_string(),
                    "denominator": ratio.old_shares().to_string(),
                },
                "comments": comments,
            }));
            self.apply_positions(outcome, eid, false);
            return;
        }

        // Lots of this security before the entry, for the positions it changed.
        let touched: Vec<(&str, BTreeMap<&str, Decimal>)> = outcome
            .positions
            .iter()
            .filter(|p| mine(&p.security_id))
            .map(|p| {
                (
                    p.investor_id.as_str(),
                    p.lots.iter().map(|l| (l.id.as_str(), l.quantity)).collect(),
                )
            })
            .collect();
        let mut balances: BTreeMap<String, String> = BTreeMap::new();
        let mut consumed: Vec<(String, Decimal)> = Vec::new();
        for (investor, after) in &touched {
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
        let created: Vec<_> = outcome
            .created_lots
            .iter()
            .filter(|c| mine(&c.security_id))
            .collect();
        let conversion_out = matches!(
            &entry.action,
            Action::Conversion { security_id, .. } | Action::Merger { security_id, .. } if mine(security_id)
        );
        for (lot_id, quantity) in &consumed {
            let Some(state) = self.lots.get(lot_id).cloned() else {
                continue;
            };
            let disposal = outcome.disposals.iter().find(|d| {
                mine(&d.security_id)
                    && &d.lot_id == lot_id
                    && !matches!(d.kind, DisposalKind::CashInLieu)
            });
            let mut tx = if conversion_out {
                let resulting: Vec<&str> = outcome
                    .created_lots
                    .iter()
                    .filter(|c| c.source_lot_id.as_deref() == Some(lot_id.as_str()))
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
                    "id": next_id("conversion"),
                    "object_type": "TX_STOCK_CONVERSION",
                    "date": date.to_string(),
                    "security_id": state.ocf_id,
                    "quantity_converted": numeric(*quantity),
                    "resulting_security_ids": resulting,
                    "comments": [format!(
                        "{} into {target}, transfer agent entry {eid}",
                        if matches!(entry.action, Action::Merger { .. }) { "merger" } else { "conversion" }
                    )],
                })
            } else {
                match disposal.map(|d| &d.kind) {
                    Some(DisposalKind::Transfer {
                        transfer_id,
                        to_investor_id,
                    }) => {
                        let resulting: Vec<String> = created
                            .iter()
                            .filter(|c| &c.investor_id == to_investor_id)
                            .map(|c| c.lot.id.clone())
                            .collect();
                        json!({
                            "id": next_id("transfer"),
                            "object_type": "TX_STOCK_TRANSFER",
                            "date": date.to_string(),
                            "security_id": state.ocf_id,
                            "quantity": numeric(*quantity),
                            "resulting_security_ids": resulting,
                            "consideration_text": format!(
                                "{} {CURRENCY}",
                                disposal.map_or(Decimal::ZERO, |d| d.proceeds)
                            ),
                            "comments": [format!("transfer {transfer_id}")],
                        })
                    }
                    Some(DisposalKind::Redemption | DisposalKind::RofrExercise { .. }) => {
                        let d = disposal
                            .map_or((Decimal::ZERO, Decimal::ONE), |d| (d.proceeds, d.quantity));
                        let price = if d.1.is_zero() {
                            Decimal::ZERO
                        } else {
                            d.0 / d.1
                        };
                        let why = match disposal.map(|d| &d.kind) {
                            Some(DisposalKind::RofrExercise { transfer_id }) => {
                                format!(
                                    "the issuer exercised its right of first refusal on transfer {transfer_id}"
                                )
                            }
                            _ => format!("redemption, transfer agent entry {eid}"),
                        };
                        json!({
                            "id": next_id("repurchase"),
                            "object_type": "TX_STOCK_REPURCHASE",
                            "date": date.to_string(),
                            "security_id": state.ocf_id,
                            "quantity": numeric(*quantity),
                            "price": monetary(price),
                            "comments": [why],
                        })
                    }
                    _ => continue,
                }
            };
            if let Some(balance) = balances.get(lot_id) {
                tx["balance_security_id"] = json!(balance);
            }
            self.items.push(tx);
        }

        // New securities of this class: issuances, transfers in, conversions and mergers in.
        for c in &created {
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
            let id = next_id("issuance");
            self.issuance(
                id,
                &c.lot.id,
                &c.investor_id,
                date,
                c.lot.quantity,
                price,
                c.lot.cost_basis,
                original,
                comments,
            );
        }
        // Balances of partly consumed lots.
        for (investor, after) in &touched {
            for (lot_id, balance_id) in &balances {
                let Some(state) = self.lots.get(lot_id) else {
                    continue;
                };
                if state.investor != *investor {
                    continue;
                }
                let left = after.get(lot_id.as_str()).copied().unwrap_or(Decimal::ZERO);
                let lot = outcome
                    .positions
                    .iter()
                    .filter(|p| mine(&p.security_id) && p.investor_id == *investor)
                    .flat_map(|p| p.lots.iter())
                    .find(|l| &l.id == lot_id);
                let (price, basis) = lot.map_or((Decimal::ZERO, Decimal::ZERO), |l| {
                    (l.cost_per_share(), l.cost_basis)
                });
                let id = next_id("issuance");
                self.issuance(
                    id,
                    balance_id,
                    investor,
                    date,
                    left,
                    price,
                    basis,
                    false,
                    vec![format!("balance of {} after entry {eid}", state.ocf_id)],
                );
            }
        }
        self.apply_positions(outcome, eid, true);
        for (lot_id, balance_id) in balances {
            if let Some(state) = self.lots.get_mut(&lot_id) {
                state.ocf_id = balance_id;
            }
        }
    }

    /// Brings the lot states of this security up to the positions after the entry.
    fn apply_positions(&mut self, outcome: &Outcome, _eid: &str, _consuming: bool) {
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

fn kind_name(action: &Action) -> &'static str {
    match action {
        Action::Merger { .. } => "merger",
        Action::Conversion { .. } => "conversion",
        _ => "corporate action",
    }
}

fn md5_hex(v: &Value) -> String {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    Md5::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The export: an OCF manifest and the files it names, each file a JSON object whose MD5
/// (over its compact JSON serialisation) is in the manifest.
pub fn export(
    security: &SecurityRow,
    journal: &[JournalRow],
    as_of: Date,
    generated_at: OffsetDateTime,
) -> Value {
    let sec = security.id.to_string();
    let mut b = Builder {
        security,
        sec: sec.clone(),
        lots: BTreeMap::new(),
        items: Vec::new(),
        stakeholders: BTreeSet::new(),
    };
    for row in journal {
        b.entry(&row.entry, &row.outcome);
    }
    let (formation_date, formation_comment) = match security.issuer_formation_date {
        Some(d) => (d, None),
        None => (
            security.created_at.date(),
            Some(
                "formation date not recorded; the date the security was registered with the transfer agent is given instead",
            ),
        ),
    };
    let mut issuer = json!({
        "id": format!("{sec}:issuer"),
        "object_type": "ISSUER",
        "legal_name": security.issuer,
        "formation_date": formation_date.to_string(),
        "country_of_formation": security.issuer_country,
    });
    if let Some(c) = formation_comment {
        issuer["comments"] = json!([c]);
    }
    let holding = security
        .terms()
        .ok()
        .and_then(|t| t.holding_period())
        .map_or_else(
            || "no holding period".to_owned(),
            |p| format!("{}-month holding period", p.months),
        );
    let mut class_comments = vec![
        format!("symbol {}, {}, {holding}", security.symbol, security.regulation),
        format!("{} shares outstanding", numeric(security.outstanding)),
        "authorized shares, votes per share and seniority are not tracked by the transfer agent; the values given are placeholders".to_owned(),
    ];
    if let Some(l) = security.lockup_until {
        class_comments.push(format!("locked up through {l}"));
    }
    if let Some(d) = security.rofr_days {
        class_comments.push(format!("issuer's right of first refusal: {d} days"));
    }
    if let Some(m) = security.merged_into {
        class_comments.push(format!("merged into {m}"));
    }
    let stock_class = json!({
        "id": sec,
        "object_type": "STOCK_CLASS",
        "name": security.name,
        "class_type": if security.security_class == "preferred" { "PREFERRED" } else { "COMMON" },
        "default_id_prefix": format!("{}-", security.symbol),
        "initial_shares_authorized": "NOT APPLICABLE",
        "votes_per_share": "1",
        "seniority": if security.security_class == "preferred" { "2" } else { "1" },
        "comments": class_comments,
    });
    let stakeholders: Vec<Value> = b
        .stakeholders
        .iter()
        .map(|inv| {
            json!({
                "id": inv,
                "object_type": "STAKEHOLDER",
                "name": {"legal_name": inv},
                "stakeholder_type": "INDIVIDUAL",
                "comments": ["the investor's name and type are held by the broker-dealer; legal_name is the platform investor id and stakeholder_type a placeholder"],
            })
        })
        .collect();
    let files = json!({
        "stock_classes.ocf.json": {"file_type": "OCF_STOCK_CLASSES_FILE", "items": [stock_class]},
        "stakeholders.ocf.json": {"file_type": "OCF_STAKEHOLDERS_FILE", "items": stakeholders},
        "transactions.ocf.json": {"file_type": "OCF_TRANSACTIONS_FILE", "items": b.items},
    });
    let file_ref = |name: &str| json!([{"filepath": name, "md5": md5_hex(&files[name])}]);
    let manifest = json!({
        "ocf_version": OCF_VERSION,
        "file_type": "OCF_MANIFEST_FILE",
        "issuer": issuer,
        "as_of": as_of.to_string(),
        "generated_at": platform::time::format(generated_at),
        "comments": [format!("cap table of {} ({}) exported by the transfer agent", security.symbol, sec)],
        "stock_plans_files": [],
        "stock_legend_templates_files": [],
        "stock_classes_files": file_ref("stock_classes.ocf.json"),
        "vesting_terms_files": [],
        "valuations_files": [],
        "transactions_files": file_ref("transactions.ocf.json"),
        "stakeholders_files": file_ref("stakeholders.ocf.json"),
    });
    json!({"manifest": manifest, "files": files})
}
