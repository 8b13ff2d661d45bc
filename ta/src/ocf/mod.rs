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
//!
//! Stakeholders are the investors the transactions name, with the legal name and type the
//! broker-dealer holds ([`Holders`], asked by `crate::service::ocf` in one call); when it
//! cannot say, the investor id stands for the name and a comment says why. The package is
//! answered as JSON or as the ZIP OCF tools open ([`Package::to_zip`], [`zip`]).

mod builder;
pub mod zip;

use std::collections::{BTreeSet, HashMap};

use md5::{Digest, Md5};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::store::journal::JournalRow;
use crate::store::securities::SecurityRow;
use builder::Builder;

/// The OCF release the export follows (its manifest's `ocf_version`): v1.2.0, the one
/// released OCF tools read.
pub const OCF_VERSION: &str = "1.2.0";
pub const CURRENCY: &str = "USD";
/// The manifest's path in a package (at its root, as OCF tools look for it).
pub const MANIFEST: &str = "Manifest.ocf.json";

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

/// The OCF transactions of a security's journal, and the investors they name: what the
/// export holds before the holders are named.
pub struct Register {
    items: Vec<Value>,
    /// The platform investor ids of every holder the transactions name, sorted.
    pub stakeholders: BTreeSet<String>,
}

/// Builds the transactions from the journal's stored outcomes, in order.
pub fn register(security: &SecurityRow, journal: &[JournalRow]) -> Register {
    let mut b = Builder::new(security);
    for row in journal {
        b.entry(&row.entry, &row.outcome);
    }
    Register {
        items: b.items,
        stakeholders: b.stakeholders,
    }
}

/// Whether a holder is a natural person (OCF `INDIVIDUAL`) or an entity (`INSTITUTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderKind {
    Individual,
    Institution,
}

/// A holder as the broker-dealer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub legal_name: String,
    pub kind: HolderKind,
}

/// The holders' names, as far as the broker-dealer gave them.
#[derive(Debug, Clone)]
pub enum Holders {
    /// The broker-dealer answered: the organization's investors it knows, by platform id.
    Named(HashMap<String, Holder>),
    /// The broker-dealer could not be asked; why, in words fit for the export.
    Unavailable(String),
}

/// An OCF package: the manifest and the files it names, in the manifest's order.
pub struct Package {
    pub manifest: Value,
    pub files: Vec<(&'static str, Value)>,
    /// `{symbol}-{as_of}.ocf.zip`.
    pub file_name: String,
    pub generated_at: OffsetDateTime,
}

impl Package {
    /// The JSON answer: `{"manifest", "files"}`, the files keyed by path.
    pub fn into_json(self) -> Value {
        let files: serde_json::Map<String, Value> = self
            .files
            .into_iter()
            .map(|(name, file)| (name.to_owned(), file))
            .collect();
        json!({"manifest": self.manifest, "files": files})
    }

    /// The package as OCF tools open it: a ZIP holding `Manifest.ocf.json` at its root and
    /// the files it names, each the bytes the manifest's MD5 is over.
    pub fn to_zip(&self) -> Result<Vec<u8>, zip::TooLarge> {
        let manifest = serde_json::to_vec(&self.manifest).unwrap_or_default();
        let files: Vec<(&str, Vec<u8>)> = self
            .files
            .iter()
            .map(|(name, file)| (*name, file_bytes(file)))
            .collect();
        let mut entries: Vec<(&str, &[u8])> = vec![(MANIFEST, manifest.as_slice())];
        entries.extend(files.iter().map(|(n, b)| (*n, b.as_slice())));
        zip::stored(&entries, self.generated_at)
    }
}

/// A file as written: its compact JSON serialisation (what the manifest's MD5 is over).
fn file_bytes(file: &Value) -> Vec<u8> {
    serde_json::to_vec(file).unwrap_or_default()
}

fn md5_hex(v: &Value) -> String {
    Md5::digest(file_bytes(v))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The package of a security's register with its holders named, as of `as_of`.
pub fn package(
    security: &SecurityRow,
    register: Register,
    holders: &Holders,
    as_of: Date,
    generated_at: OffsetDateTime,
) -> Package {
    let sec = security.id.to_string();
    let stakeholders: Vec<Value> = register
        .stakeholders
        .iter()
        .map(|inv| stakeholder(inv, holders))
        .collect();
    let files = vec![
        (
            "stock_classes.ocf.json",
            json!({"file_type": "OCF_STOCK_CLASSES_FILE", "items": [stock_class(security)]}),
        ),
        (
            "stakeholders.ocf.json",
            json!({"file_type": "OCF_STAKEHOLDERS_FILE", "items": stakeholders}),
        ),
        (
            "transactions.ocf.json",
            json!({"file_type": "OCF_TRANSACTIONS_FILE", "items": register.items}),
        ),
    ];
    let file_ref = |name: &str| {
        let file = files.iter().find(|(n, _)| *n == name).map(|(_, f)| f);
        json!([{"filepath": name, "md5": file.map(md5_hex).unwrap_or_default()}])
    };
    let mut comments = vec![format!(
        "cap table of {} ({}) exported by the transfer agent",
        security.symbol, sec
    )];
    if let Holders::Unavailable(why) = holders {
        comments.push(format!(
            "holders' names unavailable: {why}; each stakeholder is named by its platform investor id"
        ));
    }
    let manifest = json!({
        "ocf_version": OCF_VERSION,
        "file_type": "OCF_MANIFEST_FILE",
        "issuer": issuer(security),
        "as_of": as_of.to_string(),
        "generated_at": platform::time::format(generated_at),
        "comments": comments,
        "stock_plans_files": [],
        "stock_legend_templates_files": [],
        "stock_classes_files": file_ref("stock_classes.ocf.json"),
        "vesting_terms_files": [],
        "valuations_files": [],
        "transactions_files": file_ref("transactions.ocf.json"),
        "stakeholders_files": file_ref("stakeholders.ocf.json"),
    });
    Package {
        manifest,
        files,
        file_name: format!("{}-{as_of}.ocf.zip", file_name_part(&security.symbol)),
        generated_at,
    }
}

/// A symbol as part of a file name: its letters, digits, dots and dashes (all a symbol may
/// hold today), anything else `_`.
fn file_name_part(symbol: &str) -> String {
    symbol
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
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

/// An investor as an OCF STAKEHOLDER: its platform id, and the legal name and type the
/// broker-dealer holds; where it could not give them, the id as the name and a comment saying
/// why.
fn stakeholder(investor: &str, holders: &Holders) -> Value {
    let placeholder = |why: String| {
        json!({
            "id": investor,
            "object_type": "STAKEHOLDER",
            "name": {"legal_name": investor},
            "stakeholder_type": "INDIVIDUAL",
            "comments": [format!("{why}: legal_name is the platform investor id and stakeholder_type a placeholder")],
        })
    };
    match holders {
        Holders::Named(names) => match names.get(investor) {
            Some(h) => json!({
                "id": investor,
                "object_type": "STAKEHOLDER",
                "name": {"legal_name": h.legal_name},
                "stakeholder_type": match h.kind {
                    HolderKind::Individual => "INDIVIDUAL",
                    HolderKind::Institution => "INSTITUTION",
                },
            }),
            None => placeholder(
                "the broker-dealer has no investor of the organization under this id".to_owned(),
            ),
        },
        Holders::Unavailable(why) => {
            placeholder(format!("the holder's name is unavailable ({why})"))
        }
    }
}
