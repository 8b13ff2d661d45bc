//! The checker: CAT records (as JSON) against the field rules of the *CAT
//! Reporting Technical Specifications for Industry Members* v4.1.0 r15.
//!
//! This module knows nothing of the builders in [`super`]: it reads
//! `serde_json::Value`s only, and its tables were written from the spec's
//! own machine-readable schema published with v4.1.0 (`IM-4.1.0-r15.json`:
//! `eventDefinitions` for MENO, MEOC and MEOT with each field's position,
//! Required/Conditional/Optional and data type; `choices`;
//! `nameValuePairDefinitions`), the data-type definitions (section 2,
//! "Data Types": Alphanumeric, Text, CATReporterIMID, IndustryMemberID,
//! Timestamp, Price, Real/Whole Quantity, Boolean, Date) and the
//! cross-field rules behind the data-ingestion error codes cited beside each
//! check. It exists for two uses:
//!
//! * [`super::cat_records`] runs [`check_record`] on every record before
//!   returning it, so a record the spec refuses becomes an error (a report
//!   exception at the BD), never output;
//! * the tests of the compliance crate and of the BD run [`check_record`]
//!   and [`check_day`] on everything a realistic day produces.
//!
//! It is a public module rather than test-only code because of the first
//! use; it is kept apart from the builders so that a mistake in one is not
//! copied into the other.
//!
//! Where the spec's condition for a Conditional field depends on facts a
//! record does not carry (e.g. `RFQID`: "if the order responds to an RFQ"),
//! the field is accepted when well-formed. Rules marked *conservative* are
//! stricter than anything quoted from the spec: they refuse what this
//! checker cannot show to be allowed.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field (`buyDetails[0].side`, `timeInForce.DAY`, ...) or `record`.
    pub field: String,
    /// What the spec asks.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Req {
    /// Required.
    R,
    /// Conditional: present only when its condition holds.
    C,
    /// Optional.
    O,
}

#[derive(Debug, Clone, Copy)]
enum Ty {
    /// A code from the spec's `choices`.
    Choice(&'static [&'static str]),
    /// Text (n): printable characters, at most n.
    Text(usize),
    /// Alphanumeric (n): `[A-Za-z0-9]`, at most n.
    Alnum(usize),
    /// CATReporterIMID: Alphanumeric (7).
    ReporterImid,
    /// IndustryMemberID: Text (16), `<CRD>:<IMID>`.
    MemberId,
    /// Symbol: Text (22).
    Symbol,
    /// The event type itself.
    MessageType,
    /// Timestamp: `YYYYMMDD HHMMSS.CCCNNNNNN` (Eastern Time) or nanoseconds
    /// since the epoch.
    Timestamp,
    /// Boolean: JSON `true`/`false`.
    Boolean,
    /// Price: Numeric (10,8).
    Price,
    /// Real Quantity: Numeric (12,6), not negative.
    RealQty,
    /// Whole Quantity: Numeric (12,0), not negative.
    WholeQty,
    /// Unsigned: integer, not negative, at most 20 digits.
    Unsigned,
    /// Date: 8-digit integer `YYYYMMDD`.
    Date,
    /// Name/Value Pairs with the given attribute table.
    Nvp(&'static [(&'static str, Ty)]),
    /// Trade Side Details (array of objects).
    SideDetails,
    /// Any other array (`aggregatedOrders`, `atsOrderType`, `DLVT`).
    Array,
}

use Req::{C, O, R};

// ------------------------------------------------------------- code lists
// Schema `choices` (v4.1.0 r15).

const ACTION_TYPES: &[&str] = &["NEW", "COR", "RPR", "DEL"];
const DEPT_TYPES: &[&str] = &["A", "ATS", "DMA", "SA", "T", "O"];
/// Equity sides. The schema's `side` list also has `S`, which is the
/// options side (Appendix G: equity events use B, SL, SS, SX).
const EQUITY_SIDES: &[&str] = &["B", "SL", "SS", "SX"];
const ORDER_TYPES: &[&str] = &["CAB", "LMT", "MKT"];
const TRADING_SESSIONS: &[&str] = &[
    "FOR", "PRE", "PREREG", "REG", "REGPOST", "POST", "PREPOST", "ALL",
];
const ACCOUNT_HOLDER_TYPES: &[&str] = &["A", "E", "F", "I", "O", "V", "P", "X"];
const REPRESENTATIVE_INDS: &[&str] = &[
    "Y", "YE", "YP", "YS", "N", "O", "OS", "OML", "OMS", "OE", "OME",
];
const ATS_DISPLAY_INDS: &[&str] = &["S", "A", "Y", "N"];
const NBBO_SOURCES: &[&str] = &["D", "S", "H", "NA"];
const INITIATORS: &[&str] = &["C", "F"];
const CAPACITIES: &[&str] = &["A", "P", "R"];
const SIDE_DETAILS_INDS: &[&str] = &["BUY", "SELL", "NA"];
const REPORTING_EXCEPTION_CODES: &[&str] = &["C", "F", "N", "P"];
const MARKET_CENTER_IDS: &[&str] = &[
    "D", "DC", "DN", "L", "O", "A", "B", "BF", "C", "F", "H", "I", "J", "K", "LT", "M", "N", "P",
    "Q", "U", "V", "W", "X", "Y", "Z", "ARCAOP", "AMEROP", "BOX", "BZXOP", "C2", "CBOE", "CHX",
    "EDGXOP", "EMLD", "GEMX", "ISE", "MEMXOP", "MIAMI", "MRX", "NOBO", "NOM", "PEARL", "PHLX",
    "SPHR", "G", "TXSE",
];

