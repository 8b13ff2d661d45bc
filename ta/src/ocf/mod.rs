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

mod builder;

use md5::{Digest, Md5};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::store::journal::JournalRow;
use crate::store::securities::SecurityRow;
use builder::Builder;

/// The OCF version the bundled schemas require of a manifest.
pub const OCF_VERSION: &str = "1.2.1-alpha+main";
pub const CURRENCY: &str = "USD";

/// A fixed-point OCF `Numeric` (at most 10 decimal places).
pub fn numeric(d: Decimal) -> String {
    let s = d.round_dp(10).normalize().to_string();
    if s == "-0" { "0".to_owned() } else { s }
}

pub(crate) fn monetary(d: Decimal) -> Value {
    json!({"amount": numeric(d), "currency": CURRENCY})
}

pub(crate) fn exemptions(regulation: &str) -> Value {
    let description = match regulation {
        "reg_d_506b" => "Regulation D, Rule 506(b)",
        "reg_d_506c" => "Regulation D, Rule 506(c)",
        "reg_a_tier2" => "Regulation A, Tier 2",
        "reg_cf" => "Regulation Crowdfunding",
        _ => return json!([]),
    };
    json!([{"description": description, "jurisdiction": "US"}])
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
    let mut b = Builder::new(security);
    for row in journal {
        b.entry(&row.entry, &row.outcome);
    }
    let stakeholders: Vec<Value> = b.stakeholders.iter().map(|inv| stakeholder(inv)).collect();
    let files = json!({
        "stock_classes.ocf.json": {"file_type": "OCF_STOCK_CLASSES_FILE", "items": [stock_class(security)]},
        "stakeholders.ocf.json": {"file_type": "OCF_STAKEHOLDERS_FILE", "items": stakeholders},
        "transactions.ocf.json": {"file_type": "OCF_TRANSACTIONS_FILE", "items": b.items},
    });
    let file_ref = |name: &str| json!([{"filepath": name, "md5": md5_hex(&files[name])}]);
    let manifest = json!({
        "ocf_version": OCF_VERSION,
        "file_type": "OCF_MANIFEST_FILE",
        "issuer": issuer(security),
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

/// The manifest's ISSUER; without a recorded formation date, the day the security was
/// registered, said so.
fn issuer(security: &SecurityRow) -> Value {
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
        "id": format!("{}:issuer", security.id),
        "object_type": "ISSUER",
        "legal_name": security.issuer,
        "formation_date": formation_date.to_string(),
        "country_of_formation": security.issuer_country,
    });
    if let Some(c) = formation_comment {
        issuer["comments"] = json!([c]);
    }
    issuer
}

/// The security as an OCF STOCK_CLASS, its terms in comments.
fn stock_class(security: &SecurityRow) -> Value {
    let holding = security
        .terms()
        .ok()
        .and_then(|t| t.holding_period())
        .map_or_else(
            || "no holding period".to_owned(),
            |p| format!("{}-month holding period", p.months),
        );
    let mut comments = vec![
        format!("symbol {}, {}, {holding}", security.symbol, security.regulation),
        format!("{} shares outstanding", numeric(security.outstanding)),
        "authorized shares, votes per share and seniority are not tracked by the transfer agent; the values given are placeholders".to_owned(),
    ];
    if let Some(l) = security.lockup_until {
        comments.push(format!("locked up through {l}"));
    }
    if let Some(d) = security.rofr_days {
        comments.push(format!("issuer's right of first refusal: {d} days"));
    }
    if let Some(m) = security.merged_into {
        comments.push(format!("merged into {m}"));
    }
    let preferred = security.security_class == "preferred";
    json!({
        "id": security.id.to_string(),
        "object_type": "STOCK_CLASS",
        "name": security.name,
        "class_type": if preferred { "PREFERRED" } else { "COMMON" },
        "default_id_prefix": format!("{}-", security.symbol),
        "initial_shares_authorized": "NOT APPLICABLE",
        "votes_per_share": "1",
        "seniority": if preferred { "2" } else { "1" },
        "comments": comments,
    })
}

/// An investor as an OCF STAKEHOLDER: the platform id (names are the broker-dealer's).
fn stakeholder(investor: &str) -> Value {
    json!({
        "id": investor,
        "object_type": "STAKEHOLDER",
        "name": {"legal_name": investor},
        "stakeholder_type": "INDIVIDUAL",
        "comments": ["the investor's name and type are held by the broker-dealer; legal_name is the platform investor id and stakeholder_type a placeholder"],
    })
}