// ------------------------------------------------------ name/value pairs
// Schema `nameValuePairDefinitions` (v4.1.0 r15).

const TIME_IN_FORCE: &[(&str, Ty)] = &[
    ("DAY", Ty::Date),
    ("GFD", Ty::Unsigned),
    ("GTC", Ty::Boolean),
    ("GTD", Ty::Date),
    ("GTM", Ty::Boolean),
    ("GTT", Ty::Timestamp),
    ("GTX", Ty::Date),
    ("IOC", Ty::Boolean),
    ("IOR", Ty::Boolean),
];

const HANDLING_INSTRUCTIONS: &[(&str, Ty)] = &[
    ("ADD", Ty::Boolean),
    ("AIP", Ty::Boolean),
    ("ALG", Ty::Boolean),
    ("ALGMod", Ty::Boolean),
    ("ALGS", Ty::Boolean),
    ("ALO", Ty::Boolean),
    ("AOK", Ty::Boolean),
    ("AON", Ty::Boolean),
    ("APCM", Ty::Boolean),
    ("AUC", Ty::Boolean),
    ("ATT", Ty::Boolean),
    ("BIN", Ty::Boolean),
    ("CAC", Ty::Boolean),
    ("CMC", Ty::Boolean),
    ("CMPX", Ty::Boolean),
    ("CND", Ty::Boolean),
    ("CPR", Ty::Boolean),
    ("CTR", Ty::Boolean),
    ("CSC", Ty::Boolean),
    ("CSH", Ty::Boolean),
    ("d", Ty::Boolean),
    ("DAC", Ty::Boolean),
    ("DIR", Ty::Boolean),
    ("DIV", Ty::Boolean),
    ("DNI", Ty::Boolean),
    ("DNR", Ty::Boolean),
    ("DNRT", Ty::Boolean),
    ("ERP", Ty::Boolean),
    ("EW", Ty::Boolean),
    ("FB", Ty::Boolean),
    ("FBA", Ty::Boolean),
    ("FOK", Ty::Boolean),
    ("FS", Ty::Boolean),
    ("FUT", Ty::Boolean),
    ("G", Ty::Boolean),
    ("GP", Ty::Boolean),
    ("IO", Ty::Boolean),
    ("LOC", Ty::Boolean),
    ("LOO", Ty::Boolean),
    ("M", Ty::Boolean),
    ("MAX", Ty::Boolean),
    ("MOC", Ty::Boolean),
    ("MOO", Ty::Boolean),
    ("MRP", Ty::Boolean),
    ("MTL", Ty::Boolean),
    ("NAV", Ty::Boolean),
    ("NCTR", Ty::Boolean),
    ("NH", Ty::Boolean),
    ("OCP", Ty::Boolean),
    ("OFF", Ty::Boolean),
    ("OPO", Ty::Boolean),
    ("OPT", Ty::Boolean),
    ("OVD", Ty::Boolean),
    ("P", Ty::Boolean),
    ("PBG", Ty::Boolean),
    ("PCS", Ty::Boolean),
    ("PCTPX", Ty::Boolean),
    ("PEG", Ty::Boolean),
    ("QCC", Ty::Boolean),
    ("R", Ty::Boolean),
    ("RAR", Ty::Boolean),
    ("RLO", Ty::Boolean),
    ("RSV", Ty::Boolean),
    ("SCL", Ty::Boolean),
    ("SLD", Ty::Boolean),
    ("SLL", Ty::Boolean),
    ("SLQ", Ty::Boolean),
    ("SLR", Ty::Boolean),
    ("SOQ", Ty::Boolean),
    ("STOPF", Ty::Boolean),
    ("STP", Ty::Boolean),
    ("TS", Ty::Boolean),
    ("TTF", Ty::Boolean),
    ("TTO", Ty::Boolean),
    ("TTS", Ty::Boolean),
    ("TTSO", Ty::Boolean),
    ("TTU", Ty::Boolean),
    ("UNP", Ty::Boolean),
    ("UNS", Ty::Boolean),
    ("WDP", Ty::Boolean),
    ("WRK", Ty::Boolean),
    ("AucResp", Ty::Alnum(40)),
    ("APCL", Ty::Price),
    ("CASH", Ty::Price),
    ("DISP", Ty::Price),
    ("DISQ", Ty::RealQty),
    ("DLVF", Ty::Text(16)),
    ("DLVT", Ty::Array),
    ("STOP", Ty::Price),
    ("SW", Ty::Price),
    ("SWQ", Ty::WholeQty),
    ("TMO", Ty::Timestamp),
];

// ------------------------------------------------------------ the events
// Schema `eventDefinitions` (v4.1.0 r15), in position order. Retired
// positions (`retiredFieldPosition`) are left out: in JSON they must not
// appear at all, which the unknown-field rule enforces.

type Table = &'static [(&'static str, Req, Ty)];

/// MENO, positions 1–47.
const MENO: Table = &[
    ("actionType", R, Ty::Choice(ACTION_TYPES)),
    ("errorROEID", C, Ty::Unsigned),
    ("firmROEID", R, Ty::Text(64)),
    ("type", R, Ty::MessageType),
    ("CATReporterIMID", O, Ty::ReporterImid),
    ("orderKeyDate", R, Ty::Timestamp),
    ("orderID", R, Ty::Text(64)),
    ("symbol", R, Ty::Symbol),
    ("eventTimestamp", R, Ty::Timestamp),
    ("manualFlag", R, Ty::Boolean),
    ("electronicDupFlag", R, Ty::Boolean),
    ("electronicTimestamp", C, Ty::Timestamp),
    ("manualOrderKeyDate", C, Ty::Timestamp),
    ("manualOrderID", C, Ty::Text(64)),
    ("deptType", R, Ty::Choice(DEPT_TYPES)),
    ("solicitationFlag", R, Ty::Boolean),
    ("RFQID", C, Ty::Text(64)),
    ("side", R, Ty::Choice(EQUITY_SIDES)),
    ("price", C, Ty::Price),
    ("quantity", R, Ty::RealQty),
    ("minQty", C, Ty::WholeQty),
    ("orderType", R, Ty::Choice(ORDER_TYPES)),
    ("timeInForce", R, Ty::Nvp(TIME_IN_FORCE)),
    ("tradingSession", R, Ty::Choice(TRADING_SESSIONS)),
    ("handlingInstructions", C, Ty::Nvp(HANDLING_INSTRUCTIONS)),
    ("custDspIntrFlag", R, Ty::Boolean),
    ("firmDesignatedID", R, Ty::Text(40)),
    ("accountHolderType", R, Ty::Choice(ACCOUNT_HOLDER_TYPES)),
    ("affiliateFlag", R, Ty::Boolean),
    ("infoBarrierID", C, Ty::Text(20)),
    ("aggregatedOrders", C, Ty::Array),
    ("negotiatedTradeFlag", R, Ty::Boolean),
    ("representativeInd", R, Ty::Choice(REPRESENTATIVE_INDS)),
    ("seqNum", C, Ty::Alnum(40)),
    ("atsDisplayInd", C, Ty::Choice(ATS_DISPLAY_INDS)),
    ("displayPrice", C, Ty::Price),
    ("workingPrice", C, Ty::Price),
    ("displayQty", C, Ty::WholeQty),
    ("atsOrderType", C, Ty::Array),
    ("nbbPrice", C, Ty::Price),
    ("nbbQty", C, Ty::WholeQty),
    ("nboPrice", C, Ty::Price),
    ("nboQty", C, Ty::WholeQty),
    ("nbboSource", C, Ty::Choice(NBBO_SOURCES)),
    ("nbboTimestamp", C, Ty::Timestamp),
    ("netPrice", C, Ty::Price),
    ("BFMMFlag", C, Ty::Boolean),
];

/// MEOC, positions 1–18.
const MEOC: Table = &[
    ("actionType", R, Ty::Choice(ACTION_TYPES)),
    ("errorROEID", C, Ty::Unsigned),
    ("firmROEID", R, Ty::Text(64)),
    ("type", R, Ty::MessageType),
    ("CATReporterIMID", O, Ty::ReporterImid),
    ("orderKeyDate", R, Ty::Timestamp),
    ("orderID", R, Ty::Text(64)),
    ("symbol", R, Ty::Symbol),
    ("originatingIMID", C, Ty::ReporterImid),
    ("eventTimestamp", R, Ty::Timestamp),
    ("manualFlag", R, Ty::Boolean),
    ("electronicTimestamp", C, Ty::Timestamp),
    ("cancelQty", R, Ty::RealQty),
    ("leavesQty", R, Ty::RealQty),
    ("initiator", R, Ty::Choice(INITIATORS)),
    ("seqNum", C, Ty::Alnum(40)),
    ("requestTimestamp", C, Ty::Timestamp),
    ("infoBarrierID", C, Ty::Text(20)),
];

/// MEOT, positions 1–36 (14, 15 and 32 retired).
const MEOT: Table = &[
    ("actionType", R, Ty::Choice(ACTION_TYPES)),
    ("errorROEID", C, Ty::Unsigned),
    ("firmROEID", R, Ty::Text(64)),
    ("type", R, Ty::MessageType),
    ("CATReporterIMID", O, Ty::ReporterImid),
    ("tradeKeyDate", R, Ty::Timestamp),
    ("tradeID", R, Ty::Text(64)),
    ("symbol", R, Ty::Symbol),
    ("eventTimestamp", R, Ty::Timestamp),
    ("manualFlag", R, Ty::Boolean),
    ("electronicTimestamp", O, Ty::Timestamp),
    ("cancelFlag", R, Ty::Boolean),
    ("cancelTimestamp", C, Ty::Timestamp),
    ("quantity", R, Ty::RealQty),
    ("price", R, Ty::Price),
    ("capacity", R, Ty::Choice(CAPACITIES)),
    ("tapeTradeID", C, Ty::Text(40)),
    ("marketCenterID", C, Ty::Choice(MARKET_CENTER_IDS)),
    ("sideDetailsInd", R, Ty::Choice(SIDE_DETAILS_INDS)),
    ("buyDetails", C, Ty::SideDetails),
    ("sellDetails", C, Ty::SideDetails),
    (
        "reportingExceptionCode",
        C,
        Ty::Choice(REPORTING_EXCEPTION_CODES),
    ),
    ("seqNum", C, Ty::Alnum(40)),
    ("nbbPrice", C, Ty::Price),
    ("nbbQty", C, Ty::WholeQty),
    ("nboPrice", C, Ty::Price),
    ("nboQty", C, Ty::WholeQty),
    ("nbboSource", C, Ty::Choice(NBBO_SOURCES)),
    ("nbboTimestamp", C, Ty::Timestamp),
    ("clearingFirm", C, Ty::Unsigned),
    ("counterparty", C, Ty::MemberId),
    ("multiLegInd", R, Ty::Boolean),
    ("infoBarrierID", C, Ty::Text(20)),
];

/// Trade Side Details, MEOT positions 22.1.x / 23.1.x (x = 4 retired).
const TRADE_SIDE_DETAILS: Table = &[
    ("orderKeyDate", C, Ty::Timestamp),
    ("orderID", C, Ty::Text(64)),
    ("side", R, Ty::Choice(EQUITY_SIDES)),
    ("firmDesignatedID", C, Ty::Text(40)),
    ("accountHolderType", C, Ty::Choice(ACCOUNT_HOLDER_TYPES)),
    ("originatingIMID", C, Ty::ReporterImid),
    ("BFMMFlag", C, Ty::Boolean),
];

// ----------------------------------------------------------------- checks

struct Out(Vec<Violation>);

impl Out {
    fn push(&mut self, field: impl Into<String>, rule: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            rule: rule.into(),
        });
    }
}

/// Every rule `record` breaks; empty when it is a valid MENO, MEOC or MEOT.
pub fn check_record(record: &Value) -> Vec<Violation> {
    let mut out = Out(Vec::new());
    let Some(obj) = record.as_object() else {
        out.push("record", "a CAT record is a JSON object");
        return out.0;
    };
    let event = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let table = match event {
        "MENO" => MENO,
        "MEOC" => MEOC,
        "MEOT" => MEOT,
        other => {
            out.push(
                "type",
                format!("{other:?}: this checker knows MENO, MEOC and MEOT"),
            );
            return out.0;
        }
    };
    check_fields(obj, table, event, "", &mut out);
    common_rules(obj, &mut out);
    match event {
        "MENO" => meno_rules(obj, &mut out),
        "MEOC" => meoc_rules(obj, &mut out),
        _ => meot_rules(obj, &mut out),
    }
    out.0
}

/// Presence (Required), no unknown or `null` field (error 2133; blank
/// conditional fields are omitted), and each value's data type.
fn check_fields(obj: &Map<String, Value>, table: Table, event: &str, at: &str, out: &mut Out) {
    for (name, req, _) in table {
        if *req == R && obj.get(*name).is_none_or(Value::is_null) {
            // Required Booleans are demanded too: the spec reads an absent
            // JSON Boolean as false, but a checker of CAT's own ingestion
            // flags it (conservative).
            out.push(format!("{at}{name}"), "required");
        }
    }
    for (key, value) in obj {
        let field = format!("{at}{key}");
        let Some((_, _, ty)) = table.iter().find(|(n, _, _)| n == key) else {
            out.push(field, format!("not a field of {event} (error 2133)"));
            continue;
        };
        if value.is_null() {
            out.push(field, "null: a blank field is omitted in JSON");
            continue;
        }
        check_type(value, *ty, event, &field, out);
    }
}

fn check_type(value: &Value, ty: Ty, event: &str, field: &str, out: &mut Out) {
    match ty {
        Ty::Choice(codes) => match value.as_str() {
            Some(s) if codes.contains(&s) => {}
            _ => out.push(field, format!("one of {}", codes.join(", "))),
        },
        Ty::Text(max) => text(value, max, field, out),
        Ty::Symbol => text(value, 22, field, out),
        Ty::Alnum(max) => alnum(value, max, field, out),
        Ty::ReporterImid => alnum(value, 7, field, out),
        Ty::MemberId => match value.as_str() {
            Some(s) if is_member_id(s) => {}
            _ => out.push(
                field,
                "IndustryMemberID: <CRD>:<IMID>, Text (16), e.g. 123:ABCD",
            ),
        },
        Ty::MessageType => {
            if value.as_str() != Some(event) {
                out.push(field, format!("must be {event}"));
            }
        }
        Ty::Timestamp => {
            if timestamp(value).is_none() {
                out.push(
                    field,
                    "Timestamp: \"YYYYMMDD HHMMSS.CCCNNNNNN\" in Eastern Time (up to 9 \
                     fractional digits) or nanoseconds since the epoch",
                );
            }
        }
        Ty::Boolean => {
            if !value.is_boolean() {
                out.push(field, "Boolean: JSON true or false");
            }
        }
        Ty::Price => numeric(value, 10, 8, true, field, "Price (10,8)", out),
        Ty::RealQty => numeric(value, 12, 6, false, field, "Real Quantity (12,6)", out),
        Ty::WholeQty => numeric(value, 12, 0, false, field, "Whole Quantity (12,0)", out),
        Ty::Unsigned => numeric(value, 20, 0, false, field, "Unsigned", out),
        Ty::Date => match value.as_u64() {
            Some(n) if date_ok(n) => {}
            _ => out.push(field, "Date: the 8-digit integer YYYYMMDD"),
        },
        Ty::Nvp(attrs) => match value.as_object() {
            Some(pairs) if !pairs.is_empty() => {
                for (name, v) in pairs {
                    let at = format!("{field}.{name}");
                    match attrs.iter().find(|(n, _)| n == name) {
                        None => out.push(at, "not a name of this Name/Value Pairs field"),
                        // A Boolean attribute is present as `true`.
                        Some((_, Ty::Boolean)) if v != &Value::Bool(true) => {
                            out.push(at, "a Boolean attribute is written as true")
                        }
                        Some((_, t)) => check_type(v, *t, event, &at, out),
                    }
                }
            }
            _ => out.push(field, "Name/Value Pairs: a non-empty JSON object"),
        },
        Ty::SideDetails => match value.as_array() {
            Some(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{field}[{i}].");
                    match item.as_object() {
                        Some(o) => check_fields(o, TRADE_SIDE_DETAILS, event, &at, out),
                        None => out.push(format!("{field}[{i}]"), "an object"),
                    }
                }
            }
            _ => out.push(field, "Trade Side Details: a non-empty array"),
        },
        Ty::Array => {
            if value.as_array().is_none_or(|a| a.is_empty()) {
                out.push(field, "a non-empty array");
            }
        }
    }
}

fn text(value: &Value, max: usize, field: &str, out: &mut Out) {
    match value.as_str() {
        Some(s)
            if !s.is_empty() && s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) => {}
        _ => out.push(
            field,
            format!("Text ({max}): 1 to {max} printable characters"),
        ),
    }
}

fn alnum(value: &Value, max: usize, field: &str, out: &mut Out) {
    match value.as_str() {
        Some(s)
            if !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {}
        _ => out.push(
            field,
            format!("Alphanumeric ({max}): 1 to {max} of [a-zA-Z0-9]"),
        ),
    }
}

fn is_member_id(s: &str) -> bool {
    let Some((crd, imid)) = s.split_once(':') else {
        return false;
    };
    s.len() <= 16
        && !crd.is_empty()
        && crd.bytes().all(|b| b.is_ascii_digit())
        && !imid.is_empty()
        && imid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A number's exact text: sign, integer digits, fraction digits. Needs
/// `serde_json`'s `arbitrary_precision` to see every digit, which this
/// workspace enables.
fn number_parts(value: &Value) -> Option<(bool, String, String)> {
    let n = value.as_number()?;
    let text = n.to_string();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) {
        return None; // exponent form, or not a plain number
    }
    Some((negative, int.to_owned(), frac.to_owned()))
}

fn numeric(
    value: &Value,
    int_digits: usize,
    frac_digits: usize,
    allow_negative: bool,
    field: &str,
    name: &str,
    out: &mut Out,
) {
    let ok = number_parts(value).is_some_and(|(neg, int, frac)| {
        let int = int.trim_start_matches('0');
        (allow_negative || !neg) && int.len() <= int_digits && frac.len() <= frac_digits
    });
    if !ok {
        out.push(
            field,
            format!(
                "{name}: a JSON number with at most {int_digits} digits before the point and \
                 {frac_digits} after{}",
                if allow_negative { "" } else { ", not negative" }
            ),
        );
    }
}

fn date_ok(n: u64) -> bool {
    (10_000_000..=99_999_999).contains(&n) && calendar(n / 10_000, (n / 100) % 100, n % 100)
}

fn calendar(year: u64, month: u64, day: u64) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (i32::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return false;
    };
    time::Month::try_from(m)
        .ok()
        .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
        .is_some()
}

/// A parsed string timestamp: (date `YYYYMMDD`, fractional digits), or for
/// the numeric form (no date, 9).
fn timestamp(value: &Value) -> Option<(Option<String>, usize)> {
    if let Some((neg, int, frac)) = number_parts(value) {
        return (!neg && frac.is_empty() && int.len() <= 20).then_some((None, 9));
    }
    let s = value.as_str()?;
    let b = s.as_bytes();
    if s.len() < 15 || !(b[8] == b' ' || b[8] == b'T') {
        return None;
    }
    let (date, time) = (&s[..8], &s[9..15]);
    let frac = match &s[15..] {
        "" => "",
        rest => rest.strip_prefix('.')?,
    };
    let digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit());
    if !digits(date) || !digits(time) || !digits(frac) || frac.len() > 9 {
        return None;
    }
    let n: u64 = date.parse().ok()?;
    let (h, m, sec): (u8, u8, u8) = (
        time[0..2].parse().ok()?,
        time[2..4].parse().ok()?,
        time[4..6].parse().ok()?,
    );
    if !date_ok(n) || h > 23 || m > 59 || sec > 59 || (frac.is_empty() && s.len() != 15) {
        return None;
    }
    Some((Some(date.to_owned()), frac.len()))
}

fn str_of<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn flag(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn has(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).is_some_and(|v| !v.is_null())
}

/// An exact decimal as (mantissa, scale), for comparisons without floats.
fn decimal(value: Option<&Value>) -> Option<(i128, u32)> {
    let (neg, int, frac) = number_parts(value?)?;
    let mantissa: i128 = format!("{int}{frac}").parse().ok()?;
    let scale = u32::try_from(frac.len()).ok()?;
    Some((if neg { -mantissa } else { mantissa }, scale))
}

fn compare(a: (i128, u32), b: (i128, u32)) -> Option<std::cmp::Ordering> {
    let scale = a.1.max(b.1);
    let lift = |(m, s): (i128, u32)| m.checked_mul(10i128.checked_pow(scale - s)?);
    Some(lift(a)?.cmp(&lift(b)?))
}

fn is_zero(value: Option<&Value>) -> bool {
    decimal(value).is_some_and(|(m, _)| m == 0)
}

/// Rules shared by the three events.
fn common_rules(obj: &Map<String, Value>, out: &mut Out) {
    // Error 2026: errorROEID is blank on a NEW event and required on RPR.
    match str_of(obj, "actionType") {
        Some("NEW") if has(obj, "errorROEID") => out.push(
            "errorROEID",
            "must be blank when actionType is NEW (error 2026)",
        ),
        Some("RPR") if !has(obj, "errorROEID") => {
            out.push("errorROEID", "required when actionType is RPR (error 2026)")
        }
        _ => {}
    }
    let event_ts = obj.get("eventTimestamp").and_then(timestamp);
    // Errors 2032/2033: firmROEID is "<event date>_<id>", the event date
    // being the (Eastern Time) date of eventTimestamp.
    if let Some(roe) = str_of(obj, "firmROEID") {
        match roe.split_once('_') {
            Some((date, id))
                if date.len() == 8 && date.parse().is_ok_and(date_ok) && !id.is_empty() =>
            {
                if let Some((Some(ts_date), _)) = &event_ts
                    && ts_date != date
                {
                    out.push(
                        "firmROEID",
                        format!(
                            "its date {date} differs from the eventTimestamp date {ts_date} \
                             (error 2033)"
                        ),
                    );
                }
            }
            _ => out.push("firmROEID", "formatted <YYYYMMDD>_<id> (error 2032)"),
        }
    }
    // Error 2027: electronic events are timestamped to the millisecond or
    // finer ("If manualFlag is 'false', timestamp must be reported to
    // milliseconds or a finer increment up to nanoseconds").
    if !flag(obj, "manualFlag")
        && let Some((_, frac)) = event_ts
        && frac < 3
    {
        out.push(
            "eventTimestamp",
            "an electronic event (manualFlag false) is timestamped to at least milliseconds \
             (error 2027)",
        );
    }
    // Error 2144: electronicTimestamp is the systematisation time of a
    // manual event; an electronic event has none.
    if !flag(obj, "manualFlag") && has(obj, "electronicTimestamp") {
        out.push(
            "electronicTimestamp",
            "only with manualFlag true (error 2144)",
        );
    }
    // NBBO fields (errors 2048/2049/2051): 'NA' means no NBBO values;
    // NBBO values need their source.
    let nbbo_values = ["nbbPrice", "nbbQty", "nboPrice", "nboQty", "nbboTimestamp"];
    match str_of(obj, "nbboSource") {
        Some("NA") => {
            for f in nbbo_values.iter().filter(|f| has(obj, f)) {
                out.push(*f, "must be blank when nbboSource is NA");
            }
        }
        None => {
            for f in nbbo_values.iter().filter(|f| has(obj, f)) {
                out.push(*f, "needs nbboSource");
            }
        }
        Some(_) => {
            for f in nbbo_values.iter().filter(|f| !has(obj, f)) {
                out.push(*f, "required when nbboSource is D, S or H");
            }
        }
    }
}

fn meno_rules(obj: &Map<String, Value>, out: &mut Out) {
    // Error 2067: a limit order carries its price. A market order carries
    // none (conservative: a price on MKT has no meaning).
    match (str_of(obj, "orderType"), has(obj, "price")) {
        (Some("LMT"), false) => out.push("price", "required when orderType is LMT (error 2067)"),
        (Some("MKT"), true) => out.push("price", "must be blank when orderType is MKT"),
        _ => {}
    }
    // One time in force per order (conservative).
    if let Some(tif) = obj.get("timeInForce").and_then(Value::as_object)
        && tif.len() != 1
    {
        out.push("timeInForce", "exactly one time in force");
    }
    // Error 2042 / 2143: a manual order's key is given only by an
    // electronic duplicate, and an event is not both manual and a duplicate.
    if has(obj, "manualOrderID") != has(obj, "manualOrderKeyDate") {
        out.push(
            "manualOrderKeyDate",
            "manualOrderID and manualOrderKeyDate go together (error 2042)",
        );
    }
    if flag(obj, "electronicDupFlag") && flag(obj, "manualFlag") {
        out.push(
            "electronicDupFlag",
            "cannot be true when manualFlag is true (error 2143)",
        );
    }
    if has(obj, "manualOrderID") && !flag(obj, "electronicDupFlag") {
        out.push(
            "manualOrderID",
            "only on the electronic duplicate of a manual order (electronicDupFlag true)",
        );
    }
    // Error 2142: aggregatedOrders belong to representative orders.
    if str_of(obj, "representativeInd") == Some("N") && has(obj, "aggregatedOrders") {
        out.push(
            "aggregatedOrders",
            "must be blank when representativeInd is N (error 2142)",
        );
    }
    // Error 2107: ATS display fields need atsDisplayInd.
    for f in ["workingPrice", "displayPrice", "displayQty"] {
        if has(obj, f) && !has(obj, "atsDisplayInd") {
            out.push(f, "must be blank when atsDisplayInd is blank (error 2107)");
        }
    }
    // Error 2226: with a netPrice, price is blank or zero.
    if has(obj, "netPrice") && has(obj, "price") && !is_zero(obj.get("price")) {
        out.push(
            "price",
            "must be blank or zero when netPrice is populated (error 2226)",
        );
    }
    // Error 2247: a CASH order has quantity 0.
    if obj
        .get("handlingInstructions")
        .and_then(|h| h.get("CASH"))
        .is_some()
        && !is_zero(obj.get("quantity"))
    {
        out.push("quantity", "0 for a CASH order (error 2247)");
    }
    // Errors 2261/2262: a bona fide market-making short sale.
    if flag(obj, "BFMMFlag") {
        if !matches!(str_of(obj, "accountHolderType"), Some("O" | "P" | "X")) {
            out.push(
                "accountHolderType",
                "O, P or X when BFMMFlag is true (error 2261)",
            );
        }
        if !matches!(str_of(obj, "side"), Some("SS" | "SX")) {
            out.push("side", "SS or SX when BFMMFlag is true (error 2262)");
        }
    }
}

fn meoc_rules(obj: &Map<String, Value>, out: &mut Out) {
    // A cancel request comes before the cancellation it asks for (Order
    // Cancel Request event: requestTimestamp is the time the request was
    // received).
    if let (Some(req), Some(at)) = (
        str_of(obj, "requestTimestamp"),
        str_of(obj, "eventTimestamp"),
    ) && timestamp(&Value::from(req)).is_some()
        && timestamp(&Value::from(at)).is_some()
        && sortable(req) > sortable(at)
    {
        out.push(
            "requestTimestamp",
            "the cancel request cannot follow the cancellation",
        );
    }
}

/// A string timestamp in a form that sorts by time.
fn sortable(ts: &str) -> String {
    let mut s = ts.replacen('T', " ", 1);
    if s.len() == 15 {
        s.push('.');
    }
    while s.len() < 25 {
        s.push('0');
    }
    s
}

fn meot_rules(obj: &Map<String, Value>, out: &mut Out) {
    // Trade Event, "Reporting Exception Codes", and error 2169: exactly one
    // of tapeTradeID and reportingExceptionCode.
    let tape = has(obj, "tapeTradeID");
    let rec = str_of(obj, "reportingExceptionCode");
    match (tape, rec) {
        (true, Some(_)) => out.push(
            "reportingExceptionCode",
            "must be blank when tapeTradeID is populated (error 2169)",
        ),
        (false, None) => out.push(
            "tapeTradeID",
            "tapeTradeID or reportingExceptionCode must be populated (error 2169)",
        ),
        _ => {}
    }
    // The facility of the tape report (conservative: a tape id without its
    // facility cannot be linked).
    if tape && !has(obj, "marketCenterID") {
        out.push("marketCenterID", "required with tapeTradeID");
    }
    // REC 'C': "The marketCenterID field must be populated. The clearingFirm
    // and counterparty fields must be populated." (errors 2184/2185).
    if rec == Some("C") {
        for f in ["marketCenterID", "clearingFirm", "counterparty"] {
            if !has(obj, f) {
                out.push(
                    f,
                    "required when reportingExceptionCode is C (errors 2184/2185)",
                );
            }
        }
    } else {
        // Conservative: the spec introduces them for REC 'C' only.
        for f in ["clearingFirm", "counterparty"] {
            if has(obj, f) {
                out.push(f, "only with reportingExceptionCode C");
            }
        }
        if rec.is_some() && has(obj, "marketCenterID") {
            out.push(
                "marketCenterID",
                "names the facility of a tape report or of a REC C trade; blank otherwise",
            );
        }
    }
    // Error 2014: cancelTimestamp goes with cancelFlag true.
    if flag(obj, "cancelFlag") != has(obj, "cancelTimestamp") {
        out.push(
            "cancelTimestamp",
            "populated exactly when cancelFlag is true (error 2014)",
        );
    }
    // Errors 2108/2115: sideDetailsInd says which sides are detailed: BUY
    // the buy side only, SELL the sell side only, NA both.
    let (buy, sell) = (has(obj, "buyDetails"), has(obj, "sellDetails"));
    let expected = match str_of(obj, "sideDetailsInd") {
        Some("BUY") => Some((true, false)),
        Some("SELL") => Some((false, true)),
        Some("NA") => Some((true, true)),
        _ => None,
    };
    if let Some((want_buy, want_sell)) = expected {
        if buy != want_buy {
            out.push(
                "buyDetails",
                format!(
                    "{} with sideDetailsInd {:?} (error 2108)",
                    if want_buy {
                        "required"
                    } else {
                        "must be blank"
                    },
                    str_of(obj, "sideDetailsInd").unwrap_or("")
                ),
            );
        }
        if sell != want_sell {
            out.push(
                "sellDetails",
                format!(
                    "{} with sideDetailsInd {:?} (error 2115)",
                    if want_sell {
                        "required"
                    } else {
                        "must be blank"
                    },
                    str_of(obj, "sideDetailsInd").unwrap_or("")
                ),
            );
        }
    }
    let capacity = str_of(obj, "capacity");
    let mut order_ids = Vec::new();
    for (arr, limit_code, fdid_code, sides, bfmm_codes) in [
        ("buyDetails", 2273, 2114, &["B"][..], (2265, 2266)),
        (
            "sellDetails",
            2274,
            2148,
            &["SL", "SS", "SX"][..],
            (2267, 2268),
        ),
    ] {
        let Some(items) = obj.get(arr).and_then(Value::as_array) else {
            continue;
        };
        if items.len() > 1 {
            out.push(
                arr,
                format!("one set of details at most (error {limit_code})"),
            );
        }
        for (i, item) in items.iter().enumerate() {
            let Some(d) = item.as_object() else { continue };
            let at = |f: &str| format!("{arr}[{i}].{f}");
            if let Some(side) = str_of(d, "side")
                && !sides.contains(&side)
            {
                out.push(at("side"), format!("one of {}", sides.join(", ")));
            }
            match (has(d, "orderID"), has(d, "firmDesignatedID")) {
                (true, true) => out.push(
                    at("firmDesignatedID"),
                    format!(
                        "orderID and firmDesignatedID are mutually exclusive (error {fdid_code})"
                    ),
                ),
                (false, false) => out.push(at("orderID"), "orderID or firmDesignatedID"),
                (true, false) if !has(d, "orderKeyDate") => {
                    out.push(at("orderKeyDate"), "required with orderID")
                }
                (false, true) => {
                    if capacity != Some("P") {
                        out.push(
                            at("firmDesignatedID"),
                            "only when capacity is P (errors 2258/2259)",
                        );
                    }
                    if !has(d, "accountHolderType") {
                        out.push(at("accountHolderType"), "required with firmDesignatedID");
                    }
                }
                _ => {}
            }
            if let Some(id) = str_of(d, "orderID") {
                order_ids.push(id.to_owned());
            }
            if flag(d, "BFMMFlag") {
                if !matches!(str_of(d, "accountHolderType"), Some("O" | "P" | "X")) {
                    out.push(
                        at("accountHolderType"),
                        format!("O, P or X when BFMMFlag is true (error {})", bfmm_codes.0),
                    );
                }
                if !matches!(str_of(d, "side"), Some("SS" | "SX")) {
                    out.push(
                        at("side"),
                        format!("SS or SX when BFMMFlag is true (error {})", bfmm_codes.1),
                    );
                }
            }
        }
    }
    // Error 2227: the two sides are different orders.
    if order_ids.len() == 2 && order_ids[0] == order_ids[1] {
        out.push(
            "buyDetails",
            "buy and sell orderID must differ (error 2227)",
        );
    }
}

/// The rules of a batch of records of one reporter: each record's own
/// ([`check_record`], prefixed `#<index> <type>`), unique `firmROEID`s, and
/// the order keys of cancels and trades that name an order received the
/// same day resolve to a `MENO` of the batch with a consistent quantity.
pub fn check_day(records: &[Value]) -> Vec<Violation> {
    let mut out = Vec::new();
    let label = |i: usize, r: &Value| {
        format!(
            "#{i} {}",
            r.get("type").and_then(Value::as_str).unwrap_or("?")
        )
    };
    for (i, r) in records.iter().enumerate() {
        for v in check_record(r) {
            out.push(Violation {
                field: format!("{} {}", label(i, r), v.field),
                rule: v.rule,
            });
        }
    }
    // firmROEID: "Must be unique for the Event Date and CAT Reporter IMID".
    let mut seen = HashSet::new();
    for (i, r) in records.iter().enumerate() {
        let key = (
            r.get("CATReporterIMID").and_then(Value::as_str),
            r.get("firmROEID").and_then(Value::as_str),
        );
        if !seen.insert(key) {
            out.push(Violation {
                field: format!("{} firmROEID", label(i, r)),
                rule: "unique per event date and CATReporterIMID".into(),
            });
        }
    }
    // Order key: orderKeyDate + orderID (+ symbol). Events link to the MENO
    // that opened the order.
    let mut menos: HashMap<(&str, &str), &Value> = HashMap::new();
    for r in records {
        if r.get("type").and_then(Value::as_str) == Some("MENO")
            && let (Some(k), Some(id)) = (
                r.get("orderKeyDate").and_then(Value::as_str),
                r.get("orderID").and_then(Value::as_str),
            )
        {
            menos.insert((k, id), r);
        }
    }
    let same_day = |key: &str, r: &Value| {
        r.get("eventTimestamp")
            .and_then(Value::as_str)
            .is_some_and(|t| t.get(..8) == key.get(..8))
    };
    let mut link = |i: usize, r: &Value, field: &str, key: &Value, qty: Option<(i128, u32)>| {
        let (Some(k), Some(id)) = (
            key.get("orderKeyDate").and_then(Value::as_str),
            key.get("orderID").and_then(Value::as_str),
        ) else {
            return;
        };
        match menos.get(&(k, id)) {
            Some(meno) => {
                if meno.get("symbol") != r.get("symbol") {
                    out.push(Violation {
                        field: format!("{} {field}", label(i, r)),
                        rule: "the order's MENO has another symbol".into(),
                    });
                }
                if let (Some(q), Some(total)) = (qty, decimal(meno.get("quantity")))
                    && compare(q, total) == Some(std::cmp::Ordering::Greater)
                {
                    out.push(Violation {
                        field: format!("{} {field}", label(i, r)),
                        rule: "more than the order's quantity".into(),
                    });
                }
            }
            None if same_day(k, r) => out.push(Violation {
                field: format!("{} {field}", label(i, r)),
                rule: format!("no MENO for order {id} received {k}"),
            }),
            None => {}
        }
    };
    for (i, r) in records.iter().enumerate() {
        match r.get("type").and_then(Value::as_str) {
            Some("MEOC") => {
                // cancelQty + leavesQty cannot exceed the order.
                let total = match (decimal(r.get("cancelQty")), decimal(r.get("leavesQty"))) {
                    (Some(a), Some(b)) => {
                        let scale = a.1.max(b.1);
                        let lift = |(m, sc): (i128, u32)| m * 10i128.pow(scale - sc);
                        Some((lift(a) + lift(b), scale))
                    }
                    _ => None,
                };
                link(i, r, "orderID", r, total);
            }
            Some("MEOT") => {
                for side in ["buyDetails", "sellDetails"] {
                    if let Some(items) = r.get(side).and_then(Value::as_array) {
                        for item in items {
                            link(i, r, side, item, decimal(r.get("quantity")));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}
